// Sponsored (ERC-4337) Hexs actions: user operations, the bundler client, burner session keys.
export * from "./userop";
export * from "./bundler";
export * from "./errors";
export * from "./sponsored";

// Moved to relayer/retry.ts (the relayer's one retry helper); re-exported for the Akash modules.
export * from "../retry";

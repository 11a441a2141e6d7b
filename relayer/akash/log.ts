// Moved to relayer/log.ts (the relayer's one logger); re-exported for the Akash modules.
export * from "../log";

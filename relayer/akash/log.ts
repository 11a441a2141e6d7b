// The relayer's logger for the Akash services: one pino root, child loggers per component.
// (When the relayer's own entry point lands it should own the root and pass it in; until then
// this is the single root.) Level from HEXS_LOG_LEVEL (default "info"; tests set "silent").
import pino, { type Logger } from "pino";

let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= pino({
    name: "hexs-relayer",
    level: process.env.HEXS_LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
    base: undefined,
    redact: { paths: ["mnemonic", "*.mnemonic", "jwt", "*.jwt", "sdl", "*.sdl", "manifestJson"], censor: "[redacted]" },
  });
  return root;
}

export function logger(component: string): Logger {
  return rootLogger().child({ component });
}

export type { Logger };

// The relayer's one logger: one pino root, child loggers per component (sources, store,
// attest, sinks, akash, keys). Secrets are redacted by path; the operator key is never put in a
// log object. Level from HEXS_LOG_LEVEL (default "info"; tests set "silent").
import pino, { type Logger } from "pino";

let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= pino({
    name: "hexs-relayer",
    level: process.env.HEXS_LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
    base: undefined,
    redact: {
      paths: [
        "privateKey",
        "*.privateKey",
        "operatorKey",
        "*.operatorKey",
        "mnemonic",
        "*.mnemonic",
        "jwt",
        "*.jwt",
        "sdl",
        "*.sdl",
        "manifestJson",
      ],
      censor: "[redacted]",
    },
  });
  return root;
}

export function logger(component: string): Logger {
  return rootLogger().child({ component });
}

export type { Logger };

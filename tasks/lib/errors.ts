// One error type for everything a task refuses: Hardhat prints its message without a stack.
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { HexsError } from "../../sdk/errors";

/** A mistake the user can fix: the message says what was wrong, with the value, and what to do. */
export class TaskError extends HardhatPluginError {
  constructor(message: string, parent?: Error) {
    super("hexs", message, parent);
  }
}

export function fail(message: string): never {
  throw new TaskError(message);
}

/**
 * A task action whose SDK errors (HexsError) reach the user as task errors, message unchanged.
 * The SDK (and any `preload` module) is loaded before the action's first RPC request: compiling
 * it blocks the event loop for seconds, long enough for the node to close an idle keep-alive
 * connection the HTTP client would then reuse ("other side closed").
 */
export function cli<A, R>(
  action: (args: A, hre: HardhatRuntimeEnvironment) => Promise<R>,
  preload?: (args: A) => Promise<unknown>,
): (args: A, hre: HardhatRuntimeEnvironment) => Promise<R> {
  return async (args, hre) => {
    try {
      await import("../../sdk");
      await preload?.(args);
      return await action(args, hre);
    } catch (e) {
      if (e instanceof HexsError) throw new TaskError(e.message, e);
      throw e;
    }
  };
}

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

/** A task action whose SDK errors (HexsError) reach the user as task errors, message unchanged. */
export function cli<A, R>(
  action: (args: A, hre: HardhatRuntimeEnvironment) => Promise<R>,
): (args: A, hre: HardhatRuntimeEnvironment) => Promise<R> {
  return async (args, hre) => {
    try {
      return await action(args, hre);
    } catch (e) {
      if (e instanceof HexsError) throw new TaskError(e.message, e);
      throw e;
    }
  };
}

// One error type for everything a task refuses: Hardhat prints its message without a stack.
import { HardhatPluginError } from "hardhat/plugins";
import { Interface } from "ethers";
import { revertDataOf } from "../../sdk/errors";

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
 * Name a custom error from a failed call using the given contract interfaces, e.g.
 * `NotCreator(4294967297, 0xabc…)`. Falls back to the error's own message.
 */
export function describeRevert(err: unknown, interfaces: Interface[]): string {
  const data = revertDataOf(err);
  if (data) {
    for (const iface of interfaces) {
      try {
        const parsed = iface.parseError(data);
        if (parsed) {
          const args = parsed.args.map((a: unknown) => (typeof a === "bigint" ? a.toString() : String(a)));
          let text = `${parsed.name}(${args.join(", ")})`;
          // Plugins' reasons come wrapped in PluginRejected(plugin, reason): decode the reason too.
          if (parsed.name === "PluginRejected" && typeof parsed.args[1] === "string") {
            text += ` → ${describeRevert({ data: parsed.args[1] }, interfaces)}`;
          }
          return text;
        }
      } catch {
        // not this interface
      }
    }
    return `revert data ${data}`;
  }
  if (err instanceof Error) {
    const m = /reverted with (?:reason string|custom error) (.*)$/m.exec(err.message);
    return m ? m[1] : err.message.split("\n")[0];
  }
  return String(err);
}

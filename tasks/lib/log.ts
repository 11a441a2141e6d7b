// The tasks' one output channel. Tests silence it with HEXS_QUIET=1 (or setQuiet).
let quiet = process.env.HEXS_QUIET === "1";

export function setQuiet(value: boolean): void {
  quiet = value;
}

export function say(...parts: unknown[]): void {
  if (!quiet) console.log(...parts);
}

/** Part of a line (streamed tokens), same channel as say. */
export function sayPart(text: string): void {
  if (!quiet) process.stdout.write(text);
}

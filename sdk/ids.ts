// Model and key ids: the Hexs chain identifier in the upper 32 bits, a per-chain serial in the lower 32.

/** `4294967297 (1:1)`: the id and its chain:serial reading. */
export function formatId(id: bigint): string {
  return `${id} (${id >> 32n}:${id & 0xffffffffn})`;
}

/** The Hexs chain a model or key id was minted on (its upper 32 bits). */
export function chainOf(id: bigint): number {
  return Number(id >> 32n);
}

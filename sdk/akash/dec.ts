// Cosmos LegacyDec amounts (18 decimals) as exact bigints: prices are compared and scaled
// without floating point.
const SCALE = 10n ** 18n;

/** "12.5" → 12500000000000000000n. Throws on anything that is not a non-negative decimal. */
export function decToAtomics(s: string): bigint {
  const m = /^(\d+)(?:\.(\d{0,18})\d*)?$/.exec(s.trim());
  if (!m) throw new Error(`not a decimal amount: '${s}'`);
  return BigInt(m[1]) * SCALE + BigInt((m[2] ?? "").padEnd(18, "0") || "0");
}

/** 12500000000000000000n → "12.500000000000000000" (LegacyDec's canonical string). */
export function atomicsToDec(a: bigint): string {
  const neg = a < 0n;
  const v = neg ? -a : a;
  return `${neg ? "-" : ""}${v / SCALE}.${(v % SCALE).toString().padStart(18, "0")}`;
}

/** amount × numerator / denominator, rounded down. */
export function scaleDec(s: string, numerator: bigint, denominator: bigint): string {
  return atomicsToDec((decToAtomics(s) * numerator) / denominator);
}

// Parsing of task arguments: ids, amounts, currencies, addresses. Every failure names the
// parameter, the bad value and the expected form.
import { existsSync, readFileSync, statSync } from "node:fs";
import { getAddress, isAddress, isHexString, keccak256, parseUnits, toUtf8Bytes, ZeroAddress } from "ethers";
import { InvalidAccountError, parseAccount as accountFromString, type Account } from "../../sdk/accounts";
import { NATIVE } from "../../sdk/tx";
import { fail } from "./errors";

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * A model or key id: a decimal integer (`4294967297`) or `chain:serial` (`1:1`), since ids are
 * the Hexs chain identifier in the upper 32 bits and a per-chain serial in the lower 32.
 */
export function parseId(param: string, value: string | undefined, max: bigint = UINT64_MAX): bigint {
  if (value === undefined || value === "") fail(`--${param} is required (a model id such as 4294967297 or 1:1)`);
  const v = value.trim();
  let id: bigint;
  const pair = /^(\d+):(\d+)$/.exec(v);
  if (pair) {
    const chain = BigInt(pair[1]);
    const serial = BigInt(pair[2]);
    if (chain > 0xffffffffn || serial > 0xffffffffn || serial === 0n) {
      fail(`bad --${param} '${value}': in chain:serial form both parts are 32-bit and the serial starts at 1`);
    }
    id = (chain << 32n) | serial;
  } else if (/^\d+$/.test(v)) {
    id = BigInt(v);
  } else {
    fail(`bad --${param} '${value}': expected a decimal id (e.g. 4294967297) or chain:serial (e.g. 1:1)`);
  }
  if (id === 0n || id > max) fail(`bad --${param} '${value}': out of range (1..${max})`);
  return id;
}

/** `native` (or `eth`, `0x0`) → address(0); otherwise a checksummed token address. */
export function parseCurrency(value: string | undefined, param = "currency"): string {
  const v = (value ?? "native").trim();
  if (/^(native|eth|0x0)$/i.test(v) || v === ZeroAddress) return NATIVE;
  if (!isAddress(v)) fail(`bad --${param} '${value}': expected 'native' or an ERC-20 token address (0x + 40 hex digits)`);
  return getAddress(v);
}

export function parseAddress(param: string, value: string | undefined): string {
  if (value === undefined || value === "") fail(`--${param} is required (an address, 0x + 40 hex digits)`);
  const v = value.trim();
  if (!isAddress(v)) fail(`bad --${param} '${value}': not an address (expected 0x + 40 hex digits)`);
  const a = getAddress(v);
  if (a === ZeroAddress) fail(`bad --${param} '${value}': the zero address cannot receive anything`);
  return a;
}

/** A comma-separated list of addresses (duplicates refused). */
export function parseAddressList(param: string, value: string | undefined): string[] {
  if (!value) fail(`--${param} is required (comma-separated addresses)`);
  const list = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => parseAddress(param, s));
  const seen = new Set<string>();
  for (const a of list) {
    if (seen.has(a)) fail(`bad --${param}: ${a} is listed twice`);
    seen.add(a);
  }
  if (list.length === 0) fail(`--${param} lists no address`);
  return list;
}

/**
 * An amount in the currency's whole units (`0.5` ETH, `12.25` of a 6-decimals token) or in base
 * units with a `wei` suffix (`1000wei`).
 */
export function parseAmount(param: string, value: string | undefined, decimals: number, unit: string): bigint {
  if (value === undefined || value === "") fail(`--${param} is required (an amount in ${unit}, e.g. 0.01, or 1000wei)`);
  const v = value.trim();
  const wei = /^(\d+)\s*wei$/i.exec(v);
  if (wei) return BigInt(wei[1]);
  if (!/^\d+(\.\d+)?$/.test(v)) {
    fail(`bad --${param} '${value}': expected a non-negative amount in ${unit} (e.g. 0.01) or base units (e.g. 1000wei)`);
  }
  try {
    return parseUnits(v, decimals);
  } catch {
    return fail(`bad --${param} '${value}': more than ${decimals} decimals for ${unit}`);
  }
}

export function parseUint(param: string, value: string | undefined, max: bigint, fallback?: bigint): bigint {
  if (value === undefined || value === "") {
    if (fallback !== undefined) return fallback;
    fail(`--${param} is required (an integer)`);
  }
  const v = value.trim();
  if (!/^\d+$/.test(v)) fail(`bad --${param} '${value}': expected a non-negative integer`);
  const n = BigInt(v);
  if (n > max) fail(`bad --${param} '${value}': at most ${max}`);
  return n;
}

/** Basis points, 0..max (10000 = 100 %). */
export function parseBps(param: string, value: string | undefined, max: number, fallback: number): number {
  return Number(parseUint(param, value, BigInt(max), BigInt(fallback)));
}

/** A duration in seconds; `30d`, `12h`, `15m` and `90s` are accepted too. */
export function parseDuration(param: string, value: string): bigint {
  const m = /^(\d+)\s*([smhd]?)$/i.exec(value.trim());
  if (!m) fail(`bad --${param} '${value}': expected seconds (e.g. 2592000) or a number with s/m/h/d (e.g. 30d)`);
  const unit = { "": 1n, s: 1n, m: 60n, h: 3600n, d: 86400n }[m[2].toLowerCase() as "" | "s" | "m" | "h" | "d"];
  const seconds = BigInt(m[1]) * unit;
  if (seconds === 0n || seconds > (1n << 64n) - 1n) fail(`bad --${param} '${value}': must be 1 second or more`);
  return seconds;
}

export function parseBytes32(param: string, value: string): string {
  const v = value.trim();
  if (!isHexString(v, 32)) fail(`bad --${param} '${value}': expected 0x + 64 hex digits`);
  return v.toLowerCase();
}

export function parseHex(param: string, value: string | undefined): string {
  const v = (value ?? "0x").trim();
  if (!isHexString(v) || v.length % 2 !== 0) fail(`bad --${param} '${value}': expected hex bytes (0x…, even length)`);
  return v.toLowerCase();
}

/**
 * The content commitment of a model: keccak256 of a file's bytes when `value` names an
 * existing file, else of the string's UTF-8 bytes.
 */
export function contentCommitment(value: string | undefined): { commitment: string; source: string } {
  if (value === undefined || value === "") {
    fail("--content is required: the encrypted SDL file (or any string) whose keccak256 becomes the content commitment");
  }
  if (existsSync(value) && statSync(value).isFile()) {
    return { commitment: keccak256(readFileSync(value)), source: `file ${value}` };
  }
  return { commitment: keccak256(toUtf8Bytes(value)), source: "string" };
}

/** Deployment parameters: a JSON object (the SDK sends it as its compact UTF-8 JSON bytes); undefined for none. */
export function parseDeployParams(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined || value === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (e) {
    return fail(`bad --deploy-params '${value}': not JSON (${(e as Error).message}); e.g. '{"region":"eu"}'`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    fail(`bad --deploy-params '${value}': expected a JSON object, e.g. '{"region":"eu","maxUact":"1000"}'`);
  }
  return parsed as Record<string, unknown>;
}

/** An allowlist Merkle proof: a JSON array of bytes32; undefined for none. */
export function parseProof(value: string | undefined): string[] | undefined {
  if (value === undefined || value === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (e) {
    return fail(`bad --proof '${value}': not JSON (${(e as Error).message}); expected ["0x…", …]`);
  }
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string" && isHexString(x, 32))) {
    fail(`bad --proof '${value}': expected a JSON array of 32-byte hex strings, e.g. ["0xab…"]`);
  }
  return parsed as string[];
}

/** An account: an EVM address, or cosmos:0x… / cosmwasm:0x… (see sdk/accounts). */
export function parseAccount(param: string, value: string | undefined): Account {
  if (!value) fail(`--${param} is required (an EVM address, or cosmos:0x… / cosmwasm:0x…)`);
  try {
    return accountFromString(value);
  } catch (e) {
    if (e instanceof InvalidAccountError) fail(`bad --${param} '${value}': ${e.message}`);
    throw e;
  }
}

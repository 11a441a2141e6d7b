// Content addressing: CIDv1, raw codec, sha256 multihash (the `bafkrei…` form IPFS gives a
// single raw block), computed with the `multiformats` package. multiformats 13 is ESM-only
// and this project compiles to CommonJS, so it is loaded with a real dynamic import.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { refuse } from "./errors";

interface Multihash {
  code: number;
  digest: Uint8Array;
}
interface CidLike {
  version: number;
  code: number;
  multihash: Multihash;
  toString(): string;
}
interface MultiformatsApi {
  create(digest: Uint8Array): CidLike;
  parse(text: string): CidLike;
  rawCode: number;
  sha256Code: number;
}

// `import()` written inside Function so TypeScript's CommonJS output keeps it a real ESM import.
const esmImport = new Function("specifier", "return import(specifier)") as (s: string) => Promise<unknown>;
let api: Promise<MultiformatsApi> | undefined;

function multiformats(): Promise<MultiformatsApi> {
  api ??= (async () => {
    const mf = (await esmImport("multiformats")) as {
      CID: { create(v: 1, code: number, mh: Multihash): CidLike; parse(s: string): CidLike };
    };
    const digestMod = (await esmImport("multiformats/hashes/digest")) as {
      create(code: number, digest: Uint8Array): Multihash;
    };
    const raw = (await esmImport("multiformats/codecs/raw")) as { code: number };
    const sha2 = (await esmImport("multiformats/hashes/sha2")) as { sha256: { code: number } };
    return {
      create: (digest) => mf.CID.create(1, raw.code, digestMod.create(sha2.sha256.code, digest)),
      parse: (text) => mf.CID.parse(text),
      rawCode: raw.code,
      sha256Code: sha2.sha256.code,
    };
  })();
  return api;
}

export function sha256(bytes: Uint8Array): Buffer {
  return createHash("sha256").update(bytes).digest();
}

/** CIDv1 (raw, sha256) of `bytes`, base32 text (`bafkrei…`). */
export async function cidOf(bytes: Uint8Array): Promise<string> {
  return (await multiformats()).create(sha256(bytes)).toString();
}

/**
 * Parse a CID we can verify locally: CIDv1, raw codec, sha256. Returns the sha256 digest it
 * commits to. Anything else (CIDv0 `Qm…` DAG-PB, other hashes) is refused with the reason.
 */
export async function parseRawCid(text: string): Promise<{ cid: string; digest: Buffer }> {
  const mf = await multiformats();
  let cid: CidLike;
  try {
    cid = mf.parse(text);
  } catch (e) {
    refuse("bad_request", `'${text}' is not a CID (${(e as Error).message})`);
  }
  if (cid.version !== 1 || cid.code !== mf.rawCode || cid.multihash.code !== mf.sha256Code) {
    refuse("unsupported", `CID ${text} is not CIDv1/raw/sha256: only single raw blocks can be verified against their bytes here`);
  }
  return { cid: cid.toString(), digest: Buffer.from(cid.multihash.digest) };
}

/** Check that `bytes` are what `cid` names; throws an integrity error otherwise. */
export async function verifyCid(cid: string, bytes: Uint8Array): Promise<void> {
  const { digest } = await parseRawCid(cid);
  if (!digest.equals(sha256(bytes))) {
    refuse("integrity", `content served for ${cid} does not hash to that CID: refusing tampered or truncated bytes`);
  }
}

/** Files by CID in one directory; writes are atomic (temp file + rename), reads are re-verified. */
export class ContentStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  async put(bytes: Uint8Array): Promise<string> {
    const cid = await cidOf(bytes);
    const path = join(this.dir, cid);
    if (!existsSync(path)) {
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, path);
    }
    return cid;
  }

  async get(cidText: string): Promise<Buffer | undefined> {
    const { cid } = await parseRawCid(cidText);
    const path = join(this.dir, cid);
    if (!existsSync(path)) return undefined;
    const bytes = readFileSync(path);
    await verifyCid(cid, bytes);
    return bytes;
  }
}

// Files by CID in one directory (Node only: the key service's content store).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cidOf, parseRawCid, verifyCid } from "./cid";

/** Writes are atomic (temp file + rename), reads are re-verified. */
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

// Where the executor keeps LayerZero receives that failed on the destination (paused lane,
// rate limit, out of gas, a gap in lane order), so they can be retried later by the executor,
// by `hardhat bridge:retry`, or by the relayer service. The packet bytes are all a retry needs.
import fs from "node:fs";
import path from "node:path";

export interface FailedReceive {
  /** packetKey(): srcEid:sender>dstEid:receiver#nonce */
  key: string;
  srcEid: number;
  dstEid: number;
  nonce: string;
  guid: string;
  receiver: string;
  /** The PacketSent encodedPayload (header ‖ guid ‖ message). */
  packet: string;
  reason: string;
  attempts: number;
  firstFailedAt: string;
  lastFailedAt: string;
}

export interface FailedReceiveStore {
  put(r: Omit<FailedReceive, "attempts" | "firstFailedAt" | "lastFailedAt">): void;
  remove(key: string): void;
  list(dstEid?: number): FailedReceive[];
}

/** In memory (tests, one-shot runs). */
export class MemoryFailedReceiveStore implements FailedReceiveStore {
  protected items = new Map<string, FailedReceive>();

  put(r: Omit<FailedReceive, "attempts" | "firstFailedAt" | "lastFailedAt">): void {
    const now = new Date().toISOString();
    const old = this.items.get(r.key);
    this.items.set(r.key, {
      ...r,
      attempts: (old?.attempts ?? 0) + 1,
      firstFailedAt: old?.firstFailedAt ?? now,
      lastFailedAt: now,
    });
    this.changed();
  }

  remove(key: string): void {
    if (this.items.delete(key)) this.changed();
  }

  list(dstEid?: number): FailedReceive[] {
    return [...this.items.values()]
      .filter((r) => dstEid === undefined || r.dstEid === dstEid)
      .sort((a, b) => (BigInt(a.nonce) < BigInt(b.nonce) ? -1 : BigInt(a.nonce) > BigInt(b.nonce) ? 1 : 0));
  }

  protected changed(): void {}
}

/** A JSON file, rewritten atomically on every change (small volumes: failures only). */
export class JsonFileFailedReceiveStore extends MemoryFailedReceiveStore {
  constructor(readonly file: string) {
    super();
    if (fs.existsSync(file)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(fs.readFileSync(file, "utf8"));
      } catch (e) {
        throw new Error(`failed-receive store ${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
      }
      if (!Array.isArray(parsed)) throw new Error(`failed-receive store ${file} must hold a JSON array`);
      for (const r of parsed as FailedReceive[]) this.items.set(r.key, r);
    }
  }

  protected override changed(): void {
    fs.mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify([...this.items.values()], null, 2) + "\n");
    fs.renameSync(tmp, this.file);
  }
}

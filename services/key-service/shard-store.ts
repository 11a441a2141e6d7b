// One shard store: holds shard #index of every file's key, plus the file's owner and access
// conditions, in its own directory, the shards encrypted at rest with its own key. It speaks the
// per-node endpoints of Lighthouse's key nodes and decides every release on its own: it checks
// the holder's signature and nonce itself and reads the chains itself, so neither the front nor
// any other store can make it release a shard.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import Database from "better-sqlite3";
import { authenticate } from "../../sdk/keys/auth";
import type { AuthContext, NonceLedger } from "../../sdk/keys/auth";
import { ChainAccess, validateConditions } from "../../sdk/keys/conditions";
import type { ChainConfig, ConditionSet } from "../../sdk/keys/conditions";
import { refuse } from "../../sdk/keys/errors";
import { close, listen, serve } from "./http";
import type { Reply, Request } from "./http";
import type { KeyShard } from "../../sdk/keys/threshold";

export interface ShardStoreOptions {
  index: number; // 1..5, the node number in Lighthouse's paths
  dir: string;
  /** 32-byte at-rest key; default: `<dir>/store.key`, created on first start (mode 0600). */
  encryptionKey?: Buffer;
  chains: ChainConfig[];
  /** the front's challenge-ticket key (PEM), or how to fetch it (a store in its own process asks the front once) */
  issuerPublicKeyPem: string | (() => Promise<string>);
  pendingChallenges: (address: string) => Promise<string[]>;
  now?: () => number;
  port?: number | { from: number; to: number };
  log?: (line: string) => void;
}

interface Row {
  cid: string;
  owner: string;
  shard: Buffer;
  conditions: string | null;
  shared_to: string;
}

/** The store's table of shards, nonces used; usable without the HTTP server (tests, tooling). */
export class ShardDb implements NonceLedger {
  private readonly db: Database.Database;
  private readonly key: Buffer;

  constructor(
    readonly index: number,
    readonly dir: string,
    encryptionKey?: Buffer,
  ) {
    mkdirSync(dir, { recursive: true });
    const keyFile = join(dir, "store.key");
    if (encryptionKey) this.key = encryptionKey;
    else if (existsSync(keyFile)) this.key = Buffer.from(readFileSync(keyFile, "utf8").trim(), "hex");
    else {
      this.key = randomBytes(32);
      writeFileSync(keyFile, this.key.toString("hex"), { mode: 0o600 });
    }
    if (this.key.length !== 32) throw new Error(`shard store ${index}: at-rest key must be 32 bytes (check ${keyFile})`);
    this.db = new Database(join(dir, "shards.sqlite"));
    this.db.pragma("journal_mode = WAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS shards (cid TEXT PRIMARY KEY, owner TEXT NOT NULL, shard BLOB NOT NULL,
        conditions TEXT, shared_to TEXT NOT NULL DEFAULT '[]');
      CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);`);
  }

  private aad(cid: string, owner: string): Buffer {
    return Buffer.from(`hexs-shard-v1|${this.index}|${cid}|${owner}`);
  }

  private seal(cid: string, owner: string, shard: KeyShard): Buffer {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.key, iv).setAAD(this.aad(cid, owner));
    const body = Buffer.concat([c.update(JSON.stringify(shard)), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]);
  }

  private open(row: Row): KeyShard {
    const d = createDecipheriv("aes-256-gcm", this.key, row.shard.subarray(0, 12)).setAAD(this.aad(row.cid, row.owner));
    d.setAuthTag(row.shard.subarray(12, 28));
    return JSON.parse(Buffer.concat([d.update(row.shard.subarray(28)), d.final()]).toString("utf8")) as KeyShard;
  }

  get(cid: string): (Omit<Row, "shard"> & { shard: KeyShard; set: ConditionSet | null; sharedTo: string[] }) | undefined {
    const row = this.db.prepare("SELECT * FROM shards WHERE cid = ?").get(cid) as Row | undefined;
    if (!row) return undefined;
    return {
      ...row,
      shard: this.open(row),
      set: row.conditions ? (JSON.parse(row.conditions) as ConditionSet) : null,
      sharedTo: JSON.parse(row.shared_to) as string[],
    };
  }

  putShard(cid: string, owner: string, shard: KeyShard): void {
    this.db
      .prepare("INSERT INTO shards (cid, owner, shard) VALUES (?, ?, ?) ON CONFLICT(cid) DO UPDATE SET shard = excluded.shard")
      .run(cid, owner, this.seal(cid, owner, shard));
  }

  setConditions(cid: string, set: ConditionSet): void {
    this.db.prepare("UPDATE shards SET conditions = ? WHERE cid = ?").run(JSON.stringify(set), cid);
  }

  addSharedTo(cid: string, addresses: string[]): void {
    const cur = this.get(cid)?.sharedTo ?? [];
    this.db
      .prepare("UPDATE shards SET shared_to = ? WHERE cid = ?")
      .run(JSON.stringify([...new Set([...cur, ...addresses])]), cid);
  }

  consume(nonce: string, expiresAt: number): boolean {
    this.db.prepare("DELETE FROM nonces WHERE expires_at < ?").run(Math.floor(Date.now() / 1000) - 3600);
    return this.db.prepare("INSERT OR IGNORE INTO nonces (nonce, expires_at) VALUES (?, ?)").run(nonce, expiresAt).changes === 1;
  }

  close(): void {
    this.db.close();
  }
}

function isShard(v: unknown): v is KeyShard {
  const s = v as KeyShard;
  return (
    !!s && typeof s.key === "string" && typeof s.index === "string" && /^[0-9a-f]+$/i.test(s.key) && /^[0-9a-f]+$/i.test(s.index)
  );
}

export interface RunningShardStore {
  index: number;
  url: string;
  db: ShardDb;
  close(): Promise<void>;
}

export async function startShardStore(o: ShardStoreOptions): Promise<RunningShardStore> {
  const db = new ShardDb(o.index, o.dir, o.encryptionKey);
  const chains = new ChainAccess(o.chains);
  const log = o.log ?? (() => undefined);
  let issuerPem = typeof o.issuerPublicKeyPem === "string" ? o.issuerPublicKeyPem : undefined;
  const authContext = async (): Promise<AuthContext> => {
    if (!issuerPem) {
      try {
        issuerPem = await (o.issuerPublicKeyPem as () => Promise<string>)();
      } catch (e) {
        refuse("chain_unavailable", `shard store ${o.index} cannot get the front's ticket key yet: ${(e as Error).message}`);
      }
    }
    return { issuerPublicKeyPem: issuerPem, ledger: db, now: o.now ?? Date.now, pendingChallenges: o.pendingChallenges };
  };
  const ok: Reply = { status: 200, json: { message: "success" } };

  const requireOwner = (cid: string, who: string) => {
    const rec = db.get(cid);
    if (!rec) refuse("not_found", `no key shard for ${cid} at store ${o.index}: upload it first`);
    if (rec.owner !== who)
      refuse("forbidden", `${who} is not the owner of ${cid}; only its uploader (${rec.owner}) may change it`);
    return rec;
  };

  const handler = async (req: Request): Promise<Reply> => {
    const m = /^\/api\/(setSharedKey|fileAccessConditions|retrieveSharedKey)\/(\d)$/.exec(req.path);
    if (req.method === "GET" && req.path === "/health") return { status: 200, json: { index: o.index } };
    const g = /^\/api\/fileAccessConditions\/get\/([^/]+)$/.exec(req.path);
    if (g && req.method === "GET") {
      const rec = db.get(g[1]);
      if (!rec) refuse("not_found", `no access conditions for ${g[1]}`);
      return {
        status: 200,
        json: {
          cid: rec.cid,
          owner: rec.owner,
          conditions: rec.set?.conditions ?? [],
          aggregator: rec.set?.aggregator ?? null,
          sharedTo: rec.sharedTo,
        },
      };
    }
    if (!m) refuse("not_found", `${req.method} ${req.path} is not a key-node endpoint`);
    if (Number(m[2]) !== o.index) refuse("bad_request", `this is shard store ${o.index}, not ${m[2]}`);
    const body = req.json();
    const cid = typeof body.cid === "string" ? body.cid : refuse("bad_request", "missing 'cid'");
    const message = typeof body.message === "string" ? body.message : undefined;
    const account = await authenticate(await authContext(), body.address, req.bearer, message);
    const who = account.address;

    if (m[1] === "setSharedKey" && req.method === "POST") {
      if (body.payload !== undefined) {
        if (!isShard(body.payload)) refuse("bad_request", "'payload' must be a key shard {key, index} (hex)");
        const rec = db.get(cid);
        if (rec && rec.owner !== who) refuse("forbidden", `${cid} already belongs to ${rec.owner}`);
        db.putShard(cid, who, body.payload);
      }
      if (Array.isArray(body.sharedTo)) {
        requireOwner(cid, who);
        db.addSharedTo(
          cid,
          body.sharedTo.map((a) => String(a).toLowerCase()),
        );
      }
      return ok;
    }
    if (m[1] === "fileAccessConditions" && (req.method === "POST" || req.method === "PUT")) {
      const set = validateConditions(body, o.chains);
      if (req.method === "POST") {
        if (!isShard(body.payload)) refuse("bad_request", "'payload' must be a key shard {key, index} (hex)");
        const rec = db.get(cid);
        if (rec && rec.owner !== who) refuse("forbidden", `${cid} already belongs to ${rec.owner}`);
        db.putShard(cid, who, body.payload);
      } else requireOwner(cid, who);
      db.setConditions(cid, set);
      return ok;
    }
    if (m[1] === "retrieveSharedKey" && req.method === "POST") {
      const rec = db.get(cid);
      if (!rec) refuse("not_found", `no key shard for ${cid} at store ${o.index}`);
      if (rec.owner === who || rec.sharedTo.includes(who)) return { status: 200, json: { payload: rec.shard } };
      if (!rec.set) refuse("forbidden", `access denied: ${cid} has no access conditions and was not shared with ${who}`);
      const { granted, unavailable } = await chains.evaluate(rec.set, account);
      if (granted) return { status: 200, json: { payload: rec.shard } };
      if (unavailable.length)
        refuse("chain_unavailable", `access undecided, a chain could not be read: ${unavailable.join("; ")}`);
      refuse("forbidden", `access denied: ${who} does not satisfy the access conditions of ${cid} (no live key)`);
    }
    refuse("not_found", `${req.method} ${req.path} is not a key-node endpoint`);
  };

  const server: Server = serve(handler, (l) => log(`[store ${o.index}] ${l}`));
  const port = await listen(server, o.port ?? 0);
  return {
    index: o.index,
    url: `http://127.0.0.1:${port}`,
    db,
    async close() {
      await close(server);
      chains.close();
      db.close();
    },
  };
}

// One shard store: holds shard #index of every file's key, plus the file's owner and access
// conditions, in its own directory, the shards encrypted at rest with its own key. It speaks the
// per-node endpoints of Lighthouse's key nodes and decides every release on its own: it checks
// the holder's signature and nonce itself and reads the chains itself, so neither the front nor
// any other store can make it release a shard.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { Contract, JsonRpcProvider } from "ethers";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import Database from "better-sqlite3";
import { authenticate, parseAccount, verifyHolderSignature } from "../../sdk/keys/auth";
import type { Account, AuthContext, NonceLedger } from "../../sdk/keys/auth";
import { parseRawCid } from "../../sdk/keys/cid";
import { contentCommitment } from "../../sdk/keys/commitment";
import { ChainAccess, validateConditions } from "../../sdk/keys/conditions";
import type { ChainConfig, ConditionSet } from "../../sdk/keys/conditions";
import { refuse } from "../../sdk/keys/errors";
import { close, listen, serve } from "./http";
import { sealNative } from "./native-seal";
import type { Reply, Request } from "./http";
import type { KeyShard } from "../../sdk/keys/threshold";
import {
  checkRequestChallenge,
  newTransportKey,
  open,
  parseRequestChallenge,
  replyInfo,
  storeIdText,
  transportKeyFromPem,
  transportKeyToPem,
  uploadInfo,
} from "../../sdk/keys/transport";
import type { StoreOperation, TransportKeyPair } from "../../sdk/keys/transport";

export interface ShardStoreOptions {
  index: number; // 1..5, the node number in Lighthouse's paths
  dir: string;
  /** 32-byte at-rest key; default: `<dir>/store.key`, created on first start (mode 0600). */
  encryptionKey?: Buffer;
  chains: ChainConfig[];
  /** the front's challenge-ticket key (PEM), or how to fetch it (a store in its own process asks the front once) */
  issuerPublicKeyPem: string | (() => Promise<string>);
  pendingChallenges: (address: string) => Promise<string[]>;
  /**
   * The HexsRegistry on each EVM chain (chain name → address): a CID's on-chain creator claims it
   * through the registry's content commitment (see "Who owns a CID" in the README).
   */
  registries?: Record<string, string>;
  /**
   * Serve Lighthouse's key-node endpoints (`/api/setSharedKey/<n>` …) for the unmodified SDK
   * (default true). Their trust is weaker: one signature opens every store, shards travel in
   * clear JSON through the front. `false` leaves only the Hexs `/v2/…` endpoints.
   */
  lighthouseApi?: boolean;
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
  /** set once the model's on-chain creator claimed the CID: "<chain>/<modelId>" */
  claim: string | null;
}

/** how often a shard store deletes expired used nonces */
export const NONCE_PRUNE_EVERY_MS = 60_000;
/** expired nonces are kept this much longer (seconds), against a clock stepped back */
export const NONCE_PRUNE_GRACE_S = 60;

export interface ShardDbOptions {
  /** delete expired used nonces this often (0: never; default once a minute) */
  pruneEveryMs?: number;
  /** the clock (ms), for tests */
  now?: () => number;
}

/** The store's table of shards, nonces used; usable without the HTTP server (tests, tooling). */
export class ShardDb implements NonceLedger {
  private readonly db: Database.Database;
  private readonly key: Buffer;
  private readonly pruner?: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(
    readonly index: number,
    readonly dir: string,
    encryptionKey?: Buffer,
    o: ShardDbOptions = {},
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
      CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expires_at);`);
    const cols = this.db.prepare("PRAGMA table_info(shards)").all() as Array<{ name: string }>;
    if (!cols.some((c) => c.name === "claim")) this.db.exec("ALTER TABLE shards ADD COLUMN claim TEXT");
    this.now = o.now ?? Date.now;
    this.insertNonce = this.db.prepare("INSERT OR IGNORE INTO nonces (nonce, expires_at) VALUES (?, ?)");
    this.deleteExpired = this.db.prepare("DELETE FROM nonces WHERE expires_at < ?");
    // Used nonces are kept until their challenge expired (a replay is refused as expired from
    // then on), and deleted by a timer rather than on every request: the table stays as small
    // as the traffic of one challenge lifetime and a request pays for one insert only.
    const every = o.pruneEveryMs ?? NONCE_PRUNE_EVERY_MS;
    if (every > 0) {
      this.pruner = setInterval(() => {
        try {
          this.pruneNonces();
        } catch {
          // closed meanwhile, or busy: the next tick tries again
        }
      }, every);
      this.pruner.unref();
    }
  }
  private readonly insertNonce: Database.Statement;
  private readonly deleteExpired: Database.Statement;

  /**
   * Delete used nonces whose challenge expired more than NONCE_PRUNE_GRACE_S ago (a clock
   * stepped back by less than that cannot make an expired challenge valid again while its nonce
   * is gone). Returns how many were deleted.
   */
  pruneNonces(): number {
    return this.deleteExpired.run(Math.floor(this.now() / 1000) - NONCE_PRUNE_GRACE_S).changes;
  }

  /** used nonces held (diagnostics, tests) */
  nonceCount(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM nonces").get() as { n: number }).n;
  }

  /** SQLite's plan for the periodic delete (tests: it must use the expiry index, not scan the table) */
  prunePlan(): string {
    return (this.db.prepare("EXPLAIN QUERY PLAN DELETE FROM nonces WHERE expires_at < ?").all(0) as { detail: string }[])
      .map((r) => r.detail)
      .join("; ");
  }

  /** The store's X25519 transport key: `<dir>/transport.pem`, created on first start (mode 0600). */
  transportKey(): TransportKeyPair {
    const file = join(this.dir, "transport.pem");
    if (existsSync(file)) return transportKeyFromPem(readFileSync(file, "utf8"));
    const k = newTransportKey();
    writeFileSync(file, transportKeyToPem(k), { mode: 0o600 });
    return k;
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

  /** The on-chain creator takes the CID: their shard replaces the provisional owner's, with no conditions or shares. */
  claim(cid: string, owner: string, shard: KeyShard, claim: string): void {
    this.db
      .prepare("INSERT OR REPLACE INTO shards (cid, owner, shard, conditions, shared_to, claim) VALUES (?, ?, ?, NULL, '[]', ?)")
      .run(cid, owner, this.seal(cid, owner, shard), claim);
  }

  setClaim(cid: string, claim: string): void {
    this.db.prepare("UPDATE shards SET claim = ? WHERE cid = ?").run(claim, cid);
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

  removeSharedTo(cid: string, addresses: string[]): void {
    const drop = new Set(addresses);
    const cur = this.get(cid)?.sharedTo ?? [];
    this.db.prepare("UPDATE shards SET shared_to = ? WHERE cid = ?").run(JSON.stringify(cur.filter((a) => !drop.has(a))), cid);
  }

  consume(nonce: string, expiresAt: number): boolean {
    return this.insertNonce.run(nonce, expiresAt).changes === 1;
  }

  close(): void {
    if (this.pruner) clearInterval(this.pruner);
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
  /** the X25519 key uploads are sealed to (base64url); with the index, the store's id in challenges */
  transportKey: string;
  db: ShardDb;
  close(): Promise<void>;
}

const MODEL_ABI = [
  "function model(uint64 modelId) view returns (tuple(address creator, uint64 parentId, uint16 upstreamBps, uint16 daoBps, " +
    "address keys, uint16 forkRoyaltyBps, uint16 depth, bool forkable, bool retired, uint48 sequence, address dao, bytes32 contentCommitment, " +
    "bytes32 parentCommitment, string sdlLocator, string metadataUri))",
];

/** A claim of a CID by its model's creator: the model on `chain` and the image digest of its commitment. */
export interface OwnershipClaim {
  chain: string;
  modelId: string;
  imageDigest: string;
}

function parseClaim(v: unknown): OwnershipClaim {
  const c = v as Record<string, unknown>;
  if (!c || typeof c.chain !== "string" || !/^\d+$/.test(String(c.modelId)) || !/^0x[0-9a-fA-F]{64}$/.test(String(c.imageDigest)))
    refuse("bad_request", "'claim' must be { chain, modelId (decimal), imageDigest (0x + 64 hex) }");
  return { chain: c.chain, modelId: String(c.modelId), imageDigest: String(c.imageDigest) };
}

export async function startShardStore(o: ShardStoreOptions): Promise<RunningShardStore> {
  const db = new ShardDb(o.index, o.dir, o.encryptionKey, { now: o.now });
  const transport = db.transportKey();
  const storeId = storeIdText({ index: o.index, transportKey: transport.publicKey });
  const chains = new ChainAccess(o.chains);
  const log = o.log ?? (() => undefined);
  const now = o.now ?? Date.now;
  const providers = new Map<string, JsonRpcProvider>();
  let issuerPem = typeof o.issuerPublicKeyPem === "string" ? o.issuerPublicKeyPem : undefined;
  const authContext = async (): Promise<AuthContext> => {
    if (!issuerPem) {
      try {
        issuerPem = await (o.issuerPublicKeyPem as () => Promise<string>)();
      } catch (e) {
        refuse("chain_unavailable", `shard store ${o.index} cannot get the front's ticket key yet: ${(e as Error).message}`);
      }
    }
    return { issuerPublicKeyPem: issuerPem, ledger: db, now, pendingChallenges: o.pendingChallenges };
  };
  const ok: Reply = { status: 200, json: { message: "success" } };

  const requireOwner = (cid: string, who: string) => {
    const rec = db.get(cid);
    if (!rec) refuse("not_found", `no key shard for ${cid} at store ${o.index}: upload it first`);
    if (rec.owner !== who)
      refuse("forbidden", `${who} is not the owner of ${cid}; only its uploader (${rec.owner}) may change it`);
    return rec;
  };

  /** A first upload makes a provisional owner; a CID someone else holds is refused (its creator claims it instead). */
  const requireFree = (cid: string, who: string) => {
    const rec = db.get(cid);
    if (rec && rec.owner !== who) {
      refuse(
        "forbidden",
        `${cid} already belongs to ${rec.owner}` +
          (rec.claim
            ? ` (claimed on chain as model ${rec.claim})`
            : "; if you created the model whose content commitment names these bytes, upload with a claim"),
      );
    }
  };

  /** Check on the chain that `who` created a model whose content commitment is over this CID's bytes. */
  const verifyClaim = async (cid: string, who: Account, claim: OwnershipClaim): Promise<string> => {
    const chain = o.chains.find((c) => c.name === claim.chain);
    const registry = o.registries?.[claim.chain];
    if (!chain || chain.kind !== "evm" || !registry)
      refuse("unsupported", `shard store ${o.index} knows no HexsRegistry on chain '${claim.chain}' to check a claim against`);
    if (who.family !== "evm") refuse("forbidden", "only the model's EVM creator can claim a CID");
    const digest = "0x" + Buffer.from((await parseRawCid(cid)).digest).toString("hex");
    let provider = providers.get(chain.name);
    if (!provider) {
      provider = new JsonRpcProvider(chain.rpcUrl, chain.chainId, { staticNetwork: true });
      providers.set(chain.name, provider);
    }
    let model: { creator: string; contentCommitment: string };
    try {
      model = (await new Contract(registry, MODEL_ABI, provider).getFunction("model")(claim.modelId)) as typeof model;
    } catch (e) {
      refuse("forbidden", `model ${claim.modelId} cannot be read on ${claim.chain}: ${(e as Error).message.slice(0, 200)}`);
    }
    if (model.creator.toLowerCase() !== who.address)
      refuse("forbidden", `${who.address} is not the creator of model ${claim.modelId} on ${claim.chain} (${model.creator})`);
    if (contentCommitment(digest, claim.imageDigest).toLowerCase() !== model.contentCommitment.toLowerCase())
      refuse(
        "forbidden",
        `model ${claim.modelId}'s content commitment is not over ${cid} with image digest ${claim.imageDigest}`,
      );
    return `${claim.chain}/${claim.modelId}`;
  };

  /** Release decision for `rec`: its owner, an address it was shared with, or the access conditions. */
  const mayRetrieve = async (cid: string, account: Account) => {
    const who = account.address;
    const rec = db.get(cid);
    if (!rec) refuse("not_found", `no key shard for ${cid} at store ${o.index}`);
    if (rec.owner === who || rec.sharedTo.includes(who)) return rec;
    if (!rec.set) refuse("forbidden", `access denied: ${cid} has no access conditions and was not shared with ${who}`);
    const { granted, unavailable } = await chains.evaluate(rec.set, account);
    if (granted) return rec;
    if (unavailable.length) refuse("chain_unavailable", `access undecided, a chain could not be read: ${unavailable.join("; ")}`);
    refuse("forbidden", `access denied: ${who} does not satisfy the access conditions of ${cid} (no live key)`);
  };

  /** The Hexs endpoints: one request challenge per store and request, shards sealed both ways. */
  const v2 = async (req: Request, op: StoreOperation, cid: string): Promise<Reply> => {
    if (req.method !== "POST") refuse("not_found", `${req.method} ${req.path}: the /v2 endpoints take POST`);
    const header = String(req.headers["x-hexs-challenge"] ?? "");
    if (!header) refuse("unauthenticated", "missing 'x-hexs-challenge' (the signed request challenge, base64url)");
    if (!req.bearer) refuse("unauthenticated", "missing 'Authorization: Bearer <signature>'");
    const message = Buffer.from(header, "base64url").toString("utf8");
    const c = parseRequestChallenge(message);
    checkRequestChallenge(c, { store: storeId, cid, op, body: req.body }, now());
    const account = parseAccount(c.address);
    if (!verifyHolderSignature(account, message, req.bearer))
      refuse("unauthenticated", `the signature does not verify for ${account.address} over its request challenge`);
    if (!db.consume(`v2:${c.nonce}`, c.expiresAt))
      refuse("nonce_replayed", "this signed request challenge was already used at this shard store: sign a new one");
    const who = account.address;
    const body = req.json();
    if (op === "retrieve") {
      const replyKey = typeof body.replyKey === "string" ? body.replyKey : refuse("bad_request", "missing 'replyKey'");
      const rec = await mayRetrieve(cid, account);
      return {
        status: 200,
        json: { sealed: sealNative(replyKey, Buffer.from(JSON.stringify(rec.shard)), replyInfo(storeId, cid, c.nonce)) },
      };
    }
    if (op === "upload") {
      let shard: unknown;
      try {
        shard = JSON.parse(Buffer.from(open(transport, body.shard, uploadInfo(storeId, cid))).toString("utf8"));
      } catch (e) {
        if (e instanceof Error && e.name === "KeyServiceError") throw e;
        refuse("bad_request", "the sealed shard is not JSON");
      }
      if (!isShard(shard)) refuse("bad_request", "the sealed shard is not a key shard {key, index} (hex)");
      const set = body.conditions !== undefined ? validateConditions(body.conditions, o.chains) : undefined;
      if (body.claim !== undefined) {
        const claim = await verifyClaim(cid, account, parseClaim(body.claim));
        const rec = db.get(cid);
        if (rec && rec.owner === who) {
          db.putShard(cid, who, shard);
          db.setClaim(cid, claim);
        } else {
          if (rec?.claim) {
            // Two models may register the same commitment; the first registered one keeps the CID.
            const [chainName, id] = rec.claim.split("/");
            const [newChain, newId] = claim.split("/");
            if (chainName !== newChain || BigInt(newId) >= BigInt(id))
              refuse("forbidden", `${cid} is already claimed by the creator of model ${rec.claim}, registered first`);
          }
          if (rec) log(`[store ${o.index}] ${cid}: ${who} claims it as model ${claim}, replacing ${rec.owner}`);
          db.claim(cid, who, shard, claim);
        }
      } else {
        requireFree(cid, who);
        db.putShard(cid, who, shard);
      }
      if (set) db.setConditions(cid, set);
      return ok;
    }
    requireOwner(cid, who);
    if (op === "conditions") db.setConditions(cid, validateConditions(body, o.chains));
    else {
      if (!Array.isArray(body.sharedTo) || body.sharedTo.length === 0) refuse("bad_request", "'sharedTo' must list addresses");
      const list = body.sharedTo.map((a) => parseAccount(a).address);
      if (op === "share") db.addSharedTo(cid, list);
      else db.removeSharedTo(cid, list);
    }
    return ok;
  };

  const handler = async (req: Request): Promise<Reply> => {
    if (req.method === "GET" && req.path === "/health")
      return {
        status: 200,
        json: { index: o.index, transportKey: transport.publicKey, lighthouseApi: o.lighthouseApi !== false },
      };
    const h = /^\/v2\/(upload|conditions|share|unshare|retrieve)\/([^/]+)$/.exec(req.path);
    if (h) return v2(req, h[1] as StoreOperation, decodeURIComponent(h[2]));
    const m = /^\/api\/(setSharedKey|fileAccessConditions|retrieveSharedKey)\/(\d)$/.exec(req.path);
    const g = /^\/api\/fileAccessConditions\/get\/([^/]+)$/.exec(req.path);
    if (g && req.method === "GET") {
      const rec = db.get(g[1]);
      if (!rec) refuse("not_found", `no access conditions for ${g[1]}`);
      return {
        status: 200,
        json: {
          cid: rec.cid,
          owner: rec.owner,
          claim: rec.claim,
          conditions: rec.set?.conditions ?? [],
          aggregator: rec.set?.aggregator ?? null,
          sharedTo: rec.sharedTo,
        },
      };
    }
    if (!m) refuse("not_found", `${req.method} ${req.path} is not a key-node endpoint`);
    if (o.lighthouseApi === false)
      refuse("unsupported", `shard store ${o.index} serves only the Hexs /v2 endpoints (Lighthouse mode is off)`);
    if (Number(m[2]) !== o.index) refuse("bad_request", `this is shard store ${o.index}, not ${m[2]}`);
    const body = req.json();
    const cid = typeof body.cid === "string" ? body.cid : refuse("bad_request", "missing 'cid'");
    const message = typeof body.message === "string" ? body.message : undefined;
    const account = await authenticate(await authContext(), body.address, req.bearer, message);
    const who = account.address;

    if (m[1] === "setSharedKey" && req.method === "POST") {
      if (body.payload !== undefined) {
        if (!isShard(body.payload)) refuse("bad_request", "'payload' must be a key shard {key, index} (hex)");
        requireFree(cid, who);
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
        requireFree(cid, who);
        db.putShard(cid, who, body.payload);
      } else requireOwner(cid, who);
      db.setConditions(cid, set);
      return ok;
    }
    if (m[1] === "retrieveSharedKey" && req.method === "POST") {
      return { status: 200, json: { payload: (await mayRetrieve(cid, account)).shard } };
    }
    refuse("not_found", `${req.method} ${req.path} is not a key-node endpoint`);
  };

  const server: Server = serve(handler, (l) => log(`[store ${o.index}] ${l}`));
  const port = await listen(server, o.port ?? 0);
  return {
    index: o.index,
    url: `http://127.0.0.1:${port}`,
    transportKey: transport.publicKey,
    db,
    async close() {
      await close(server);
      chains.close();
      for (const p of providers.values()) p.destroy();
      db.close();
    },
  };
}

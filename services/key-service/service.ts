// The key service: a front that speaks Lighthouse's API/gateway/key-node endpoints, and five
// independent shard stores behind it. The front issues challenges, stores encrypted files by
// CID and serves them like a gateway, and routes `/api/<op>/<n>` to shard store n. It holds no
// shard and cannot authorise a release: each store verifies the holder and the chains itself.
import type { Server } from "node:http";
import { join } from "node:path";
import { ChallengeIssuer, parseAccount, parseChallenge } from "../../sdk/keys/auth";
import { ContentStore } from "../../sdk/keys/content-store";
import type { ChainConfig } from "../../sdk/keys/conditions";
import { refuse } from "../../sdk/keys/errors";
import { close, listen, serve } from "./http";
import type { Reply, Request } from "./http";
import { startShardStore } from "./shard-store";
import type { RunningShardStore } from "./shard-store";
import { SHARES } from "../../sdk/keys/threshold";

export type PortSpec = number | { from: number; to: number };

export interface KeyServiceConfig {
  /** Root directory: `content/` for files, `store-1` … `store-5` for the shard stores. */
  dir: string;
  chains: ChainConfig[];
  port?: PortSpec;
  storePorts?: PortSpec;
  /**
   * The five shard stores run elsewhere (their own processes, `services/key-service/cli.ts store`): their
   * base URLs in index order. The front then starts none itself and keeps no shard.
   */
  storeUrls?: string[];
  /** How long a challenge may be signed and used (seconds, default 300). */
  challengeTtlSeconds?: number;
  /** Upload API keys; empty or absent: uploads are open (they are content-addressed bytes). */
  apiKeys?: string[];
  /** Per-store at-rest keys (32 bytes each); default: a key file in each store's directory. */
  storeKeys?: Buffer[];
  issuerPrivateKeyPem?: string;
  /** The HexsRegistry per EVM chain name, for creators' claims of their CIDs (see the README). */
  registries?: Record<string, string>;
  /**
   * Lighthouse mode: serve Lighthouse's key-node endpoints for the unmodified SDK, routed through
   * this front (default true). Its trust is weaker (README, "Two modes"); `false` turns it off here
   * and at the stores this process starts.
   */
  lighthouseApi?: boolean;
  now?: () => number;
  log?: (line: string) => void;
}

export interface RunningKeyService {
  url: string;
  /** the stores this process runs (empty with `storeUrls`) */
  stores: RunningShardStore[];
  storeUrls: string[];
  content: ContentStore;
  issuerPublicKeyPem: string;
  close(): Promise<void>;
}

const MAX_OPEN_CHALLENGES = 16;

export async function startKeyService(cfg: KeyServiceConfig): Promise<RunningKeyService> {
  const now = cfg.now ?? Date.now;
  const log = cfg.log ?? (() => undefined);
  const issuer = new ChallengeIssuer(cfg.challengeTtlSeconds ?? 300, now, cfg.issuerPrivateKeyPem);
  const content = new ContentStore(join(cfg.dir, "content"));
  const open = new Map<string, string[]>();

  const openChallenges = async (address: string): Promise<string[]> => {
    const nowS = Math.floor(now() / 1000);
    const live = (open.get(address) ?? []).filter((m) => parseChallenge(m).expiresAt > nowS);
    open.set(address, live);
    return live;
  };

  const stores: RunningShardStore[] = [];
  if (cfg.storeUrls && cfg.storeUrls.length !== SHARES)
    throw new Error(`storeUrls: the key service needs exactly ${SHARES} shard stores, got ${cfg.storeUrls.length}`);
  try {
    for (let i = 1; i <= SHARES && !cfg.storeUrls; i++) {
      stores.push(
        await startShardStore({
          index: i,
          dir: join(cfg.dir, `store-${i}`),
          encryptionKey: cfg.storeKeys?.[i - 1],
          chains: cfg.chains,
          issuerPublicKeyPem: issuer.publicKeyPem,
          pendingChallenges: openChallenges,
          registries: cfg.registries,
          lighthouseApi: cfg.lighthouseApi,
          now,
          port: cfg.storePorts ?? 0,
          log,
        }),
      );
    }
  } catch (e) {
    await Promise.all(stores.map((s) => s.close()));
    throw e;
  }

  const storeUrls = cfg.storeUrls?.map((u) => u.replace(/\/+$/, "")) ?? stores.map((s) => s.url);
  const proxy = async (req: Request, n: number, path: string): Promise<Reply> => {
    const url = storeUrls[n - 1];
    if (!url) refuse("not_found", `there is no shard store ${n} (1..${SHARES})`);
    let res: Response;
    try {
      res = await fetch(url + path, {
        method: req.method,
        headers: { "content-type": "application/json", authorization: req.headers.authorization ?? "" },
        body: req.method === "GET" ? undefined : new Uint8Array(req.body),
      });
    } catch (e) {
      refuse("chain_unavailable", `shard store ${n} at ${url} is unreachable (${(e as Error).message})`);
    }
    return { status: res.status, json: await res.json() };
  };

  const fileBytes = async (req: Request): Promise<Buffer> => {
    const type = String(req.headers["content-type"] ?? "");
    if (!type.startsWith("multipart/form-data")) return req.body;
    const form = await new globalThis.Request("http://127.0.0.1/", {
      method: "POST",
      headers: { "content-type": type },
      body: new Uint8Array(req.body),
    }).formData();
    for (const v of form.values()) if (typeof v !== "string") return Buffer.from(await v.arrayBuffer());
    refuse("bad_request", "the multipart upload has no file part");
  };

  const bytesOf = async (cid: string): Promise<Reply> => {
    const bytes = await content.get(cid);
    if (!bytes) refuse("not_found", `no content for ${cid} here`);
    return { status: 200, bytes, contentType: "application/octet-stream" };
  };

  const handler = async (req: Request): Promise<Reply> => {
    const { method, path } = req;
    let m: RegExpExecArray | null;
    if (method === "GET" && path === "/health") return { status: 200, json: { stores: storeUrls } };
    // Discovery for the Hexs mode: clients reach the stores themselves, so shards never pass here.
    if (method === "GET" && path === "/api/stores")
      return { status: 200, json: { stores: storeUrls.map((url, i) => ({ index: i + 1, url })) } };
    if (method === "GET" && path === "/internal/issuer") return { status: 200, json: { publicKeyPem: issuer.publicKeyPem } };
    if (method === "GET" && (m = /^\/api\/message\/([^/]+)$/.exec(path)) && m[1] !== "get-jwt") {
      const account = parseAccount(decodeURIComponent(m[1]));
      const message = issuer.issue(account.address);
      const live = await openChallenges(account.address);
      open.set(account.address, [...live, message].slice(-MAX_OPEN_CHALLENGES));
      return { status: 200, json: [{ message }] };
    }
    if (path === "/api/message/get-jwt") {
      refuse(
        "unsupported",
        "this key service accepts only signed challenges, not JWTs: a bearer token minted by one server would let " +
          "that server alone collect every shard. Pass the signature of GET /api/message/<address> instead",
      );
    }
    if (method === "GET" && (m = /^\/internal\/challenges\/([^/]+)$/.exec(path))) {
      return { status: 200, json: await openChallenges(parseAccount(decodeURIComponent(m[1])).address) };
    }
    if (method === "POST" && path === "/api/v0/add") {
      if (cfg.apiKeys?.length && !cfg.apiKeys.includes(req.bearer)) {
        refuse("unauthenticated", "upload needs 'Authorization: Bearer <api key>' with a key this service knows");
      }
      const bytes = await fileBytes(req);
      if (bytes.length === 0) refuse("bad_request", "empty upload");
      const cid = await content.put(bytes);
      return { status: 200, json: [{ Name: cid, Hash: cid, Size: String(bytes.length) }] };
    }
    if ((method === "POST" || method === "GET") && (m = /^\/api\/v0\/cat\/([^/]+)$/.exec(path))) return bytesOf(m[1]);
    if (method === "GET" && (m = /^\/ipfs\/([^/?]+)$/.exec(path))) return bytesOf(m[1]);
    if (method === "GET" && (m = /^\/api\/fileAccessConditions\/get\/([^/]+)$/.exec(path))) {
      for (let n = 1; n <= SHARES; n++) {
        const r = await proxy(req, n, path).catch(() => undefined);
        if (r && r.status === 200) return r;
      }
      refuse("not_found", `no access conditions for ${m[1]}`);
    }
    if ((m = /^\/api\/(setSharedKey|fileAccessConditions|retrieveSharedKey)\/(\d+)$/.exec(path))) {
      if (cfg.lighthouseApi === false)
        refuse("unsupported", "Lighthouse mode is off: reach the shard stores directly (GET /api/stores, Hexs /v2 endpoints)");
      return proxy(req, Number(m[2]), path);
    }
    refuse("not_found", `${method} ${path} is not an endpoint of this key service`);
  };

  const server: Server = serve(handler, (l) => log(`[front] ${l}`));
  let port: number;
  try {
    port = await listen(server, cfg.port ?? 0);
  } catch (e) {
    await Promise.all(stores.map((s) => s.close()));
    throw e;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    stores,
    storeUrls,
    content,
    issuerPublicKeyPem: issuer.publicKeyPem,
    async close() {
      await close(server);
      await Promise.all(stores.map((s) => s.close()));
    },
  };
}

// Our client for the key service, in two modes (README, "Two modes"):
//   * Hexs mode (the default for our service): the client reaches each shard store itself (store
//     URLs from the front's discovery or from config), signs one request challenge per store and
//     request (bound to the store, CID, operation, body hash and expiry), seals every uploaded
//     shard to the store's transport key and has every retrieved shard sealed to a key it made for
//     that request. The front never carries a shard.
//   * Lighthouse mode (real Lighthouse): Lighthouse's key-node API through its front; one checked
//     login challenge per operation.
// In both it talks to the stores in parallel (no 1 s sleeps), demands three distinct shards,
// checks the recovered key before using it, checks downloaded bytes against their CID, and never
// signs a challenge it has not parsed and checked.
import type { OfflineAminoSigner } from "@cosmjs/amino";
import { bytesToHex, randomInt, toBase64url, utf8, utf8ToBytes } from "./bytes";
import { checkLoginChallenge, parseAccount, signAdr36 } from "./challenge";
import { cidOf, parseRawCid, sha256, verifyCid } from "./cid";
import type { AccessCondition } from "./conditions";
import { KeyServiceError, refuse } from "./errors";
import { decryptFile, encryptFile } from "./file-cipher";
import type { KeyErrorCode } from "./errors";
import { generateKey, recoverMasterKey, SHARES, THRESHOLD } from "./threshold";
import type { KeyShard } from "./threshold";
import {
  checkRequestChallenge,
  formatRequestChallenge,
  newRequestChallenge,
  newTransportKey,
  open,
  parseRequestChallenge,
  replyInfo,
  seal,
  storeIdText,
  uploadInfo,
} from "./transport";
import type { StoreId, StoreOperation } from "./transport";

/** Who signs challenges: an EVM account (any ethers Signer fits) or a Cosmos amino signer. */
export type Holder =
  | { family: "evm"; address: string; signMessage(message: string): Promise<string> }
  | { family: "cosmos"; address: string; signer: OfflineAminoSigner };

export function evmHolder(
  signer: { getAddress(): Promise<string>; signMessage(m: string): Promise<string> },
  address: string,
): Holder {
  return { family: "evm", address, signMessage: (m) => signer.signMessage(m) };
}

export interface Endpoints {
  /** Key-node API base (Lighthouse: https://encryption.lighthouse.storage). */
  keyNodes: string;
  /** Upload base (Lighthouse: https://upload.lighthouse.storage). */
  upload: string;
  /** Gateway base serving /ipfs/<cid> (Lighthouse: https://gateway.lighthouse.storage). */
  gateway: string;
  /** Upload API key (Lighthouse needs one; the embedded service accepts none unless configured). */
  apiKey?: string;
  /** "hexs" (default): reach the stores directly; "lighthouse": Lighthouse's key-node API via `keyNodes`. */
  mode?: "hexs" | "lighthouse";
  /** Hexs mode: the shard stores' base URLs, store 1 first; default: the front's `GET /api/stores`. */
  stores?: string[];
}

export function localEndpoints(url: string, stores?: string[]): Endpoints {
  return { keyNodes: url, upload: url, gateway: url, mode: "hexs", ...(stores ? { stores } : {}) };
}

/** A shard store as the client reaches it in Hexs mode. */
export interface StoreEndpoint {
  index: number;
  url: string;
  id: StoreId;
}

/** The model a CID belongs to, for a creator's claim of it at the stores (README, "Who owns a CID"). */
export interface OwnershipClaim {
  chain: string;
  modelId: bigint | string;
  imageDigest: string;
}

/** Where the encrypted SDL lives and the key check its key must match: `ipfs://<cid>#kc=0x…`. */
export interface SdlLocator {
  cid: string;
  keyCheck?: string;
}

export function formatLocator(l: SdlLocator): string {
  return `ipfs://${l.cid}${l.keyCheck ? `#kc=${l.keyCheck}` : ""}`;
}

export function parseLocator(text: string): SdlLocator {
  const m = /^(?:ipfs:\/\/)?([A-Za-z0-9]+)(?:#kc=(0x[0-9a-f]{64}))?$/.exec(text.trim());
  if (!m) refuse("bad_request", `SDL locator '${text}' is not 'ipfs://<cid>' or 'ipfs://<cid>#kc=0x<64 hex>'`);
  return { cid: m[1], keyCheck: m[2] };
}

interface NodeAnswer {
  ok: boolean;
  status: number;
  body: Record<string, unknown>;
}

function codeFor(status: number, body: Record<string, unknown>): KeyErrorCode {
  if (typeof body.code === "string") return body.code as KeyErrorCode;
  if (status === 401) return "unauthenticated";
  if (status === 403 || status === 406) return "forbidden";
  if (status === 404) return "not_found";
  return "chain_unavailable";
}

export class KeyServiceClient {
  constructor(readonly endpoints: Endpoints) {}

  private get hexs(): boolean {
    return (this.endpoints.mode ?? "hexs") === "hexs";
  }

  private async call(
    path: string,
    method: string,
    token: string,
    body: unknown,
    base = this.endpoints.keyNodes,
    extra: Record<string, string> = {},
  ): Promise<NodeAnswer> {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        headers: { "content-type": "application/json", authorization: token ? `Bearer ${token}` : "", ...extra },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
    } catch (e) {
      refuse("chain_unavailable", `key service at ${base} is unreachable (${(e as Error).message})`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { message: text };
    }
    return {
      ok: res.ok,
      status: res.status,
      body: (Array.isArray(parsed) ? { items: parsed } : parsed) as Record<string, unknown>,
    };
  }

  /** Ask for a challenge and sign it. One signature opens each shard store once. */
  async authenticate(holder: Holder): Promise<{ message: string; token: string }> {
    const r = await this.call(`/api/message/${holder.address}`, "GET", "", undefined);
    const items = r.body.items as Array<{ message?: string }> | undefined;
    const message = items?.[0]?.message;
    if (!r.ok || typeof message !== "string")
      refuse(codeFor(r.status, r.body), `no challenge for ${holder.address}: ${String(r.body.message)}`);
    checkLoginChallenge(message, holder.address, Date.now(), this.endpoints.mode === "lighthouse");
    return { message, token: await this.sign(holder, message) };
  }

  /** Sign a message that was checked before this call (never call it with unchecked text). */
  private sign(holder: Holder, message: string): Promise<string> {
    return holder.family === "evm" ? holder.signMessage(message) : signAdr36(holder.signer, holder.address, message);
  }

  private storeList?: StoreEndpoint[];

  /**
   * Hexs mode: the five shard stores, from config or the front's discovery; each store's transport
   * key is read from the store itself. Cached for this client once all five have answered; a store
   * that does not answer is left out (`id` undefined) and asked again next time.
   */
  async stores(): Promise<Array<StoreEndpoint | { index: number; url: string; id?: undefined; error: string }>> {
    if (this.storeList) return this.storeList;
    let urls = this.endpoints.stores;
    if (!urls) {
      const r = await this.call("/api/stores", "GET", "", undefined);
      const list = r.body.stores as Array<{ index: number; url: string }> | undefined;
      if (!r.ok || !Array.isArray(list))
        refuse(codeFor(r.status, r.body), `the key service names no shard stores: ${String(r.body.message)}`);
      urls = [...list].sort((a, b) => a.index - b.index).map((s) => s.url);
    }
    if (urls.length !== SHARES) refuse("bad_request", `the key service needs ${SHARES} shard stores, ${urls.length} named`);
    const list = await Promise.all(
      urls.map(async (u, i) => {
        const url = u.replace(/\/+$/, "");
        try {
          const h = await this.call("/health", "GET", "", undefined, url);
          if (!h.ok || h.body.index !== i + 1 || typeof h.body.transportKey !== "string")
            return { index: i + 1, url, error: `shard store ${i + 1} at ${url} does not answer as store ${i + 1}` };
          return { index: i + 1, url, id: { index: i + 1, transportKey: h.body.transportKey } };
        } catch (e) {
          return { index: i + 1, url, error: (e as Error).message };
        }
      }),
    );
    if (list.every((s) => s.id)) this.storeList = list as StoreEndpoint[];
    return list;
  }

  /** All five stores, or a refusal naming the first one that does not answer. */
  private async allStores(): Promise<StoreEndpoint[]> {
    const list = await this.stores();
    const down = list.find((s) => !s.id);
    if (down && !down.id) refuse("chain_unavailable", down.error);
    return list as StoreEndpoint[];
  }

  /** One Hexs request to one store: a fresh request challenge for exactly this body, checked, signed. */
  private async storeRequest(
    store: StoreEndpoint,
    op: StoreOperation,
    cid: string,
    holder: Holder,
    body: Record<string, unknown>,
  ): Promise<NodeAnswer & { nonce: string }> {
    const text = JSON.stringify(body);
    const challenge = newRequestChallenge(holder.address, store.id, cid, op, text, Date.now());
    const message = formatRequestChallenge(challenge);
    const want = { address: holder.address, store: storeIdText(store.id), cid, op, body: text };
    checkRequestChallenge(parseRequestChallenge(message), want, Date.now());
    const token = await this.sign(holder, message);
    const a = await this.call(`/v2/${op}/${encodeURIComponent(cid)}`, "POST", token, text, store.url, {
      "x-hexs-challenge": toBase64url(utf8ToBytes(message)),
    });
    return { ...a, nonce: challenge.nonce };
  }

  /** Hexs mode: one request per store, all five in parallel; all must accept. */
  private async toEveryStore(
    op: StoreOperation,
    holder: Holder,
    cid: string,
    body: (s: StoreEndpoint) => Record<string, unknown>,
  ): Promise<void> {
    const stores = await this.allStores();
    const answers = await Promise.all(stores.map((s) => this.storeRequest(s, op, cid, holder, body(s))));
    const bad = answers.findIndex((a) => !a.ok);
    if (bad >= 0) {
      const a = answers[bad];
      refuse(codeFor(a.status, a.body), `shard store ${bad + 1} refused ${op}: ${String(a.body.message)}`);
    }
  }

  /** Send one request to all five stores in parallel; all must accept. */
  private async toAllStores(
    op: string,
    method: string,
    holder: Holder,
    body: (n: number) => Record<string, unknown>,
  ): Promise<void> {
    const { message, token } = await this.authenticate(holder);
    const answers = await Promise.all(
      Array.from({ length: SHARES }, (_, i) =>
        this.call(`/api/${op}/${i + 1}`, method, token, { ...body(i + 1), address: holder.address, message }),
      ),
    );
    const bad = answers.findIndex((a) => !a.ok);
    if (bad >= 0) {
      const a = answers[bad];
      refuse(codeFor(a.status, a.body), `shard store ${bad + 1} refused ${op}: ${String(a.body.message)}`);
    }
  }

  /** Store bytes (already encrypted) and return their CID, checked against our own hash. */
  async put(bytes: Uint8Array): Promise<string> {
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(bytes)]), "sdl.enc");
    const res = await fetch(`${this.endpoints.upload}/api/v0/add?cid-version=1`, {
      method: "POST",
      body: form,
      headers: {
        Encryption: "true",
        "Mime-Type": "application/octet-stream",
        Authorization: `Bearer ${this.endpoints.apiKey ?? ""}`,
      },
    });
    if (!res.ok) refuse("bad_request", `upload to ${this.endpoints.upload} failed: HTTP ${res.status} ${await res.text()}`);
    const answer = (await res.json()) as Array<{ Hash?: string }> | { Hash?: string };
    const cid = Array.isArray(answer) ? answer[0]?.Hash : answer.Hash;
    if (typeof cid !== "string") refuse("integrity", "the upload answer names no CID");
    const ours = await cidOf(bytes);
    if (cid.startsWith("bafkrei") && cid !== ours)
      refuse("integrity", `the service named the upload ${cid}, but its bytes hash to ${ours}`);
    return cid;
  }

  /** Fetch bytes by CID from the gateway and verify them against the CID. */
  async get(cid: string): Promise<Uint8Array> {
    const res = await fetch(`${this.endpoints.gateway}/ipfs/${cid}`);
    if (!res.ok) refuse(res.status === 404 ? "not_found" : "chain_unavailable", `gateway has no ${cid} (HTTP ${res.status})`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    await parseRawCid(cid).then(
      () => verifyCid(cid, bytes),
      (e: unknown) => {
        if (!(e instanceof KeyServiceError && e.code === "unsupported")) throw e; // not locally verifiable: AES-GCM still is
      },
    );
    return bytes;
  }

  /** First upload: the key shards (one per store) with the access conditions. */
  async saveShards(
    owner: Holder,
    cid: string,
    shards: KeyShard[],
    conditions?: { conditions: AccessCondition[]; aggregator?: string },
    claim?: OwnershipClaim,
  ): Promise<void> {
    if (this.hexs) {
      await this.toEveryStore("upload", owner, cid, (s) => ({
        shard: seal(s.id.transportKey, JSON.stringify(shards[s.index - 1]), uploadInfo(storeIdText(s.id), cid)),
        ...(conditions ? { conditions: { ...conditions, chainType: "EVM" } } : {}),
        ...(claim ? { claim: { ...claim, modelId: claim.modelId.toString() } } : {}),
      }));
      return;
    }
    if (claim) refuse("unsupported", "claims of a CID exist only in Hexs mode (Lighthouse's first uploader owns a CID)");
    if (conditions) {
      await this.toAllStores("fileAccessConditions", "POST", owner, (n) => ({
        cid,
        payload: shards[n - 1],
        conditions: conditions.conditions,
        aggregator: conditions.aggregator,
        chainType: "EVM",
        decryptionType: "ACCESS_CONDITIONS",
      }));
    } else {
      await this.toAllStores("setSharedKey", "POST", owner, (n) => ({ cid, payload: shards[n - 1] }));
    }
  }

  /** Replace the access conditions (owner only). */
  async setConditions(
    owner: Holder,
    cid: string,
    conditions: { conditions: AccessCondition[]; aggregator?: string },
  ): Promise<void> {
    if (this.hexs) {
      await this.toEveryStore("conditions", owner, cid, () => ({ ...conditions, chainType: "EVM" }));
      return;
    }
    await this.toAllStores("fileAccessConditions", "PUT", owner, () => ({
      cid,
      conditions: conditions.conditions,
      aggregator: conditions.aggregator,
      chainType: "EVM",
    }));
  }

  /**
   * Let `addresses` fetch the key too (Lighthouse's share; owner only). The Hexs use: the creator
   * grants the relayer operators, so the lease pipeline can decrypt the SDL as the operator key.
   */
  async share(owner: Holder, cid: string, addresses: string[]): Promise<void> {
    const list = addresses.map((a) => parseAccount(a).address);
    if (!list.length) refuse("bad_request", "name at least one address to share with");
    if (this.hexs) return this.toEveryStore("share", owner, cid, () => ({ sharedTo: list }));
    await this.toAllStores("setSharedKey", "POST", owner, () => ({ cid, sharedTo: list }));
  }

  /**
   * Take back what `share` gave (owner only, Hexs mode): `addresses` no longer fetch the key on their
   * own account (they still do if the access conditions admit them, e.g. by a live key).
   */
  async unshare(owner: Holder, cid: string, addresses: string[]): Promise<void> {
    const list = addresses.map((a) => parseAccount(a).address);
    if (!list.length) refuse("bad_request", "name at least one address to stop sharing with");
    if (!this.hexs) refuse("unsupported", "revoking a share exists only in Hexs mode (Lighthouse's shares are permanent)");
    await this.toEveryStore("unshare", owner, cid, () => ({ sharedTo: list }));
  }

  /**
   * Recover a file's key as `holder`: THRESHOLD random stores in parallel, the others only if
   * some refuse or a shard is wrong. Refusals are reported with the stores' reasons.
   */
  async fetchKey(holder: Holder, cid: string, keyCheck?: string): Promise<string> {
    let ask: (n: number) => Promise<NodeAnswer & { shard?: KeyShard }>;
    if (this.hexs) {
      // A reply key made for this retrieval only: each store seals its shard to it.
      const reply = newTransportKey();
      const stores = await this.stores();
      ask = async (n) => {
        const s = stores[n - 1];
        if (!s.id) return { ok: false, status: 503, body: { code: "chain_unavailable", message: s.error } };
        let a: NodeAnswer & { nonce: string };
        try {
          a = await this.storeRequest(s, "retrieve", cid, holder, { replyKey: reply.publicKey });
        } catch (e) {
          // The wallet refused to sign (or failed): stop here rather than ask it again for every
          // other store. Unreachable stores come back as KeyServiceErrors and are tried around.
          if (!(e instanceof KeyServiceError) || e.code === "bad_challenge") throw e;
          return { ok: false, status: 503, body: { code: "chain_unavailable", message: e.message } };
        }
        if (!a.ok) return a;
        try {
          return {
            ...a,
            shard: JSON.parse(utf8(open(reply, a.body.sealed, replyInfo(storeIdText(s.id), cid, a.nonce)))),
          };
        } catch (e) {
          return {
            ok: false,
            status: 502,
            body: { code: "integrity", message: `store ${n}'s sealed shard: ${(e as Error).message}` },
          };
        }
      };
    } else {
      const { message, token } = await this.authenticate(holder);
      ask = async (n) => {
        const a = await this.call(`/api/retrieveSharedKey/${n}`, "POST", token, { address: holder.address, cid, message });
        return { ...a, shard: a.body.payload as KeyShard | undefined };
      };
    }
    return this.collectKey(holder, cid, keyCheck, ask);
  }

  private async collectKey(
    holder: Holder,
    cid: string,
    keyCheck: string | undefined,
    request: (n: number) => Promise<NodeAnswer & { shard?: KeyShard }>,
  ): Promise<string> {
    const order = Array.from({ length: SHARES }, (_, i) => i + 1);
    for (let i = order.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const shards: KeyShard[] = [];
    const refusals: Array<{ store: number; a: NodeAnswer }> = [];
    const ask = async (n: number) => {
      const a = await request(n);
      const p = a.shard;
      if (a.ok && p && typeof p.key === "string" && typeof p.index === "string") shards.push(p);
      else refusals.push({ store: n, a });
    };
    await Promise.all(order.slice(0, THRESHOLD).map(ask));
    if (shards.length >= THRESHOLD) {
      try {
        return await recoverMasterKey(shards, keyCheck);
      } catch (e) {
        if (!(e instanceof KeyServiceError && e.code === "integrity")) throw e;
      }
    }
    await Promise.all(order.slice(THRESHOLD).map(ask));
    if (shards.length < THRESHOLD) {
      const first = refusals.find((r) => codeFor(r.a.status, r.a.body) === "forbidden") ?? refusals[0];
      refuse(
        codeFor(first.a.status, first.a.body),
        `${holder.address} got ${shards.length} of the ${THRESHOLD} key shards needed for ${cid}: ${String(first.a.body.message)}`,
      );
    }
    return recoverMasterKey(shards, keyCheck);
  }
}

// ------------------------------------------------------------------ file-level operations

export interface EncryptedUpload {
  cid: string;
  keyCheck: string;
  locator: string;
  /** sha256 of the encrypted bytes: the CID's digest and the registry commitment's first input. */
  encryptedSha256: string;
  encryptedBytes: number;
}

/** Encrypt (AES-256-GCM under the SDK's PBKDF2 scheme), upload, and give the stores the shards. */
export async function encryptAndUpload(
  client: KeyServiceClient,
  owner: Holder,
  plaintext: Uint8Array,
  conditions?: { conditions: AccessCondition[]; aggregator?: string },
): Promise<EncryptedUpload> {
  const { masterKey, shards, keyCheck } = await generateKey();
  const encrypted = await encryptFile(plaintext, masterKey);
  const cid = await client.put(encrypted);
  await client.saveShards(owner, cid, shards, conditions);
  return {
    cid,
    keyCheck,
    locator: formatLocator({ cid, keyCheck }),
    encryptedSha256: "0x" + bytesToHex(sha256(encrypted)),
    encryptedBytes: encrypted.length,
  };
}

/**
 * Decrypt a file as `holder`, in Node or in the page; refusals (no key, expired, replay, forged)
 * surface as KeyServiceError. (Node callers use index.ts's decryptForHolder, which gives a Buffer.)
 */
export async function decryptSdl(client: KeyServiceClient, holder: Holder, locator: string): Promise<Uint8Array> {
  const { cid, keyCheck } = parseLocator(locator);
  const [key, encrypted] = await Promise.all([client.fetchKey(holder, cid, keyCheck), client.get(cid)]);
  try {
    return await decryptFile(encrypted, key);
  } catch {
    refuse("integrity", `the recovered key does not decrypt ${cid} (AES-GCM tag mismatch): wrong key or tampered file`);
  }
}

// Our client for the key-node API (Lighthouse's endpoints): works against the embedded key
// service and, for EVM holders and EVM conditions, against Lighthouse itself. Unlike the SDK it
// signs one challenge per operation, talks to the stores in parallel (no 1 s sleeps), demands
// three distinct shards and checks the recovered key before using it, and checks downloaded
// bytes against their CID.
import { randomInt } from "node:crypto";
import type { OfflineAminoSigner } from "@cosmjs/amino";
import { decryptFile, encryptFile } from "@lighthouse-web3/sdk/dist/Lighthouse/uploadEncrypted/encryptionNode";
import { parseAccount, signAdr36 } from "./auth";
import { cidOf, parseRawCid, sha256, verifyCid } from "./cid";
import type { AccessCondition } from "./conditions";
import { KeyServiceError, refuse } from "./errors";
import type { KeyErrorCode } from "./errors";
import { generateKey, recoverMasterKey, SHARES, THRESHOLD } from "./threshold";
import type { KeyShard } from "./threshold";

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
}

export function localEndpoints(url: string): Endpoints {
  return { keyNodes: url, upload: url, gateway: url };
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

  private async call(path: string, method: string, token: string, body: unknown): Promise<NodeAnswer> {
    let res: Response;
    try {
      res = await fetch(this.endpoints.keyNodes + path, {
        method,
        headers: { "content-type": "application/json", authorization: token ? `Bearer ${token}` : "" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      refuse("chain_unavailable", `key service at ${this.endpoints.keyNodes} is unreachable (${(e as Error).message})`);
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
    const token =
      holder.family === "evm" ? await holder.signMessage(message) : await signAdr36(holder.signer, holder.address, message);
    return { message, token };
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
  async get(cid: string): Promise<Buffer> {
    const res = await fetch(`${this.endpoints.gateway}/ipfs/${cid}`);
    if (!res.ok) refuse(res.status === 404 ? "not_found" : "chain_unavailable", `gateway has no ${cid} (HTTP ${res.status})`);
    const bytes = Buffer.from(await res.arrayBuffer());
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
  ): Promise<void> {
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
    await this.toAllStores("setSharedKey", "POST", owner, () => ({ cid, sharedTo: list }));
  }

  /**
   * Recover a file's key as `holder`: THRESHOLD random stores in parallel, the others only if
   * some refuse or a shard is wrong. Refusals are reported with the stores' reasons.
   */
  async fetchKey(holder: Holder, cid: string, keyCheck?: string): Promise<string> {
    const { message, token } = await this.authenticate(holder);
    const order = Array.from({ length: SHARES }, (_, i) => i + 1);
    for (let i = order.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const shards: KeyShard[] = [];
    const refusals: Array<{ store: number; a: NodeAnswer }> = [];
    const ask = async (n: number) => {
      const a = await this.call(`/api/retrieveSharedKey/${n}`, "POST", token, { address: holder.address, cid, message });
      const p = a.body.payload as KeyShard | undefined;
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
  const encrypted = Buffer.from(await encryptFile(plaintext, masterKey));
  const cid = await client.put(encrypted);
  await client.saveShards(owner, cid, shards, conditions);
  return {
    cid,
    keyCheck,
    locator: formatLocator({ cid, keyCheck }),
    encryptedSha256: "0x" + sha256(encrypted).toString("hex"),
    encryptedBytes: encrypted.length,
  };
}

/** Decrypt a file as `holder`; refusals (no key, expired, replay, forged) surface as KeyServiceError. */
export async function decryptForHolder(client: KeyServiceClient, holder: Holder, locator: string): Promise<Buffer> {
  const { cid, keyCheck } = parseLocator(locator);
  const [key, encrypted] = await Promise.all([client.fetchKey(holder, cid, keyCheck), client.get(cid)]);
  try {
    return Buffer.from((await decryptFile(encrypted, key)) as ArrayBuffer);
  } catch {
    refuse("integrity", `the recovered key does not decrypt ${cid} (AES-GCM tag mismatch): wrong key or tampered file`);
  }
}

// The Akash side of the pipeline, written only against chain-sdk (queries through the
// gRPC-gateway REST API, txs through its cosmjs signing client) so the same code talks to
// the stand-in and to a real node and provider.
import { createHash } from "node:crypto";
import { Secp256k1HdWallet } from "@cosmjs/amino";
import { StargateClient } from "@cosmjs/stargate";
import {
  akashV1,
  chainSdk,
  chainSdkWeb,
  cosmosV1beta1,
  type ChainNodeWebSdk,
  type StargateTxClient,
  type TxRaw,
} from "./chain-sdk";
import { AkashError, ChainTxError, ProviderRejectedError } from "./errors";
import { createOwnerJwt } from "./jwt";
import type { PreparedSdl } from "./sdl";

export interface AkashEndpoints {
  chainId: string;
  /** CometBFT RPC (txs, heights) */
  rpcUrl: string;
  /** gRPC-gateway REST (queries) */
  restUrl: string;
  /** fee gas price; fees are paid in uakt */
  gasPrice?: string;
  /** how long to wait for a broadcast tx to be included */
  txTimeoutMs?: number;
  txPollMs?: number;
}

export interface BidInfo {
  owner: string;
  dseq: string;
  gseq: number;
  oseq: number;
  provider: string;
  bseq: number;
  /** uact per block, decimal string */
  price: string;
  denom: string;
}

export interface LeaseInfo extends BidInfo {
  state: "active" | "insufficient_funds" | "closed" | "unknown";
}

export interface DeploymentInfo {
  state: "active" | "closed" | "unknown";
  hashHex: string;
  escrowUact: string | null;
}

export type TxKind = "create-deployment" | "create-lease" | "close-deployment" | "account-deposit" | "update-deployment";

export interface TxHooks {
  /** called with the tx hash once signed; the broadcast waits for it (persist the hash here) */
  onSigned?(hash: string): void | Promise<void>;
}

/**
 * The chain-sdk's signer, except that the broadcast waits for `afterSign` when it returns a
 * promise (the chain-sdk calls it without waiting): a hash persisted asynchronously (SQLite or
 * PostgreSQL) is on disk before the transaction can reach the chain.
 */
function persistBeforeBroadcast(tx: StargateTxClient): StargateTxClient {
  return {
    ...tx,
    async signAndBroadcast(messages, options) {
      const given = options?.fee;
      const fee =
        given?.amount && given.gas
          ? { ...given, amount: given.amount, gas: given.gas }
          : { ...(await tx.estimateFee(messages, options?.memo)), ...given };
      const raw = await tx.sign(messages, fee, options?.memo || "", undefined, options?.timeoutHeight);
      await (options?.afterSign as ((raw: TxRaw) => void | Promise<void>) | undefined)?.(raw);
      return tx.broadcast(raw);
    },
  };
}

export class AkashClient {
  private reader?: StargateClient;
  private constructor(
    readonly endpoints: AkashEndpoints,
    readonly address: string,
    private readonly txClient: StargateTxClient | undefined,
    private readonly sdk: ChainNodeWebSdk,
    private readonly wallet: Secp256k1HdWallet | undefined,
  ) {}

  /** Queries only (no account): what a relayer co-signer uses to check a reported lease itself. */
  static readOnly(endpoints: AkashEndpoints): AkashClient {
    const sdk = chainSdkWeb.createChainNodeWebSDK({
      query: { baseUrl: endpoints.restUrl, transportOptions: { retry: { maxAttempts: 3, maxDelayMs: 1_000 } } },
    });
    return new AkashClient(endpoints, "", undefined, sdk, undefined);
  }

  private get tx(): StargateTxClient {
    if (!this.txClient)
      throw new AkashError("read_only", "this Akash client is read-only (no account): it cannot sign transactions", {
        retryable: false,
      });
    return this.txClient;
  }

  private get amino(): Secp256k1HdWallet {
    if (!this.wallet)
      throw new AkashError("read_only", "this Akash client is read-only (no account): it cannot sign provider JWTs", {
        retryable: false,
      });
    return this.wallet;
  }

  /** An Akash account from its BIP-39 mnemonic (HD path m/44'/118'/0'/0/0, prefix akash). */
  static async fromMnemonic(mnemonic: string, endpoints: AkashEndpoints): Promise<AkashClient> {
    const words = mnemonic.trim().split(/\s+/);
    if (![12, 15, 18, 21, 24].includes(words.length))
      throw new AkashError("config_invalid", `the Akash mnemonic has ${words.length} words; expected 12 or 24 (BIP-39)`, {
        retryable: false,
      });
    const amino = await Secp256k1HdWallet.fromMnemonic(words.join(" "), { prefix: "akash" });
    const [acct] = await amino.getAccounts();
    const tx = persistBeforeBroadcast(
      chainSdk.createStargateClient({
        baseUrl: endpoints.rpcUrl,
        signerMnemonic: words.join(" "),
        defaultGasPrice: endpoints.gasPrice ?? "0.025uakt",
        stargateOptions: {
          broadcastTimeoutMs: endpoints.txTimeoutMs ?? 30_000,
          broadcastPollIntervalMs: endpoints.txPollMs ?? 500,
        },
      }),
    );
    const sdk = chainSdkWeb.createChainNodeWebSDK({
      query: { baseUrl: endpoints.restUrl, transportOptions: { retry: { maxAttempts: 3, maxDelayMs: 1_000 } } },
      tx: { signer: tx },
    });
    return new AkashClient(endpoints, acct.address, tx, sdk, amino);
  }

  async close(): Promise<void> {
    await this.txClient?.disconnect();
    this.reader?.disconnect();
  }

  private async read(): Promise<StargateClient> {
    this.reader ??= await StargateClient.connect(this.endpoints.rpcUrl);
    return this.reader;
  }

  async height(): Promise<number> {
    return (await this.read()).getHeight();
  }

  async chainId(): Promise<string> {
    return (await this.read()).getChainId();
  }

  /** Status of a tx by hash: undefined while unknown to the chain (not yet in a block). */
  async findTx(hash: string): Promise<{ code: number; height: number } | undefined> {
    const t = await (await this.read()).getTx(hash);
    return t ? { code: t.code, height: t.height } : undefined;
  }

  // ------------------------------------------------------------------ queries

  async deployment(owner: string, dseq: string): Promise<DeploymentInfo | undefined> {
    try {
      const r = await this.sdk.akash.deployment.v1beta4.getDeployment({ id: { owner, dseq } });
      const d = r.deployment;
      if (!d) return undefined;
      const funds = r.escrowAccount?.state?.funds?.[0];
      return {
        state: d.state === 1 ? "active" : d.state === 2 ? "closed" : "unknown",
        hashHex: Buffer.from(d.hash).toString("hex"),
        escrowUact: funds ? funds.amount : null,
      };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async openBids(owner: string, dseq: string): Promise<BidInfo[]> {
    const r = await this.sdk.akash.market.v1beta5.getBids({ filters: { owner, dseq, state: "open" } });
    return r.bids.flatMap((b) =>
      b.bid?.id ? [{ ...idOf(b.bid.id), price: b.bid.price?.amount ?? "0", denom: b.bid.price?.denom ?? "" }] : [],
    );
  }

  async leases(owner: string, dseq: string): Promise<LeaseInfo[]> {
    const r = await this.sdk.akash.market.v1beta5.getLeases({ filters: { owner, dseq } });
    const states: Record<number, LeaseInfo["state"]> = { 1: "active", 2: "insufficient_funds", 3: "closed" };
    return r.leases.flatMap((l) =>
      l.lease?.id
        ? [
            {
              ...idOf(l.lease.id),
              price: l.lease.price?.amount ?? "0",
              denom: l.lease.price?.denom ?? "",
              state: states[l.lease.state] ?? "unknown",
            },
          ]
        : [],
    );
  }

  async providerInfo(provider: string): Promise<{ hostUri: string; attributes: { key: string; value: string }[] }> {
    const r = await this.sdk.akash.provider.v1beta4.getProvider({ owner: provider });
    const uri = r.provider?.hostUri;
    if (!uri) throw new AkashError("provider_unknown", `provider ${provider} has no host URI on chain`, { retryable: false });
    return { hostUri: uri, attributes: (r.provider?.attributes ?? []).map((a) => ({ key: a.key, value: a.value })) };
  }

  async providerHostUri(provider: string): Promise<string> {
    return (await this.providerInfo(provider)).hostUri;
  }

  // ------------------------------------------------------------------ transactions

  async createDeployment(dseq: string, prepared: PreparedSdl, depositUact: bigint, hooks: TxHooks = {}): Promise<void> {
    await this.send("MsgCreateDeployment", hooks, (opts) =>
      this.sdk.akash.deployment.v1beta4.createDeployment(
        {
          id: { owner: this.address, dseq },
          groups: prepared.groupSpecs,
          hash: prepared.manifestHash,
          deposit: { amount: { denom: "uact", amount: depositUact.toString() }, sources: [akashV1.Source.balance] },
        },
        opts,
      ),
    );
  }

  async createLease(bid: BidInfo, hooks: TxHooks = {}): Promise<void> {
    await this.send("MsgCreateLease", hooks, (opts) =>
      this.sdk.akash.market.v1beta5.createLease(
        { bidId: { owner: bid.owner, dseq: bid.dseq, gseq: bid.gseq, oseq: bid.oseq, provider: bid.provider, bseq: bid.bseq } },
        opts,
      ),
    );
  }

  async closeDeployment(dseq: string, hooks: TxHooks = {}): Promise<void> {
    await this.send("MsgCloseDeployment", hooks, (opts) =>
      this.sdk.akash.deployment.v1beta4.closeDeployment({ id: { owner: this.address, dseq } }, opts),
    );
  }

  /**
   * Give an active deployment a new version (the sha256 of its new manifest), in place: same dseq,
   * lease and escrow; the provider then accepts only the new version's manifest (PUT it next).
   */
  async updateDeployment(dseq: string, manifestHash: Uint8Array, hooks: TxHooks = {}): Promise<void> {
    await this.send("MsgUpdateDeployment", hooks, (opts) =>
      this.sdk.akash.deployment.v1beta4.updateDeployment({ id: { owner: this.address, dseq }, hash: manifestHash }, opts),
    );
  }

  /** Top up a deployment's escrow (escrow.v1 MsgAccountDeposit; the signer pays). */
  async accountDeposit(owner: string, dseq: string, amountUact: bigint, hooks: TxHooks = {}): Promise<void> {
    await this.send("MsgAccountDeposit", hooks, (opts) =>
      this.sdk.akash.escrow.v1.accountDeposit(
        {
          signer: this.address,
          id: { scope: akashV1.Scope.deployment, xid: `${owner}/${dseq}` },
          deposit: { amount: { denom: "uact", amount: amountUact.toString() }, sources: [akashV1.Source.balance] },
        },
        opts,
      ),
    );
  }

  private async send(
    what: string,
    hooks: TxHooks,
    // afterSign's promise is awaited by persistBeforeBroadcast (the chain-sdk's type says void)
    call: (opts: { memo: string; afterSign: (raw: TxRaw) => void | Promise<void> }) => Promise<unknown>,
  ): Promise<void> {
    let hash: string | undefined;
    try {
      await call({
        memo: `hexs-relayer: ${what}`,
        afterSign: (raw) => {
          hash = txHash(raw);
          return hooks.onSigned?.(hash);
        },
      });
    } catch (e) {
      throw toChainError(what, e, hash);
    }
  }

  /** A provider-API JWT of this account for `provider`. */
  jwt(provider: string, ttlSeconds = 300): Promise<string> {
    return createOwnerJwt(this.amino, this.address, { provider, ttlSeconds });
  }

  /** PUT the manifest to the provider (`hostUri` from chain) with this owner's JWT. */
  async sendManifest(provider: string, dseq: string, manifestJson: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    const hostUri = await this.providerHostUri(provider);
    const token = await this.jwt(provider);
    let res: Response;
    try {
      res = await fetch(new URL(`/deployment/${dseq}/manifest`, hostUri), {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: manifestJson,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
    } catch (e) {
      throw new AkashError(
        "provider_unreachable",
        `could not reach provider ${provider} at ${hostUri}: ${(e as Error).message}`,
        { retryable: true, cause: e },
      );
    }
    if (!res.ok) throw new ProviderRejectedError(provider, res.status, await res.text());
  }

  /** GET the lease status from the provider: true when every service reports ready replicas. */
  async leaseReady(lease: { provider: string; dseq: string; gseq: number; oseq: number }): Promise<boolean> {
    const hostUri = await this.providerHostUri(lease.provider);
    const token = await this.jwt(lease.provider);
    const res = await fetch(new URL(`/lease/${lease.dseq}/${lease.gseq}/${lease.oseq}/status`, hostUri), {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) return false;
    const body = (await res.json()) as { services?: Record<string, { available?: number; total?: number }> };
    const services = Object.values(body.services ?? {});
    return services.length > 0 && services.every((s) => (s.available ?? 0) >= (s.total ?? 1));
  }
}

function idOf(id: { owner: string; dseq: { toString(): string }; gseq: number; oseq: number; provider: string; bseq: number }) {
  return { owner: id.owner, dseq: id.dseq.toString(), gseq: id.gseq, oseq: id.oseq, provider: id.provider, bseq: id.bseq };
}

export function txHash(raw: TxRaw): string {
  const bytes = cosmosV1beta1.TxRaw.encode(cosmosV1beta1.TxRaw.fromPartial(raw)).finish();
  return createHash("sha256").update(bytes).digest("hex").toUpperCase();
}

function isNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && "code" in e && (e as { code: unknown }).code === 5;
}

/** cosmjs / chain-sdk failures → ChainTxError (rejected) or a transient AkashError. */
function toChainError(what: string, e: unknown, hash: string | undefined): Error {
  const err = e as Error & {
    code?: number;
    codespace?: string;
    log?: string;
    txId?: string;
    txResponse?: { code: number; rawLog?: string; transactionHash?: string };
  };
  if (err?.name === "TxError" && err.txResponse) {
    // DeliverTx failure: the tx is in a block with a non-zero code
    return new ChainTxError(
      what,
      err.txResponse.code,
      "deliver",
      err.txResponse.rawLog ?? err.message,
      err.txResponse.transactionHash ?? hash,
    );
  }
  if (err?.name === "BroadcastTxError" || (typeof err?.code === "number" && typeof err?.codespace === "string")) {
    return new ChainTxError(what, err.code ?? 1, err.codespace ?? "", err.log ?? err.message, hash);
  }
  if (err?.name === "TimeoutError" || err?.txId) {
    return new AkashError(
      "tx_not_in_block",
      `${what} ${err.txId ?? hash ?? ""} was broadcast but not seen in a block in time: will check the chain before retrying`,
      { retryable: true, cause: e },
    );
  }
  // simulation (gas estimate) failures come back as ABCI query errors carrying the chain's code
  const msg = err?.message ?? String(e);
  const sim = /Query failed with \((\d+)\): ([\s\S]*)/.exec(msg);
  if (sim)
    return new ChainTxError(
      `${what} (simulation)`,
      Number(sim[1]),
      /sequence mismatch/.test(sim[2]) ? "sdk" : "simulate",
      sim[2].trim(),
      hash,
    );
  return new AkashError("akash_unavailable", `${what} failed: ${msg}`, { retryable: true, cause: e });
}

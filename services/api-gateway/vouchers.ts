// Prepaid calls for the API gateway: a call carrying a voucher (sdk/api/vouchers.ts) is paid from
// the payer's deposit in HexsApiPayments, in the channel (payer, model, currency, this gateway).
//
// Per call, without a transaction: the voucher must name this gateway, the model of the route and
// the gateway's currency, stay valid at least `minVoucherLifetimeSeconds` (time to redeem it), be
// signed by its payer (EIP-712, checked locally), raise the channel's total by at least the call's
// price over the last voucher accepted, and stay within the deposit (read from the chain, reused
// `channelCacheMs`). A channel whose payer asked for its deposit back is refused: the contract's
// one-day delay then leaves the gateway ample time to redeem what it served.
// The gateway's exposure to a payer is what it served but has not redeemed yet (accepted minus
// redeemed, over the payer's channels); past `maxUnsettledPerPayer` calls get 402 until a batch
// settles. Batches (the latest voucher per channel, `maxBatch` at most) are redeemed off the
// request path: every `settleEveryMs`, when a payer reaches half its cap, and on flush().
// Only a complete 2xx answer is charged: otherwise the channel goes back to its previous voucher.
// One bad voucher reverts a whole redeemVouchers call, so each batch is simulated first (eth_call):
// a revert naming a voucher (its index) parks that voucher with the reason, anything else undecoded
// is narrowed down by simulating the vouchers one by one; the rest is redeemed. A parked voucher is
// never retried and its payer gets no more calls on credit (402 voucher_payer_suspended). A voucher
// the chain already counts as redeemed (stale) is only marked redeemed. Failures that name no
// voucher (RPC down, contract paused) leave the batch for the next round; the rounds the gateway
// starts itself (timer, half the cap, a call over the cap) then back off, doubling from
// `redeemBackoffMs` up to `maxRedeemBackoffMs`, so a paused contract or a down RPC is not asked
// again on every call. flush() (an operator's or a test's explicit round) does not wait.
import Database from "better-sqlite3";
import {
  BaseError,
  concatHex,
  ContractFunctionRevertedError,
  createWalletClient,
  defineChain,
  domainSeparator,
  encodeAbiParameters,
  getAddress,
  http,
  keccak256,
  publicActions,
  recoverAddress,
  toHex,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ApiRefusal, refuseApi } from "../../sdk/api/request";
import { decodeVoucherHeader, VOUCHER_TYPES, type Voucher } from "../../sdk/api/vouchers";
import { messageOf } from "../../sdk/errors";
import { API_PAYMENTS_ABI } from "./api-payments-abi";
import { PayerKeys } from "./fast-verify";

// The voucher's EIP-712 digest is built here from its fixed type and a domain separator computed
// once: viem's generic hashTypedData re-hashes the domain and re-validates the type per call
// (measured on the loaded 2-core machine: 1.25 ms against 0.21 ms). Signature recovery itself
// (@noble/curves, ~3 ms there) is the rest of the voucher path's CPU. test/api/vouchers.test.ts
// checks the digest against hashTypedData under the contract's domain separator.
const VOUCHER_TYPEHASH = keccak256(toHex(`Voucher(${VOUCHER_TYPES.Voucher.map((f) => `${f.type} ${f.name}`).join(",")})`));

/** The EIP-712 digest the payer signs for `v` under the domain separator `domain`. */
export function voucherDigest(domain: Hex, v: Voucher): Hex {
  const struct = keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "address" },
        { type: "uint64" },
        { type: "address" },
        { type: "address" },
        { type: "uint256" },
        { type: "uint64" },
      ],
      [VOUCHER_TYPEHASH, v.payer as Hex, v.modelId, v.currency as Hex, v.gateway as Hex, v.cumulative, v.expiry],
    ),
  );
  return keccak256(concatHex(["0x1901", domain, struct]));
}

export interface VoucherConfig {
  /** the EVM chain (a name in GatewayConfig.chains) deposits are on */
  chain: string;
  /** HexsApiPayments on that chain */
  apiPayments: string;
  /** the API currency vouchers are paid in */
  asset: string;
  /** private key (0x…) of the account vouchers name as gateway: it redeems them (and pays the gas) */
  gatewayKey: string;
  /** the most served-but-unredeemed value per payer, in the asset's smallest unit */
  maxUnsettledPerPayer: bigint | string;
  /** redeem a batch this often, ms; default 60 000 (0: only at half the cap and on flush) */
  settleEveryMs?: number;
  /** start a batch as soon as a payer's exposure reaches half the cap; default true */
  settleAtHalfCap?: boolean;
  /** vouchers per redeem transaction; default 100 */
  maxBatch?: number;
  /** a voucher must stay valid this long after the call, s; default 3 600 */
  minVoucherLifetimeSeconds?: number;
  /** reuse a channel's deposit and a model's price read from the chain this long, ms; default 5 000 */
  channelCacheMs?: number;
  /** the voucher ledger's SQLite file; default in memory (a restart then forgets unredeemed vouchers) */
  vouchersDb?: string;
  /** output tokens charged when a call names no max_tokens and the price has a per-1k part; default 2048 */
  defaultMaxTokens?: number;
  /** receipt polling of the redeeming client, ms; default 250 */
  pollingMs?: number;
  /** after a round fails for a reason naming no voucher, automatic rounds wait this long, doubling; default 1 000 ms */
  redeemBackoffMs?: number;
  /** the longest such wait, ms; default 60 000 */
  maxRedeemBackoffMs?: number;
}

export interface VoucherMetrics {
  paidCalls: { inc(labels: { model: string }): void };
  revenue: { inc(labels: { model: string; asset: string }, value: number): void };
  settlements: { inc(labels: { model: string; outcome: string }): void };
  /** vouchers taken out of redemption for good, by model and reason */
  vouchersParked: { inc(labels: { model: string; reason: string }): void };
}

/** A voucher the contract refused (or that expired unredeemed): kept for the operator, never retried. */
export interface ParkedVoucher {
  payer: string;
  model: string;
  cumulative: string;
  /** what was served beyond the last redeemed total, and is now unpaid */
  unpaid: string;
  /** above_deposit, bad_signature, expired, or the contract error's name */
  reason: string;
  detail: string;
  at: number;
}

/** A voucher accepted for one call in flight. */
export interface HeldVoucher {
  id: string;
  model: string;
  payer: string;
  amount: bigint;
  voucher: Voucher;
  previous: { accepted: string; signature: string | null; expiry: number };
}

interface Row {
  id: string;
  payer: string;
  model: string;
  accepted: string;
  signature: string | null;
  expiry: number;
  redeemed: string;
}

type Channel = { deposited: bigint; redeemed: bigint; withdrawableAt: bigint };
type Price = { perCall: bigint; per1kOutputTokens: bigint; listed: boolean };

export interface Settlement {
  tx: string;
  vouchers: number;
  gasUsed: bigint;
  amount: bigint;
}

export class VoucherCalls {
  readonly address: `0x${string}`;
  readonly asset: `0x${string}`;
  private readonly apiPayments: `0x${string}`;
  private readonly chainId: number;
  /** the EIP-712 domain separator of vouchers (HexsApiPayments, version 1, this chain) */
  private readonly domain: Hex;
  private readonly cap: bigint;
  private readonly maxBatch: number;
  private readonly settleAtHalf: boolean;
  private readonly minLifetime: number;
  private readonly cacheMs: number;
  private readonly defaultMaxTokens: number;
  private readonly client;
  private readonly db: Database.Database;
  /** payer (lowercase) → why it gets no more calls on credit */
  private readonly suspended = new Map<string, string>();
  /** payers' public keys: their vouchers are checked by native ecrecover when it loads (fast-verify.ts) */
  private readonly keys = new PayerKeys();
  private readonly channels = new Map<string, { at: number; value: Promise<Channel> }>();
  private readonly prices = new Map<string, { at: number; value: Promise<Price> }>();
  private queue: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  /** the current wait after failed rounds (0: none) and when automatic rounds may run again */
  private backoff = 0;
  private retryAt = 0;
  /** every batch redeemed so far (for metrics, benches and tests) */
  readonly settlements: Settlement[] = [];

  constructor(
    cfg: VoucherConfig,
    chain: { rpcUrl: string; chainId: number },
    private readonly metrics: VoucherMetrics,
    private readonly now: () => number = Date.now,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    const account = privateKeyToAccount(cfg.gatewayKey as Hex);
    this.address = account.address;
    this.asset = getAddress(cfg.asset);
    this.apiPayments = getAddress(cfg.apiPayments);
    this.chainId = chain.chainId;
    this.domain = domainSeparator({
      domain: { name: "HexsApiPayments", version: "1", chainId: this.chainId, verifyingContract: this.apiPayments },
    });
    this.cap = BigInt(cfg.maxUnsettledPerPayer);
    this.maxBatch = cfg.maxBatch ?? 100;
    this.settleAtHalf = cfg.settleAtHalfCap ?? true;
    this.minLifetime = cfg.minVoucherLifetimeSeconds ?? 3_600;
    this.cacheMs = cfg.channelCacheMs ?? 5_000;
    this.defaultMaxTokens = cfg.defaultMaxTokens ?? 2048;
    this.backoffMs = cfg.redeemBackoffMs ?? 1_000;
    this.maxBackoffMs = Math.max(cfg.maxRedeemBackoffMs ?? 60_000, this.backoffMs);
    if (!(this.backoffMs >= 0)) throw new Error("vouchers.redeemBackoffMs must not be negative");
    if (this.cap <= 0n) throw new Error("vouchers.maxUnsettledPerPayer must be positive");
    if (!(this.maxBatch >= 1)) throw new Error("vouchers.maxBatch must be at least 1");
    this.client = createWalletClient({
      account,
      chain: defineChain({
        id: chain.chainId,
        name: cfg.chain,
        nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
        rpcUrls: { default: { http: [chain.rpcUrl] } },
      }),
      transport: http(chain.rpcUrl),
      pollingInterval: cfg.pollingMs ?? 250,
    }).extend(publicActions);
    this.db = new Database(cfg.vouchersDb ?? ":memory:");
    this.db.pragma("journal_mode = WAL");
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS voucher_channels (
         id TEXT PRIMARY KEY, payer TEXT NOT NULL, model TEXT NOT NULL, accepted TEXT NOT NULL,
         signature TEXT, expiry INTEGER NOT NULL, redeemed TEXT NOT NULL);
       CREATE TABLE IF NOT EXISTS voucher_parked (
         payer TEXT NOT NULL, model TEXT NOT NULL, cumulative TEXT NOT NULL, unpaid TEXT NOT NULL,
         signature TEXT, reason TEXT NOT NULL, detail TEXT NOT NULL, at INTEGER NOT NULL);
       CREATE TABLE IF NOT EXISTS voucher_suspended (payer TEXT PRIMARY KEY, reason TEXT NOT NULL)`,
    );
    for (const r of this.db.prepare("SELECT payer, reason FROM voucher_suspended").all() as Array<{
      payer: string;
      reason: string;
    }>)
      this.suspended.set(r.payer, r.reason);
    if (cfg.settleEveryMs !== 0) {
      this.timer = setInterval(() => this.autoSettle(), cfg.settleEveryMs ?? 60_000);
      this.timer.unref();
    }
  }

  private cached<T>(map: Map<string, { at: number; value: Promise<T> }>, key: string, read: () => Promise<T>): Promise<T> {
    const hit = map.get(key);
    const t = Date.now();
    if (hit && t - hit.at < this.cacheMs) return hit.value;
    if (map.size > 100_000) map.clear(); // bounded: a flood of payers only costs re-reads
    const value = read();
    map.set(key, { at: t, value });
    value.catch(() => map.delete(key));
    return value;
  }

  private async chainState(v: Voucher, model: string): Promise<[Channel, Price]> {
    try {
      return await Promise.all([
        this.cached(this.channels, `${v.payer.toLowerCase()} ${model}`, () =>
          this.client.readContract({
            address: this.apiPayments,
            abi: API_PAYMENTS_ABI,
            functionName: "channelOf",
            args: [getAddress(v.payer), BigInt(model), this.asset, this.address],
          }),
        ),
        this.cached(this.prices, model, () =>
          this.client.readContract({
            address: this.apiPayments,
            abi: API_PAYMENTS_ABI,
            functionName: "apiPriceOf",
            args: [BigInt(model), this.asset],
          }),
        ),
      ]);
    } catch (e) {
      return refuseApi("chain_unavailable", `could not read the deposit of ${v.payer}: ${messageOf(e).split("\n")[0]}`);
    }
  }

  private row(id: string): Row | undefined {
    return this.db.prepare("SELECT * FROM voucher_channels WHERE id = ?").get(id) as Row | undefined;
  }

  /** Served but not redeemed, over the payer's channels at this gateway. */
  exposureOf(payer: string): bigint {
    const rows = this.db
      .prepare("SELECT accepted, redeemed FROM voucher_channels WHERE payer = ?")
      .all(payer.toLowerCase()) as Row[];
    return rows.reduce((s, r) => s + BigInt(r.accepted) - BigInt(r.redeemed), 0n);
  }

  /** The gateway's view of a channel (for refusals: the session resyncs to `accepted`). */
  stateOf(payer: string, model: string): { accepted: string; redeemed: string } | undefined {
    const r = this.row(`${payer.toLowerCase()} ${model}`);
    return r && { accepted: r.accepted, redeemed: r.redeemed };
  }

  /**
   * Check the voucher header of a call to `model` and accept it as the channel's latest.
   * Refuses (402, voucher_*) on anything but a voucher that pays this call from the deposit.
   */
  async hold(model: string, header: string, maxTokens: number | undefined): Promise<HeldVoucher> {
    const { voucher: v, signature } = decodeVoucherHeader(header);
    if (getAddress(v.gateway) !== this.address)
      refuseApi("voucher_wrong_gateway", `the voucher names gateway ${v.gateway}; this gateway redeems as ${this.address}`);
    if (getAddress(v.currency) !== this.asset)
      refuseApi("voucher_wrong_token", `the voucher is in ${v.currency}; this gateway takes ${this.asset}`);
    if (v.modelId.toString() !== model)
      refuseApi("voucher_wrong_model", `the voucher is for model ${v.modelId}, this call is to model ${model}`);
    const nowS = BigInt(Math.floor(this.now() / 1000));
    if (v.expiry < nowS + BigInt(this.minLifetime))
      refuseApi(
        "voucher_expired",
        `the voucher expires at ${new Date(Number(v.expiry) * 1000).toISOString()}: it must stay valid ${this.minLifetime} s for the gateway to redeem it`,
      );
    const digest = voucherDigest(this.domain, v);
    let verdict = this.keys.verify(Buffer.from(digest.slice(2), "hex"), signature, v.payer);
    if (verdict === "unsupported") {
      // a signature form the fast check leaves alone (e.g. high s): viem's recovery, as before
      let signer: string;
      try {
        signer = await recoverAddress({ hash: digest, signature: signature as Hex });
      } catch {
        signer = "";
      }
      verdict = signer.toLowerCase() === v.payer.toLowerCase() ? "valid" : "invalid";
    }
    if (verdict !== "valid")
      refuseApi("voucher_bad_signature", `the voucher is not signed by its payer ${v.payer} (EIP-712, HexsApiPayments domain)`);
    const suspension = this.suspended.get(v.payer.toLowerCase());
    if (suspension !== undefined)
      refuseApi(
        "voucher_payer_suspended",
        `a voucher of ${v.payer} was refused on chain (${suspension}): this gateway serves it no more calls on credit`,
      );

    const [ch, price] = await this.chainState(v, model);
    // from here to the update nothing awaits: concurrent calls of a channel see each other's vouchers
    const payer = v.payer.toLowerCase();
    const id = `${payer} ${model}`;
    const row = this.row(id) ?? { id, payer, model, accepted: "0", signature: null, expiry: 0, redeemed: "0" };
    let redeemed = BigInt(row.redeemed);
    let accepted = BigInt(row.accepted);
    if (ch.redeemed > redeemed) redeemed = ch.redeemed; // redeemed by an earlier run of this gateway
    if (accepted < redeemed) accepted = redeemed;
    if (ch.withdrawableAt !== 0n)
      refuseApi(
        "voucher_withdrawal_pending",
        `${v.payer} asked for its deposit back (withdrawable at ${new Date(Number(ch.withdrawableAt) * 1000).toISOString()}): deposit again to call with vouchers`,
      );
    if (!price.listed) refuseApi("not_priced", `model ${model} has no API price in ${this.asset}`);
    const tokens = price.per1kOutputTokens > 0n ? (maxTokens ?? this.defaultMaxTokens) : 0;
    const amount = price.perCall + (price.per1kOutputTokens * BigInt(tokens) + 999n) / 1000n;
    if (v.cumulative <= accepted)
      refuseApi(
        "voucher_stale",
        `the voucher's total ${v.cumulative} is not above the last accepted, ${accepted}: sign ${accepted + amount}`,
      );
    if (v.cumulative < accepted + amount)
      refuseApi(
        "voucher_underpaid",
        `the voucher adds ${v.cumulative - accepted} to the last accepted total ${accepted}; this call costs ${amount}`,
      );
    if (v.cumulative > ch.deposited)
      refuseApi(
        "voucher_above_deposit",
        `the voucher's total ${v.cumulative} is above ${v.payer}'s deposit of ${ch.deposited}: deposit more (api:deposit)`,
      );
    const others = this.exposureOf(payer) - (BigInt(row.accepted) - BigInt(row.redeemed));
    const exposure = others + (v.cumulative - redeemed);
    if (exposure > this.cap) {
      this.autoSettle();
      refuseApi(
        "voucher_exposure_cap",
        `the gateway holds ${this.exposureOf(payer)} of ${v.payer}'s vouchers unredeemed (cap ${this.cap}): retry once the batch settles`,
      );
    }
    const previous = { accepted: accepted.toString(), signature: row.signature, expiry: row.expiry };
    this.db
      .prepare(
        `INSERT INTO voucher_channels (id, payer, model, accepted, signature, expiry, redeemed) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET accepted = excluded.accepted, signature = excluded.signature,
           expiry = excluded.expiry, redeemed = excluded.redeemed`,
      )
      .run(id, payer, model, v.cumulative.toString(), signature, Number(v.expiry), redeemed.toString());
    if (this.settleAtHalf && 2n * exposure >= this.cap) this.autoSettle();
    return { id, model, payer, amount, voucher: v, previous };
  }

  /** The call was not served in full: the channel goes back to the previous voucher (if still the latest). */
  release(h: HeldVoucher): void {
    this.db
      .prepare("UPDATE voucher_channels SET accepted = ?, signature = ?, expiry = ? WHERE id = ? AND accepted = ?")
      .run(h.previous.accepted, h.previous.signature, h.previous.expiry, h.id, h.voucher.cumulative.toString());
  }

  served(h: HeldVoucher): void {
    this.metrics.paidCalls.inc({ model: h.model });
  }

  /** Redeem one batch of the latest unredeemed voucher per channel (serialized). */
  settle(): Promise<Settlement | undefined> {
    return this.round(false);
  }

  /** A round the gateway starts by itself: skipped while backing off after failures. */
  private autoSettle(): void {
    void this.round(true).catch(() => undefined);
  }

  private round(auto: boolean): Promise<Settlement | undefined> {
    // decided when the round's turn comes: a round queued behind a failing one sees its backoff
    let ran = false;
    const run = this.queue.then(() => {
      if (auto && this.now() < this.retryAt) return undefined;
      ran = true;
      return this.redeemBatch();
    });
    this.queue = run.then(
      () => {
        if (ran) this.backoff = this.retryAt = 0;
      },
      (e: unknown) => {
        this.backoff = Math.min(this.backoff ? this.backoff * 2 : this.backoffMs, this.maxBackoffMs);
        this.retryAt = this.now() + this.backoff;
        this.log(`voucher settlement error (automatic rounds wait ${this.backoff} ms): ${messageOf(e)}`);
      },
    );
    return run;
  }

  /** Vouchers parked so far, oldest first. */
  parked(): ParkedVoucher[] {
    return this.db
      .prepare("SELECT payer, model, cumulative, unpaid, reason, detail, at FROM voucher_parked ORDER BY rowid")
      .all() as ParkedVoucher[];
  }

  /** Give `payer` calls on credit again (an operator's decision, e.g. after the debt was paid); true if it was suspended. */
  lift(payer: string): boolean {
    const k = payer.toLowerCase();
    this.db.prepare("DELETE FROM voucher_suspended WHERE payer = ?").run(k);
    const was = this.suspended.delete(k);
    if (was) this.log(`suspension of ${k} lifted`);
    return was;
  }

  /** Why `payer` gets no more calls on credit, if it does not. */
  suspensionOf(payer: string): string | undefined {
    return this.suspended.get(payer.toLowerCase());
  }

  /** Take a voucher out of redemption for good (and, when it is the payer's doing, stop its credit). */
  private park(r: Row, reason: string, detail: string, suspend: boolean): void {
    const unpaid = (BigInt(r.accepted) - BigInt(r.redeemed)).toString();
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT INTO voucher_parked (payer, model, cumulative, unpaid, signature, reason, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(r.payer, r.model, r.accepted, unpaid, r.signature, reason, detail, this.now());
      // only this voucher: a later one accepted meanwhile stays (its payer is suspended, or it is not at fault)
      this.db.prepare("UPDATE voucher_channels SET signature = NULL WHERE id = ? AND accepted = ?").run(r.id, r.accepted);
      if (suspend) this.db.prepare("INSERT OR IGNORE INTO voucher_suspended (payer, reason) VALUES (?, ?)").run(r.payer, reason);
    })();
    if (suspend && !this.suspended.has(r.payer)) this.suspended.set(r.payer, reason);
    this.metrics.vouchersParked.inc({ model: r.model, reason });
    this.metrics.settlements.inc({ model: r.model, outcome: "parked" });
    this.log(
      `voucher of ${r.payer} for model ${r.model} (total ${r.accepted}, ${unpaid} unpaid) parked: ${reason}: ${detail}` +
        (suspend ? `; ${r.payer} gets no more calls on credit` : ""),
    );
  }

  private toVouchers(rows: Row[]) {
    return rows.map((r) => ({
      payer: getAddress(r.payer),
      modelId: BigInt(r.model),
      currency: this.asset,
      gateway: this.address,
      cumulative: BigInt(r.accepted),
      expiry: BigInt(r.expiry),
    }));
  }

  /**
   * eth_call redeemVouchers(rows): undefined if it would succeed, else the revert (error name, the
   * index of the voucher it names if any, a one-line detail). Not a revert (RPC down): throws.
   */
  private async simulate(rows: Row[]): Promise<{ name: string; index?: number; detail: string } | undefined> {
    try {
      await this.client.simulateContract({
        account: this.client.account,
        address: this.apiPayments,
        abi: API_PAYMENTS_ABI,
        functionName: "redeemVouchers",
        args: [this.toVouchers(rows), rows.map((r) => r.signature as Hex)],
      });
      return undefined;
    } catch (e) {
      const revert = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
      if (!(revert instanceof ContractFunctionRevertedError))
        throw new ApiRefusal("chain_unavailable", `simulating ${rows.length} vouchers failed: ${messageOf(e).split("\n")[0]}`);
      const name = revert.data?.errorName ?? "reverted";
      const args = (revert.data?.args ?? []) as readonly unknown[];
      const index = name.startsWith("Voucher") && typeof args[0] === "bigint" ? Number(args[0]) : undefined;
      const detail = revert.data
        ? `${name}(${args.map((a) => String(a)).join(", ")})`
        : (revert.reason ?? revert.shortMessage.split("\n")[0]);
      return { name, index, detail };
    }
  }

  /**
   * The rows of `batch` that redeem together: vouchers the contract refuses are parked (or, when
   * stale, marked redeemed) on the way. Throws when the batch fails for a reason naming no voucher.
   */
  private async screen(batch: Row[]): Promise<Row[]> {
    let rows = batch;
    // each round removes at least one voucher or returns
    while (rows.length > 0) {
      const revert = await this.simulate(rows);
      if (!revert) return rows;
      if (revert.index !== undefined && revert.index < rows.length) {
        this.drop(rows[revert.index], revert.name, revert.detail);
        rows = rows.filter((_, i) => i !== revert.index);
        continue;
      }
      if (revert.name === "ApiPaymentsPaused" || rows.length === 1)
        throw new ApiRefusal("chain_unavailable", `redeeming ${rows.length} vouchers would revert: ${revert.detail}`);
      // a revert naming no voucher (say, a transfer to a model's sink failing): try each alone
      const good: Row[] = [];
      for (const r of rows) {
        const alone = await this.simulate([r]);
        if (!alone) good.push(r);
        else this.drop(r, alone.name, alone.detail);
      }
      if (good.length === rows.length)
        throw new ApiRefusal("chain_unavailable", `${rows.length} vouchers redeem one by one but not together: ${revert.detail}`);
      rows = good;
    }
    return rows;
  }

  /** A voucher the contract refused: stale ones were redeemed already (another run), the rest are parked. */
  private drop(r: Row, name: string, detail: string): void {
    if (name === "VoucherStale") {
      this.db.prepare("UPDATE voucher_channels SET redeemed = ? WHERE id = ?").run(r.accepted, r.id);
      this.channels.delete(`${r.payer} ${r.model}`);
      this.log(`voucher of ${r.payer} for model ${r.model} (${r.accepted}) was already redeemed on chain: ${detail}`);
      return;
    }
    const reason =
      { VoucherAboveDeposit: "above_deposit", VoucherBadSignature: "bad_signature", VoucherExpired: "expired" }[name] ?? name;
    // an expiry the gateway's clock did not see coming is not the payer's doing: no suspension
    this.park(r, reason, detail, name !== "VoucherExpired");
  }

  private async redeemBatch(): Promise<Settlement | undefined> {
    if (this.closed) return undefined;
    let rows = (this.db.prepare("SELECT * FROM voucher_channels WHERE signature IS NOT NULL").all() as Row[]).filter(
      (r) => BigInt(r.accepted) > BigInt(r.redeemed),
    );
    // a voucher about to expire would revert the batch: it is lost (the lifetime asked for makes this rare),
    // through no fault of its payer
    const soon = Math.floor(this.now() / 1000) + 60;
    for (const r of rows.filter((x) => x.expiry < soon))
      this.park(r, "expired", `expires at ${new Date(r.expiry * 1000).toISOString()}, before it could be redeemed`, false);
    rows = rows.filter((x) => x.expiry >= soon);
    if (rows.length === 0) return undefined;
    // one transfer per run of a model: order by model (then payer, for a stable order)
    const sorted = rows.sort((a, b) => {
      const [x, y] = [BigInt(a.model), BigInt(b.model)];
      return x !== y ? (x < y ? -1 : 1) : a.payer < b.payer ? -1 : a.payer > b.payer ? 1 : 0;
    });
    let batch: Row[];
    try {
      batch = await this.screen(sorted.slice(0, this.maxBatch));
    } catch (e) {
      for (const r of sorted.slice(0, this.maxBatch)) this.metrics.settlements.inc({ model: r.model, outcome: "failed" });
      throw e;
    }
    // everything in this slice was parked: the next slice, if any, is the next call's
    if (batch.length === 0) return rows.length > this.maxBatch ? this.redeemBatch() : undefined;
    let hash: Hex;
    try {
      hash = await this.client.writeContract({
        address: this.apiPayments,
        abi: API_PAYMENTS_ABI,
        functionName: "redeemVouchers",
        args: [this.toVouchers(batch), batch.map((r) => r.signature as Hex)],
      });
    } catch (e) {
      for (const r of batch) this.metrics.settlements.inc({ model: r.model, outcome: "failed" });
      throw new ApiRefusal("chain_unavailable", `redeeming ${batch.length} vouchers failed: ${messageOf(e).split("\n")[0]}`);
    }
    const receipt = await this.client.waitForTransactionReceipt({ hash });
    // reverted after a clean simulation (the chain moved in between): the next round screens again
    if (receipt.status !== "success") {
      for (const r of batch) this.metrics.settlements.inc({ model: r.model, outcome: "failed" });
      throw new ApiRefusal("chain_unavailable", `redeemVouchers ${hash} reverted`);
    }
    let amount = 0n;
    const mark = this.db.prepare("UPDATE voucher_channels SET redeemed = ? WHERE id = ?");
    for (const r of batch) {
      const add = BigInt(r.accepted) - BigInt(r.redeemed);
      amount += add;
      mark.run(r.accepted, r.id);
      this.channels.delete(`${r.payer} ${r.model}`);
      this.metrics.revenue.inc({ model: r.model, asset: this.asset }, Number(add));
      this.metrics.settlements.inc({ model: r.model, outcome: "settled" });
    }
    const s = { tx: hash, vouchers: batch.length, gasUsed: receipt.gasUsed, amount };
    this.settlements.push(s);
    this.log(`redeemed ${batch.length} vouchers (${amount}) in ${hash}, ${receipt.gasUsed} gas`);
    return s;
  }

  /** Redeem everything accepted so far. */
  async flush(): Promise<void> {
    while (await this.settle()) {
      // next batch
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.queue;
    this.closed = true;
    this.db.close();
  }
}

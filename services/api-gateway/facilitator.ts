// Paid calls with x402 v2 (scheme "exact", EIP-3009) for the API gateway.
//
// A call without a key holder's signed request is a paid call:
//   * without a PAYMENT-SIGNATURE header it gets 402 and the model's PaymentRequirements: the
//     model's API currency (an EIP-3009 stablecoin) as asset, its on-chain price (HexsApiPayments)
//     as amount, its CREATE2 sink as payTo. The gateway MACs those terms with an expiry into
//     `extra.hexsQuote`: a payment made against a quote keeps the quoted terms until then, even if
//     the creator changes the price in between; after it, the current price applies.
//   * with one, the payment is checked (version, chain, token, payee, amount against the quote or
//     the current price), verified by @x402/evm's exact facilitator scheme against the chain
//     (signature, validity window, value, and an eth_call of transferWithAuthorization), then
//     its authorization (token, payer, nonce) is reserved in a SQLite ledger: the same
//     authorization raced twice is served once.
// The call is forwarded; only a complete 2xx answer is charged: the facilitator settles the
// authorization (transferWithAuthorization into the sink) after the answer, one at a time, off
// the request path and, by default, off the request thread (settle-worker.ts). A 4xx/5xx/aborted/timed-out upstream releases the reservation: nothing moves.
// Settled revenue reaches the model's vault with HexsApiPayments.sweep (anyone may call it;
// `sweepEveryMs` makes the gateway do it, or use `sweepApiRevenue` / `npx hardhat api:sweep`).
import Database from "better-sqlite3";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { decodeErrorResult, decodeEventLog, getAddress, parseAbiItem, type Hex } from "viem";
import { x402Facilitator } from "@x402/core/facilitator";
import { decodePaymentSignatureHeader } from "@x402/core/http";
import type { PaymentPayload, PaymentRequirements } from "@x402/core/types";
import { ApiRefusal, refuseApi, type ApiRefusalCode } from "../../sdk/api/request";
import { messageOf } from "../../sdk/errors";
import { API_PAYMENTS_ABI } from "./api-payments-abi";
import {
  BATCHER_ABI,
  CodeCache,
  makeFacilitatorClient,
  receiptOf,
  sendBatch,
  sendSweep,
  signBatch,
  type BatchItem,
  type BatchReceipt,
} from "./facilitator-client";
import { PayerKeys, tokenDomainSeparator, transferDigest, type TransferAuthorization } from "./fast-verify";
import { SettlementWorker, type SettlerThread } from "./settle-worker";

export interface X402Config {
  /** the EVM chain (a name in GatewayConfig.chains) payments are made on */
  chain: string;
  /** HexsApiPayments on that chain: prices and each model's sink (payTo) */
  apiPayments: string;
  /** the API currency: an ERC-20 with EIP-3009 (and the price is read in it) */
  asset: string;
  /** private key (0x…) of the facilitator account: it pays the settlement gas, never holds revenue */
  facilitatorKey: string;
  /** how long a quote (402) holds its terms, and the longest authorization asked for, s; default 300 */
  quoteTtlSeconds?: number;
  /** HMAC key of quotes (hex); default random per start (quotes then die with a restart) */
  quoteSecret?: string;
  /** the payment ledger's SQLite file; default in memory (a restart then forgets unsettled calls) */
  paymentsDb?: string;
  /** output tokens charged when a call names no max_tokens and the price has a per-1k part; default 2048 */
  defaultMaxTokens?: number;
  /** sweep models with settled revenue into their vaults this often, ms; default 0 (never) */
  sweepEveryMs?: number;
  /** receipt polling interval of the facilitator's client, ms; default 250 */
  pollingMs?: number;
  /** how long a payer's code (EOA or contract) read for signature checks is reused, ms; default 30 000 */
  codeCacheMs?: number;
  /**
   * Verify payments locally (signature, window, the payer's balance net of this gateway's unsettled
   * calls) instead of simulating each transfer on chain; default true. False: every payment is
   * verified by the x402 facilitator on chain (an eth_call per call).
   */
  fastVerify?: boolean;
  /** a payer's balance read for local checks is re-read (after the answer) when older than this, ms; default 2 000 */
  balanceRefreshMs?: number;
  /**
   * Local checks apply while a payer has fewer unsettled calls than this; beyond, each payment is
   * simulated on chain first (bounds what a payer whose balance or authorizations change behind the
   * gateway's back can get unpaid); default 64.
   */
  fastMaxUnsettledCalls?: number;
  /**
   * Settle on a worker thread (default true): @x402/evm re-verifies each payment before its
   * transfer (~5 ms of CPU); there it does not compete with the calls being answered.
   */
  settleInWorker?: boolean;
  /**
   * The settlement worker thread's nice value (Linux, 0–19; default 10): on busy cores the request
   * thread answers first and settlement takes the CPU left over. 0 keeps the process's priority.
   */
  settleNice?: number;
  /**
   * X402SettlementBatcher on the payments chain: served calls are settled several per transaction
   * (up to `settleBatchMax`), each authorization still paying its model's sink directly. Without
   * it, one @x402/evm settlement per call.
   */
  batcher?: string;
  /** the most authorizations per batch transaction; default 32 */
  settleBatchMax?: number;
  /** how far back (blocks) the token's logs are searched for an authorization used outside a batch; default 100 000 */
  reconcileLookbackBlocks?: number;
}

export interface PaidCallMetrics {
  paidCalls: { inc(labels: { model: string }): void };
  revenue: { inc(labels: { model: string; asset: string }, value: number): void };
  settlements: { inc(labels: { model: string; outcome: string }): void };
  /** seconds spent per step of a payment's check on the request path */
  verifySteps?: { inc(labels: { step: string }, value: number): void };
}

/** A verified payment, reserved for one call. */
export interface HeldPayment {
  key: string;
  model: string;
  payer: string;
  amount: bigint;
  payload: PaymentPayload;
  requirements: PaymentRequirements;
}

/** What this gateway knows of a payer's funds (EIP-3009 payers pay from their token balance). */
interface PayerFunds {
  /** the token balance last read, less what settled since */
  balance: bigint;
  /** amounts of this payer's calls held or served and not yet settled */
  reserved: bigint;
  calls: number;
  readAt: number;
  reading?: Promise<void>;
  settledDuringRead: bigint;
  /** why this payer's payments are verified on chain (a settlement of theirs failed) */
  onChainOnly?: string;
}

interface Quote {
  model: string;
  maxTokens: number;
  expires: number;
  mac: string;
}

const TOKEN_ABI = [
  { type: "function", name: "name", stateMutability: "view", inputs: [], outputs: [{ name: "", type: "string" }] },
  { type: "function", name: "version", stateMutability: "view", inputs: [], outputs: [{ name: "", type: "string" }] },
  {
    type: "function",
    name: "balanceOf",
    stateMutability: "view",
    inputs: [{ name: "a", type: "address" }],
    outputs: [{ name: "", type: "uint256" }],
  },
  {
    type: "function",
    name: "authorizationState",
    stateMutability: "view",
    inputs: [
      { name: "a", type: "address" },
      { name: "n", type: "bytes32" },
    ],
    outputs: [{ name: "", type: "bool" }],
  },
  {
    type: "event",
    name: "AuthorizationUsed",
    inputs: [
      { name: "authorizer", type: "address", indexed: true },
      { name: "nonce", type: "bytes32", indexed: true },
    ],
  },
  {
    type: "event",
    name: "Transfer",
    inputs: [
      { name: "from", type: "address", indexed: true },
      { name: "to", type: "address", indexed: true },
      { name: "value", type: "uint256", indexed: false },
    ],
  },
] as const;

/** Why an EIP-3009 token refuses an authorization (the test stablecoin's and OpenZeppelin's errors). */
const TOKEN_ERRORS = [
  "error AuthorizationUsedOrCanceled(address authorizer, bytes32 nonce)",
  "error AuthorizationExpired(uint256 validBefore, uint256 nowTime)",
  "error AuthorizationNotYetValid(uint256 validAfter, uint256 nowTime)",
  "error InvalidSignature(address expectedSigner)",
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error Error(string)",
].map((e) => parseAbiItem(e));

/** ERC-6492's magic suffix: a counterfactual wallet's signature, settled by @x402/evm (it deploys the wallet first). */
const ERC6492_SUFFIX = "6492649264926492649264926492649264926492649264926492649264926492";

type LedgerRow = { k: string; model: string; payer: string; amount: string; payload: string; requirements: string };

/** x402's exact-EVM reasons → the gateway's refusal codes (all 402). */
function codeOf(reason: string): ApiRefusalCode {
  if (/valid_before|deadline_expired/.test(reason)) return "payment_expired";
  if (/valid_after|not_yet_valid/.test(reason)) return "payment_not_yet_valid";
  if (/nonce_already_used/.test(reason)) return "payment_replayed";
  if (/value_mismatch|authorization_value|amount_mismatch/.test(reason)) return "payment_underpaid";
  if (/network_mismatch/.test(reason)) return "payment_wrong_chain";
  if (/insufficient_balance/.test(reason)) return "payment_insufficient_funds";
  if (/recipient_mismatch/.test(reason)) return "payment_wrong_payee";
  return "payment_invalid";
}

const nowS = (now: () => number) => Math.floor(now() / 1000);

export class PaidCalls {
  readonly network: `eip155:${number}`;
  readonly asset: `0x${string}`;
  readonly facilitatorAddress: `0x${string}`;
  private readonly apiPayments: `0x${string}`;
  private readonly ttl: number;
  private readonly secret: Buffer;
  private readonly defaultMaxTokens: number;
  private readonly client;
  private readonly facilitator: x402Facilitator;
  private readonly db: Database.Database;
  private readonly sinks = new Map<string, `0x${string}`>();
  /** quote text → its MAC (this gateway's own computation, never a caller's) */
  private readonly macs = new Map<string, string>();
  private domain?: Promise<{ name: string; version: string }>;
  private queue: Promise<void> = Promise.resolve();
  private readonly settler?: SettlementWorker;
  private readonly unswept = new Set<string>();
  private sweepTimer?: NodeJS.Timeout;
  private closed = false;
  private readonly codes: CodeCache;
  private readonly fast: boolean;
  private readonly balanceRefreshMs: number;
  private readonly fastMaxCalls: number;
  private readonly keys = new PayerKeys();
  private readonly funds = new Map<string, Promise<PayerFunds>>();
  private domainSep?: Promise<Hex>;
  private readonly sql: Record<
    "insert" | "release" | "served" | "get" | "settled" | "failed" | "unsettledOf" | "sent" | "unsend",
    Database.Statement
  >;
  private readonly batcher?: `0x${string}`;
  private readonly batchMax: number;
  private readonly lookback: bigint;
  /** served calls waiting for the next batch, in order */
  private batchKeys: string[] = [];
  private drainQueued = false;
  /** the batch being sent, until its outcome is recorded */
  private inFlight?: Promise<void>;

  constructor(
    cfg: X402Config,
    chain: { rpcUrl: string; chainId: number },
    private readonly metrics: PaidCallMetrics,
    private readonly now: () => number = Date.now,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.network = `eip155:${chain.chainId}`;
    this.asset = getAddress(cfg.asset);
    this.apiPayments = getAddress(cfg.apiPayments);
    this.ttl = cfg.quoteTtlSeconds ?? 300;
    this.secret = cfg.quoteSecret ? Buffer.from(cfg.quoteSecret.replace(/^0x/, ""), "hex") : randomBytes(32);
    this.defaultMaxTokens = cfg.defaultMaxTokens ?? 2048;
    this.fast = cfg.fastVerify ?? true;
    this.balanceRefreshMs = cfg.balanceRefreshMs ?? 2_000;
    this.fastMaxCalls = cfg.fastMaxUnsettledCalls ?? 64;
    const setup = {
      facilitatorKey: cfg.facilitatorKey,
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      chainName: cfg.chain,
      pollingMs: cfg.pollingMs ?? 250,
      codeCacheMs: cfg.codeCacheMs ?? 30_000,
    };
    // the same factory builds the settlement worker's facilitator (settle-worker.ts)
    const made = makeFacilitatorClient(setup);
    this.client = made.client;
    this.facilitator = made.facilitator;
    this.codes = made.codes;
    this.facilitatorAddress = made.account.address;
    if (cfg.settleInWorker ?? true) this.settler = new SettlementWorker({ ...setup, niceness: cfg.settleNice ?? 10 });

    if (cfg.batcher) this.batcher = getAddress(cfg.batcher);
    this.batchMax = cfg.settleBatchMax ?? 32;
    if (!Number.isInteger(this.batchMax) || this.batchMax < 1 || this.batchMax > 256)
      throw new Error(`x402.settleBatchMax must be an integer in 1..256, got ${cfg.settleBatchMax}`);
    this.lookback = BigInt(cfg.reconcileLookbackBlocks ?? 100_000);
    this.db = new Database(cfg.paymentsDb ?? ":memory:");
    this.db.pragma("journal_mode = WAL");
    // WAL with NORMAL: a commit is not fsynced (a crash of the process loses nothing; a power loss
    // may lose the last commits: held calls are dropped at start anyway, a lost 'served' only costs
    // the model that call's revenue, a lost 'settled' is caught by the token's nonce at settlement)
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS x402_payments (
         k TEXT PRIMARY KEY, model TEXT NOT NULL, payer TEXT NOT NULL, amount TEXT NOT NULL,
         status TEXT NOT NULL, payload TEXT NOT NULL, requirements TEXT NOT NULL,
         expires_at INTEGER NOT NULL, tx TEXT, reason TEXT)`,
    );
    // held: a call in flight (a restart drops it: it was never served); served: owed a settlement;
    // sent: in a batch transaction (its hash in tx) whose receipt was not recorded yet
    this.db.prepare("DELETE FROM x402_payments WHERE status = 'held'").run();
    this.sql = {
      insert: this.db.prepare(
        `INSERT OR IGNORE INTO x402_payments (k, model, payer, amount, status, payload, requirements, expires_at)
         VALUES (?, ?, ?, ?, 'held', ?, ?, ?)`,
      ),
      release: this.db.prepare("DELETE FROM x402_payments WHERE k = ? AND status = 'held'"),
      served: this.db.prepare("UPDATE x402_payments SET status = 'served' WHERE k = ?"),
      get: this.db.prepare("SELECT * FROM x402_payments WHERE k = ? AND status IN ('served', 'sent')"),
      sent: this.db.prepare("UPDATE x402_payments SET status = 'sent', tx = ? WHERE k = ? AND status = 'served'"),
      unsend: this.db.prepare("UPDATE x402_payments SET status = 'served' WHERE k = ? AND status = 'sent'"),
      settled: this.db.prepare("UPDATE x402_payments SET status = 'settled', tx = ? WHERE k = ?"),
      failed: this.db.prepare("UPDATE x402_payments SET status = 'failed', reason = ?, tx = ? WHERE k = ?"),
      unsettledOf: this.db.prepare(
        "SELECT amount FROM x402_payments WHERE lower(payer) = ? AND status IN ('held', 'served', 'sent')",
      ),
    };
    // a batch sent before a restart: its receipt tells what settled; first, before anything is sent again
    const sent = this.db.prepare("SELECT * FROM x402_payments WHERE status = 'sent'").all() as Array<LedgerRow & { tx: Hex }>;
    if (sent.length)
      this.queue = this.queue.then(() => this.resumeSent(sent)).catch((e: unknown) => this.log(`resume: ${messageOf(e)}`));
    for (const r of this.db.prepare("SELECT k FROM x402_payments WHERE status = 'served'").all() as Array<{ k: string }>)
      this.enqueue(r.k);
    if (cfg.sweepEveryMs) {
      this.sweepTimer = setInterval(() => void this.sweepAll(), cfg.sweepEveryMs);
      this.sweepTimer.unref();
    }
  }

  // ---------------------------------------------------------------- quotes

  private mac(q: Omit<Quote, "mac">, r: { network: string; asset: string; payTo: string; amount: string }): string {
    const text = [q.model, q.maxTokens, q.expires, r.network, r.asset.toLowerCase(), r.payTo.toLowerCase(), r.amount].join("|");
    // a quote is paid against many times until it expires: its MAC is computed once (bounded map)
    const known = this.macs.get(text);
    if (known) return known;
    const mac = createHmac("sha256", this.secret).update(text).digest("base64url");
    if (this.macs.size >= 10_000) this.macs.clear();
    this.macs.set(text, mac);
    return mac;
  }

  private tokenDomain(): Promise<{ name: string; version: string }> {
    this.domain ??= Promise.all([
      this.client.readContract({ address: this.asset, abi: TOKEN_ABI, functionName: "name" }),
      this.client.readContract({ address: this.asset, abi: TOKEN_ABI, functionName: "version" }),
    ]).then(
      ([name, version]) => ({ name, version }),
      (e: unknown) => {
        this.domain = undefined;
        return refuseApi("chain_unavailable", `could not read the API currency ${this.asset}: ${messageOf(e).split("\n")[0]}`);
      },
    );
    return this.domain;
  }

  /** The model's current terms as x402 PaymentRequirements, with a fresh quote. */
  async requirements(model: string, maxTokens: number | undefined): Promise<PaymentRequirements> {
    let price: { perCall: bigint; per1kOutputTokens: bigint; listed: boolean };
    let sink = this.sinks.get(model);
    try {
      [price, sink] = await Promise.all([
        this.client.readContract({
          address: this.apiPayments,
          abi: API_PAYMENTS_ABI,
          functionName: "apiPriceOf",
          args: [BigInt(model), this.asset],
        }),
        sink ??
          this.client.readContract({
            address: this.apiPayments,
            abi: API_PAYMENTS_ABI,
            functionName: "sinkOf",
            args: [BigInt(model)],
          }),
      ]);
    } catch (e) {
      return refuseApi("chain_unavailable", `could not read model ${model}'s API price: ${messageOf(e).split("\n")[0]}`);
    }
    this.sinks.set(model, sink);
    if (!price.listed)
      refuseApi(
        "not_priced",
        `model ${model} has no API price in ${this.asset} on ${this.network}: its creator sets one with model:api-price, or call as a key holder`,
      );
    const tokens = price.per1kOutputTokens > 0n ? (maxTokens ?? this.defaultMaxTokens) : 0;
    const amount = (price.perCall + (price.per1kOutputTokens * BigInt(tokens) + 999n) / 1000n).toString();
    const { name, version } = await this.tokenDomain();
    const q = { model, maxTokens: tokens, expires: nowS(this.now) + this.ttl };
    const r = { network: this.network, asset: this.asset, payTo: sink, amount };
    return {
      scheme: "exact",
      ...r,
      maxTimeoutSeconds: this.ttl,
      extra: { name, version, hexsQuote: { ...q, mac: this.mac(q, r) } },
    };
  }

  /** The quote carried by `accepted` if this gateway made it for `model` (expired or not). */
  private quoteOf(model: string, accepted: PaymentRequirements): Quote | undefined {
    const q = accepted.extra?.hexsQuote as Partial<Quote> | undefined;
    if (!q || typeof q !== "object" || q.model !== model || typeof q.mac !== "string") return undefined;
    if (!Number.isSafeInteger(q.maxTokens) || !Number.isSafeInteger(q.expires)) return undefined;
    const want = Buffer.from(
      this.mac(
        { model, maxTokens: q.maxTokens!, expires: q.expires! },
        {
          network: String(accepted.network),
          asset: String(accepted.asset),
          payTo: String(accepted.payTo),
          amount: String(accepted.amount),
        },
      ),
    );
    const got = Buffer.from(q.mac);
    return got.length === want.length && timingSafeEqual(got, want) ? (q as Quote) : undefined;
  }

  // ---------------------------------------------------------------- verify

  /**
   * Check the PAYMENT-SIGNATURE header of a call to `model` and reserve its authorization.
   * Refuses (402, payment_*) unless it pays the quoted or current terms and verifies on chain.
   */
  async hold(model: string, header: string, maxTokens: number | undefined): Promise<HeldPayment> {
    let t = performance.now();
    const span = (name: string) => {
      const t1 = performance.now();
      this.metrics.verifySteps?.inc({ step: name }, (t1 - t) / 1000);
      t = t1;
    };
    let payload: PaymentPayload;
    try {
      payload = decodePaymentSignatureHeader(header);
    } catch (e) {
      return refuseApi("payment_malformed", `the PAYMENT-SIGNATURE header is not an x402 payment payload: ${messageOf(e)}`);
    }
    if (payload?.x402Version !== 2 || !payload.accepted || typeof payload.payload !== "object")
      refuseApi("payment_malformed", `this gateway takes x402 version 2 payments (got version ${String(payload?.x402Version)})`);
    const accepted = payload.accepted;
    const auth = (payload.payload as { authorization?: Record<string, string> }).authorization;
    if (!auth || typeof auth.from !== "string" || typeof auth.nonce !== "string" || typeof auth.value !== "string")
      refuseApi("payment_malformed", "the payment carries no EIP-3009 authorization (scheme exact, payload.authorization)");

    if (accepted.network !== this.network)
      refuseApi("payment_wrong_chain", `the payment is on ${accepted.network}; model ${model} is paid on ${this.network}`);
    if (String(accepted.asset).toLowerCase() !== this.asset.toLowerCase())
      refuseApi("payment_wrong_token", `the payment is in ${accepted.asset}; model ${model} is paid in ${this.asset}`);
    if (accepted.scheme !== "exact") refuseApi("payment_invalid", `scheme '${accepted.scheme}' is not served: use 'exact'`);
    let payer: `0x${string}`;
    try {
      payer = getAddress(auth.from);
      getAddress(String(auth.to));
      for (const n of [auth.value, auth.validAfter, auth.validBefore]) BigInt(n);
      if (!/^0x[0-9a-fA-F]{64}$/.test(auth.nonce)) throw new Error(`nonce ${auth.nonce} is not 32 bytes`);
    } catch (e) {
      return refuseApi("payment_malformed", `the payment's authorization is malformed: ${messageOf(e).split("\n")[0]}`);
    }
    span("decode");

    const quote = this.quoteOf(model, accepted);
    let requirements: PaymentRequirements;
    let expiredNote = "";
    if (quote && quote.expires >= nowS(this.now)) {
      if (maxTokens !== undefined && maxTokens > quote.maxTokens && quote.maxTokens > 0)
        refuseApi("payment_underpaid", `the quote covers ${quote.maxTokens} output tokens; this call asks for ${maxTokens}`);
      requirements = accepted; // the quoted terms hold (the MAC binds them to this gateway's quote)
    } else {
      requirements = await this.requirements(model, maxTokens);
      if (quote) expiredNote = ` (the quote expired at ${new Date(quote.expires * 1000).toISOString()})`;
    }
    if (getAddress(String(accepted.payTo)) !== getAddress(requirements.payTo))
      refuseApi("payment_wrong_payee", `the payment goes to ${accepted.payTo}; model ${model} is paid to ${requirements.payTo}`);
    if (BigInt(accepted.amount) !== BigInt(requirements.amount) || BigInt(auth.value) !== BigInt(requirements.amount))
      refuseApi(
        "payment_underpaid",
        `the payment offers ${accepted.amount} and authorizes ${auth.value}; a call to model ${model} costs ${requirements.amount}${expiredNote}`,
      );

    span("requirements");
    if (getAddress(String(auth.to)) !== getAddress(requirements.payTo))
      refuseApi("payment_wrong_payee", `the authorization pays ${auth.to}; model ${model} is paid to ${requirements.payTo}`);

    const amount = BigInt(requirements.amount);
    const funds = await this.fundsOf(payer);
    span("funds");
    const local = this.fast && !funds.onChainOnly && funds.calls < this.fastMaxCalls;
    if (!(local && (await this.verifyLocally(payload, auth as unknown as TransferAuthorization, payer, span)))) {
      let v;
      try {
        v = await this.facilitator.verify(payload, requirements);
      } catch (e) {
        return refuseApi("payment_invalid", `the payment could not be verified: ${messageOf(e)}`);
      }
      if (!v.isValid) {
        const reason = v.invalidReason ?? "invalid";
        let code = codeOf(reason);
        let detail = reason;
        if (/simulation_failed/.test(reason)) [code, detail] = await this.diagnose(auth, requirements.amount, reason);
        refuseApi(code, `the payment does not verify on ${this.network}: ${detail}`);
      }
      span("onChainVerify");
    }
    // the payer's funds cover this call on top of their calls not yet settled (else one more read)
    if (funds.reserved + amount > funds.balance) {
      // a read during which settlements landed counts them as not in it, and a batch mined but not yet
      // recorded counts twice: when that is what stands between the call and the payer's funds, wait
      // for the batch and read again (a batch lands many calls at once)
      for (let i = 0; i < 3; i++) {
        // a batch mined but not yet recorded is out of the balance and still in `reserved`: wait for it
        if (this.inFlight) await this.inFlight;
        await this.readBalance(payer, funds);
        if (funds.reserved + amount <= funds.balance || (funds.settledDuringRead === 0n && !this.inFlight)) break;
      }
      if (funds.reserved + amount > funds.balance)
        refuseApi(
          "payment_insufficient_funds",
          `${payer} holds ${funds.balance}` +
            (funds.reserved > 0n ? `, of which ${funds.reserved} pays calls not yet settled` : "") +
            `; the call costs ${amount}`,
        );
    } else if (this.now() - funds.readAt > this.balanceRefreshMs)
      setImmediate(() => this.readBalance(payer, funds).catch(() => undefined)); // a failed refresh keeps the last read
    // from here to the reservation nothing awaits: concurrent calls see each other's holds
    const key = `${this.asset.toLowerCase()} ${payer.toLowerCase()} ${auth.nonce.toLowerCase()}`;
    const inserted = this.sql.insert.run(
      key,
      model,
      auth.from,
      requirements.amount,
      JSON.stringify(payload),
      JSON.stringify(requirements),
      Number(auth.validBefore),
    );
    if (inserted.changes !== 1)
      refuseApi("payment_replayed", "this payment authorization was already used for a call: sign a new one for each call");
    funds.reserved += amount;
    funds.calls++;
    span("ledger");
    return { key, model, payer, amount, payload, requirements };
  }

  /**
   * The payment checked here, as the token would at settlement, for an EOA payer: true if it
   * verifies, false if only the chain can tell (a contract payer, a signature form the fast check
   * does not take); refuses a bad signature or window with the facilitator's reasons.
   */
  private async verifyLocally(
    payload: PaymentPayload,
    auth: TransferAuthorization,
    payer: `0x${string}`,
    span: (name: string) => void,
  ): Promise<boolean> {
    const signature = (payload.payload as { signature?: unknown }).signature;
    if (typeof signature !== "string") return false;
    const code = await this.codes.get(payer);
    if (code && code !== "0x") return false; // a contract wallet (ERC-1271/6492): the facilitator checks it
    const now = nowS(this.now);
    if (BigInt(auth.validBefore) < BigInt(now + 6))
      refuseApi(
        "payment_expired",
        `the payment does not verify on ${this.network}: invalid_exact_evm_payload_authorization_valid_before`,
      );
    if (BigInt(auth.validAfter) > BigInt(now))
      refuseApi(
        "payment_not_yet_valid",
        `the payment does not verify on ${this.network}: invalid_exact_evm_payload_authorization_valid_after`,
      );
    const digest = transferDigest(await this.domainSeparator(), auth);
    span("digest");
    const verdict = this.keys.verify(digest, signature, payer);
    span("signature");
    if (verdict === "invalid")
      refuseApi("payment_invalid", `the payment does not verify on ${this.network}: invalid_exact_evm_signature`);
    return verdict === "valid";
  }

  private domainSeparator(): Promise<Hex> {
    this.domainSep ??= this.tokenDomain().then(
      ({ name, version }) => tokenDomainSeparator(name, version, Number(this.network.split(":")[1]), this.asset),
      (e: unknown) => {
        this.domainSep = undefined;
        throw e;
      },
    );
    return this.domainSep;
  }

  /** This gateway's view of `payer`'s funds: read from the chain once, then kept up to date. */
  private fundsOf(payer: `0x${string}`): Promise<PayerFunds> {
    const k = payer.toLowerCase();
    let f = this.funds.get(k);
    if (!f) {
      // served calls not yet settled (e.g. before a restart) already count against the balance
      const rows = this.sql.unsettledOf.all(k) as Array<{ amount: string }>;
      const funds: PayerFunds = {
        balance: 0n,
        reserved: rows.reduce((a, r) => a + BigInt(r.amount), 0n),
        calls: rows.length,
        readAt: 0,
        settledDuringRead: 0n,
      };
      f = this.readBalance(payer, funds).then(() => funds);
      f.catch(() => this.funds.delete(k));
      if (this.funds.size > 100_000) this.funds.clear(); // bounded: a payer read again counts its unsettled rows from the ledger, so holds ending later still balance
      this.funds.set(k, f);
    }
    return f;
  }

  /** Re-reads `payer`'s balance (one read at a time per payer). */
  private readBalance(payer: `0x${string}`, f: PayerFunds): Promise<void> {
    f.reading ??= (async () => {
      f.settledDuringRead = 0n;
      try {
        const b = await this.client.readContract({
          address: this.asset,
          abi: TOKEN_ABI,
          functionName: "balanceOf",
          args: [payer],
        });
        // a settlement that landed while the read was under way may or may not be in `b`: assume not
        f.balance = b - f.settledDuringRead;
        f.readAt = this.now();
      } catch (e) {
        refuseApi("chain_unavailable", `could not read ${payer}'s balance of ${this.asset}: ${messageOf(e).split("\n")[0]}`);
      } finally {
        f.reading = undefined;
      }
    })();
    return f.reading;
  }

  /** Local checks for `payer`'s payments again after a failed settlement; true if they were off. */
  async lift(payer: string): Promise<boolean> {
    const f = await this.funds.get(payer.toLowerCase())?.catch(() => undefined);
    if (!f?.onChainOnly) return false;
    f.onChainOnly = undefined;
    return true;
  }

  /** A hold ended (released, settled or failed): its amount no longer counts against the payer. */
  private unreserve(payer: string, amount: bigint, settled: boolean, failure?: string): void {
    void this.funds.get(payer.toLowerCase())?.then(
      (f) => {
        f.reserved -= amount;
        f.calls--;
        if (settled) {
          f.balance -= amount;
          if (f.reading) f.settledDuringRead += amount;
        }
        if (failure) {
          // the chain disagreed with what the gateway knew: this payer's payments go on chain first
          f.onChainOnly = failure;
          void this.readBalance(getAddress(payer), f).catch(() => undefined);
        }
      },
      () => undefined,
    );
  }

  /** The token's own view of why a transferWithAuthorization would fail (no Multicall3 needed). */
  private async diagnose(auth: Record<string, string>, amount: string, reason: string): Promise<[ApiRefusalCode, string]> {
    try {
      const [used, balance] = await Promise.all([
        this.client.readContract({
          address: this.asset,
          abi: TOKEN_ABI,
          functionName: "authorizationState",
          args: [getAddress(auth.from), auth.nonce as Hex],
        }),
        this.client.readContract({
          address: this.asset,
          abi: TOKEN_ABI,
          functionName: "balanceOf",
          args: [getAddress(auth.from)],
        }),
      ]);
      if (used) return ["payment_replayed", "this authorization was already used on chain"];
      if (balance < BigInt(amount))
        return ["payment_insufficient_funds", `${auth.from} holds ${balance}, the call costs ${amount}`];
    } catch {
      // keep the facilitator's reason
    }
    return ["payment_invalid", reason];
  }

  // ---------------------------------------------------------------- after the call

  /** The call was not served in full: the authorization is not used (the payer may retry with it). */
  release(p: HeldPayment): void {
    if (this.sql.release.run(p.key).changes === 1) this.unreserve(p.payer, p.amount, false);
  }

  /** The call was served: settle its payment, after the answer and one at a time. */
  served(p: HeldPayment): void {
    this.sql.served.run(p.key);
    this.metrics.paidCalls.inc({ model: p.model });
    this.enqueue(p.key);
  }

  private enqueue(key: string): void {
    if (this.batcher) {
      this.batchKeys.push(key);
      this.scheduleDrain();
      return;
    }
    this.queue = this.queue.then(() => this.settle(key)).catch((e: unknown) => this.log(`settlement error: ${messageOf(e)}`));
  }

  /** One batch round in the settlement queue (calls served meanwhile join the next round). */
  private scheduleDrain(): void {
    if (this.drainQueued) return;
    this.drainQueued = true;
    this.queue = this.queue.then(() => this.drain()).catch((e: unknown) => this.log(`settlement error: ${messageOf(e)}`));
  }

  /**
   * Settles up to settleBatchMax served calls in one X402SettlementBatcher transaction. The hash is
   * recorded (status 'sent') before the batch is broadcast; the receipt then decides each item:
   * the token's AuthorizationUsed + Transfer to the item's sink = settled; a refusal is recorded
   * (a used nonce is reconciled against the token's logs, never retried). A batch that cannot be
   * sent or reverts as a whole falls back to one @x402/evm settlement per call.
   */
  private async drain(): Promise<void> {
    this.drainQueued = false;
    if (this.closed) return;
    const keys = this.batchKeys.splice(0, this.batchMax);
    if (this.batchKeys.length) this.scheduleDrain();
    const rows: LedgerRow[] = [];
    for (const k of keys) {
      const row = this.sql.get.get(k) as LedgerRow | undefined;
      if (!row) continue;
      // ERC-6492 (a wallet not deployed yet) needs @x402/evm's deploy-then-transfer: settled alone
      const sig = String((JSON.parse(row.payload) as PaymentPayload).payload.signature ?? "");
      if (sig.endsWith(ERC6492_SUFFIX)) await this.settle(k);
      else rows.push(row);
    }
    if (!rows.length) return;
    const items = rows.map((r) => itemOf(r));
    const sending = this.sendAndRecord(rows, items);
    this.inFlight = sending.catch(() => undefined);
    try {
      await sending;
    } finally {
      this.inFlight = undefined;
    }
  }

  private async sendAndRecord(rows: LedgerRow[], items: BatchItem[]): Promise<void> {
    let signed: { hash: Hex; raw: Hex };
    try {
      signed = this.settler
        ? await this.settler.signBatch(this.batcher!, this.asset, items)
        : await signBatch(this.client, this.batcher!, this.asset, items);
    } catch (e) {
      this.log(`batch of ${rows.length} could not be signed (${messageOf(e).split("\n")[0]}): settling them one by one`);
      for (const r of rows) await this.settle(r.k);
      return;
    }
    this.db.transaction(() => {
      for (const r of rows) this.sql.sent.run(signed.hash, r.k);
    })();
    let receipt: BatchReceipt | undefined;
    try {
      receipt = this.settler ? await this.settler.sendBatch(signed.raw) : await sendBatch(this.client, signed.raw);
    } catch (e) {
      // sent or not? the chain knows: a mined batch is applied, one that never got out is undone
      receipt = await this.receiptIfMined(signed.hash);
      if (!receipt) {
        this.log(
          `batch ${signed.hash} was not mined (${messageOf(e).split("\n")[0]}): settling its ${rows.length} calls one by one`,
        );
        for (const r of rows) this.sql.unsend.run(r.k);
        for (const r of rows) await this.settle(r.k);
        return;
      }
    }
    await this.applyBatch(rows, items, receipt);
  }

  private async receiptIfMined(hash: Hex): Promise<BatchReceipt | undefined> {
    try {
      return receiptOf(await this.client.getTransactionReceipt({ hash }));
    } catch {
      return undefined;
    }
  }

  /** After a restart: batches sent before it are applied from their receipts, or their calls queued again. */
  private async resumeSent(rows: Array<LedgerRow & { tx: Hex }>): Promise<void> {
    const byTx = new Map<Hex, Array<LedgerRow & { tx: Hex }>>();
    for (const r of rows) byTx.set(r.tx, [...(byTx.get(r.tx) ?? []), r]);
    for (const [hash, group] of byTx) {
      const receipt = await this.receiptIfMined(hash);
      if (receipt) {
        await this.applyBatch(group, group.map(itemOf), receipt);
        continue;
      }
      // never mined (or not yet): send again; if the first copy lands too, its nonces make the second's items fail, and they are reconciled
      for (const r of group) this.sql.unsend.run(r.k);
      this.batchKeys.unshift(...group.map((r) => r.k));
      this.scheduleDrain();
    }
  }

  /** Records each item of a mined batch: settled, refused, or reconciled with what the token says. */
  private async applyBatch(rows: LedgerRow[], items: BatchItem[], receipt: BatchReceipt): Promise<void> {
    if (receipt.status !== "success") {
      this.log(`batch ${receipt.hash} reverted as a whole: settling its ${rows.length} calls one by one`);
      for (const r of rows) this.sql.unsend.run(r.k);
      for (const r of rows) await this.settle(r.k);
      return;
    }
    const failures = new Map<number, Hex>();
    for (const l of receipt.logs) {
      if (getAddress(l.address) !== this.batcher) continue;
      try {
        const ev = decodeEventLog({ abi: BATCHER_ABI, topics: l.topics as [Hex, ...Hex[]], data: l.data });
        failures.set(Number(ev.args.index), ev.args.reason);
      } catch {
        // not the batcher's failure event
      }
    }
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (paidIn(receipt, this.asset, items[i])) {
        this.recordSettled(row, receipt.hash);
        continue;
      }
      const reason = failures.has(i) ? refusalOf(failures.get(i)!) : "not settled by the batch";
      if (/^AuthorizationUsedOrCanceled/.test(reason) || !failures.has(i)) await this.reconcile(row, items[i], reason);
      else this.recordFailed(row, reason, receipt.hash);
    }
  }

  /**
   * The token says this authorization's nonce is used: find the transaction that used it. If it
   * moved the value from the payer to this call's sink (another copy of a batch, the payer or
   * anyone submitting it), the call is settled by that transaction; otherwise (canceled, or not in
   * the searched blocks) the refusal is recorded. Either way it is never sent again.
   */
  private async reconcile(row: LedgerRow, item: BatchItem, reason: string): Promise<void> {
    try {
      const latest = await this.client.getBlockNumber();
      const logs = await this.client.getLogs({
        address: this.asset,
        event: TOKEN_ABI[4],
        args: { authorizer: item.from, nonce: item.nonce },
        fromBlock: latest > this.lookback ? latest - this.lookback : 0n,
        toBlock: latest,
      });
      for (const l of logs) {
        const receipt = receiptOf(await this.client.getTransactionReceipt({ hash: l.transactionHash! }));
        if (paidIn(receipt, this.asset, item)) {
          this.log(`payment ${row.k} was settled by ${receipt.hash} (outside this batch): recorded, not sent again`);
          this.recordSettled(row, receipt.hash);
          return;
        }
      }
    } catch (e) {
      reason += `; the token's logs could not be searched: ${messageOf(e).split("\n")[0]}`;
    }
    this.recordFailed(row, `${reason} (used or canceled outside this gateway's settlement)`, null);
  }

  private recordSettled(row: LedgerRow, tx: string): void {
    this.sql.settled.run(tx, row.k);
    this.unreserve(row.payer, BigInt(row.amount), true);
    this.metrics.revenue.inc({ model: row.model, asset: this.asset }, Number(row.amount));
    this.metrics.settlements.inc({ model: row.model, outcome: "settled" });
    this.unswept.add(row.model);
  }

  private recordFailed(row: LedgerRow, reason: string, tx: string | null): void {
    this.sql.failed.run(reason, tx, row.k);
    this.unreserve(row.payer, BigInt(row.amount), false, reason);
    this.metrics.settlements.inc({ model: row.model, outcome: "failed" });
    this.log(`settlement of ${row.k} for model ${row.model} failed: ${reason}`);
  }

  private async settle(key: string): Promise<void> {
    if (this.closed) return;
    const row = this.sql.get.get(key) as LedgerRow | undefined;
    if (!row) return;
    const r = this.settler
      ? await this.settler.settle(row.payload, row.requirements)
      : await this.facilitator.settle(
          JSON.parse(row.payload) as PaymentPayload,
          JSON.parse(row.requirements) as PaymentRequirements,
        );
    if (r.success) this.recordSettled(row, r.transaction);
    else
      this.recordFailed(row, `${r.errorReason ?? "failed"}${r.errorMessage ? `: ${r.errorMessage}` : ""}`, r.transaction || null);
  }

  /** The settlement worker's thread (id, nice value); undefined when settling on the request thread. */
  settlerThread(): Promise<SettlerThread> | undefined {
    return this.settler?.thread();
  }

  /** Wait until every served call so far is settled (or failed). */
  async flush(): Promise<void> {
    let q: Promise<void>;
    do {
      q = this.queue;
      await q;
    } while (q !== this.queue);
  }

  /** A payment's ledger state: held, served, settled or failed (and the settlement tx). */
  status(key: string): { status: string; tx: string | null; reason: string | null } | undefined {
    return this.db.prepare("SELECT status, tx, reason FROM x402_payments WHERE k = ?").get(key) as
      { status: string; tx: string | null; reason: string | null } | undefined;
  }

  /**
   * HexsApiPayments.sweep(model, asset) from the facilitator account; returns the tx hash. Sent
   * from the settlement queue (on the worker when there is one), never while a settlement of
   * this gateway is being sent from the same account (the nonce would race).
   */
  sweep(model: string): Promise<string> {
    const run = async () => {
      if (this.closed) throw new ApiRefusal("chain_unavailable", "the gateway is closing: no sweep");
      let hash: string;
      try {
        hash = this.settler
          ? await this.settler.sweep(this.apiPayments, model, this.asset)
          : await sendSweep(this.client, this.apiPayments, model, this.asset);
      } catch (e) {
        throw new ApiRefusal("chain_unavailable", messageOf(e).split("\n")[0]);
      }
      this.unswept.delete(model);
      return hash;
    };
    const done = this.queue.then(run);
    this.queue = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  private async sweepAll(): Promise<void> {
    await this.flush();
    for (const model of [...this.unswept]) {
      try {
        this.log(`swept model ${model}: ${await this.sweep(model)}`);
      } catch (e) {
        this.log(`sweep of model ${model} failed: ${messageOf(e).split("\n")[0]}`);
      }
    }
  }

  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.flush();
    this.closed = true;
    await this.settler?.close();
    this.db.close();
  }
}

/** A ledger row's authorization as the batcher takes it. */
function itemOf(row: LedgerRow): BatchItem {
  const p = (JSON.parse(row.payload) as PaymentPayload).payload as {
    authorization: Record<string, string>;
    signature: `0x${string}`;
  };
  const a = p.authorization;
  return {
    from: getAddress(a.from),
    to: getAddress(a.to),
    value: a.value,
    validAfter: a.validAfter,
    validBefore: a.validBefore,
    nonce: a.nonce as Hex,
    signature: p.signature,
  };
}

/**
 * True if `receipt` holds the token's AuthorizationUsed for the item's payer and nonce followed by
 * its Transfer of the item's value from the payer to the item's payee (the sink): the money moved
 * exactly as authorized, whoever sent the transaction.
 */
function paidIn(receipt: BatchReceipt, token: `0x${string}`, item: BatchItem): boolean {
  const logs = receipt.logs.filter((l) => getAddress(l.address) === token);
  for (let i = 0; i < logs.length - 1; i++) {
    let used, moved;
    try {
      used = decodeEventLog({ abi: TOKEN_ABI, topics: logs[i].topics as [Hex, ...Hex[]], data: logs[i].data });
      moved = decodeEventLog({ abi: TOKEN_ABI, topics: logs[i + 1].topics as [Hex, ...Hex[]], data: logs[i + 1].data });
    } catch {
      continue;
    }
    if (used.eventName !== "AuthorizationUsed" || moved.eventName !== "Transfer") continue;
    if (getAddress(used.args.authorizer) !== item.from || used.args.nonce.toLowerCase() !== item.nonce.toLowerCase()) continue;
    if (
      getAddress(moved.args.from) === item.from &&
      getAddress(moved.args.to) === item.to &&
      moved.args.value === BigInt(item.value)
    )
      return true;
  }
  return false;
}

/** A token's refusal (the revert data the batcher reported) as "ErrorName(args)". */
function refusalOf(data: Hex): string {
  if (data === "0x") return "reverted without a reason (out of gas?)";
  try {
    const e = decodeErrorResult({ abi: TOKEN_ERRORS, data });
    return `${e.errorName}(${(e.args ?? []).map(String).join(", ")})`;
  } catch {
    return `reverted with ${data.slice(0, 74)}`;
  }
}

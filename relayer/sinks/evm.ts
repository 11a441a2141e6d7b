// EVM destination: the attestation gateway's `submitBatch(messages, signatures)`. Transaction
// nonces come from the store (handed out under a lock, so instances sharing one key never reuse
// one); "nonce too low" resets the local counter to the chain's. Receipts are checked with the
// configured confirmation depth; `hub.lane(src).inbound` answers "already delivered?".
import {
  Contract,
  dataLength,
  type FeeData,
  getAddress,
  hexlify,
  JsonRpcProvider,
  Transaction,
  Wallet,
  type SigningKey,
  type TransactionRequest,
  type TransactionResponse,
} from "ethers";
import { logger } from "../log";
import { retry } from "../retry";
import type { RelayerSet } from "../attest";
import type { EvmChainConfig } from "../config";
import { connectEvm } from "../sources/evm-provider";
import type { OpStore } from "../store";
import { HUB_ABI } from "../sources/evm";
import {
  type BroadcastOutcome,
  RejectedError,
  type SignedSubmission,
  StaleBatchError,
  UnknownBroadcastError,
  type Sink,
  type SubmitOptions,
  type TxStatus,
} from "./types";
import { revertDataOf } from "../../sdk/errors";
import { messageReceiveGas } from "../../sdk/bridge";
import { decodeHeader } from "../../codec";

/** the timed parts of a submission (metrics: submit:<part>); fees is the fee suggestion (cached for a second) */
type SubmitPart = "simulate" | "estimate" | "fees" | "nonce" | "sign" | "broadcast";

export const GATEWAY_ABI = [
  "function submitBatch(bytes[] messages, bytes[] signatures)",
  "function relayers() view returns (address[] set, uint8 threshold, uint32 epoch)",
  "error WrongDestination(uint32 expected, uint32 actual)",
  "error NotRelayer(address signer)",
  "error SignersNotAscending(address signer)",
  "error BelowThreshold(uint256 valid, uint8 threshold)",
  "error UnexpectedNonce(uint32 srcChain, uint64 expected, uint64 actual)",
  "error RateLimited(uint32 chain)",
  "error LaneIsPaused(uint32 chain)",
  "error HubIsPaused()",
];

export class EvmGatewaySink implements Sink {
  readonly name: string;
  readonly hexsChainId: number;
  private conn?: { provider: JsonRpcProvider; wallet: Wallet; hub: Contract; gateway: Contract };
  private chainId = 0n;
  private readonly log;
  /** transactions this process sent (for fee bumping) and their replacements */
  private readonly sent = new Map<string, { tx: TransactionRequest; sentAt: number; capped?: boolean }>();
  private readonly replaced = new Map<string, string>();
  /**
   * The nonce after this process's last accepted broadcast. Every batch goes right behind it, so
   * its nonce comes from the store (at least this) without asking the node for its "pending"
   * count: a node answers that by executing every transaction in its mempool — our own
   * batches in flight — which on the devnet's hardhat node took 0.7–3 s with five 3M-gas
   * transactions queued, and grew with each batch the pipeline added.
   */
  private nextNonce?: number;
  /**
   * Set when a transaction of ours reverted on chain (status): the next head batch is simulated
   * and its gas limit estimated by the node instead of taken from its shape, once.
   */
  private estimateNext = false;
  /** gas of a batch from its shape (a test replaces it to stand for a figure that became too low) */
  shape: (messages: readonly string[], signatures: number) => bigint | undefined = shapedGas;
  /** the gas limits of the last batches sent, newest last (tests, diagnostics); `simulated`: eth_call first */
  readonly gasLimits: { messages: number; gasLimit: bigint; estimated: boolean; simulated: boolean }[] = [];
  /** called with the time each part of a submission took (metrics: submit:<part>) */
  onTime?: (part: SubmitPart, seconds: number) => void;
  lastSubmitMs: Record<string, number> = {};
  private async timed<T>(part: SubmitPart, f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      const ms = performance.now() - t0;
      this.lastSubmitMs[part] = Math.round((this.lastSubmitMs[part] ?? 0) + ms);
      this.onTime?.(part, ms / 1000);
    }
  }
  /** called on every fee bump (metrics) */
  onBump?: (chain: string) => void;

  constructor(
    private readonly cfg: EvmChainConfig,
    private readonly key: SigningKey,
    private readonly store: OpStore,
  ) {
    if (!cfg.gateway) throw new Error(`chains[${cfg.name}].gateway is required to deliver to this chain`);
    this.name = cfg.name;
    this.hexsChainId = cfg.hexsChainId;
    this.log = logger(`sink:${cfg.name}`);
  }

  private get provider(): JsonRpcProvider {
    return this.c.provider;
  }
  private get wallet(): Wallet {
    return this.c.wallet;
  }
  private get hub(): Contract {
    return this.c.hub;
  }
  private get gateway(): Contract {
    return this.c.gateway;
  }
  private get c() {
    if (!this.conn) throw new Error(`sink ${this.name} used before init()`);
    return this.conn;
  }

  async init(): Promise<void> {
    if (!this.conn) {
      const provider = await connectEvm(this.cfg.rpc);
      const wallet = new Wallet(this.key, provider);
      this.chainId = (await provider.getNetwork()).chainId;
      this.conn = {
        provider,
        wallet,
        hub: new Contract(this.cfg.hub, HUB_ABI, provider),
        gateway: new Contract(this.cfg.gateway!, GATEWAY_ABI, wallet),
      };
    }
    if (this.checked) return;
    if ((await this.provider.getCode(this.cfg.gateway!)) === "0x")
      throw new Error(`chains[${this.name}].gateway: no contract at ${this.cfg.gateway} on ${this.cfg.rpc}`);
    this.checked = true;
  }
  private checked = false;

  async inbound(src: number): Promise<number> {
    const lane = await this.hub.lane(src);
    return Number(lane.inbound);
  }

  get maxBatch(): number | undefined {
    return this.cfg.maxBatch;
  }

  /**
   * Leading messages whose shaped gas stays within `batchGas` (at least one). A message of a kind
   * without a figure ends the batch before it (or goes alone, estimated as the lane's head).
   */
  fit(messages: readonly string[]): number {
    const budget = BigInt(this.cfg.batchGas);
    let gas = GATEWAY_FIXED_GAS + GATEWAY_GAS_PER_SIGNATURE * 3n; // 2-of-3 and 3-of-5 sets; the +20 % covers more
    for (let i = 0; i < messages.length; i++) {
      const per = messageGas(messages[i]);
      if (per === undefined) return Math.max(1, i);
      gas += per;
      if ((gas * 12n) / 10n > budget) return Math.max(1, i);
    }
    return messages.length;
  }

  async relayerSet(): Promise<RelayerSet> {
    const [set, threshold] = (await this.gateway.relayers()) as [string[], bigint];
    return { threshold: Number(threshold), members: set.map((a) => getAddress(a)) };
  }

  async submit(
    messages: readonly string[],
    signatures: Map<string, string>,
    set: RelayerSet,
    opts: SubmitOptions = {},
  ): Promise<string> {
    const { tx, nonce, gasLimit, estimate, simulate } = await this.build(messages, signatures, set, opts);
    const hash = await this.broadcast(tx, true);
    this.nextNonce = nonce + 1;
    this.built(messages.length, gasLimit, estimate, simulate, opts);
    this.sent.set(hash, { tx, sentAt: Date.now() });
    return hash;
  }

  /**
   * Sign without sending (see Sink.prepare). The nonce after it is this process's next, so the
   * following batch of the step goes right behind it; a refused broadcast resets the count.
   */
  async prepare(
    messages: readonly string[],
    signatures: Map<string, string>,
    set: RelayerSet,
    opts: SubmitOptions = {},
  ): Promise<SignedSubmission> {
    const { tx, nonce, gasLimit, estimate, simulate } = await this.build(messages, signatures, set, opts);
    const raw = await this.timed("sign", () => this.wallet.signTransaction(tx));
    const txHash = Transaction.from(raw).hash!;
    this.nextNonce = nonce + 1;
    this.built(messages.length, gasLimit, estimate, simulate, opts);
    this.prepared.set(txHash, tx);
    return { txHash, raw, nonce };
  }
  /** transactions signed by `prepare`, until broadcast (for fee bumping) */
  private readonly prepared = new Map<string, TransactionRequest>();

  /**
   * Send the step's signed transactions at once, each in its own request (the node queues a nonce
   * that arrives before the one below it). An error answer is checked against the node's pool
   * (a lost answer may hide an accepted transaction); a transaction neither accepted nor known is
   * refused, and the process's nonce count is reset so the next batch follows the node's count
   * (transactions of ours above it wait in the pool until that nonce is filled, or are refused by
   * the hub's lane nonce when mined out of order).
   */
  async broadcastSigned(txs: readonly SignedSubmission[]): Promise<BroadcastOutcome[]> {
    const t0 = performance.now();
    const answers = await Promise.allSettled(txs.map((t) => this.provider.broadcastTransaction(t.raw)));
    const ms = performance.now() - t0;
    this.lastSubmitMs.broadcast = Math.round(ms);
    this.onTime?.("broadcast", ms / 1000);
    const out: BroadcastOutcome[] = [];
    let refused = false;
    for (let i = 0; i < txs.length; i++) {
      const t = txs[i];
      const a = answers[i];
      const tx = this.prepared.get(t.txHash);
      this.prepared.delete(t.txHash);
      if (a.status === "rejected") {
        let answered = true;
        const known = await retry(() => this.provider.getTransaction(t.txHash), {
          policy: { baseMs: 100, maxMs: 1000, maxAttempts: 4 },
        }).catch(() => ((answered = false), null));
        if (!known && answered) {
          refused = true;
          out.push({
            ok: false,
            error: new Error(
              `${this.name}: submitBatch from ${this.wallet.address} (nonce ${t.nonce}) failed: ${shortError(a.reason)}`,
              {
                cause: a.reason,
              },
            ),
          });
          continue;
        }
        // fate unknown: followed as submitted; `status` re-sends the persisted bytes if the node lacks them
      }
      if (tx) this.sent.set(t.txHash, { tx, sentAt: Date.now() });
      out.push({ ok: true });
    }
    if (refused) {
      this.nextNonce = undefined;
      await this.store.resetTxNonce(this.name, this.wallet.address);
    }
    return out;
  }

  private built(messages: number, gasLimit: bigint, estimate: boolean, simulate: boolean, opts: SubmitOptions): void {
    if (estimate && !opts.pipelined) this.estimateNext = false;
    this.gasLimits.push({ messages, gasLimit, estimated: estimate && !opts.pipelined, simulated: simulate });
    if (this.gasLimits.length > 100) this.gasLimits.shift();
  }

  /** The batch's transaction, its nonce allocated: simulation and estimation when needed, fees, nonce. */
  private async build(
    messages: readonly string[],
    signatures: Map<string, string>,
    set: RelayerSet,
    opts: SubmitOptions,
  ): Promise<{ tx: TransactionRequest; nonce: number; gasLimit: bigint; estimate: boolean; simulate: boolean }> {
    this.lastSubmitMs = {};
    const sigs = [...signatures]
      .sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1))
      .slice(0, set.threshold)
      .map(([, s]) => s);
    const unsigned = await this.gateway.submitBatch.populateTransaction(messages, sigs);
    const shaped = this.shape(messages, sigs.length);
    // Estimation only when the shape cannot be trusted: a batch of ours reverted on chain since the
    // last estimate (a figure may be too low), a kind without a figure, or more than one
    // transaction should carry. It runs the batch several times on the node (binary search), which
    // was the largest part of a head batch's submit time.
    const estimate = shaped === undefined || (!opts.pipelined && this.estimateNext);
    // A head batch is simulated (eth_call) only when its shape cannot be trusted for the same
    // reasons, or when the chain's config asks for it (`simulateHeads`). Its messages are attested
    // and in lane order, the deliverer has just read the lane's nonce, and its gas limit is bounded
    // by the shape and `batchGas`: the simulation would only turn a refusal into an error instead
    // of a reverted transaction, and it was the node's largest piece of work per head batch (4.7 s
    // for 253 messages under load). A revert costs one transaction's gas: its receipt is the
    // failure path (the batch goes back to observed, is retried with backoff), and the next head
    // batch is simulated and estimated, so a refusal is still classified with its reason and parked.
    const simulate = !opts.pipelined && (estimate || this.cfg.simulateHeads);
    let gasLimit: bigint;
    if (opts.pipelined || !simulate) {
      // Pipelined: earlier batches of the lane are still unmined, so committed state would refuse
      // this one (UnexpectedNonce) and neither simulation nor estimation can run. A batch that runs
      // out of gas reverts as a whole (the hub's ApplyOutOfGas) and is sent again as the lane's head.
      gasLimit = shaped ?? MAX_SHAPED_GAS;
    } else {
      // Simulate first: a batch the destination refuses is reported with its reason, not mined.
      // Estimation (when it runs) executes the batch again (the lane may have moved in between):
      // both are classified.
      try {
        await this.timed("simulate", () => this.gateway.submitBatch.staticCall(messages, sigs));
        gasLimit = estimate
          ? ((await this.timed("estimate", () => this.provider.estimateGas({ ...unsigned, from: this.wallet.address }))) * 12n) /
            10n
          : shaped!;
      } catch (e) {
        // Only a revert is the destination's answer; a transport failure (dropped connection,
        // 5xx, a truncated body) says nothing about the batch and is retried like any RPC error.
        if ((e as { code?: string }).code === "CALL_EXCEPTION") {
          const stale = staleNonce(e, this.gateway);
          if (stale !== undefined)
            throw new StaleBatchError(
              `${this.name} already applied the lane past this batch: ${reason(e, this.gateway)}`,
              stale,
              {
                cause: e,
              },
            );
          throw new RejectedError(`${this.name} refuses the batch: ${reason(e, this.gateway)}`, { cause: e });
        }
        throw new Error(`${this.name}: could not simulate submitBatch: ${shortError(e)}`, { cause: e });
      }
    }
    const fees = await this.timed("fees", () => this.fees(opts.pipelined));
    const nonce = await this.timed("nonce", async () => {
      // The node's "pending" count only when this process has no nonce of its own yet (first
      // submission, or after a broadcast failed and reset it): a head batch of the next step
      // follows batches of ours still in the mempool just like a pipelined one, and the store
      // keeps the highest nonce handed out anyway. A nonce the chain has moved past (the key used
      // elsewhere) fails the broadcast with "nonce too low", which resets both.
      const pending = this.nextNonce ?? (await this.provider.getTransactionCount(this.wallet.address, "pending"));
      return this.store.allocateTxNonce(this.name, this.wallet.address, pending);
    });
    const tx: TransactionRequest = {
      to: unsigned.to,
      data: unsigned.data,
      nonce,
      gasLimit,
      chainId: this.chainId,
      type: 2,
      ...fees,
    };
    return { tx, nonce, gasLimit, estimate, simulate };
  }

  private feeData?: { at: number; f: FeeData };

  /** Current fee suggestion, capped by the configured maximum. */
  private async fees(pipelined = false): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    // One suggestion per second at most. A pipelined batch goes right behind the batches of its
    // step: it reuses their suggestion for up to 10 s instead of asking the node, which answers
    // only after mining the block in progress (1.5 s seen in bench:relayer at load 6.4, with the
    // previous batch's 256 messages in that block); fee bumping covers a suggestion gone stale.
    if (!this.feeData || Date.now() - this.feeData.at > (pipelined ? 10_000 : 1_000))
      this.feeData = { at: Date.now(), f: await this.provider.getFeeData() };
    const f = this.feeData.f;
    const cap = this.maxFee;
    const tip = f.maxPriorityFeePerGas ?? 1_000_000_000n;
    const most = f.maxFeePerGas ?? (f.gasPrice ?? 1_000_000_000n) * 2n;
    return { maxFeePerGas: min(most, cap), maxPriorityFeePerGas: min(tip, min(most, cap)) };
  }

  private get maxFee(): bigint {
    return BigInt(Math.round(this.cfg.fees.maxFeePerGasGwei * 1e9));
  }

  /**
   * Sign and send. The hash is computed locally, so a lost answer (dropped connection, truncated
   * body) does not lose the transaction: if the node knows the hash, it was broadcast.
   */
  private async broadcast(tx: TransactionRequest, fresh: boolean): Promise<string> {
    const signed = await this.timed("sign", () => this.wallet.signTransaction(tx));
    const hash = Transaction.from(signed).hash!;
    try {
      await this.timed("broadcast", () => this.provider.broadcastTransaction(signed));
      return hash;
    } catch (e) {
      let answered = true;
      const known = await retry(() => this.provider.getTransaction(hash), {
        policy: { baseMs: 100, maxMs: 1000, maxAttempts: 4 },
      }).catch(() => ((answered = false), null));
      if (known) return hash;
      // Not broadcast (or refused): the nonce was not used, or the chain is ahead of us. Either
      // way the next allocation must follow the chain's pending count again.
      if (fresh) {
        this.nextNonce = undefined;
        await this.store.resetTxNonce(this.name, this.wallet.address);
      }
      const msg = `${this.name}: submitBatch from ${this.wallet.address} (nonce ${tx.nonce}) failed: ${shortError(e)}`;
      if (!answered) throw new UnknownBroadcastError(msg, hash, { cause: e });
      throw new Error(msg, { cause: e });
    }
  }

  /**
   * Fee bumping: a transaction still unmined `fees.bumpAfterMs` after it was sent is replaced at
   * the same nonce with both fee fields raised by `fees.bumpPercent` (at least the 12.5 % nodes
   * require of a replacement) or to the current suggestion if higher, capped by
   * `fees.maxFeePerGasGwei`. Returns the replacement's hash, or undefined when none was due or possible.
   */
  private async bump(txHash: string, tx: TransactionResponse): Promise<string | undefined> {
    let mem = this.sent.get(txHash);
    if (!mem) this.sent.set(txHash, (mem = { tx: txFromResponse(tx, this.chainId), sentAt: Date.now() })); // sent before a restart
    if (Date.now() - mem.sentAt < this.cfg.fees.bumpAfterMs) return undefined;
    const old = mem.tx;
    const pct = BigInt(Math.round(this.cfg.fees.bumpPercent * 100));
    const up = (v: bigint, p: bigint): bigint => v + (v * p + 9_999n) / 10_000n; // rounded up
    const now = await this.fees();
    const oldMax = BigInt(old.maxFeePerGas ?? 0);
    const oldTip = BigInt(old.maxPriorityFeePerGas ?? 0);
    const maxFeePerGas = min(max(up(oldMax, pct), now.maxFeePerGas), this.maxFee);
    const maxPriorityFeePerGas = min(max(up(oldTip, pct), now.maxPriorityFeePerGas), maxFeePerGas);
    // A replacement below +12.5 % on either field is refused by nodes: at the cap, keep waiting.
    if (maxFeePerGas < up(oldMax, 1250n) || maxPriorityFeePerGas < up(oldTip, 1250n)) {
      if (!mem.capped)
        this.log.warn(
          { txHash, nonce: old.nonce, maxFeePerGas: oldMax.toString(), capGwei: this.cfg.fees.maxFeePerGasGwei },
          "transaction not mined and fees at the configured cap: not bumping further",
        );
      mem.capped = true;
      return undefined;
    }
    const tx2: TransactionRequest = { ...old, maxFeePerGas, maxPriorityFeePerGas };
    let hash: string;
    try {
      hash = await this.broadcast(tx2, false);
    } catch (e) {
      // e.g. the original was mined meanwhile ("nonce too low") or the node wants more: try again
      // one bump interval later, not on every status check
      mem.sentAt = Date.now();
      this.log.warn({ txHash, nonce: old.nonce, err: (e as Error).message }, "fee-bumped replacement not accepted; will retry");
      return undefined;
    }
    this.sent.set(hash, { tx: tx2, sentAt: Date.now() });
    this.replaced.set(txHash, hash);
    this.onBump?.(this.name);
    this.log.info(
      {
        old: txHash,
        replacement: hash,
        nonce: old.nonce,
        maxFeePerGas: maxFeePerGas.toString(),
        maxPriorityFeePerGas: maxPriorityFeePerGas.toString(),
      },
      "transaction not mined in time: replaced with higher fees",
    );
    return hash;
  }

  async status(txHash: string): Promise<{ status: TxStatus; error?: string; txHash?: string; dropped?: boolean }> {
    // The original and every replacement share one nonce: whichever is mined is the answer.
    const chain = [txHash];
    for (let h = txHash; this.replaced.has(h);) chain.push((h = this.replaced.get(h)!));
    for (const h of [...chain].reverse()) {
      const r = await this.provider.getTransactionReceipt(h);
      if (!r) continue;
      if (r.status !== 1) {
        this.estimateNext = true;
        return { status: "failed", error: `transaction ${h} reverted in block ${r.blockNumber}`, txHash: h };
      }
      if ((await r.confirmations()) < Math.max(1, this.cfg.confirmations)) return { status: "pending", txHash: h };
      await this.store.forgetSignedTx(txHash);
      return { status: "confirmed", txHash: h };
    }
    const head = chain[chain.length - 1];
    const tx = await this.provider.getTransaction(head);
    if (!tx) {
      // Signed and persisted but not in the node's pool (a crash between persisting and
      // broadcasting, a lost broadcast, a node restart): the same bytes are sent again while their
      // nonce is free, so the batch never gets a second transaction.
      const raw = head === txHash ? await this.store.signedTx(txHash) : undefined;
      const rawNonce = raw ? Transaction.from(raw).nonce : undefined;
      if (raw && (await this.provider.getTransactionCount(this.wallet.address, "latest")) <= rawNonce!) {
        try {
          await this.provider.broadcastTransaction(raw);
          this.log.info({ txHash, nonce: rawNonce }, "persisted signed transaction not known to the node: sent again");
          if (!this.sent.has(txHash)) this.sent.set(txHash, { tx: txFromSigned(raw, this.chainId), sentAt: Date.now() });
          return { status: "pending", txHash };
        } catch (e) {
          if (await this.provider.getTransaction(txHash).catch(() => null)) return { status: "pending", txHash };
          this.log.warn({ txHash, nonce: rawNonce, err: shortError(e) }, "persisted signed transaction refused when sent again");
        }
      }
      // Gone from the pool: replaced at its nonce (e.g. by this relayer before a restart) or dropped.
      const nonce = this.sent.get(head)?.tx.nonce ?? rawNonce;
      const used = nonce != null && (await this.provider.getTransactionCount(this.wallet.address, "latest")) > Number(nonce);
      if (!used) {
        // Its nonce is free again: the next allocation follows the node's count instead of leaving a gap.
        this.nextNonce = undefined;
        await this.store.resetTxNonce(this.name, this.wallet.address);
      }
      return {
        status: "failed",
        dropped: true,
        error: used
          ? `transaction ${head} was replaced by another at nonce ${nonce}`
          : `transaction ${head} is not known to ${this.name} (dropped)`,
      };
    }
    const bumped = await this.bump(head, tx);
    return { status: "pending", txHash: bumped ?? head };
  }

  async close(): Promise<void> {
    this.conn?.provider.destroy();
  }
}

function reason(e: unknown, c: Contract): string {
  const data = revertDataOf(e);
  if (data) {
    const parsed = c.interface.parseError(data);
    if (parsed) return `${parsed.name}(${parsed.args.map(String).join(", ")})`;
    return `revert data ${data.slice(0, 74)}`;
  }
  return (e as Error).message ?? String(e);
}

/** UnexpectedNonce(src, expected, actual) with expected > actual: the lane already moved past the batch. */
function staleNonce(e: unknown, c: Contract): number | undefined {
  const data = revertDataOf(e);
  if (!data) return undefined;
  const parsed = c.interface.parseError(data);
  if (parsed?.name !== "UnexpectedNonce") return undefined;
  const [, expected, actual] = parsed.args as unknown as [bigint, bigint, bigint];
  return expected > actual ? Number(expected) : undefined;
}

/** The node's own message when ethers wraps it ("could not coalesce error ..."). */
function shortError(e: unknown): string {
  const inner = e as { error?: { message?: string }; info?: { error?: { message?: string } } };
  return inner.info?.error?.message ?? inner.error?.message ?? (e as Error).message ?? String(e);
}

/**
 * Gas of `submitBatch` from the batch's shape, without asking the node: the transaction's fixed
 * part (intrinsic gas, gateway and hub bookkeeping, the batch event), each signature's recovery,
 * and per message its hub figure (sdk/bridge.ts messageReceiveGas: its kind's largest
 * measured per message, +25 %, plus what its body adds: stored strings, plugins; re-derived by
 * test/lz/receive-gas.test.ts) plus its bytes (calldata,
 * hashed into the batch root, copied into the hub's call), all +20 %. Measured on a hardhat node
 * (test/relayer/shaped-gas.test.ts, with the per-kind figures of 2026-12-06): 64 PurchaseSettled get 1,540,608 and use 783,089; a
 * ModelRegistered with 20 new KeyMinted get 1,713,168 and use 959,224. Undefined for a kind without a figure or a batch
 * above MAX_SHAPED_GAS (the node estimates it).
 */
export function shapedGas(messages: readonly string[], signatures: number): bigint | undefined {
  let gas = GATEWAY_FIXED_GAS + GATEWAY_GAS_PER_SIGNATURE * BigInt(signatures);
  for (const m of messages) {
    const per = messageGas(m);
    if (per === undefined) return undefined;
    gas += per;
  }
  gas = (gas * 12n) / 10n;
  return gas > MAX_SHAPED_GAS ? undefined : gas;
}

/** one message's part of shapedGas (before the +20 %): its kind's figure and its bytes; undefined for an unknown kind */
function messageGas(m: string): bigint | undefined {
  try {
    const h = decodeHeader(m);
    // the kind's figure plus what its body adds (stored strings, plugins: sdk/bridge.ts)
    return messageReceiveGas(h.kind, hexlify(h.body)) + GATEWAY_GAS_PER_BYTE * BigInt(dataLength(m));
  } catch {
    return undefined; // malformed, or a kind without a figure: the simulation says why
  }
}

/** intrinsic 21,000 + gateway and hub fixed work (measured ≈ 45k with a 2-of-3 batch of one), rounded up */
export const GATEWAY_FIXED_GAS = 80_000n;
/** ecrecover (3,000) + calldata of a 65-byte signature + the signer checks */
export const GATEWAY_GAS_PER_SIGNATURE = 8_000n;
/** calldata (16 per non-zero byte), hashing and the copy into the hub's call, per message byte */
export const GATEWAY_GAS_PER_BYTE = 40n;
/** above this a batch is estimated (a head) or sent with this limit (pipelined; retried as head if short) */
export const MAX_SHAPED_GAS = 15_000_000n;

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** the fields of a persisted signed transaction (fee bumping re-signs them with higher fees) */
function txFromSigned(raw: string, chainId: bigint): TransactionRequest {
  const t = Transaction.from(raw);
  return {
    to: t.to,
    data: t.data,
    nonce: t.nonce,
    gasLimit: t.gasLimit,
    chainId,
    maxFeePerGas: t.maxFeePerGas,
    maxPriorityFeePerGas: t.maxPriorityFeePerGas,
    type: 2,
  };
}

/** the fields needed to re-sign a transaction we sent before a restart */
function txFromResponse(t: TransactionResponse, chainId: bigint): TransactionRequest {
  return {
    to: t.to,
    data: t.data,
    nonce: t.nonce,
    gasLimit: t.gasLimit,
    chainId,
    maxFeePerGas: t.maxFeePerGas ?? t.gasPrice,
    maxPriorityFeePerGas: t.maxPriorityFeePerGas ?? t.gasPrice,
    type: 2,
  };
}

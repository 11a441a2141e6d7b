// Escrow payouts: a failed handover closes the deployment, and the escrow the close returns lands in
// the operator's Akash account although the new holder bought the running deployment with it
// priced in (docs/resale.md). The value of that escrow is paid to the new holder on the chain the
// key resides on for them, in the currency the operator configures for that chain (its native coin
// or an ERC-20) at the operator's uact rate, from the operator's submitter account, once.
//
// A failed lease refunds its buyer from the purchase's deployment escrow in HexsMarket; a handover
// has no such escrow left on chain (the lease's was paid to the operator when it was reported), so
// the payer is the operator who got the Akash escrow back. Per failed handover (relayer/store,
// `handovers.payout_*`):
//
//   (undecided) → owed → sent → paid     amount fixed; tx signed and persisted; receipt seen
//   (undecided) → none                   nothing to pay (0 uact left, or the holder's chain has no payout configured)
//
// Once: the signed transaction (its raw bytes, hash and nonce) is stored before it is broadcast. A
// resumed job looks for that hash's receipt first and re-broadcasts the same bytes; only one
// transaction per nonce can ever be mined, so a new one is signed only when the recorded one can no
// longer be (its nonce was taken by another transaction of the account and its hash has no
// receipt) or it was mined and reverted (nothing paid).
//
// Stuck: a sent transaction that stays unmined for `stuckBlocks` blocks (fees below what the chain
// asks now) is replaced at the same nonce by the same transfer with both fees doubled (at most
// `maxFeeBumps` times), persisted before its broadcast like the first. Only one transaction per
// nonce is mined, but it may be an earlier version (the node kept it, or another node had it):
// each version's fees are exactly twice the previous' and the first's max fee is odd, so the earlier
// versions are re-derived from the stored one (deterministic signatures, RFC 6979) and their
// receipts are checked before the nonce is taken as used by something else. Nothing but the latest
// version needs storing.
//
// Cosmos holders (account family Cosmos, on the CosmWasm chain): a bank send of the configured
// denom from the operator's account on that chain (the lease service's wasmd account), the same
// way: the signed TxRaw (base64), its hash and the account sequence used are persisted before the
// broadcast; a resumed job looks the hash up first (the chain's tx index) and re-broadcasts the
// same bytes; a new send is signed only when the sequence was taken by another transaction and the
// hash is still unknown two blocks later (the tx index trails the state), or the send was included and failed (nothing paid). Cosmos fees are fixed
// by gas price, so a sent payout is re-broadcast, never fee-bumped.
import { Interface, Transaction, ZeroAddress, getAddress, type JsonRpcProvider, type TransactionLike, type Wallet } from "ethers";
import { sha256 } from "@cosmjs/crypto";
import { fromBase64, toBase64, toBech32, toHex } from "@cosmjs/encoding";
import type { OfflineDirectSigner } from "@cosmjs/proto-signing";
import { calculateFee, coins, GasPrice, SigningStargateClient } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { AccountFamily } from "../../codec";
import { errorMessage } from "../../sdk/akash/errors";
import type { HandoverRow, LeaseStore } from "../store";
import { logger, type Logger } from "../log";
import { nextAttemptDelayMs } from "../retry";
import type { ConversionRate } from "./topups";

/** Where and how payouts to holders on one EVM chain are made. */
export interface PayoutChain {
  kind?: "evm";
  /** Hexs chain id */
  hexsChainId: string;
  provider: JsonRpcProvider;
  /** the operator's account that pays (connected to `provider`) */
  wallet: Wallet;
  /** ZeroAddress: the native coin; else an ERC-20 the wallet holds */
  currency: string;
  /** uact per smallest unit of `currency` (the same form as the top-up rates) */
  rate: ConversionRate;
}

/** Where and how payouts to Cosmos holders on the CosmWasm chain are made: a bank send of `denom`. */
export interface CosmosPayoutChain {
  kind: "cosmos";
  /** Hexs chain id */
  hexsChainId: string;
  /** CometBFT RPC */
  rpc: string;
  /** the operator's key on this chain, and its account (which pays; it must exist, i.e. be funded) */
  signer: OfflineDirectSigner;
  address: string;
  /** bech32 prefix of the chain's accounts */
  prefix: string;
  /** the bank denom paid */
  denom: string;
  /** fee per gas, e.g. "0.025ustake" */
  gasPrice: string;
  /** uact per smallest unit of `denom` */
  rate: ConversionRate;
}

export type AnyPayoutChain = PayoutChain | CosmosPayoutChain;

/** Gas of one bank send (a MsgSend of one coin uses ~70–90k on wasmd; fixed so the fee is known before signing). */
export const COSMOS_SEND_GAS = 150_000;

/** Blocks a used sequence must stay without our hash in the tx index before another send is signed. */
export const COSMOS_INDEX_BLOCKS = 2;

/** Test hooks: throw from them to simulate a crash at that point. */
export interface PayoutHooks {
  /** the payout tx was signed and persisted, before it is broadcast */
  beforePayoutBroadcast?(h: HandoverRow): void;
  /** the payout tx was broadcast, before anything after it is persisted */
  afterPayoutBroadcast?(h: HandoverRow): void;
  /** a fee-bumped replacement was signed and persisted, before it is broadcast */
  beforeReplacementBroadcast?(h: HandoverRow): void;
}

export interface PayoutOptions {
  store: LeaseStore;
  /** by Hexs chain id */
  chains: ReadonlyMap<string, AnyPayoutChain>;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  pollMs?: number;
  hooks?: PayoutHooks;
  /** once per payout whose receipt was seen (metrics) */
  onPaid?: (h: HandoverRow) => void;
  now?: () => number;
  log?: Logger;
  /** blocks a sent payout may stay unmined before it is replaced with doubled fees (default 20; config `akash.payouts.stuckBlocks`) */
  stuckBlocks?: number;
  /** how many times one payout's fees may be doubled (default 4: at most 16×; config `akash.payouts.maxFeeBumps`) */
  maxFeeBumps?: number;
}

const ERC20 = new Interface(["function transfer(address to, uint256 amount) returns (bool)"]);

/** Whole uact of a LegacyDec string (the fraction is dust and is not paid). */
export function wholeUact(dec: string | null): bigint {
  const m = /^(\d+)(\.\d+)?$/.exec(dec ?? "");
  return m ? BigInt(m[1]) : 0n;
}

/** The smallest units of a currency that `uact` buys back at `rate` (rounded down: never more than the escrow's value). */
export function unitsForUact(uact: bigint, rate: ConversionRate): bigint {
  if (rate.uactNumerator <= 0n || rate.unitDenominator <= 0n) return 0n;
  return (uact * rate.unitDenominator) / rate.uactNumerator;
}

/** The EVM address of an account word (family byte ‖ length ‖ address), undefined for another family. */
export function evmAddressOfWord(word: string): string | undefined {
  const b = Buffer.from(word.replace(/^0x/, ""), "hex");
  if (b.length !== 22 || b[0] !== AccountFamily.Evm || b[1] !== 20) return undefined;
  return getAddress("0x" + b.subarray(2).toString("hex"));
}

/** The bech32 address of an account word of the Cosmos family (20 bytes), undefined for another family. */
export function cosmosAddressOfWord(word: string, prefix: string): string | undefined {
  const b = Buffer.from(word.replace(/^0x/, ""), "hex");
  if (b.length !== 22 || b[0] !== AccountFamily.Cosmos || b[1] !== 20) return undefined;
  return toBech32(prefix, b.subarray(2));
}

const isCosmos = (c: AnyPayoutChain): c is CosmosPayoutChain => c.kind === "cosmos";

/** `t`'s fields with every fee mapped by `f` (the same transfer at the same nonce). */
function withFees(t: Transaction, f: (fee: bigint) => bigint): TransactionLike {
  const fees =
    t.type === 2
      ? { maxFeePerGas: f(t.maxFeePerGas!), maxPriorityFeePerGas: f(t.maxPriorityFeePerGas!) }
      : { gasPrice: f(t.gasPrice!) };
  return {
    type: t.type,
    chainId: t.chainId,
    nonce: t.nonce,
    to: t.to,
    value: t.value,
    data: t.data,
    gasLimit: t.gasLimit,
    ...(t.type === 0 ? {} : { accessList: t.accessList }),
    ...fees,
  };
}

/** The fees of a type-0/1/2 transaction (undefined for others: not bumped). */
function feesOf(t: Transaction): bigint[] | undefined {
  if (t.type === 2) return [t.maxFeePerGas!, t.maxPriorityFeePerGas!];
  if (t.type === 0 || t.type === 1) return [t.gasPrice!];
  return undefined;
}

class HookAbort extends Error {
  constructor(readonly inner: unknown) {
    super(errorMessage(inner));
  }
}

export class EscrowPayouts {
  private readonly now: () => number;
  private readonly log: Logger;
  /**
   * The block each sent payout tx was first seen unmined at, by handover (memory only: after a
   * restart the count starts again, which only delays a bump).
   */
  private readonly pendingSince = new Map<number, { tx: string; block: number }>();
  /**
   * The height at which a Cosmos payout's sequence was first seen used while its hash was unknown,
   * by handover (memory only: a restart starts the wait again, which only delays a new send).
   */
  private readonly sequenceUsedAt = new Map<number, number>();
  constructor(private readonly o: PayoutOptions) {
    this.now = o.now ?? Date.now;
    this.log = o.log ?? logger("lease-payout");
  }

  /** Advance every failed handover's payout that is due by one step. */
  async runDue(): Promise<number> {
    const due = await this.o.store.handoversToPay();
    for (const h of due) await this.step(h);
    return due.length;
  }

  /** Step a handover's payout until it is settled (paid / none) or `timeoutMs` passes (tests). */
  async run(id: number, timeoutMs = 30_000): Promise<HandoverRow> {
    const until = this.now() + timeoutMs;
    for (;;) {
      const h = await this.o.store.handover(id);
      if (h.state !== "failed" || h.payoutState === "paid" || h.payoutState === "none") return h;
      if (this.now() > until)
        throw new Error(`payout of handover ${id} not settled after ${timeoutMs} ms (${h.payoutNote ?? "no note"})`);
      const wait = h.payoutNextAt - this.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, this.o.pollMs ?? 50)));
      else await this.step(h);
    }
  }

  /** One step; a hook error propagates (crash simulation), any other error is recorded and retried. */
  async step(h: HandoverRow): Promise<HandoverRow> {
    try {
      if (h.payoutState === null) return await this.decide(h);
      if (h.payoutState === "owed") return await this.send(h);
      if (h.payoutState === "sent") return await this.confirm(h);
      return h;
    } catch (e) {
      if (e instanceof HookAbort) throw e.inner;
      return this.retry(h, e);
    }
  }

  /** Fix whom, where, what and how much (or that nothing is paid, and why). */
  private async decide(h: HandoverRow): Promise<HandoverRow> {
    const uact = wholeUact(h.escrowUact);
    const none = (why: string) => {
      this.log.info({ handover: h.id, why }, "no escrow payout");
      return this.o.store.updateHandover(h.id, { payoutState: "none", payoutNote: why });
    };
    if (uact === 0n) return none("no escrow was left to return");
    const word = h.escrowTo ?? h.toHolder;
    const chain = this.o.chains.get(h.toChain);
    const to = !chain ? undefined : isCosmos(chain) ? cosmosAddressOfWord(word, chain.prefix) : evmAddressOfWord(word);
    if (!to || !chain)
      // recorded, not dropped: the gauge and the row keep what the operator owes
      return none(`owed ${uact}uact to ${word} on chain ${h.toChain}: no payout configured for that chain or account family`);
    const currency = isCosmos(chain) ? chain.denom : getAddress(chain.currency);
    const amount = unitsForUact(uact, chain.rate);
    if (amount === 0n) return none(`${uact}uact is worth less than one unit of ${currency} on chain ${h.toChain}`);
    return this.o.store.updateHandover(h.id, {
      payoutState: "owed",
      payoutTo: to,
      payoutChain: h.toChain,
      payoutCurrency: currency,
      payoutAmount: amount.toString(),
      payoutNote: `${uact}uact at ${chain.rate.uactNumerator}/${chain.rate.unitDenominator} uact per unit`,
      payoutNextAt: this.now(),
    });
  }

  private anyChainOf(h: HandoverRow): AnyPayoutChain {
    const c = this.o.chains.get(h.payoutChain!);
    if (!c) throw new Error(`payout chain ${h.payoutChain} of handover ${h.id} is no longer configured`);
    return c;
  }

  private chainOf(h: HandoverRow): PayoutChain {
    const c = this.anyChainOf(h);
    if (isCosmos(c)) throw new Error(`payout chain ${h.payoutChain} of handover ${h.id} is a Cosmos chain`);
    return c;
  }

  /** owed: sign, persist the signed bytes, then broadcast (a crash after the persist re-broadcasts the same bytes). */
  private async send(h: HandoverRow): Promise<HandoverRow> {
    const any = this.anyChainOf(h);
    if (isCosmos(any)) return this.sendCosmos(h, any);
    const c = this.chainOf(h);
    const amount = BigInt(h.payoutAmount!);
    const nonce = await c.provider.getTransactionCount(c.wallet.address, "pending");
    const req =
      h.payoutCurrency === ZeroAddress
        ? { to: h.payoutTo!, value: amount }
        : { to: h.payoutCurrency!, data: ERC20.encodeFunctionData("transfer", [h.payoutTo!, amount]) };
    const tx = await c.wallet.populateTransaction({ ...req, nonce });
    // An odd first fee marks the first version: each replacement doubles it (see earlierVersions).
    if (tx.maxFeePerGas != null) tx.maxFeePerGas = BigInt(tx.maxFeePerGas) | 1n;
    else if (tx.gasPrice != null) tx.gasPrice = BigInt(tx.gasPrice) | 1n;
    const raw = await c.wallet.signTransaction(tx);
    const hash = Transaction.from(raw).hash!;
    const sent = await this.o.store.updateHandover(h.id, {
      payoutState: "sent",
      payoutRaw: raw,
      payoutTx: hash,
      payoutNonce: nonce,
      payoutNextAt: this.now(),
    });
    this.hook(() => this.o.hooks?.beforePayoutBroadcast?.(sent));
    await this.broadcast(c, raw);
    this.log.info(
      { handover: h.id, to: h.payoutTo, amount: h.payoutAmount, currency: h.payoutCurrency, tx: hash },
      "escrow payout sent",
    );
    this.hook(() => this.o.hooks?.afterPayoutBroadcast?.(sent));
    return this.confirm(sent);
  }

  private hook(f: () => void): void {
    try {
      f();
    } catch (e) {
      throw new HookAbort(e);
    }
  }

  /** A node that already has the tx (or mined it) answers with an error: the receipt decides. */
  private async broadcast(c: PayoutChain, raw: string): Promise<void> {
    try {
      await c.provider.broadcastTransaction(raw);
    } catch (e) {
      if (!/already known|nonce (too low|has already been used)|known transaction/i.test(errorMessage(e))) throw e;
    }
  }

  /**
   * sent: the receipt settles it (of the stored tx or an earlier version at the same nonce); no
   * receipt and the nonce still free → re-broadcast the same bytes, or after `stuckBlocks` blocks
   * replace them with doubled fees.
   */
  private async confirm(h: HandoverRow): Promise<HandoverRow> {
    const any = this.anyChainOf(h);
    if (isCosmos(any)) return this.confirmCosmos(h, any);
    const c = this.chainOf(h);
    const receipt = await c.provider.getTransactionReceipt(h.payoutTx!);
    if (receipt) return this.settle(h, h.payoutTx!, receipt.status === 1);
    const mined = await c.provider.getTransactionCount(c.wallet.address, "latest");
    if (mined > h.payoutNonce!) {
      // the nonce is used: by our tx (asked again after the count), an earlier version of it, or another tx
      if (await c.provider.getTransactionReceipt(h.payoutTx!))
        return this.o.store.updateHandover(h.id, { payoutNextAt: this.now() });
      for (const hash of await this.earlierVersions(c, h.payoutRaw!)) {
        const r = await c.provider.getTransactionReceipt(hash);
        if (r) return this.settle(h, hash, r.status === 1);
      }
      return this.resign(h, `nonce ${h.payoutNonce} was used by another transaction`);
    }
    const head = await c.provider.getBlockNumber();
    const seen = this.pendingSince.get(h.id);
    if (!seen || seen.tx !== h.payoutTx) this.pendingSince.set(h.id, { tx: h.payoutTx!, block: head });
    else if (head - seen.block >= (this.o.stuckBlocks ?? 20)) {
      const bumped = await this.bump(c, h, head - seen.block);
      if (bumped) return bumped;
    }
    await this.broadcast(c, h.payoutRaw!);
    return this.o.store.updateHandover(h.id, { payoutNextAt: this.now() + (this.o.pollMs ?? 500) });
  }

  /** A receipt of `tx` (the stored version or an earlier one) was seen. */
  private async settle(h: HandoverRow, tx: string, ok: boolean): Promise<HandoverRow> {
    this.pendingSince.delete(h.id);
    if (!ok) return this.resign(h, `payout tx ${tx} reverted`); // nothing was paid: sign anew later
    if (tx !== h.payoutTx) h = await this.o.store.updateHandover(h.id, { payoutTx: tx }); // an earlier version was mined
    const paid = await this.o.store.payHandover(
      h.id,
      `handover ${h.id}: escrow ${h.escrowUact}uact paid to ${h.payoutTo} on chain ${h.payoutChain}: ${h.payoutAmount} of ${h.payoutCurrency} (tx ${tx})`,
    );
    this.log.info({ handover: h.id, tx }, "escrow payout confirmed");
    this.o.onPaid?.(paid);
    return paid;
  }

  /**
   * Replace the stuck tx by the same transfer at the same nonce with doubled fees: signed,
   * persisted, then broadcast. Undefined when the bump limit is reached (keep re-broadcasting).
   */
  private async bump(c: PayoutChain, h: HandoverRow, blocks: number): Promise<HandoverRow | undefined> {
    const prev = Transaction.from(h.payoutRaw!);
    const fees = feesOf(prev);
    if (!fees || (await this.earlierVersions(c, h.payoutRaw!)).length >= (this.o.maxFeeBumps ?? 4)) return undefined;
    const raw = await c.wallet.signTransaction(withFees(prev, (f) => f * 2n));
    const hash = Transaction.from(raw).hash!;
    const next = await this.o.store.updateHandover(h.id, {
      payoutRaw: raw,
      payoutTx: hash,
      payoutNote: `payout tx ${h.payoutTx} unmined after ${blocks} blocks: replaced by ${hash} at nonce ${h.payoutNonce} with doubled fees`,
      payoutNextAt: this.now(),
    });
    this.log.warn(
      { handover: h.id, replaced: h.payoutTx, tx: hash, nonce: h.payoutNonce, blocks },
      "escrow payout stuck; fees doubled",
    );
    this.hook(() => this.o.hooks?.beforeReplacementBroadcast?.(next));
    this.pendingSince.set(h.id, { tx: hash, block: await c.provider.getBlockNumber() });
    await this.broadcast(c, raw);
    return this.o.store.updateHandover(h.id, { payoutNextAt: this.now() + (this.o.pollMs ?? 500) });
  }

  /**
   * Hashes of the versions `raw` replaced, newest first: each had exactly half its successor's
   * fees, and the first one's max fee (gas price) is odd (send() makes it so). Re-signed, never broadcast.
   */
  private async earlierVersions(c: PayoutChain, raw: string): Promise<string[]> {
    let t = Transaction.from(raw);
    const out: string[] = [];
    for (let i = 0; i < (this.o.maxFeeBumps ?? 4); i++) {
      const fees = feesOf(t);
      if (!fees || fees[0] === 0n || fees[0] % 2n !== 0n) break;
      t = Transaction.from(await c.wallet.signTransaction(withFees(t, (f) => f / 2n)));
      out.push(t.hash!);
    }
    return out;
  }

  private readonly cosmosClients = new Map<string, Promise<SigningStargateClient>>();

  private cosmosClient(c: CosmosPayoutChain): Promise<SigningStargateClient> {
    let p = this.cosmosClients.get(c.hexsChainId);
    if (!p) {
      p = SigningStargateClient.connectWithSigner(c.rpc, c.signer);
      p.catch(() => this.cosmosClients.delete(c.hexsChainId)); // connect again on the next step
      this.cosmosClients.set(c.hexsChainId, p);
    }
    return p;
  }

  /** owed (Cosmos): sign a bank send at the account's current sequence, persist it, then broadcast. */
  private async sendCosmos(h: HandoverRow, c: CosmosPayoutChain): Promise<HandoverRow> {
    const client = await this.cosmosClient(c);
    const [{ accountNumber, sequence }, chainId] = await Promise.all([client.getSequence(c.address), client.getChainId()]);
    const msg = {
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: c.address, toAddress: h.payoutTo!, amount: coins(h.payoutAmount!, h.payoutCurrency!) },
    };
    const fee = calculateFee(COSMOS_SEND_GAS, GasPrice.fromString(c.gasPrice));
    const signed = await client.sign(c.address, [msg], fee, `hexs handover ${h.id}: escrow payout`, {
      accountNumber,
      sequence,
      chainId,
    });
    const bytes = TxRaw.encode(signed).finish();
    const hash = toHex(sha256(bytes)).toUpperCase();
    const sent = await this.o.store.updateHandover(h.id, {
      payoutState: "sent",
      payoutRaw: toBase64(bytes),
      payoutTx: hash,
      payoutNonce: sequence,
      payoutNextAt: this.now(),
    });
    this.hook(() => this.o.hooks?.beforePayoutBroadcast?.(sent));
    await this.broadcastCosmos(client, bytes);
    this.log.info(
      { handover: h.id, to: h.payoutTo, amount: h.payoutAmount, denom: h.payoutCurrency, tx: hash },
      "escrow payout sent (bank send)",
    );
    this.hook(() => this.o.hooks?.afterPayoutBroadcast?.(sent));
    return this.confirmCosmos(sent, c);
  }

  /** A node that has the tx in its cache already answers with an error: the tx index decides. */
  private async broadcastCosmos(client: SigningStargateClient, bytes: Uint8Array): Promise<void> {
    try {
      await client.broadcastTxSync(bytes);
    } catch (e) {
      if (!/already exists in cache|tx already exists/i.test(errorMessage(e))) throw e;
    }
  }

  /**
   * sent (Cosmos): the tx index settles it; not indexed and the sequence still ours → re-broadcast
   * the same bytes; the sequence taken and the hash still unknown → sign anew.
   */
  private async confirmCosmos(h: HandoverRow, c: CosmosPayoutChain): Promise<HandoverRow> {
    const client = await this.cosmosClient(c);
    const found = await client.getTx(h.payoutTx!);
    if (found) return this.settle(h, h.payoutTx!, found.code === 0);
    const { sequence } = await client.getSequence(c.address);
    if (sequence > h.payoutNonce!) {
      // The sequence is used, by our tx or another of the account. The node indexes a block's txs
      // after committing its state, so our tx can show in the sequence before `getTx` finds it:
      // only a hash still unknown COSMOS_INDEX_BLOCKS blocks later means another tx took it.
      const height = await client.getHeight();
      const since = this.sequenceUsedAt.get(h.id) ?? height;
      this.sequenceUsedAt.set(h.id, since);
      if (height < since + COSMOS_INDEX_BLOCKS || (await client.getTx(h.payoutTx!)))
        return this.o.store.updateHandover(h.id, { payoutNextAt: this.now() + (this.o.pollMs ?? 500) });
      this.sequenceUsedAt.delete(h.id);
      return this.resign(h, `sequence ${h.payoutNonce} of ${c.address} was used by another transaction`);
    }
    await this.broadcastCosmos(client, fromBase64(h.payoutRaw!));
    return this.o.store.updateHandover(h.id, { payoutNextAt: this.now() + (this.o.pollMs ?? 500) });
  }

  /** Close the Cosmos clients (the service's stop). */
  close(): void {
    for (const p of this.cosmosClients.values()) void p.then((cl) => cl.disconnect()).catch(() => undefined);
    this.cosmosClients.clear();
  }

  private async resign(h: HandoverRow, why: string): Promise<HandoverRow> {
    this.log.warn({ handover: h.id, why }, "escrow payout not mined; signing again");
    return this.retry(
      await this.o.store.updateHandover(h.id, { payoutState: "owed", payoutRaw: null, payoutTx: null, payoutNonce: null }),
      new Error(why),
    );
  }

  /** Payouts never give up (the holder is owed the money): capped backoff, the error kept in the note. */
  private async retry(h: HandoverRow, e: unknown): Promise<HandoverRow> {
    const attempts = h.payoutAttempts + 1;
    const delay = nextAttemptDelayMs(attempts, {
      baseMs: this.o.backoffBaseMs ?? 1_000,
      maxMs: this.o.backoffMaxMs ?? 60_000,
      maxAttempts: Infinity,
    });
    const msg = errorMessage(e).slice(0, 1000);
    this.log.warn({ handover: h.id, attempts, retryInMs: delay, err: msg }, "escrow payout step failed; will retry");
    return this.o.store.updateHandover(h.id, { payoutAttempts: attempts, payoutNote: msg, payoutNextAt: this.now() + delay });
  }
}

// Dev executor (and DVN stand-in) for the real LayerZero EndpointV2 + SimpleMessageLib: it reads
// `PacketSent` on a source endpoint, verifies each packet on the destination with
// SimpleMessageLib.validatePacket (the exact PacketSent bytes; the library checks nothing but its
// whitelisted caller) and executes it with EndpointV2.lzReceive. Every step is idempotent: the
// endpoint's inbound payload hash and lazy inbound nonce are read before anything is sent, so a
// restart or a second executor never verifies or executes a packet twice.
//
// Ordering: the endpoint lets any verified nonce execute once all lower nonces are verified; the
// Hexs hub refuses a batch out of lane order. The executor therefore delivers each path in nonce
// order and stops that path at its first failure (a later packet could only fail behind it).
// A receive that fails (paused lane, rate limit, out of gas) leaves the packet verified on the
// destination; it is recorded in the failed-receive store and retried on later ticks or by
// `retry()` / `hardhat bridge:retry`.
import {
  Contract,
  dataLength,
  dataSlice,
  Interface,
  toBigInt,
  toNumber,
  ZeroHash,
  type Provider,
  type Signer,
  type TransactionReceipt,
} from "ethers";
import { endpointInterface, lzErrorInterface, messageLibInterface } from "./artifacts";
import { decodePacket, packetKey, type Packet } from "./packet";
import { MemoryFailedReceiveStore, type FailedReceiveStore } from "./store";
import { revertDataOf } from "../../sdk/errors";

/** What the destination endpoint says about a packet. */
export type PacketState = "executed" | "verified" | "unverified" | "nilified" | "mismatch";

export const NIL_PAYLOAD_HASH = "0x" + "ff".repeat(32);

export interface ExecResult {
  ok: boolean;
  /** Nothing was sent because the packet had already been executed. */
  alreadyExecuted?: boolean;
  receipt?: TransactionReceipt;
  /** Decoded revert, e.g. `UnexpectedNonce(2, 3, 4)`. */
  reason?: string;
  gasUsed?: bigint;
}

export interface LzExecutorOptions {
  name?: string;
  source: { provider: Provider; endpoint: string; eid: number };
  destination: { signer: Signer; endpoint: string; messageLib: string; eid: number };
  /** Deliver only to these receiver OApps (default: every receiver on the destination eid). */
  receivers?: readonly string[];
  /** First source block to scan (default 0). */
  fromBlock?: number;
  /** Interfaces of the receiving contracts, to name their custom errors. */
  errorInterfaces?: readonly Interface[];
  store?: FailedReceiveStore;
  log?: (line: string) => void;
}

/**
 * The endpoint's part of an lzReceive transaction above the receiver's option gas: intrinsic gas,
 * the payload hash check and clear, the call (with margin; unused gas is not charged).
 */
const RECEIVE_OVERHEAD_GAS = 100_000n;
/** validatePacket: intrinsic gas, the library's caller check and the endpoint's verify (one stored hash), with margin */
const VALIDATE_GAS = 150_000n;
/**
 * calldata plus copying and hashing, per byte of the message or packet: at least the calldata
 * floor of a transaction that does little else (EIP-7623: 40 per non-zero byte, as validatePacket
 * of a packet of long strings), which a node refuses a gas limit under
 */
const CALLDATA_GAS_PER_BYTE = 48n;

/** Sum of the executor `lzReceive` gas in type-3 options (0 when none). */
export function lzReceiveGasOf(options: string): bigint {
  if (dataLength(options) < 2 || toNumber(dataSlice(options, 0, 2)) !== 3) return 0n;
  let gas = 0n;
  let o = 2;
  const len = dataLength(options);
  while (o + 3 <= len) {
    const worker = toNumber(dataSlice(options, o, o + 1));
    const size = toNumber(dataSlice(options, o + 1, o + 3));
    const type = toNumber(dataSlice(options, o + 3, o + 4));
    if (worker === 1 && type === 1 && size >= 17) gas += toBigInt(dataSlice(options, o + 4, o + 20));
    o += 3 + size;
  }
  return gas;
}

export class LzExecutor {
  readonly name: string;
  readonly store: FailedReceiveStore;
  /** Packets seen on the source and not yet known executed, by packetKey. */
  readonly pending = new Map<string, Packet & { options: string }>();
  private nextBlock: number;
  private readonly srcEndpoint: Contract;
  private readonly dstEndpoint: Contract;
  private readonly dstLib: Contract;
  private readonly errors: Interface;
  private readonly receivers?: Set<string>;
  private readonly log: (line: string) => void;

  constructor(readonly o: LzExecutorOptions) {
    this.name = o.name ?? `${o.source.eid}>${o.destination.eid}`;
    this.store = o.store ?? new MemoryFailedReceiveStore();
    this.nextBlock = o.fromBlock ?? 0;
    this.srcEndpoint = new Contract(o.source.endpoint, endpointInterface(), o.source.provider);
    this.dstEndpoint = new Contract(o.destination.endpoint, endpointInterface(), o.destination.signer);
    this.dstLib = new Contract(o.destination.messageLib, messageLibInterface(), o.destination.signer);
    this.errors = lzErrorInterface(o.errorInterfaces ?? []);
    this.receivers = o.receivers ? new Set(o.receivers.map((r) => r.toLowerCase())) : undefined;
    this.log = o.log ?? (() => undefined);
  }

  /** Read new PacketSent events addressed to the destination eid into `pending`. */
  async poll(): Promise<Packet[]> {
    const provider = this.o.source.provider;
    const latest = await provider.getBlockNumber();
    if (latest < this.nextBlock) return [];
    const topic = this.srcEndpoint.interface.getEvent("PacketSent")!.topicHash;
    const logs = await provider.getLogs({
      address: this.o.source.endpoint,
      topics: [topic],
      fromBlock: this.nextBlock,
      toBlock: latest,
    });
    this.nextBlock = latest + 1;
    const found: Packet[] = [];
    for (const l of logs) {
      const ev = this.srcEndpoint.interface.parseLog(l);
      if (!ev) continue;
      const p = decodePacket(ev.args.encodedPayload as string);
      if (p.dstEid !== this.o.destination.eid) continue;
      if (p.srcEid !== this.o.source.eid)
        throw new Error(`[${this.name}] packet from eid ${p.srcEid} on the endpoint of eid ${this.o.source.eid}`);
      if (this.receivers && !this.receivers.has(p.receiverAddress.toLowerCase())) continue;
      this.pending.set(packetKey(p), { ...p, options: ev.args.options as string });
      found.push(p);
    }
    return found;
  }

  async state(p: Packet): Promise<PacketState> {
    const [hash, lazy] = (await Promise.all([
      this.dstEndpoint.getFunction("inboundPayloadHash")(p.receiverAddress, p.srcEid, p.sender, p.nonce),
      this.dstEndpoint.getFunction("lazyInboundNonce")(p.receiverAddress, p.srcEid, p.sender),
    ])) as [string, bigint];
    if (hash === ZeroHash) return p.nonce <= lazy ? "executed" : "unverified";
    if (hash === NIL_PAYLOAD_HASH) return "nilified";
    return hash === p.payloadHash ? "verified" : "mismatch";
  }

  /** validatePacket on the destination's SimpleMessageLib, unless the packet is already verified or executed. */
  async verify(p: Packet): Promise<TransactionReceipt | undefined> {
    const st = await this.state(p);
    if (st === "executed" || st === "verified") return undefined;
    // a fixed limit from the packet's size instead of the node's estimate (which executes it
    // several times on the destination node): the library stores one payload hash
    const gasLimit = VALIDATE_GAS + CALLDATA_GAS_PER_BYTE * BigInt(dataLength(p.raw));
    const rc = (await (await this.dstLib.getFunction("validatePacket")(p.raw, { gasLimit })).wait()) as TransactionReceipt;
    this.log(`[${this.name}] nonce ${p.nonce} verified (gas ${rc.gasUsed}, tx ${rc.hash})`);
    return rc;
  }

  /**
   * EndpointV2.lzReceive for a verified packet. Simulated first: a receive that would revert is
   * not sent (its reason is returned and stored) unless `force` — then, with a fixed gasLimit, it
   * is mined and fails on chain (the packet stays verified and can be retried). The gas limit is
   * the packet's executor option (what the sender paid for, as LayerZero's executor uses it) plus
   * the endpoint's own part, not a node estimate: on the devnet each estimate of a 64-entry
   * packet held the destination node 0.3–3.2 s. A packet without an lzReceive option is estimated.
   */
  async execute(p: Packet, opts: { force?: boolean; gasLimit?: bigint } = {}): Promise<ExecResult> {
    const st = await this.state(p);
    if (st === "executed") {
      this.settled(p);
      return { ok: true, alreadyExecuted: true };
    }
    if (st !== "verified") return this.failed(p, `packet is ${st} on the destination: verify it first`);
    const fn = this.dstEndpoint.getFunction("lzReceive");
    const args = [{ srcEid: p.srcEid, sender: p.sender, nonce: p.nonce }, p.receiverAddress, p.guid, p.message, "0x"] as const;
    let reason: string | undefined;
    try {
      await fn.staticCall(...args);
    } catch (e) {
      reason = this.describe(e);
      if (!opts.force) {
        this.log(`[${this.name}] nonce ${p.nonce} lzReceive would revert: ${reason}`);
        return this.failed(p, reason);
      }
    }
    let receipt: TransactionReceipt | null;
    try {
      const gasLimit = opts.gasLimit ?? this.receiveGas(p);
      const tx = await fn(...args, gasLimit ? { gasLimit } : {});
      receipt = (await tx.wait()) as TransactionReceipt | null;
    } catch (e) {
      // ethers throws on a mined status-0 receipt but carries it along.
      receipt = ((e as { receipt?: TransactionReceipt }).receipt ?? null) as TransactionReceipt | null;
      if (!receipt) return this.failed(p, this.describe(e));
    }
    if (!receipt || receipt.status !== 1) {
      const r = this.failed(p, reason ?? "lzReceive reverted on chain");
      this.log(`[${this.name}] nonce ${p.nonce} lzReceive mined and REVERTED (gas ${receipt?.gasUsed}): ${r.reason}`);
      return { ...r, receipt: receipt ?? undefined, gasUsed: receipt?.gasUsed };
    }
    if ((await this.state(p)) !== "executed")
      throw new Error(`[${this.name}] nonce ${p.nonce}: lzReceive succeeded but the payload is not cleared`);
    this.settled(p);
    this.log(`[${this.name}] nonce ${p.nonce} delivered (gas ${receipt.gasUsed}, tx ${receipt.hash})`);
    return { ok: true, receipt, gasUsed: receipt.gasUsed };
  }

  /** Verify (if needed) and execute one packet; safe to call any number of times. */
  async deliver(p: Packet): Promise<ExecResult> {
    await this.verify(p);
    return this.execute(p);
  }

  /** One pass: poll, then deliver each path's pending packets in nonce order, stopping a path at its first failure. */
  async tick(): Promise<{ delivered: Packet[]; failed: { packet: Packet; reason: string }[] }> {
    await this.poll();
    const delivered: Packet[] = [];
    const failed: { packet: Packet; reason: string }[] = [];
    const blocked = new Set<string>();
    const list = [...this.pending.values()].sort((a, b) => (a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0));
    for (const p of list) {
      const path = `${p.sender}>${p.receiver}`;
      if (blocked.has(path)) continue;
      const r = await this.deliver(p);
      if (r.ok) {
        if (!r.alreadyExecuted) delivered.push(p);
      } else {
        blocked.add(path);
        failed.push({ packet: p, reason: r.reason ?? "failed" });
      }
    }
    return { delivered, failed };
  }

  /** Retry every stored failed receive for this destination, in nonce order. */
  async retryFailed(): Promise<ExecResult[]> {
    const out: ExecResult[] = [];
    for (const rec of this.store.list(this.o.destination.eid)) {
      const p = decodePacket(rec.packet);
      if (p.srcEid !== this.o.source.eid) continue;
      const r = await this.deliver(p);
      out.push(r);
      if (!r.ok) break;
    }
    return out;
  }

  /** lzReceive's gas limit from the packet's executor options (undefined when it has none) */
  private receiveGas(p: Packet): bigint | undefined {
    const options = (p as Packet & { options?: string }).options ?? this.pending.get(packetKey(p))?.options;
    const gas = options ? lzReceiveGasOf(options) : 0n;
    return gas > 0n ? gas + RECEIVE_OVERHEAD_GAS + CALLDATA_GAS_PER_BYTE * BigInt(dataLength(p.message)) : undefined;
  }

  private failed(p: Packet, reason: string): ExecResult {
    this.store.put({
      key: packetKey(p),
      srcEid: p.srcEid,
      dstEid: p.dstEid,
      nonce: p.nonce.toString(),
      guid: p.guid,
      receiver: p.receiverAddress,
      packet: p.raw,
      reason,
    });
    return { ok: false, reason };
  }

  private settled(p: Packet): void {
    const key = packetKey(p);
    this.pending.delete(key);
    this.store.remove(key);
  }

  private describe(e: unknown): string {
    const data = revertDataOf(e);
    if (data) {
      try {
        const parsed = this.errors.parseError(data);
        if (parsed) return `${parsed.name}(${parsed.args.map((a: unknown) => String(a)).join(", ")})`;
      } catch {
        // unknown error
      }
      return `revert ${data}`;
    }
    return e instanceof Error ? e.message.split("\n")[0] : String(e);
  }
}

// EVM source: polls the hub's `Recorded(entry, kind, body)` logs by block range up to
// head − confirmations. The lane nonce of journal entry n is n on every lane, so each entry
// becomes one codec message per attestation destination. Reorgs: the hash of the cursor block
// is checked before every step (a reorg below the cursor changes it, since hashes chain); on a
// mismatch the remembered hashes are walked back to the fork point, the cursor is rewound and
// operations from orphaned blocks that were not yet submitted are dropped.
import { Contract, Interface, type JsonRpcProvider, keccak256, hexlify, type Log, WebSocketProvider } from "ethers";
import { encodeEnvelope, type Kind } from "../../codec";
import type { EvmChainConfig } from "../config";
import { logger } from "../log";
import type { NewOp, OpStore } from "../store";
import type { PollResult, Source } from "./types";
import { connectEvm } from "./evm-provider";
import { nextAttemptDelayMs, retry, sleep } from "../retry";

/** how nodes word "this eth_getLogs answer would be too large" (geth, erigon, alchemy, infura, besu, hardhat) */
const TOO_LARGE = /too (many|large)|exceed|limit|range|response size|query returned more than/i;

function shortErr(e: unknown): string {
  const x = e as {
    info?: { error?: { message?: string } };
    error?: { message?: string };
    shortMessage?: string;
    message?: string;
  };
  return x.info?.error?.message ?? x.error?.message ?? x.shortMessage ?? x.message ?? String(e);
}

export const HUB_ABI = [
  "event Recorded(uint64 indexed entry, uint8 kind, bytes body)",
  "function chainId() view returns (uint32)",
  "function lane(uint32 chain) view returns (tuple(address transport, bool paused, uint32 ratePerHour, uint32 windowCount, uint64 windowStart, uint64 inbound, uint64 sent, bytes24 sentHead))",
];
const hubInterface = new Interface(HUB_ABI);
const RECORDED = hubInterface.getEvent("Recorded")!.topicHash;

export class EvmSource implements Source {
  readonly name: string;
  readonly hexsChainId: number;
  readonly pollIntervalMs: number;
  readonly retryMaxMs: number;
  private readonly log;

  private _provider?: JsonRpcProvider;
  /** optional websocket (chains[].ws): new heads wake the poll loop; reading stays on HTTP */
  private ws?: WebSocketProvider;
  private wsFailures = 0;
  private wsRetryAt = 0;
  private headWaiters: (() => void)[] = [];
  private closed = false;
  /** current eth_getLogs block range: halved on failures, doubled back up to maxBlockRange */
  private range: number;

  constructor(
    private readonly cfg: EvmChainConfig,
    private readonly store: OpStore,
  ) {
    this.name = cfg.name;
    this.hexsChainId = cfg.hexsChainId;
    this.pollIntervalMs = cfg.pollIntervalMs;
    this.retryMaxMs = cfg.retryMaxMs;
    this.log = logger(`source:${cfg.name}`);
    this.range = cfg.maxBlockRange;
  }

  get provider(): JsonRpcProvider {
    if (!this._provider) throw new Error(`source ${this.name} used before init()`);
    return this._provider;
  }

  async init(): Promise<void> {
    this._provider ??= await connectEvm(this.cfg.rpc);
    const hub = new Contract(this.cfg.hub, HUB_ABI, this.provider);
    const code = await this.call("eth_getCode", () => this.provider.getCode(this.cfg.hub));
    if (code === "0x") throw new Error(`chains[${this.cfg.name}].hub: no contract at ${this.cfg.hub} on ${this.cfg.rpc}`);
    const id = Number(await this.call("hub.chainId", () => hub.chainId()));
    if (id !== this.cfg.hexsChainId)
      throw new Error(
        `chains[${this.cfg.name}].hexsChainId is ${this.cfg.hexsChainId} but the hub at ${this.cfg.hub} says ${id}: fix the config`,
      );
  }

  /**
   * One RPC call with its own retries (a dropped, delayed, 5xx or truncated answer costs one
   * call, not the whole poll). Every failure is retried: these are reads, and a failed read says
   * nothing about the chain. The caller sees the last error once the attempts run out.
   */
  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return retry(fn, {
      policy: { baseMs: 100, maxMs: this.cfg.retryMaxMs, maxAttempts: this.cfg.rpcAttempts },
      onRetry: (e, attempt, delayMs) =>
        this.log.debug({ call: what, attempt, retryInMs: delayMs, err: shortErr(e) }, "RPC call failed; retrying"),
    });
  }

  /**
   * `eth_getLogs` over [from, from + range − 1], halving the range when the node refuses it as
   * too large or the call keeps failing (a large answer is also the one most likely to be cut
   * off); the range grows back after successful reads. Returns the logs and the last block read.
   */
  private async readLogs(from: number, to: number): Promise<{ logs: Log[]; to: number }> {
    for (let attempt = 1; ; attempt++) {
      const upto = Math.min(to, from + this.range - 1);
      try {
        const logs = await this.provider.getLogs({ address: this.cfg.hub, topics: [RECORDED], fromBlock: from, toBlock: upto });
        if (upto - from + 1 >= this.range) this.range = Math.min(this.cfg.maxBlockRange, this.range * 2);
        return { logs, to: upto };
      } catch (e) {
        const tooLarge = TOO_LARGE.test(shortErr(e));
        let halved = false;
        if (this.range > 1 && (tooLarge || attempt >= 2)) {
          this.range = Math.max(1, Math.floor((upto - from + 1) / 2));
          halved = true;
          this.log.debug({ from, range: this.range, err: shortErr(e) }, "getLogs failed: halving the block range");
        }
        if (attempt >= this.cfg.rpcAttempts + (tooLarge ? 16 : 0)) throw e;
        if (!(tooLarge && halved))
          await sleep(nextAttemptDelayMs(attempt, { baseMs: 100, maxMs: this.cfg.retryMaxMs, maxAttempts: Infinity }));
      }
    }
  }

  async poll(): Promise<PollResult> {
    const head = await this.call("eth_blockNumber", () => this.provider.getBlockNumber());
    const safe = head - this.cfg.confirmations;
    const cur = (await this.store.cursor(this.name)) ?? { height: this.cfg.startBlock - 1, hash: null };
    if (cur.hash) {
      const b = await this.call("eth_getBlockByNumber", () => this.provider.getBlock(cur.height));
      if (!b || b.hash !== cur.hash) return this.rewind(head, cur.height);
    }
    if (safe <= cur.height) return { head, cursor: cur.height, observed: 0, behind: false };
    const from = cur.height + 1;
    const read = await this.readLogs(from, Math.min(safe, cur.height + this.cfg.maxBlockRange));
    const { logs, to } = read;
    const last = await this.call("eth_getBlockByNumber", () => this.provider.getBlock(to));
    if (!last?.hash) throw new Error(`block ${to} of ${this.name} not available`);
    // Block hashes come from the logs themselves (every log names its block); a header is read
    // only for the timestamps (end-to-end latency) and for the range's last block (the cursor).
    const blocks = new Map<number, { hash: string; time: number }>([[to, { hash: last.hash, time: last.timestamp * 1000 }]]);
    for (const l of logs) {
      const known = blocks.get(l.blockNumber);
      if (known && known.hash !== l.blockHash)
        throw new Error(`${this.name}: chain changed while reading blocks ${from}..${to}; retrying`);
      if (!known) blocks.set(l.blockNumber, { hash: l.blockHash, time: 0 });
    }
    const missing = [...blocks].filter(([, b]) => b.time === 0).map(([h]) => h);
    for (let i = 0; i < missing.length; i += 4) {
      await Promise.all(
        missing.slice(i, i + 4).map(async (h) => {
          const b = await this.call("eth_getBlockByNumber", () => this.provider.getBlock(h));
          const mine = blocks.get(h)!;
          // The header must be of the logs' branch; otherwise the chain moved: try again next poll.
          if (b && b.hash !== mine.hash)
            throw new Error(`${this.name}: chain changed while reading blocks ${from}..${to}; retrying`);
          mine.time = (b?.timestamp ?? last.timestamp) * 1000;
        }),
      );
    }
    const ops = logs.flatMap((l) => this.toOps(l, blocks.get(l.blockNumber)!.time));
    const refs = [...blocks].map(([height, b]) => ({ height, hash: b.hash }));
    const observed = await this.store.advance(this.name, { height: to, hash: last.hash }, refs, ops, this.cfg.reorgWindow);
    if (observed) this.log.debug({ from, to, observed }, "observed outbound entries");
    return { head, cursor: to, observed, behind: to < safe };
  }

  private toOps(l: Log, time: number): NewOp[] {
    const ev = hubInterface.parseLog({ topics: [...l.topics], data: l.data })!;
    const entry = ev.args.entry as bigint;
    const kind = Number(ev.args.kind) as Kind;
    return this.cfg.deliverTo.map((dst) => {
      const bytes = encodeEnvelope({ kind, srcChain: this.hexsChainId, dstChain: dst, nonce: entry }, ev.args.body as string);
      return {
        src: this.hexsChainId,
        dst,
        nonce: Number(entry),
        kind,
        message: hexlify(bytes),
        digest: keccak256(bytes),
        source: this.name,
        sourceHeight: l.blockNumber,
        sourceHash: l.blockHash,
        sourceTime: time,
      };
    });
  }

  /** Find the newest remembered block still on the chain and rewind to it. */
  private async rewind(head: number, cursorHeight: number): Promise<PollResult> {
    const known = await this.store.blockHashes(this.name);
    let fork = this.cfg.startBlock - 1;
    for (const k of known) {
      if (k.height > cursorHeight) continue;
      const b = await this.call("eth_getBlockByNumber", () => this.provider.getBlock(k.height));
      if (b?.hash === k.hash) {
        fork = k.height;
        break;
      }
    }
    if (fork === this.cfg.startBlock - 1 && known.length)
      this.log.error(
        { cursorHeight, oldest: known[known.length - 1].height },
        "reorg deeper than the remembered window: rescanning from the start block",
      );
    const r = await this.store.rewind(this.name, fork);
    if (r.delivered.length)
      this.log.error(
        { ops: r.delivered.map((o) => o.id) },
        "reorg orphaned operations that were already submitted: raise the confirmation depth of this chain",
      );
    this.log.warn({ from: cursorHeight, to: fork, dropped: r.dropped }, "reorg detected: cursor rewound");
    return { head, cursor: fork, observed: 0, reorg: { toHeight: fork, dropped: r.dropped }, behind: true };
  }

  /**
   * With `ws` configured: a promise resolved by the next new head (eth_subscribe newHeads), so the
   * loop polls as soon as a block arrives instead of after `pollIntervalMs`. Undefined while the
   * websocket is down: the loop then just polls on its interval (the fallback), and the
   * websocket is reopened with backoff.
   */
  nextHead(): Promise<void> | undefined {
    this.connectWs();
    if (!this.ws) return undefined;
    return new Promise((resolve) => this.headWaiters.push(resolve));
  }

  private wakeHeads(): void {
    const w = this.headWaiters;
    this.headWaiters = [];
    for (const r of w) r();
  }

  private connectWs(): void {
    if (!this.cfg.ws || this.ws || this.closed || !this._provider || Date.now() < this.wsRetryAt) return;
    const ws = new WebSocketProvider(this.cfg.ws, this._provider._network, { staticNetwork: true });
    const sock = ws.websocket as unknown as { onerror: ((e: { message?: string }) => void) | null; onclose: (() => void) | null };
    const lost = (why: string): void => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.wsFailures++;
      const retryInMs = nextAttemptDelayMs(this.wsFailures, { baseMs: 500, maxMs: 30_000, maxAttempts: Infinity });
      this.wsRetryAt = Date.now() + retryInMs;
      this.log.warn(
        { ws: this.cfg.ws, why, retryInMs, pollIntervalMs: this.pollIntervalMs },
        "websocket down: polling on the interval until it is back",
      );
      ws.destroy().catch(() => undefined);
      this.wakeHeads();
    };
    // set before the socket can fail (an 'error' without a listener would end the process)
    sock.onerror = (e) => lost(e?.message ?? "error");
    sock.onclose = () => lost("closed");
    this.ws = ws;
    ws.on("block", () => {
      if (this.wsFailures) this.log.info({ ws: this.cfg.ws }, "websocket subscription up");
      this.wsFailures = 0;
      this.wakeHeads();
    }).catch((e: Error) => lost(e.message));
  }

  async close(): Promise<void> {
    this.closed = true;
    const ws = this.ws;
    this.ws = undefined;
    this.wakeHeads();
    await ws?.destroy().catch(() => undefined);
    this._provider?.destroy();
  }
}

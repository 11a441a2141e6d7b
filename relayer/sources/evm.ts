// EVM source: polls the hub's `Recorded(entry, kind, body)` logs by block range up to
// head − confirmations. The lane nonce of journal entry n is n on every lane, so each entry
// becomes one codec message per attestation destination. Reorgs: the hash of the cursor block
// is checked before every step (a reorg below the cursor changes it, since hashes chain); on a
// mismatch the remembered hashes are walked back to the fork point, the cursor is rewound and
// operations from orphaned blocks that were not yet submitted are dropped.
import { Contract, Interface, type JsonRpcProvider, keccak256, hexlify, type Log } from "ethers";
import { encodeEnvelope, type Kind } from "../codec";
import type { EvmChainConfig } from "../config";
import { logger } from "../log";
import type { NewOp, OpStore } from "../store";
import type { PollResult, Source } from "./types";
import { connectEvm } from "./evm-provider";

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
  private readonly log;

  private _provider?: JsonRpcProvider;

  constructor(
    private readonly cfg: EvmChainConfig,
    private readonly store: OpStore,
  ) {
    this.name = cfg.name;
    this.hexsChainId = cfg.hexsChainId;
    this.pollIntervalMs = cfg.pollIntervalMs;
    this.log = logger(`source:${cfg.name}`);
  }

  get provider(): JsonRpcProvider {
    if (!this._provider) throw new Error(`source ${this.name} used before init()`);
    return this._provider;
  }

  async init(): Promise<void> {
    this._provider ??= await connectEvm(this.cfg.rpc);
    const hub = new Contract(this.cfg.hub, HUB_ABI, this.provider);
    const code = await this.provider.getCode(this.cfg.hub);
    if (code === "0x") throw new Error(`chains[${this.cfg.name}].hub: no contract at ${this.cfg.hub} on ${this.cfg.rpc}`);
    const id = Number(await hub.chainId());
    if (id !== this.cfg.hexsChainId) throw new Error(`chains[${this.cfg.name}].hexsChainId is ${this.cfg.hexsChainId} but the hub at ${this.cfg.hub} says ${id}: fix the config`);
  }

  async poll(): Promise<PollResult> {
    const head = await this.provider.getBlockNumber();
    const safe = head - this.cfg.confirmations;
    const cur = (await this.store.cursor(this.name)) ?? { height: this.cfg.startBlock - 1, hash: null };
    if (cur.hash) {
      const b = await this.provider.getBlock(cur.height);
      if (!b || b.hash !== cur.hash) return this.rewind(head, cur.height);
    }
    if (safe <= cur.height) return { head, cursor: cur.height, observed: 0, behind: false };
    const from = cur.height + 1;
    const to = Math.min(safe, cur.height + this.cfg.maxBlockRange);
    const logs = await this.provider.getLogs({ address: this.cfg.hub, topics: [RECORDED], fromBlock: from, toBlock: to });
    const last = await this.provider.getBlock(to);
    if (!last?.hash) throw new Error(`block ${to} of ${this.name} not available`);
    const blocks = new Map<number, { hash: string; time: number }>([[to, { hash: last.hash, time: last.timestamp * 1000 }]]);
    for (const l of logs) {
      if (blocks.has(l.blockNumber)) continue;
      const b = await this.provider.getBlock(l.blockNumber);
      blocks.set(l.blockNumber, { hash: b?.hash ?? l.blockHash, time: (b?.timestamp ?? 0) * 1000 });
    }
    // Logs and the block lookups must describe one branch; otherwise try again next poll.
    for (const l of logs) if (blocks.get(l.blockNumber)!.hash !== l.blockHash) throw new Error(`${this.name}: chain changed while reading blocks ${from}..${to}; retrying`);
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
        src: this.hexsChainId, dst, nonce: Number(entry), kind, message: hexlify(bytes), digest: keccak256(bytes),
        source: this.name, sourceHeight: l.blockNumber, sourceHash: l.blockHash, sourceTime: time,
      };
    });
  }

  /** Find the newest remembered block still on the chain and rewind to it. */
  private async rewind(head: number, cursorHeight: number): Promise<PollResult> {
    const known = await this.store.blockHashes(this.name);
    let fork = this.cfg.startBlock - 1;
    for (const k of known) {
      if (k.height > cursorHeight) continue;
      const b = await this.provider.getBlock(k.height);
      if (b?.hash === k.hash) {
        fork = k.height;
        break;
      }
    }
    if (fork === this.cfg.startBlock - 1 && known.length) this.log.error({ cursorHeight, oldest: known[known.length - 1].height }, "reorg deeper than the remembered window: rescanning from the start block");
    const r = await this.store.rewind(this.name, fork);
    if (r.delivered.length) this.log.error({ ops: r.delivered.map((o) => o.id) }, "reorg orphaned operations that were already submitted: raise the confirmation depth of this chain");
    this.log.warn({ from: cursorHeight, to: fork, dropped: r.dropped }, "reorg detected: cursor rewound");
    return { head, cursor: fork, observed: 0, reorg: { toHeight: fork, dropped: r.dropped }, behind: true };
  }

  async close(): Promise<void> {
    this._provider?.destroy();
  }
}

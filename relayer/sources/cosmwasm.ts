// CosmWasm source: follows heights with the CometBFT client (instant finality; an optional
// confirmation depth still applies) and reads the Hexs contract's `wasm-hexs_outbound` events.
// The contract already emits one event per peer lane, with the codec message, digest and lane
// nonce; only the lanes this relayer delivers are kept.
//
// Scanning: by default (`scan: "search"`) the node's tx index is asked for the transactions of a
// height range (`tx_search` on `tx.height` only, paged), so empty heights cost nothing; the
// contract's events are picked out here. The query names no event attribute on purpose: the kv
// indexer answers an attribute condition per matching *event*, with work for each that grows
// with its transaction, so one transaction of 500 purchases took 4 s per query and page with one
// peer lane (1,000 events) and 10.6 s with two (2,000), and the first poll of a 1,500-purchase
// backlog held the source — and with it /readyz and a graceful stop — for minutes. `tx.height`
// has one index entry per transaction (the same range: 0.2 s). A poll reads at most
// `MAX_SEARCH_PAGES` pages, then stops at the last height it read whole (one height is always
// read whole), so a poll stays bounded however busy the range. CometBFT indexes a block's
// transactions just after committing it, so the newest
// `exactTail` heights (default 1: the head block) are read exactly with `block_results`
// instead of trusting an index that may not have caught up. A node with indexing disabled is
// detected and the source falls back to `block_results` per height (`scan: "blockResults"`).
// Either way the cursor is the last height fully read, persisted with the operations found.
import { connectComet, type CometClient } from "@cosmjs/tendermint-rpc";
import { toHex } from "@cosmjs/encoding";
import { keccak256 } from "ethers";
import type { CosmwasmChainConfig } from "../config";
import { logger } from "../log";
import { retry } from "../retry";
import type { NewOp, OpStore } from "../store";
import type { PollResult, Source } from "./types";

const EVENT = "wasm-hexs_outbound";
/** heights per poll when reading block_results one by one */
const MAX_RANGE = 200;
/** heights per tx_search range */
const MAX_SEARCH_RANGE = 10_000;
const PER_PAGE = 100;
/** tx_search pages per poll (each page repeats the node's match over the range) */
const MAX_SEARCH_PAGES = 5;

interface RawEvent {
  readonly type: string;
  readonly attributes: readonly { readonly key: string; readonly value: string }[];
}

export class CosmwasmSource implements Source {
  readonly name: string;
  readonly hexsChainId: number;
  readonly pollIntervalMs: number;
  readonly retryMaxMs: number;
  private comet?: CometClient;
  private readonly log;
  private scan: "search" | "blockResults";

  constructor(
    private readonly cfg: CosmwasmChainConfig,
    private readonly store: OpStore,
  ) {
    this.name = cfg.name;
    this.hexsChainId = cfg.hexsChainId;
    this.pollIntervalMs = cfg.pollIntervalMs;
    this.retryMaxMs = cfg.retryMaxMs;
    this.log = logger(`source:${cfg.name}`);
    this.scan = cfg.scan;
  }

  /** how this source reads heights now ("search" may have fallen back to "blockResults") */
  get scanMode(): "search" | "blockResults" {
    return this.scan;
  }

  private async client(): Promise<CometClient> {
    this.comet ??= await connectComet(this.cfg.rpc);
    return this.comet;
  }

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return retry(fn, { policy: { baseMs: 100, maxMs: this.cfg.retryMaxMs, maxAttempts: this.cfg.rpcAttempts } });
  }

  async init(): Promise<void> {
    await this.client();
  }

  async poll(): Promise<PollResult> {
    const comet = await this.client();
    const head = (await this.call(() => comet.status())).syncInfo.latestBlockHeight;
    const safe = head - this.cfg.confirmations;
    const cur = (await this.store.cursor(this.name)) ?? { height: this.cfg.startHeight - 1, hash: null };
    if (safe <= cur.height) return { head, cursor: cur.height, observed: 0, behind: false };
    const from = cur.height + 1;
    const found: NewOp[] = [];
    let to: number;
    if (this.scan === "search") {
      to = Math.min(safe, cur.height + MAX_SEARCH_RANGE);
      // heights the index may not have caught up with are read exactly
      const exactFrom = Math.max(from, head - this.cfg.exactTail + 1);
      if (from < exactFrom) {
        const searched = await this.search(comet, from, Math.min(to, exactFrom - 1));
        if (searched === undefined) return this.poll(); // fell back to blockResults
        found.push(...searched.ops);
        // the page budget ran out: the next poll goes on from the last height read whole
        if (searched.through < Math.min(to, exactFrom - 1)) to = searched.through;
      }
      for (let h = exactFrom; h <= to; h++) found.push(...(await this.heightResults(comet, h)));
    } else {
      to = Math.min(safe, cur.height + MAX_RANGE);
      for (let h = from; h <= to; h++) found.push(...(await this.heightResults(comet, h)));
    }
    // Block hash and time (end-to-end latency) only for heights that carry operations.
    const ops: NewOp[] = [];
    const headers = new Map<number, { hash: string; time: number }>();
    for (const o of found) {
      let hdr = headers.get(o.sourceHeight);
      if (!hdr) {
        const block = await this.call(() => comet.block(o.sourceHeight));
        hdr = { hash: `0x${toHex(block.blockId.hash)}`, time: block.block.header.time.getTime() };
        headers.set(o.sourceHeight, hdr);
      }
      ops.push({ ...o, sourceHash: hdr.hash, sourceTime: hdr.time });
    }
    const observed = await this.store.advance(this.name, { height: to, hash: null }, [], ops, 0);
    if (observed) this.log.debug({ from, to, observed }, "observed outbound events");
    return { head, cursor: to, observed, behind: to < safe };
  }

  /**
   * Operations of [from, through] from the tx index, `through` ≤ `to`: the page budget may end
   * the read early, at the last height read whole. Undefined when the node has no tx index (fallback).
   */
  private async search(comet: CometClient, from: number, to: number): Promise<{ ops: NewOp[]; through: number } | undefined> {
    const query = `tx.height>=${from} AND tx.height<=${to}`;
    const ops: NewOp[] = [];
    let through = to;
    try {
      for (let page = 1; ; page++) {
        const r = await this.call(() => comet.txSearch({ query, page, per_page: PER_PAGE, order_by: "asc" }));
        for (const tx of r.txs)
          if (tx.result.code === 0) ops.push(...this.fromEvents(tx.height, tx.result.events as readonly RawEvent[]));
        if (page * PER_PAGE >= r.totalCount || r.txs.length === 0) break;
        const last = r.txs[r.txs.length - 1].height;
        if (page >= MAX_SEARCH_PAGES && last > from) {
          // heights below the last one seen are complete (ascending order); that one is read again next poll
          through = last - 1;
          return { ops: ops.filter((o) => o.sourceHeight <= through), through };
        }
      }
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      if (!/index(ing)? (is )?disabled|tx indexing is disabled|transaction indexing is disabled/i.test(msg)) throw e;
      this.log.warn(
        { err: msg },
        "the node does not index transactions: reading block_results per height (slower); enable tx_index or set scan: blockResults",
      );
      this.scan = "blockResults";
      return undefined;
    }
    return { ops, through };
  }

  private async heightResults(comet: CometClient, h: number): Promise<NewOp[]> {
    const res = await this.call(async (): Promise<{ results: readonly { code: number; events: readonly RawEvent[] }[] }> =>
      comet.blockResults(h),
    );
    const ops: NewOp[] = [];
    for (const tx of res.results) if (tx.code === 0) ops.push(...this.fromEvents(h, tx.events as readonly RawEvent[]));
    return ops;
  }

  private fromEvents(h: number, events: readonly RawEvent[]): NewOp[] {
    const ops: NewOp[] = [];
    for (const ev of events) {
      if (ev.type !== EVENT) continue;
      const a = Object.fromEntries(ev.attributes.map((x) => [x.key, x.value]));
      if (a._contract_address !== this.cfg.contract) continue;
      const dst = Number(a.dst);
      if (!this.cfg.deliverTo.includes(dst)) continue;
      const message = `0x${a.message}`;
      const digest = keccak256(message);
      if (a.digest && `0x${a.digest}` !== digest)
        throw new Error(`${this.name}: event at height ${h} carries digest ${a.digest} but its message hashes to ${digest}`);
      ops.push({
        src: this.hexsChainId,
        dst,
        nonce: Number(a.nonce),
        kind: parseInt(a.message.slice(2, 4), 16),
        message,
        digest,
        source: this.name,
        sourceHeight: h,
        sourceHash: "",
        sourceTime: 0,
      });
    }
    return ops;
  }

  async close(): Promise<void> {
    this.comet?.disconnect();
  }
}

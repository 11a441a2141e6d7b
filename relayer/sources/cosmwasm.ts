// CosmWasm source: walks heights with the CometBFT client (instant finality; an optional
// confirmation depth still applies) and reads the Hexs contract's `wasm-hexs_outbound` events
// from each block's results. The contract already emits one event per peer lane, with the
// codec message, digest and lane nonce; only the lanes this relayer delivers are kept.
import { connectComet, type CometClient } from "@cosmjs/tendermint-rpc";
import { toHex } from "@cosmjs/encoding";
import { keccak256 } from "ethers";
import type { CosmwasmChainConfig } from "../config";
import { logger } from "../log";
import type { NewOp, OpStore } from "../store";
import type { PollResult, Source } from "./types";

const EVENT = "wasm-hexs_outbound";
const MAX_RANGE = 200;

export class CosmwasmSource implements Source {
  readonly name: string;
  readonly hexsChainId: number;
  readonly pollIntervalMs: number;
  readonly retryMaxMs: number;
  private comet?: CometClient;
  private readonly log;

  constructor(
    private readonly cfg: CosmwasmChainConfig,
    private readonly store: OpStore,
  ) {
    this.name = cfg.name;
    this.hexsChainId = cfg.hexsChainId;
    this.pollIntervalMs = cfg.pollIntervalMs;
    this.retryMaxMs = cfg.retryMaxMs;
    this.log = logger(`source:${cfg.name}`);
  }

  private async client(): Promise<CometClient> {
    this.comet ??= await connectComet(this.cfg.rpc);
    return this.comet;
  }

  async init(): Promise<void> {
    await this.client();
  }

  async poll(): Promise<PollResult> {
    const comet = await this.client();
    const head = (await comet.status()).syncInfo.latestBlockHeight;
    const safe = head - this.cfg.confirmations;
    const cur = (await this.store.cursor(this.name)) ?? { height: this.cfg.startHeight - 1, hash: null };
    if (safe <= cur.height) return { head, cursor: cur.height, observed: 0, behind: false };
    const to = Math.min(safe, cur.height + MAX_RANGE);
    const ops: NewOp[] = [];
    for (let h = cur.height + 1; h <= to; h++) {
      const res = await comet.blockResults(h);
      const found: NewOp[] = [];
      for (const tx of res.results) {
        if (tx.code !== 0) continue;
        for (const ev of tx.events) {
          if (ev.type !== EVENT) continue;
          const a = Object.fromEntries(ev.attributes.map((x) => [x.key, x.value]));
          if (a._contract_address !== this.cfg.contract) continue;
          const dst = Number(a.dst);
          if (!this.cfg.deliverTo.includes(dst)) continue;
          const message = `0x${a.message}`;
          const digest = keccak256(message);
          if (a.digest && `0x${a.digest}` !== digest) throw new Error(`${this.name}: event at height ${h} carries digest ${a.digest} but its message hashes to ${digest}`);
          found.push({ src: this.hexsChainId, dst, nonce: Number(a.nonce), kind: parseInt(a.message.slice(2, 4), 16), message, digest, source: this.name, sourceHeight: h, sourceHash: "", sourceTime: 0 });
        }
      }
      if (found.length) {
        const block = await comet.block(h);
        const hash = `0x${toHex(block.blockId.hash)}`;
        const time = block.block.header.time.getTime();
        for (const o of found) ops.push({ ...o, sourceHash: hash, sourceTime: time });
      }
    }
    const observed = await this.store.advance(this.name, { height: to, hash: null }, [], ops, 0);
    if (observed) this.log.debug({ to, observed }, "observed outbound events");
    return { head, cursor: to, observed, behind: to < safe };
  }

  async close(): Promise<void> {
    this.comet?.disconnect();
  }
}

// What the lease service reads from the purchase chains: settled purchases that asked for a
// deployment, DAO infrastructure spends, key expiry, SDL locators, escrows and the Akash lane's
// inbound nonce. One `PurchaseChain` per chain named in `akash.purchases`, polled up to its
// confirmation depth with a cursor persisted in the lease database (a crash re-reads at most the
// last range; submitting a purchase twice is a no-op).
import { CosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { connectComet, type CometClient } from "@cosmjs/tendermint-rpc";
import { Contract, Interface, ZeroAddress, type JsonRpcProvider } from "ethers";
import { cosmosAccount } from "../../sdk/accounts";
import { HexsRegistry__factory } from "../../sdk/typechain/factories/contracts/evm/registry/HexsRegistry__factory";
import {
  decodeBody,
  decodeMessage,
  Kind,
  type KeyMovedBody,
  type KeyTransferredBody,
  type PurchaseSettledBody,
} from "../../codec";
import type { ChainConfig, CosmwasmChainConfig, EvmChainConfig } from "../config";
import { connectEvm } from "../sources/evm-provider";
import type { LeaseReportStore } from "../store";
import { AkashError } from "../../sdk/akash/errors";
import type { LeaseRequest } from "./pipeline";
import { evmHolderWord, holderWord } from "./holder";
import type { InfrastructureFundedEvent, SpendEvidence } from "./topups";
import type { KeyTransferFact } from "./handover";

export const MARKET_ABI = [
  "event Purchased(uint256 indexed keyId, uint64 indexed modelId, address indexed buyer, address recipient, address currency, uint256 keyPrice, uint256 deploymentEscrow, bytes deploymentParams)",
  "function registry() view returns (address)",
  "function escrowOf(uint256 keyId) view returns (tuple(address buyer, address currency, uint256 amount, uint64 reclaimableAt, uint64 modelId))",
];
const FACTORY_ABI = ["function governorOf(uint64 modelId) view returns (address)"];
const REGISTRY_ABI = HexsRegistry__factory.abi;
const KEYS_ABI = [
  "function expiresAt(uint256 keyId) view returns (uint64)",
  "function ownerOf(uint256 keyId) view returns (address)",
];
const HUB_ABI = [
  "function lane(uint32 chain) view returns (tuple(address transport, bool paused, uint32 ratePerHour, uint32 windowCount, uint64 windowStart, uint64 inbound, uint64 sent, bytes24 sentHead))",
];
export const GOVERNOR_EVENTS = new Interface([
  "event InfrastructureFunded(uint64 indexed modelId, address indexed currency, address indexed to, uint256 amount, string purpose)",
]);
/** The hub's journal: every local fact (KeyTransferred, KeyMoved, ...) of this chain, one event each. */
const HUB_EVENTS = new Interface(["event Recorded(uint64 indexed entry, uint8 kind, bytes body)"]);
const RECORDED = HUB_EVENTS.getEvent("Recorded")!.topicHash;
const market = new Interface(MARKET_ABI);
const PURCHASED = market.getEvent("Purchased")!.topicHash;
const FUNDED = GOVERNOR_EVENTS.getEvent("InfrastructureFunded")!.topicHash;

export interface FeedSink {
  purchase(req: LeaseRequest): Promise<void> | void;
  spend?(e: InfrastructureFundedEvent, evidence: SpendEvidence): Promise<void> | void;
  /** a key changed hands on this chain (transfer) or left it (move); handed to the lease handovers */
  transfer?(f: KeyTransferFact): Promise<void> | void;
}

/** A KeyTransferred / KeyMoved fact of chain `chain` as a handover request (undefined: another kind). */
export function keyTransferFact(
  chain: number,
  kind: number,
  body: string,
  at: { sourceTx: string; logIndex: number; block: number },
): KeyTransferFact | undefined {
  if (kind === Kind.KeyTransferred) {
    const b = decodeBody(Kind.KeyTransferred, body) as KeyTransferredBody;
    return {
      ...at,
      sourceChain: String(chain),
      kind: "transfer",
      keyId: b.keyId,
      toHolder: holderWord(b.to),
      toChain: String(chain),
    };
  }
  if (kind === Kind.KeyMoved) {
    const b = decodeBody(Kind.KeyMoved, body) as KeyMovedBody;
    return {
      ...at,
      sourceChain: String(chain),
      kind: "move",
      keyId: b.keyId,
      toHolder: holderWord(b.owner),
      toChain: String(b.toChain),
    };
  }
  return undefined;
}

export interface PurchaseChain {
  readonly name: string;
  readonly hexsChainId: number;
  init(): Promise<void>;
  /** One finalized range: purchases (and spends) handed to `sink`, cursor moved. True if behind. */
  poll(sink: FeedSink): Promise<boolean>;
  /** The model's SDL locator as this chain's registry / mirror knows it. */
  sdlLocator(modelId: string): Promise<string>;
  /** Is the purchase's deployment escrow still open (not yet resolved)? undefined: no escrow at all. */
  escrowOpen(purchaseId: bigint): Promise<boolean | undefined>;
  /** The model of a purchase whose deployment escrow is still open (undefined: none open). */
  openEscrowModel(purchaseId: bigint): Promise<bigint | undefined>;
  /** Last nonce this chain applied from `srcChain` (the Akash lane). */
  inbound(srcChain: number): Promise<number>;
  /**
   * The account words a purchase's deployment may be bound to (./holder.ts): the key's current
   * holder if it resides on this chain, and the purchase's buyer. Co-signers check the manifest against them.
   */
  keyHolders(keyId: bigint, modelId: bigint): Promise<string[]>;
  /** The key's current holder's account word if the key resides on this chain (undefined: it does not). */
  holderOf(keyId: bigint, modelId: bigint): Promise<string | undefined>;
  /** The chain's latest block time, unix seconds (key expiry is the chain's clock). */
  time(): Promise<number>;
  close(): Promise<void>;
}

export class EvmPurchaseChain implements PurchaseChain {
  readonly name: string;
  readonly hexsChainId: number;
  private provider?: JsonRpcProvider;
  private registryAddr?: string;

  constructor(
    private readonly cfg: EvmChainConfig,
    private readonly market: string,
    private readonly store: LeaseReportStore,
    private readonly from: number | undefined,
    private readonly watchSpends: boolean,
    /** the DAO factory whose governors' spends count (DaoFactory.governorOf) */
    private readonly daoFactory?: string,
  ) {
    this.name = cfg.name;
    this.hexsChainId = cfg.hexsChainId;
  }

  private get p(): JsonRpcProvider {
    if (!this.provider) throw new Error(`purchase chain ${this.name} used before init()`);
    return this.provider;
  }

  async init(): Promise<void> {
    this.provider ??= await connectEvm(this.cfg.rpc);
    if ((await this.p.getCode(this.market)) === "0x")
      throw new AkashError(
        "config_invalid",
        `akash.purchases[${this.name}].market: no contract at ${this.market} on ${this.cfg.rpc}`,
        { retryable: false },
      );
    this.registryAddr ??= String(await new Contract(this.market, MARKET_ABI, this.p).registry());
  }

  async poll(sink: FeedSink): Promise<boolean> {
    const key = `purchases:${this.name}`;
    const head = await this.p.getBlockNumber();
    const safe = head - this.cfg.confirmations;
    const cur = (await this.store.cursor(key)) ?? (this.from ?? this.cfg.startBlock) - 1;
    if (safe <= cur) return false;
    const fromBlock = cur + 1;
    const toBlock = Math.min(safe, cur + this.cfg.maxBlockRange);
    const logs = await this.p.getLogs({ address: this.market, topics: [PURCHASED], fromBlock, toBlock });
    for (const l of logs) {
      const ev = market.parseLog({ topics: [...l.topics], data: l.data })!;
      const params = ev.args.deploymentParams as string;
      if (params === "0x") continue; // a key only
      const keyId = ev.args.keyId as bigint;
      const modelId = ev.args.modelId as bigint;
      const keys = String(await new Contract(this.registryAddr!, REGISTRY_ABI, this.p).keysOf(modelId));
      const expiresAt = Number(await new Contract(keys, KEYS_ABI, this.p).expiresAt(keyId));
      await sink.purchase({
        purchaseChain: String(this.hexsChainId),
        keyId,
        modelId,
        buyer: String(ev.args.buyer),
        deploymentParams: params,
        expiresAt,
        // the key went to the recipient: the deployment serves its holder
        holder: { word: evmHolderWord(String(ev.args.recipient)), chain: String(this.hexsChainId) },
      });
    }
    if (sink.transfer) {
      // after the range's purchases: a key bought and resold in the same range finds its lease job
      for (const l of await this.p.getLogs({ address: this.cfg.hub, topics: [RECORDED], fromBlock, toBlock })) {
        const ev = HUB_EVENTS.parseLog({ topics: [...l.topics], data: l.data })!;
        const f = keyTransferFact(this.hexsChainId, Number(ev.args.kind), String(ev.args.body), {
          sourceTx: l.transactionHash,
          logIndex: l.index,
          block: l.blockNumber,
        });
        if (f) await sink.transfer(f);
      }
    }
    if (this.watchSpends && sink.spend) {
      for (const l of await this.p.getLogs({ topics: [FUNDED], fromBlock, toBlock })) {
        const ev = GOVERNOR_EVENTS.parseLog({ topics: [...l.topics], data: l.data })!;
        const modelId = ev.args.modelId as bigint;
        const receipt = await this.p.getTransactionReceipt(l.transactionHash);
        await sink.spend(
          {
            sourceChain: String(this.hexsChainId),
            txHash: l.transactionHash,
            logIndex: l.index,
            emitter: l.address,
            modelId,
            currency: String(ev.args.currency),
            to: String(ev.args.to),
            amount: ev.args.amount as bigint,
            purpose: String(ev.args.purpose),
          },
          {
            governor: this.daoFactory
              ? String(await new Contract(this.daoFactory, FACTORY_ABI, this.p).governorOf(modelId))
              : undefined,
            logs: receipt?.logs ?? [],
          },
        );
      }
    }
    await this.store.setCursor(key, toBlock);
    return toBlock < safe;
  }

  async sdlLocator(modelId: string): Promise<string> {
    const m = await new Contract(this.registryAddr!, REGISTRY_ABI, this.p).model(BigInt(modelId));
    return String(m.sdlLocator);
  }

  async escrowOpen(purchaseId: bigint): Promise<boolean | undefined> {
    const e = await new Contract(this.market, MARKET_ABI, this.p).escrowOf(purchaseId);
    return (e.amount as bigint) > 0n ? true : e.buyer === "0x0000000000000000000000000000000000000000" ? undefined : false;
  }

  async openEscrowModel(purchaseId: bigint): Promise<bigint | undefined> {
    const e = await new Contract(this.market, MARKET_ABI, this.p).escrowOf(purchaseId);
    return (e.amount as bigint) > 0n ? (e.modelId as bigint) : undefined;
  }

  async inbound(srcChain: number): Promise<number> {
    return Number((await new Contract(this.cfg.hub, HUB_ABI, this.p).lane(srcChain)).inbound);
  }

  async holderOf(keyId: bigint, modelId: bigint): Promise<string | undefined> {
    const keys = String(await new Contract(this.registryAddr!, REGISTRY_ABI, this.p).keysOf(modelId));
    try {
      return evmHolderWord(String(await new Contract(keys, KEYS_ABI, this.p).ownerOf(keyId)));
    } catch {
      return undefined; // not resident here (moved away or burned)
    }
  }

  async keyHolders(keyId: bigint, modelId: bigint): Promise<string[]> {
    const out: string[] = [];
    const holder = await this.holderOf(keyId, modelId);
    if (holder) out.push(holder); // else only the buyer remains
    const e = await new Contract(this.market, MARKET_ABI, this.p).escrowOf(keyId);
    if (e.buyer !== ZeroAddress) out.push(evmHolderWord(String(e.buyer)));
    return [...new Set(out)];
  }

  async time(): Promise<number> {
    return (await this.p.getBlock("latest"))!.timestamp;
  }

  async close(): Promise<void> {
    this.provider?.destroy();
  }
}

export class CosmwasmPurchaseChain implements PurchaseChain {
  readonly name: string;
  readonly hexsChainId: number;
  private comet?: CometClient;
  private wasm?: CosmWasmClient;

  constructor(
    private readonly cfg: CosmwasmChainConfig,
    private readonly store: LeaseReportStore,
    private readonly from: number | undefined,
    /** leaders with top-ups: read the contract's DAO infrastructure spends */
    private readonly watchSpends = false,
  ) {
    this.name = cfg.name;
    this.hexsChainId = cfg.hexsChainId;
  }

  async init(): Promise<void> {
    this.comet ??= await connectComet(this.cfg.rpc);
    this.wasm ??= await CosmWasmClient.connect(this.cfg.rpc);
  }

  private query<T>(msg: unknown): Promise<T> {
    return this.wasm!.queryContractSmart(this.cfg.contract, msg) as Promise<T>;
  }

  /** PurchaseSettled facts leave once per peer lane: one lease per purchase id. */
  async poll(sink: FeedSink): Promise<boolean> {
    const key = `purchases:${this.name}`;
    const head = (await this.comet!.status()).syncInfo.latestBlockHeight;
    const safe = head - this.cfg.confirmations;
    const cur = (await this.store.cursor(key)) ?? (this.from ?? this.cfg.startHeight) - 1;
    if (safe <= cur) return false;
    const to = Math.min(safe, cur + 200);
    for (let h = cur + 1; h <= to; h++) {
      const res = await this.comet!.blockResults(h);
      const seen = new Set<bigint>();
      const transfers: KeyTransferFact[] = [];
      for (const [txIndex, tx] of res.results.entries()) {
        if (tx.code !== 0) continue;
        // each fact leaves once per peer lane: a tx's transfers are those of its first lane, in order
        let lane: string | undefined;
        let ordinal = 0;
        for (const [eventIndex, ev] of tx.events.entries()) {
          if (ev.type === "wasm-hexs_infrastructure_funded" && this.watchSpends && sink.spend) {
            const a = Object.fromEntries(ev.attributes.map((x) => [x.key, x.value]));
            // the contract checked that the sender is the model's DAO and paid `to` in this tx
            await sink.spend(
              {
                family: "cosmwasm",
                sourceChain: String(this.hexsChainId),
                txHash: `${h}/${txIndex}`,
                logIndex: eventIndex,
                emitter: a._contract_address,
                modelId: BigInt(a.model),
                currency: a.denom,
                to: a.to,
                amount: BigInt(a.amount),
                purpose: a.purpose,
              },
              { governor: this.cfg.contract, logs: [] },
            );
            continue;
          }
          if (ev.type !== "wasm-hexs_outbound") continue;
          const a = Object.fromEntries(ev.attributes.map((x) => [x.key, x.value]));
          if (a._contract_address !== this.cfg.contract || typeof a.message !== "string") continue;
          if (a.message.slice(2, 4) === "04" && sink.transfer) {
            lane ??= a.dst;
            if (a.dst !== lane) continue;
            const m = decodeMessage(`0x${a.message}`);
            if (m.kind !== Kind.KeyTransferred) continue;
            const b = m.body as KeyTransferredBody;
            transfers.push({
              sourceChain: String(this.hexsChainId),
              sourceTx: `${h}/${txIndex}`,
              logIndex: ordinal++,
              block: h,
              kind: "transfer",
              keyId: b.keyId,
              toHolder: holderWord(b.to),
              toChain: String(this.hexsChainId),
            });
            continue;
          }
          if (a.message.slice(2, 4) !== "07") continue;
          const m = decodeMessage(`0x${a.message}`);
          if (m.kind !== Kind.PurchaseSettled) continue;
          const b = m.body as PurchaseSettledBody;
          if (!b.deploymentRequested || seen.has(b.purchaseId)) continue;
          seen.add(b.purchaseId);
          const k = await this.query<{ expires_at?: number | null }>({ key: { id: b.keyId.toString() } });
          await sink.purchase({
            purchaseChain: String(this.hexsChainId),
            keyId: b.keyId,
            modelId: b.modelId,
            buyer: b.buyer.address,
            deploymentParams: b.deploymentParams === "0x" ? { v: 1 } : b.deploymentParams,
            expiresAt: k.expires_at ?? 0,
            holder: { word: holderWord(b.buyer), chain: String(this.hexsChainId) },
          });
        }
      }
      // after the height's purchases (see EvmPurchaseChain.poll)
      for (const f of transfers) await sink.transfer!(f);
      await this.store.setCursor(key, h);
    }
    return to < safe;
  }

  async sdlLocator(modelId: string): Promise<string> {
    return (await this.query<{ sdl_uri: string }>({ model: { id: modelId } })).sdl_uri;
  }

  async escrowOpen(purchaseId: bigint): Promise<boolean | undefined> {
    try {
      const e = await this.query<{ status: string }>({ escrow: { key_id: purchaseId.toString() } });
      return e.status === "pending";
    } catch (e) {
      if (/not found|unknown/i.test((e as Error).message)) return undefined;
      throw e;
    }
  }

  async openEscrowModel(purchaseId: bigint): Promise<bigint | undefined> {
    try {
      const e = await this.query<{ status: string; model: number | string }>({ escrow: { key_id: purchaseId.toString() } });
      return e.status === "pending" ? BigInt(e.model) : undefined;
    } catch (e) {
      if (/not found|unknown/i.test((e as Error).message)) return undefined;
      throw e;
    }
  }

  async holderOf(keyId: bigint): Promise<string | undefined> {
    try {
      const k = await this.query<{ owner: string; resident_chain: number }>({ key: { id: keyId.toString() } });
      // the contract's account word is family ‖ address (no length byte): re-encode it as the codec does
      if (k.resident_chain === this.hexsChainId && k.owner.length > 2)
        return holderWord({ family: parseInt(k.owner.slice(0, 2), 16), address: "0x" + k.owner.slice(2).toLowerCase() });
    } catch {
      // unknown key
    }
    return undefined;
  }

  async keyHolders(keyId: bigint): Promise<string[]> {
    const out: string[] = [];
    const holder = await this.holderOf(keyId);
    if (holder) out.push(holder); // else only the buyer remains
    try {
      const e = await this.query<{ buyer: string }>({ escrow: { key_id: keyId.toString() } });
      out.push(cosmosHolderWord(e.buyer));
    } catch {
      // no escrow
    }
    return [...new Set(out)];
  }

  async inbound(srcChain: number): Promise<number> {
    const l = await this.query<{ inbound: { chain: number; nonce: number }[] }>({ lanes: {} });
    return l.inbound.find((x) => x.chain === srcChain)?.nonce ?? 0;
  }

  async time(): Promise<number> {
    return Math.floor((await this.comet!.status()).syncInfo.latestBlockTime.getTime() / 1000);
  }

  async close(): Promise<void> {
    this.comet?.disconnect();
    this.wasm?.disconnect();
  }
}

/** The account word of a bech32 address (20 bytes: a Cosmos account, 32: a CosmWasm contract). */
export function cosmosHolderWord(bech32: string): string {
  return holderWord(cosmosAccount(bech32));
}

/** The purchase chains of `akash.purchases`, resolved against `chains[]`. */
export function purchaseChains(
  chains: readonly ChainConfig[],
  purchases: readonly { chain: string; market?: string; from?: number; daoFactory?: string }[],
  store: LeaseReportStore,
  watchSpends: boolean,
): PurchaseChain[] {
  return purchases.map((p, i) => {
    const c = chains.find((x) => x.name === p.chain);
    if (!c)
      throw new AkashError(
        "config_invalid",
        `akash.purchases[${i}].chain: '${p.chain}' is not in chains[] (${chains.map((x) => x.name).join(", ")})`,
        { retryable: false },
      );
    if (c.type === "evm") {
      if (!p.market)
        throw new AkashError(
          "config_invalid",
          `akash.purchases[${i}].market: required for the EVM chain '${p.chain}' (the HexsMarket address)`,
          { retryable: false },
        );
      return new EvmPurchaseChain(c, p.market, store, p.from, watchSpends, p.daoFactory);
    }
    return new CosmwasmPurchaseChain(c, store, p.from, watchSpends);
  });
}

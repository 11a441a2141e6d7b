// CosmWasm destination: the Hexs contract's `receive_batch { messages, signatures }` with 64-byte
// r‖s signatures and the signer's compressed public key (as stored in the contract's relayer
// set). `lanes {}` answers "already delivered?".
//
// Account sequence: several instances of one operator may submit with the same account (one
// PostgreSQL queue). A Cosmos mempool takes an account's transactions only in sequence order, so
// the sequence is handed out by the store under the identity's row lock and the transaction is
// signed with it AND handed to the node (broadcast_tx_sync, i.e. CheckTx) while the lock is
// held; inclusion is then awaited outside the lock (`status`). The sequence used is
// max(stored next, the chain's committed sequence); a "sequence mismatch" from the node resets
// the stored counter so the next submission follows the chain again.
import { SigningCosmWasmClient, type MsgExecuteContractEncodeObject } from "@cosmjs/cosmwasm-stargate";
import { encodeSecp256k1Pubkey, type Pubkey } from "@cosmjs/amino";
import { DirectSecp256k1Wallet } from "@cosmjs/proto-signing";
import { calculateFee, GasPrice, QueryClient, setupTxExtension, type TxExtension } from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { fromHex, toHex, toUtf8 } from "@cosmjs/encoding";
import { sha256 } from "@cosmjs/crypto";
import type { SigningKey } from "ethers";
import { addressOfPubkey, type RelayerSet } from "../attest";
import type { CosmwasmChainConfig } from "../config";
import type { ConfigResponse, LanesResponse } from "../../sdk/cosmwasm/Hexs.types";
import { logger } from "../log";
import type { OpStore } from "../store";
import { RejectedError, StaleBatchError, type Sink, type SubmitOptions, type TxStatus } from "./types";

interface Conn {
  c: SigningCosmWasmClient;
  q: QueryClient & TxExtension;
  sender: string;
  pubkey: Pubkey;
  chainId: string;
  accountNumber: number;
}

/** how long a transaction accepted by CheckTx may stay out of a block before it counts as dropped */
const INCLUSION_TIMEOUT_MS = 60_000;
const BROADCAST_TIMEOUT_MS = 15_000;

export class CosmwasmSink implements Sink {
  readonly name: string;
  readonly hexsChainId: number;
  private client?: Conn;
  /** when this process first saw each submitted transaction pending (dropped-transaction detection) */
  private readonly pendingSince = new Map<string, number>();

  constructor(
    private readonly cfg: CosmwasmChainConfig,
    private readonly key: SigningKey,
    private readonly store: OpStore,
  ) {
    this.name = cfg.name;
    this.hexsChainId = cfg.hexsChainId;
    this.log = logger(`sink:${cfg.name}`);
  }
  private readonly log;

  private async connect(): Promise<Conn> {
    if (this.client) return this.client;
    const wallet = await DirectSecp256k1Wallet.fromKey(fromHex(this.key.privateKey.slice(2)), this.cfg.prefix);
    const [{ address, pubkey }] = await wallet.getAccounts();
    const c = await SigningCosmWasmClient.connectWithSigner(this.cfg.rpc, wallet, {
      gasPrice: GasPrice.fromString(this.cfg.gasPrice),
      broadcastPollIntervalMs: 200,
    });
    const chainId = await c.getChainId();
    const { accountNumber } = await c.getSequence(address).catch((e: Error) => {
      throw new Error(
        `chains[${this.name}]: the submitter account ${address} does not exist on ${this.cfg.rpc} (fund it first): ${e.message}`,
      );
    });
    // simulation at an explicit sequence (cosmjs' own simulate uses the committed one, which the
    // node refuses while another transaction of this account waits in the mempool)
    const q = QueryClient.withExtensions(await connectComet(this.cfg.rpc), setupTxExtension);
    this.client = { c, q, sender: address, pubkey: encodeSecp256k1Pubkey(pubkey), chainId, accountNumber };
    return this.client;
  }

  async init(): Promise<void> {
    if (this.checked) return;
    const { c } = await this.connect();
    await c.getContract(this.cfg.contract);
    this.checked = true;
  }
  private checked = false;

  async inbound(src: number): Promise<number> {
    const { c } = await this.connect();
    const r = (await c.queryContractSmart(this.cfg.contract, { lanes: {} })) as LanesResponse;
    return r.inbound.find((l) => l.chain === src)?.nonce ?? 0;
  }

  async relayerSet(): Promise<RelayerSet> {
    const { c } = await this.connect();
    const r = (await c.queryContractSmart(this.cfg.contract, { config: {} })) as ConfigResponse;
    const pubkeys = new Map<string, string>();
    for (const pk of r.relayers) pubkeys.set(addressOfPubkey(pk), pk);
    return { threshold: r.threshold, members: [...pubkeys.keys()], pubkeys };
  }

  private get c(): Conn {
    if (!this.client) throw new Error(`sink ${this.name} used before init()`);
    return this.client;
  }

  /** a contract refusal (simulation or CheckTx) as the delivery loop's error classes */
  private refusal(text: string): Error | undefined {
    // LaneNonce: "message 0 on lane from chain 1: nonce 5, expected 8" — the lane moved past us
    const m = /message (\d+) on lane from chain \d+: nonce (\d+), expected (\d+)/.exec(text);
    if (m && Number(m[3]) > Number(m[2]))
      return new StaleBatchError(`${this.name} already applied the lane past this batch: ${m[0]}`, Number(m[3]));
    if (/execute wasm contract failed/i.test(text)) return new RejectedError(`${this.name} refuses the batch: ${text}`);
    return undefined;
  }

  async submit(
    messages: readonly string[],
    signatures: Map<string, string>,
    set: RelayerSet,
    opts: SubmitOptions = {},
  ): Promise<string> {
    const { c, sender, chainId, accountNumber } = await this.connect();
    const sigs = [...signatures]
      .filter(([who]) => set.pubkeys?.has(who))
      .slice(0, set.threshold)
      .map(([who, sig]) => ({ pubkey: set.pubkeys!.get(who)!, signature: sig.slice(2, 2 + 128) }));
    const msg = { receive_batch: { messages: messages.map((m) => m.slice(2)), signatures: sigs } };
    const exec: MsgExecuteContractEncodeObject = {
      typeUrl: "/cosmwasm.wasm.v1.MsgExecuteContract",
      value: { sender, contract: this.cfg.contract, msg: toUtf8(JSON.stringify(msg)), funds: [] },
    };
    const { sequence: committed } = await c.getSequence(sender);
    const anyMsg = c.registry.encodeAsAny(exec);
    try {
      return await this.store.withTxNonce(this.name, sender, committed, async (allocated) => {
        // Simulate first, at the sequence about to be used: a refused batch is reported with the
        // contract's reason (nothing is signed), and the simulation gives the gas.
        let sequence = allocated;
        let gas = 0;
        // Earlier batches of the lane still in the mempool: the contract would refuse this one
        // against committed state, so no simulation; gas from the measured per-message cost
        // (≈ 140k + 36k per message, +50 % with the usual margin below).
        if (opts.pipelined) gas = Math.ceil((140_000 + 36_000 * messages.length) * 1.1);
        for (let attempt = 1; !opts.pipelined; attempt++) {
          try {
            const { gasInfo } = await this.c.q.tx.simulate([anyMsg], "", this.c.pubkey, sequence);
            gas = Number(gasInfo?.gasUsed ?? 0);
            break;
          } catch (e) {
            const text = (e as Error).message ?? String(e);
            // The node's mempool view is ahead of (or behind) our counter, e.g. after a reset:
            // it names the sequence it expects; use that once.
            const m = /account sequence mismatch, expected (\d+), got (\d+)/.exec(text);
            if (m && attempt === 1) {
              this.log.info({ stored: allocated, expected: Number(m[1]) }, "account sequence corrected from the node's answer");
              sequence = Number(m[1]);
              continue;
            }
            throw this.refusal(text) ?? e;
          }
        }
        const fee = calculateFee(Math.ceil(gas * 1.4), GasPrice.fromString(this.cfg.gasPrice));
        const raw = await c.sign(sender, [exec], fee, "", { accountNumber, sequence, chainId });
        const bytes = encodeTxRaw(raw.bodyBytes, raw.authInfoBytes, raw.signatures);
        const hash = toHex(sha256(bytes)).toUpperCase();
        await withTimeout(c.broadcastTxSync(bytes), BROADCAST_TIMEOUT_MS, `${this.name}: broadcast_tx_sync`);
        this.pendingSince.set(hash, Date.now());
        return { out: hash, next: sequence + 1 };
      });
    } catch (e) {
      const text = (e as Error).message ?? String(e);
      if (/account sequence mismatch|incorrect account sequence/i.test(text)) {
        // Another submitter of this account (outside this queue) or a stale counter: follow the chain.
        await this.store.resetTxNonce(this.name, sender);
        throw new Error(`${this.name}: account sequence mismatch for ${sender} (counter reset; retrying): ${text}`, { cause: e });
      }
      throw this.refusal(text) ?? e;
    }
  }

  async status(txHash: string): Promise<{ status: TxStatus; error?: string }> {
    const { c } = await this.connect();
    const tx = await c.getTx(txHash);
    if (!tx) {
      const since = this.pendingSince.get(txHash) ?? Date.now();
      this.pendingSince.set(txHash, since);
      if (Date.now() - since > INCLUSION_TIMEOUT_MS) {
        this.pendingSince.delete(txHash);
        return {
          status: "failed",
          error: `transaction ${txHash} not included in ${INCLUSION_TIMEOUT_MS / 1000} s (dropped from the mempool?)`,
        };
      }
      return { status: "pending" };
    }
    this.pendingSince.delete(txHash);
    return tx.code === 0 ? { status: "confirmed" } : { status: "failed", error: `tx ${txHash} failed: ${tx.rawLog}` };
  }

  async close(): Promise<void> {
    this.client?.c.disconnect();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(t));
}

/** protobuf TxRaw { bytes body_bytes = 1; bytes auth_info_bytes = 2; repeated bytes signatures = 3; } */
function encodeTxRaw(body: Uint8Array, authInfo: Uint8Array, signatures: readonly Uint8Array[]): Uint8Array {
  const parts: number[] = [];
  const field = (n: number, b: Uint8Array): void => {
    parts.push((n << 3) | 2);
    let len = b.length;
    while (len > 0x7f) {
      parts.push((len & 0x7f) | 0x80);
      len >>>= 7;
    }
    parts.push(len);
    for (const x of b) parts.push(x);
  };
  field(1, body);
  field(2, authInfo);
  for (const s of signatures) field(3, s);
  return Uint8Array.from(parts);
}

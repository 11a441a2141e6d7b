// CosmWasm destination: the Hexs contract's `receive_batch { messages, signatures }` with 64-byte
// r‖s signatures and the signer's compressed public key (as stored in the contract's relayer
// set). cosmjs' signing client keeps the account sequence; on a sequence mismatch the client is
// rebuilt (it re-reads the account). `lanes {}` answers "already delivered?".
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1Wallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import { fromHex } from "@cosmjs/encoding";
import type { SigningKey } from "ethers";
import { addressOfPubkey, type RelayerSet } from "../attest";
import type { CosmwasmChainConfig } from "../config";
import type { ConfigResponse, LanesResponse } from "../cosmwasm/generated/Hexs.types";
import { RejectedError, StaleBatchError, type Sink, type TxStatus } from "./types";

export class CosmwasmSink implements Sink {
  readonly name: string;
  readonly hexsChainId: number;
  private client?: { c: SigningCosmWasmClient; sender: string };

  constructor(
    private readonly cfg: CosmwasmChainConfig,
    private readonly key: SigningKey,
  ) {
    this.name = cfg.name;
    this.hexsChainId = cfg.hexsChainId;
  }

  private async connect(): Promise<{ c: SigningCosmWasmClient; sender: string }> {
    if (this.client) return this.client;
    const wallet = await DirectSecp256k1Wallet.fromKey(fromHex(this.key.privateKey.slice(2)), this.cfg.prefix);
    const [{ address }] = await wallet.getAccounts();
    const c = await SigningCosmWasmClient.connectWithSigner(this.cfg.rpc, wallet, { gasPrice: GasPrice.fromString(this.cfg.gasPrice), broadcastPollIntervalMs: 200 });
    this.client = { c, sender: address };
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

  async submit(messages: readonly string[], signatures: Map<string, string>, set: RelayerSet): Promise<string> {
    const { c, sender } = await this.connect();
    const sigs = [...signatures]
      .filter(([who]) => set.pubkeys?.has(who))
      .slice(0, set.threshold)
      .map(([who, sig]) => ({ pubkey: set.pubkeys!.get(who)!, signature: sig.slice(2, 2 + 128) }));
    const msg = { receive_batch: { messages: messages.map((m) => m.slice(2)), signatures: sigs } };
    try {
      const r = await c.execute(sender, this.cfg.contract, msg, "auto");
      return r.transactionHash;
    } catch (e) {
      const text = (e as Error).message;
      if (/account sequence mismatch|incorrect account sequence/i.test(text)) this.client = undefined;
      // LaneNonce: "message 0 on lane from chain 1: nonce 5, expected 8" — the lane moved past us
      const m = /message (\d+) on lane from chain \d+: nonce (\d+), expected (\d+)/.exec(text);
      if (m && Number(m[3]) > Number(m[2])) throw new StaleBatchError(`${this.name} already applied the lane past this batch: ${m[0]}`, Number(m[3]));
      if (/execute wasm contract failed/i.test(text)) throw new RejectedError(`${this.name} refuses the batch: ${text}`);
      throw e;
    }
  }

  async status(txHash: string): Promise<{ status: TxStatus; error?: string }> {
    const { c } = await this.connect();
    const tx = await c.getTx(txHash);
    if (!tx) return { status: "pending" };
    return tx.code === 0 ? { status: "confirmed" } : { status: "failed", error: `tx ${txHash} failed: ${tx.rawLog}` };
  }

  async close(): Promise<void> {
    this.client?.c.disconnect();
  }
}

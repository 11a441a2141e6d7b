// Helpers shared by the wasmd integration test and bench/cosmwasm.ts: start/stop the local
// wasmd chain through scripts/wasmd.sh, build and upload the contract, sign mirror batches.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { Secp256k1, sha256 } from "@cosmjs/crypto";
import { fromBech32, toBech32, toHex } from "@cosmjs/encoding";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { createProtobufRpcClient, Event, GasPrice, QueryClient } from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { AccountFamily, batchRootOfMessages, decodeMessage, encodeMessage, Message, type ModelRegisteredBody } from "../codec";
import type { BatchSignature, InstantiateMsg } from "../sdk/cosmwasm/Hexs.types";
import { MsgSubmitProposal, MsgVote } from "cosmjs-types/cosmos/gov/v1/tx";
import { VoteOption } from "cosmjs-types/cosmos/gov/v1/gov";
import { MsgPinCodes } from "cosmjs-types/cosmwasm/wasm/v1/tx";
import { QueryClientImpl as WasmQuery } from "cosmjs-types/cosmwasm/wasm/v1/query";

export const ROOT = path.resolve(__dirname, "..");
export const WASM = path.join(ROOT, "contracts/cosmwasm/artifacts/hexs.wasm");
export const PREFIX = "wasm";
export const HEXS_CHAIN = 100; // this chain's Hexs identifier
export const EVM_CHAIN = 1; // the peer lane used in tests
export const AKASH_LANE = 900; // the Akash lane: the contract applies LeaseReported from it only

export interface DevnetEnv {
  rpc: string;
  chainId: string;
  denom: string;
}

/** Reads `scripts/wasmd.sh env` so the test and the script agree on ports and names. */
export function devnetEnv(): DevnetEnv {
  const out = execFileSync("bash", [path.join(ROOT, "scripts/wasmd.sh"), "env"], { encoding: "utf8" });
  const kv = Object.fromEntries(
    out
      .trim()
      .split("\n")
      .map((l) => l.split("=", 2) as [string, string]),
  );
  return { rpc: kv.WASMD_RPC, chainId: kv.WASMD_CHAIN_ID, denom: kv.WASMD_DENOM };
}

function script(name: string, ...args: string[]): void {
  execFileSync("bash", [path.join(ROOT, "scripts", name), ...args], { stdio: ["ignore", "inherit", "inherit"] });
}

/**
 * Starts wasmd unless WASMD_EXTERNAL=1 (a runner that started it itself). Returns whether
 * this process started it, so it stops exactly what it started.
 */
export function startDevnet(): boolean {
  script("build-wasm.sh");
  if (process.env.WASMD_EXTERNAL === "1") return false;
  script("wasmd.sh", "start");
  return true;
}

export function stopDevnet(started: boolean): void {
  if (started) script("wasmd.sh", "stop");
}

const accounts: { accounts: { name: string; mnemonic: string }[] } = JSON.parse(
  fs.readFileSync(path.join(ROOT, "scripts/wasmd-accounts.json"), "utf8"),
);

export interface User {
  name: string;
  address: string;
  client: SigningCosmWasmClient;
}

/** A devnet account's mnemonic (scripts/wasmd-accounts.json: alice, bob, carol, …). */
export function devnetMnemonic(name: string): string {
  const entry = accounts.accounts.find((a) => a.name === name);
  if (!entry) throw new Error(`no devnet account ${name} in scripts/wasmd-accounts.json`);
  return entry.mnemonic;
}

export async function connect(name: string, env: DevnetEnv): Promise<User> {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(devnetMnemonic(name), { prefix: PREFIX });
  const [{ address }] = await wallet.getAccounts();
  const client = await SigningCosmWasmClient.connectWithSigner(env.rpc, wallet, {
    gasPrice: GasPrice.fromString(`0${env.denom}`),
    broadcastPollIntervalMs: 200, // blocks are 200 ms apart
  });
  return { name, address, client };
}

/** Account word of a bech32 address: family 2 (20 bytes) or 3 (32-byte contract). */
export function wordOf(address: string): string {
  const { data } = fromBech32(address, 1023);
  return (data.length === 20 ? "02" : "03") + toHex(data);
}

/** Fixed test-only relayer keys (sha256 of a label). */
export function relayerKeys(n = 3): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => sha256(new TextEncoder().encode(`hexs devnet relayer ${i}`)));
}

export async function relayerPubkeys(keys: Uint8Array[]): Promise<string[]> {
  const out: string[] = [];
  for (const k of keys) out.push(toHex(Secp256k1.compressPubkey((await Secp256k1.makeKeypair(k)).pubkey)));
  return out;
}

/** Encodes messages, computes the codec batch root, and signs it (r || s) with `signers`. */
export async function signBatch(
  messages: Message[],
  keys: Uint8Array[],
  signers: number[],
): Promise<{ messages: string[]; signatures: BatchSignature[]; root: string }> {
  const encoded = messages.map((m) => encodeMessage(m));
  const { root } = batchRootOfMessages(encoded);
  const digest = Buffer.from(root.slice(2), "hex");
  const signatures: BatchSignature[] = [];
  for (const i of signers) {
    const sig = await Secp256k1.createSignature(digest, keys[i]);
    const pub = Secp256k1.compressPubkey((await Secp256k1.makeKeypair(keys[i])).pubkey);
    signatures.push({ pubkey: toHex(pub), signature: toHex(sig.toFixedLength().slice(0, 64)) });
  }
  return { messages: encoded.map((e) => toHex(e)), signatures, root };
}

export function instantiateMsg(admin: string, pubkeys: string[], denom: string, maxBatch = 100): InstantiateMsg {
  return {
    config: {
      chain_id: HEXS_CHAIN,
      admin,
      denom,
      protocol_fee_bps: 100,
      fee_collector: wordOf(admin),
      deploy_payee: wordOf(admin),
      escrow_timeout_secs: 3600,
      peers: [EVM_CHAIN],
      max_batch: maxBatch,
      akash_lane: AKASH_LANE,
      paused: false,
      devnet: true,
      name: "Hexs keys",
      symbol: "HEXS",
    },
    relayers: pubkeys,
    threshold: 2,
  };
}

export async function deploy(admin: User, msg: InstantiateMsg): Promise<{ codeId: number; contract: string }> {
  const wasm = fs.readFileSync(WASM);
  const { codeId } = await admin.client.upload(admin.address, wasm, "auto");
  const { contractAddress } = await admin.client.instantiate(admin.address, codeId, msg, "hexs", "auto", {
    admin: admin.address,
  });
  return { codeId, contract: contractAddress };
}

/**
 * Pins `codeId` in wasmd's module cache through governance, as a production chain would for
 * hot code: a call to pinned code costs 2,000 gas of instance setup instead of 60,000. The
 * devnet's genesis has a 3 s voting period and `validator` holds all voting power.
 */
export async function pinCode(validator: User, codeId: number, env: DevnetEnv): Promise<void> {
  const gov = toBech32(PREFIX, sha256(new TextEncoder().encode("gov")).slice(0, 20));
  const submit = await validator.client.signAndBroadcast(
    validator.address,
    [
      {
        typeUrl: "/cosmos.gov.v1.MsgSubmitProposal",
        value: MsgSubmitProposal.fromPartial({
          messages: [
            {
              typeUrl: "/cosmwasm.wasm.v1.MsgPinCodes",
              value: MsgPinCodes.encode({ authority: gov, codeIds: [BigInt(codeId)] }).finish(),
            },
          ],
          initialDeposit: [{ denom: "ustake", amount: "10000000" }],
          proposer: validator.address,
          title: `Pin Hexs code ${codeId}`,
          summary: "Keep the Hexs contract's code in the module cache.",
        }),
      },
    ],
    "auto",
  );
  if (submit.code !== 0) throw new Error(`pin proposal refused: ${submit.rawLog}`);
  const proposalId = BigInt(eventAttr(submit.events, "submit_proposal", "proposal_id") ?? "0");
  const vote = await validator.client.signAndBroadcast(
    validator.address,
    [
      {
        typeUrl: "/cosmos.gov.v1.MsgVote",
        value: MsgVote.fromPartial({ proposalId, voter: validator.address, option: VoteOption.VOTE_OPTION_YES }),
      },
    ],
    "auto",
  );
  if (vote.code !== 0) throw new Error(`pin vote refused: ${vote.rawLog}`);
  const comet = await connectComet(env.rpc);
  try {
    const wasm = new WasmQuery(createProtobufRpcClient(new QueryClient(comet)));
    const deadline = Date.now() + 30_000;
    while (!(await wasm.PinnedCodes({})).codeIds.includes(BigInt(codeId))) {
      if (Date.now() > deadline) throw new Error(`code ${codeId} was not pinned within 30 s (proposal ${proposalId})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    comet.disconnect();
  }
}

/** Attribute of the first event of `type` (wasm events carry the "wasm-" prefix). */
export function eventAttr(events: readonly Event[], type: string, key: string): string | undefined {
  for (const e of events) {
    if (e.type !== type) continue;
    const a = e.attributes.find((x) => x.key === key);
    if (a) return a.value;
  }
  return undefined;
}

/** Outbound mirror messages a transaction emitted, decoded with the shared codec. */
export function outboundMessages(events: readonly Event[]): { nonce: bigint; message: Message; hex: string }[] {
  return events
    .filter((e) => e.type === "wasm-hexs_outbound")
    .map((e) => {
      const get = (k: string): string => {
        const a = e.attributes.find((x) => x.key === k);
        if (!a) throw new Error(`outbound event without ${k}`);
        return a.value;
      };
      const hex = get("message");
      return { nonce: BigInt(get("nonce")), message: decodeMessage("0x" + hex), hex };
    });
}

/** A ModelRegistered body for an EVM-home model, as the EVM hub would record it. */
export function evmModelBody(modelId: bigint, sdlLocator: string): ModelRegisteredBody {
  return {
    modelId,
    parentId: 0n,
    creator: { family: AccountFamily.Evm, address: "0x" + "cd".repeat(20) },
    contentCommitment: "0x" + "22".repeat(32),
    parentCommitment: "0x" + "00".repeat(32),
    soulbound: false,
    forkable: true,
    keyDuration: 0n,
    upstreamBps: 0,
    daoBps: 0,
    forkRoyaltyBps: 500,
    resaleRoyaltyBps: 500,
    sdlLocator,
    metadataUri: "",
  };
}

/** The contract's `publish` message for a plain, forkable model priced in the chain's denom. */
export function publishMsg(o: { sdlUri: string; price: string; deployPrice: string; forkRoyaltyBps: number; dao?: string }) {
  return {
    publish: {
      content: "11".repeat(32),
      sdl_uri: o.sdlUri,
      price: o.price,
      deploy_price: o.deployPrice,
      policy: { soulbound: false, key_lifetime_secs: null, max_supply: null, allowlist_only: false, forkable: true },
      royalty: { fork_royalty_bps: o.forkRoyaltyBps, dao_bps: 0 },
      dao: o.dao ? { cosmos: o.dao } : null,
    },
  };
}

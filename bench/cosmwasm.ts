// Gas of the Hexs CosmWasm contract on a real local wasmd chain, and the wasm size.
//   npx ts-node bench/cosmwasm.ts          -> bench/results/cosmwasm.json + a table
// Starts wasmd through scripts/wasmd.sh and stops it again (WASMD_EXTERNAL=1: use a running one).
// Optional: CW721_WASM=path/to/cw721_base.wasm also measures instantiating one cw721-base
// collection, the per-model cost the contract avoids by keeping keys in its own cw721 interface.
import * as fs from "fs";
import * as path from "path";
import { AccountFamily, Kind, Message } from "../codec";
import {
  connect,
  devnetEnv,
  EVM_CHAIN,
  eventAttr,
  HEXS_CHAIN,
  instantiateMsg,
  relayerKeys,
  relayerPubkeys,
  ROOT,
  signBatch,
  startDevnet,
  stopDevnet,
  WASM,
  evmModelBody,
  publishMsg,
  pinCode,
} from "../devnet/wasmd";

const OUT = path.join(ROOT, "bench/results/cosmwasm.json");

function inbound(nonce: bigint, m: Omit<Message, "version" | "srcChain" | "dstChain" | "nonce">): Message {
  return { version: 1, srcChain: EVM_CHAIN, dstChain: HEXS_CHAIN, nonce, ...m } as Message;
}

const evmModel = (serial: number): bigint => (BigInt(EVM_CHAIN) << 32n) | BigInt(serial);

function modelRegistered(nonce: bigint, serial: number): Message {
  return inbound(nonce, {
    kind: Kind.ModelRegistered,
    body: evmModelBody(evmModel(serial), "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"),
  });
}

function keyMinted(nonce: bigint, model: bigint, serial: number): Message {
  return inbound(nonce, {
    kind: Kind.KeyMinted,
    body: {
      modelId: model,
      keyId: (BigInt(EVM_CHAIN) << 32n) | BigInt(1000 + serial),
      owner: { family: AccountFamily.Evm, address: "0x" + (serial % 256).toString(16).padStart(2, "0").repeat(20) },
      expiresAt: 0n,
      locked: false,
    },
  });
}

async function main(): Promise<void> {
  const started = startDevnet();
  try {
    const env = devnetEnv();
    const [admin, alice, bob, submitter] = await Promise.all(
      ["validator", "alice", "bob", "submitter"].map((n) => connect(n, env)),
    );
    const keys = relayerKeys();
    const wasmBytes = fs.statSync(WASM).size;
    const wasm = fs.readFileSync(WASM);
    const upload = await admin.client.upload(admin.address, wasm, "auto");
    const inst = await admin.client.instantiate(
      admin.address,
      upload.codeId,
      instantiateMsg(admin.address, await relayerPubkeys(keys), env.denom),
      "hexs",
      "auto",
    );
    const contract = inst.contractAddress;
    const gas: Record<string, number> = { upload: Number(upload.gasUsed), instantiate: Number(inst.gasUsed) };

    const publish = await alice.client.execute(
      alice.address,
      contract,
      publishMsg({
        sdlUri: "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
        price: "1000000",
        deployPrice: "0",
        forkRoyaltyBps: 1000,
      }),
      "auto",
    );
    gas.publish = Number(publish.gasUsed);
    const model = eventAttr(publish.events, "wasm", "model")!;
    const buy = (): Promise<{ gasUsed: bigint }> =>
      bob.client.execute(
        bob.address,
        contract,
        { buy_key: { model, recipient: null, with_deployment: false } },
        "auto",
        undefined,
        [{ denom: env.denom, amount: "1000000" }],
      );
    gas.buy_key_first = Number((await buy()).gasUsed);
    gas.buy_key = Number((await buy()).gasUsed); // steady state: counters and vault exist
    gas.settle = Number((await submitter.client.execute(submitter.address, contract, { settle: { model } }, "auto")).gasUsed);

    const submit = async (messages: Message[]): Promise<number> => {
      const b = await signBatch(messages, keys, [0, 2]);
      const r = await submitter.client.execute(
        submitter.address,
        contract,
        { receive_batch: { messages: b.messages, signatures: b.signatures } },
        "auto",
      );
      return Number(r.gasUsed);
    };
    // 1 message: a model mirrored from the EVM chain (opens the lane).
    gas.receive_batch_1 = await submit([modelRegistered(1n, 1)]);
    // 1 message, steady state: one key minted on EVM.
    gas.receive_batch_1_key = await submit([keyMinted(2n, evmModel(1), 0)]);
    // 50 messages, 2-of-3 signatures: keys minted on EVM.
    gas.receive_batch_50 = await submit(Array.from({ length: 50 }, (_, i) => keyMinted(BigInt(3 + i), evmModel(1), i + 1)));
    // Marginal cost of one more mirrored key inside a batch (issue goal: at most 25k).
    gas.mirrored_key_marginal = Math.round((gas.receive_batch_50 - gas.receive_batch_1_key) / 49);
    // Marginal cost of one more mirrored model inside a batch.
    const two = await submit([modelRegistered(53n, 2), modelRegistered(54n, 3)]);
    const one = await submit([modelRegistered(55n, 4)]);
    gas.mirrored_model_marginal = two - one;

    // The same purchase once governance has pinned the code: wasmd charges 2,000 gas of instance
    // setup per call to pinned code instead of 60,000.
    await pinCode(admin, upload.codeId, env);
    gas.buy_key_pinned = Number((await buy()).gasUsed);

    const cw721 = process.env.CW721_WASM;
    if (cw721) {
      const up = await admin.client.upload(admin.address, fs.readFileSync(cw721), "auto");
      const coll = await admin.client.instantiate(
        admin.address,
        up.codeId,
        {
          name: "model keys",
          symbol: "KEY",
          collection_info_extension: null,
          minter: contract,
          creator: null,
          withdraw_address: null,
        },
        "cw721",
        "auto",
      );
      gas.cw721_base_instantiate = Number(coll.gasUsed);
      (gas as Record<string, number>).cw721_base_wasm_bytes = fs.statSync(cw721).size;
    }

    const result = {
      chain: "wasmd v0.61.14 (single node, 127.0.0.1)",
      wasm: path.relative(ROOT, WASM),
      wasm_bytes: wasmBytes,
      signatures: "2-of-3 secp256k1",
      gas_used: gas,
    };
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + "\n");
    console.log(`wasm: ${wasmBytes} bytes (${(wasmBytes / 1024).toFixed(1)} KiB)`);
    console.table(Object.entries(gas).map(([op, used]) => ({ op, gas_used: used })));
    console.log(`wrote ${path.relative(ROOT, OUT)}`);
  } finally {
    stopDevnet(started);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

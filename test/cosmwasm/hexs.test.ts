// End-to-end test of the Hexs CosmWasm contract on a real single-node wasmd chain.
//
// Starts wasmd itself through scripts/wasmd.sh (building wasmd and the wasm on first use,
// both cached) and stops exactly that process afterwards. A runner that manages wasmd
// itself sets WASMD_EXTERNAL=1 and starts `scripts/wasmd.sh start` before mocha.
//
//   npx mocha -r ts-node/register 'test/cosmwasm/**/*.test.ts'
import { makeCosmoshubPath, makeSignDoc, Secp256k1HdWallet, serializeSignDoc } from "@cosmjs/amino";
import { Bip39, EnglishMnemonic, Secp256k1, sha256, Slip10, Slip10Curve } from "@cosmjs/crypto";
import { fromBase64, fromBech32, toBase64, toHex } from "@cosmjs/encoding";
import { expect } from "chai";
import { getBytes, TypedDataEncoder } from "ethers";
import { AccountFamily, Kind, Message } from "../../codec";
import type {
  HasAccessResponse,
  KeyResponse,
  LanesResponse,
  Model,
  OwnerOfResponse,
  TokensResponse,
} from "../../sdk/cosmwasm/Hexs.types";
import {
  devnetMnemonic,
  connect,
  deploy,
  devnetEnv,
  DevnetEnv,
  EVM_CHAIN,
  eventAttr,
  HEXS_CHAIN,
  instantiateMsg,
  outboundMessages,
  relayerKeys,
  relayerPubkeys,
  signBatch,
  startDevnet,
  stopDevnet,
  User,
  evmModelBody,
  publishMsg,
} from "../../devnet/wasmd";

const EVM_MODEL = (BigInt(EVM_CHAIN) << 32n) | 1n;
const EVM_KEY = (BigInt(EVM_CHAIN) << 32n) | 7n;
const EVM_HOLDER = "0x" + "ab".repeat(20);

const BINDING_TYPES = {
  PayoutBinding: [
    { name: "creator", type: "bytes" },
    { name: "chain", type: "uint32" },
    { name: "payout", type: "bytes" },
    { name: "nonce", type: "uint64" },
  ],
};

/** The devnet account's key, as its wallet derives it (m/44'/118'/0'/0/0). */
async function devnetKey(name: string): Promise<Uint8Array> {
  const seed = await Bip39.mnemonicToSeed(new EnglishMnemonic(devnetMnemonic(name)));
  return Slip10.derivePath(Slip10Curve.Secp256k1, seed, makeCosmoshubPath(0)).privkey;
}

/**
 * Scheme-2 payout binding blob: `signer` signs the ADR-36 doc (Keplr signArbitrary) of the
 * binding's EIP-712 struct hash. 0x02 ‖ pubkey x‖y ‖ r‖s ‖ recovery id.
 */
async function adr36Binding(key: Uint8Array, signer: string, chain: number, payoutWire: string, nonce: bigint): Promise<string> {
  const creatorWire = "0x0214" + toHex(fromBech32(signer, 90).data);
  const hash = TypedDataEncoder.from(BINDING_TYPES).hash({ creator: creatorWire, chain, payout: payoutWire, nonce });
  const doc = makeSignDoc(
    [{ type: "sign/MsgSignData", value: { signer, data: toBase64(getBytes(hash)) } }],
    { gas: "0", amount: [] },
    "",
    "",
    0,
    0,
  );
  const sig = await Secp256k1.createSignature(sha256(serializeSignDoc(doc)), key);
  const pubkey = (await Secp256k1.makeKeypair(key)).pubkey;
  return "02" + toHex(pubkey.slice(1)) + toHex(sig.toFixedLength().slice(0, 64)) + toHex(Uint8Array.of(sig.recovery));
}

function inbound(nonce: bigint, m: Omit<Message, "version" | "srcChain" | "dstChain" | "nonce">): Message {
  return { version: 1, srcChain: EVM_CHAIN, dstChain: HEXS_CHAIN, nonce, ...m } as Message;
}

describe("Hexs CosmWasm contract on wasmd", function () {
  this.timeout(900_000); // first run builds wasmd (minutes) and the wasm

  let started = false;
  let env: DevnetEnv;
  let admin: User;
  let alice: User;
  let bob: User;
  let submitter: User;
  let contract: string;
  const keys = relayerKeys();
  let modelId: string;
  let publishTx: string;

  before(async function () {
    started = startDevnet();
    env = devnetEnv();
    [admin, alice, bob, submitter] = await Promise.all(["validator", "alice", "bob", "submitter"].map((n) => connect(n, env)));
    ({ contract } = await deploy(admin, instantiateMsg(admin.address, await relayerPubkeys(keys), env.denom)));
  });

  after(function () {
    stopDevnet(started);
  });

  it("publishes a model and emits the codec message for the EVM lane", async function () {
    const res = await alice.client.execute(
      alice.address,
      contract,
      publishMsg({ sdlUri: "ipfs://encrypted-sdl", price: "1000", deployPrice: "250", forkRoyaltyBps: 1000 }),
      "auto",
    );
    modelId = eventAttr(res.events, "wasm", "model")!;
    expect(BigInt(modelId)).to.equal((BigInt(HEXS_CHAIN) << 32n) | 1n);
    publishTx = res.transactionHash;
    const out = outboundMessages(res.events);
    expect(out).to.have.length(1);
    expect(out[0].nonce).to.equal(1n);
    const m = out[0].message;
    expect(m.kind).to.equal(Kind.ModelRegistered);
    expect([m.srcChain, m.dstChain]).to.deep.equal([HEXS_CHAIN, EVM_CHAIN]);
    if (m.kind !== Kind.ModelRegistered) throw new Error("kind");
    expect(m.body.modelId).to.equal(BigInt(modelId));
    expect(m.body.creator.family).to.equal(AccountFamily.Cosmos);
    expect(m.body.contentCommitment).to.equal("0x" + "11".repeat(32));
  });

  it("binds a payout address only with the creator's own ADR-36 signature, and sends it on the EVM lane", async function () {
    const payout = { evm: "0x" + "cd".repeat(20) };
    const payoutWire = "0x0114" + "cd".repeat(20);
    const aliceKey = await devnetKey("alice");
    // The blob matches what alice's amino wallet signs (deterministic RFC 6979 signatures).
    const blob = await adr36Binding(aliceKey, alice.address, EVM_CHAIN, payoutWire, 1n);
    const hash = TypedDataEncoder.from(BINDING_TYPES).hash({
      creator: "0x0214" + toHex(fromBech32(alice.address, 90).data),
      chain: EVM_CHAIN,
      payout: payoutWire,
      nonce: 1n,
    });
    const wallet = await Secp256k1HdWallet.fromMnemonic(devnetMnemonic("alice"), { prefix: "wasm" });
    const signed = await wallet.signAmino(
      alice.address,
      makeSignDoc(
        [{ type: "sign/MsgSignData", value: { signer: alice.address, data: toBase64(getBytes(hash)) } }],
        { gas: "0", amount: [] },
        "",
        "",
        0,
        0,
      ),
    );
    expect(blob.slice(130, 258)).to.equal(toHex(fromBase64(signed.signature.signature)));

    const bind = (sender: User, signature: string, nonce = "1") =>
      sender.client.execute(sender.address, contract, { bind_payout: { chain: EVM_CHAIN, payout, nonce, signature } }, "auto");
    const refusal = async (p: Promise<unknown>) =>
      String(
        await p.then(
          () => "accepted",
          (e: unknown) => e,
        ),
      );
    // Bob's key signing alice's binding, an unsigned one, and bob (no model here) are refused.
    const bobsSig = await adr36Binding(await devnetKey("bob"), alice.address, EVM_CHAIN, payoutWire, 1n);
    expect(await refusal(bind(alice, bobsSig))).to.match(/payout binding refused: pubkey is not the key of/);
    expect(await refusal(bind(alice, ""))).to.match(/payout binding refused: an ADR-36 binding is scheme 2/);
    expect(await refusal(bind(bob, await adr36Binding(await devnetKey("bob"), bob.address, EVM_CHAIN, payoutWire, 1n)))).to.match(
      /has published no model on this chain/,
    );
    // A skipped nonce is refused; the genuine binding leaves with its signature.
    expect(await refusal(bind(alice, await adr36Binding(aliceKey, alice.address, EVM_CHAIN, payoutWire, 2n), "2"))).to.match(
      /is not the next one: the last one used is 0/,
    );
    const res = await bind(alice, blob);
    const out = outboundMessages(res.events);
    expect(out).to.have.length(1);
    const m = out[0].message;
    if (m.kind !== Kind.PayoutAddressBound) throw new Error(`kind ${m.kind}`);
    expect(m.body.bindNonce).to.equal(1n);
    expect(m.body.signature.replace(/^0x/, "")).to.equal(blob);
  });

  it("sells a key for native funds and shows it as a cw721 token", async function () {
    const before = await bob.client.getBalance(bob.address, env.denom);
    const res = await bob.client.execute(
      bob.address,
      contract,
      { buy_key: { model: modelId, recipient: null, with_deployment: true } },
      "auto",
      undefined,
      [{ denom: env.denom, amount: "1250" }],
    );
    const tokenId = eventAttr(res.events, "wasm", "token_id")!;
    const after = await bob.client.getBalance(bob.address, env.denom);
    expect(BigInt(before.amount) - BigInt(after.amount)).to.equal(1250n); // zero gas price
    const owner: OwnerOfResponse = await bob.client.queryContractSmart(contract, { owner_of: { token_id: tokenId } });
    expect(owner.owner).to.equal(bob.address);
    const tokens: TokensResponse = await bob.client.queryContractSmart(contract, { tokens: { owner: bob.address } });
    expect(tokens.tokens).to.deep.equal([tokenId]);
    const vault: string = await bob.client.queryContractSmart(contract, { vault: { model: modelId } });
    expect(vault).to.equal("1000"); // the deployment part sits in the escrow
    const access: HasAccessResponse = await bob.client.queryContractSmart(contract, {
      has_access: { model: modelId, account: { cosmos: bob.address } },
    });
    expect(access).to.deep.equal({ access: true, key_id: tokenId });
    const kinds = outboundMessages(res.events).map((o) => o.message.kind);
    expect(kinds).to.deep.equal([Kind.KeyMinted, Kind.PurchaseSettled]);
  });

  it("refuses a wrong payment without changing state", async function () {
    let err: unknown;
    try {
      await bob.client.execute(
        bob.address,
        contract,
        { buy_key: { model: modelId, recipient: null, with_deployment: false } },
        "auto",
        undefined,
        [{ denom: env.denom, amount: "999" }],
      );
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/wrong payment: expected 1000ucosm, got 999ucosm/);
    const vault: string = await bob.client.queryContractSmart(contract, { vault: { model: modelId } });
    expect(vault).to.equal("1000");
  });

  let batchTx: string;
  let batch: Awaited<ReturnType<typeof signBatch>>;

  it("applies a 2-of-3 signed mirror batch from the EVM lane", async function () {
    batch = await signBatch(
      [
        inbound(1n, {
          kind: Kind.ModelRegistered,
          body: evmModelBody(EVM_MODEL, "ipfs://evm-sdl"),
        }),
        inbound(2n, {
          kind: Kind.KeyMinted,
          body: {
            modelId: EVM_MODEL,
            keyId: EVM_KEY,
            owner: { family: AccountFamily.Evm, address: EVM_HOLDER },
            expiresAt: 0n,
            locked: false,
          },
        }),
      ],
      keys,
      [0, 2],
    );
    const res = await submitter.client.execute(
      submitter.address,
      contract,
      { receive_batch: { messages: batch.messages, signatures: batch.signatures } },
      "auto",
    );
    batchTx = res.transactionHash;
    expect(eventAttr(res.events, "wasm", "root")).to.equal(batch.root.slice(2));
    expect(eventAttr(res.events, "wasm", "signers")).to.equal("2");
    const model: Model = await submitter.client.queryContractSmart(contract, { model: { id: EVM_MODEL.toString() } });
    expect(model.origin_chain).to.equal(EVM_CHAIN);
    const key: KeyResponse = await submitter.client.queryContractSmart(contract, { key: { id: EVM_KEY.toString() } });
    expect(key.resident_chain).to.equal(EVM_CHAIN);
    const access: HasAccessResponse = await submitter.client.queryContractSmart(contract, {
      has_access: { model: EVM_MODEL.toString(), account: { evm: EVM_HOLDER } },
    });
    expect(access.access).to.equal(true);
    const lanes: LanesResponse = await submitter.client.queryContractSmart(contract, { lanes: {} });
    expect(lanes.inbound).to.deep.equal([{ chain: EVM_CHAIN, nonce: 2 }]);
  });

  it("refuses a replayed batch and a 1-of-3 batch", async function () {
    const send = async (signatures: typeof batch.signatures): Promise<string> => {
      try {
        await submitter.client.execute(
          submitter.address,
          contract,
          { receive_batch: { messages: batch.messages, signatures } },
          "auto",
        );
        return "accepted";
      } catch (e) {
        return String(e);
      }
    };
    expect(await send(batch.signatures)).to.match(/nonce 1, expected 3 \(replay or gap\)/);
    const fresh = await signBatch(
      [
        inbound(3n, {
          kind: Kind.KeyBurned,
          body: { keyId: EVM_KEY, modelId: EVM_MODEL, owner: { family: AccountFamily.Evm, address: EVM_HOLDER } },
        }),
      ],
      keys,
      [1],
    );
    let err = "";
    try {
      await submitter.client.execute(submitter.address, contract, { receive_batch: fresh }, "auto");
    } catch (e) {
      err = String(e);
    }
    expect(err).to.match(/1 valid relayer signatures, threshold is 2/);
  });

  it("reads the emitted events back with getTx and searchTx", async function () {
    const tx = await alice.client.getTx(publishTx);
    expect(tx, "getTx finds the publish tx").to.not.equal(null);
    const published = outboundMessages(tx!.events);
    expect(published.map((o) => o.message.kind)).to.deep.equal([Kind.ModelRegistered]);

    const found = await alice.client.searchTx(`wasm-hexs_outbound.kind='ModelRegistered'`);
    expect(found.map((t) => t.hash)).to.include(publishTx);
    const byContract = await alice.client.searchTx(`wasm._contract_address='${contract}'`);
    const hashes = byContract.map((t) => t.hash);
    expect(hashes).to.include.members([publishTx, batchTx]);
    const inbound = (await alice.client.getTx(batchTx))!.events.filter((e) => e.type === "wasm-hexs_inbound");
    expect(inbound.map((e) => e.attributes.find((a) => a.key === "kind")!.value)).to.deep.equal(["ModelRegistered", "KeyMinted"]);
    // The outbound bytes on chain are exactly what the relayer will sign: same digest in TS.
    const { messageDigest } = await import("../../codec");
    const ev = tx!.events.find((e) => e.type === "wasm-hexs_outbound")!;
    const digest = ev.attributes.find((a) => a.key === "digest")!.value;
    expect(messageDigest("0x" + published[0].hex)).to.equal("0x" + digest);
  });
});

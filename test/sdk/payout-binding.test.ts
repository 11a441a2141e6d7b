// Payout-binding signatures: the committed vectors (read by the CosmWasm contract's tests too) are
// what the SDK generates, what a wallet signs (ethers signTypedData, cosmjs signAmino), and every
// refused blob fails the off-chain verifier.
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { Secp256k1Wallet, serializeSignDoc } from "@cosmjs/amino";
import { fromBase64 } from "@cosmjs/encoding";
import { getBytes, hexlify, Wallet } from "ethers";
import { generate } from "../../codec/gen-payout-binding-vectors";
import {
  adr36SignDoc,
  adr36SignBytes,
  BindingScheme,
  decodeBindingBlob,
  payoutDomain,
  PAYOUT_BINDING_TYPES,
  payoutTypedValue,
  PRICE_ORDER_TYPES,
  priceOrderTypedValue,
  recoveryIdOf,
  signAdr36BindingWith,
  verifyBindingBlob,
  type PayoutBinding,
} from "../../sdk/payout-binding";

const FILE = path.join(__dirname, "../../codec/payout-binding-vectors.json");
const vectors = JSON.parse(fs.readFileSync(FILE, "utf8"));
const binding = (v: {
  creator: PayoutBinding["creator"];
  chain: number;
  payout: PayoutBinding["payout"];
  nonce: string;
}): PayoutBinding => ({
  creator: v.creator,
  chain: v.chain,
  payout: v.payout,
  nonce: BigInt(v.nonce),
});

describe("payout-binding signatures (sdk/payout-binding.ts)", () => {
  it("the committed vectors are what the SDK generates", () => {
    expect(JSON.parse(JSON.stringify(generate()))).to.deep.equal(vectors);
  });

  it("an EVM wallet's signTypedData (eth_signTypedData_v4) produces the scheme-1 vector", async () => {
    const v = vectors.eip712;
    const wallet = new Wallet(vectors.keys.evmCreator);
    const sig = await wallet.signTypedData(
      payoutDomain(BigInt(v.evmChainId), v.verifyingContract),
      PAYOUT_BINDING_TYPES,
      payoutTypedValue(binding(v)),
    );
    expect(sig).to.equal(v.signature);
    const d = decodeBindingBlob(v.blob);
    expect(d).to.deep.equal({
      scheme: BindingScheme.Eip712,
      evmChainId: BigInt(v.evmChainId),
      verifyingContract: v.verifyingContract,
      signature: v.signature,
    });
    expect(getBytes(v.blob).length).to.equal(94);
  });

  it("an EVM wallet's signTypedData of a price order (for the CosmWasm chain) produces the price-order vector", async () => {
    const v = vectors.priceOrder;
    const order = {
      creator: v.creator,
      chain: v.chain,
      modelId: BigInt(v.modelId),
      currency: v.currency,
      keyPrice: BigInt(v.keyPrice),
      deploymentPrice: BigInt(v.deploymentPrice),
      listed: v.listed,
      nonce: BigInt(v.nonce),
    };
    const domain = payoutDomain(BigInt(v.evmChainId), v.verifyingContract);
    const wallet = new Wallet(vectors.keys.evmCreator);
    const sig = await wallet.signTypedData(domain, PRICE_ORDER_TYPES, priceOrderTypedValue(order));
    expect(decodeBindingBlob(v.blob)).to.deep.include({ scheme: BindingScheme.Eip712, signature: sig });
    const other = await wallet.signTypedData(domain, PRICE_ORDER_TYPES, priceOrderTypedValue({ ...order, keyPrice: 1n }));
    expect(other).to.not.equal(sig);
  });

  it("cosmjs signAmino of the ADR-36 sign doc produces the scheme-2 vector", async () => {
    const v = vectors.adr36;
    const wallet = await Secp256k1Wallet.fromKey(getBytes(vectors.keys.cosmosCreator), v.hrp);
    const [account] = await wallet.getAccounts();
    expect(account.address).to.equal(v.signer);
    const doc = adr36SignDoc(binding(v), v.hrp);
    expect(Buffer.from(serializeSignDoc(doc)).toString("utf8")).to.equal(v.signDoc);
    expect(hexlify(adr36SignBytes(binding(v), v.hrp))).to.equal(hexlify(serializeSignDoc(doc)));
    const { signature } = await wallet.signAmino(v.signer, doc);
    expect(hexlify(fromBase64(signature.signature))).to.equal(v.signature);
    expect(hexlify(fromBase64(signature.pub_key.value))).to.equal(v.publicKeyCompressed);
    expect(recoveryIdOf(v.signDocSha256, v.signature, v.publicKeyCompressed)).to.equal(v.recoveryId);
    const d = decodeBindingBlob(v.blob);
    expect(d).to.deep.equal({
      scheme: BindingScheme.Adr36,
      publicKey: v.publicKey,
      signature: v.signature,
      recoveryId: v.recoveryId,
    });
    expect(getBytes(v.blob).length).to.equal(130);
  });

  it("signAdr36BindingWith signs through a Cosmos wallet and yields the scheme-2 vector; another wallet's blob does not verify", async () => {
    const v = vectors.adr36;
    const wallet = await Secp256k1Wallet.fromKey(getBytes(vectors.keys.cosmosCreator), v.hrp);
    expect(await signAdr36BindingWith(wallet, binding(v), v.hrp)).to.equal(v.blob);
    const other = await Secp256k1Wallet.fromKey(getBytes(vectors.keys.other), v.hrp);
    const [{ address }] = await other.getAccounts();
    // The other wallet signs the same doc as if it were the creator: a valid signature, not the creator's.
    const forged = await signAdr36BindingWith({ signAmino: (_a, doc) => other.signAmino(address, doc) }, binding(v), v.hrp);
    expect(verifyBindingBlob(binding(v), forged, v.hrp)).to.equal(false);
    expect(verifyBindingBlob(binding(v), v.blob, v.hrp)).to.equal(true);
  });

  it("the off-chain verifier accepts both vectors and refuses every invalid blob", () => {
    expect(verifyBindingBlob(binding(vectors.eip712), vectors.eip712.blob)).to.equal(true);
    expect(verifyBindingBlob(binding(vectors.adr36), vectors.adr36.blob, vectors.adr36.hrp)).to.equal(true);
    for (const bad of vectors.invalid) {
      const v = vectors[bad.case];
      expect(verifyBindingBlob(binding(v), bad.blob, v.hrp), bad.reason).to.equal(false);
    }
  });
});

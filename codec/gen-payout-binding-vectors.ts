// Generates codec/payout-binding-vectors.json: payout-binding signatures (EIP-712 scheme 1 from an
// EVM creator, ADR-36 scheme 2 from a Cosmos creator) from fixed test keys, with every
// intermediate value, plus blobs every verifier must refuse. Read by the EVM tests and the
// CosmWasm contract's tests.
// Usage: npx ts-node --transpile-only codec/gen-payout-binding-vectors.ts [--check]
import * as fs from "fs";
import * as path from "path";
import { toBech32 } from "@cosmjs/encoding";
import { concat, getBytes, hexlify, keccak256, ripemd160, sha256, SigningKey, toBeHex, toUtf8Bytes, Wallet } from "ethers";
import { AccountFamily, encodeAccount, type Account } from "./index";
import {
  adr36Digest,
  adr36SignBytes,
  encodeAdr36Blob,
  encodeEip712Blob,
  PAYOUT_BINDING_TYPE,
  PAYOUT_BINDING_TYPEHASH,
  payoutDomainSeparator,
  payoutEip712Digest,
  payoutStructHash,
  priceOrderEip712Digest,
  priceOrderHash,
  PRICE_ORDER_TYPE,
  PRICE_ORDER_TYPEHASH,
  signAdr36Binding,
  type PayoutBinding,
  type PriceOrder,
} from "../sdk/payout-binding";

const OUT = path.join(__dirname, "payout-binding-vectors.json");
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export const EVM_CREATOR_KEY = keccak256(toUtf8Bytes("hexs payout-binding vector: evm creator"));
export const COSMOS_CREATOR_KEY = keccak256(toUtf8Bytes("hexs payout-binding vector: cosmos creator"));
export const OTHER_KEY = keccak256(toUtf8Bytes("hexs payout-binding vector: someone else"));
export const HRP = "wasm";
/** The EIP-712 domain of the EVM vectors: Hardhat's chain id and the first contract its deployer creates. */
export const EVM_CHAIN_ID = 31337n;
export const VERIFYING_CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

function cosmosAccountOf(key: string): Account {
  const compressed = new SigningKey(key).compressedPublicKey;
  return { family: AccountFamily.Cosmos, address: ripemd160(sha256(compressed)) };
}

function bindingJson(b: PayoutBinding) {
  return {
    creator: b.creator,
    chain: b.chain,
    payout: b.payout,
    nonce: b.nonce.toString(),
    creatorWire: hexlify(encodeAccount(b.creator)),
    payoutWire: hexlify(encodeAccount(b.payout)),
    structHash: payoutStructHash(b),
  };
}

export function generate() {
  const evmWallet = new Wallet(EVM_CREATOR_KEY);
  const evmCreator: Account = { family: AccountFamily.Evm, address: evmWallet.address.toLowerCase() };
  const cosmosCreator = cosmosAccountOf(COSMOS_CREATOR_KEY);
  const other = new SigningKey(OTHER_KEY);

  // scheme 1: an EVM creator (chain 1) names a Cosmos payout account for chain 2
  const b1: PayoutBinding = { creator: evmCreator, chain: 2, payout: cosmosAccountOf(OTHER_KEY), nonce: 1n };
  const digest1 = payoutEip712Digest(b1, EVM_CHAIN_ID, VERIFYING_CONTRACT);
  const sig1 = evmWallet.signingKey.sign(digest1).serialized;
  const blob1 = encodeEip712Blob(EVM_CHAIN_ID, VERIFYING_CONTRACT, sig1);

  // scheme 2: a Cosmos creator (chain 2) names an EVM payout account for chain 1
  const b2: PayoutBinding = {
    creator: cosmosCreator,
    chain: 1,
    payout: { family: AccountFamily.Evm, address: new Wallet(OTHER_KEY).address.toLowerCase() },
    nonce: 1n,
  };
  const key2 = new SigningKey(COSMOS_CREATOR_KEY);
  const digest2 = adr36Digest(b2, HRP);
  const sig2 = key2.sign(digest2);
  const blob2 = signAdr36Binding(b2, HRP, COSMOS_CREATOR_KEY);

  // blobs every verifier refuses (for the binding of the same case)
  const forged1 = encodeEip712Blob(EVM_CHAIN_ID, VERIFYING_CONTRACT, other.sign(digest1).serialized);
  const rawDigest1 = encodeEip712Blob(
    EVM_CHAIN_ID,
    VERIFYING_CONTRACT,
    evmWallet.signMessageSync(getBytes(payoutStructHash(b1))),
  );
  const otherDomain1 = encodeEip712Blob(
    EVM_CHAIN_ID,
    VERIFYING_CONTRACT,
    evmWallet.signingKey.sign(payoutEip712Digest(b1, EVM_CHAIN_ID + 1n, VERIFYING_CONTRACT)).serialized,
  );
  const nextNonce1 = encodeEip712Blob(
    EVM_CHAIN_ID,
    VERIFYING_CONTRACT,
    evmWallet.signingKey.sign(payoutEip712Digest({ ...b1, nonce: 2n }, EVM_CHAIN_ID, VERIFYING_CONTRACT)).serialized,
  );
  const forged2 = signAdr36Binding(b2, HRP, OTHER_KEY); // valid signature, but the key is not the creator's
  const highS2 = encodeAdr36Blob(key2.publicKey, concat([sig2.r, toBeHex(N - BigInt(sig2.s), 32)]), 1 - sig2.yParity);
  const wrongHrp2 = signAdr36Binding(b2, "cosmos", COSMOS_CREATOR_KEY);
  // right key, but the signature is by another key over the right doc (pubkey swapped in)
  const o = other.sign(digest2);
  const swappedKey2 = encodeAdr36Blob(key2.publicKey, concat([o.r, o.s]), o.yParity);
  const wrongScheme = concat(["0x02", getBytes(blob1).slice(1)]);

  // an EVM creator (its model's home chain 1) prices the model on the CosmWasm chain 2 in that
  // chain's native denom (the zero-address currency), signed for the home chain's PayoutBindings
  const order: PriceOrder = {
    creator: evmCreator,
    chain: 2,
    modelId: (1n << 32n) | 7n,
    currency: "0x0000000000000000000000000000000000000000",
    keyPrice: 1_500_000n,
    deploymentPrice: 250_000n,
    listed: true,
    nonce: 1n,
  };
  const orderDigest = priceOrderEip712Digest(order, EVM_CHAIN_ID, VERIFYING_CONTRACT);
  const orderBlob = encodeEip712Blob(EVM_CHAIN_ID, VERIFYING_CONTRACT, evmWallet.signingKey.sign(orderDigest).serialized);

  return {
    description:
      "Payout-binding signature blobs (PayoutAddressBound.signature). Byte 0 = scheme. Scheme 1 (EIP-712, EVM creator): " +
      "u64 BE evmChainId ‖ verifyingContract (20) ‖ r‖s‖v (v 27/28), 94 bytes. Scheme 2 (ADR-36, Cosmos creator): " +
      "pubkey x‖y (64) ‖ r‖s low-s (64) ‖ recovery id 0/1, 130 bytes. structHash = keccak256(abi.encode(typeHash, " +
      "keccak256(creatorWire), chain, keccak256(payoutWire), nonce)); wire = family u8 ‖ len u8 ‖ address.",
    typeString: PAYOUT_BINDING_TYPE,
    typeHash: PAYOUT_BINDING_TYPEHASH,
    domain: { name: "Hexs", version: "1" },
    keys: { evmCreator: EVM_CREATOR_KEY, cosmosCreator: COSMOS_CREATOR_KEY, other: OTHER_KEY },
    eip712: {
      ...bindingJson(b1),
      evmChainId: EVM_CHAIN_ID.toString(),
      verifyingContract: VERIFYING_CONTRACT,
      domainSeparator: payoutDomainSeparator(EVM_CHAIN_ID, VERIFYING_CONTRACT),
      digest: digest1,
      signature: sig1,
      blob: blob1,
    },
    adr36: {
      ...bindingJson(b2),
      hrp: HRP,
      signer: toBech32(HRP, getBytes(cosmosCreator.address)),
      publicKeyCompressed: key2.compressedPublicKey,
      publicKey: hexlify(getBytes(key2.publicKey).slice(1)),
      signDoc: Buffer.from(adr36SignBytes(b2, HRP)).toString("utf8"),
      signDocSha256: digest2,
      signature: concat([sig2.r, sig2.s]),
      recoveryId: sig2.yParity,
      blob: blob2,
    },
    priceOrder: {
      typeString: PRICE_ORDER_TYPE,
      typeHash: PRICE_ORDER_TYPEHASH,
      creator: order.creator,
      chain: order.chain,
      modelId: order.modelId.toString(),
      currency: order.currency,
      keyPrice: order.keyPrice.toString(),
      deploymentPrice: order.deploymentPrice.toString(),
      listed: order.listed,
      nonce: order.nonce.toString(),
      creatorWire: hexlify(encodeAccount(order.creator)),
      structHash: priceOrderHash(order),
      evmChainId: EVM_CHAIN_ID.toString(),
      verifyingContract: VERIFYING_CONTRACT,
      digest: orderDigest,
      blob: orderBlob,
    },
    invalid: [
      { case: "eip712", reason: "signed by a key that is not the creator", blob: forged1 },
      { case: "eip712", reason: "EIP-191 personal_sign over the raw 32-byte struct hash", blob: rawDigest1 },
      { case: "eip712", reason: "signed for another chain id than the blob names", blob: otherDomain1 },
      { case: "eip712", reason: "signature of the same binding with nonce 2", blob: nextNonce1 },
      {
        case: "eip712",
        reason: "scheme byte 2 on a scheme-1 body (wrong length, wrong scheme for an EVM creator)",
        blob: wrongScheme,
      },
      { case: "eip712", reason: "empty signature", blob: "0x" },
      { case: "adr36", reason: "valid ADR-36 signature by a key whose account is not the creator", blob: forged2 },
      { case: "adr36", reason: "high-s form of the valid signature", blob: highS2 },
      { case: "adr36", reason: "signed with hrp 'cosmos' (the verifier's hrp is 'wasm')", blob: wrongHrp2 },
      { case: "adr36", reason: "creator's public key with another key's signature", blob: swappedKey2 },
      { case: "adr36", reason: "scheme-1 blob for a Cosmos creator", blob: blob1 },
    ],
  };
}

if (require.main === module) {
  const text = JSON.stringify(generate(), null, 2) + "\n";
  if (process.argv.includes("--check")) {
    if (fs.readFileSync(OUT, "utf8") !== text) {
      console.error(`${OUT} is stale: run npx ts-node --transpile-only codec/gen-payout-binding-vectors.ts`);
      process.exit(1);
    }
  } else fs.writeFileSync(OUT, text);
}

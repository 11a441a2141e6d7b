// Payout bindings (issue 11, items 4 binding half, 5 and 15): checked at the source and on
// receipt (EIP-712 from EVM creators, ADR-36 from Cosmos creators), nonce = last + 1, earnings
// only, and only creators bind, for this chain or a peer. Lanes are served by plain accounts.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import fs from "node:fs";
import path from "node:path";
import { getBytes, hexlify, Wallet, type BaseWallet, type Signer } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { deployHexs } from "../../tasks/lib/deployHexs";
import { AccountFamily, decodeBody, encodeMessage, Kind, type Account, type Message } from "../../codec";
import { toSolAccount } from "../../sdk";
import {
  encodeEip712Blob,
  payoutDomain,
  payoutDomainSeparator,
  PAYOUT_BINDING_TYPES,
  payoutEip712Digest,
  payoutStructHash,
  payoutTypedValue,
  priceOrderHash,
  signAdr36With,
  signPriceOrderWith,
  verifyBindingBlob,
  type PayoutBinding,
  type PriceOrder,
} from "../../sdk/payout-binding";
import { Secp256k1Wallet } from "@cosmjs/amino";
import { fromBech32 } from "@cosmjs/encoding";
import type { HexsHub, PayoutBindings } from "../../sdk/typechain";
import {
  buyNative,
  forgetDeployments,
  loadProtocol,
  NATIVE,
  publish,
  rootModelRegistered,
  setNativePrice,
} from "../../devnet/hardhat/protocol";

const A = 1;
const B = 2;
const COSMOS = 100;
const ONE = ethers.parseEther("1");
const MAX_U64 = (1n << 64n) - 1n;
/** B's PayoutBindings as A knows it (its bindings' EIP-712 verifying contract). */
const VC_B = "0x00000000000000000000000000000000000b1bd5";
const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, "../../codec/payout-binding-vectors.json"), "utf8"));

const fixture = deployments.createFixture(async () => {
  await forgetDeployments("pb.");
  const addresses = await deployHexs(hre, {
    prefix: "pb.",
    hexsChainId: A,
    timelockDelay: 3600,
    protocolFeeBps: 250,
    devnet: true,
    skipHandover: true,
  });
  const signers = await ethers.getSigners();
  const [, creator, payoutSigner, buyer, stranger, , cosmosTransport, evmTransport] = signers;
  const hub = (await ethers.getContractAt("HexsHub", addresses.hub)) as unknown as HexsHub;
  const bindings = (await ethers.getContractAt("PayoutBindings", addresses.payoutBindings)) as unknown as PayoutBindings;
  await hub.setPeer(COSMOS, await cosmosTransport.getAddress(), 0, AccountFamily.Cosmos);
  await hub.setPeer(B, await evmTransport.getAddress(), 0, AccountFamily.Evm);
  await bindings.setRemote(COSMOS, ethers.ZeroAddress, "wasm");
  await bindings.setRemote(B, VC_B, "");
  const p = await loadProtocol("pb.");
  const evmChainId = (await ethers.provider.getNetwork()).chainId;
  return { p, hub, bindings, creator, payoutSigner, buyer, stranger, cosmosTransport, evmTransport, evmChainId };
});
type F = Awaited<ReturnType<typeof fixture>>;

const evm = (a: string): Account => ({ family: AccountFamily.Evm, address: a.toLowerCase() });

function bound(src: number, nonce: bigint, b: PayoutBinding, signature: string): string {
  return hexlify(
    encodeMessage({
      version: 1,
      kind: Kind.PayoutAddressBound,
      srcChain: src,
      dstChain: A,
      nonce,
      body: { creator: b.creator, chain: b.chain, payout: b.payout, bindNonce: b.nonce, signature },
    } as Message),
  );
}

/** Deliver `messages` on `src`'s lane; returns the lane nonces refused. */
async function deliver(f: F, src: number, messages: string[]): Promise<bigint[]> {
  const transport = src === COSMOS ? f.cosmosTransport : f.evmTransport;
  const receipt = await (await f.hub.connect(transport).deliver(src, messages)).wait();
  return receipt!.logs
    .map((l) => {
      try {
        return f.hub.interface.parseLog(l);
      } catch {
        return null;
      }
    })
    .filter((e) => e?.name === "MessageRejected")
    .map((e) => e!.args.nonce as bigint);
}

/** A binding for chain A by an EVM creator of chain B, signed for B's PayoutBindings. */
function signedOnB(f: F, wallet: BaseWallet, payout: string, nonce: bigint): { b: PayoutBinding; blob: string } {
  const b: PayoutBinding = { creator: evm(wallet.address), chain: A, payout: evm(payout), nonce };
  const sig = wallet.signingKey.sign(payoutEip712Digest(b, f.evmChainId, VC_B)).serialized;
  return { b, blob: encodeEip712Blob(f.evmChainId, VC_B, sig) };
}

async function signTyped(f: F, signer: Signer, b: PayoutBinding): Promise<string> {
  const domain = payoutDomain(f.evmChainId, await f.bindings.getAddress());
  return signer.signTypedData(domain, PAYOUT_BINDING_TYPES, payoutTypedValue(b));
}

describe("payout bindings", () => {
  describe("on receipt", () => {
    it("an ADR-36 binding from a Cosmos creator (the committed vector) is verified and applied", async () => {
      const f = await fixture();
      const v = vectors.adr36;
      const b: PayoutBinding = { creator: v.creator, chain: v.chain, payout: v.payout, nonce: BigInt(v.nonce) };
      expect(await f.bindings.structHash(toSolAccount(b.creator), b.chain, toSolAccount(b.payout), b.nonce)).to.equal(
        v.structHash,
      );
      expect(getBytes(await f.bindings.adr36SignDoc(toSolAccount(b.creator).addr, "wasm", v.structHash))).to.deep.equal(
        getBytes(ethers.toUtf8Bytes(v.signDoc)),
      );
      expect(await deliver(f, COSMOS, [bound(COSMOS, 1n, b, v.blob)])).to.deep.equal([]);
      const local = await f.p.registry.localCreator(toSolAccount(b.creator));
      expect(await f.p.registry.payoutOf(local)).to.equal(ethers.getAddress(v.payout.address));
    });

    it("forged, high-s, wrong-prefix and wrong-scheme ADR-36 bindings are refused and the lane keeps moving", async () => {
      const f = await fixture();
      const v = vectors.adr36;
      const b: PayoutBinding = { creator: v.creator, chain: v.chain, payout: v.payout, nonce: BigInt(v.nonce) };
      const bad = vectors.invalid.filter((x: { case: string }) => x.case === "adr36");
      const msgs = bad.map((x: { blob: string }, i: number) => bound(COSMOS, BigInt(i + 1), b, x.blob));
      const refused = await deliver(f, COSMOS, msgs);
      expect(refused).to.deep.equal(bad.map((_: unknown, i: number) => BigInt(i + 1)));
      const local = await f.p.registry.localCreator(toSolAccount(b.creator));
      expect(await f.p.registry.payoutOf(local)).to.equal(ethers.ZeroAddress);
      // the lane moved on: the valid binding, next on the lane, applies
      expect(await deliver(f, COSMOS, [bound(COSMOS, BigInt(bad.length + 1), b, v.blob)])).to.deep.equal([]);
      expect(await f.p.registry.payoutOf(local)).to.equal(ethers.getAddress(v.payout.address));
    });

    it("an EIP-712 binding from an EVM peer is verified against the peer's verifying contract", async () => {
      const f = await fixture();
      const w = Wallet.createRandom();
      const payout = Wallet.createRandom().address;
      const { b, blob } = signedOnB(f, w, payout, 1n);
      const other = Wallet.createRandom();
      const forged = encodeEip712Blob(
        f.evmChainId,
        VC_B,
        other.signingKey.sign(payoutEip712Digest(b, f.evmChainId, VC_B)).serialized,
      );
      // EIP-191 personal_sign over the raw 32-byte struct hash (the pre-EIP-712 form)
      const raw = encodeEip712Blob(f.evmChainId, VC_B, w.signMessageSync(getBytes(payoutStructHash(b))));
      // a valid signature for another verifying contract than the one configured for B
      const elsewhere = "0x00000000000000000000000000000000000ba5e5";
      const wrongVc = encodeEip712Blob(
        f.evmChainId,
        elsewhere,
        w.signingKey.sign(payoutEip712Digest(b, f.evmChainId, elsewhere)).serialized,
      );
      const refused = await deliver(f, B, [
        bound(B, 1n, b, "0x"),
        bound(B, 2n, b, forged),
        bound(B, 3n, b, raw),
        bound(B, 4n, b, wrongVc),
        bound(B, 5n, b, blob),
      ]);
      expect(refused).to.deep.equal([1n, 2n, 3n, 4n]);
      expect(await f.p.registry.payoutOf(w.address)).to.equal(payout);
    });

    it("a binding whose creator is the zero address with an unrecoverable signature is refused", async () => {
      const f = await fixture();
      const b: PayoutBinding = {
        creator: evm(ethers.ZeroAddress),
        chain: A,
        payout: evm(Wallet.createRandom().address),
        nonce: 1n,
      };
      // r = s = 0: ecrecover fails and returns address(0), which must not count as the creator's signature
      const blob = encodeEip712Blob(f.evmChainId, VC_B, ethers.concat([ethers.ZeroHash, ethers.ZeroHash, "0x1b"]));
      expect(await deliver(f, B, [bound(B, 1n, b, blob)])).to.deep.equal([1n]);
      expect(await f.p.registry.payoutOf(ethers.ZeroAddress)).to.equal(ethers.ZeroAddress);
    });

    it("only the successor nonce applies: skips and max-u64 are refused, never applied", async () => {
      const f = await fixture();
      const w = Wallet.createRandom();
      const [p1, p2, p3] = [0, 1, 2].map(() => Wallet.createRandom().address);
      const m = (n: bigint, lane: bigint, payout: string) => {
        const s = signedOnB(f, w, payout, n);
        return bound(B, lane, s.b, s.blob);
      };
      expect(await deliver(f, B, [m(2n, 1n, p2), m(MAX_U64, 2n, p3), m(1n, 3n, p1)])).to.deep.equal([1n, 2n]);
      expect(await f.p.registry.payoutOf(w.address)).to.equal(p1);
      expect(await deliver(f, B, [m(1n, 4n, p2), m(3n, 5n, p3), m(2n, 6n, p2)])).to.deep.equal([4n, 5n]);
      expect(await f.p.registry.payoutOf(w.address)).to.equal(p2);
      expect(await f.p.registry.payoutNonceOf(w.address)).to.equal(2n);
    });

    it("only PayoutBindings records bindings on the hub", async () => {
      const f = await fixture();
      const b = {
        creator: toSolAccount(evm(await f.stranger.getAddress())),
        chain: A,
        payout: toSolAccount(evm(await f.stranger.getAddress())),
        bindNonce: 1n,
        signature: "0x",
      };
      await expect(f.hub.connect(f.stranger).recordBinding(b)).to.be.revertedWithCustomError(f.hub, "NotBindings");
    });
  });

  describe("at the source", () => {
    it("a creator's EIP-712 binding (ethers signTypedData) applies here and is recorded with its scheme-1 blob", async () => {
      const f = await fixture();
      const { modelId } = await publish(f.p, f.creator);
      const me = await f.creator.getAddress();
      const payout = await f.payoutSigner.getAddress();
      const b: PayoutBinding = { creator: evm(me), chain: A, payout: evm(payout), nonce: 1n };
      expect(await f.bindings.PAYOUT_BINDING_TYPEHASH()).to.equal(vectors.typeHash);
      expect(await f.bindings.domainSeparator()).to.equal(payoutDomainSeparator(f.evmChainId, await f.bindings.getAddress()));
      const sig = await signTyped(f, f.creator, b);
      const tx = f.bindings.connect(f.stranger).bindPayout(me, modelId, A, toSolAccount(b.payout), 1n, sig);
      await expect(tx).to.emit(f.hub, "Recorded");
      expect(await f.p.registry.payoutOf(me)).to.equal(payout);
      // a binding for a peer chain is recorded with the blob its destination checks
      const c: PayoutBinding = { creator: evm(me), chain: COSMOS, payout: vectors.eip712.payout, nonce: 1n };
      const r = await (
        await f.bindings.bindPayout(me, modelId, COSMOS, toSolAccount(c.payout), 1n, await signTyped(f, f.creator, c))
      ).wait();
      const rec = r!.logs
        .map((l) => {
          try {
            return f.hub.interface.parseLog(l);
          } catch {
            return null;
          }
        })
        .find((e) => e?.name === "Recorded");
      const body = decodeBody(Kind.PayoutAddressBound, rec!.args.body);
      expect(getBytes(body.signature).length).to.equal(94);
      expect(verifyBindingBlob(c, body.signature)).to.equal(true);
      expect(await f.bindings.sourceNonce(me, COSMOS)).to.equal(1n);
    });

    it("refuses non-creators, unknown chains, nonce skips, max-u64 and EIP-191 signatures", async () => {
      const f = await fixture();
      const { modelId } = await publish(f.p, f.creator);
      const me = await f.creator.getAddress();
      const payout = evm(await f.payoutSigner.getAddress());
      const b = (chain: number, nonce: bigint): PayoutBinding => ({ creator: evm(me), chain, payout, nonce });
      const bind = async (who: string, chain: number, nonce: bigint, sig?: string) =>
        f.bindings.bindPayout(
          who,
          modelId,
          chain,
          toSolAccount(payout),
          nonce,
          sig ?? (await signTyped(f, f.creator, b(chain, nonce))),
        );
      // the stranger created no model: even its own valid signature is refused (journal spam)
      const s = await f.stranger.getAddress();
      const sSig = await signTyped(f, f.stranger, { creator: evm(s), chain: A, payout, nonce: 1n });
      await expect(bind(s, A, 1n, sSig)).to.be.revertedWithCustomError(f.bindings, "NotModelCreator");
      await expect(bind(me, 999, 1n))
        .to.be.revertedWithCustomError(f.bindings, "UnknownBindingChain")
        .withArgs(999);
      await expect(bind(me, A, 2n))
        .to.be.revertedWithCustomError(f.bindings, "NotNextBinding")
        .withArgs(2n, 0n);
      await expect(bind(me, B, MAX_U64))
        .to.be.revertedWithCustomError(f.bindings, "NotNextBinding")
        .withArgs(MAX_U64, 0n);
      const raw = await f.creator.signMessage(getBytes(payoutStructHash(b(A, 1n))));
      await expect(bind(me, A, 1n, raw)).to.be.revertedWithCustomError(f.bindings, "BadBindingSignature");
      await bind(me, A, 1n);
      await expect(bind(me, A, 1n))
        .to.be.revertedWithCustomError(f.bindings, "NotNextBinding")
        .withArgs(1n, 1n);
      await bind(me, A, 2n);
    });
  });

  describe("earnings only", () => {
    it("a payout address claims the creator's earnings, not its refunds, and cannot administer its models", async () => {
      const f = await fixture();
      const { modelId } = await publish(f.p, f.creator);
      await setNativePrice(f.p, f.creator, modelId, ONE);
      const { modelId: other } = await publish(f.p, f.stranger);
      await setNativePrice(f.p, f.stranger, other, ONE, ONE);
      const me = await f.creator.getAddress();
      const P = f.payoutSigner;
      const payout = await P.getAddress();
      const b: PayoutBinding = { creator: evm(me), chain: A, payout: evm(payout), nonce: 1n };
      await f.bindings.bindPayout(me, modelId, A, toSolAccount(b.payout), 1n, await signTyped(f, f.creator, b));

      await buyNative(f.p, f.buyer, modelId, ONE);
      await f.p.market.settle(modelId, NATIVE);
      const earned = await f.p.market.earningsOf(me, NATIVE);
      expect(earned).to.be.gt(0n);
      // the creator as a buyer: its deployment escrow times out and is credited back to it
      const keyId = await buyNative(f.p, f.creator, other, 2n * ONE, { deploymentParams: "0x01" });
      await time.increase(25 * 3600);
      await f.p.market.connect(f.creator).reclaimEscrow(keyId);
      expect(await f.p.market.creditOf(me, NATIVE)).to.equal(earned + ONE);

      await expect(f.p.market.connect(P).claimAs(me, NATIVE, payout)).to.changeEtherBalance(P, earned);
      await expect(f.p.market.connect(P).claimAs(me, NATIVE, payout)).to.be.revertedWithCustomError(f.p.market, "NothingToClaim");
      expect(await f.p.market.creditOf(me, NATIVE)).to.equal(ONE); // the refund stays the creator's
      await expect(f.p.market.connect(f.creator).claim(NATIVE, me)).to.changeEtherBalance(f.creator, ONE);

      await expect(f.p.registry.connect(P).setPrice(modelId, NATIVE, 1n, 0n, true)).to.be.revertedWithCustomError(
        f.p.registry,
        "NotCreator",
      );
      await expect(f.p.registry.connect(P).update(modelId, ethers.id("x"), "s", "m")).to.be.revertedWithCustomError(
        f.p.registry,
        "NotCreator",
      );
      await expect(f.p.registry.connect(P).retire(modelId)).to.be.revertedWithCustomError(f.p.registry, "NotCreator");
    });
  });
  describe("signed price orders", () => {
    /** A model of the vector's Cosmos creator (or `creator`), mirrored here from the Cosmos lane. */
    async function cosmosModel(f: F, serial: number, creator: Account, laneNonce: bigint): Promise<bigint> {
      const modelId = (BigInt(COSMOS) << 32n) | BigInt(serial);
      const msg = encodeMessage({
        version: 1,
        kind: Kind.ModelRegistered,
        srcChain: COSMOS,
        dstChain: A,
        nonce: laneNonce,
        body: rootModelRegistered(modelId, creator),
      } as Message);
      expect(await deliver(f, COSMOS, [hexlify(msg)])).to.deep.equal([]);
      return modelId;
    }
    const creatorWallet = () => Secp256k1Wallet.fromKey(getBytes(vectors.keys.cosmosCreator), "wasm");
    const order = (modelId: bigint, nonce: bigint, over: Partial<PriceOrder> = {}): PriceOrder => ({
      creator: vectors.adr36.creator,
      chain: A,
      modelId,
      currency: NATIVE,
      keyPrice: ONE / 100n,
      deploymentPrice: 0n,
      listed: true,
      nonce,
      ...over,
    });
    const sol = (o: PriceOrder) => ({ ...o, creator: toSolAccount(o.creator) });

    it("a Cosmos creator's ADR-36 price order prices its mirrored model here; anyone submits it and buyers pay that price", async () => {
      const f = await fixture();
      const modelId = await cosmosModel(f, 1, vectors.adr36.creator, 1n);
      expect(await f.p.registry.hasRole(ethers.id("SIGNED_PRICES_ROLE"), await f.bindings.getAddress())).to.equal(true);
      const o = order(modelId, 1n);
      expect(await f.bindings.priceOrderHash(sol(o))).to.equal(priceOrderHash(o));
      const blob = await signPriceOrderWith(await creatorWallet(), o, "wasm");
      await expect(f.bindings.connect(f.stranger).setPriceSigned(sol(o), blob))
        .to.emit(f.bindings, "PriceOrderApplied")
        .withArgs(modelId, await f.p.registry.localCreator(toSolAccount(o.creator)), 1n);
      expect((await f.p.registry.saleInfo(modelId, NATIVE)).keyPrice).to.equal(ONE / 100n);
      await buyNative(f.p, f.buyer, modelId, ONE / 100n);
      // the next order (nonce 2) unlists the currency
      const unlist = order(modelId, 2n, { listed: false, keyPrice: 0n });
      await f.bindings.setPriceSigned(sol(unlist), await signPriceOrderWith(await creatorWallet(), unlist, "wasm"));
      expect((await f.p.registry.saleInfo(modelId, NATIVE)).listed).to.equal(false);
    });

    it("refuses forged, replayed, other-chain, skipped-nonce, non-Cosmos and other creators' orders; the price stays", async () => {
      const f = await fixture();
      const modelId = await cosmosModel(f, 1, vectors.adr36.creator, 1n);
      const other = await Secp256k1Wallet.fromKey(getBytes(vectors.keys.other), "wasm");
      const [{ address: otherBech }] = await other.getAccounts();
      const otherAccount: Account = { family: AccountFamily.Cosmos, address: hexlify(fromBech32(otherBech, 90).data) };
      const othersModel = await cosmosModel(f, 2, otherAccount, 2n);
      const o = order(modelId, 1n);
      const good = await signPriceOrderWith(await creatorWallet(), o, "wasm");
      const submit = (x: PriceOrder, blob: string) => f.bindings.connect(f.stranger).setPriceSigned(sol(x), blob);
      // another key's signature: its public key is not the creator's
      const forged = await signAdr36With(
        { signAmino: (_a, doc) => other.signAmino(otherBech, doc) },
        o.creator,
        "wasm",
        priceOrderHash(o),
      );
      await expect(submit(o, forged)).to.be.revertedWithCustomError(f.bindings, "PubkeyNotCreator");
      // the creator's signature over a different price
      await expect(submit({ ...o, keyPrice: 1n }, good)).to.be.revertedWithCustomError(f.bindings, "BadBindingSignature");
      await expect(submit({ ...o, chain: B }, good)).to.be.revertedWithCustomError(f.bindings, "WrongOrderChain");
      await expect(submit({ ...o, nonce: 2n }, good)).to.be.revertedWithCustomError(f.bindings, "NotNextBinding");
      await expect(submit({ ...o, creator: evm(await f.creator.getAddress()) }, good)).to.be.revertedWithCustomError(
        f.bindings,
        "NotCosmosCreator",
      );
      await expect(submit({ ...o, modelId: othersModel }, good)).to.be.revertedWithCustomError(f.bindings, "NotModelCreator");
      await expect(submit(o, "0x")).to.be.revertedWithCustomError(f.bindings, "BadBindingBlob");
      expect((await f.p.registry.saleInfo(modelId, NATIVE)).listed).to.equal(false);
      await submit(o, good);
      await expect(submit(o, good)).to.be.revertedWithCustomError(f.bindings, "NotNextBinding"); // replay
      // without an order nobody but the creator prices: the registry's setPrice refuses a stranger
      await expect(f.p.registry.connect(f.stranger).setPrice(modelId, NATIVE, 1n, 0n, true)).to.be.revertedWithCustomError(
        f.p.registry,
        "NotCreator",
      );
      expect((await f.p.registry.saleInfo(modelId, NATIVE)).keyPrice).to.equal(ONE / 100n);
    });
  });
});

// Key rules on every path that changes a key's holder (issue 11, items 18-20): a transfer on the
// key's chain, a move to another chain (for the same or another holder), the move back, and the
// mirror of another chain's facts. One table: for each plugin of contracts/evm/plugins and a
// third-party transfer check (HolderOfPlugin, test code), each path is allowed or refused the
// same way everywhere. Two EVM chains, A (the models' home) and B, over the LayerZero mock; a
// non-EVM chain reaches A through the attestation gateway.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import { hexlify, Wallet, zeroPadValue, type Signer } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { deployHexs } from "../../tasks/lib/deployHexs";
import { flushLane } from "../../sdk/bridge";
import { AccountFamily, batchRootOfMessages, encodeMessage, Kind, type Account, type Message } from "../../codec";
import type {
  AttestationGateway,
  EndpointV2Mock,
  ExpiryChangerPlugin,
  HexsHub,
  HexsHubLens,
  HexsLzBridge,
  HolderOfPlugin,
  KeyNFT,
} from "../../sdk/typechain";
import {
  buyNative,
  forgetDeployments,
  loadProtocol,
  publish,
  setNativePrice,
  type Protocol,
} from "../../devnet/hardhat/protocol";

const A = 1;
const B = 2;
const COSMOS = 100;
const ONE = ethers.parseEther("1");
const DAY = 86_400n;
const abi = ethers.AbiCoder.defaultAbiCoder();

interface Chain {
  p: Protocol;
  hub: HexsHub;
  lens: HexsHubLens;
  bridge: HexsLzBridge;
  gateway: AttestationGateway;
}

const relayerKeys = [0, 1, 2].map((i) => new Wallet(ethers.id(`hexs-test-relayer-${i}`)));

const twoChains = deployments.createFixture(async () => {
  const endpoint = async (eid: number) =>
    (await (await ethers.getContractFactory("EndpointV2Mock")).deploy(eid)) as unknown as EndpointV2Mock;
  const [epA, epB] = [await endpoint(40101), await endpoint(40102)];
  const common = {
    timelockDelay: 3600,
    protocolFeeBps: 250,
    relayers: relayerKeys.map((w) => w.address),
    threshold: 2,
    skipHandover: true,
  };
  const chain = async (prefix: string, id: number, ep: EndpointV2Mock): Promise<Chain> => {
    await forgetDeployments(prefix);
    const addresses = await deployHexs(hre, { ...common, prefix, hexsChainId: id, lzEndpoint: await ep.getAddress() });
    return {
      p: await loadProtocol(prefix),
      hub: (await ethers.getContractAt("HexsHub", addresses.hub)) as unknown as HexsHub,
      lens: (await ethers.getContractAt("HexsHubLens", addresses.hubLens)) as unknown as HexsHubLens,
      bridge: (await ethers.getContractAt("HexsLzBridge", addresses.lzBridge)) as unknown as HexsLzBridge,
      gateway: (await ethers.getContractAt("AttestationGateway", addresses.gateway)) as unknown as AttestationGateway,
    };
  };
  const a = await chain("KR-A.", A, epA);
  const b = await chain("KR-B.", B, epB);
  await epA.setDestLzEndpoint(await b.bridge.getAddress(), await epB.getAddress());
  await epB.setDestLzEndpoint(await a.bridge.getAddress(), await epA.getAddress());
  await a.bridge.mapChain(B, 40102);
  await b.bridge.mapChain(A, 40101);
  await a.bridge.setPeer(40102, zeroPadValue(await b.bridge.getAddress(), 32));
  await b.bridge.setPeer(40101, zeroPadValue(await a.bridge.getAddress(), 32));
  await a.hub.setPeer(B, await a.bridge.getAddress(), 0, AccountFamily.Evm);
  await b.hub.setPeer(A, await b.bridge.getAddress(), 0, AccountFamily.Evm);
  await a.hub.setPeer(COSMOS, await a.gateway.getAddress(), 0, AccountFamily.Cosmos);
  return { a, b };
});

/** The Solidity `HexsCodec.Account` of an EVM address. */
const sol = (address: string) => ({ family: AccountFamily.Evm, addr: zeroPadValue(address, 32) });
const evm = (address: string): Account => ({ family: AccountFamily.Evm, address: address.toLowerCase() });
const keysAt = async (p: Protocol, modelId: bigint) =>
  (await ethers.getContractAt("KeyNFT", await p.registry.keysOf(modelId))) as unknown as KeyNFT;

/** What a path should do: "ok", or the custom error (of KeyNFT) that refuses it. */
type Outcome = "ok" | "KeyLocked" | "PluginRejected" | "HolderChangesAtHome";

interface Case {
  name: string;
  /** The key policy at publish, given the two chains and the holder (who also holds the base model). */
  plugins: (a: Chain, baseModel: bigint) => Promise<{ plugin: string; config: string }[]>;
  transfer: Outcome; // on A, to someone else
  moveToOther: Outcome; // A -> B, for someone else
  onB: Outcome; // after a move to B for the same holder: a transfer there, or a move back for someone else
  locked: boolean; // the key reports locked() on A and, after the move, on B (and A's mirror keeps it)
}

const CASES: Case[] = [
  { name: "no plugin", plugins: async () => [], transfer: "ok", moveToOther: "ok", onB: "ok", locked: false },
  {
    name: "SoulboundPlugin (locked key)",
    plugins: async (a) => [{ plugin: await a.p.plugins.soulbound.getAddress(), config: "0x" }],
    transfer: "KeyLocked",
    moveToOther: "KeyLocked",
    onB: "KeyLocked",
    locked: true,
  },
  {
    name: "AllowlistPlugin (checks mints only)",
    plugins: async (a) => {
      // A one-leaf tree: the root is the leaf of the holder's address.
      const holder = await (await ethers.getSigners())[3].getAddress();
      const root = ethers.keccak256(ethers.keccak256(abi.encode(["address"], [holder])));
      return [{ plugin: await a.p.plugins.allowlist.getAddress(), config: abi.encode(["bytes32"], [root]) }];
    },
    transfer: "ok",
    moveToOther: "ok",
    onB: "ok",
    locked: false,
  },
  {
    name: "SupplyCapPlugin (checks mints only)",
    plugins: async (a) => [{ plugin: await a.p.plugins.supplyCap.getAddress(), config: abi.encode(["uint64"], [5]) }],
    transfer: "ok",
    moveToOther: "ok",
    onB: "ok",
    locked: false,
  },
  {
    name: "ExpiryPlugin (the key keeps its expiry everywhere)",
    plugins: async (a) => [{ plugin: await a.p.plugins.expiry.getAddress(), config: abi.encode(["uint64"], [DAY]) }],
    transfer: "ok",
    moveToOther: "ok",
    onB: "ok",
    locked: false,
  },
  {
    name: "HolderOfPlugin (third-party transfer check, runs on the home chain only)",
    plugins: async (a, baseModel) => {
      const holderOf = (await (
        await ethers.getContractFactory("HolderOfPlugin")
      ).deploy(await a.p.registryLens.getAddress(), await a.p.registry.getAddress())) as unknown as HolderOfPlugin;
      return [{ plugin: await holderOf.getAddress(), config: abi.encode(["uint64"], [baseModel]) }];
    },
    transfer: "PluginRejected",
    moveToOther: "PluginRejected",
    onB: "HolderChangesAtHome",
    locked: false,
  },
];

describe("key rules on every path that changes a key's holder (items 18-20)", () => {
  let a: Chain, b: Chain;
  let creator: Signer, holder: Signer, other: Signer;
  let H: string, O: string;

  beforeEach(async () => {
    ({ a, b } = await twoChains());
    [, , creator, holder, other] = await ethers.getSigners();
    [H, O] = [await holder.getAddress(), await other.getAddress()];
  });

  /** A model on A with `plugins`, mirrored on B; the holder holds a key of it (and of the base model). */
  async function setup(c: Case) {
    const base = await publish(a.p, creator, { content: "base" });
    await setNativePrice(a.p, creator, base.modelId, ONE);
    await buyNative(a.p, holder, base.modelId, ONE);
    const m = await publish(a.p, creator, { content: "gated", plugins: await c.plugins(a, base.modelId) });
    await setNativePrice(a.p, creator, m.modelId, ONE);
    const keyId = await buyNative(a.p, holder, m.modelId, ONE);
    await flushLane(a.hub, a.bridge, B);
    return { baseId: base.modelId, modelId: m.modelId, keyA: m.keys, keyB: await keysAt(b.p, m.modelId), keyId };
  }

  async function expectOutcome(tx: Promise<unknown>, keys: KeyNFT, outcome: Outcome) {
    if (outcome === "ok") await expect(tx).to.not.be.reverted;
    else await expect(tx).to.be.revertedWithCustomError(keys, outcome);
  }

  for (const c of CASES) {
    describe(c.name, () => {
      it(`transfer on the key's chain: ${c.transfer}`, async () => {
        const { keyA, keyId } = await setup(c);
        await expectOutcome(keyA.connect(holder).transferFrom(H, O, keyId), keyA, c.transfer);
        expect(await keyA.ownerOf(keyId)).to.equal(c.transfer === "ok" ? O : H);
      });

      it(`move to another chain for another holder: ${c.moveToOther} (as a transfer)`, async () => {
        const { keyA, keyB, keyId } = await setup(c);
        await expectOutcome(keyA.connect(holder).moveTo(keyId, B, sol(O)), keyA, c.moveToOther);
        await flushLane(a.hub, a.bridge, B);
        if (c.moveToOther === "ok") expect(await keyB.ownerOf(keyId)).to.equal(O);
        else expect(await keyA.ownerOf(keyId)).to.equal(H); // nothing left A
      });

      it(`move for the same holder keeps expiry and lock; then on B a change of holder: ${c.onB}; the move back for the same holder keeps them`, async () => {
        const { modelId, keyA, keyB, keyId } = await setup(c);
        const expiry = await keyA.expiresAt(keyId);
        expect(await keyA.locked(keyId)).to.equal(c.locked);
        await keyA.connect(holder).moveTo(keyId, B, sol(H));
        await flushLane(a.hub, a.bridge, B);
        expect(await keyB.ownerOf(keyId)).to.equal(H);
        expect(await keyB.expiresAt(keyId)).to.equal(expiry);
        expect(await keyB.locked(keyId)).to.equal(c.locked || c.onB === "HolderChangesAtHome");
        expect((await a.lens.mirroredKey(a.hub, keyId, modelId, sol(H))).locked).to.equal(c.locked);

        // On B: a transfer and a move back for someone else pass the same rules.
        await expectOutcome(keyB.connect(holder).transferFrom.staticCall(H, O, keyId), keyB, c.onB);
        await expectOutcome(keyB.connect(holder).moveTo.staticCall(keyId, A, sol(O)), keyB, c.onB);

        // Back home for the same holder: always allowed, with the same expiry and lock.
        await keyB.connect(holder).moveTo(keyId, A, sol(H));
        await flushLane(b.hub, b.bridge, A);
        expect(await keyA.ownerOf(keyId)).to.equal(H);
        expect(await keyA.expiresAt(keyId)).to.equal(expiry);
        expect(await keyA.locked(keyId)).to.equal(c.locked);
        await expectOutcome(keyA.connect(holder).transferFrom(H, O, keyId), keyA, c.transfer);
      });
    });
  }

  it("a move from the home chain for another holder that its transfer plugin allows arrives on a mirror", async () => {
    const c = CASES.find((x) => x.onB === "HolderChangesAtHome")!;
    const { baseId, keyA, keyB, keyId } = await setup(c);
    await buyNative(a.p, other, baseId, ONE); // O holds the base model: the home's plugin allows it
    await keyA.connect(holder).moveTo(keyId, B, sol(O));
    await flushLane(a.hub, a.bridge, B);
    expect(await keyB.ownerOf(keyId)).to.equal(O);
    expect(await keyB.locked(keyId)).to.equal(true); // its holder changes on A only
  });

  describe("the mirror refuses what the key's own chain would refuse", () => {
    const cosmosModel = (BigInt(COSMOS) << 32n) | 1n;
    const cosmosHolder: Account = { family: AccountFamily.Cosmos, address: "0x" + "ab".repeat(20) };
    let nonce = 0n;
    const msg = (kind: Kind, body: Message["body"]) =>
      hexlify(encodeMessage({ version: 1, kind, srcChain: COSMOS, dstChain: A, nonce: ++nonce, body } as Message));
    const submit = async (...messages: string[]) => {
      const { root } = batchRootOfMessages(messages);
      const sigs = [...relayerKeys.slice(0, 2)]
        .sort((x, y) => (BigInt(x.address) < BigInt(y.address) ? -1 : 1))
        .map((w) => w.signingKey.sign(root).serialized);
      return a.gateway.submitBatch(messages, sigs);
    };

    it("a locked key's KeyTransferred, or its KeyMoved for another holder, is refused (KeyIsLocked) and the mirror keeps it", async () => {
      nonce = 0n;
      const keyId = (BigInt(COSMOS) << 32n) | 7n;
      await submit(
        msg(Kind.ModelRegistered, {
          modelId: cosmosModel,
          parentId: 0n,
          creator: cosmosHolder,
          contentCommitment: ethers.id("cosmos"),
          parentCommitment: ethers.ZeroHash,
          soulbound: true,
          forkable: true,
          keyDuration: 0n,
          upstreamBps: 0,
          daoBps: 0,
          forkRoyaltyBps: 0,
          resaleRoyaltyBps: 0,
          sdlLocator: "lighthouse://x",
          metadataUri: "",
        }),
        msg(Kind.KeyMinted, { modelId: cosmosModel, keyId, owner: cosmosHolder, expiresAt: 0n, locked: true }),
      );
      const transferred = msg(Kind.KeyTransferred, { keyId, modelId: cosmosModel, from: cosmosHolder, to: evm(O) });
      const movedAway = msg(Kind.KeyMoved, {
        keyId,
        modelId: cosmosModel,
        fromChain: COSMOS,
        toChain: A,
        from: cosmosHolder,
        owner: evm(O),
        expiresAt: 0n,
        locked: false, // a lock the message forgets is kept by the mirror
      });
      const tx = submit(transferred, movedAway);
      await expect(tx)
        .to.emit(a.hub, "MessageRejected")
        .withArgs(COSMOS, 3n, Kind.KeyTransferred, a.hub.interface.encodeErrorResult("KeyIsLocked", [keyId]));
      await expect(tx)
        .to.emit(a.hub, "MessageRejected")
        .withArgs(COSMOS, 4n, Kind.KeyMoved, a.hub.interface.encodeErrorResult("KeyIsLocked", [keyId]));
      const cosmosSol = { family: AccountFamily.Cosmos, addr: zeroPadValue(cosmosHolder.address, 32) };
      expect((await a.lens.mirroredKey(a.hub, keyId, cosmosModel, cosmosSol)).locked).to.equal(true);
      expect(await a.hub.hasMirroredAccess(cosmosModel, sol(O))).to.equal(false);
    });
  });

  describe("item 18: a sold key's expiry is fixed at mint", () => {
    it("a plugin attached after the sale cannot change it, directly or from another key's mint (ExpiryFixed)", async () => {
      const m = await publish(a.p, creator, {
        plugins: [{ plugin: await a.p.plugins.expiry.getAddress(), config: abi.encode(["uint64"], [DAY]) }],
      });
      await setNativePrice(a.p, creator, m.modelId, ONE);
      const keyId = await buyNative(a.p, holder, m.modelId, ONE);
      const expiry = await m.keys.expiresAt(keyId);
      const changer = (await (await ethers.getContractFactory("ExpiryChangerPlugin")).deploy()) as unknown as ExpiryChangerPlugin;
      await m.keys.connect(creator).attachPlugin(await changer.getAddress(), "0x");
      await expect(changer.change(await m.keys.getAddress(), keyId, 1n))
        .to.be.revertedWithCustomError(m.keys, "ExpiryFixed")
        .withArgs(keyId);
      await changer.aimAt(keyId, 1n);
      await expect(buyNative(a.p, other, m.modelId, ONE)).to.be.revertedWithCustomError(m.keys, "PluginRejected");
      expect(await m.keys.expiresAt(keyId)).to.equal(expiry);
      expect(await m.keys.hasAccess(H)).to.equal(true);
    });
  });

  describe("item 19: key policy set after publish travels (KeyPolicySet)", () => {
    it("soul-bound and expiry attached later reach B's collection; detaching them there too; keys keep their own terms", async () => {
      const m = await publish(a.p, creator);
      await flushLane(a.hub, a.bridge, B);
      const keyB = await keysAt(b.p, m.modelId);
      await setNativePrice(b.p, creator, m.modelId, ONE);
      const before = await buyNative(b.p, holder, m.modelId, ONE); // sold on B under the first policy

      await m.keys.connect(creator).attachPlugin(await a.p.plugins.expiry.getAddress(), abi.encode(["uint64"], [DAY]));
      await m.keys.connect(creator).attachPlugin(await a.p.plugins.soulbound.getAddress(), "0x");
      await flushLane(a.hub, a.bridge, B);
      expect(await keyB.soulbound()).to.equal(true);
      const locked = await buyNative(b.p, other, m.modelId, ONE);
      expect(await keyB.locked(locked)).to.equal(true);
      expect(await keyB.expiresAt(locked)).to.equal(BigInt(await time.latest()) + DAY);
      await expect(keyB.connect(other).transferFrom(O, H, locked)).to.be.revertedWithCustomError(keyB, "KeyLocked");
      // The key sold before keeps its terms: perpetual and transferable.
      expect(await keyB.locked(before)).to.equal(false);
      expect(await keyB.expiresAt(before)).to.equal(0n);
      await keyB.connect(holder).transferFrom(H, O, before);

      await m.keys.connect(creator).detachPlugin(await a.p.plugins.expiry.getAddress());
      await flushLane(a.hub, a.bridge, B);
      await time.increase(DAY + 1n);
      expect(await keyB.expiresAt(locked)).to.not.equal(0n); // still the expiry it was sold with
      const perpetual = await buyNative(b.p, holder, m.modelId, ONE);
      expect(await keyB.expiresAt(perpetual)).to.equal(0n);
      expect(await keyB.locked(perpetual)).to.equal(true);
    });

    it("a mirror's plugins follow its home chain: the creator cannot change them on B (NotHomeChain)", async () => {
      const m = await publish(a.p, creator, { plugins: [{ plugin: await a.p.plugins.soulbound.getAddress(), config: "0x" }] });
      await flushLane(a.hub, a.bridge, B);
      const keyB = await keysAt(b.p, m.modelId);
      await expect(keyB.connect(creator).detachPlugin(await b.p.plugins.soulbound.getAddress()))
        .to.be.revertedWithCustomError(keyB, "NotHomeChain")
        .withArgs(m.modelId);
      expect(await keyB.soulbound()).to.equal(true);
    });

    it("a plugin that checks transfers cannot be attached once a key was sold (PolicyFixed)", async () => {
      const base = await publish(a.p, creator, { content: "base" });
      const m = await publish(a.p, creator);
      await setNativePrice(a.p, creator, m.modelId, ONE);
      await buyNative(a.p, holder, m.modelId, ONE);
      const holderOf = await (
        await ethers.getContractFactory("HolderOfPlugin")
      ).deploy(await a.p.registryLens.getAddress(), await a.p.registry.getAddress());
      await expect(
        m.keys.connect(creator).attachPlugin(await holderOf.getAddress(), abi.encode(["uint64"], [base.modelId])),
      ).to.be.revertedWithCustomError(m.keys, "PolicyFixed");
    });
  });
});

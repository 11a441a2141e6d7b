import { expect } from "chai";
import { ethers } from "hardhat";
import type { Signer } from "ethers";
import {
  deployProtocol,
  eventsOf,
  NATIVE,
  publish,
  publishParams,
  throughTimelock,
  timelockSigner,
  type Protocol,
} from "../../devnet/hardhat/protocol";

const CHAIN = 1n; // hexsChainId of the hardhat network (tasks/lib/protocol.ts)
const id = (serial: bigint) => (CHAIN << 32n) | serial;
const BEACON_SLOT = "0xa3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50";

describe("HexsRegistry", () => {
  let p: Protocol;
  let deployer: Signer, creator: Signer, forker: Signer, stranger: Signer;

  beforeEach(async () => {
    p = await deployProtocol();
    [deployer, , creator, forker, stranger] = p.signers;
  });

  describe("publish", () => {
    it("packs the configured hexsChainId (not block.chainid) with a per-chain serial", async () => {
      expect(await p.registry.chainId()).to.equal(CHAIN);
      const a = await publish(p, creator);
      const b = await publish(p, forker, { content: "other" });
      expect(a.modelId).to.equal(id(1n));
      expect(b.modelId).to.equal(id(2n));
      expect(a.modelId >> 32n).to.not.equal(BigInt((await ethers.provider.getNetwork()).chainId));
      expect(await p.registryLens.modelCount(p.registry)).to.equal(2);
      expect(await p.registryLens.exists(p.registry, a.modelId)).to.equal(true);
      expect(await p.registryLens.exists(p.registry, id(3n))).to.equal(false);
    });

    it("emits ModelPublished with every field an indexer needs", async () => {
      const params = publishParams({ forkRoyaltyBps: 1234, daoBps: 321, forkable: false, content: "c1" });
      const tx = await p.registry.connect(creator).publish(params);
      const receipt = await tx.wait();
      const [ev] = eventsOf(receipt, p.registry, "ModelPublished");
      const keys = await p.registry.keysOf(id(1n));
      expect(ev.args.modelId).to.equal(id(1n));
      expect(ev.args.creator).to.equal(await creator.getAddress());
      expect(ev.args.parentId).to.equal(0n);
      expect(ev.args[3]).to.equal(keys);
      expect(ev.args.contentCommitment).to.equal(params.contentCommitment);
      expect(ev.args.parentCommitment).to.equal(ethers.ZeroHash);
      expect(ev.args.sdlLocator).to.equal(params.sdlLocator);
      expect(ev.args.metadataUri).to.equal(params.metadataUri);
      const t = ev.args.terms;
      expect([t.depth, t.upstreamBps, t.forkRoyaltyBps, t.daoBps, t.forkable]).to.deep.equal([0n, 0n, 1234n, 321n, false]);
    });

    it("stores the model and deploys its own key collection as a BeaconProxy of the key beacon", async () => {
      const a = await publish(p, creator, { secondaryRoyaltyBps: 700 });
      const b = await publish(p, creator, { content: "b" });
      const m = await p.registry.model(a.modelId);
      expect(m.creator).to.equal(await creator.getAddress());
      expect(m.parentId).to.equal(0n);
      expect(m.depth).to.equal(0n);
      expect(m.retired).to.equal(false);
      expect(m[4]).to.equal(await a.keys.getAddress());
      expect(await a.keys.getAddress()).to.not.equal(await b.keys.getAddress());
      for (const keys of [a.keys, b.keys]) {
        const raw = await ethers.provider.getStorage(await keys.getAddress(), BEACON_SLOT);
        expect(ethers.getAddress("0x" + raw.slice(26))).to.equal(await p.beacon.getAddress());
      }
      expect(await a.keys.modelId()).to.equal(a.modelId);
      expect(await a.keys.name()).to.equal(`Hexs Key: model ${a.modelId}`);
      expect(await a.keys.symbol()).to.equal("HEXSKEY");
      const [, royalty] = await a.keys.royaltyInfo(1, 10_000);
      expect(royalty).to.equal(700n);
    });

    it("refuses an empty content commitment", async () => {
      const params = { ...publishParams(), contentCommitment: ethers.ZeroHash };
      await expect(p.registry.connect(creator).publish(params)).to.be.revertedWithCustomError(p.registry, "EmptyCommitment");
    });

    it("caps fork royalty, DAO share and secondary royalty (boundary values accepted)", async () => {
      const cases: [keyof ReturnType<typeof publishParams>, number][] = [
        ["forkRoyaltyBps", 5000],
        ["daoBps", 4000],
        ["secondaryRoyaltyBps", 2500],
      ];
      for (const [field, max] of cases) {
        const over = { ...publishParams(), [field]: max + 1 };
        await expect(p.registry.connect(creator).publish(over))
          .to.be.revertedWithCustomError(p.registry, "RoyaltyTooHigh")
          .withArgs(max + 1, max);
        await expect(p.registry.connect(creator).publish({ ...publishParams(), [field]: max })).to.emit(
          p.registry,
          "ModelPublished",
        );
      }
      expect(await p.registry.MAX_FORK_ROYALTY_BPS()).to.equal(5000);
      expect(await p.registry.MAX_DAO_BPS()).to.equal(4000);
      expect(await p.registry.MAX_SECONDARY_ROYALTY_BPS()).to.equal(2500);
    });

    it("computes the content commitment as keccak256(abi.encode(encryptedSdlHash, imageDigest))", async () => {
      const sdl = ethers.id("encrypted sdl");
      const image = ethers.id("sha256:image");
      const expected = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], [sdl, image]));
      expect(await p.registryLens.commitment(sdl, image)).to.equal(expected);
    });
  });

  describe("fork", () => {
    it("commits to the parent's current content commitment and inherits its fork royalty as upstream share", async () => {
      const root = await publish(p, creator, { forkRoyaltyBps: 1500, content: "root-v1" });
      const child = await publish(p, forker, { parentId: root.modelId, forkRoyaltyBps: 800 });
      expect(child.modelId).to.equal(id(2n));
      const m = await p.registry.model(child.modelId);
      expect(m.parentId).to.equal(root.modelId);
      expect(m.parentCommitment).to.equal(ethers.id("root-v1"));
      expect(m.upstreamBps).to.equal(1500);
      expect(m.depth).to.equal(1);
      const l = await p.registry.lineageOf(child.modelId);
      expect([l.creator, l.parentId, l.upstreamBps]).to.deep.equal([await forker.getAddress(), root.modelId, 1500n]);

      // The parent moves to a new SDL version: later forks commit to that version.
      await p.registry.connect(creator).update(root.modelId, ethers.id("root-v2"), "cid-v2", "ipfs://meta-v2");
      const tx = await p.registry.connect(stranger).fork(root.modelId, publishParams({ content: "f2" }));
      await expect(tx)
        .to.emit(p.registry, "ModelPublished")
        .withArgs(
          id(3n),
          await stranger.getAddress(),
          root.modelId,
          await p.registry.keysOf(id(3n)),
          ethers.id("f2"),
          ethers.id("root-v2"),
          publishParams().sdlLocator,
          publishParams().metadataUri,
          [1n, 1500n, 1000n, 0n, true],
        );
      // The earlier fork keeps the commitment it was made against.
      expect((await p.registry.model(child.modelId)).parentCommitment).to.equal(ethers.id("root-v1"));
    });

    it("tracks depth along a chain of forks", async () => {
      let parent = (await publish(p, creator)).modelId;
      for (let d = 1; d <= 5; d++) {
        parent = (await publish(p, forker, { parentId: parent, content: `d${d}` })).modelId;
        expect((await p.registry.model(parent)).depth).to.equal(d);
      }
    });

    it("refuses to fork an unknown model", async () => {
      await expect(p.registry.connect(forker).fork(id(42n), publishParams()))
        .to.be.revertedWithCustomError(p.registry, "ModelNotFound")
        .withArgs(id(42n));
      await expect(p.registry.connect(forker).fork(0, publishParams()))
        .to.be.revertedWithCustomError(p.registry, "ModelNotFound")
        .withArgs(0);
    });

    it("refuses to fork a retired model", async () => {
      const root = await publish(p, creator);
      await expect(p.registry.connect(creator).retire(root.modelId)).to.emit(p.registry, "ModelRetired").withArgs(root.modelId);
      await expect(p.registry.connect(forker).fork(root.modelId, publishParams()))
        .to.be.revertedWithCustomError(p.registry, "ModelIsRetired")
        .withArgs(root.modelId);
    });

    it("refuses to fork a non-forkable model", async () => {
      const root = await publish(p, creator, { forkable: false });
      await expect(p.registry.connect(forker).fork(root.modelId, publishParams()))
        .to.be.revertedWithCustomError(p.registry, "NotForkable")
        .withArgs(root.modelId);
    });

    it("applies the same caps and commitment check to forks", async () => {
      const root = await publish(p, creator);
      await expect(p.registry.connect(forker).fork(root.modelId, { ...publishParams(), daoBps: 4001 }))
        .to.be.revertedWithCustomError(p.registry, "RoyaltyTooHigh")
        .withArgs(4001, 4000);
      await expect(
        p.registry.connect(forker).fork(root.modelId, { ...publishParams(), contentCommitment: ethers.ZeroHash }),
      ).to.be.revertedWithCustomError(p.registry, "EmptyCommitment");
    });
  });

  describe("creator-only management", () => {
    let modelId: bigint;
    beforeEach(async () => {
      modelId = (await publish(p, creator)).modelId;
    });

    it("update: creator only, emits ModelUpdated, refuses empty commitment", async () => {
      const who = await stranger.getAddress();
      await expect(p.registry.connect(stranger).update(modelId, ethers.id("x"), "cid", "uri"))
        .to.be.revertedWithCustomError(p.registry, "NotCreator")
        .withArgs(modelId, who);
      await expect(p.registry.connect(creator).update(modelId, ethers.ZeroHash, "cid", "uri")).to.be.revertedWithCustomError(
        p.registry,
        "EmptyCommitment",
      );
      await expect(p.registry.connect(creator).update(modelId, ethers.id("v2"), "cid-v2", "ipfs://v2"))
        .to.emit(p.registry, "ModelUpdated")
        .withArgs(modelId, ethers.id("v2"), "cid-v2", "ipfs://v2");
      const m = await p.registry.model(modelId);
      expect([m.contentCommitment, m.sdlLocator, m.metadataUri]).to.deep.equal([ethers.id("v2"), "cid-v2", "ipfs://v2"]);
      expect(await p.registry.metadataUriOf(modelId)).to.equal("ipfs://v2");
    });

    it("update/retire/setPrice of an unknown model revert with ModelNotFound", async () => {
      await expect(p.registry.connect(creator).update(id(9n), ethers.id("x"), "", ""))
        .to.be.revertedWithCustomError(p.registry, "ModelNotFound")
        .withArgs(id(9n));
      await expect(p.registry.connect(creator).retire(id(9n)))
        .to.be.revertedWithCustomError(p.registry, "ModelNotFound")
        .withArgs(id(9n));
      await expect(p.registry.connect(creator).setPrice(id(9n), NATIVE, 1, 0, true))
        .to.be.revertedWithCustomError(p.registry, "ModelNotFound")
        .withArgs(id(9n));
    });

    it("retire: creator only, once; a retired model can no longer be updated", async () => {
      await expect(p.registry.connect(stranger).retire(modelId))
        .to.be.revertedWithCustomError(p.registry, "NotCreator")
        .withArgs(modelId, await stranger.getAddress());
      await p.registry.connect(creator).retire(modelId);
      expect((await p.registry.model(modelId)).retired).to.equal(true);
      await expect(p.registry.connect(creator).retire(modelId))
        .to.be.revertedWithCustomError(p.registry, "ModelIsRetired")
        .withArgs(modelId);
      await expect(p.registry.connect(creator).update(modelId, ethers.id("x"), "", ""))
        .to.be.revertedWithCustomError(p.registry, "ModelIsRetired")
        .withArgs(modelId);
      expect((await p.registry.saleInfo(modelId, NATIVE)).retired).to.equal(true);
    });

    it("setPrice: creator only, per currency, unlisting with listed=false", async () => {
      const token = ethers.Wallet.createRandom().address;
      await expect(p.registry.connect(stranger).setPrice(modelId, NATIVE, 1, 0, true))
        .to.be.revertedWithCustomError(p.registry, "NotCreator")
        .withArgs(modelId, await stranger.getAddress());
      await expect(p.registry.connect(creator).setPrice(modelId, NATIVE, 100, 7, true))
        .to.emit(p.registry, "PriceSet")
        .withArgs(modelId, NATIVE, 100, 7, true);
      await p.registry.connect(creator).setPrice(modelId, token, 5, 0, true);
      const nat = await p.registryLens.priceOf(p.registry, modelId, NATIVE);
      expect([nat.keyPrice, nat.deploymentPrice, nat.listed]).to.deep.equal([100n, 7n, true]);
      const sale = await p.registry.saleInfo(modelId, token);
      expect([sale.keyPrice, sale.listed, sale[0]]).to.deep.equal([5n, true, await p.registry.keysOf(modelId)]);
      await p.registry.connect(creator).setPrice(modelId, NATIVE, 100, 7, false);
      expect((await p.registry.saleInfo(modelId, NATIVE)).listed).to.equal(false);
      expect((await p.registry.saleInfo(modelId, ethers.Wallet.createRandom().address)).listed).to.equal(false);
    });

    it("views of an unknown model revert with ModelNotFound", async () => {
      for (const call of [
        p.registry.model(id(77n)),
        p.registry.creatorOf(id(77n)),
        p.registry.keysOf(id(77n)),
        p.registry.lineageOf(id(77n)),
        p.registry.saleInfo(id(77n), NATIVE),
        p.registryLens.hasAccess(p.registry, id(77n), await stranger.getAddress()),
      ]) {
        await expect(call).to.be.revertedWithCustomError(p.registry, "ModelNotFound").withArgs(id(77n));
      }
    });
  });

  describe("pause and governance", () => {
    it("the guardian's pause blocks publish and fork, the timelock's unpause restores them", async () => {
      const root = await publish(p, creator);
      await expect(p.registry.connect(stranger).pause())
        .to.be.revertedWithCustomError(p.registry, "AccessControlUnauthorizedAccount")
        .withArgs(await stranger.getAddress(), await p.registry.PAUSER_ROLE());
      await p.registry.connect(deployer).pause();
      await expect(p.registry.connect(creator).publish(publishParams())).to.be.revertedWithCustomError(
        p.registry,
        "EnforcedPause",
      );
      await expect(p.registry.connect(forker).fork(root.modelId, publishParams())).to.be.revertedWithCustomError(
        p.registry,
        "EnforcedPause",
      );
      // lifting a pause is governance's (issue 11 item 10), no longer the guardian's
      await (await throughTimelock(p, await p.registry.getAddress(), p.registry.interface.encodeFunctionData("unpause"))).wait();
      await expect(p.registry.connect(forker).fork(root.modelId, publishParams())).to.emit(p.registry, "ModelPublished");
    });

    it("the key beacon is wired once; setDao is reserved to the DAO factory", async () => {
      const tl = await timelockSigner(p);
      await expect(p.registry.connect(tl).setKeyBeacon(await stranger.getAddress())).to.be.revertedWithCustomError(
        p.registry,
        "KeyBeaconAlreadySet",
      );
      await expect(p.registry.connect(deployer).setKeyBeacon(await stranger.getAddress()))
        .to.be.revertedWithCustomError(p.registry, "AccessControlUnauthorizedAccount")
        .withArgs(await deployer.getAddress(), ethers.ZeroHash);
      const root = await publish(p, creator);
      await expect(p.registry.connect(creator).setDao(root.modelId, await creator.getAddress()))
        .to.be.revertedWithCustomError(p.registry, "AccessControlUnauthorizedAccount")
        .withArgs(await creator.getAddress(), await p.registry.DAO_FACTORY_ROLE());
      expect(await p.registry.hasRole(await p.registry.DAO_FACTORY_ROLE(), await p.daoFactory.getAddress())).to.equal(true);
    });

    it("cannot be initialized again", async () => {
      await expect(
        p.registry.initialize(7, await stranger.getAddress(), await stranger.getAddress()),
      ).to.be.revertedWithCustomError(p.registry, "InvalidInitialization");
    });
  });
});

import { expect } from "chai";
import { ethers, upgrades } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import {
  buyNative,
  deployProtocol,
  NATIVE,
  publish,
  setNativePrice,
  throughTimelock,
  type Protocol,
} from "../../devnet/hardhat/protocol";
import type { HexsMarketV2, HexsRegistryV2, KeyNFTV2 } from "../../sdk/typechain";

const ONE = ethers.parseEther("1");
const UPGRADER = ethers.id("UPGRADER_ROLE");
const TREASURER = ethers.id("TREASURER_ROLE");
const PAUSER = ethers.id("PAUSER_ROLE");
const ADMIN = ethers.ZeroHash;

describe("Upgrades and protocol governance", () => {
  let p: Protocol;
  let deployer: Signer, creator: Signer, alice: Signer, bob: Signer;
  let D: string, TL: string;
  let registryAddr: string, marketAddr: string;

  beforeEach(async () => {
    p = await deployProtocol();
    [deployer, , creator, , alice, bob] = p.signers;
    D = await deployer.getAddress();
    TL = await p.timelock.getAddress();
    registryAddr = await p.registry.getAddress();
    marketAddr = await p.market.getAddress();
  });

  describe("roles after the handover (deploy/04_handover.ts)", () => {
    it("the timelock holds admin, upgrader and treasurer roles; the deployer only keeps PAUSER_ROLE", async () => {
      for (const c of [p.registry, p.market]) {
        expect(await c.hasRole(ADMIN, TL)).to.equal(true);
        expect(await c.hasRole(UPGRADER, TL)).to.equal(true);
        expect(await c.hasRole(ADMIN, D)).to.equal(false);
        expect(await c.hasRole(UPGRADER, D)).to.equal(false);
        expect(await c.hasRole(PAUSER, D)).to.equal(true);
      }
      expect(await p.market.hasRole(TREASURER, TL)).to.equal(true);
      expect(await p.market.hasRole(TREASURER, D)).to.equal(false);
      expect(await p.beacon.owner()).to.equal(TL);
      // The timelock administers itself; the deployer only proposes/cancels; anyone executes.
      expect(await p.timelock.hasRole(ADMIN, D)).to.equal(false);
      expect(await p.timelock.hasRole(ADMIN, TL)).to.equal(true);
      expect(await p.timelock.hasRole(await p.timelock.PROPOSER_ROLE(), D)).to.equal(true);
      expect(await p.timelock.hasRole(await p.timelock.EXECUTOR_ROLE(), ethers.ZeroAddress)).to.equal(true);
      expect(await p.timelock.getMinDelay()).to.equal(3600n);
    });

    it("the deployer cannot grant roles any more; the timelock can, after its delay", async () => {
      const A = await alice.getAddress();
      await expect(p.market.connect(deployer).grantRole(PAUSER, A))
        .to.be.revertedWithCustomError(p.market, "AccessControlUnauthorizedAccount")
        .withArgs(D, ADMIN);
      await expect(p.registry.connect(deployer).grantRole(UPGRADER, D))
        .to.be.revertedWithCustomError(p.registry, "AccessControlUnauthorizedAccount")
        .withArgs(D, ADMIN);
      await (await throughTimelock(p, marketAddr, p.market.interface.encodeFunctionData("grantRole", [PAUSER, A]))).wait();
      expect(await p.market.hasRole(PAUSER, A)).to.equal(true);
      await p.market.connect(alice).pause();
      expect(await p.market.paused()).to.equal(true);
    });

    it("only proposers schedule, and nothing executes before the delay", async () => {
      const data = p.market.interface.encodeFunctionData("setProtocolFee", [100, await alice.getAddress()]);
      await expect(p.timelock.connect(alice).schedule(marketAddr, 0, data, ethers.ZeroHash, ethers.ZeroHash, 3600))
        .to.be.revertedWithCustomError(p.timelock, "AccessControlUnauthorizedAccount")
        .withArgs(await alice.getAddress(), await p.timelock.PROPOSER_ROLE());
      await expect(p.timelock.connect(deployer).schedule(marketAddr, 0, data, ethers.ZeroHash, ethers.ZeroHash, 60))
        .to.be.revertedWithCustomError(p.timelock, "TimelockInsufficientDelay")
        .withArgs(60, 3600);
      await p.timelock.connect(deployer).schedule(marketAddr, 0, data, ethers.ZeroHash, ethers.ZeroHash, 3600);
      await expect(
        p.timelock.connect(alice).execute(marketAddr, 0, data, ethers.ZeroHash, ethers.ZeroHash),
      ).to.be.revertedWithCustomError(p.timelock, "TimelockUnexpectedOperationState");
      await time.increase(3600);
      await p.timelock.connect(alice).execute(marketAddr, 0, data, ethers.ZeroHash, ethers.ZeroHash);
      const [bps] = await p.market.protocolFee();
      expect(bps).to.equal(100n);
    });
  });

  describe("UUPS upgrades of registry and market", () => {
    it("are rejected when not sent by the timelock", async () => {
      const regImpl = await (await ethers.getContractFactory("HexsRegistryV2")).deploy();
      const mktImpl = await (await ethers.getContractFactory("HexsMarketV2")).deploy();
      for (const who of [deployer, creator]) {
        const addr = await who.getAddress();
        await expect(p.registry.connect(who).upgradeToAndCall(await regImpl.getAddress(), "0x"))
          .to.be.revertedWithCustomError(p.registry, "AccessControlUnauthorizedAccount")
          .withArgs(addr, UPGRADER);
        await expect(p.market.connect(who).upgradeToAndCall(await mktImpl.getAddress(), "0x"))
          .to.be.revertedWithCustomError(p.market, "AccessControlUnauthorizedAccount")
          .withArgs(addr, UPGRADER);
      }
      // Nor through the plugin with a non-timelock signer.
      await expect(
        upgrades.upgradeProxy(registryAddr, await ethers.getContractFactory("HexsRegistryV2", deployer), {
          kind: "uups",
        }),
      ).to.be.revertedWithCustomError(p.registry, "AccessControlUnauthorizedAccount");
    });

    it("registry: validated by the plugin, scheduled and executed through the timelock, state kept", async () => {
      const root = await publish(p, creator, { content: "before-upgrade" });
      const factory = await ethers.getContractFactory("HexsRegistryV2");
      const impl = (await upgrades.prepareUpgrade(registryAddr, factory, { kind: "uups" })) as string;
      const data = p.registry.interface.encodeFunctionData("upgradeToAndCall", [impl, "0x"]);
      await expect(throughTimelock(p, registryAddr, data))
        .to.emit(p.registry, "Upgraded")
        .withArgs(impl);
      expect(await upgrades.erc1967.getImplementationAddress(registryAddr)).to.equal(impl);
      const v2 = (await ethers.getContractAt("HexsRegistryV2", registryAddr)) as unknown as HexsRegistryV2;
      expect(await v2.version()).to.equal(2n);
      expect(await v2.creatorOf(root.modelId)).to.equal(await creator.getAddress());
      expect(await v2.chainId()).to.equal(1n);
      expect((await v2.model(root.modelId)).contentCommitment).to.equal(ethers.id("before-upgrade"));
      const fork = await publish(p, alice, { parentId: root.modelId });
      expect(fork.modelId).to.equal((1n << 32n) | 2n);
    });

    it("market: append-only V2 with a migration call, through the timelock; vaults, credits and sales survive", async () => {
      const { modelId, keys } = await publish(p, creator);
      await setNativePrice(p, creator, modelId, ONE);
      await buyNative(p, alice, modelId, ONE);
      await p.market.settle(modelId, NATIVE);
      await buyNative(p, bob, modelId, ONE);
      const C = await creator.getAddress();
      const credit = await p.market.creditOf(C, NATIVE);
      const fees = await p.market.protocolFeesOf(NATIVE);

      const factory = await ethers.getContractFactory("HexsMarketV2");
      await upgrades.validateUpgrade(marketAddr, factory, { kind: "uups" }); // resolves: layout compatible
      const impl = (await upgrades.prepareUpgrade(marketAddr, factory, { kind: "uups" })) as string;
      const v2 = (await ethers.getContractAt("HexsMarketV2", marketAddr)) as unknown as HexsMarketV2;
      const data = p.market.interface.encodeFunctionData("upgradeToAndCall", [
        impl,
        v2.interface.encodeFunctionData("initializeV2"),
      ]);
      const tx = await throughTimelock(p, marketAddr, data);
      const at = (await ethers.provider.getBlock((await tx.wait())!.blockNumber))!.timestamp;

      expect(await v2.version()).to.equal(2n);
      expect(await v2.upgradedAt()).to.equal(BigInt(at));
      await expect(v2.initializeV2()).to.be.revertedWithCustomError(v2, "InvalidInitialization");
      expect(await v2.vaultOf(modelId, NATIVE)).to.equal(ONE);
      expect(await v2.creditOf(C, NATIVE)).to.equal(credit);
      expect(await v2.protocolFeesOf(NATIVE)).to.equal(fees);
      expect(await v2.keysSold()).to.equal(2);
      expect(await v2.hasRole(UPGRADER, TL)).to.equal(true);
      // Sales continue with the next serial; claims pay what was credited before the upgrade.
      expect(await buyNative(p, bob, modelId, ONE)).to.equal((1n << 32n) | 3n);
      expect(await keys.balanceOf(await bob.getAddress())).to.equal(2n);
      await expect(v2.connect(creator).claim(NATIVE, C)).to.changeEtherBalance(creator, credit);
    });

    it("storage-incompatible upgrades are REJECTED by validateUpgrade and prepareUpgrade", async () => {
      const inserted = await ethers.getContractFactory("HexsMarketBadV2");
      const retyped = await ethers.getContractFactory("HexsMarketBadV2Retyped");
      const reference = await ethers.getContractFactory("HexsMarket");

      // Against the live proxy (the manifest written by the deploy script).
      await expect(upgrades.validateUpgrade(marketAddr, inserted, { kind: "uups" })).to.be.rejectedWith(
        /New storage layout is incompatible[\s\S]*Inserted `insertedCounter`/,
      );
      await expect(upgrades.prepareUpgrade(marketAddr, inserted, { kind: "uups" })).to.be.rejectedWith(
        /New storage layout is incompatible|insertedCounter/,
      );
      await expect(upgrades.validateUpgrade(marketAddr, retyped, { kind: "uups" })).to.be.rejectedWith(
        /Upgraded `protocolFeeBps` to an incompatible type[\s\S]*uint16 to uint64/,
      );
      // Against the reference contract too (what protocol:upgrade can do offline).
      await expect(upgrades.validateUpgrade(reference, inserted, { kind: "uups" })).to.be.rejectedWith(
        /Inserted `insertedCounter`/,
      );
      await expect(upgrades.validateUpgrade(reference, retyped, { kind: "uups" })).to.be.rejectedWith(
        /Upgraded `protocolFeeBps`/,
      );
      // The compatible V2 passes the very same check.
      await upgrades.validateUpgrade(reference, await ethers.getContractFactory("HexsMarketV2"), { kind: "uups" });
    });

    it("the registry cannot be upgraded to a market (its namespace would be dropped) either", async () => {
      await expect(
        upgrades.validateUpgrade(registryAddr, await ethers.getContractFactory("HexsMarketV2"), { kind: "uups" }),
      ).to.be.rejectedWith(/Deleted namespace `erc7201:hexs.storage.Registry`/);
    });
  });

  describe("key beacon", () => {
    it("only the timelock upgrades the beacon, and one upgrade moves every collection", async () => {
      const a = await publish(p, creator, { content: "a" });
      const b = await publish(p, alice, { content: "b" });
      await setNativePrice(p, creator, a.modelId, ONE);
      const keyId = await buyNative(p, bob, a.modelId, ONE);

      const v2Factory = await ethers.getContractFactory("KeyNFTV2");
      // KeyNFT has constructor arguments (immutables); the plugin needs them to build deploy data.
      const hubAddr = await p.registry.hub();
      const beaconOpts = { kind: "beacon" as const, constructorArgs: [registryAddr, marketAddr, hubAddr] };
      await upgrades.validateUpgrade(await ethers.getContractFactory("KeyNFT"), v2Factory, beaconOpts);
      const impl = await (await v2Factory.deploy(registryAddr, marketAddr, hubAddr)).getAddress();
      await expect(p.beacon.connect(deployer).upgradeTo(impl))
        .to.be.revertedWithCustomError(p.beacon, "OwnableUnauthorizedAccount")
        .withArgs(D);

      const data = p.beacon.interface.encodeFunctionData("upgradeTo", [impl]);
      await expect(throughTimelock(p, await p.beacon.getAddress(), data))
        .to.emit(p.beacon, "Upgraded")
        .withArgs(impl);
      expect(await p.beacon.implementation()).to.equal(impl);
      for (const m of [a, b]) {
        const v2 = (await ethers.getContractAt("KeyNFTV2", await m.keys.getAddress())) as unknown as KeyNFTV2;
        expect(await v2.version()).to.equal(2n);
        expect(await v2.modelId()).to.equal(m.modelId);
      }
      expect(await a.keys.ownerOf(keyId)).to.equal(await bob.getAddress());
      expect(await a.keys.hasAccess(await bob.getAddress())).to.equal(true);
      // Collections created after the upgrade use the new implementation as well.
      const c = await publish(p, creator, { content: "c" });
      expect(await (await ethers.getContractAt("KeyNFTV2", await c.keys.getAddress())).version()).to.equal(2n);
    });
  });
});

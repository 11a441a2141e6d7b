// Inbound lanes of the EVM hub (issue 11, items 1, 7, 8 and 13): sources refuse the key moves
// destinations would refuse, `reapply` obeys the rules of a delivery, rate limits cannot be
// bricked by one flush, and a submitter's gas limit cannot turn a message into a refusal.
// The hub's lanes are served here by plain accounts standing in for transports.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import { hexlify, keccak256 } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { deployHexs, type HexsAddresses } from "../../tasks/lib/deployHexs";
import { Names } from "../../tasks/lib/protocol";
import { AccountFamily, encodeMessage, Kind, type Account, type Message } from "../../codec";
import { connectContracts, cosmosAccountOfSigner, moveKey, NotAllowedError, toSolAccount, type EvmChain } from "../../sdk";
import type { HexsHub, HexsHubLens } from "../../sdk/typechain";
import {
  buyNative,
  forgetDeployments,
  loadProtocol,
  publish,
  setNativePrice,
  type Protocol,
  rootModelRegistered,
} from "../../devnet/hardhat/protocol";

const A = 1;
const B = 2;
const COSMOS = 100;
const ONE = ethers.parseEther("1");

const fixture = deployments.createFixture(async () => {
  await forgetDeployments("lanes.");
  const addresses = await deployHexs(hre, {
    prefix: "lanes.",
    hexsChainId: A,
    timelockDelay: 3600,
    protocolFeeBps: 250,
    devnet: true, // the deployer alone relays in these fixtures
    skipHandover: true,
  });
  const [admin, , , , , , cosmosTransport, evmTransport] = await ethers.getSigners();
  const hub = (await ethers.getContractAt("HexsHub", addresses.hub)) as unknown as HexsHub;
  const lens = (await ethers.getContractAt("HexsHubLens", addresses.hubLens)) as unknown as HexsHubLens;
  await hub.setPeer(COSMOS, await cosmosTransport.getAddress(), 0, AccountFamily.Cosmos);
  await hub.setPeer(B, await evmTransport.getAddress(), 0, AccountFamily.Evm);
  return { p: await loadProtocol("lanes."), addresses, hub, lens, admin, cosmosTransport, evmTransport };
});

const cosmosHolder: Account = { family: AccountFamily.Cosmos, address: "0x" + "ab".repeat(20) };
const cosmosModel = (BigInt(COSMOS) << 32n) | 1n;

function fromCosmos(nonce: bigint, kind: Kind, body: Message["body"]): string {
  return hexlify(encodeMessage({ version: 1, kind, srcChain: COSMOS, dstChain: A, nonce, body } as Message));
}

function modelRegistered(nonce: bigint, modelId = cosmosModel, strings = 16): string {
  return fromCosmos(
    nonce,
    Kind.ModelRegistered,
    rootModelRegistered(modelId, cosmosHolder, { sdlLocator: "s".repeat(strings), metadataUri: "m".repeat(strings) }),
  );
}

/** A model update for a model that may not be known yet (refused until it is). */
function modelUpdated(nonce: bigint, modelId = cosmosModel): string {
  return fromCosmos(nonce, Kind.ModelUpdated, {
    modelId,
    sequence: 1n,
    retired: false,
    contentCommitment: "0x" + "77".repeat(32),
    sdlLocator: "sdl-updated",
    metadataUri: "ipfs://updated",
    prices: [],
  });
}

const cosmosSol = toSolAccount(cosmosHolder);

describe("hub lanes: liveness and the rules every path obeys", () => {
  let f: Awaited<ReturnType<typeof fixture>>;
  beforeEach(async () => {
    f = await fixture();
  });

  /** A key of a new model of chain A, bought by the buyer. */
  async function ownKey(p: Protocol, soulbound = false) {
    const [, , creator, buyer] = await ethers.getSigners();
    const plugins = soulbound ? [{ plugin: await p.plugins.soulbound.getAddress(), config: "0x" }] : [];
    const m = await publish(p, creator, { plugins });
    await setNativePrice(p, creator, m.modelId, ONE);
    const keyId = await buyNative(p, buyer, m.modelId, ONE);
    return { modelId: m.modelId, keyId, keys: m.keys.connect(buyer), buyer };
  }

  describe("item 1: a key moves only to a holder of the destination chain's family", () => {
    it("refuses an EVM owner on the Cosmos chain and a Cosmos owner on an EVM chain; accepts each family at home", async () => {
      const { keyId, keys, buyer } = await ownKey(f.p);
      const evmOwner = toSolAccount({ family: AccountFamily.Evm, address: (await buyer.getAddress()).toLowerCase() });
      await expect(keys.moveTo(keyId, COSMOS, evmOwner))
        .to.be.revertedWithCustomError(f.hub, "WrongOwnerFamily")
        .withArgs(COSMOS, AccountFamily.Evm);
      await expect(keys.moveTo(keyId, B, cosmosSol))
        .to.be.revertedWithCustomError(f.hub, "WrongOwnerFamily")
        .withArgs(B, AccountFamily.Cosmos);
      await expect(keys.moveTo(keyId, 7, evmOwner))
        .to.be.revertedWithCustomError(f.hub, "UnknownPeer")
        .withArgs(7);
      await keys.moveTo(keyId, COSMOS, cosmosSol);
      expect((await f.lens.laneFamily(f.hub, COSMOS)).family).to.equal(BigInt(AccountFamily.Cosmos));
    });

    it("setPeer takes only the EVM or the Cosmos family", async () => {
      for (const family of [0, AccountFamily.CosmWasm, 9]) {
        await expect(f.hub.setPeer(COSMOS, f.addresses.gateway, 0, family))
          .to.be.revertedWithCustomError(f.hub, "InvalidFamily")
          .withArgs(family);
      }
    });

    it("the SDK's moveKey derives the owner per family: the signer's own Cosmos account, never an EVM one; soul-bound keys stay", async () => {
      const contracts: Record<string, string> = {};
      for (const [k, v] of Object.entries(f.addresses as HexsAddresses)) contracts[Names[k as keyof typeof Names]] = v;
      const chain: EvmChain = { family: "evm", name: "lanes", hexsChainId: A, contracts };
      const { modelId, keyId, buyer } = await ownKey(f.p);
      const mine = await cosmosAccountOfSigner(buyer);
      const r = await moveKey(connectContracts(chain, buyer), buyer, { modelId, keyId, toChain: COSMOS });
      expect(r.owner).to.deep.equal(mine);
      expect(mine.family).to.equal(AccountFamily.Cosmos);
      const bound = await ownKey(f.p, true);
      await expect(
        moveKey(connectContracts(chain, bound.buyer), bound.buyer, {
          modelId: bound.modelId,
          keyId: bound.keyId,
          toChain: COSMOS,
        }),
      ).to.be.rejectedWith(NotAllowedError, /soul-bound/);
    });
  });

  describe("item 7: reapply obeys pause, rate limit and transport rotation; governance drops refusals", () => {
    async function refusedUpdate(): Promise<string> {
      const update = modelUpdated(1n);
      await expect(f.hub.connect(f.cosmosTransport).deliver(COSMOS, [update])).to.emit(f.hub, "MessageRejected");
      await f.hub.connect(f.cosmosTransport).deliver(COSMOS, [modelRegistered(2n)]);
      return update;
    }

    it("records the lane, epoch and nonce of a refusal", async () => {
      const update = await refusedUpdate();
      const r = await f.lens.refusal(f.hub, keccak256(update));
      expect([Number(r.srcChain), Number(r.epoch), r.nonce]).to.deep.equal([COSMOS, 1, 1n]);
    });

    it("refuses while the hub or the lane is paused", async () => {
      const update = await refusedUpdate();
      await f.hub.pause(true);
      await expect(f.hub.reapply(update)).to.be.revertedWithCustomError(f.hub, "HubIsPaused");
      await f.hub.pause(false);
      await f.hub.pauseLane(COSMOS, true);
      await expect(f.hub.reapply(update)).to.be.revertedWithCustomError(f.hub, "LaneIsPaused").withArgs(COSMOS);
      await f.hub.pauseLane(COSMOS, false);
      await expect(f.hub.reapply(update)).to.emit(f.hub, "MessageApplied").withArgs(COSMOS, 1n, Kind.ModelUpdated);
    });

    it("spends the lane's rate limit", async () => {
      const update = await refusedUpdate();
      await f.hub.setPeer(COSMOS, await f.cosmosTransport.getAddress(), 64, AccountFamily.Cosmos);
      const fill: string[] = [];
      for (let i = 0n; i < 64n; i++) fill.push(modelUpdated(3n + i, (BigInt(COSMOS) << 32n) | 99n));
      await f.hub.connect(f.cosmosTransport).deliver(COSMOS, fill); // 64 refusals: the hour's window is full
      await expect(f.hub.reapply(update)).to.be.revertedWithCustomError(f.hub, "RateLimited").withArgs(COSMOS, 64);
      await time.increase(3601);
      await f.hub.reapply(update);
    });

    it("is never applied once the lane's transport was rotated away, and governance can drop it", async () => {
      const update = await refusedUpdate();
      await f.hub.setPeer(COSMOS, f.addresses.gateway, 0, AccountFamily.Cosmos); // new transport: epoch 2
      await expect(f.hub.reapply(update)).to.be.revertedWithCustomError(f.hub, "TransportRotated").withArgs(COSMOS);
      // Reconfiguring with the same transport keeps the epoch.
      await f.hub.setPeer(COSMOS, f.addresses.gateway, 64, AccountFamily.Cosmos);
      expect((await f.lens.laneFamily(f.hub, COSMOS)).epoch).to.equal(2n);
      const digest = keccak256(update);
      await expect(f.hub.connect(f.cosmosTransport).dropRejected(digest)).to.be.revertedWithCustomError(
        f.hub,
        "AccessControlUnauthorizedAccount",
      );
      await expect(f.hub.dropRejected(digest)).to.emit(f.hub, "RejectedDropped").withArgs(digest);
      await expect(f.hub.reapply(update)).to.be.revertedWithCustomError(f.hub, "NotRejected");
    });
  });

  describe("item 8: one permissionless flush cannot brick a rate-limited lane", () => {
    it("setPeer refuses a limit below a whole flush", async () => {
      const transport = await f.cosmosTransport.getAddress();
      for (const rate of [1, 10, 63]) {
        await expect(f.hub.setPeer(COSMOS, transport, rate, AccountFamily.Cosmos))
          .to.be.revertedWithCustomError(f.hub, "RateBelowFlush")
          .withArgs(rate, 64);
      }
      await f.hub.setPeer(COSMOS, transport, 64, AccountFamily.Cosmos);
      await f.hub.setPeer(COSMOS, transport, 0, AccountFamily.Cosmos);
    });

    it("a lane at the smallest limit applies a full flush, and the next one after the hour", async () => {
      await f.hub.setPeer(COSMOS, await f.cosmosTransport.getAddress(), 64, AccountFamily.Cosmos);
      const full: string[] = [];
      for (let i = 1n; i <= 128n; i++) full.push(modelUpdated(i, (BigInt(COSMOS) << 32n) | 99n));
      const t = f.hub.connect(f.cosmosTransport);
      await t.deliver(COSMOS, full.slice(0, 64));
      await expect(t.deliver(COSMOS, full.slice(64))).to.be.revertedWithCustomError(f.hub, "RateLimited");
      await time.increase(3601);
      await t.deliver(COSMOS, full.slice(64));
      expect((await f.hub.lane(COSMOS)).inbound).to.equal(128n);
    });
  });

  describe("item 13: the submitter's gas limit cannot turn a message into a refusal", () => {
    it("a delivery either reverts whole or applies the message, whatever its gas limit", async () => {
      // The largest model the codec allows: its strings dominate the apply, so a gas limit can
      // starve the isolated apply while leaving the delivery enough to record a refusal.
      const reg = modelRegistered(1n, cosmosModel, 1024);
      const t = f.hub.connect(f.cosmosTransport);
      for (let gasLimit = 600_000; gasLimit <= 4_000_000; gasLimit += 20_000) {
        let receipt;
        try {
          receipt = await (await t.deliver(COSMOS, [reg], { gasLimit })).wait();
        } catch {
          expect((await f.hub.lane(COSMOS)).inbound).to.equal(0n); // reverted whole: nothing moved
          continue;
        }
        const rejected = receipt!.logs.filter((l) => l.topics[0] === f.hub.interface.getEvent("MessageRejected").topicHash);
        expect(rejected, `a refusal recorded at gas limit ${gasLimit}`).to.deep.equal([]);
        expect(await f.p.registryLens.exists(f.p.registry, cosmosModel)).to.equal(true);
        return;
      }
      expect.fail("never applied");
    });

    it("reports running out of gas as ApplyOutOfGas", async () => {
      const reg = modelRegistered(1n, cosmosModel, 1024);
      const t = f.hub.connect(f.cosmosTransport);
      await expect(t.deliver.staticCall(COSMOS, [reg], { gasLimit: 1_200_000 })).to.be.revertedWithCustomError(
        f.hub,
        "ApplyOutOfGas",
      );
    });
  });

  describe("issue 15 lever E: the hub-wide pause lives in each lane, the chain id in the implementation", () => {
    // ERC-7201 base of HubStorage; `lanes` is its fifth slot (after the journal word, the
    // registry/chainId/paused word, checkpoints and recorders). hubPaused is byte 30 of a lane.
    const HUB_SLOT = 0xed831aabcf8e62e82a355daef486871821d49f1b1e64d8888f037bee1153b000n;
    const laneSlot = (chain: number) =>
      ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["uint32", "uint256"], [chain, HUB_SLOT + 4n]));
    const hubPausedByte = async (chain: number) =>
      (BigInt(await ethers.provider.getStorage(f.addresses.hub, laneSlot(chain))) >> 240n) & 0xffn;

    it("a hub-wide pause refuses deliveries on every lane, also one connected while paused; resuming reopens them", async () => {
      const [, , , , , , , , later] = await ethers.getSigners();
      await f.hub.pause(true);
      expect(await hubPausedByte(COSMOS)).to.equal(1n);
      await expect(f.hub.connect(f.cosmosTransport).deliver(COSMOS, [modelRegistered(1n)])).to.be.revertedWithCustomError(
        f.hub,
        "HubIsPaused",
      );
      await f.hub.setPeer(7, await later.getAddress(), 0, AccountFamily.Evm);
      await expect(f.hub.connect(later).deliver(7, [])).to.be.revertedWithCustomError(f.hub, "HubIsPaused");
      await f.hub.pause(false);
      expect(await hubPausedByte(7)).to.equal(0n);
      await expect(f.hub.connect(f.cosmosTransport).deliver(COSMOS, [modelRegistered(1n)]))
        .to.emit(f.hub, "BatchApplied")
        .withArgs(COSMOS, 1n, 1n, "0x");
      await f.hub.connect(later).deliver(7, []);
      // Only the guardian pauses, only the admin resumes (the pause's rules are unchanged).
      await expect(f.hub.connect(later).pause(true)).to.be.revertedWithCustomError(f.hub, "AccessControlUnauthorizedAccount");
    });

    it("an upgrade from a hub that kept its pause in one slot stays paused through syncPause; another chain's implementation is refused", async () => {
      await f.hub.pause(true);
      // What a hub from before this change holds: the flag set, no lane carrying it.
      const slot = laneSlot(COSMOS);
      const word = BigInt(await ethers.provider.getStorage(f.addresses.hub, slot));
      await ethers.provider.send("hardhat_setStorageAt", [f.addresses.hub, slot, ethers.toBeHex(word & ~(0xffn << 240n), 32)]);
      const factory = await ethers.getContractFactory("HexsHub");
      const sync = f.hub.interface.encodeFunctionData("syncPause");
      const other = await factory.deploy(B);
      await expect(f.hub.upgradeToAndCall(await other.getAddress(), sync))
        .to.be.revertedWithCustomError(f.hub, "WrongChainId")
        .withArgs(A);
      const same = await factory.deploy(A);
      await f.hub.upgradeToAndCall(await same.getAddress(), sync);
      expect(await hubPausedByte(COSMOS)).to.equal(1n);
      await expect(f.hub.connect(f.cosmosTransport).deliver(COSMOS, [modelRegistered(1n)])).to.be.revertedWithCustomError(
        f.hub,
        "HubIsPaused",
      );
      expect(await f.hub.chainId()).to.equal(BigInt(A));
      await expect(factory.deploy(0)).to.be.revertedWithCustomError(f.hub, "InvalidChain").withArgs(0);
    });

    it("a hub proxy refuses to initialise on an implementation of another chain than its registry's", async () => {
      const impl = await (await ethers.getContractFactory("HexsHub")).deploy(B);
      const proxy = await ethers.getContractFactory("ERC1967Proxy");
      const [admin] = await ethers.getSigners();
      const init = f.hub.interface.encodeFunctionData("initialize", [
        f.addresses.registry,
        await admin.getAddress(),
        await admin.getAddress(),
      ]);
      await expect(proxy.deploy(await impl.getAddress(), init))
        .to.be.revertedWithCustomError(f.hub, "WrongChainId")
        .withArgs(A);
    });
  });
});

// Three logical Hexs chains on one Hardhat network: EVM chains A (1) and B (2) joined by the
// LayerZero bridge over EndpointV2Mock, and a non-EVM chain (100) reaching A through the
// attestation gateway with 2-of-3 relayer signatures. The mock runs the receive inside the
// send and swallows receive failures, so every test asserts destination state.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import { hexlify, Wallet, zeroPadValue, type Signer } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { deployHexs, type HexsAddresses } from "../../tasks/lib/deployHexs";
import { flushLane } from "../../tasks/lib/bridge";
import { AccountFamily, batchRootOfMessages, encodeMessage, Kind, type Account, type Message } from "../../relayer/codec";
import type { AttestationGateway, EndpointV2Mock, HexsHub, HexsLzBridge } from "../../typechain-types";
import { buyNative, forgetDeployments, loadProtocol, NATIVE, publish, setNativePrice, type Protocol } from "./fixtures";

const A = 1;
const B = 2;
const COSMOS = 100;
const EID_A = 40101;
const EID_B = 40102;
const ONE = ethers.parseEther("1");

interface Chain {
  p: Protocol;
  hub: HexsHub;
  bridge: HexsLzBridge;
  gateway: AttestationGateway;
  addresses: HexsAddresses;
}

const relayerKeys = [0, 1, 2].map((i) => new Wallet(ethers.id(`hexs-test-relayer-${i}`)));
const relayers = relayerKeys.map((w) => w.address);

const threeChains = deployments.createFixture(async () => {
  const endpoint = async (eid: number) =>
    (await (await ethers.getContractFactory("EndpointV2Mock")).deploy(eid)) as unknown as EndpointV2Mock;
  const epA = await endpoint(EID_A);
  const epB = await endpoint(EID_B);
  const common = { timelockDelay: 3600, protocolFeeBps: 250, relayers, threshold: 2, skipHandover: true };
  const chain = async (prefix: string, id: number, ep: EndpointV2Mock): Promise<Chain> => {
    await forgetDeployments(prefix);
    const addresses = await deployHexs(hre, { ...common, prefix, hexsChainId: id, lzEndpoint: await ep.getAddress() });
    return {
      p: await loadProtocol(prefix),
      hub: (await ethers.getContractAt("HexsHub", addresses.hub)) as unknown as HexsHub,
      bridge: (await ethers.getContractAt("HexsLzBridge", addresses.lzBridge)) as unknown as HexsLzBridge,
      gateway: (await ethers.getContractAt("AttestationGateway", addresses.gateway)) as unknown as AttestationGateway,
      addresses,
    };
  };
  const a = await chain("A.", A, epA);
  const b = await chain("B.", B, epB);
  // Wire LayerZero both ways, and the gateway lane from the Cosmos chain into A.
  await epA.setDestLzEndpoint(b.addresses.lzBridge, await epB.getAddress());
  await epB.setDestLzEndpoint(a.addresses.lzBridge, await epA.getAddress());
  await a.bridge.mapChain(B, EID_B);
  await b.bridge.mapChain(A, EID_A);
  await a.bridge.setPeer(EID_B, zeroPadValue(b.addresses.lzBridge, 32));
  await b.bridge.setPeer(EID_A, zeroPadValue(a.addresses.lzBridge, 32));
  await a.hub.setPeer(B, a.addresses.lzBridge, 0);
  await b.hub.setPeer(A, b.addresses.lzBridge, 0);
  await a.hub.setPeer(COSMOS, a.addresses.gateway, 1000);
  return { a, b };
});

const evm = (address: string): Account => ({ family: AccountFamily.Evm, address: address.toLowerCase() });
const cosmosAccount: Account = { family: AccountFamily.Cosmos, address: "0x" + "ab".repeat(20) };
const cosmosModel = (BigInt(COSMOS) << 32n) | 1n;

function fromCosmos(nonce: bigint, kind: Kind, body: Message["body"], dstChain = A): string {
  return hexlify(encodeMessage({ version: 1, kind, srcChain: COSMOS, dstChain, nonce, body } as Message));
}

function cosmosModelRegistered(nonce: bigint): string {
  return fromCosmos(nonce, Kind.ModelRegistered, {
    modelId: cosmosModel,
    parentId: 0n,
    creator: cosmosAccount,
    contentCommitment: ethers.id("cosmos-model"),
    parentCommitment: ethers.ZeroHash,
    soulbound: false,
    forkable: true,
    keyDuration: 0n,
    upstreamBps: 0,
    daoBps: 0,
    forkRoyaltyBps: 1500,
    sdlLocator: "lighthouse://bafkcosmos",
    metadataUri: "ipfs://cosmos-meta",
  });
}

function cosmosKeyMinted(nonce: bigint, serial: bigint, owner: Account, expiresAt = 0n): string {
  return fromCosmos(nonce, Kind.KeyMinted, {
    modelId: cosmosModel,
    keyId: (BigInt(COSMOS) << 32n) | serial,
    owner,
    expiresAt,
    locked: false,
  });
}

/** Relayer signatures over the batch root, ordered by signer address as the gateway requires. */
function sign(messages: string[], signers = relayerKeys.slice(0, 2)): string[] {
  const { root } = batchRootOfMessages(messages);
  return [...signers]
    .sort((x, y) => (BigInt(x.address) < BigInt(y.address) ? -1 : 1))
    .map((w) => w.signingKey.sign(root).serialized);
}

describe("cross-chain: hub, LayerZero bridge, attestation gateway", () => {
  let a: Chain, b: Chain;
  let creator: Signer, buyer: Signer, carol: Signer;

  beforeEach(async () => {
    ({ a, b } = await threeChains());
    [, , creator, buyer, carol] = await ethers.getSigners();
  });

  describe("EVM ↔ EVM over LayerZero", () => {
    it("mirrors a model published on A onto B, with its own key collection there", async () => {
      const m = await publish(a.p, creator, { forkRoyaltyBps: 1200 });
      expect(await b.p.registry.exists(m.modelId)).to.equal(false);
      await (await flushLane(a.hub, a.bridge, B))!.wait();
      const mirrored = await b.p.registry.model(m.modelId);
      expect(mirrored.creator).to.equal(await creator.getAddress());
      expect(mirrored.contentCommitment).to.equal((await a.p.registry.model(m.modelId)).contentCommitment);
      expect(mirrored.forkRoyaltyBps).to.equal(1200);
      expect(await b.p.registry.keysOf(m.modelId)).to.not.equal(ethers.ZeroAddress);
      expect((await b.hub.lane(A)).inbound).to.equal(1n);
    });

    it("a key bought on B answers hasAccess on A, and follows transfers", async () => {
      const m = await publish(a.p, creator);
      await flushLane(a.hub, a.bridge, B);
      await setNativePrice(b.p, creator, m.modelId, ONE); // the EVM creator prices its model on B
      const keyId = await buyNative(b.p, buyer, m.modelId, ONE);
      expect(keyId >> 32n).to.equal(BigInt(B));
      expect(await a.p.registry.hasAccess(m.modelId, await buyer.getAddress())).to.equal(false);

      await flushLane(b.hub, b.bridge, A);
      expect(await a.p.registry.hasAccess(m.modelId, await buyer.getAddress())).to.equal(true);
      expect((await a.hub.mirroredKey(keyId)).resident).to.equal(B);

      const keysB = await ethers.getContractAt("KeyNFT", await b.p.registry.keysOf(m.modelId));
      await keysB.connect(buyer).transferFrom(await buyer.getAddress(), await carol.getAddress(), keyId);
      await flushLane(b.hub, b.bridge, A);
      expect(await a.p.registry.hasAccess(m.modelId, await buyer.getAddress())).to.equal(false);
      expect(await a.p.registry.hasAccess(m.modelId, await carol.getAddress())).to.equal(true);
    });

    it("a fork made on B owes its parent from A; revenue is settled and claimed on B", async () => {
      const root = await publish(a.p, creator, { forkRoyaltyBps: 2000 });
      await flushLane(a.hub, a.bridge, B);
      const fork = await publish(b.p, carol, { parentId: root.modelId });
      expect((await b.p.registry.model(fork.modelId)).upstreamBps).to.equal(2000);
      await setNativePrice(b.p, carol, fork.modelId, ONE);
      await buyNative(b.p, buyer, fork.modelId, ONE);
      await b.p.market.settle(fork.modelId, NATIVE);
      expect(await b.p.market.vaultOf(root.modelId, NATIVE)).to.equal(ONE / 5n);
      await b.p.market.settle(root.modelId, NATIVE);
      expect(await b.p.market.creditOf(await creator.getAddress(), NATIVE)).to.be.gt(0n);
      // The fork reaches A too, with its lineage.
      await flushLane(b.hub, b.bridge, A);
      expect((await a.p.registry.model(fork.modelId)).parentId).to.equal(root.modelId);
    });

    it("moves a key from A to B: burned on A, minted on B with the same global id", async () => {
      const m = await publish(a.p, creator);
      await setNativePrice(a.p, creator, m.modelId, ONE);
      const keyId = await buyNative(a.p, buyer, m.modelId, ONE);
      await flushLane(a.hub, a.bridge, B);
      const keysA = await ethers.getContractAt("KeyNFT", await a.p.registry.keysOf(m.modelId));
      await keysA.connect(buyer).moveTo(keyId, B, { family: 1, addr: zeroPadValue(await buyer.getAddress(), 32) });
      await expect(keysA.ownerOf(keyId)).to.be.revertedWithCustomError(keysA, "ERC721NonexistentToken");
      await flushLane(a.hub, a.bridge, B);
      const keysB = await ethers.getContractAt("KeyNFT", await b.p.registry.keysOf(m.modelId));
      expect(await keysB.ownerOf(keyId)).to.equal(await buyer.getAddress());
      expect((await b.hub.mirroredKey(keyId)).owner).to.equal(ethers.ZeroHash);
    });

    it("refuses a flush that does not match the journal", async () => {
      await publish(a.p, creator);
      await expect(a.hub.flush(B, [Kind.KeyBurned], ["0x0000000100000001"], "0x")).to.be.revertedWithCustomError(
        a.hub,
        "JournalMismatch",
      );
    });

    it("only the bridge delivers a LayerZero lane", async () => {
      await expect(a.hub.deliver(B, [])).to.be.revertedWithCustomError(a.hub, "NotTransport");
    });
  });

  describe("non-EVM → EVM through the attestation gateway (2-of-3)", () => {
    it("applies a signed batch: a Cosmos model and a key held by a Cosmos account", async () => {
      const batch = [cosmosModelRegistered(1n), cosmosKeyMinted(2n, 1n, cosmosAccount)];
      await expect(a.gateway.connect(carol).submitBatch(batch, sign(batch))).to.emit(a.gateway, "BatchAccepted");
      const m = await a.p.registry.model(cosmosModel);
      expect(m.forkRoyaltyBps).to.equal(1500);
      // A non-EVM creator is represented by a stand-in address derived from its account word.
      expect(m.creator).to.equal(await a.p.registry.localCreator({ family: 2, addr: zeroPadValue(cosmosAccount.address, 32) }));
      expect(await a.hub.hasMirroredAccess(cosmosModel, { family: 2, addr: zeroPadValue(cosmosAccount.address, 32) })).to.equal(true);
      expect((await a.hub.lane(COSMOS)).inbound).to.equal(2n);
    });

    it("rejects signatures from outside the set, duplicates, too few, and the wrong destination", async () => {
      const batch = [cosmosModelRegistered(1n)];
      const outsider = new Wallet(ethers.id("not-a-relayer"));
      await expect(a.gateway.submitBatch(batch, sign(batch, [relayerKeys[0], outsider])))
        .to.be.revertedWithCustomError(a.gateway, "NotRelayer")
        .withArgs(outsider.address);
      const one = sign(batch, [relayerKeys[0]]);
      await expect(a.gateway.submitBatch(batch, [one[0], one[0]])).to.be.revertedWithCustomError(a.gateway, "SignersNotAscending");
      await expect(a.gateway.submitBatch(batch, one)).to.be.revertedWithCustomError(a.gateway, "BelowThreshold").withArgs(1, 2);
      const forB = [fromCosmos(1n, Kind.KeyBurned, { keyId: 1n }, B)];
      await expect(a.gateway.submitBatch(forB, sign(forB))).to.be.revertedWithCustomError(a.gateway, "WrongDestination");
      // A signature over another batch does not carry over.
      const other = [cosmosModelRegistered(2n)];
      await expect(a.gateway.submitBatch(batch, sign(other))).to.be.revertedWithCustomError(a.gateway, "NotRelayer");
    });

    it("refuses replayed and reordered batches (lane nonces)", async () => {
      const first = [cosmosModelRegistered(1n)];
      await a.gateway.submitBatch(first, sign(first));
      await expect(a.gateway.submitBatch(first, sign(first)))
        .to.be.revertedWithCustomError(a.hub, "UnexpectedNonce")
        .withArgs(COSMOS, 2n, 1n);
      const third = [cosmosKeyMinted(3n, 2n, cosmosAccount)];
      await expect(a.gateway.submitBatch(third, sign(third)))
        .to.be.revertedWithCustomError(a.hub, "UnexpectedNonce")
        .withArgs(COSMOS, 2n, 3n);
    });

    it("a threshold change mid-stream applies at once; only the admin may make it", async () => {
      const first = [cosmosModelRegistered(1n)];
      await a.gateway.submitBatch(first, sign(first));
      await a.gateway.setRelayers([relayerKeys[0].address, relayerKeys[1].address, relayerKeys[2].address].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1)), 3);
      const second = [cosmosKeyMinted(2n, 1n, cosmosAccount)];
      await expect(a.gateway.submitBatch(second, sign(second))).to.be.revertedWithCustomError(a.gateway, "BelowThreshold");
      await a.gateway.submitBatch(second, sign(second, relayerKeys));
      await expect(a.gateway.connect(carol).setRelayers(relayers, 1)).to.be.revertedWithCustomError(
        a.gateway,
        "AccessControlUnauthorizedAccount",
      );
    });

    it("enforces the lane's rate limit and pause", async () => {
      await a.hub.setPeer(COSMOS, a.addresses.gateway, 2);
      const batch = [cosmosModelRegistered(1n), cosmosKeyMinted(2n, 1n, cosmosAccount), cosmosKeyMinted(3n, 2n, cosmosAccount)];
      await expect(a.gateway.submitBatch(batch, sign(batch))).to.be.revertedWithCustomError(a.hub, "RateLimited");
      const two = batch.slice(0, 2);
      await a.gateway.submitBatch(two, sign(two));
      const next = [batch[2]];
      await expect(a.gateway.submitBatch(next, sign(next))).to.be.revertedWithCustomError(a.hub, "RateLimited");
      await time.increase(3601);
      await a.hub.pauseLane(COSMOS, true);
      await expect(a.gateway.submitBatch(next, sign(next))).to.be.revertedWithCustomError(a.hub, "LaneIsPaused");
      await a.hub.pauseLane(COSMOS, false);
      await a.gateway.submitBatch(next, sign(next));
      expect((await a.hub.lane(COSMOS)).inbound).to.equal(3n);
    });

    it("a refused message does not block its lane and can be re-applied once its cause is gone", async () => {
      const buyerAccount = evm(await buyer.getAddress());
      const moved = fromCosmos(1n, Kind.KeyMoved, {
        keyId: (BigInt(COSMOS) << 32n) | 9n,
        modelId: cosmosModel,
        fromChain: COSMOS,
        toChain: A,
        owner: buyerAccount,
        expiresAt: 0n,
        locked: false,
      });
      // The model is unknown on A yet: the move is refused, the lane moves on.
      await expect(a.gateway.submitBatch([moved], sign([moved]))).to.emit(a.hub, "MessageRejected");
      const reg = [cosmosModelRegistered(2n)];
      await a.gateway.submitBatch(reg, sign(reg));
      await a.hub.reapply(moved);
      const keys = await ethers.getContractAt("KeyNFT", await a.p.registry.keysOf(cosmosModel));
      expect(await keys.ownerOf((BigInt(COSMOS) << 32n) | 9n)).to.equal(await buyer.getAddress());
      await expect(a.hub.reapply(moved)).to.be.revertedWithCustomError(a.hub, "NotRejected");
    });
  });
});

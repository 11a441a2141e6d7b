// Three logical Hexs chains on one Hardhat network: EVM chains A (1) and B (2) joined by the
// LayerZero bridge over EndpointV2Mock, and a non-EVM chain (100) reaching A through the
// attestation gateway with 2-of-3 relayer signatures. The mock runs the receive inside the
// send and swallows receive failures, so every test asserts destination state.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import { hexlify, Wallet, zeroPadValue, type Signer } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { deployHexs, type HexsAddresses } from "../../tasks/lib/deployHexs";
import { flushLane } from "../../sdk/bridge";
import { AccountFamily, batchRootOfMessages, encodeMessage, Kind, type Account, type Message } from "../../codec";
import type { AttestationGateway, EndpointV2Mock, HexsHub, HexsHubLens, HexsLzBridge } from "../../sdk/typechain";
import {
  buyNative,
  forgetDeployments,
  loadProtocol,
  NATIVE,
  publish,
  setNativePrice,
  type Protocol,
  rootModelRegistered,
} from "../../devnet/hardhat/protocol";

const A = 1;
const B = 2;
const COSMOS = 100;
const EID_A = 40101;
const EID_B = 40102;
const ONE = ethers.parseEther("1");

interface Chain {
  p: Protocol;
  hub: HexsHub;
  lens: HexsHubLens;
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
      lens: (await ethers.getContractAt("HexsHubLens", addresses.hubLens)) as unknown as HexsHubLens,
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
  await a.hub.setPeer(B, a.addresses.lzBridge, 0, AccountFamily.Evm);
  await b.hub.setPeer(A, b.addresses.lzBridge, 0, AccountFamily.Evm);
  await a.hub.setPeer(COSMOS, a.addresses.gateway, 1000, AccountFamily.Cosmos);
  return { a, b };
});

const evm = (address: string): Account => ({ family: AccountFamily.Evm, address: address.toLowerCase() });
/** The Solidity `HexsCodec.Account` of an EVM address (20 bytes right-aligned in a word). */
const sol = (address: string) => ({ family: AccountFamily.Evm, addr: zeroPadValue(address, 32) });
const cosmosSol = { family: AccountFamily.Cosmos, addr: zeroPadValue("0x" + "ab".repeat(20), 32) };
const cosmosAccount: Account = { family: AccountFamily.Cosmos, address: "0x" + "ab".repeat(20) };
const cosmosModel = (BigInt(COSMOS) << 32n) | 1n;

function fromCosmos(nonce: bigint, kind: Kind, body: Message["body"], dstChain = A): string {
  return hexlify(encodeMessage({ version: 1, kind, srcChain: COSMOS, dstChain, nonce, body } as Message));
}

function cosmosModelRegistered(nonce: bigint, resaleRoyaltyBps = 1250): string {
  return fromCosmos(
    nonce,
    Kind.ModelRegistered,
    rootModelRegistered(cosmosModel, cosmosAccount, {
      contentCommitment: ethers.id("cosmos-model"),
      forkRoyaltyBps: 1500,
      resaleRoyaltyBps,
      sdlLocator: "lighthouse://bafkcosmos",
      metadataUri: "ipfs://cosmos-meta",
    }),
  );
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
      const m = await publish(a.p, creator, { forkRoyaltyBps: 1200, secondaryRoyaltyBps: 800 });
      expect(await b.p.registryLens.exists(b.p.registry, m.modelId)).to.equal(false);
      await (await flushLane(a.hub, a.bridge, B))!.wait();
      const mirrored = await b.p.registry.model(m.modelId);
      expect(mirrored.creator).to.equal(await creator.getAddress());
      expect(mirrored.contentCommitment).to.equal((await a.p.registry.model(m.modelId)).contentCommitment);
      expect(mirrored.forkRoyaltyBps).to.equal(1200);
      expect(await b.p.registry.keysOf(m.modelId)).to.not.equal(ethers.ZeroAddress);
      // The mirrored collection resells keys at the home chain's ERC-2981 rate (ModelRegistered's).
      const keysB = await ethers.getContractAt("KeyNFT", await b.p.registry.keysOf(m.modelId));
      const [receiver, royalty] = await keysB.royaltyInfo(1, 10_000);
      expect([receiver, royalty]).to.deep.equal([await keysB.getAddress(), 800n]);
      expect((await b.hub.lane(A)).inbound).to.equal(1n);
    });

    it("a key bought on B answers hasAccess on A, and follows transfers", async () => {
      const m = await publish(a.p, creator);
      await flushLane(a.hub, a.bridge, B);
      await setNativePrice(b.p, creator, m.modelId, ONE); // the EVM creator prices its model on B
      const keyId = await buyNative(b.p, buyer, m.modelId, ONE);
      expect(keyId >> 32n).to.equal(BigInt(B));
      expect(await a.p.registryLens.hasAccess(a.p.registry, m.modelId, await buyer.getAddress())).to.equal(false);

      await flushLane(b.hub, b.bridge, A);
      expect(await a.p.registryLens.hasAccess(a.p.registry, m.modelId, await buyer.getAddress())).to.equal(true);
      expect((await a.lens.mirroredKey(a.hub, keyId, m.modelId, sol(await buyer.getAddress()))).resident).to.equal(B);

      const keysB = await ethers.getContractAt("KeyNFT", await b.p.registry.keysOf(m.modelId));
      await keysB.connect(buyer).transferFrom(await buyer.getAddress(), await carol.getAddress(), keyId);
      await flushLane(b.hub, b.bridge, A);
      expect(await a.p.registryLens.hasAccess(a.p.registry, m.modelId, await buyer.getAddress())).to.equal(false);
      expect(await a.p.registryLens.hasAccess(a.p.registry, m.modelId, await carol.getAddress())).to.equal(true);
      expect((await a.lens.mirroredKey(a.hub, keyId, m.modelId, sol(await carol.getAddress()))).resident).to.equal(B);
      expect((await a.lens.mirroredKey(a.hub, keyId, m.modelId, sol(await buyer.getAddress()))).resident).to.equal(0n);
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
      expect((await b.lens.mirroredKey(b.hub, keyId, m.modelId, sol(await buyer.getAddress()))).owner).to.equal(ethers.ZeroHash);
      // A keeps it mirrored at its new resident chain, so it still answers hasAccess there.
      expect((await a.lens.mirroredKey(a.hub, keyId, m.modelId, sol(await buyer.getAddress()))).resident).to.equal(B);
      expect(await a.p.registryLens.hasAccess(a.p.registry, m.modelId, await buyer.getAddress())).to.equal(true);

      // Back from B to A, for carol: B's message finds the key in A's mirror, A mints it locally.
      await keysB.connect(buyer).moveTo(keyId, A, sol(await carol.getAddress()));
      await flushLane(b.hub, b.bridge, A);
      expect(await keysA.ownerOf(keyId)).to.equal(await carol.getAddress());
      expect(await a.p.registryLens.hasAccess(a.p.registry, m.modelId, await buyer.getAddress())).to.equal(false);
      expect((await a.lens.mirroredKey(a.hub, keyId, m.modelId, sol(await buyer.getAddress()))).resident).to.equal(0n);
      expect((await b.lens.mirroredKey(b.hub, keyId, m.modelId, sol(await carol.getAddress()))).resident).to.equal(A);
    });

    it("refuses a move toward a chain that is not a peer, or is the Akash lane (the key stays)", async () => {
      const m = await publish(a.p, creator);
      await setNativePrice(a.p, creator, m.modelId, ONE);
      const keyId = await buyNative(a.p, buyer, m.modelId, ONE);
      const keysA = await ethers.getContractAt("KeyNFT", await a.p.registry.keysOf(m.modelId));
      const AKASH = 900;
      await a.hub.setPeer(AKASH, a.addresses.gateway, 0, AccountFamily.Cosmos);
      await a.hub.setLeaseReporting(AKASH, await a.p.market.getAddress(), await carol.getAddress());
      for (const to of [A, 7, AKASH]) {
        await expect(keysA.connect(buyer).moveTo(keyId, to, sol(await buyer.getAddress())))
          .to.be.revertedWithCustomError(a.hub, "UnknownPeer")
          .withArgs(to);
      }
      expect(await keysA.ownerOf(keyId)).to.equal(await buyer.getAddress());
    });

    it("an update on A reaches B with its content and SDL locator; a fork on B then names the new commitment", async () => {
      // Fails on 4403f7d: ModelUpdated carried neither, so B kept serving the first SDL and a
      // fork on B named the stale commitment.
      const m = await publish(a.p, creator, { forkRoyaltyBps: 1200 });
      await (await flushLane(a.hub, a.bridge, B))!.wait();
      const v2 = ethers.id("sdl v2");
      await (await a.p.registry.connect(creator).update(m.modelId, v2, "lighthouse://sdl-v2", "ipfs://meta-v2")).wait();
      await (await flushLane(a.hub, a.bridge, B))!.wait();
      const mirrored = await b.p.registry.model(m.modelId);
      expect([mirrored.contentCommitment, mirrored.sdlLocator, mirrored.metadataUri, mirrored.sequence]).to.deep.equal([
        v2,
        "lighthouse://sdl-v2",
        "ipfs://meta-v2",
        1n,
      ]);
      expect((await a.p.registry.model(m.modelId)).sequence).to.equal(1n);
      const fork = await publish(b.p, buyer, { parentId: m.modelId });
      expect((await b.p.registry.model(fork.modelId)).parentCommitment).to.equal(v2);
      // and A accepts the fork's registration (its parent commitment is A's current one)
      await (await flushLane(b.hub, b.bridge, A))!.wait();
      expect((await a.p.registry.model(fork.modelId)).parentCommitment).to.equal(v2);
    });

    it("refuses a flush that does not match the journal", async () => {
      await publish(a.p, creator);
      const body = { keyId: 1n, modelId: 1n, owner: evm(await creator.getAddress()) };
      const forged = hexlify(
        encodeMessage({ version: 1, kind: Kind.KeyBurned, srcChain: A, dstChain: B, nonce: 1n, body } as Message),
      );
      await expect(a.hub.flush(B, [forged], "0x")).to.be.revertedWithCustomError(a.hub, "JournalMismatch");
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
      const keys = await ethers.getContractAt("KeyNFT", await a.p.registry.keysOf(cosmosModel));
      expect((await keys.royaltyInfo(1, 10_000))[1]).to.equal(1250n); // the Cosmos model's resale_bps
      // A non-EVM creator is represented by a stand-in address derived from its account word.
      expect(m.creator).to.equal(await a.p.registry.localCreator({ family: 2, addr: zeroPadValue(cosmosAccount.address, 32) }));
      expect(await a.hub.hasMirroredAccess(cosmosModel, { family: 2, addr: zeroPadValue(cosmosAccount.address, 32) })).to.equal(
        true,
      );
      expect((await a.hub.lane(COSMOS)).inbound).to.equal(2n);
    });

    it("refuses a mirrored model whose resale royalty is above the cap, and mirrors nothing of it", async () => {
      const batch = [cosmosModelRegistered(1n, 2501)];
      await expect(a.gateway.submitBatch(batch, sign(batch))).to.emit(a.hub, "MessageRejected");
      expect(await a.p.registryLens.exists(a.p.registry, cosmosModel)).to.equal(false);
      expect((await a.hub.lane(COSMOS)).inbound).to.equal(1n); // the lane moved past it
    });

    it("rejects signatures from outside the set, duplicates, too few, and the wrong destination", async () => {
      const batch = [cosmosModelRegistered(1n)];
      const outsider = new Wallet(ethers.id("not-a-relayer"));
      await expect(a.gateway.submitBatch(batch, sign(batch, [relayerKeys[0], outsider])))
        .to.be.revertedWithCustomError(a.gateway, "NotRelayer")
        .withArgs(outsider.address);
      const one = sign(batch, [relayerKeys[0]]);
      await expect(a.gateway.submitBatch(batch, [one[0], one[0]])).to.be.revertedWithCustomError(
        a.gateway,
        "SignersNotAscending",
      );
      await expect(a.gateway.submitBatch(batch, one)).to.be.revertedWithCustomError(a.gateway, "BelowThreshold").withArgs(1, 2);
      const forB = [fromCosmos(1n, Kind.KeyBurned, { keyId: 1n, modelId: cosmosModel, owner: cosmosAccount }, B)];
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
      await a.gateway.setRelayers(
        [relayerKeys[0].address, relayerKeys[1].address, relayerKeys[2].address].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1)),
        3,
      );
      const second = [cosmosKeyMinted(2n, 1n, cosmosAccount)];
      await expect(a.gateway.submitBatch(second, sign(second))).to.be.revertedWithCustomError(a.gateway, "BelowThreshold");
      await a.gateway.submitBatch(second, sign(second, relayerKeys));
      await expect(a.gateway.connect(carol).setRelayers(relayers, 1)).to.be.revertedWithCustomError(
        a.gateway,
        "AccessControlUnauthorizedAccount",
      );
    });

    it("enforces the lane's rate limit and pause", async () => {
      // The smallest limit a lane may have is a whole flush (64 messages an hour).
      await a.hub.setPeer(COSMOS, a.addresses.gateway, 64, AccountFamily.Cosmos);
      const batch = [cosmosModelRegistered(1n)];
      for (let i = 2n; i <= 65n; i++) batch.push(cosmosKeyMinted(i, i - 1n, cosmosAccount));
      await expect(a.gateway.submitBatch(batch, sign(batch))).to.be.revertedWithCustomError(a.hub, "RateLimited");
      const first64 = batch.slice(0, 64);
      await a.gateway.submitBatch(first64, sign(first64));
      const next = [batch[64]];
      await expect(a.gateway.submitBatch(next, sign(next))).to.be.revertedWithCustomError(a.hub, "RateLimited");
      await time.increase(3601);
      await a.hub.pauseLane(COSMOS, true);
      await expect(a.gateway.submitBatch(next, sign(next))).to.be.revertedWithCustomError(a.hub, "LaneIsPaused");
      await a.hub.pauseLane(COSMOS, false);
      await a.gateway.submitBatch(next, sign(next));
      expect((await a.hub.lane(COSMOS)).inbound).to.equal(65n);
    });

    it("a model update applies only when newer: a late or re-applied older one never rolls it back", async () => {
      // Fails on 4403f7d: ModelUpdated had no sequence and no content; the late one won.
      const update = (nonce: bigint, sequence: bigint, content: string, sdlLocator: string) =>
        fromCosmos(nonce, Kind.ModelUpdated, {
          modelId: cosmosModel,
          sequence,
          retired: false,
          contentCommitment: content,
          sdlLocator,
          metadataUri: "ipfs://cosmos-meta",
          prices: [],
        });
      const batch = [
        cosmosModelRegistered(1n),
        update(2n, 2n, ethers.id("v2"), "lighthouse://v2"),
        update(3n, 1n, ethers.id("v1"), "lighthouse://v1"),
      ];
      await expect(a.gateway.submitBatch(batch, sign(batch))).to.not.emit(a.hub, "MessageRejected");
      const m = await a.p.registry.model(cosmosModel);
      expect([m.contentCommitment, m.sdlLocator, m.sequence]).to.deep.equal([ethers.id("v2"), "lighthouse://v2", 2n]);
      // An update without content is refused (recorded, the lane moves on) and changes nothing.
      const empty = [update(4n, 3n, ethers.ZeroHash, "lighthouse://v3")];
      await expect(a.gateway.submitBatch(empty, sign(empty))).to.emit(a.hub, "MessageRejected");
      expect((await a.p.registry.model(cosmosModel)).sdlLocator).to.equal("lighthouse://v2");
      expect((await a.hub.lane(COSMOS)).inbound).to.equal(4n);
    });

    it("a refused message does not block its lane and can be re-applied once its cause is gone", async () => {
      const buyerAccount = evm(await buyer.getAddress());
      const keyId = (BigInt(COSMOS) << 32n) | 9n;
      const moved = fromCosmos(2n, Kind.KeyMoved, {
        keyId,
        modelId: cosmosModel,
        fromChain: COSMOS,
        toChain: A,
        from: cosmosAccount,
        owner: buyerAccount,
        expiresAt: 0n,
        locked: false,
      });
      // The key is mirrored, but its model is unknown on A yet: the move is refused (and leaves
      // the mirror as it was), the lane moves on.
      const first = [cosmosKeyMinted(1n, 9n, cosmosAccount), moved];
      await expect(a.gateway.submitBatch(first, sign(first))).to.emit(a.hub, "MessageRejected");
      expect(await a.hub.hasMirroredAccess(cosmosModel, cosmosSol)).to.equal(true);
      const reg = [cosmosModelRegistered(3n)];
      await a.gateway.submitBatch(reg, sign(reg));
      await a.hub.reapply(moved);
      const keys = await ethers.getContractAt("KeyNFT", await a.p.registry.keysOf(cosmosModel));
      expect(await keys.ownerOf(keyId)).to.equal(await buyer.getAddress());
      expect(await a.hub.hasMirroredAccess(cosmosModel, cosmosSol)).to.equal(false);
      await expect(a.hub.reapply(moved)).to.be.revertedWithCustomError(a.hub, "NotRejected");
    });

    it("a move of a key this hub does not mirror for that holder is refused until it is", async () => {
      const keyId = (BigInt(COSMOS) << 32n) | 9n;
      const moved = fromCosmos(2n, Kind.KeyMoved, {
        keyId,
        modelId: cosmosModel,
        fromChain: COSMOS,
        toChain: B,
        from: cosmosAccount,
        owner: evm(await buyer.getAddress()),
        expiresAt: 0n,
        locked: false,
      });
      const batch = [cosmosModelRegistered(1n), moved];
      await expect(a.gateway.submitBatch(batch, sign(batch)))
        .to.emit(a.hub, "MessageRejected")
        .withArgs(COSMOS, 2n, Kind.KeyMoved, a.hub.interface.encodeErrorResult("NotResident", [keyId, COSMOS]));
      expect(await a.hub.hasMirroredAccess(cosmosModel, sol(await buyer.getAddress()))).to.equal(false);
      // Its KeyMinted arrives (late, re-applied here): now the move applies.
      const minted = cosmosKeyMinted(3n, 9n, cosmosAccount);
      await a.gateway.submitBatch([minted], sign([minted]));
      await a.hub.reapply(moved);
      expect(await a.hub.hasMirroredAccess(cosmosModel, cosmosSol)).to.equal(false);
      expect(await a.hub.hasMirroredAccess(cosmosModel, sol(await buyer.getAddress()))).to.equal(true);
      expect((await a.lens.mirroredKey(a.hub, keyId, cosmosModel, sol(await buyer.getAddress()))).resident).to.equal(B);
    });

    it("mirrors several keys of one holder: each transfer and burn names the model and holder", async () => {
      const alice = { family: AccountFamily.Cosmos, address: "0x" + "a1".repeat(20) } as Account;
      const aliceSol = { family: AccountFamily.Cosmos, addr: zeroPadValue(alice.address, 32) };
      const k = (serial: bigint) => (BigInt(COSMOS) << 32n) | serial;
      const future = BigInt(await time.latest()) + 1000n;
      let n = 0n;
      const submit = async (...ms: string[]) => a.gateway.submitBatch(ms, sign(ms));
      // Three keys for cosmosAccount: the first in place, two recorded apart (one a subscription).
      await submit(
        cosmosModelRegistered(++n),
        cosmosKeyMinted(++n, 1n, cosmosAccount),
        cosmosKeyMinted(++n, 2n, cosmosAccount),
        cosmosKeyMinted(++n, 3n, cosmosAccount, future),
      );
      for (const serial of [1n, 2n, 3n]) {
        const v = await a.lens.mirroredKey(a.hub, k(serial), cosmosModel, cosmosSol);
        expect(v.resident).to.equal(COSMOS);
        expect(v.modelId).to.equal(cosmosModel);
      }
      expect((await a.lens.mirroredKey(a.hub, k(3n), cosmosModel, cosmosSol)).expiresAt).to.equal(future);
      // Refusals: a KeyMinted of a key id from another chain, a transfer naming the wrong holder or
      // model, a burn of a key the holder does not have; the lane goes on.
      const foreign = fromCosmos(++n, Kind.KeyMinted, {
        modelId: cosmosModel,
        keyId: (2n << 32n) | 5n,
        owner: alice,
        expiresAt: 0n,
        locked: false,
      });
      const wrongFrom = fromCosmos(++n, Kind.KeyTransferred, { keyId: k(2n), modelId: cosmosModel, from: alice, to: alice });
      const wrongModel = fromCosmos(++n, Kind.KeyTransferred, {
        keyId: k(2n),
        modelId: cosmosModel + 1n,
        from: cosmosAccount,
        to: alice,
      });
      const notHeld = fromCosmos(++n, Kind.KeyBurned, { keyId: k(4n), modelId: cosmosModel, owner: cosmosAccount });
      const tx = submit(foreign, wrongFrom, wrongModel, notHeld);
      const err = (name: string, args: unknown[]) => a.hub.interface.encodeErrorResult(name, args);
      await expect(tx)
        .to.emit(a.hub, "MessageRejected")
        .withArgs(COSMOS, n - 3n, Kind.KeyMinted, err("WrongSource", [COSMOS, 2]));
      await expect(tx)
        .to.emit(a.hub, "MessageRejected")
        .withArgs(COSMOS, n - 2n, Kind.KeyTransferred, err("WrongOwner", [k(2n)]));
      await expect(tx)
        .to.emit(a.hub, "MessageRejected")
        .withArgs(COSMOS, n - 1n, Kind.KeyTransferred, err("WrongOwner", [k(2n)]));
      await expect(tx)
        .to.emit(a.hub, "MessageRejected")
        .withArgs(COSMOS, n, Kind.KeyBurned, err("NotResident", [k(4n), COSMOS]));
      expect(await a.hub.hasMirroredAccess(cosmosModel, aliceSol)).to.equal(false);

      // The key in place and one recorded apart go to alice; the holder keeps access with the third.
      await submit(
        fromCosmos(++n, Kind.KeyTransferred, { keyId: k(1n), modelId: cosmosModel, from: cosmosAccount, to: alice }),
        fromCosmos(++n, Kind.KeyTransferred, { keyId: k(2n), modelId: cosmosModel, from: cosmosAccount, to: alice }),
      );
      expect(await a.hub.hasMirroredAccess(cosmosModel, cosmosSol)).to.equal(true); // the live subscription
      expect(await a.hub.hasMirroredAccess(cosmosModel, aliceSol)).to.equal(true);
      expect((await a.lens.mirroredKey(a.hub, k(1n), cosmosModel, cosmosSol)).resident).to.equal(0n);
      expect((await a.lens.mirroredKey(a.hub, k(2n), cosmosModel, aliceSol)).resident).to.equal(COSMOS);
      // A key id already mirrored for a holder is refused (the slow path's KeyAlreadyMirrored).
      const dup = cosmosKeyMinted(++n, 1n, alice);
      await expect(submit(dup))
        .to.emit(a.hub, "MessageRejected")
        .withArgs(COSMOS, n, Kind.KeyMinted, err("KeyAlreadyMirrored", [k(1n)]));
      // Burns: alice's two keys, then the subscription; access follows.
      await submit(
        fromCosmos(++n, Kind.KeyBurned, { keyId: k(1n), modelId: cosmosModel, owner: alice }),
        fromCosmos(++n, Kind.KeyBurned, { keyId: k(2n), modelId: cosmosModel, owner: alice }),
      );
      expect(await a.hub.hasMirroredAccess(cosmosModel, aliceSol)).to.equal(false);
      expect(await a.hub.hasMirroredAccess(cosmosModel, cosmosSol)).to.equal(true);
      await time.increaseTo(future);
      expect(await a.hub.hasMirroredAccess(cosmosModel, cosmosSol)).to.equal(false);
      await submit(fromCosmos(++n, Kind.KeyBurned, { keyId: k(3n), modelId: cosmosModel, owner: cosmosAccount }));
      expect((await a.lens.mirroredKey(a.hub, k(3n), cosmosModel, cosmosSol)).resident).to.equal(0n);
      // The holder's next key goes in place again.
      await submit(cosmosKeyMinted(++n, 5n, cosmosAccount));
      expect(await a.hub.hasMirroredAccess(cosmosModel, cosmosSol)).to.equal(true);
      expect((await a.hub.lane(COSMOS)).inbound).to.equal(n);
    });
  });
});

describe("the Akash lane: LeaseReported against the deployment escrow (issue 11 items 6, 14)", () => {
  const AKASH = 900;
  const DEPLOY = ethers.parseEther("0.4");
  const params = "0x01";
  let a: Chain;
  let creator: Signer, buyer: Signer, carol: Signer;

  beforeEach(async () => {
    ({ a } = await threeChains());
    [, , creator, buyer, carol] = await ethers.getSigners();
    await a.hub.setPeer(AKASH, a.addresses.gateway, 0, AccountFamily.Cosmos);
    await a.hub.setLeaseReporting(AKASH, await a.p.market.getAddress(), await carol.getAddress());
    // skipHandover: the deployer still administers the market
    await a.p.market.grantRole(await a.p.market.LEASE_REPORTER_ROLE(), a.addresses.hub);
  });

  function report(nonce: bigint, purchaseId: bigint, dseq: bigint): string {
    return hexlify(
      encodeMessage({
        version: 1,
        kind: Kind.LeaseReported,
        srcChain: AKASH,
        dstChain: A,
        nonce,
        body: { purchaseId, ok: true, dseq, gseq: 1, oseq: 1, provider: "akash1provider", reason: "" },
      }),
    );
  }
  async function deliver(messages: string[]) {
    return a.gateway.submitBatch(messages, sign(messages));
  }

  it("a dseq already reported, or a report after the buyer reclaimed, is refused; the lane moves on", async () => {
    const m = await publish(a.p, creator);
    await setNativePrice(a.p, creator, m.modelId, ONE, DEPLOY);
    const buy = () => a.p.market.connect(buyer).buy(m.modelId, NATIVE, buyer, params, "0x", { value: ONE + DEPLOY });
    await buy();
    await buy();
    await buy();
    const [k1, k2, k3] = [1n, 2n, 3n].map((s) => (BigInt(A) << 32n) | s);
    const C = await carol.getAddress();

    await deliver([report(1n, k1, 501n)]);
    expect(await a.p.market.creditOf(C, NATIVE)).to.equal(DEPLOY);
    // the same deployment reported for another purchase: refused, recorded, the lane moves on
    await expect(deliver([report(2n, k2, 501n)]))
      .to.emit(a.hub, "MessageRejected")
      .withArgs(AKASH, 2n, Kind.LeaseReported, a.p.market.interface.encodeErrorResult("DseqAlreadyUsed", [501n, k1]));
    expect((await a.hub.lane(AKASH)).inbound).to.equal(2n);
    expect((await a.p.market.escrowOf(k2)).amount).to.equal(DEPLOY);

    // no report for k2 within the timeout: its buyer takes the escrow back
    await time.increaseTo((await a.p.market.escrowOf(k2)).reclaimableAt);
    await a.p.market.connect(buyer).reclaimEscrow(k2);
    expect(await a.p.market.creditOf(await buyer.getAddress(), NATIVE)).to.equal(DEPLOY);
    // a late (honest) report for k2 is refused, k3's in the same batch still applies
    await expect(deliver([report(3n, k2, 502n), report(4n, k3, 503n)]))
      .to.emit(a.hub, "MessageRejected")
      .withArgs(AKASH, 3n, Kind.LeaseReported, a.p.market.interface.encodeErrorResult("NoEscrow", [k2]));
    expect((await a.hub.lane(AKASH)).inbound).to.equal(4n);
    expect(await a.p.market.creditOf(C, NATIVE)).to.equal(2n * DEPLOY);
    expect(await a.p.market.creditOf(await buyer.getAddress(), NATIVE)).to.equal(DEPLOY);
    expect(await a.p.market.purchaseOfDseq(503n)).to.equal(k3);
  });

  it("LeaseHandedOver from the Akash lane is recorded as an event; repeated, it is recorded again; from another lane it is refused; none stops the lane", async () => {
    const k1 = (BigInt(A) << 32n) | 1n;
    const handedOver = (src: number, nonce: bigint, handover: bigint) =>
      hexlify(
        encodeMessage({
          version: 1,
          kind: Kind.LeaseHandedOver,
          srcChain: src,
          dstChain: A,
          nonce,
          body: {
            keyId: k1,
            modelId: (BigInt(A) << 32n) | 1n,
            handover,
            dseq: 501n,
            gseq: 1,
            oseq: 1,
            provider: "akash1provider",
            holder: { family: AccountFamily.Evm, address: "0x" + "a1".repeat(20) },
            holderChain: A,
            manifestHash: "0x" + "3c".repeat(32),
            transfer: `${A}:0x${"4d".repeat(32)}:0`,
          },
        }),
      );
    const m1 = handedOver(AKASH, 1n, 1n);
    const body = "0x" + m1.slice(2 + 2 * 22); // after the 22-byte header
    // a repeated (stale) report changes nothing here: it is one more event, and the next message applies
    await expect(deliver([m1, handedOver(AKASH, 2n, 1n)]))
      .to.emit(a.hub, "LeaseHandedOver")
      .withArgs(k1, body)
      .and.not.to.emit(a.hub, "MessageRejected");
    expect((await a.hub.lane(AKASH)).inbound).to.equal(2n);
    // from a lane that is not the Akash lane: refused with its reason, recorded, the lane moves on
    await a.hub.setPeer(AKASH + 1, a.addresses.gateway, 0, AccountFamily.Cosmos);
    const tx = a.gateway.submitBatch([handedOver(AKASH + 1, 1n, 1n)], sign([handedOver(AKASH + 1, 1n, 1n)]));
    await expect(tx)
      .to.emit(a.hub, "MessageRejected")
      .withArgs(AKASH + 1, 1n, Kind.LeaseHandedOver, a.hub.interface.encodeErrorResult("NotLeaseLane", [AKASH + 1]));
    expect((await a.hub.lane(AKASH + 1)).inbound).to.equal(1n);
  });
});

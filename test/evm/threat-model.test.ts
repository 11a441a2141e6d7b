// Claims of docs/threat-model.md that no other suite showed: what a relayer quorum (here 2-of-2)
// can and cannot do with forged messages on one EVM hub, whom the LayerZero bridge takes packets
// from, and what a source transaction may record. Chain 100 stands for the Cosmos lane and
// chain 900 for the Akash lane; both reach the hub through the attestation gateway.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import { AbiCoder, hexlify, Wallet, zeroPadValue, type Signer } from "ethers";
import { impersonateAccount, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { deployHexs } from "../../tasks/lib/deployHexs";
import { AccountFamily, batchRootOfMessages, encodeMessage, Kind, type Account, type Message } from "../../codec";
import type { AttestationGateway, EndpointV2Mock, HexsHub, HexsHubLens, HexsLzBridge } from "../../sdk/typechain";
import {
  buyNative,
  forgetDeployments,
  loadProtocol,
  NATIVE,
  publish,
  publishParams,
  setNativePrice,
  type Protocol,
  rootModelRegistered,
} from "../../devnet/hardhat/protocol";

const HOME = 1;
const COSMOS = 100;
const AKASH = 900;
const PEER = 2; // an EVM chain reached over LayerZero
const EID = 40101;
const PEER_EID = 40102;
const KEY_PRICE = ethers.parseEther("1");
const DEPLOY_PRICE = ethers.parseEther("0.5");

/** The peer chain's bridge, as the OApp peer word. */
const PEER_BRIDGE = zeroPadValue("0x" + "b2".repeat(20), 32);

const relayerKeys = [0, 1].map((i) => new Wallet(ethers.id(`hexs-threat-model-relayer-${i}`)));

const oneHub = deployments.createFixture(async () => {
  await forgetDeployments("TM.");
  const endpoint = (await (await ethers.getContractFactory("EndpointV2Mock")).deploy(EID)) as unknown as EndpointV2Mock;
  const addresses = await deployHexs(hre, {
    lzEndpoint: await endpoint.getAddress(),
    prefix: "TM.",
    hexsChainId: HOME,
    timelockDelay: 3600,
    protocolFeeBps: 250,
    relayers: relayerKeys.map((w) => w.address),
    threshold: 2,
    skipHandover: true,
  });
  const p = await loadProtocol("TM.");
  const hub = (await ethers.getContractAt("HexsHub", addresses.hub)) as unknown as HexsHub;
  const gateway = (await ethers.getContractAt("AttestationGateway", addresses.gateway)) as unknown as AttestationGateway;
  await hub.setPeer(COSMOS, addresses.gateway, 0, AccountFamily.Cosmos);
  await hub.setPeer(AKASH, addresses.gateway, 0, AccountFamily.Cosmos);
  const bridge = (await ethers.getContractAt("HexsLzBridge", addresses.lzBridge)) as unknown as HexsLzBridge;
  await bridge.mapChain(PEER, PEER_EID);
  await bridge.setPeer(PEER_EID, PEER_BRIDGE);
  await hub.setPeer(PEER, addresses.lzBridge, 0, AccountFamily.Evm);
  const lens = (await ethers.getContractAt("HexsHubLens", addresses.hubLens)) as unknown as HexsHubLens;
  return { p, hub, lens, gateway, bridge, endpoint };
});

/** A batch from `src`, nonces from `first` on, signed by the whole 2-of-2 set. */
function signed(src: number, first: bigint, items: Array<[Kind, Message["body"]]>): [string[], string[]] {
  const messages = items.map(([kind, body], i) =>
    hexlify(encodeMessage({ version: 1, kind, srcChain: src, dstChain: HOME, nonce: first + BigInt(i), body } as Message)),
  );
  const { root } = batchRootOfMessages(messages);
  const signatures = [...relayerKeys]
    .sort((x, y) => (BigInt(x.address) < BigInt(y.address) ? -1 : 1))
    .map((w) => w.signingKey.sign(root).serialized);
  return [messages, signatures];
}

const lease = (purchaseId: bigint, ok: boolean) => ({
  purchaseId,
  ok,
  dseq: 7n,
  gseq: 1,
  oseq: 1,
  provider: "akash1provider",
  reason: ok ? "" : "no bids",
});

describe("threat model: what a relayer quorum, a LayerZero sender and a source transaction can put on a lane (one EVM hub)", () => {
  let p: Protocol, hub: HexsHub, lens: HexsHubLens, gateway: AttestationGateway, bridge: HexsLzBridge, endpoint: EndpointV2Mock;
  let creator: Signer, buyer: Signer, payee: Signer;
  const reason = (name: string, args: unknown[]) => hub.interface.encodeErrorResult(name, args);

  beforeEach(async () => {
    ({ p, hub, lens, gateway, bridge, endpoint } = await oneHub());
    [, , creator, buyer, payee] = await ethers.getSigners();
  });

  it("a LeaseReported applies only from the Akash lane and only for a purchase made here; a success pays the governance-set lease payee", async () => {
    await p.market.grantRole(await p.market.LEASE_REPORTER_ROLE(), await hub.getAddress());
    await hub.setLeaseReporting(AKASH, await p.market.getAddress(), await payee.getAddress());
    const { modelId } = await publish(p, creator);
    await setNativePrice(p, creator, modelId, KEY_PRICE, DEPLOY_PRICE);
    const keyId = await buyNative(p, buyer, modelId, KEY_PRICE + DEPLOY_PRICE, { deploymentParams: "0x01" });
    expect((await p.market.escrowOf(keyId)).amount).to.equal(DEPLOY_PRICE);

    // From another attested lane: refused, the escrow stays.
    const [fromCosmos, sigsCosmos] = signed(COSMOS, 1n, [[Kind.LeaseReported, lease(keyId, true)]]);
    await expect(gateway.submitBatch(fromCosmos, sigsCosmos))
      .to.emit(hub, "MessageRejected")
      .withArgs(COSMOS, 1n, Kind.LeaseReported, reason("NotLeaseLane", [COSMOS]));
    // From the Akash lane, for a purchase made on another chain: refused.
    const foreign = (2n << 32n) | (keyId & 0xffffffffn);
    const [wrongChain, sigsWrong] = signed(AKASH, 1n, [[Kind.LeaseReported, lease(foreign, true)]]);
    await expect(gateway.submitBatch(wrongChain, sigsWrong))
      .to.emit(hub, "MessageRejected")
      .withArgs(AKASH, 1n, Kind.LeaseReported, reason("WrongDestination", [2, HOME]));
    expect((await p.market.escrowOf(keyId)).amount).to.equal(DEPLOY_PRICE);

    // A success from the Akash lane releases the escrow to the lease payee, nobody else.
    const [ok, sigsOk] = signed(AKASH, 2n, [[Kind.LeaseReported, lease(keyId, true)]]);
    await expect(gateway.submitBatch(ok, sigsOk))
      .to.emit(p.market, "DeploymentResolved")
      .withArgs(keyId, true, await payee.getAddress(), DEPLOY_PRICE, 7n);
    expect((await p.market.escrowOf(keyId)).amount).to.equal(0n);
    expect(await p.market.creditOf(await payee.getAddress(), NATIVE)).to.equal(DEPLOY_PRICE);
    for (const w of relayerKeys) expect(await p.market.creditOf(w.address, NATIVE)).to.equal(0n);
  });

  it("a lane registers only models homed on its source chain, once: a forged ModelRegistered or ModelUpdated cannot change a record homed here", async () => {
    const { modelId: local } = await publish(p, creator);
    const before = await p.registry.model(local);
    const attacker: Account = { family: AccountFamily.Cosmos, address: "0x" + "ee".repeat(20) };
    const registered = (modelId: bigint) =>
      rootModelRegistered(modelId, attacker, {
        contentCommitment: ethers.id("forged"),
        forkRoyaltyBps: 0,
        sdlLocator: "lighthouse://forged",
        metadataUri: "ipfs://forged",
      });
    const cosmosModel = (BigInt(COSMOS) << 32n) | 1n;
    const [batch, sigs] = signed(COSMOS, 1n, [
      [Kind.ModelRegistered, registered(local)],
      [Kind.ModelRegistered, registered(cosmosModel)],
      [Kind.ModelRegistered, registered(cosmosModel)],
      [
        Kind.ModelUpdated,
        {
          modelId: local,
          sequence: 1n,
          retired: true,
          contentCommitment: "0x" + "66".repeat(32),
          sdlLocator: "forged",
          metadataUri: "ipfs://forged",
          prices: [],
        },
      ],
    ]);
    const tx = gateway.submitBatch(batch, sigs);
    await expect(tx)
      .to.emit(hub, "MessageRejected")
      .withArgs(COSMOS, 1n, Kind.ModelRegistered, reason("WrongSource", [COSMOS, HOME]));
    await expect(tx)
      .to.emit(hub, "MessageRejected")
      .withArgs(COSMOS, 3n, Kind.ModelRegistered, p.registry.interface.encodeErrorResult("ModelExists", [cosmosModel]));
    const after = await p.registry.model(local);
    expect(after.creator).to.equal(before.creator);
    expect(after.contentCommitment).to.equal(before.contentCommitment);
    // A ModelUpdated from a lane that is not the model's home changes nothing of its record.
    expect(after.retired).to.equal(false);
    expect(after.metadataUri).to.equal(before.metadataUri);
    expect((await hub.lane(COSMOS)).inbound).to.equal(4n);
  });

  it("a publish whose ModelRegistered no receiver could decode (an over-long string) reverts at the source; nothing is recorded", async () => {
    const codec = await ethers.getContractAt("HexsCodec", ethers.ZeroAddress);
    const journal = await lens.journal(hub);
    const long = { ...publishParams(), metadataUri: "x".repeat(1025) };
    await expect(p.registry.connect(creator).publish(long))
      .to.be.revertedWithCustomError(codec, "StringTooLong")
      .withArgs(1025, 1024);
    expect(await lens.journal(hub)).to.deep.equal(journal);
    // At the limit it goes through.
    await p.registry.connect(creator).publish({ ...publishParams(), metadataUri: "x".repeat(1024) });
    expect((await lens.journal(hub)).count).to.equal(journal.count + 1n);
  });

  it("a LayerZero packet is taken only from the endpoint and only from the configured peer of its source", async () => {
    const peerModel = (BigInt(PEER) << 32n) | 1n;
    const message = hexlify(
      encodeMessage({
        version: 1,
        kind: Kind.ModelRegistered,
        srcChain: PEER,
        dstChain: HOME,
        nonce: 1n,
        body: rootModelRegistered(
          peerModel,
          { family: AccountFamily.Evm, address: "0x" + "c3".repeat(20) },
          {
            contentCommitment: ethers.id("peer-model"),
            forkRoyaltyBps: 0,
            sdlLocator: "lighthouse://peer",
            metadataUri: "ipfs://peer",
          },
        ),
      } as Message),
    );
    const payload = AbiCoder.defaultAbiCoder().encode(["bytes[]"], [[message]]);
    const origin = (srcEid: number, sender: string) => ({ srcEid, sender, nonce: 1n });
    const guid = ethers.id("guid");
    const [, , , , , stranger] = await ethers.getSigners();
    await expect(
      bridge.connect(stranger).lzReceive(origin(PEER_EID, PEER_BRIDGE), guid, payload, stranger, "0x"),
    ).to.be.revertedWithCustomError(bridge, "OnlyEndpoint");

    const ep = await endpoint.getAddress();
    await impersonateAccount(ep);
    await setBalance(ep, ethers.parseEther("1"));
    const asEndpoint = bridge.connect(await ethers.getSigner(ep));
    const impostor = zeroPadValue("0x" + "ee".repeat(20), 32);
    await expect(asEndpoint.lzReceive(origin(PEER_EID, impostor), guid, payload, ep, "0x"))
      .to.be.revertedWithCustomError(bridge, "OnlyPeer")
      .withArgs(PEER_EID, impostor);
    await expect(asEndpoint.lzReceive(origin(40199, PEER_BRIDGE), guid, payload, ep, "0x")).to.be.revertedWithCustomError(
      bridge,
      "NoPeer",
    );
    expect((await hub.lane(PEER)).inbound).to.equal(0n);
    expect(await p.registryLens.exists(p.registry, peerModel)).to.equal(false);

    // The same packet from the configured peer is applied.
    await asEndpoint.lzReceive(origin(PEER_EID, PEER_BRIDGE), guid, payload, ep, "0x");
    expect((await hub.lane(PEER)).inbound).to.equal(1n);
    expect(await p.registryLens.exists(p.registry, peerModel)).to.equal(true);
  });
});

const handedOver = deployments.createFixture(async () => {
  await forgetDeployments("TMH.");
  const endpoint = (await (await ethers.getContractFactory("EndpointV2Mock")).deploy(EID)) as unknown as EndpointV2Mock;
  const addresses = await deployHexs(hre, {
    prefix: "TMH.",
    hexsChainId: HOME,
    timelockDelay: 3600,
    protocolFeeBps: 250,
    lzEndpoint: await endpoint.getAddress(),
    relayers: relayerKeys.map((w) => w.address),
    threshold: 2,
  });
  return {
    timelock: addresses.timelock,
    hub: (await ethers.getContractAt("HexsHub", addresses.hub)) as unknown as HexsHub,
    gateway: (await ethers.getContractAt("AttestationGateway", addresses.gateway)) as unknown as AttestationGateway,
    bridge: (await ethers.getContractAt("HexsLzBridge", addresses.lzBridge)) as unknown as HexsLzBridge,
  };
});

describe("threat model: the bridge contracts after hand-over", () => {
  it("the timelock alone administers and upgrades the hub and the gateway and owns the LayerZero bridge; the deployer keeps the guardian's pause, not the admin or upgrader roles", async () => {
    const { timelock, hub, gateway, bridge } = await handedOver();
    const [deployer] = await ethers.getSigners();
    const D = await deployer.getAddress();
    const ADMIN = ethers.ZeroHash;
    for (const c of [hub, gateway]) {
      expect(await c.hasRole(ADMIN, timelock)).to.equal(true);
      expect(await c.hasRole(await c.UPGRADER_ROLE(), timelock)).to.equal(true);
      expect(await c.hasRole(ADMIN, D)).to.equal(false);
      expect(await c.hasRole(await c.UPGRADER_ROLE(), D)).to.equal(false);
    }
    expect(await bridge.owner()).to.equal(timelock);
    await expect(gateway.setRelayers([D], 1))
      .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
      .withArgs(D, ADMIN);
    await expect(hub.setPeer(COSMOS, D, 0, AccountFamily.Cosmos))
      .to.be.revertedWithCustomError(hub, "AccessControlUnauthorizedAccount")
      .withArgs(D, ADMIN);
    await expect(hub.setLeaseReporting(AKASH, D, D))
      .to.be.revertedWithCustomError(hub, "AccessControlUnauthorizedAccount")
      .withArgs(D, ADMIN);
    await expect(bridge.setPeer(PEER_EID, PEER_BRIDGE))
      .to.be.revertedWithCustomError(bridge, "OwnableUnauthorizedAccount")
      .withArgs(D);
    // The guardian (the deployer here) can still pause a lane at once.
    expect(await hub.hasRole(await hub.GUARDIAN_ROLE(), D)).to.equal(true);
    await hub.pauseLane(COSMOS, true);
    expect((await hub.lane(COSMOS)).paused).to.equal(true);
  });
});

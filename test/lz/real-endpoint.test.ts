// The real LayerZero EndpointV2 + SimpleMessageLib on the in-process network: two Hexs chains,
// the dev executor verifying and executing packets, idempotency, ordering and retry.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import type { Signer } from "ethers";
import { flushLane } from "../../sdk/bridge";
import { buyNative, loadProtocol, publish, setNativePrice, type Protocol } from "../../devnet/hardhat/protocol";
import { CHAIN_A, CHAIN_B, deployInProcessLz, type InProcessLz } from "../../devnet/hardhat/lz";

const ONE = ethers.parseEther("1");

describe("LayerZero real EndpointV2 (in-process): executor", () => {
  let lz: InProcessLz;
  let pa: Protocol, pb: Protocol;
  let creator: Signer, buyer: Signer;

  const setup = deployments.createFixture(async () => deployInProcessLz(hre));

  beforeEach(async () => {
    lz = await setup();
    pa = await loadProtocol("lz.A.");
    pb = await loadProtocol("lz.B.");
    [, , creator, buyer] = await ethers.getSigners();
  });

  it("delivers A→B and B→A; a second run changes nothing (idempotent)", async () => {
    const m = await publish(pa, creator);
    await (await flushLane(lz.a.hub, lz.a.bridge, CHAIN_B))!.wait();
    const first = await lz.aToB.tick();
    expect(first.delivered).to.have.length(1);
    expect(first.failed).to.have.length(0);
    expect(await pb.registryLens.exists(pb.registry, m.modelId)).to.equal(true);
    const p = first.delivered[0];
    expect(await lz.aToB.state(p)).to.equal("executed");
    expect(await lz.aToB.verify(p)).to.equal(undefined);
    expect((await lz.aToB.deliver(p)).alreadyExecuted).to.equal(true);

    await setNativePrice(pb, creator, m.modelId, ONE);
    await buyNative(pb, buyer, m.modelId, ONE);
    await (await flushLane(lz.b.hub, lz.b.bridge, CHAIN_A))!.wait();
    expect(await pa.registryLens.hasAccess(pa.registry, m.modelId, await buyer.getAddress())).to.equal(false);
    expect((await lz.bToA.tick()).delivered).to.have.length(1);
    expect(await pa.registryLens.hasAccess(pa.registry, m.modelId, await buyer.getAddress())).to.equal(true);
  });

  it("a receive refused on the destination (paused lane) is stored and retried after unpause", async () => {
    await publish(pa, creator);
    await lz.b.hub.pauseLane(CHAIN_A, true);
    await (await flushLane(lz.a.hub, lz.a.bridge, CHAIN_B))!.wait();
    const r = await lz.aToB.tick();
    expect(r.failed).to.have.length(1);
    expect(r.failed[0].reason).to.match(/^LaneIsPaused\(1\)/);
    expect(lz.aToB.store.list()).to.have.length(1);
    expect(await lz.aToB.state(r.failed[0].packet)).to.equal("verified");
    await lz.b.hub.pauseLane(CHAIN_A, false);
    const retried = await lz.aToB.retryFailed();
    expect(retried.map((x) => x.ok)).to.deep.equal([true]);
    expect(lz.aToB.store.list()).to.have.length(0);
    expect((await lz.b.hub.lane(CHAIN_A)).inbound).to.equal(1n);
  });
});

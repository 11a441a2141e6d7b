// END-TO-END on two `hardhat node`s with the REAL LayerZero EndpointV2 + SimpleMessageLib:
// publish on A, flush A→B, buy on B, flush B→A, the dev executor delivers, and A's registry
// answers hasAccess for the key held on B. Also: out-of-order execution is refused by the hub
// until the gap is filled, and a receive that failed (lane paused) is retried after the timelock's
// unpause (`hardhat protocol:unpause`) by `hardhat bridge:retry --store`. Run: npx hardhat test test/lz/two-nodes.test.ts
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { ethers } from "hardhat";
import { zeroPadValue, type Signer } from "ethers";
import { flushLane } from "../../sdk/bridge";
import type { Packet } from "../../devnet/lz";
import { publishParams } from "../../devnet/hardhat/protocol";
import { runHardhat, startTwoNodes, type NodeChain, type TwoNodes } from "./helpers/twoNodes";

const NATIVE = ethers.ZeroAddress;
const ONE = ethers.parseEther("1");
const CREATOR = 2;
const VERBOSE = process.env.HEXS_LZ_VERBOSE === "1";

describe("LayerZero two nodes (real EndpointV2 + SimpleMessageLib)", function () {
  this.timeout(300_000);
  let t: TwoNodes;
  let modelId: bigint;
  let nextBuyer = 3;

  before(async () => {
    t = await startTwoNodes(VERBOSE ? (l) => console.log(`    ${l}`) : undefined);
  });

  after(async () => {
    if (t) await t.stop();
  });

  async function flush(from: NodeChain, dstChain: number): Promise<void> {
    const payer = await from.signer(1);
    const tx = await flushLane(from.hub.connect(payer), from.bridge.connect(payer), dstChain);
    expect(tx, "something to flush").to.not.equal(undefined);
    await tx!.wait();
  }

  /** Buy a key of `modelId` on B with a fresh account; returns the buyer and the key id. */
  async function buyOnB(): Promise<{ buyer: Signer; keyId: bigint }> {
    const buyer = await t.b.signer(nextBuyer++);
    const market = t.b.market.connect(buyer);
    const keyId = await market.buy.staticCall(modelId, NATIVE, await buyer.getAddress(), "0x", "0x", { value: ONE });
    await (await market.buy(modelId, NATIVE, await buyer.getAddress(), "0x", "0x", { value: ONE })).wait();
    return { buyer, keyId };
  }

  it("publish on A → B; buy on B → A: A's registry answers hasAccess for the key held on B", async () => {
    const creatorA = await t.a.signer(CREATOR);
    const rc = await (await t.a.registry.connect(creatorA).publish(publishParams({ content: "two-nodes" }))).wait();
    const ev = rc!.logs.map((l) => t.a.registry.interface.parseLog(l)).find((e) => e?.name === "ModelPublished");
    modelId = ev!.args.modelId as bigint;
    expect(modelId >> 32n).to.equal(1n);

    await flush(t.a, 2);
    const ab = await t.aToB.tick();
    expect(ab.failed).to.deep.equal([]);
    expect(ab.delivered).to.have.length(1);
    expect(await t.b.registryLens.exists(t.b.registry, modelId)).to.equal(true);
    expect((await t.b.hub.lane(1)).inbound).to.equal(1n);
    // Idempotent: a second pass neither verifies nor executes anything.
    expect((await t.aToB.tick()).delivered).to.have.length(0);
    expect((await t.aToB.deliver(ab.delivered[0])).alreadyExecuted).to.equal(true);

    await (await t.b.registry.connect(await t.b.signer(CREATOR)).setPrice(modelId, NATIVE, ONE, 0, true)).wait();
    const { buyer, keyId } = await buyOnB();
    expect(keyId >> 32n).to.equal(2n);
    const who = await buyer.getAddress();
    expect(await t.a.registryLens.hasAccess(t.a.registry, modelId, who)).to.equal(false);

    await flush(t.b, 1);
    const ba = await t.bToA.tick();
    expect(ba.failed).to.deep.equal([]);
    expect(ba.delivered).to.have.length(1);
    expect(await t.a.registryLens.hasAccess(t.a.registry, modelId, who)).to.equal(true);
    expect((await t.a.lens.mirroredKey(t.a.hub, keyId, modelId, { family: 1, addr: zeroPadValue(who, 32) })).resident).to.equal(
      2n,
    );
    expect(await t.b.registryLens.hasAccess(t.b.registry, modelId, who)).to.equal(true);
  });

  it("refuses out-of-order execution in the hub until the gap is filled", async () => {
    const first = await buyOnB();
    await flush(t.b, 1);
    const second = await buyOnB();
    await flush(t.b, 1);
    const found = await t.bToA.poll();
    expect(found).to.have.length(2);
    const [p1, p2] = [...found].sort((x, y) => (x.nonce < y.nonce ? -1 : 1));
    await t.bToA.verify(p1);
    await t.bToA.verify(p2);
    expect(await t.bToA.state(p2)).to.equal("verified");

    const early = await t.bToA.execute(p2);
    expect(early.ok).to.equal(false);
    expect(early.reason).to.match(/^UnexpectedNonce\(2, \d+, \d+\)$/);
    expect(await t.bToA.state(p2)).to.equal("verified");
    expect(await t.a.registryLens.hasAccess(t.a.registry, modelId, await second.buyer.getAddress())).to.equal(false);

    expect((await t.bToA.execute(p1)).ok).to.equal(true);
    expect((await t.bToA.execute(p2)).ok).to.equal(true);
    expect(await t.a.registryLens.hasAccess(t.a.registry, modelId, await first.buyer.getAddress())).to.equal(true);
    expect(await t.a.registryLens.hasAccess(t.a.registry, modelId, await second.buyer.getAddress())).to.equal(true);
    expect(t.bToA.store.list()).to.deep.equal([]);
  });

  it("a receive that failed on chain (lane paused) is retried by bridge:retry after unpause", async () => {
    const guardianA = await t.a.signer(0); // the deployer keeps the guardian's pause role
    await (await t.a.hub.connect(guardianA).pauseLane(2, true)).wait();
    const { buyer } = await buyOnB();
    await flush(t.b, 1);

    const r = await t.bToA.tick();
    expect(r.delivered).to.deep.equal([]);
    expect(r.failed).to.have.length(1);
    expect(r.failed[0].reason).to.equal("LaneIsPaused(2)");
    const p: Packet = r.failed[0].packet;
    // Mined anyway (fixed gas, no simulation): the node records a failed tx, the packet stays verified.
    const forced = await t.bToA.execute(p, { force: true, gasLimit: 400_000n });
    expect(forced.ok).to.equal(false);
    expect(forced.receipt?.status).to.equal(0);
    expect(await t.bToA.state(p)).to.equal("verified");
    const storeFile = path.join(t.dir, "failed-receives.json");
    const stored = JSON.parse(fs.readFileSync(storeFile, "utf8")) as { nonce: string; attempts: number }[];
    expect(stored.map((s) => s.nonce)).to.deep.equal([p.nonce.toString()]);
    expect(stored[0].attempts).to.equal(2);

    // only governance lifts a pause (issue 11 item 10): the guardian cannot, the timelock does
    await expect(t.a.hub.connect(guardianA).pauseLane(2, false)).to.be.revertedWithCustomError(
      t.a.hub,
      "AccessControlUnauthorizedAccount",
    );
    await runHardhat(
      ["protocol:unpause", "--network", "devnetA", "--contract", "HexsHub", "--lane", "2", "--execute", "--fast-forward"],
      t.env,
    );
    expect((await t.a.hub.lane(2)).paused).to.equal(false);
    const out = await runHardhat(["bridge:retry", "--network", "devnetA", "--store", storeFile], t.env);
    expect(out).to.match(/delivered: tx 0x[0-9a-f]{64}/);
    expect(JSON.parse(fs.readFileSync(storeFile, "utf8"))).to.deep.equal([]);
    expect(await t.bToA.state(p)).to.equal("executed");
    expect(await t.a.registryLens.hasAccess(t.a.registry, modelId, await buyer.getAddress())).to.equal(true);
    // Nothing left for the executor to do on this path.
    expect(await t.bToA.tick()).to.deep.equal({ delivered: [], failed: [] });
  });
});

// Issue 11 item 10: pausing is the guardian's, lifting a pause only the timelock's — on every
// pausable contract (registry: publish/fork, market: sales, hub: every lane or one lane), as
// deployed for real (the deploy script hands every admin role to the timelock; the deployer
// keeps only the guardian's roles). A stolen guardian key can stop the protocol, never reopen it.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import type { Signer } from "ethers";
import { deployProtocol, publish, publishParams, throughTimelock, type Protocol } from "../../devnet/hardhat/protocol";
import { Names } from "../../tasks/lib/protocol";
import { setQuiet } from "../../tasks/lib/log";
import type { UnpauseResult } from "../../tasks/protocol";
import type { PauseResult } from "../../sdk";
import type { HexsHub } from "../../sdk/typechain";

const ADMIN = ethers.ZeroHash;
const COSMOS = 100;

describe("pause and unpause (issue 11 item 10)", () => {
  let p: Protocol;
  let hub: HexsHub;
  let guardian: Signer, creator: Signer, stranger: Signer;
  let G: string;

  before(() => setQuiet(true));
  after(() => setQuiet(false));

  beforeEach(async () => {
    p = await deployProtocol();
    [guardian, , creator, stranger] = p.signers;
    G = await guardian.getAddress();
    hub = (await ethers.getContractAt(Names.hub, (await deployments.get(Names.hub)).address)) as unknown as HexsHub;
  });

  it("the guardian pauses the registry but cannot unpause it; the timelock can", async () => {
    await p.registry.connect(guardian).pause();
    await expect(p.registry.connect(guardian).unpause())
      .to.be.revertedWithCustomError(p.registry, "AccessControlUnauthorizedAccount")
      .withArgs(G, ADMIN);
    await expect(p.registry.connect(creator).publish(publishParams())).to.be.revertedWithCustomError(p.registry, "EnforcedPause");
    await (await throughTimelock(p, await p.registry.getAddress(), p.registry.interface.encodeFunctionData("unpause"))).wait();
    expect(await p.registry.paused()).to.equal(false);
    await publish(p, creator);
  });

  it("the guardian pauses the market but cannot unpause it; the timelock can", async () => {
    await p.market.connect(guardian).pause();
    await expect(p.market.connect(guardian).unpause())
      .to.be.revertedWithCustomError(p.market, "AccessControlUnauthorizedAccount")
      .withArgs(G, ADMIN);
    expect(await p.market.paused()).to.equal(true);
    const tx = await throughTimelock(p, await p.market.getAddress(), p.market.interface.encodeFunctionData("unpause"));
    await expect(tx)
      .to.emit(p.market, "Unpaused")
      .withArgs(await p.timelock.getAddress());
    expect(await p.market.paused()).to.equal(false);
  });

  it("the guardian pauses the hub and a hub lane but lifts neither; the timelock lifts both", async () => {
    await expect(hub.connect(guardian).pause(true)).to.emit(hub, "HubPaused").withArgs(true);
    await expect(hub.connect(guardian).pauseLane(COSMOS, true)).to.emit(hub, "LanePaused").withArgs(COSMOS, true);
    await expect(hub.connect(guardian).pause(false))
      .to.be.revertedWithCustomError(hub, "AccessControlUnauthorizedAccount")
      .withArgs(G, ADMIN);
    await expect(hub.connect(guardian).pauseLane(COSMOS, false))
      .to.be.revertedWithCustomError(hub, "AccessControlUnauthorizedAccount")
      .withArgs(G, ADMIN);
    // nobody but the guardian pauses
    await expect(hub.connect(stranger).pauseLane(COSMOS, true))
      .to.be.revertedWithCustomError(hub, "AccessControlUnauthorizedAccount")
      .withArgs(await stranger.getAddress(), await hub.GUARDIAN_ROLE());
    expect((await hub.lane(COSMOS)).paused).to.equal(true);

    const hubAddress = await hub.getAddress();
    await expect(throughTimelock(p, hubAddress, hub.interface.encodeFunctionData("pauseLane", [COSMOS, false])))
      .to.emit(hub, "LanePaused")
      .withArgs(COSMOS, false);
    await expect(throughTimelock(p, hubAddress, hub.interface.encodeFunctionData("pause", [false]), ethers.id("hub")))
      .to.emit(hub, "HubPaused")
      .withArgs(false);
    expect((await hub.lane(COSMOS)).paused).to.equal(false);
  });

  it("tasks: protocol:pause as the guardian, protocol:unpause through the timelock (schedule, then execute)", async () => {
    const run = <T>(name: string, args: Record<string, unknown>) => hre.run(name, args) as Promise<T>;
    const { isPaused } = await import("../../sdk");
    const { connectContracts } = await import("../../sdk");
    const { chainOf } = await import("../../tasks/lib/context");
    const c = connectContracts(await chainOf(hre), ethers.provider);

    for (const [contract, lane] of [
      [Names.registry, undefined],
      [Names.market, undefined],
      [Names.hub, undefined],
      [Names.hub, String(COSMOS)],
    ] as const) {
      const scope =
        contract === Names.hub
          ? { contract: "hub" as const, lane: lane === undefined ? undefined : Number(lane) }
          : { contract: contract === Names.registry ? ("registry" as const) : ("market" as const) };
      const paused = await run<PauseResult>("protocol:pause", { contract, lane });
      expect(paused.txHash, `${contract} ${lane ?? ""}`).to.match(/^0x[0-9a-f]{64}$/);
      expect(await isPaused(c, scope)).to.equal(true);
      // the guardian (account 0) schedules as the timelock's proposer; the pause holds until executed
      const scheduled = await run<UnpauseResult>("protocol:unpause", { contract, lane });
      expect(scheduled.unpaused).to.equal(false);
      expect(await isPaused(c, scope)).to.equal(true);
      const done = await run<UnpauseResult>("protocol:unpause", { contract, lane, execute: true, fastForward: true });
      expect(done.unpaused).to.equal(true);
      expect(await isPaused(c, scope)).to.equal(false);
    }
  });

  it("tasks: protocol:pause refuses a non-guardian and bad targets", async () => {
    const refuses = async (args: Record<string, unknown>, pattern: RegExp) => {
      let message = "";
      await hre.run("protocol:pause", args).catch((e: Error) => (message = e.message));
      expect(message).to.match(pattern);
    };
    await refuses({ contract: Names.registry, from: "3" }, /is not the guardian of the registry/);
    await refuses({ contract: Names.gateway }, /bad --contract 'AttestationGateway'/);
    await refuses({ contract: Names.market, lane: "100" }, /--lane applies to HexsHub only/);
    expect(await p.registry.paused()).to.equal(false);
  });
});

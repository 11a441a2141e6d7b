// Issue 11 item 11 (EVM half): the attestation gateway's threshold is a strict majority of its
// relayer set (M > N/2), at initialize and at every setRelayers; deployments outside a devnet
// refuse a single relayer (1-of-1) before deploying anything.
import { expect } from "chai";
import hre, { deployments, ethers, upgrades } from "hardhat";
import { Wallet } from "ethers";
import { deployProtocol, forgetDeployments, timelockSigner, type Protocol } from "../../devnet/hardhat/protocol";
import { deployHexs, gatewayQuorum } from "../../tasks/lib/deployHexs";
import { Names } from "../../tasks/lib/protocol";
import type { AttestationGateway } from "../../sdk/typechain";

const sorted = (n: number) =>
  Array.from({ length: n }, (_, i) => new Wallet(ethers.id(`quorum-relayer-${i}`)).address).sort((a, b) =>
    BigInt(a) < BigInt(b) ? -1 : 1,
  );

describe("gateway relayer quorum (issue 11 item 11)", () => {
  let p: Protocol;
  let gateway: AttestationGateway;

  beforeEach(async () => {
    p = await deployProtocol();
    gateway = (await ethers.getContractAt(
      Names.gateway,
      (await deployments.get(Names.gateway)).address,
    )) as unknown as AttestationGateway;
  });

  it("setRelayers refuses a threshold of half the set or less, and keeps the current set", async () => {
    const tl = await timelockSigner(p);
    const [before, beforeThreshold, beforeEpoch] = await gateway.relayers();
    for (const [n, m] of [
      [2, 1],
      [3, 1],
      [4, 2],
      [6, 3],
      [3, 0],
    ]) {
      await expect(gateway.connect(tl).setRelayers(sorted(n), m), `${m}-of-${n}`)
        .to.be.revertedWithCustomError(gateway, "ThresholdNotMajority")
        .withArgs(m, n);
    }
    const [after, afterThreshold, afterEpoch] = await gateway.relayers();
    expect([...after, afterThreshold, afterEpoch]).to.deep.equal([...before, beforeThreshold, beforeEpoch]);
    for (const [n, m] of [
      [3, 2],
      [4, 3],
      [1, 1],
    ]) {
      await expect(gateway.connect(tl).setRelayers(sorted(n), m)).to.emit(gateway, "RelayersSet");
    }
    await expect(gateway.connect(tl).setRelayers(sorted(3), 4)).to.be.revertedWithCustomError(gateway, "InvalidRelayerSet");
  });

  it("initialize refuses a minority threshold", async () => {
    const factory = await ethers.getContractFactory(Names.gateway);
    const hub = (await deployments.get(Names.hub)).address;
    const admin = await p.signers[0].getAddress();
    await expect(upgrades.deployProxy(factory, [hub, 1, admin, sorted(4), 2], { kind: "uups" }))
      .to.be.revertedWithCustomError(gateway, "ThresholdNotMajority")
      .withArgs(2, 4);
  });

  it("deployments outside a devnet refuse 1-of-1 and a missing relayer set, before deploying anything", async () => {
    const base = { prefix: "prod.", hexsChainId: 7, timelockDelay: 3600, protocolFeeBps: 250 };
    await forgetDeployments("prod.");
    const [one] = sorted(1);
    await expect(deployHexs(hre, { ...base, relayers: [one], threshold: 1 })).to.be.rejectedWith(
      /outside a devnet one relayer's key must not be enough/,
    );
    await expect(deployHexs(hre, base)).to.be.rejectedWith(/no gateway relayers: set HEXS_RELAYERS/);
    await expect(deployHexs(hre, { ...base, relayers: sorted(4), threshold: 2 })).to.be.rejectedWith(
      /threshold 2 of 4 relayers: it must be more than half of them \(3..4\)/,
    );
    expect(Object.keys(await deployments.all()).filter((n) => n.startsWith("prod."))).to.deep.equal([]);
    // a devnet keeps its single relayer (the deployer by default)
    expect(gatewayQuorum({ devnet: true }, one)).to.deep.equal({ relayers: [one], threshold: 1 });
    expect(gatewayQuorum({ relayers: sorted(3), threshold: 2 })).to.deep.equal({ relayers: sorted(3), threshold: 2 });
  });
});

import type { DeployFunction } from "hardhat-deploy/types";
import { Names } from "../tasks/lib/protocol";

// The KeyNFT implementation knows the registry and market (immutables), so it comes after
// them; the beacon is owned by the timelock from the start.
const deploy: DeployFunction = async (hre) => {
  const { deployments, ethers } = hre;
  const { deployer } = await hre.getNamedAccounts();
  const registry = await deployments.get(Names.registry);
  const market = await deployments.get(Names.market);
  const timelock = await deployments.get(Names.timelock);

  const impl = await deployments.deploy(Names.keyImplementation, {
    from: deployer,
    args: [registry.address, market.address],
    log: true,
  });
  const beacon = await deployments.deploy(Names.keyBeacon, {
    from: deployer,
    args: [impl.address, timelock.address],
    log: true,
  });
  const reg = await ethers.getContractAt("HexsRegistry", registry.address);
  if ((await reg.keyBeacon()) === ethers.ZeroAddress) {
    await (await reg.setKeyBeacon(beacon.address)).wait();
  }
  for (const plugin of [Names.soulbound, Names.allowlist, Names.supplyCap, Names.expiry]) {
    await deployments.deploy(plugin, { from: deployer, log: true });
  }
};
deploy.tags = ["core", "keys", "plugins"];
deploy.dependencies = ["registry"];
export default deploy;

import type { DeployFunction } from "hardhat-deploy/types";
import { Names } from "../tasks/lib/protocol";

// Give every admin, upgrader and treasurer role to the timelock and drop the deployer's.
// The deployer keeps PAUSER_ROLE as the guardian (a multisig in production).
const deploy: DeployFunction = async (hre) => {
  const { deployments, ethers } = hre;
  const { deployer } = await hre.getNamedAccounts();
  const timelock = (await deployments.get(Names.timelock)).address;
  for (const name of [Names.registry, Names.market]) {
    const c = await ethers.getContractAt("AccessControlUpgradeable", (await deployments.get(name)).address);
    const roles = [ethers.id("UPGRADER_ROLE"), ethers.ZeroHash];
    if (name === Names.market) roles.unshift(ethers.id("TREASURER_ROLE"));
    for (const role of roles) {
      if (!(await c.hasRole(role, timelock))) await (await c.grantRole(role, timelock)).wait();
    }
    // Renounce only after the timelock holds every role, so no role is ever left unheld.
    for (const role of roles) {
      if (await c.hasRole(role, deployer)) await (await c.renounceRole(role, deployer)).wait();
    }
  }
};
deploy.tags = ["core", "handover"];
deploy.dependencies = ["keys", "dao", "market"];
export default deploy;

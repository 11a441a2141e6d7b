import type { DeployFunction } from "hardhat-deploy/types";
import { Names, protocolSettings } from "../tasks/lib/protocol";
import { deployUups } from "../tasks/lib/uups";

// Registry and market are UUPS proxies deployed through the OpenZeppelin upgrades plugin, so
// their storage layout is validated now and on every later upgrade. The deployer holds the
// admin roles only until 04_handover gives them to the timelock.
const deploy: DeployFunction = async (hre) => {
  const { deployer, treasury } = await hre.getNamedAccounts();
  const { hexsChainId, protocolFeeBps } = protocolSettings(hre);
  const registry = await deployUups(hre, Names.registry, [hexsChainId, deployer, deployer]);
  await deployUups(hre, Names.market, [registry, deployer, deployer, treasury, protocolFeeBps]);
};
deploy.tags = ["core", "registry", "market"];
deploy.dependencies = ["timelock"];
export default deploy;

import type { DeployFunction } from "hardhat-deploy/types";
import { Names, protocolSettings } from "../tasks/lib/protocol";

// The timelock governs upgrades, roles and fees. The deployer proposes (hand this to a
// multisig in production); anyone may execute once the delay has passed.
const deploy: DeployFunction = async (hre) => {
  const { deployer } = await hre.getNamedAccounts();
  const { timelockDelay } = protocolSettings(hre);
  await hre.deployments.deploy(Names.timelock, {
    from: deployer,
    args: [timelockDelay, [deployer], ["0x0000000000000000000000000000000000000000"]],
    log: true,
  });
};
deploy.tags = ["core", "timelock"];
export default deploy;

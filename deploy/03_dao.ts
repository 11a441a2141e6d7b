import type { DeployFunction } from "hardhat-deploy/types";
import { Names } from "../tasks/lib/protocol";

const deploy: DeployFunction = async (hre) => {
  const { deployments, ethers } = hre;
  const { deployer } = await hre.getNamedAccounts();
  const registry = await deployments.get(Names.registry);
  const market = await deployments.get(Names.market);
  const membership = await deployments.deploy(Names.membershipImplementation, { from: deployer, log: true });
  const governor = await deployments.deploy(Names.governorImplementation, { from: deployer, log: true });
  const factory = await deployments.deploy(Names.daoFactory, {
    from: deployer,
    args: [registry.address, market.address, membership.address, governor.address],
    log: true,
  });
  const reg = await ethers.getContractAt("HexsRegistry", registry.address);
  const role = await reg.DAO_FACTORY_ROLE();
  if (!(await reg.hasRole(role, factory.address))) await (await reg.grantRole(role, factory.address)).wait();
};
deploy.tags = ["core", "dao"];
deploy.dependencies = ["registry"];
export default deploy;

import type { HardhatRuntimeEnvironment } from "hardhat/types";

/**
 * Deploy `name` behind a UUPS proxy with the OpenZeppelin plugin (layout validated) and save
 * it as a hardhat-deploy deployment. Idempotent: an existing deployment is reused.
 */
export async function deployUups(hre: HardhatRuntimeEnvironment, name: string, args: unknown[]): Promise<string> {
  const existing = await hre.deployments.getOrNull(name);
  if (existing) return existing.address;
  const factory = await hre.ethers.getContractFactory(name);
  const proxy = await hre.upgrades.deployProxy(factory, args, { kind: "uups", initializer: "initialize" });
  await proxy.waitForDeployment();
  const address = await proxy.getAddress();
  const implementation = await hre.upgrades.erc1967.getImplementationAddress(address);
  const artifact = await hre.deployments.getExtendedArtifact(name);
  await hre.deployments.save(name, { ...artifact, address, implementation });
  console.log(`deployed ${name} (UUPS) at ${address}, implementation ${implementation}`);
  return address;
}

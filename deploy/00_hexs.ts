import type { DeployFunction } from "hardhat-deploy/types";
import { deployHexs } from "../tasks/lib/deployHexs";
import { protocolSettings } from "../tasks/lib/protocol";

// The whole Hexs chain: timelock, registry, market, hub, attestation gateway, LayerZero bridge
// (when the network has an endpoint), key beacon, plugins, DAO factory; then every admin role
// goes to the timelock. Idempotent (see tasks/lib/deployHexs.ts).
const deploy: DeployFunction = async (hre) => {
  const settings = protocolSettings(hre);
  const a = await deployHexs(hre, settings);
  console.log(
    `Hexs chain ${settings.hexsChainId} on '${hre.network.name}': registry ${a.registry}, market ${a.market}, hub ${a.hub}`,
  );
};
deploy.tags = ["core"];
export default deploy;

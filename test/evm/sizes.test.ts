// The Hardhat network allows oversized contracts (LayerZero's EndpointV2Mock needs it), so
// EIP-170's limit on the protocol's own deployable contracts is checked here instead.
import { expect } from "chai";
import { artifacts } from "hardhat";

const EIP170_LIMIT = 24_576;
const DEPLOYED = [
  "HexsRegistry",
  "HexsMarket",
  "HexsApiPayments",
  "X402SettlementBatcher",
  "KeyNFT",
  "HexsHub",
  "PayoutBindings",
  "AttestationGateway",
  "HexsLzBridge",
  "DaoFactory",
  "DaoMembership",
  "ModelGovernor",
  "HexsTimelock",
  "KeyBeacon",
  "SoulboundPlugin",
  "AllowlistPlugin",
  "SupplyCapPlugin",
  "ExpiryPlugin",
  "HexsResale",
  "HexsPaymaster",
];

describe("contract sizes (EIP-170)", () => {
  for (const name of DEPLOYED) {
    it(`${name} fits in ${EIP170_LIMIT} bytes`, async () => {
      const { deployedBytecode } = await artifacts.readArtifact(name);
      expect((deployedBytecode.length - 2) / 2).to.be.at.most(EIP170_LIMIT);
    });
  }
});

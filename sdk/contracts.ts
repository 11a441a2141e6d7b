// Typed access to one EVM chain's Hexs contracts: typechain factories connected to a runner
// (a provider for reads; actions connect a signer per transaction).
import type { ContractRunner, Provider } from "ethers";
import { Interface } from "ethers";
import {
  AllowlistPlugin__factory,
  AttestationGateway__factory,
  DaoFactory__factory,
  DaoMembership__factory,
  ExpiryPlugin__factory,
  HexsHub__factory,
  HexsHubLens__factory,
  HexsLzBridge__factory,
  PayoutBindings__factory,
  HexsApiPayments__factory,
  HexsMarket__factory,
  HexsRegistry__factory,
  HexsRegistryLens__factory,
  HexsResale__factory,
  HexsTimelock__factory,
  KeyBeacon__factory,
  KeyNFT__factory,
  ModelGovernor__factory,
  SoulboundPlugin__factory,
  SupplyCapPlugin__factory,
} from "./typechain";
import type {
  AllowlistPlugin,
  AttestationGateway,
  DaoFactory,
  DaoMembership,
  ExpiryPlugin,
  HexsHub,
  HexsHubLens,
  HexsLzBridge,
  PayoutBindings,
  HexsApiPayments,
  HexsMarket,
  HexsRegistry,
  HexsRegistryLens,
  HexsResale,
  HexsTimelock,
  KeyBeacon,
  KeyNFT,
  ModelGovernor,
  SoulboundPlugin,
  SupplyCapPlugin,
} from "./typechain";
import {
  addressOf,
  ContractNames,
  CORE_CONTRACTS,
  DeploymentError,
  missingContracts,
  missingLensAdvice,
  type EvmChain,
} from "./chains";

export interface HexsContracts {
  chain: EvmChain;
  provider: Provider;
  registry: HexsRegistry;
  /** The registry's views that no contract calls (model count, prices, access, ...), over its extsload. */
  registryLens: HexsRegistryLens;
  market: HexsMarket;
  timelock: HexsTimelock;
  beacon: KeyBeacon;
  daoFactory: DaoFactory;
  plugins: { soulbound: SoulboundPlugin; allowlist: AllowlistPlugin; supplyCap: SupplyCapPlugin; expiry: ExpiryPlugin };
  /** Cross-chain contracts, when the chain has them. */
  hub?: HexsHub;
  /** Read-only views of the hub (its mirror, journal, peers, refusals); present with the hub. */
  hubLens?: HexsHubLens;
  gateway?: AttestationGateway;
  lzBridge?: HexsLzBridge;
  /** Makes payout bindings here (EIP-712) and checks arriving ones; present with the hub. */
  payoutBindings?: PayoutBindings;
  /** API prices and paid-call revenue (x402), when the chain has it. */
  apiPayments?: HexsApiPayments;
  /** The secondary market for keys (listings, offers), when the chain has it. */
  resale?: HexsResale;
  /** Every interface whose custom errors an action may meet, for decoding reverts. */
  errorInterfaces: Interface[];
}

/** Custom errors of the ERC-20 tokens and helpers a payment can meet. */
const TOKEN_ERRORS = new Interface([
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
  "error SafeERC20FailedOperation(address token)",
]);

/**
 * Connect to the protocol on an EVM chain. `runner` must have a provider (a Provider, or a Signer
 * connected to one). Throws a DeploymentError when a core contract's address is missing.
 */
export function connectContracts(chain: EvmChain, runner: ContractRunner): HexsContracts {
  const provider = runner.provider ?? (runner as Provider);
  if (!provider || typeof (provider as Provider).getCode !== "function") {
    throw new DeploymentError("connectContracts needs a runner with a provider");
  }
  const missing = missingContracts(chain);
  if (missing.length === 1 && missing[0] === ContractNames.registryLens) {
    throw new DeploymentError(missingLensAdvice(`the Hexs deployment on chain ${chain.name}`, "<network>"));
  }
  if (missing.length) {
    throw new DeploymentError(`no Hexs deployment on chain ${chain.name} (missing ${missing.join(", ")})`);
  }
  const at = (name: (typeof ContractNames)[keyof typeof ContractNames]) => addressOf(chain, name);
  const opt = (name: (typeof ContractNames)[keyof typeof ContractNames]) => chain.contracts[name];
  const registry = HexsRegistry__factory.connect(at(ContractNames.registry), runner);
  const market = HexsMarket__factory.connect(at(ContractNames.market), runner);
  const timelock = HexsTimelock__factory.connect(at(ContractNames.timelock), runner);
  const daoFactory = DaoFactory__factory.connect(at(ContractNames.daoFactory), runner);
  const hubAt = opt(ContractNames.hub);
  const gatewayAt = opt(ContractNames.gateway);
  const lzAt = opt(ContractNames.lzBridge);
  const hub = hubAt ? HexsHub__factory.connect(hubAt, runner) : undefined;
  const hubLensAt = opt(ContractNames.hubLens);
  const hubLens = hubLensAt ? HexsHubLens__factory.connect(hubLensAt, runner) : undefined;
  const gateway = gatewayAt ? AttestationGateway__factory.connect(gatewayAt, runner) : undefined;
  const lzBridge = lzAt ? HexsLzBridge__factory.connect(lzAt, runner) : undefined;
  const bindingsAt = opt(ContractNames.payoutBindings);
  const payoutBindings = bindingsAt ? PayoutBindings__factory.connect(bindingsAt, runner) : undefined;
  const apiAt = opt(ContractNames.apiPayments);
  const apiPayments = apiAt ? HexsApiPayments__factory.connect(apiAt, runner) : undefined;
  const resaleAt = opt(ContractNames.resale);
  const resale = resaleAt ? HexsResale__factory.connect(resaleAt, runner) : undefined;
  const errorInterfaces: Interface[] = [
    registry.interface,
    market.interface,
    daoFactory.interface,
    timelock.interface,
    KeyNFT__factory.createInterface(),
    ModelGovernor__factory.createInterface(),
    DaoMembership__factory.createInterface(),
    AllowlistPlugin__factory.createInterface(),
    SupplyCapPlugin__factory.createInterface(),
    ExpiryPlugin__factory.createInterface(),
    TOKEN_ERRORS,
    ...(hub ? [hub.interface] : []),
    ...(gateway ? [gateway.interface] : []),
    ...(lzBridge ? [lzBridge.interface] : []),
    ...(payoutBindings ? [payoutBindings.interface] : []),
    ...(apiPayments ? [apiPayments.interface] : []),
    ...(resale ? [resale.interface] : []),
  ];
  return {
    chain,
    provider: provider as Provider,
    registry,
    registryLens: HexsRegistryLens__factory.connect(at(ContractNames.registryLens), runner),
    market,
    timelock,
    beacon: KeyBeacon__factory.connect(at(ContractNames.keyBeacon), runner),
    daoFactory,
    plugins: {
      soulbound: SoulboundPlugin__factory.connect(at(ContractNames.soulbound), runner),
      allowlist: AllowlistPlugin__factory.connect(at(ContractNames.allowlist), runner),
      supplyCap: SupplyCapPlugin__factory.connect(at(ContractNames.supplyCap), runner),
      expiry: ExpiryPlugin__factory.connect(at(ContractNames.expiry), runner),
    },
    hub,
    hubLens,
    gateway,
    lzBridge,
    payoutBindings,
    apiPayments,
    resale,
    errorInterfaces,
  };
}

/** Fail with a DeploymentError naming the first core contract that has no code on chain. */
export async function requireDeployed(c: HexsContracts): Promise<void> {
  for (const name of CORE_CONTRACTS) {
    const address = addressOf(c.chain, name);
    if ((await c.provider.getCode(address)) === "0x") {
      throw new DeploymentError(
        `the deployment record says ${name} is at ${address} on ${c.chain.name}, but there is no contract there (the node was restarted?)`,
      );
    }
  }
}

/** A model's key collection. */
export async function keysOf(c: HexsContracts, modelId: bigint): Promise<KeyNFT> {
  return KeyNFT__factory.connect(await c.registry.keysOf(modelId), c.provider);
}

export function governorAt(c: HexsContracts, address: string): ModelGovernor {
  return ModelGovernor__factory.connect(address, c.provider);
}

export function membershipAt(c: HexsContracts, address: string): DaoMembership {
  return DaoMembership__factory.connect(address, c.provider);
}

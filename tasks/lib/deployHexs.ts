// The one deployment procedure of a Hexs chain, used by the hardhat-deploy script (one
// instance per network) and by tests that put several logical chains on one network
// (each instance under its own name prefix). Every step reuses an existing deployment, so a
// re-run finishes a partial deployment instead of duplicating it.
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { Names } from "./protocol";

export interface DeployOptions {
  /** Prefix of the hardhat-deploy names ("" for the network's own instance). */
  prefix?: string;
  hexsChainId: number;
  timelockDelay: number;
  protocolFeeBps: number;
  /** LayerZero EndpointV2 of this network; no LayerZero bridge without it. */
  lzEndpoint?: string;
  /** Relayer quorum of the attestation gateway; on a devnet it defaults to the deployer alone (1-of-1). */
  relayers?: string[];
  threshold?: number;
  /** A development chain: the only place a gateway may trust a single relayer. */
  devnet?: boolean;
  /** Keep the deployer's admin roles (tests that wire several instances first). */
  skipHandover?: boolean;
  /** false: a single-chain deployment without hub, gateway or bridge (nothing is recorded). */
  crossChain?: boolean;
}

export type HexsAddresses = Record<keyof typeof Names, string>;

export type UnsafeAllow = ("constructor" | "state-variable-immutable" | "missing-initializer-call")[];

/**
 * The upgrades plugin's checks skipped for `contract`'s implementation: by default, with
 * constructor arguments, what the LayerZero OApp needs (its endpoint is immutable by design, see
 * the contract's notes); none without. protocol:upgrade validates upgrades with the same list.
 */
export function uupsUnsafeAllow(constructorArgs?: unknown[], unsafeAllow?: UnsafeAllow): UnsafeAllow {
  return unsafeAllow ?? (constructorArgs ? ["constructor", "state-variable-immutable", "missing-initializer-call"] : []);
}

const ZERO = "0x0000000000000000000000000000000000000000";

/**
 * The gateway's relayer set and threshold, refused unless the threshold is a strict majority
 * (what the gateway enforces) and, outside a devnet, more than one relayer must sign.
 */
export function gatewayQuorum(
  o: Pick<DeployOptions, "relayers" | "threshold" | "devnet">,
  deployer?: string,
): { relayers: string[]; threshold: number } {
  if (!o.relayers?.length && (!o.devnet || !deployer))
    throw new Error(
      "no gateway relayers: set HEXS_RELAYERS (comma-separated addresses) and HEXS_THRESHOLD (more than half of them)",
    );
  const relayers = [...(o.relayers ?? [deployer!])].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  const threshold = o.threshold ?? 1;
  if (threshold > relayers.length || threshold * 2 <= relayers.length)
    throw new Error(
      `gateway threshold ${threshold} of ${relayers.length} relayers: it must be more than half of them (${Math.floor(relayers.length / 2) + 1}..${relayers.length})`,
    );
  if (!o.devnet && threshold < 2)
    throw new Error(
      `gateway threshold ${threshold} of ${relayers.length}: outside a devnet one relayer's key must not be enough to deliver a batch (use at least 2-of-3)`,
    );
  return { relayers, threshold };
}

export async function deployHexs(hre: HardhatRuntimeEnvironment, o: DeployOptions): Promise<HexsAddresses> {
  const { deployments, ethers } = hre;
  const { deployer, treasury } = await hre.getNamedAccounts();
  const p = o.prefix ?? "";
  const deploy = async (name: string, args: unknown[] = []) =>
    (await deployments.deploy(p + name, { contract: name, from: deployer, args, log: !p })).address;
  const uups = (name: string, args: unknown[], constructorArgs?: unknown[], unsafeAllow?: UnsafeAllow) =>
    deployUups(hre, p + name, name, args, constructorArgs, unsafeAllow);

  const crossChain = o.crossChain ?? true;
  const quorum = crossChain ? gatewayQuorum(o, deployer) : undefined; // refused before anything is deployed
  const timelock = await deploy(Names.timelock, [o.timelockDelay, [deployer], [ZERO]]);
  const registry = await uups(Names.registry, [o.hexsChainId, deployer, deployer]);
  const market = await uups(Names.market, [registry, deployer, deployer, treasury, o.protocolFeeBps]);
  // The hub's implementation carries the chain id as an immutable (read by every delivery).
  const hub = crossChain ? await uups(Names.hub, [registry, deployer, deployer], [o.hexsChainId], []) : ZERO;
  const gateway = quorum ? await uups(Names.gateway, [hub, o.hexsChainId, deployer, quorum.relayers, quorum.threshold]) : ZERO;
  const lzBridge = crossChain && o.lzEndpoint ? await uups(Names.lzBridge, [deployer], [o.lzEndpoint, hub]) : ZERO;
  // Stateless views of the hub (read through HexsHub.extsload): not upgradeable, redeploy at will.
  const hubLens = crossChain ? await deploy(Names.hubLens) : ZERO;
  // Stateless views of the registry (read through HexsRegistry.extsload), the same way.
  const registryLens = await deploy(Names.registryLens);
  // Makes and checks payout bindings; not upgradeable (verification only, plus source nonces).
  const payoutBindings = crossChain ? await deploy(Names.payoutBindings, [hub, registry, deployer]) : ZERO;

  const keyImplementation = await deploy(Names.keyImplementation, [registry, market, hub]);
  const keyBeacon = await deploy(Names.keyBeacon, [keyImplementation, timelock]);
  const soulbound = await deploy(Names.soulbound);
  const allowlist = await deploy(Names.allowlist);
  const supplyCap = await deploy(Names.supplyCap);
  const expiry = await deploy(Names.expiry);
  const membershipImplementation = await deploy(Names.membershipImplementation);
  const governorImplementation = await deploy(Names.governorImplementation);
  const daoFactory = await deploy(Names.daoFactory, [registry, market, membershipImplementation, governorImplementation]);

  const reg = await ethers.getContractAt("HexsRegistry", registry);
  const regLens = await ethers.getContractAt("HexsRegistryLens", registryLens);
  if ((await regLens.keyBeacon(registry)) === ZERO) await (await reg.setKeyBeacon(keyBeacon)).wait();
  // The market keeps a copy of the sale terms that the registry pushes on every write.
  if ((await regLens.saleSink(registry)) === ZERO) await (await reg.setSaleSink(market)).wait();
  if (crossChain && (await reg.hub()) === ZERO) await (await reg.setHub(hub, soulbound, expiry)).wait();
  if (crossChain) {
    const h = await ethers.getContractAt("HexsHub", hub);
    if ((await h.payoutBindings()) !== payoutBindings) await (await h.setPayoutBindings(payoutBindings)).wait();
    // PayoutBindings applies Cosmos creators' signed price orders through the registry's setPrice.
    const signedPrices = ethers.id("SIGNED_PRICES_ROLE");
    if (!(await reg.hasRole(signedPrices, payoutBindings))) await (await reg.grantRole(signedPrices, payoutBindings)).wait();
  }
  const daoRole = await reg.DAO_FACTORY_ROLE();
  if (!(await reg.hasRole(daoRole, daoFactory))) await (await reg.grantRole(daoRole, daoFactory)).wait();
  // Secondary market for keys (royalties into the market's vaults through the collections).
  const resale = await uups(Names.resale, [registry, market, deployer, deployer]);
  if (crossChain) {
    // The hub hands resale orders and results to it, and lets it record them.
    const lens = await ethers.getContractAt("HexsHubLens", hubLens);
    if ((await lens.resaleOf(hub)) !== resale)
      await (await (await ethers.getContractAt("HexsHub", hub)).setResale(resale)).wait();
  }

  // API revenue: paid calls swept from each model's payment sink into its vault in the market.
  const apiPayments = await uups(Names.apiPayments, [registry, market, deployer, deployer]);
  const mkt = await ethers.getContractAt("HexsMarket", market);
  const apiRevenue = await mkt.API_REVENUE_ROLE();
  if (!(await mkt.hasRole(apiRevenue, apiPayments))) await (await mkt.grantRole(apiRevenue, apiPayments)).wait();
  // Settles many x402 authorizations per transaction (stateless, no roles: each pays its sink directly).
  const settlementBatcher = await deploy(Names.settlementBatcher);

  const addresses: HexsAddresses = {
    timelock,
    registry,
    registryLens,
    market,
    hub,
    hubLens,
    gateway,
    lzBridge,
    payoutBindings,
    keyImplementation,
    keyBeacon,
    soulbound,
    allowlist,
    supplyCap,
    expiry,
    membershipImplementation,
    governorImplementation,
    daoFactory,
    apiPayments,
    settlementBatcher,
    resale,
  };
  if (!o.skipHandover) await handOver(hre, addresses);
  return addresses;
}

/**
 * Give every admin, upgrader and treasurer role (and the LayerZero bridge's ownership) to the
 * timelock and drop the deployer's. The deployer keeps only the guardian's pause roles (a
 * multisig in production).
 */
export async function handOver(hre: HardhatRuntimeEnvironment, a: HexsAddresses): Promise<void> {
  const { ethers } = hre;
  const { deployer } = await hre.getNamedAccounts();
  const admin = ethers.ZeroHash;
  const upgrader = ethers.id("UPGRADER_ROLE");
  const plan: [string, string[]][] = [
    [a.registry, [upgrader, admin]],
    [a.market, [ethers.id("TREASURER_ROLE"), upgrader, admin]],
    [a.hub, [upgrader, admin]],
    [a.gateway, [upgrader, admin]],
    [a.payoutBindings, [admin]],
    [a.apiPayments, [upgrader, admin]],
    [a.resale, [upgrader, admin]],
  ];
  for (const [address, roles] of plan) {
    if (address === ethers.ZeroAddress) continue;
    const c = await ethers.getContractAt("AccessControlUpgradeable", address);
    for (const role of roles) {
      if (!(await c.hasRole(role, a.timelock))) await (await c.grantRole(role, a.timelock)).wait();
    }
    // Renounce only once the timelock holds every role, so no role is ever left unheld.
    for (const role of roles) {
      if (await c.hasRole(role, deployer)) await (await c.renounceRole(role, deployer)).wait();
    }
  }
  if (a.lzBridge !== ethers.ZeroAddress) {
    const bridge = await ethers.getContractAt("HexsLzBridge", a.lzBridge);
    if ((await bridge.owner()) === deployer) {
      await (await bridge.setDelegate(a.timelock)).wait();
      await (await bridge.transferOwnership(a.timelock)).wait();
    }
  }
}

/**
 * Deploy `contract` behind a UUPS proxy with the OpenZeppelin plugin (layout validated) and
 * save it as the hardhat-deploy deployment `name`. Idempotent: an existing one is reused.
 */
export async function deployUups(
  hre: HardhatRuntimeEnvironment,
  name: string,
  contract: string,
  args: unknown[],
  constructorArgs?: unknown[],
  /** Checks to skip; by default, with constructor arguments, what the LayerZero OApp needs. A
   * contract that annotates its own exceptions (e.g. HexsHub's immutable) passes []. */
  unsafeAllow?: UnsafeAllow,
): Promise<string> {
  const existing = await hre.deployments.getOrNull(name);
  if (existing) return existing.address;
  const factory = await hre.ethers.getContractFactory(contract);
  const proxy = await hre.upgrades.deployProxy(factory, args, {
    kind: "uups",
    initializer: "initialize",
    constructorArgs,
    unsafeAllow: uupsUnsafeAllow(constructorArgs, unsafeAllow),
  });
  await proxy.waitForDeployment();
  const address = await proxy.getAddress();
  const implementation = await hre.upgrades.erc1967.getImplementationAddress(address);
  const artifact = await hre.deployments.getExtendedArtifact(contract);
  await hre.deployments.save(name, { ...artifact, address, implementation });
  return address;
}

// The one way tasks reach the deployed protocol: deployments of this network, signers,
// model look-ups, currencies, balance checks and transaction reports.
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { ContractTransactionResponse, Signer, TransactionReceipt } from "ethers";
import { formatUnits, getAddress, Interface, isAddress } from "ethers";
import type {
  AllowlistPlugin,
  DaoFactory,
  ExpiryPlugin,
  HexsMarket,
  HexsRegistry,
  HexsTimelock,
  KeyBeacon,
  KeyNFT,
  SoulboundPlugin,
  SupplyCapPlugin,
} from "../../sdk/typechain";
import { describeRevert, fail, TaskError } from "./errors";
import { formatId, NATIVE } from "./parse";
import { Names } from "./protocol";
import { say } from "./log";

export interface ProtocolContracts {
  registry: HexsRegistry;
  market: HexsMarket;
  timelock: HexsTimelock;
  beacon: KeyBeacon;
  daoFactory: DaoFactory;
  plugins: { soulbound: SoulboundPlugin; allowlist: AllowlistPlugin; supplyCap: SupplyCapPlugin; expiry: ExpiryPlugin };
  /** Every interface whose custom errors a task may meet, for decoding reverts. */
  errorInterfaces: Interface[];
}

async function contractAt<T>(hre: HardhatRuntimeEnvironment, name: string, artifact: string = name): Promise<T> {
  const d = await hre.deployments.getOrNull(name);
  if (!d) {
    fail(
      `no Hexs deployment on network '${hre.network.name}' (missing ${name}). ` +
        (hre.network.name === "hardhat"
          ? "The in-process 'hardhat' network starts empty on every run: start the devnet (npm run devnet -- --keep) and pass --network devnetA (or devnetB)."
          : `Deploy first: npx hardhat deploy --network ${hre.network.name}`),
    );
  }
  const code = await hre.ethers.provider.getCode(d.address);
  if (code === "0x") {
    fail(
      `the deployment record says ${name} is at ${d.address} on '${hre.network.name}', but there is no contract there ` +
        `(the node was restarted?). Redeploy: npx hardhat deploy --network ${hre.network.name} --reset`,
    );
  }
  return (await hre.ethers.getContractAt(artifact, d.address)) as unknown as T;
}

/** Load the protocol deployed on the current network, or fail saying how to deploy it. */
export async function loadProtocol(hre: HardhatRuntimeEnvironment): Promise<ProtocolContracts> {
  const registry = await contractAt<HexsRegistry>(hre, Names.registry);
  const market = await contractAt<HexsMarket>(hre, Names.market);
  const timelock = await contractAt<HexsTimelock>(hre, Names.timelock);
  const beacon = await contractAt<KeyBeacon>(hre, Names.keyBeacon);
  const daoFactory = await contractAt<DaoFactory>(hre, Names.daoFactory);
  const plugins = {
    soulbound: await contractAt<SoulboundPlugin>(hre, Names.soulbound),
    allowlist: await contractAt<AllowlistPlugin>(hre, Names.allowlist),
    supplyCap: await contractAt<SupplyCapPlugin>(hre, Names.supplyCap),
    expiry: await contractAt<ExpiryPlugin>(hre, Names.expiry),
  };
  const errorInterfaces: Interface[] = [registry.interface, market.interface, daoFactory.interface, timelock.interface];
  for (const name of ["KeyNFT", "ModelGovernor", "DaoMembership", "AllowlistPlugin", "SupplyCapPlugin", "ExpiryPlugin"]) {
    errorInterfaces.push((await hre.ethers.getContractFactory(name)).interface);
  }
  errorInterfaces.push(
    new Interface([
      "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
      "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
      "error SafeERC20FailedOperation(address token)",
    ]),
  );
  return { registry, market, timelock, beacon, daoFactory, plugins, errorInterfaces };
}

/**
 * The signer a task acts as: `--from` is an account index (0, 1, …) or one of the network's
 * account addresses; default account 0 (the deployer).
 */
export async function resolveSigner(hre: HardhatRuntimeEnvironment, from: string | undefined): Promise<Signer> {
  const signers = await hre.ethers.getSigners();
  if (signers.length === 0) fail(`network '${hre.network.name}' has no accounts configured: add accounts to hardhat.config.ts`);
  if (from === undefined || from === "") return signers[0];
  const v = from.trim();
  if (/^\d+$/.test(v)) {
    const i = Number(v);
    if (i >= signers.length)
      fail(`bad --from '${from}': network '${hre.network.name}' has ${signers.length} accounts (0..${signers.length - 1})`);
    return signers[i];
  }
  if (!isAddress(v)) fail(`bad --from '${from}': expected an account index (0, 1, …) or an address`);
  const want = getAddress(v);
  for (const s of signers) if ((await s.getAddress()) === want) return s;
  return fail(`bad --from '${from}': not one of the accounts this network can sign for (use an index 0..${signers.length - 1})`);
}

/** Fail unless `modelId` exists here; returns its creator. */
export async function requireModel(hre: HardhatRuntimeEnvironment, p: ProtocolContracts, modelId: bigint): Promise<string> {
  if (!(await p.registry.exists(modelId))) {
    const count = await p.registry.modelCount();
    const chain = await p.registry.chainId();
    const range = count === 0n ? "it has no models yet" : `its models are ${chain}:1 … ${chain}:${count}`;
    fail(
      `unknown model ${formatId(modelId)} on network '${hre.network.name}': ${range}. Check --model (publish one with model:publish).`,
    );
  }
  return p.registry.creatorOf(modelId);
}

/**
 * Fail unless `signer` created `modelId` — or, with `orPayout`, is the payout address the
 * creator bound for this chain (how a creator from another chain family acts here).
 */
export async function requireCreator(
  hre: HardhatRuntimeEnvironment,
  p: ProtocolContracts,
  modelId: bigint,
  signer: Signer,
  orPayout = false,
): Promise<void> {
  const creator = await requireModel(hre, p, modelId);
  const me = await signer.getAddress();
  if (creator === me || (orPayout && (await p.registry.payoutOf(creator)) === me)) return;
  const alt = orPayout ? " or its bound payout address" : "";
  fail(
    `not the creator${alt}: model ${formatId(modelId)} was created by ${creator}, but this task signs as ${me}. Use --from with the creator's account${alt}.`,
  );
}

export async function keysOf(hre: HardhatRuntimeEnvironment, p: ProtocolContracts, modelId: bigint): Promise<KeyNFT> {
  return (await hre.ethers.getContractAt("KeyNFT", await p.registry.keysOf(modelId))) as unknown as KeyNFT;
}

export interface CurrencyInfo {
  address: string;
  symbol: string;
  decimals: number;
  native: boolean;
}

const ERC20_ABI = [
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
  "function balanceOf(address) view returns (uint256)",
  "function allowance(address,address) view returns (uint256)",
  "function approve(address,uint256) returns (bool)",
];

/** Symbol and decimals of a currency; fails if a token address holds no ERC-20. */
export async function currencyInfo(hre: HardhatRuntimeEnvironment, currency: string): Promise<CurrencyInfo> {
  if (currency === NATIVE) return NATIVE_INFO;
  if ((await hre.ethers.provider.getCode(currency)) === "0x") {
    fail(`bad --currency ${currency}: no contract at that address on '${hre.network.name}' (use 'native' or a deployed ERC-20)`);
  }
  const token = new hre.ethers.Contract(currency, ERC20_ABI, hre.ethers.provider);
  try {
    const [symbol, decimals] = await Promise.all([token.symbol() as Promise<string>, token.decimals() as Promise<bigint>]);
    return { address: currency, symbol, decimals: Number(decimals), native: false };
  } catch {
    return fail(`bad --currency ${currency}: the contract there does not answer symbol()/decimals() like an ERC-20`);
  }
}

export const NATIVE_INFO: CurrencyInfo = { address: NATIVE, symbol: "ETH", decimals: 18, native: true };

export function fmt(amount: bigint, c: CurrencyInfo): string {
  return `${formatUnits(amount, c.decimals)} ${c.symbol}`;
}

export async function balanceOf(hre: HardhatRuntimeEnvironment, c: CurrencyInfo, account: string): Promise<bigint> {
  if (c.native) return hre.ethers.provider.getBalance(account);
  const token = new hre.ethers.Contract(c.address, ERC20_ABI, hre.ethers.provider);
  return (await token.balanceOf(account)) as bigint;
}

/** Approve `spender` for `amount` of a token when the allowance is short. */
export async function ensureAllowance(
  hre: HardhatRuntimeEnvironment,
  c: CurrencyInfo,
  signer: Signer,
  spender: string,
  amount: bigint,
): Promise<void> {
  if (c.native || amount === 0n) return;
  const token = new hre.ethers.Contract(c.address, ERC20_ABI, signer);
  const owner = await signer.getAddress();
  const allowance = (await token.allowance(owner, spender)) as bigint;
  if (allowance >= amount) return;
  const tx = (await token.approve(spender, amount)) as ContractTransactionResponse;
  const receipt = await tx.wait();
  say(`  approved ${fmt(amount, c)} to the market (tx ${tx.hash}, gas ${receipt?.gasUsed ?? "?"})`);
}

/**
 * Check that `account` can pay `value` (in `c`) plus gas for a transaction before sending it.
 * `gasLimit` is an estimate; the native check covers value + gas when paying natively.
 */
export async function requireFunds(
  hre: HardhatRuntimeEnvironment,
  c: CurrencyInfo,
  account: string,
  value: bigint,
  gasLimit: bigint,
): Promise<void> {
  const fee = await hre.ethers.provider.getFeeData();
  const gasPrice = fee.maxFeePerGas ?? fee.gasPrice ?? 0n;
  const gasCost = gasLimit * gasPrice;
  const eth = NATIVE_INFO;
  const nativeBalance = await hre.ethers.provider.getBalance(account);
  const nativeNeed = gasCost + (c.native ? value : 0n);
  if (!c.native) {
    const tokenBalance = await balanceOf(hre, c, account);
    if (tokenBalance < value) {
      fail(
        `insufficient funds: ${account} holds ${fmt(tokenBalance, c)} but needs ${fmt(value, c)}. Fund the account or use --from with another one.`,
      );
    }
  }
  if (nativeBalance < nativeNeed) {
    fail(
      `insufficient funds: ${account} has ${fmt(nativeBalance, eth)} but needs ${fmt(nativeNeed, eth)}` +
        (c.native && value > 0n ? ` (${fmt(value, eth)} payment + ~${fmt(gasCost, eth)} gas)` : " for gas") +
        ". Fund the account or use --from with another one.",
    );
  }
}

export interface TxReport {
  hash: string;
  gasUsed: bigint;
  receipt: TransactionReceipt;
}

/**
 * Send a transaction after simulating it, so a revert is reported by its custom error name
 * before any gas is spent; print its hash and gas.
 */
export async function send(
  p: ProtocolContracts,
  label: string,
  simulate: () => Promise<unknown>,
  sendTx: () => Promise<ContractTransactionResponse>,
): Promise<TxReport> {
  try {
    await simulate();
  } catch (e) {
    throw new TaskError(`${label} would revert: ${describeRevert(e, p.errorInterfaces)}`);
  }
  let tx: ContractTransactionResponse;
  try {
    tx = await sendTx();
  } catch (e) {
    throw new TaskError(`${label} failed: ${describeRevert(e, p.errorInterfaces)}`);
  }
  const receipt = await tx.wait();
  if (!receipt || receipt.status !== 1) fail(`${label} reverted on chain (tx ${tx.hash})`);
  say(`  ${label}: tx ${tx.hash} (block ${receipt.blockNumber}, gas ${receipt.gasUsed})`);
  return { hash: tx.hash, gasUsed: receipt.gasUsed, receipt };
}

/** Decode the first event named `name` that `contract` emitted in a receipt. */
export function findEvent(
  receipt: TransactionReceipt,
  iface: Interface,
  name: string,
  address?: string,
): { args: Record<string, unknown> } | undefined {
  for (const log of receipt.logs) {
    if (address && log.address.toLowerCase() !== address.toLowerCase()) continue;
    try {
      const parsed = iface.parseLog(log);
      if (parsed && parsed.name === name) return { args: parsed.args.toObject() };
    } catch {
      // another contract's event
    }
  }
  return undefined;
}

/** Networks on which tasks may move time and mine blocks (`--fast-forward`). */
export function isLocalNetwork(hre: HardhatRuntimeEnvironment): boolean {
  return ["hardhat", "localhost", "devnetA", "devnetB"].includes(hre.network.name);
}

// Sponsored Hexs actions from a burner session key: the key owns a SimpleAccount (counterfactual
// until its first operation), the policy signer signs paymasterData, the bundler submits.
// Browser-safe: the caller stores the burner's private key (e.g. localStorage) and passes it back.
import { BaseWallet, Contract, hexlify, Interface, randomBytes, SigningKey, type Provider } from "ethers";
import { evmAccount, toSolAccount } from "../accounts";
import type { BundlerClient, UserOpReceipt } from "./bundler";
import { PolicyRefusedError, PolicyUnreachableError, UserOpRevertedError } from "./errors";
import { accountCallData, signUserOp, type Call, type UserOperation } from "./userop";

// A plain key signer, not ethers' Wallet: Wallet brings mnemonics and keystore crypto, which a web
// app bundling this for its burner would load with its first page.
const burnerSigner = (privateKey: string) => new BaseWallet(new SigningKey(privateKey));

/** A new random session key; keep `privateKey` where the person will find it again. */
export function createBurner(): { privateKey: string; address: string } {
  const w = burnerSigner(hexlify(randomBytes(32)));
  return { privateKey: w.privateKey, address: w.address };
}

export interface SponsorConfig {
  provider: Provider;
  bundler: BundlerClient;
  /** policy signer service: POST {userOp, chainId} → {paymasterData}, or 403 {error} */
  policyUrl: string;
  entryPoint: string;
  factory: string;
  paymaster: string;
  chainId: bigint;
  /** ms to wait for the policy signer (default 10 s) and for inclusion (default 30 s) */
  policyTimeoutMs?: number;
  inclusionTimeoutMs?: number;
}

/** Gas limits of a sponsored operation; generous fixed values, the unused part is not charged. */
export const SPONSORED_GAS = {
  callGasLimit: 400_000n,
  verificationGasLimit: 500_000n,
  preVerificationGas: 100_000n,
  paymasterVerificationGasLimit: 150_000n,
  paymasterPostOpGasLimit: 0n,
} as const;

const factoryAbi = new Interface([
  "function createAccount(address owner, uint256 salt) returns (address)",
  "function getAddress(address owner, uint256 salt) view returns (address)",
]);
const entryPointAbi = new Interface(["function getNonce(address sender, uint192 key) view returns (uint256)"]);

/** The SimpleAccount address of a burner (salt 0), deployed or not. */
export async function accountOf(cfg: SponsorConfig, owner: string): Promise<string> {
  const f = new Contract(cfg.factory, factoryAbi, cfg.provider);
  return (await f.getFunction("getAddress")(owner, 0)) as string;
}

/** An unsigned, unsponsored operation of the burner's account running `calls` (deploys the account if new). */
export async function draftSponsored(cfg: SponsorConfig, burnerKey: string, calls: Call[]): Promise<UserOperation> {
  const owner = burnerSigner(burnerKey);
  const sender = await accountOf(cfg, owner.address);
  const deployed = (await cfg.provider.getCode(sender)) !== "0x";
  const ep = new Contract(cfg.entryPoint, entryPointAbi, cfg.provider);
  let fees = await cfg.bundler.gasPrice();
  if (!fees) {
    const d = await cfg.provider.getFeeData();
    const tip = d.maxPriorityFeePerGas ?? 1_000_000_000n;
    fees = { maxFeePerGas: (d.maxFeePerGas ?? 2_000_000_000n) + tip, maxPriorityFeePerGas: tip };
  }
  return {
    sender,
    nonce: (await ep.getFunction("getNonce")(sender, 0)) as bigint,
    ...(deployed
      ? {}
      : { factory: cfg.factory, factoryData: factoryAbi.encodeFunctionData("createAccount", [owner.address, 0]) }),
    callData: accountCallData(calls),
    ...SPONSORED_GAS,
    ...fees,
    paymaster: cfg.paymaster,
    signature: "0x",
  };
}

/** Ask the policy signer to sponsor `op`; its refusal becomes a PolicyRefusedError. */
export async function requestSponsorship(cfg: SponsorConfig, op: UserOperation): Promise<string> {
  let res: Response;
  let body: { paymasterData?: string; error?: string };
  try {
    res = await fetch(cfg.policyUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ chainId: cfg.chainId.toString(), userOp: op }, (_k, v: unknown) =>
        typeof v === "bigint" ? v.toString() : v,
      ),
      signal: AbortSignal.timeout(cfg.policyTimeoutMs ?? 10_000),
    });
    body = (await res.json().catch(() => ({}))) as typeof body;
  } catch (err) {
    throw new PolicyUnreachableError(cfg.policyUrl, err);
  }
  if (!res.ok || !body.paymasterData) throw new PolicyRefusedError(body.error ?? "no paymasterData in the answer", res.status);
  return body.paymasterData;
}

/**
 * Sign `op` (already sponsored) as the burner, submit it and wait for inclusion. A reverted call
 * is a UserOpRevertedError (the sponsor paid the gas).
 */
export async function submitSponsored(cfg: SponsorConfig, burnerKey: string, op: UserOperation): Promise<UserOpReceipt> {
  const signed = { ...op, signature: await signUserOp(burnerSigner(burnerKey), op, cfg.entryPoint, cfg.chainId) };
  const hash = await cfg.bundler.sendUserOperation(signed);
  const receipt = await cfg.bundler.waitForReceipt(hash, cfg.inclusionTimeoutMs ?? 30_000);
  if (!receipt.success) throw new UserOpRevertedError(hash, receipt.transactionHash);
  return receipt;
}

/** Build, sponsor, sign and submit `calls` from the burner's account; waits for inclusion. */
export async function sendSponsored(cfg: SponsorConfig, burnerKey: string, calls: Call[]): Promise<UserOpReceipt> {
  const op = await draftSponsored(cfg, burnerKey, calls);
  return submitSponsored(cfg, burnerKey, { ...op, paymasterData: await requestSponsorship(cfg, op) });
}

const market = new Interface([
  "function buy(uint64 modelId, address currency, address recipient, bytes deploymentParams, bytes pluginData) payable returns (uint256)",
  "event Purchased(uint256 indexed keyId, uint64 indexed modelId, address indexed buyer, address recipient, address currency, uint256 keyPrice, uint256 deploymentEscrow, bytes deploymentParams)",
]);
const erc20 = new Interface(["function approve(address spender, uint256 amount) returns (bool)"]);
const keyNft = new Interface([
  "function transferFrom(address from, address to, uint256 tokenId)",
  "function moveTo(uint256 keyId, uint32 toChain, (uint8 family, bytes32 addr) owner)",
]);

/** The calls of a purchase of a key of `modelId` in the ERC-20 `currency` for `account` (approve + buy). */
export function buyCalls(p: { market: string; modelId: bigint; currency: string; price: bigint }, account: string): Call[] {
  return [
    { to: p.currency, data: erc20.encodeFunctionData("approve", [p.market, p.price]) },
    { to: p.market, data: market.encodeFunctionData("buy", [p.modelId, p.currency, account, "0x", "0x"]) },
  ];
}

/**
 * Buy a key of `modelId` paid in the ERC-20 `currency` from the burner's account (approve + buy
 * in one operation); returns the receipt and the new key's id.
 */
export async function buyKeySponsored(
  cfg: SponsorConfig,
  burnerKey: string,
  p: { market: string; modelId: bigint; currency: string; price: bigint },
): Promise<{ receipt: UserOpReceipt; keyId: bigint; account: string }> {
  const account = await accountOf(cfg, burnerSigner(burnerKey).address);
  const receipt = await sendSponsored(cfg, burnerKey, buyCalls(p, account));
  const topic = market.getEvent("Purchased")!.topicHash;
  const log = receipt.logs.find((l) => l.address.toLowerCase() === p.market.toLowerCase() && l.topics[0] === topic);
  if (!log) throw new UserOpRevertedError(receipt.userOpHash, receipt.transactionHash);
  return { receipt, keyId: BigInt(log.topics[1]), account };
}

/** Hand the burner's key to a real wallet. */
export async function transferKeySponsored(
  cfg: SponsorConfig,
  burnerKey: string,
  p: { collection: string; keyId: bigint; to: string },
): Promise<UserOpReceipt> {
  const account = await accountOf(cfg, burnerSigner(burnerKey).address);
  return sendSponsored(cfg, burnerKey, [
    { to: p.collection, data: keyNft.encodeFunctionData("transferFrom", [account, p.to, p.keyId]) },
  ]);
}

/** Move the burner's key to another chain, to `owner` (an EVM address there). */
export async function moveKeySponsored(
  cfg: SponsorConfig,
  burnerKey: string,
  p: { collection: string; keyId: bigint; toChain: number; owner: string },
): Promise<UserOpReceipt> {
  return sendSponsored(cfg, burnerKey, [
    { to: p.collection, data: keyNft.encodeFunctionData("moveTo", [p.keyId, p.toChain, toSolAccount(evmAccount(p.owner))]) },
  ]);
}

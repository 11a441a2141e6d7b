// Sending transactions the way every action does: simulate first (so a revert is reported by its
// custom error's name before any gas is spent), check funds, approve ERC-20 spending, decode
// events. Currency helpers (symbol, decimals, balances) live here too.
import type { ContractTransactionResponse, Interface, Signer, TransactionReceipt } from "ethers";
import { Contract, formatUnits, ZeroAddress } from "ethers";
import type { HexsContracts } from "./contracts";
import { revertDataOf } from "./errors";
import { InsufficientFundsError, InvalidParamsError, RevertError } from "./actions/errors";

/** The native coin, as the market's currency argument. */
export const NATIVE = ZeroAddress;

/** Progress lines an action reports while it runs (transaction hashes, approvals); optional. */
export type Log = (line: string) => void;

export interface ActionOptions {
  log?: Log;
}

export interface CurrencyInfo {
  address: string;
  symbol: string;
  decimals: number;
  native: boolean;
}

export const NATIVE_INFO: CurrencyInfo = { address: NATIVE, symbol: "ETH", decimals: 18, native: true };

const ERC20_ABI = [
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
  "function balanceOf(address) view returns (uint256)",
  "function allowance(address,address) view returns (uint256)",
  "function approve(address,uint256) returns (bool)",
];

/** Symbol and decimals of a currency; fails if a token address holds no ERC-20. */
export async function currencyInfo(c: HexsContracts, currency: string): Promise<CurrencyInfo> {
  if (currency === NATIVE) return NATIVE_INFO;
  if ((await c.provider.getCode(currency)) === "0x") {
    throw new InvalidParamsError(
      `bad --currency ${currency}: no contract at that address on '${c.chain.name}' (use 'native' or a deployed ERC-20)`,
    );
  }
  const token = new Contract(currency, ERC20_ABI, c.provider);
  try {
    const [symbol, decimals] = await Promise.all([token.symbol() as Promise<string>, token.decimals() as Promise<bigint>]);
    return { address: currency, symbol, decimals: Number(decimals), native: false };
  } catch {
    throw new InvalidParamsError(
      `bad --currency ${currency}: the contract there does not answer symbol()/decimals() like an ERC-20`,
    );
  }
}

/** `1.5 ETH`, `12.5 TUSDC`. */
export function fmt(amount: bigint, c: CurrencyInfo): string {
  return `${formatUnits(amount, c.decimals)} ${c.symbol}`;
}

export async function balanceOf(c: HexsContracts, cur: CurrencyInfo, account: string): Promise<bigint> {
  if (cur.native) return c.provider.getBalance(account);
  const token = new Contract(cur.address, ERC20_ABI, c.provider);
  return (await token.balanceOf(account)) as bigint;
}

/** Approve `spender` for `amount` of a token when the allowance is short; returns the approval's hash, if one was sent. */
export async function ensureAllowance(
  cur: CurrencyInfo,
  signer: Signer,
  spender: string,
  amount: bigint,
  log?: Log,
): Promise<string | undefined> {
  if (cur.native || amount === 0n) return undefined;
  const token = new Contract(cur.address, ERC20_ABI, signer);
  const owner = await signer.getAddress();
  const allowance = (await token.allowance(owner, spender)) as bigint;
  if (allowance >= amount) return undefined;
  const tx = (await token.approve(spender, amount)) as ContractTransactionResponse;
  const receipt = await tx.wait();
  log?.(`  approved ${fmt(amount, cur)} to the market (tx ${tx.hash}, gas ${receipt?.gasUsed ?? "?"})`);
  return tx.hash;
}

/**
 * Check that `account` can pay `value` (in `cur`) plus gas for a transaction before sending it.
 * `gasLimit` is an estimate; the native check covers value + gas when paying natively.
 */
export async function requireFunds(
  c: HexsContracts,
  cur: CurrencyInfo,
  account: string,
  value: bigint,
  gasLimit: bigint,
): Promise<void> {
  const fee = await c.provider.getFeeData();
  const gasPrice = fee.maxFeePerGas ?? fee.gasPrice ?? 0n;
  const gasCost = gasLimit * gasPrice;
  const eth = NATIVE_INFO;
  const nativeBalance = await c.provider.getBalance(account);
  const nativeNeed = gasCost + (cur.native ? value : 0n);
  if (!cur.native) {
    const tokenBalance = await balanceOf(c, cur, account);
    if (tokenBalance < value) {
      throw new InsufficientFundsError(
        `insufficient funds: ${account} holds ${fmt(tokenBalance, cur)} but needs ${fmt(value, cur)}. Fund the account or use --from with another one.`,
      );
    }
  }
  if (nativeBalance < nativeNeed) {
    throw new InsufficientFundsError(
      `insufficient funds: ${account} has ${fmt(nativeBalance, eth)} but needs ${fmt(nativeNeed, eth)}` +
        (cur.native && value > 0n ? ` (${fmt(value, eth)} payment + ~${fmt(gasCost, eth)} gas)` : " for gas") +
        ". Fund the account or use --from with another one.",
    );
  }
}

/**
 * Name a custom error from a failed call using the given contract interfaces, e.g.
 * `NotCreator(4294967297, 0xabc…)`. Falls back to the error's own message.
 */
export function describeRevert(err: unknown, interfaces: readonly Interface[]): string {
  const data = revertDataOf(err);
  if (data) {
    for (const iface of interfaces) {
      try {
        const parsed = iface.parseError(data);
        if (parsed) {
          const args = parsed.args.map((a: unknown) => (typeof a === "bigint" ? a.toString() : String(a)));
          let text = `${parsed.name}(${args.join(", ")})`;
          // Plugins' reasons come wrapped in PluginRejected(plugin, reason): decode the reason too.
          if (parsed.name === "PluginRejected" && typeof parsed.args[1] === "string") {
            text += ` → ${describeRevert({ data: parsed.args[1] }, interfaces)}`;
          }
          return text;
        }
      } catch {
        // not this interface
      }
    }
    return `revert data ${data}`;
  }
  if (err instanceof Error) {
    const m = /reverted with (?:reason string|custom error) (.*)$/m.exec(err.message);
    return m ? m[1] : err.message.split("\n")[0];
  }
  return String(err);
}

export interface TxReport {
  hash: string;
  gasUsed: bigint;
  receipt: TransactionReceipt;
}

/**
 * Send a transaction after simulating it, so a revert is reported by its custom error name
 * before any gas is spent; logs its hash and gas.
 */
export async function send(
  c: HexsContracts,
  label: string,
  simulate: () => Promise<unknown>,
  sendTx: () => Promise<ContractTransactionResponse>,
  log?: Log,
): Promise<TxReport> {
  try {
    await simulate();
  } catch (e) {
    throw new RevertError(`${label} would revert: ${describeRevert(e, c.errorInterfaces)}`, e);
  }
  let tx: ContractTransactionResponse;
  try {
    tx = await sendTx();
  } catch (e) {
    throw new RevertError(`${label} failed: ${describeRevert(e, c.errorInterfaces)}`, e);
  }
  const receipt = await tx.wait();
  if (!receipt || receipt.status !== 1) throw new RevertError(`${label} reverted on chain (tx ${tx.hash})`);
  log?.(`  ${label}: tx ${tx.hash} (block ${receipt.blockNumber}, gas ${receipt.gasUsed})`);
  return { hash: tx.hash, gasUsed: receipt.gasUsed, receipt };
}

/** Decode the first event named `name` in a receipt (only logs of `address`, when given). */
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

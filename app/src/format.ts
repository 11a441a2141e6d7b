import { formatEther, getAddress } from "ethers";
import { NATIVE } from "../../sdk/tx";

export const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;

/** A price for people: `0.02 ETH` for the native coin, base units and the token's address otherwise. */
export function formatPrice(amount: string | bigint, currency: string): string {
  if (currency.toLowerCase() === NATIVE) return `${formatEther(BigInt(amount))} ETH`;
  return `${BigInt(amount)} of token ${short(currency)}`;
}

export const pct = (bps: number | null | undefined) => (bps == null ? "?" : `${bps / 100}%`);

/** An address as people see it in wallets (EIP-55 checksum). */
export const checksum = (a: string) => {
  try {
    return getAddress(a);
  } catch {
    return a;
  }
};

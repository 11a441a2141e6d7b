// Fixed dev keys of the sponsored-purchase setups (devnet/aa stand and `npm run devnet`): never for real funds.
import { HDNodeWallet, keccak256, toUtf8Bytes, Wallet } from "ethers";

const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Account `i` of the dev mnemonic (funded on every hardhat node). */
export function devAccount(i: number): HDNodeWallet {
  return HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
}

/** The policy signer's key. */
export const POLICY_SIGNER = new Wallet(keccak256(toUtf8Bytes("hexs devnet aa policy signer")));

/** alto's executors (they send the bundles) and its utility account: dev accounts no devnet actor uses. */
export const ALTO_EXECUTORS = [5, 6];
export const ALTO_UTILITY = 8;

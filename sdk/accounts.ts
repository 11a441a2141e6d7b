// Accounts across chain families. The codec's `Account` (family + raw address bytes) is the one
// representation; these helpers convert to and from what each family's users write: a checksummed
// EVM address, a bech32 Cosmos address, or the CLI form `family:0x…`.
import { fromBech32, toBech32 } from "@cosmjs/encoding";
import type { Signer } from "ethers";
import {
  computeAddress,
  getAddress,
  getBytes,
  hashMessage,
  hexlify,
  isAddress,
  isHexString,
  ripemd160,
  sha256,
  SigningKey,
  zeroPadValue,
} from "ethers";
import { ACCOUNT_LENGTH, AccountFamily, type Account } from "../codec";
import { HexsError } from "./errors";

export { AccountFamily, ACCOUNT_LENGTH, type Account };

/** A string that is not an account of the expected form; the message says why. */
export class InvalidAccountError extends HexsError {
  constructor(message: string) {
    super("invalid_account", message);
  }
}

const FAMILY_NAMES: Record<string, AccountFamily> = {
  evm: AccountFamily.Evm,
  cosmos: AccountFamily.Cosmos,
  cosmwasm: AccountFamily.CosmWasm,
};

/** An EVM address as an Account. */
export function evmAccount(address: string): Account {
  if (!isAddress(address)) throw new InvalidAccountError(`not an EVM address: '${address}' (expected 0x + 40 hex digits)`);
  return { family: AccountFamily.Evm, address: address.toLowerCase() };
}

/**
 * A bech32 Cosmos address as an Account: 20 bytes is a user account (Cosmos family), 32 bytes a
 * contract (CosmWasm family).
 */
export function cosmosAccount(bech32: string): Account {
  let data: Uint8Array;
  try {
    ({ data } = fromBech32(bech32, 1023));
  } catch (e) {
    throw new InvalidAccountError(`not a bech32 address: '${bech32}' (${(e as Error).message})`);
  }
  if (data.length === 20) return { family: AccountFamily.Cosmos, address: hexlify(data) };
  if (data.length === 32) return { family: AccountFamily.CosmWasm, address: hexlify(data) };
  throw new InvalidAccountError(`bech32 address '${bech32}' holds ${data.length} bytes; accounts have 20, contracts 32`);
}

/** The message `cosmosAccountOfSigner` has signed to learn the signer's public key. */
export const COSMOS_ACCOUNT_CHALLENGE = "Hexs: show the Cosmos account of this key (this signature authorizes nothing)";

/**
 * The Cosmos account (ripemd160(sha256(compressed secp256k1 public key)), as a Cosmos SDK chain
 * derives it) of the key behind an EVM signer: the same key holds both. The public key is
 * recovered from the signer's signature over COSMOS_ACCOUNT_CHALLENGE, a fixed text that no
 * contract accepts, so the signature grants nothing.
 */
export async function cosmosAccountOfSigner(signer: Signer): Promise<Account> {
  const signature = await signer.signMessage(COSMOS_ACCOUNT_CHALLENGE);
  const publicKey = SigningKey.recoverPublicKey(hashMessage(COSMOS_ACCOUNT_CHALLENGE), signature);
  if (computeAddress(publicKey) !== getAddress(await signer.getAddress())) {
    throw new InvalidAccountError("the signer's signature is not from its own key: cannot derive its Cosmos account");
  }
  const compressed = SigningKey.computePublicKey(publicKey, true);
  return { family: AccountFamily.Cosmos, address: ripemd160(sha256(compressed)) };
}

/** The checksummed EVM address of an EVM-family account. */
export function toEvmAddress(a: Account): string {
  if (a.family !== AccountFamily.Evm) throw new InvalidAccountError(`a ${AccountFamily[a.family]} account has no EVM address`);
  return getAddress(a.address);
}

/** The bech32 address of a Cosmos or CosmWasm account, with the chain's prefix (e.g. "wasm"). */
export function toBech32Address(a: Account, prefix: string): string {
  if (a.family === AccountFamily.Evm) throw new InvalidAccountError("an EVM account has no bech32 address");
  return toBech32(prefix, getBytes(a.address));
}

/**
 * An account written as an EVM address (`0x` + 40 hex) or `family:0x…` with family evm, cosmos
 * (20 bytes) or cosmwasm (32 bytes). The error message says what is wrong, e.g.
 * "a Cosmos account has 20 bytes, got 32".
 */
export function parseAccount(value: string): Account {
  const v = value.trim();
  const m = /^(evm|cosmos|cosmwasm):(0x[0-9a-fA-F]+)$/.exec(v);
  const family = m ? FAMILY_NAMES[m[1]] : AccountFamily.Evm;
  const hex = m ? m[2] : v;
  if (!isHexString(hex) || (family === AccountFamily.Evm && !isAddress(hex))) {
    throw new InvalidAccountError(
      "expected an EVM address (0x + 40 hex digits) or family:0x… (cosmos: 20 bytes, cosmwasm: 32 bytes)",
    );
  }
  const len = (hex.length - 2) / 2;
  if (len !== ACCOUNT_LENGTH[family])
    throw new InvalidAccountError(`a ${AccountFamily[family]} account has ${ACCOUNT_LENGTH[family]} bytes, got ${len}`);
  if (BigInt(hex) === 0n) throw new InvalidAccountError("the zero account cannot receive anything");
  return { family, address: hex.toLowerCase() };
}

/** The `family:0x…` form parseAccount reads (plain address for EVM). */
export function formatAccount(a: Account): string {
  return a.family === AccountFamily.Evm ? getAddress(a.address) : `${AccountFamily[a.family].toLowerCase()}:${a.address}`;
}

/** The Solidity struct HexsCodec.Account: family and the address right-aligned in a bytes32. */
export function toSolAccount(a: Account): { family: number; addr: string } {
  return { family: a.family, addr: zeroPadValue(a.address, 32) };
}

/** Whether two accounts are the same (family and address bytes). */
export function sameAccount(a: Account, b: Account): boolean {
  return a.family === b.family && a.address.toLowerCase() === b.address.toLowerCase();
}

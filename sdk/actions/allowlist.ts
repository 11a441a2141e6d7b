// The AllowlistPlugin's Merkle tree: leaves keccak256(keccak256(abi.encode(address))) (double
// hashed, as the plugin checks), inner nodes keccak256 of the two children in ascending order (OZ
// MerkleProof's commutative hashing). The root goes into the plugin's configuration; a buyer's
// proof goes into buy's `allowlistProof`.
import { AbiCoder, concat, getAddress, isAddress, keccak256 } from "ethers";
import { InvalidParamsError } from "./errors";

const coder = AbiCoder.defaultAbiCoder();

export function allowlistLeaf(account: string): string {
  return keccak256(keccak256(coder.encode(["address"], [account])));
}

const pair = (a: string, b: string) => (BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a])));

/** The tree's layers, leaves first (deduplicated, checksummed, sorted so the root does not depend on order). */
function layersOf(accounts: string[]): string[][] {
  const bad = accounts.find((a) => !isAddress(a));
  if (bad !== undefined) throw new InvalidParamsError(`bad allowlist entry '${bad}': expected an address (0x + 40 hex digits)`);
  const unique = [...new Set(accounts.map((a) => getAddress(a)))].sort();
  if (unique.length === 0) throw new InvalidParamsError("the allowlist names no address");
  const layers = [unique.map(allowlistLeaf)];
  while (layers[layers.length - 1].length > 1) {
    const prev = layers[layers.length - 1];
    const next: string[] = [];
    for (let i = 0; i < prev.length; i += 2) next.push(i + 1 < prev.length ? pair(prev[i], prev[i + 1]) : prev[i]);
    layers.push(next);
  }
  return layers;
}

/** The Merkle root of an allowlist of addresses (order and duplicates do not matter). */
export function allowlistRoot(accounts: string[]): string {
  const layers = layersOf(accounts);
  return layers[layers.length - 1][0];
}

/** The proof that `account` is on the allowlist, for buy's `allowlistProof`. */
export function allowlistProof(accounts: string[], account: string): string[] {
  const layers = layersOf(accounts);
  let index = layers[0].indexOf(allowlistLeaf(account));
  if (index < 0) throw new InvalidParamsError(`${account} is not on the allowlist`);
  const proof: string[] = [];
  for (const layer of layers.slice(0, -1)) {
    if ((index ^ 1) < layer.length) proof.push(layer[index ^ 1]);
    index >>= 1;
  }
  return proof;
}

// The AllowlistPlugin's Merkle tree: leaves keccak256(keccak256(abi.encode(address))) (double
// hashed, as the plugin checks), inner nodes keccak256 of the two children in ascending order (OZ
// MerkleProof's commutative hashing). The root goes into the plugin's configuration; a buyer's
// proof goes into buy's `allowlistProof`.
import { AbiCoder, concat, getAddress, isAddress, keccak256, ZeroHash, type Signer } from "ethers";
import { keysOf, type HexsContracts } from "../contracts";
import { formatId } from "../ids";
import { send, type ActionOptions } from "../tx";
import { requireCreator } from "./common";
import { InvalidParamsError, NotAllowedError, NotFoundError, StateError } from "./errors";

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

/**
 * The allowlist root a model's keys check on this chain, or undefined when its keys carry no
 * allowlist plugin (anyone may buy).
 */
export async function allowlistRootOf(c: HexsContracts, modelId: bigint): Promise<string | undefined> {
  const keys = await keysOf(c, modelId);
  const plugin = (await c.plugins.allowlist.getAddress()).toLowerCase();
  const attached = (await keys.plugins()).some((p) => p.toLowerCase() === plugin);
  if (!attached) return undefined;
  const root = await c.plugins.allowlist.rootOf(await keys.getAddress());
  return root === ZeroHash ? undefined : root;
}

/**
 * The allowlist a model publishes in its metadata (`allowlist`: addresses, in the JSON of a
 * `data:application/json,` metadata URI, as the studio writes it), or undefined when it names none.
 */
export function allowlistFromMetadata(metadataUri: string | null | undefined): string[] | undefined {
  const prefix = "data:application/json,";
  if (!metadataUri?.startsWith(prefix)) return undefined;
  let meta: unknown;
  try {
    meta = JSON.parse(decodeURIComponent(metadataUri.slice(prefix.length)));
  } catch {
    return undefined;
  }
  const list = (meta as { allowlist?: unknown } | null)?.allowlist;
  return Array.isArray(list) && list.every((a) => typeof a === "string") ? (list as string[]) : undefined;
}

/**
 * The proof `account` needs to buy a key of a model whose keys check `root`, from the list the
 * model publishes. Refuses before anything is signed: no published list, a list that does not
 * hash to the root on chain (the proof would be refused), or an account not on it.
 */
export function allowlistProofFor(modelId: bigint, accounts: string[] | undefined, root: string, account: string): string[] {
  if (!accounts?.length)
    throw new NotFoundError(
      `model ${formatId(modelId)} sells keys only to its allowlist, and its metadata publishes no list to prove membership with`,
    );
  if (allowlistRoot(accounts).toLowerCase() !== root.toLowerCase())
    throw new StateError(
      `model ${formatId(modelId)}'s published allowlist does not match the root its keys check (${root}): its creator must publish the current list`,
    );
  if (!layersOf(accounts)[0].includes(allowlistLeaf(account)))
    throw new NotAllowedError(
      `${getAddress(account)} is not allowed by the model's allowlist: only listed accounts may buy its keys`,
    );
  return allowlistProof(accounts, account);
}

const METADATA_PREFIX = "data:application/json,";

/**
 * `metadataUri` with `accounts` published as its `allowlist` (checksummed, deduplicated, sorted:
 * the order the root does not depend on). Only a `data:application/json,` URI (or none) can carry
 * it; an external document (ipfs://, https://) must be edited where it lives.
 */
export function metadataWithAllowlist(metadataUri: string | null | undefined, accounts: string[]): string {
  layersOf(accounts); // refuses a bad address or an empty list
  const list = [...new Set(accounts.map((a) => getAddress(a)))].sort();
  let meta: Record<string, unknown> = {};
  if (metadataUri) {
    if (!metadataUri.startsWith(METADATA_PREFIX))
      throw new StateError(
        `the model's metadata is an external document (${metadataUri.slice(0, 40)}…): add "allowlist": [${list.length} addresses] there`,
      );
    try {
      const parsed = JSON.parse(decodeURIComponent(metadataUri.slice(METADATA_PREFIX.length))) as unknown;
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) meta = parsed as Record<string, unknown>;
    } catch {
      throw new StateError("the model's metadata is not valid JSON: fix it before publishing an allowlist in it");
    }
  }
  return `${METADATA_PREFIX}${encodeURIComponent(JSON.stringify({ ...meta, allowlist: list }))}`;
}

/**
 * Publish a model's allowlist in its metadata on its home chain (the registry's `update`, same
 * content and SDL), so buyers' pages can prove membership (`allowlistFromMetadata`). The creator
 * only; refused before signing when the list does not hash to `expectedRoot` (when given: the root
 * the keys check) or the metadata cannot carry it.
 */
export async function publishAllowlist(
  c: HexsContracts,
  signer: Signer,
  p: { modelId: bigint; accounts: string[]; expectedRoot?: string },
  o: ActionOptions = {},
): Promise<{ metadataUri: string; txHash: string }> {
  await requireCreator(c, p.modelId, signer);
  if (p.expectedRoot && allowlistRoot(p.accounts).toLowerCase() !== p.expectedRoot.toLowerCase())
    throw new InvalidParamsError(
      `the list does not hash to the allowlist root ${p.expectedRoot}: buyers' proofs would be refused`,
    );
  const m = await c.registry.model(p.modelId);
  if (m.retired) throw new StateError(`model ${formatId(p.modelId)} is retired: its metadata can no longer change`);
  const metadataUri = metadataWithAllowlist(m.metadataUri, p.accounts);
  const r = c.registry.connect(signer);
  const rep = await send(
    c,
    `publish the allowlist of model ${formatId(p.modelId)} (${allowlistFromMetadata(metadataUri)!.length} addresses) in its metadata`,
    () => r.update.staticCall(p.modelId, m.contentCommitment, m.sdlLocator, metadataUri),
    () => r.update(p.modelId, m.contentCommitment, m.sdlLocator, metadataUri),
    o.log,
  );
  return { metadataUri, txHash: rep.hash };
}

// The steps a publish runs around the registry transaction, and the holder's decrypt:
//   sealSdl      validate → encrypt → upload (shards to the five stores, owner-only access)
//   (registry.publish with the returned commitment and locator deploys the key collection)
//   grantKeyHolders   set the access conditions: a live key of the model on any listed chain
//   decryptForHolder  (client.ts) a holder's signed challenge → 3 shards → checked key → SDL
import { anyOf, cosmwasmKeyCondition, evmKeyCondition } from "./conditions";
import type { AccessCondition } from "./conditions";
import { encryptAndUpload, parseLocator } from "./client";
import type { EncryptedUpload, Holder, KeyServiceClient } from "./client";
import { contentCommitment } from "./commitment";
import { refuse } from "./errors";
import { imageDigestOf, validateSdl } from "./sdl";
import type { AkashNetwork, ValidSdl } from "./sdl";

export interface SealedSdl {
  sdl: ValidSdl;
  upload: EncryptedUpload;
  imageDigest: string;
  /** HexsRegistry.commitment(sha256(encrypted SDL), imageDigest). */
  contentCommitment: string;
}

export async function sealSdl(
  client: KeyServiceClient,
  owner: Holder,
  sdlText: string,
  o: { imageDigest?: string; network?: AkashNetwork; source?: string } = {},
): Promise<SealedSdl> {
  const sdl = validateSdl(sdlText, o.network ?? "mainnet", o.source ?? "SDL");
  const imageDigest = imageDigestOf(sdl, o.imageDigest);
  const upload = await encryptAndUpload(client, owner, Buffer.from(sdlText, "utf8"));
  return { sdl, upload, imageDigest, contentCommitment: contentCommitment(upload.encryptedSha256, imageDigest) };
}

export interface KeyLocations {
  /** The model's KeyNFT collection on each EVM chain where keys can be bought. */
  evm?: Array<{ chain: string; keyNft: string }>;
  /** The Hexs CosmWasm contract (the mirror of every chain's keys) on each CosmWasm chain. */
  cosmwasm?: Array<{ chain: string; contract: string; modelId: bigint | string }>;
}

export function keyHolderConditions(where: KeyLocations): { conditions: AccessCondition[]; aggregator?: string } {
  const list: AccessCondition[] = [
    ...(where.evm ?? []).map((e) => evmKeyCondition(0, e.chain, e.keyNft)),
    ...(where.cosmwasm ?? []).map((c) => cosmwasmKeyCondition(0, c.chain, c.contract, c.modelId)),
  ];
  if (list.length === 0) refuse("bad_request", "name at least one chain where the model's keys live");
  return anyOf(list);
}

/** Let every holder of a live key of the model decrypt the SDL at `locator`. Owner only. */
export async function grantKeyHolders(
  client: KeyServiceClient,
  owner: Holder,
  locator: string,
  where: KeyLocations,
): Promise<void> {
  await client.setConditions(owner, parseLocator(locator).cid, keyHolderConditions(where));
}

/**
 * Let the relayer operators decrypt the SDL at `locator` (owner only): the lease pipeline decrypts
 * as the operator's key when a buyer asks for a deployment. Operators are EVM addresses (the
 * relayer's operator key; `relayer keys` prints it). Key holders are admitted by the conditions.
 */
export async function grantOperators(
  client: KeyServiceClient,
  owner: Holder,
  locator: string,
  operators: string[],
): Promise<void> {
  await client.share(owner, parseLocator(locator).cid, operators);
}

/**
 * Revoke operators' decrypt grant for the SDL at `locator` (owner only): the lease pipeline of a
 * revoked operator can no longer decrypt it. Rotating operators is `revokeOperators` of the old
 * ones and `grantOperators` of the new ones.
 */
export async function revokeOperators(
  client: KeyServiceClient,
  owner: Holder,
  locator: string,
  operators: string[],
): Promise<void> {
  await client.unshare(owner, parseLocator(locator).cid, operators);
}

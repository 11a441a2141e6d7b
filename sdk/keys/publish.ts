// The steps a publish runs around the registry transaction, and the holder's decrypt:
//   sealSdl      validate → encrypt → upload (shards to the five stores, owner-only access)
//   (registry.publish with the returned commitment and locator deploys the key collection)
//   grantKeyHolders   set the access conditions: a live key of the model on any listed chain
//   decryptForHolder  (client.ts) a holder's signed challenge → 3 shards → checked key → SDL
import { parseLocator } from "./client";
import type { Holder, KeyServiceClient } from "./client";
import { NODE_SDL_TOOLS } from "./sdl";
import type { AkashNetwork } from "./sdl";
import { sealSdlWith, type SealedSdl } from "./seal";

export { grantKeyHolders, grantOperators, keyHolderConditions } from "./seal";
export type { KeyLocations, SealedSdl } from "./seal";

export async function sealSdl(
  client: KeyServiceClient,
  owner: Holder,
  sdlText: string,
  o: { imageDigest?: string; network?: AkashNetwork; source?: string } = {},
): Promise<SealedSdl> {
  return sealSdlWith(NODE_SDL_TOOLS, client, owner, sdlText, o);
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

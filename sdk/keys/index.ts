// Key service and encryption: see README.md in this folder.
export * from "./errors";
export { parseAccount, signAdr36, adr36SignDoc, checkLoginChallenge } from "./challenge";
export { verifyHolderSignature } from "./auth";
export type { Account, AccountFamily } from "./challenge";
export { cidOf, parseRawCid, verifyCid } from "./cid";
export { ContentStore } from "./content-store";
export { anyOf, cosmwasmKeyCondition, evmKeyCondition, parseAggregator, validateConditions, ChainAccess } from "./conditions";
export type { AccessCondition, ChainConfig, ConditionSet } from "./conditions";
export { generateKey, keyCheck, recoverMasterKey, reshare, verifySplit, THRESHOLD, SHARES } from "./threshold";
export type { KeyShard } from "./threshold";
export { decryptSdl, encryptAndUpload, evmHolder, formatLocator, KeyServiceClient, localEndpoints, parseLocator } from "./client";
export type { EncryptedUpload, Endpoints, Holder, OwnershipClaim, SdlLocator, StoreEndpoint } from "./client";
export {
  checkRequestChallenge,
  formatRequestChallenge,
  newRequestChallenge,
  newTransportKey,
  parseRequestChallenge,
  seal,
  open as openSealed,
} from "./transport";
export type { RequestChallenge, StoreId, StoreOperation } from "./transport";
export { LIGHTHOUSE, pointSdkAt } from "./sdk";
export { imageDigestOf, validateSdl } from "./sdl";
export { sealSdlWith, validateSdlWith } from "./seal";
export type { SdlTools } from "./seal";
export type { SdlImage, ValidSdl } from "./sdl";
export { contentCommitment } from "./commitment";
export { grantKeyHolders, grantOperators, keyHolderConditions, revokeOperators, sealSdl } from "./publish";
export type { KeyLocations, SealedSdl } from "./publish";
export { encryptFile, decryptFile } from "./file-cipher";

import { decryptSdl, type Holder, type KeyServiceClient } from "./client";
/** decryptSdl for Node callers, as a Buffer. */
export async function decryptForHolder(client: KeyServiceClient, holder: Holder, locator: string): Promise<Buffer> {
  return Buffer.from(await decryptSdl(client, holder, locator));
}

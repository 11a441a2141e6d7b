// Key service and encryption: see README.md in this folder.
export * from "./errors";
export { parseAccount, signAdr36, adr36SignDoc, verifyHolderSignature, checkLoginChallenge } from "./auth";
export type { Account, AccountFamily } from "./auth";
export { cidOf, parseRawCid, verifyCid, ContentStore } from "./cid";
export { anyOf, cosmwasmKeyCondition, evmKeyCondition, parseAggregator, validateConditions, ChainAccess } from "./conditions";
export type { AccessCondition, ChainConfig, ConditionSet } from "./conditions";
export { generateKey, keyCheck, recoverMasterKey, reshare, verifySplit, THRESHOLD, SHARES } from "./threshold";
export type { KeyShard } from "./threshold";
export {
  decryptForHolder,
  encryptAndUpload,
  evmHolder,
  formatLocator,
  KeyServiceClient,
  localEndpoints,
  parseLocator,
} from "./client";
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
export type { SdlImage, ValidSdl } from "./sdl";
export { contentCommitment } from "./commitment";
export { grantKeyHolders, grantOperators, keyHolderConditions, sealSdl } from "./publish";
export type { KeyLocations, SealedSdl } from "./publish";

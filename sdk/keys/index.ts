// Key service and encryption: see README.md in this folder.
export * from "./errors";
export { parseAccount, signAdr36, adr36SignDoc, verifyHolderSignature } from "./auth";
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
export type { EncryptedUpload, Endpoints, Holder, SdlLocator } from "./client";
export { LIGHTHOUSE, pointSdkAt } from "./sdk";
export { imageDigestOf, validateSdl } from "./sdl";
export type { SdlImage, ValidSdl } from "./sdl";
export { contentCommitment } from "./commitment";
export { grantKeyHolders, grantOperators, keyHolderConditions, sealSdl } from "./publish";
export type { KeyLocations, SealedSdl } from "./publish";

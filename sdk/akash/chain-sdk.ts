// The one place that loads @akashnetwork/chain-sdk (pinned exactly: 1.0.0-alpha.25).
//
// The package ships types only through its `exports` map, which this repository's
// `moduleResolution: node` cannot read; the runtime `require` resolves fine (CommonJS build).
// So the modules are required here and typed from the package's own declaration files.
// Every other file imports chain-sdk through this module.

import fs from "node:fs";
import path from "node:path";

type Root = typeof import("../../node_modules/@akashnetwork/chain-sdk/dist/types/index");
type Web = typeof import("../../node_modules/@akashnetwork/chain-sdk/dist/types/index.web");
type ProtoV1beta4 = typeof import("../../node_modules/@akashnetwork/chain-sdk/dist/types/generated/protos/index.akash.v1beta4");
type ProtoV1beta5 = typeof import("../../node_modules/@akashnetwork/chain-sdk/dist/types/generated/protos/index.akash.v1beta5");
type ProtoV1 = typeof import("../../node_modules/@akashnetwork/chain-sdk/dist/types/generated/protos/index.akash.v1");

export const PINNED_CHAIN_SDK_VERSION = "1.0.0-alpha.25";

const installed = installedVersion();
if (installed !== PINNED_CHAIN_SDK_VERSION) {
  throw new Error(
    `@akashnetwork/chain-sdk ${installed} is installed but the lease pipeline is pinned to ${PINNED_CHAIN_SDK_VERSION} ` +
      `(manifest hashes are checked against Go golden data for that version). Run 'npm ci'.`,
  );
}

function installedVersion(): string {
  // the exports map hides package.json: find it above the resolved entry point
  let dir = path.dirname(require.resolve("@akashnetwork/chain-sdk"));
  while (!fs.existsSync(path.join(dir, "package.json")) || path.basename(dir) === "cjs" || path.basename(dir) === "dist")
    dir = path.dirname(dir);
  return (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version;
}

export const chainSdk: Root = require("@akashnetwork/chain-sdk");
export const chainSdkWeb: Web = require("@akashnetwork/chain-sdk/web");
/** akash.deployment.v1beta4 / akash.provider.v1beta4 */
export const v1beta4: ProtoV1beta4 = require("@akashnetwork/chain-sdk/private-types/akash.v1beta4");
/** akash.market.v1beta5 */
export const v1beta5: ProtoV1beta5 = require("@akashnetwork/chain-sdk/private-types/akash.v1beta5");
/** akash.escrow.v1, akash.market.v1, akash.deployment.v1 (shared types) */
export const akashV1: ProtoV1 = require("@akashnetwork/chain-sdk/private-types/akash.v1");

export type GroupSpec =
  import("../../node_modules/@akashnetwork/chain-sdk/dist/types/generated/protos/akash/deployment/v1beta4/groupspec").GroupSpec;
export type ManifestGroup =
  import("../../node_modules/@akashnetwork/chain-sdk/dist/types/generated/protos/akash/manifest/v2beta3/group").Group;
export type SdlInput = import("../../node_modules/@akashnetwork/chain-sdk/dist/types/sdl/index").SDLInput;
export type ChainNodeWebSdk = ReturnType<Web["createChainNodeWebSDK"]>;
export type StargateTxClient = ReturnType<Root["createStargateClient"]>;
export type TxRaw = import("../../node_modules/@akashnetwork/chain-sdk/dist/types/sdk/transport/tx/TxClient").TxRaw;
export type QueryBid =
  import("../../node_modules/@akashnetwork/chain-sdk/dist/types/generated/protos/akash/market/v1beta5/bid").Bid;
export type JwtPayload =
  import("../../node_modules/@akashnetwork/chain-sdk/dist/types/sdk/provider/auth/jwt/types").JwtTokenPayload;

/** js-yaml ships inside chain-sdk's dependency tree (chain-sdk parses SDL YAML with it too). */
export const yamlLoad: (text: string) => unknown = require("js-yaml").load;

type ProtoCosmosV1beta1 =
  typeof import("../../node_modules/@akashnetwork/chain-sdk/dist/types/generated/protos/index.cosmos.v1beta1");
type ProtoSecp256k1 =
  typeof import("../../node_modules/@akashnetwork/chain-sdk/dist/types/generated/protos/index.cosmos.secp256k1");
/** cosmos.tx / auth / bank / base types (TxRaw, SignDoc, BaseAccount, …) */
export const cosmosV1beta1: ProtoCosmosV1beta1 = require("@akashnetwork/chain-sdk/private-types/cosmos.v1beta1");
export const cosmosSecp256k1: ProtoSecp256k1 = require("@akashnetwork/chain-sdk/private-types/cosmos.secp256k1");

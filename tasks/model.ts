// model:publish, model:fork, model:price, model:show
import { task } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import type { PublishParams, PublishPlugins, PublishResult } from "../sdk/actions/model";
import { cli, fail } from "./lib/errors";
import { loadProtocol, resolveSigner, sdk } from "./lib/context";
import { grantAfterPublish, sdlActions, sealForPublish, withSdlParams } from "./sdl";
import type { SdlArgs, SealedForPublish } from "./sdl";
import { say } from "./lib/log";
import { formatId } from "../sdk/ids";
import {
  contentCommitment,
  parseAmount,
  parseBps,
  parseBytes32,
  parseCurrency,
  parseDuration,
  parseId,
  parseUint,
} from "./lib/parse";

export type { PublishResult };

export interface PublishArgs extends SdlArgs {
  content?: string;
  commitment?: string;
  sdlLocator: string;
  metadataUri: string;
  forkRoyaltyBps?: string;
  daoBps?: string;
  forkable: string;
  royaltyBps?: string;
  soulbound: boolean;
  expiry?: string;
  supplyCap?: string;
  allowlistRoot?: string;
  from?: string;
}

/** With --sdl the task seals the SDL through sdk/node: loaded before the first RPC request. */
const preloadSdl = (a: SdlArgs): Promise<unknown> => (a.sdl ? sdlActions() : Promise.resolve());

function withPublishParams(t: ConfigurableTaskDefinition): ConfigurableTaskDefinition {
  return withSdlParams(t)
    .addOptionalParam("content", "The encrypted SDL file (or any string) whose keccak256 is the content commitment")
    .addOptionalParam("commitment", "The content commitment itself (0x + 64 hex), instead of --content")
    .addOptionalParam("sdlLocator", "Where the encrypted SDL lives, e.g. an IPFS CID", "")
    .addOptionalParam("metadataUri", "Metadata URI shown as each key's tokenURI", "")
    .addOptionalParam("forkRoyaltyBps", "Share of each direct fork's revenue owed to this model, in bps (max 5000)", "1000")
    .addOptionalParam("daoBps", "Share of this model's revenue for its DAO treasury once it has one, in bps (max 4000)", "0")
    .addOptionalParam("forkable", "Whether others may fork the model: true or false", "true")
    .addOptionalParam("royaltyBps", "ERC-2981 royalty on key resales, in bps (max 2500)", "500")
    .addFlag("soulbound", "Make keys soul-bound (SoulboundPlugin; fixed once the first key is sold)")
    .addOptionalParam("expiry", "Subscription keys: each key expires this long after purchase (seconds, or 30d/12h/15m)")
    .addOptionalParam("supplyCap", "Sell at most this many keys (SupplyCapPlugin)")
    .addOptionalParam("allowlistRoot", "Only recipients in this Merkle allowlist may receive keys (root, 0x + 64 hex)")
    .addOptionalParam("from", "Account to sign with: index (0, 1, …) or address among the network's accounts", "0");
}

function parseForkable(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === "true" || v === "yes" || v === "1") return true;
  if (v === "false" || v === "no" || v === "0") return false;
  return fail(`bad --forkable '${value}': expected true or false`);
}

/** The plugins requested by --soulbound / --expiry / --supply-cap / --allowlist-root. */
function pluginOptions(a: PublishArgs): PublishPlugins {
  const plugins: PublishPlugins = {};
  if (a.soulbound) plugins.soulbound = true;
  if (a.allowlistRoot) plugins.allowlistRoot = parseBytes32("allowlist-root", a.allowlistRoot);
  if (a.supplyCap) {
    const cap = parseUint("supply-cap", a.supplyCap, (1n << 64n) - 1n);
    if (cap === 0n) fail("bad --supply-cap '0': a cap must be at least 1");
    plugins.supplyCap = cap;
  }
  if (a.expiry) plugins.expirySeconds = parseDuration("expiry", a.expiry);
  return plugins;
}

async function publishOrFork(hre: HardhatRuntimeEnvironment, a: PublishArgs, parentId?: bigint): Promise<PublishResult> {
  const terms = {
    forkRoyaltyBps: parseBps("fork-royalty-bps", a.forkRoyaltyBps, 5000, 1000),
    daoBps: parseBps("dao-bps", a.daoBps, 4000, 0),
    forkable: parseForkable(a.forkable ?? "true"),
    secondaryRoyaltyBps: parseBps("royalty-bps", a.royaltyBps, 2500, 500),
    plugins: pluginOptions(a),
  };
  const p = await loadProtocol(hre);
  const signer = await resolveSigner(hre, a.from);
  const me = await signer.getAddress();
  let commitment: string;
  let source: string;
  let sealed: SealedForPublish | undefined;
  if (a.sdl) {
    if (a.content || a.commitment || a.sdlLocator)
      fail("--sdl sets the content commitment and SDL locator: drop --content, --commitment and --sdl-locator");
    if (parentId !== undefined) await (await sdk()).requireForkable(p, parentId); // before uploading anything
    sealed = await sealForPublish(hre, a, signer);
    ({ commitment, source } = sealed);
  } else if (a.commitment) {
    if (a.content) fail("give either --content or --commitment, not both");
    commitment = parseBytes32("commitment", a.commitment);
    source = "given";
  } else {
    ({ commitment, source } = contentCommitment(a.content));
  }
  const params: PublishParams = {
    contentCommitment: commitment,
    sdlLocator: sealed?.sdlLocator ?? a.sdlLocator ?? "",
    metadataUri: a.metadataUri ?? "",
    ...terms,
  };
  const { publish, fork } = await sdk();
  const r =
    parentId === undefined
      ? await publish(p, signer, params, { log: say })
      : await fork(p, signer, parentId, params, { log: say });
  say(`model ${formatId(r.modelId)} ${parentId === undefined ? "published" : `forked from ${formatId(parentId)}`} by ${me}`);
  say(
    `  content commitment ${commitment} (${source})${parentId === undefined ? "" : `, parent commitment ${r.parentCommitment}`}`,
  );
  say(
    `  key collection ${r.keys}; fork royalty ${terms.forkRoyaltyBps} bps, DAO ${terms.daoBps} bps, resale royalty ${terms.secondaryRoyaltyBps} bps, forkable ${terms.forkable}`,
  );
  if (r.plugins.length > 0) say(`  plugins: ${r.plugins.join(", ")}`);
  if (sealed) await grantAfterPublish(hre, a, signer, r.modelId, r.keys, sealed.sdlLocator);
  return r;
}

withPublishParams(
  task("model:publish", "Publish a root model: registers its content commitment and deploys its key collection"),
).setAction(cli((a: PublishArgs, hre) => publishOrFork(hre, a), preloadSdl));

withPublishParams(
  task(
    "model:fork",
    "Fork a model: the fork owes its parent the parent's fork royalty and commits to the parent's content",
  ).addParam("parent", "The model to fork (id such as 4294967297 or chain:serial such as 1:1)"),
).setAction(cli((a: PublishArgs & { parent: string }, hre) => publishOrFork(hre, a, parseId("parent", a.parent)), preloadSdl));

export interface PriceArgs {
  model: string;
  currency: string;
  price?: string;
  deploymentPrice: string;
  unlist: boolean;
  from?: string;
}

export type { SetPriceResult as PriceResult } from "../sdk/actions/model";

task("model:price", "Set (or remove with --unlist) the price of a model's keys in one currency; creator only")
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addOptionalParam("currency", "Payment currency: native, or an ERC-20 token address", "native")
  .addOptionalParam("price", "Key price in the currency's units (e.g. 0.01) or base units (e.g. 1000wei)")
  .addOptionalParam("deploymentPrice", "Extra paid when the buyer asks for an Akash deployment (held in escrow)", "0")
  .addFlag("unlist", "Stop selling keys in this currency")
  .addOptionalParam("from", "Account to sign with: index (0, 1, …) or address among the network's accounts", "0")
  .setAction(
    cli(async (a: PriceArgs, hre) => {
      const modelId = parseId("model", a.model);
      const currency = parseCurrency(a.currency);
      const p = await loadProtocol(hre);
      const { currencyInfo, fmt, setPrice } = await sdk();
      const c = await currencyInfo(p, currency);
      const keyPrice = a.unlist ? 0n : parseAmount("price", a.price, c.decimals, c.symbol);
      const deploymentPrice = a.unlist ? 0n : parseAmount("deployment-price", a.deploymentPrice, c.decimals, c.symbol);
      if (keyPrice >= 1n << 128n) fail(`bad --price '${a.price}': larger than uint128`);
      if (deploymentPrice >= 1n << 120n) fail(`bad --deployment-price '${a.deploymentPrice}': larger than uint120`);
      const signer = await resolveSigner(hre, a.from);
      const r = await setPrice(p, signer, { modelId, currency, keyPrice, deploymentPrice, listed: !a.unlist }, { log: say });
      say(
        r.listed
          ? `model ${formatId(modelId)}: key ${fmt(keyPrice, c)}, deployment ${fmt(deploymentPrice, c)}`
          : `model ${formatId(modelId)}: no longer sold in ${c.symbol}`,
      );
      return r;
    }),
  );

task("model:show", "Print a model: creator, lineage, royalty terms, DAO, key collection, vault")
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addOptionalParam("currency", "Currency of the vault and price to show: native or a token address", "native")
  .setAction(
    cli(async (a: { model: string; currency: string }, hre) => {
      const modelId = parseId("model", a.model);
      const currency = parseCurrency(a.currency);
      const p = await loadProtocol(hre);
      const { currencyInfo, fmt, getModel, requireModel } = await sdk();
      await requireModel(p, modelId);
      const c = await currencyInfo(p, currency);
      const m = await getModel(p, modelId, currency);
      say(`model ${formatId(modelId)}${m.retired ? " (retired)" : ""}`);
      say(`  creator ${m.creator}; parent ${m.parentId === 0n ? "none" : formatId(m.parentId)}; depth ${m.depth}`);
      say(
        `  owes parent ${m.upstreamBps} bps; forks owe it ${m.forkRoyaltyBps} bps; DAO ${m.daoBps} bps; forkable ${m.forkable}`,
      );
      say(
        `  DAO ${m.dao === hre.ethers.ZeroAddress ? "none" : m.dao}; keys ${m.keys} (${m.plugins.length} plugin(s), ${m.keysSold ? "keys sold" : "no key sold yet"})`,
      );
      say(
        `  price in ${c.symbol}: ${m.price.listed ? `${fmt(m.price.keyPrice, c)} (+${fmt(m.price.deploymentPrice, c)} with deployment)` : "not listed"}`,
      );
      say(`  vault ${fmt(m.vault, c)}`);
      return p.registry.model(modelId);
    }),
  );

// model:publish, model:fork, model:price, model:show
import { task } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import { AbiCoder } from "ethers";
import type { PluginConfigStruct } from "../sdk/typechain/contracts/evm/registry/HexsRegistry";
import {
  currencyInfo,
  findEvent,
  fmt,
  keysOf,
  loadProtocol,
  requireCreator,
  requireFunds,
  requireModel,
  resolveSigner,
  send,
  NATIVE_INFO,
} from "./lib/context";
import { fail } from "./lib/errors";
import { grantAfterPublish, sealForPublish, withSdlParams } from "./sdl";
import type { SdlArgs, SealedForPublish } from "./sdl";
import { say } from "./lib/log";
import {
  contentCommitment,
  formatId,
  parseAmount,
  parseBps,
  parseBytes32,
  parseCurrency,
  parseDuration,
  parseId,
  parseUint,
} from "./lib/parse";

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

export interface PublishResult {
  modelId: bigint;
  keys: string;
  contentCommitment: string;
  parentCommitment: string;
  txHash: string;
  gasUsed: bigint;
}

const coder = AbiCoder.defaultAbiCoder();

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
function pluginConfigs(a: PublishArgs, addresses: Record<string, string>): PluginConfigStruct[] {
  const list: PluginConfigStruct[] = [];
  if (a.soulbound) list.push({ plugin: addresses.soulbound, config: "0x" });
  if (a.allowlistRoot) {
    list.push({
      plugin: addresses.allowlist,
      config: coder.encode(["bytes32"], [parseBytes32("allowlist-root", a.allowlistRoot)]),
    });
  }
  if (a.supplyCap) {
    const cap = parseUint("supply-cap", a.supplyCap, (1n << 64n) - 1n);
    if (cap === 0n) fail("bad --supply-cap '0': a cap must be at least 1");
    list.push({ plugin: addresses.supplyCap, config: coder.encode(["uint64"], [cap]) });
  }
  if (a.expiry) list.push({ plugin: addresses.expiry, config: coder.encode(["uint64"], [parseDuration("expiry", a.expiry)]) });
  return list;
}

async function publishOrFork(hre: HardhatRuntimeEnvironment, a: PublishArgs, parentId?: bigint): Promise<PublishResult> {
  const p = await loadProtocol(hre);
  const signer = await resolveSigner(hre, a.from);
  const me = await signer.getAddress();
  let commitment: string;
  let source: string;
  let sealed: SealedForPublish | undefined;
  if (a.sdl) {
    if (a.content || a.commitment || a.sdlLocator)
      fail("--sdl sets the content commitment and SDL locator: drop --content, --commitment and --sdl-locator");
    sealed = await sealForPublish(hre, a, signer);
    ({ commitment, source } = sealed);
  } else if (a.commitment) {
    if (a.content) fail("give either --content or --commitment, not both");
    commitment = parseBytes32("commitment", a.commitment);
    source = "given";
  } else {
    ({ commitment, source } = contentCommitment(a.content));
  }
  if (/^0x0{64}$/.test(commitment)) fail("bad --commitment: the zero hash is not a commitment");

  if (parentId !== undefined) {
    await requireModel(hre, p, parentId);
    const parent = await p.registry.model(parentId);
    if (parent.retired) fail(`cannot fork model ${formatId(parentId)}: it is retired. Pick another --parent.`);
    if (!parent.forkable) fail(`cannot fork model ${formatId(parentId)}: its creator made it not forkable.`);
  }

  const addresses = {
    soulbound: await p.plugins.soulbound.getAddress(),
    allowlist: await p.plugins.allowlist.getAddress(),
    supplyCap: await p.plugins.supplyCap.getAddress(),
    expiry: await p.plugins.expiry.getAddress(),
  };
  const params = {
    contentCommitment: commitment,
    sdlLocator: sealed?.sdlLocator ?? a.sdlLocator ?? "",
    metadataUri: a.metadataUri ?? "",
    forkRoyaltyBps: parseBps("fork-royalty-bps", a.forkRoyaltyBps, 5000, 1000),
    daoBps: parseBps("dao-bps", a.daoBps, 4000, 0),
    forkable: parseForkable(a.forkable ?? "true"),
    secondaryRoyaltyBps: parseBps("royalty-bps", a.royaltyBps, 2500, 500),
    plugins: pluginConfigs(a, addresses),
  };

  const reg = p.registry.connect(signer);
  const gas =
    parentId === undefined
      ? await reg.publish.estimateGas(params).catch(() => 800_000n)
      : await reg.fork.estimateGas(parentId, params).catch(() => 800_000n);
  await requireFunds(hre, NATIVE_INFO, me, 0n, gas);
  const label = parentId === undefined ? "publish" : `fork of ${formatId(parentId)}`;
  const r =
    parentId === undefined
      ? await send(
          p,
          label,
          () => reg.publish.staticCall(params),
          () => reg.publish(params),
        )
      : await send(
          p,
          label,
          () => reg.fork.staticCall(parentId, params),
          () => reg.fork(parentId, params),
        );
  const ev = findEvent(r.receipt, p.registry.interface, "ModelPublished");
  if (!ev) fail(`${label}: transaction ${r.hash} emitted no ModelPublished event`);
  const modelId = ev.args.modelId as bigint;
  const keys = ev.args.keys as string;
  const parentCommitment = ev.args.parentCommitment as string;
  say(`model ${formatId(modelId)} ${parentId === undefined ? "published" : `forked from ${formatId(parentId)}`} by ${me}`);
  say(`  content commitment ${commitment} (${source})${parentId === undefined ? "" : `, parent commitment ${parentCommitment}`}`);
  say(
    `  key collection ${keys}; fork royalty ${params.forkRoyaltyBps} bps, DAO ${params.daoBps} bps, resale royalty ${params.secondaryRoyaltyBps} bps, forkable ${params.forkable}`,
  );
  if (params.plugins.length > 0) say(`  plugins: ${params.plugins.map((x) => x.plugin).join(", ")}`);
  if (sealed) await grantAfterPublish(hre, a, signer, modelId, keys, sealed.sdlLocator);
  return { modelId, keys, contentCommitment: commitment, parentCommitment, txHash: r.hash, gasUsed: r.gasUsed };
}

withPublishParams(
  task("model:publish", "Publish a root model: registers its content commitment and deploys its key collection"),
).setAction((a: PublishArgs, hre) => publishOrFork(hre, a));

withPublishParams(
  task(
    "model:fork",
    "Fork a model: the fork owes its parent the parent's fork royalty and commits to the parent's content",
  ).addParam("parent", "The model to fork (id such as 4294967297 or chain:serial such as 1:1)"),
).setAction((a: PublishArgs & { parent: string }, hre) => publishOrFork(hre, a, parseId("parent", a.parent)));

export interface PriceArgs {
  model: string;
  currency: string;
  price?: string;
  deploymentPrice: string;
  unlist: boolean;
  from?: string;
}

export interface PriceResult {
  modelId: bigint;
  currency: string;
  keyPrice: bigint;
  deploymentPrice: bigint;
  listed: boolean;
  txHash: string;
}

task("model:price", "Set (or remove with --unlist) the price of a model's keys in one currency; creator only")
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addOptionalParam("currency", "Payment currency: native, or an ERC-20 token address", "native")
  .addOptionalParam("price", "Key price in the currency's units (e.g. 0.01) or base units (e.g. 1000wei)")
  .addOptionalParam("deploymentPrice", "Extra paid when the buyer asks for an Akash deployment (held in escrow)", "0")
  .addFlag("unlist", "Stop selling keys in this currency")
  .addOptionalParam("from", "Account to sign with: index (0, 1, …) or address among the network's accounts", "0")
  .setAction(async (a: PriceArgs, hre): Promise<PriceResult> => {
    const modelId = parseId("model", a.model);
    const currency = parseCurrency(a.currency);
    const p = await loadProtocol(hre);
    const c = await currencyInfo(hre, currency);
    const keyPrice = a.unlist ? 0n : parseAmount("price", a.price, c.decimals, c.symbol);
    const deploymentPrice = a.unlist ? 0n : parseAmount("deployment-price", a.deploymentPrice, c.decimals, c.symbol);
    if (keyPrice >= 1n << 128n) fail(`bad --price '${a.price}': larger than uint128`);
    if (deploymentPrice >= 1n << 120n) fail(`bad --deployment-price '${a.deploymentPrice}': larger than uint120`);
    const signer = await resolveSigner(hre, a.from);
    await requireCreator(hre, p, modelId, signer, true); // setPrice also admits the bound payout address
    if (!c.native && !(await p.market.isAccepted(currency))) {
      say(
        `  warning: the market does not accept ${c.symbol} (${currency}) yet; buyers cannot pay in it until governance accepts it (protocol:accept-token)`,
      );
    }
    const reg = p.registry.connect(signer);
    const listed = !a.unlist;
    const r = await send(
      p,
      "set price",
      () => reg.setPrice.staticCall(modelId, currency, keyPrice, deploymentPrice, listed),
      () => reg.setPrice(modelId, currency, keyPrice, deploymentPrice, listed),
    );
    say(
      listed
        ? `model ${formatId(modelId)}: key ${fmt(keyPrice, c)}, deployment ${fmt(deploymentPrice, c)}`
        : `model ${formatId(modelId)}: no longer sold in ${c.symbol}`,
    );
    return { modelId, currency, keyPrice, deploymentPrice, listed, txHash: r.hash };
  });

task("model:show", "Print a model: creator, lineage, royalty terms, DAO, key collection, vault")
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addOptionalParam("currency", "Currency of the vault and price to show: native or a token address", "native")
  .setAction(async (a: { model: string; currency: string }, hre) => {
    const modelId = parseId("model", a.model);
    const currency = parseCurrency(a.currency);
    const p = await loadProtocol(hre);
    await requireModel(hre, p, modelId);
    const c = await currencyInfo(hre, currency);
    const m = await p.registry.model(modelId);
    const price = await p.registry.priceOf(modelId, currency);
    const keys = await keysOf(hre, p, modelId);
    say(`model ${formatId(modelId)}${m.retired ? " (retired)" : ""}`);
    say(`  creator ${m.creator}; parent ${m.parentId === 0n ? "none" : formatId(m.parentId)}; depth ${m.depth}`);
    say(`  owes parent ${m.upstreamBps} bps; forks owe it ${m.forkRoyaltyBps} bps; DAO ${m.daoBps} bps; forkable ${m.forkable}`);
    say(
      `  DAO ${m.dao === hre.ethers.ZeroAddress ? "none" : m.dao}; keys ${await keys.getAddress()} (${(await keys.plugins()).length} plugin(s), ${(await keys.sold()) ? "keys sold" : "no key sold yet"})`,
    );
    say(
      `  price in ${c.symbol}: ${price.listed ? `${fmt(price.keyPrice, c)} (+${fmt(price.deploymentPrice, c)} with deployment)` : "not listed"}`,
    );
    say(`  vault ${fmt(await p.market.vaultOf(modelId, currency), c)}`);
    return m;
  });

// Models: publish, fork, setPrice, and reading one back.
import type { Signer } from "ethers";
import { AbiCoder } from "ethers";
import { keysOf, type HexsContracts } from "../contracts";
import { chainOf, formatId } from "../ids";
import { currencyInfo, findEvent, NATIVE_INFO, requireFunds, send, type ActionOptions } from "../tx";
import { requireCreator, requireModel, requirePayoutBindings } from "./common";
import { InvalidParamsError, NotAllowedError, RevertError, StateError } from "./errors";
import { formatAccount, toSolAccount, type Account } from "../accounts";
import {
  encodeEip712Blob,
  payoutDomain,
  PRICE_ORDER_TYPES,
  priceOrderTypedValue,
  signPriceOrderWith,
  type AminoWallet,
  type PriceOrder,
} from "../payout-binding";
import type { ExecuteMsg } from "../cosmwasm/Hexs.types";
import { AccountFamily } from "../../codec";

/** Key plugins to attach at publication. */
export interface PublishPlugins {
  /** Soul-bound keys (SoulboundPlugin; fixed once the first key is sold). */
  soulbound?: boolean;
  /** Only recipients in this Merkle allowlist (root, bytes32) may receive keys. */
  allowlistRoot?: string;
  /** Sell at most this many keys. */
  supplyCap?: bigint;
  /** Subscription keys: each key expires this many seconds after purchase. */
  expirySeconds?: bigint;
}

export interface PublishParams {
  /** keccak256 commitment to the model's (encrypted) content; not zero. */
  contentCommitment: string;
  /** Where the encrypted SDL lives, e.g. an IPFS CID. */
  sdlLocator?: string;
  /** Metadata URI shown as each key's tokenURI. */
  metadataUri?: string;
  /** Share of each direct fork's revenue owed to this model, bps (default 1000, max 5000). */
  forkRoyaltyBps?: number;
  /** Share of revenue for the model's DAO treasury once it has one, bps (default 0, max 4000). */
  daoBps?: number;
  /** Whether others may fork it (default true). */
  forkable?: boolean;
  /** ERC-2981 royalty on key resales, bps (default 500, max 2500). */
  secondaryRoyaltyBps?: number;
  plugins?: PublishPlugins;
}

export interface PublishResult {
  modelId: bigint;
  keys: string;
  contentCommitment: string;
  parentCommitment: string;
  txHash: string;
  gasUsed: bigint;
  /** Plugin contracts attached at publication, in order. */
  plugins: string[];
}

const coder = AbiCoder.defaultAbiCoder();

async function registryParams(c: HexsContracts, p: PublishParams) {
  if (!/^0x[0-9a-fA-F]{64}$/.test(p.contentCommitment))
    throw new InvalidParamsError(`bad content commitment '${p.contentCommitment}': expected 0x + 64 hex digits`);
  if (/^0x0{64}$/.test(p.contentCommitment)) throw new InvalidParamsError("bad --commitment: the zero hash is not a commitment");
  const pl = p.plugins ?? {};
  const plugins: { plugin: string; config: string }[] = [];
  if (pl.soulbound) plugins.push({ plugin: await c.plugins.soulbound.getAddress(), config: "0x" });
  if (pl.allowlistRoot)
    plugins.push({ plugin: await c.plugins.allowlist.getAddress(), config: coder.encode(["bytes32"], [pl.allowlistRoot]) });
  if (pl.supplyCap !== undefined) {
    if (pl.supplyCap === 0n) throw new InvalidParamsError("bad --supply-cap '0': a cap must be at least 1");
    plugins.push({ plugin: await c.plugins.supplyCap.getAddress(), config: coder.encode(["uint64"], [pl.supplyCap]) });
  }
  if (pl.expirySeconds !== undefined)
    plugins.push({ plugin: await c.plugins.expiry.getAddress(), config: coder.encode(["uint64"], [pl.expirySeconds]) });
  return {
    contentCommitment: p.contentCommitment.toLowerCase(),
    sdlLocator: p.sdlLocator ?? "",
    metadataUri: p.metadataUri ?? "",
    forkRoyaltyBps: p.forkRoyaltyBps ?? 1000,
    daoBps: p.daoBps ?? 0,
    forkable: p.forkable ?? true,
    secondaryRoyaltyBps: p.secondaryRoyaltyBps ?? 500,
    plugins,
  };
}

/** Fail unless `parentId` exists, is not retired and is forkable. */
export async function requireForkable(c: HexsContracts, parentId: bigint): Promise<void> {
  await requireModel(c, parentId);
  const parent = await c.registry.model(parentId);
  if (parent.retired) throw new StateError(`cannot fork model ${formatId(parentId)}: it is retired. Pick another --parent.`);
  if (!parent.forkable) throw new StateError(`cannot fork model ${formatId(parentId)}: its creator made it not forkable.`);
}

async function publishOrFork(
  c: HexsContracts,
  signer: Signer,
  p: PublishParams,
  parentId: bigint | undefined,
  o: ActionOptions,
): Promise<PublishResult> {
  const me = await signer.getAddress();
  const params = await registryParams(c, p);
  if (parentId !== undefined) await requireForkable(c, parentId);
  const reg = c.registry.connect(signer);
  const gas =
    parentId === undefined
      ? await reg.publish.estimateGas(params).catch(() => 800_000n)
      : await reg.fork.estimateGas(parentId, params).catch(() => 800_000n);
  await requireFunds(c, NATIVE_INFO, me, 0n, gas);
  const label = parentId === undefined ? "publish" : `fork of ${formatId(parentId)}`;
  const r =
    parentId === undefined
      ? await send(
          c,
          label,
          () => reg.publish.staticCall(params),
          () => reg.publish(params),
          o.log,
        )
      : await send(
          c,
          label,
          () => reg.fork.staticCall(parentId, params),
          () => reg.fork(parentId, params),
          o.log,
        );
  const ev = findEvent(r.receipt, c.registry.interface, "ModelPublished");
  if (!ev) throw new RevertError(`${label}: transaction ${r.hash} emitted no ModelPublished event`);
  return {
    modelId: ev.args.modelId as bigint,
    keys: ev.args.keys as string,
    contentCommitment: params.contentCommitment,
    parentCommitment: ev.args.parentCommitment as string,
    txHash: r.hash,
    gasUsed: r.gasUsed,
    plugins: params.plugins.map((x) => x.plugin),
  };
}

/** Publish a root model: registers its content commitment and deploys its key collection. */
export function publish(c: HexsContracts, signer: Signer, p: PublishParams, o: ActionOptions = {}): Promise<PublishResult> {
  return publishOrFork(c, signer, p, undefined, o);
}

/** Fork a model: the fork owes its parent the parent's fork royalty and commits to the parent's content. */
export function fork(
  c: HexsContracts,
  signer: Signer,
  parentId: bigint,
  p: PublishParams,
  o: ActionOptions = {},
): Promise<PublishResult> {
  return publishOrFork(c, signer, p, parentId, o);
}

export interface SetPriceParams {
  modelId: bigint;
  /** Token address, or NATIVE. */
  currency: string;
  /** Key price in base units (< 2^128); ignored when unlisting. */
  keyPrice: bigint;
  /** Extra paid into escrow when the buyer asks for an Akash deployment (< 2^120). */
  deploymentPrice?: bigint;
  /** false: stop selling in this currency. Default true. */
  listed?: boolean;
}

export interface SetPriceResult {
  modelId: bigint;
  currency: string;
  keyPrice: bigint;
  deploymentPrice: bigint;
  listed: boolean;
  txHash: string;
  /** The market does not accept the currency yet: buyers cannot pay in it until governance accepts it. */
  currencyNotAccepted: boolean;
}

/** A price's terms as the registry stores them (unlisted: both prices 0), refused when they do not fit its fields. */
function priceTerms(p: { keyPrice: bigint; deploymentPrice?: bigint; listed?: boolean }) {
  const listed = p.listed ?? true;
  const keyPrice = listed ? p.keyPrice : 0n;
  const deploymentPrice = listed ? (p.deploymentPrice ?? 0n) : 0n;
  if (keyPrice >= 1n << 128n) throw new InvalidParamsError(`bad key price ${keyPrice}: larger than uint128`);
  if (deploymentPrice >= 1n << 120n) throw new InvalidParamsError(`bad deployment price ${deploymentPrice}: larger than uint120`);
  return { listed, keyPrice, deploymentPrice };
}

/** Set (or remove, `listed: false`) the price of a model's keys in one currency; the creator or its bound payout address. */
export async function setPrice(
  c: HexsContracts,
  signer: Signer,
  p: SetPriceParams,
  o: ActionOptions = {},
): Promise<SetPriceResult> {
  const { listed, keyPrice, deploymentPrice } = priceTerms(p);
  const cur = await currencyInfo(c, p.currency);
  await requireCreator(c, p.modelId, signer);
  const currencyNotAccepted = !cur.native && !(await c.market.isAccepted(p.currency));
  if (currencyNotAccepted) {
    o.log?.(
      `  warning: the market does not accept ${cur.symbol} (${p.currency}) yet; buyers cannot pay in it until governance accepts it (protocol:accept-token)`,
    );
  }
  const reg = c.registry.connect(signer);
  const r = await send(
    c,
    "set price",
    () => reg.setPrice.staticCall(p.modelId, p.currency, keyPrice, deploymentPrice, listed),
    () => reg.setPrice(p.modelId, p.currency, keyPrice, deploymentPrice, listed),
    o.log,
  );
  return { modelId: p.modelId, currency: p.currency, keyPrice, deploymentPrice, listed, txHash: r.hash, currencyNotAccepted };
}

/** The nonce a creator's next signed price order on this chain must carry. */
export async function nextPriceOrderNonce(c: HexsContracts, creator: Account): Promise<bigint> {
  const bindings = requirePayoutBindings(c, "signed price orders");
  return (await bindings.priceOrderNonce(await c.registry.localCreator(toSolAccount(creator)))) + 1n;
}

/**
 * Submit a Cosmos creator's signed price order (`signPriceOrderWith`) on this chain, where that
 * creator has no account to call setPrice with. Anyone may submit it: PayoutBindings checks the
 * creator's ADR-36 signature, that the order names this chain and the creator's next nonce.
 */
export async function submitPriceOrder(
  c: HexsContracts,
  signer: Signer,
  order: PriceOrder,
  blob: string,
  o: ActionOptions = {},
): Promise<SetPriceResult> {
  const bindings = requirePayoutBindings(c, "signed price orders").connect(signer);
  const here = Number(await c.registry.chainId());
  if (order.chain !== here)
    throw new InvalidParamsError(`the price order is for chain ${order.chain}; '${c.chain.name}' is chain ${here}`);
  const next = await nextPriceOrderNonce(c, order.creator);
  if (order.nonce !== next) throw new InvalidParamsError(`the price order has nonce ${order.nonce}; this chain expects ${next}`);
  const sol = { ...order, creator: toSolAccount(order.creator) };
  const r = await send(
    c,
    `set price of ${formatId(order.modelId)} by the creator's signed order`,
    () => bindings.setPriceSigned.staticCall(sol, blob),
    () => bindings.setPriceSigned(sol, blob),
    o.log,
  );
  return {
    modelId: order.modelId,
    currency: order.currency,
    keyPrice: order.listed ? order.keyPrice : 0n,
    deploymentPrice: order.listed ? order.deploymentPrice : 0n,
    listed: order.listed,
    txHash: r.hash,
    currencyNotAccepted: order.currency !== NATIVE_INFO.address && !(await c.market.isAccepted(order.currency)),
  };
}

export interface CosmosCreatorPriceParams {
  /** The Cosmos creator (its 20-byte account); its wallet signs the order. */
  creator: Account;
  /** The creator's bech32 prefix (the ADR-36 sign doc names its bech32 address). */
  hrp: string;
  modelId: bigint;
  /** Token address, or NATIVE. */
  currency: string;
  keyPrice: bigint;
  deploymentPrice?: bigint;
  /** false: stop selling in this currency. Default true. */
  listed?: boolean;
}

/**
 * A Cosmos creator prices its model on this EVM chain: checks that the model is here and that
 * `p.creator` is its creator (before the wallet is asked), signs the order with the creator's
 * wallet (ADR-36; Keplr's signArbitrary), then `submitter` — any EVM account, it only pays the
 * gas — submits it (`submitPriceOrder`). `onSigned` is called between the two.
 */
export async function priceAsCosmosCreator(
  c: HexsContracts,
  submitter: Signer,
  wallet: AminoWallet,
  p: CosmosCreatorPriceParams,
  o: ActionOptions & { onSigned?: () => void } = {},
): Promise<SetPriceResult> {
  const { listed, keyPrice, deploymentPrice } = priceTerms(p);
  if (listed && keyPrice === 0n) throw new InvalidParamsError("bad key price 0: give a price above zero (or stop selling)");
  await currencyInfo(c, p.currency);
  const creator = await requireModel(c, p.modelId);
  const standIn = await c.registry.localCreator(toSolAccount(p.creator));
  if (creator !== standIn)
    throw new NotAllowedError(
      `not the creator: model ${formatId(p.modelId)} on '${c.chain.name}' was created by ${creator}, not by ${formatAccount(p.creator)} (${standIn} here). Connect the creator's account.`,
    );
  const order: PriceOrder = {
    creator: p.creator,
    chain: Number(await c.registry.chainId()),
    modelId: p.modelId,
    currency: p.currency,
    keyPrice,
    deploymentPrice,
    listed,
    nonce: await nextPriceOrderNonce(c, p.creator),
  };
  const blob = await signPriceOrderWith(wallet, order, p.hrp);
  o.onSigned?.();
  return submitPriceOrder(c, submitter, order, blob, o);
}

/** An EVM creator's price order for the CosmWasm chain, signed, and the message that applies it there. */
export interface CosmWasmPriceOrder {
  order: PriceOrder;
  /** scheme-1 (EIP-712) blob */
  blob: string;
  /** `SetPriceSigned`, for anyone to execute on the CosmWasm contract */
  msg: ExecuteMsg;
}

/**
 * Sign, as the EVM creator of `modelId`, its price on the CosmWasm chain (Hexs chain
 * `cosmwasmChain`, priced in that chain's denom), where the creator has no account to price
 * with. `c` is the model's home chain: the order is EIP-712 in the domain of its PayoutBindings,
 * the contract the CosmWasm companion trusts for that chain. `nonce` is the contract's
 * `price_order_nonce` for the creator plus one.
 */
export async function signCosmWasmPriceOrder(
  c: HexsContracts,
  signer: Signer,
  p: { cosmwasmChain: number; modelId: bigint; keyPrice: bigint; deploymentPrice?: bigint; listed?: boolean; nonce: bigint },
): Promise<CosmWasmPriceOrder> {
  const bindings = requirePayoutBindings(c, "signed price orders");
  const home = Number(await c.registry.chainId());
  if (chainOf(p.modelId) !== home)
    throw new InvalidParamsError(
      `model ${formatId(p.modelId)} was published on chain ${chainOf(p.modelId)}: sign its orders with that chain's PayoutBindings, not '${c.chain.name}' (chain ${home})`,
    );
  await requireCreator(c, p.modelId, signer);
  const creator = await signer.getAddress();
  const deploymentPrice = p.deploymentPrice ?? 0n;
  if (deploymentPrice >> 120n !== 0n) throw new InvalidParamsError(`deployment price ${deploymentPrice} does not fit a uint120`);
  const order: PriceOrder = {
    creator: { family: AccountFamily.Evm, address: creator.toLowerCase() },
    chain: p.cosmwasmChain,
    modelId: p.modelId,
    currency: NATIVE_INFO.address,
    keyPrice: p.keyPrice,
    deploymentPrice,
    listed: p.listed ?? true,
    nonce: p.nonce,
  };
  const { chainId } = await c.provider.getNetwork();
  const domain = payoutDomain(chainId, await bindings.getAddress());
  const sig = await signer.signTypedData(domain, PRICE_ORDER_TYPES, priceOrderTypedValue(order));
  const blob = encodeEip712Blob(chainId, domain.verifyingContract as string, sig);
  const msg: ExecuteMsg = {
    set_price_signed: {
      model: p.modelId.toString(),
      price: p.keyPrice.toString(),
      deploy_price: deploymentPrice.toString(),
      listed: order.listed,
      nonce: p.nonce.toString(),
      signature: blob.slice(2),
    },
  };
  return { order, blob, msg };
}

export interface ModelView {
  modelId: bigint;
  creator: string;
  parentId: bigint;
  depth: bigint;
  upstreamBps: bigint;
  forkRoyaltyBps: bigint;
  daoBps: bigint;
  forkable: boolean;
  retired: boolean;
  dao: string;
  contentCommitment: string;
  sdlLocator: string;
  keys: string;
  plugins: string[];
  keysSold: boolean;
  price: { listed: boolean; keyPrice: bigint; deploymentPrice: bigint };
  vault: bigint;
}

/** A model as the registry and market hold it, with its price and vault in one currency. */
export async function getModel(c: HexsContracts, modelId: bigint, currency: string): Promise<ModelView> {
  await requireModel(c, modelId);
  const m = await c.registry.model(modelId);
  const price = await c.registryLens.priceOf(await c.registry.getAddress(), modelId, currency);
  const keys = await c.registry.keysOf(modelId);
  const k = await keysOf(c, modelId);
  return {
    modelId,
    creator: m.creator,
    parentId: m.parentId,
    depth: BigInt(m.depth),
    upstreamBps: BigInt(m.upstreamBps),
    forkRoyaltyBps: BigInt(m.forkRoyaltyBps),
    daoBps: BigInt(m.daoBps),
    forkable: m.forkable,
    retired: m.retired,
    dao: m.dao,
    contentCommitment: m.contentCommitment,
    sdlLocator: m.sdlLocator,
    keys,
    plugins: [...(await k.plugins())],
    keysSold: await k.sold(),
    price: { listed: price.listed, keyPrice: price.keyPrice, deploymentPrice: price.deploymentPrice },
    vault: await c.market.vaultOf(modelId, currency),
  };
}

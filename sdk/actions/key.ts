// Keys: buy one (native coin, or an ERC-20 with its approval), move one to another chain.
import type { Signer } from "ethers";
import type { KeyNFT } from "../typechain";
import { AbiCoder, getAddress, isAddress, ZeroAddress } from "ethers";
import { AccountFamily, cosmosAccountOfSigner, formatAccount, toSolAccount, type Account } from "../accounts";
import { keysOf, type HexsContracts } from "../contracts";
import { formatId } from "../ids";
import {
  currencyInfo,
  ensureAllowance,
  findEvent,
  NATIVE_INFO,
  requireFunds,
  send,
  type ActionOptions,
  type CurrencyInfo,
} from "../tx";
import { requireModel } from "./common";
import { InvalidParamsError, NotAllowedError, NotFoundError, RevertError, StateError } from "./errors";

export interface BuyParams {
  modelId: bigint;
  /** Token address, or NATIVE. */
  currency: string;
  /** Who receives the key (default: the buyer). */
  recipient?: string;
  /**
   * Ask for an Akash deployment with these parameters (a JSON object, sent as its compact UTF-8
   * JSON bytes); also pays the deployment price into escrow.
   */
  deploymentParams?: Record<string, unknown>;
  /** Allowlist Merkle proof for the recipient (bytes32 hashes). */
  allowlistProof?: string[];
}

export interface BuyResult {
  keyId: bigint;
  modelId: bigint;
  buyer: string;
  recipient: string;
  currency: string;
  keyPrice: bigint;
  deploymentEscrow: bigint;
  txHash: string;
  gasUsed: bigint;
  /** Subscription keys: expiry (unix seconds); 0 for keys that never expire. */
  expiresAt: bigint;
  /** The ERC-20 approval sent first, if the allowance was short. */
  approvalTx?: string;
  currencyInfo: CurrencyInfo;
}

/** The market's `deploymentParams` bytes for a parameters object (`0x` for none). */
export function encodeDeploymentParams(params: Record<string, unknown> | undefined): string {
  if (params === undefined) return "0x";
  if (params === null || typeof params !== "object" || Array.isArray(params))
    throw new InvalidParamsError(`bad deployment parameters: expected a JSON object, e.g. {"region":"eu"}`);
  const bytes = new TextEncoder().encode(JSON.stringify(params));
  return "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The plugin data a buy carries: an allowlist proof ABI-encoded as bytes32[] (`0x` for none). */
export function encodeAllowlistProof(proof: string[] | undefined): string {
  if (proof === undefined) return "0x";
  return AbiCoder.defaultAbiCoder().encode(["bytes32[]"], [proof]);
}

/** Buy a key of a model at the creator's price, approving the ERC-20 first when needed. */
export async function buy(c: HexsContracts, signer: Signer, p: BuyParams, o: ActionOptions = {}): Promise<BuyResult> {
  const deploymentParams = encodeDeploymentParams(p.deploymentParams);
  const pluginData = encodeAllowlistProof(p.allowlistProof);
  const { modelId, currency } = p;
  const buyer = await signer.getAddress();
  const recipient = p.recipient ?? buyer;
  await requireModel(c, modelId);
  const cur = await currencyInfo(c, currency);
  if (!cur.native && !(await c.market.isAccepted(currency))) {
    throw new StateError(
      `bad --currency ${currency}: the market does not accept ${cur.symbol}; governance must accept it first (protocol:accept-token), or pay in native`,
    );
  }
  const sale = await c.registry.saleInfo(modelId, currency);
  if (sale.retired) throw new StateError(`model ${formatId(modelId)} is retired: its keys are no longer sold`);
  if (!sale.listed) {
    throw new StateError(
      `model ${formatId(modelId)} has no price in ${cur.symbol}: its creator must set one (model:price --model ${modelId} --currency ${cur.native ? "native" : currency} --price …)`,
    );
  }
  if (await c.market.paused()) throw new StateError("the market is paused by the protocol guardian: try again later", true);
  const escrow = deploymentParams === "0x" ? 0n : sale.deploymentPrice;
  const total = sale.keyPrice + escrow;
  const value = cur.native ? total : 0n;
  await requireFunds(c, cur, buyer, total, 250_000n + (cur.native ? 0n : 60_000n));
  const approvalTx = await ensureAllowance(cur, signer, await c.market.getAddress(), total, o.log);

  const market = c.market.connect(signer);
  const r = await send(
    c,
    `buy key of ${formatId(modelId)}`,
    () => market.buy.staticCall(modelId, currency, recipient, deploymentParams, pluginData, { value }),
    () => market.buy(modelId, currency, recipient, deploymentParams, pluginData, { value }),
    o.log,
  );
  const ev = findEvent(r.receipt, c.market.interface, "Purchased");
  if (!ev) throw new RevertError(`buy: transaction ${r.hash} emitted no Purchased event`);
  const keyId = ev.args.keyId as bigint;
  const expiresAt = await (await keysOf(c, modelId)).expiresAt(keyId);
  return {
    keyId,
    modelId,
    buyer,
    recipient,
    currency,
    keyPrice: sale.keyPrice,
    deploymentEscrow: escrow,
    txHash: r.hash,
    gasUsed: r.gasUsed,
    expiresAt,
    approvalTx,
    currencyInfo: cur,
  };
}

export interface MoveKeyParams {
  modelId: bigint;
  keyId: bigint;
  /** Destination Hexs chain id (a peer of this chain's hub). */
  toChain: number;
  /**
   * Who holds it there; it must be an account of the destination's family (an EVM account on an
   * EVM chain, a Cosmos account or contract on a Cosmos chain). Default: the key's holder there —
   * its EVM account on an EVM chain, or on a Cosmos chain the Cosmos account of the signer's own
   * key (when the signer holds the key; it is asked to sign a fixed text to show its public key).
   */
  owner?: Account;
}

export interface MoveResult {
  keyId: bigint;
  toChain: number;
  owner: Account;
  txHash: string;
}

/**
 * Move a key to another chain: burned here, minted there with the same id once the hub's
 * message is delivered (the relayer, or a LayerZero flush).
 */
export async function moveKey(c: HexsContracts, signer: Signer, p: MoveKeyParams, o: ActionOptions = {}): Promise<MoveResult> {
  const { modelId, keyId, toChain } = p;
  if (!c.hub) {
    throw new NotFoundError(
      `network '${c.chain.name}' has a single-chain Hexs deployment (no HexsHub): cross-chain tasks need the hub`,
    );
  }
  const self = Number(await c.hub.chainId());
  if (toChain === self) throw new InvalidParamsError(`bad --to-chain ${toChain}: the key is already on this chain`);
  if (!c.hubLens)
    throw new NotFoundError(`network '${c.chain.name}' has no HexsHubLens: redeploy (npx hardhat deploy) to add it`);
  const hubAddress = await c.hub.getAddress();
  if ((await c.hub.lane(toChain)).transport === ZeroAddress) {
    throw new NotFoundError(
      `bad --to-chain ${toChain}: not a peer of this hub (peers: ${(await c.hubLens.peers(hubAddress)).map(Number).join(", ") || "none"})`,
    );
  }
  const destFamily = Number((await c.hubLens.laneFamily(hubAddress, toChain)).family);
  if (destFamily !== AccountFamily.Evm && destFamily !== AccountFamily.Cosmos) {
    throw new StateError(
      `chain ${toChain}'s account family is not configured on this hub: governance must set it (setPeer) before keys move there`,
    );
  }
  await requireModel(c, modelId);
  const keys = await keysOf(c, modelId);
  let holder: string;
  try {
    holder = await keys.ownerOf(keyId);
  } catch {
    throw new NotFoundError(
      `key ${formatId(keyId)} of model ${formatId(modelId)} is not held on '${c.chain.name}' (never minted here, burned, or already moved)`,
    );
  }
  const me = await signer.getAddress();
  if (holder !== me && !(await keys.isApprovedForAll(holder, me)) && (await keys.getApproved(keyId)) !== me) {
    throw new NotAllowedError(
      `key ${formatId(keyId)} is held by ${holder}; ${me} is neither its owner nor approved. Use --from with the holder.`,
    );
  }
  const owner = p.owner ?? (await defaultOwner(keys, keyId, holder, me, signer, toChain, destFamily));
  // The destination refuses a holder of another family (and the hub refuses to record it).
  const ownerFamily = owner.family === AccountFamily.CosmWasm ? AccountFamily.Cosmos : owner.family;
  if (ownerFamily !== destFamily) {
    throw new InvalidParamsError(
      `bad --owner ${formatAccount(owner)}: chain ${toChain} holds ${AccountFamily[destFamily]} accounts (give --owner ${destFamily === AccountFamily.Evm ? "0x…" : "cosmos:0x…"})`,
    );
  }
  const k = keys.connect(signer);
  const r = await send(
    c,
    `move key ${formatId(keyId)} to chain ${toChain}`,
    () => k.moveTo.staticCall(keyId, toChain, toSolAccount(owner)),
    () => k.moveTo(keyId, toChain, toSolAccount(owner)),
    o.log,
  );
  return { keyId, toChain, owner, txHash: r.hash };
}

/** The holder a moved key gets by default on a chain of `family` (see MoveKeyParams.owner). */
async function defaultOwner(
  keys: KeyNFT,
  keyId: bigint,
  holder: string,
  me: string,
  signer: Signer,
  toChain: number,
  family: AccountFamily,
): Promise<Account> {
  if (family === AccountFamily.Evm) return { family: AccountFamily.Evm, address: holder.toLowerCase() };
  if (await keys.soulbound()) {
    throw new NotAllowedError(
      `key ${formatId(keyId)} is soul-bound: it moves only to the same EVM account, and chain ${toChain} holds Cosmos accounts`,
    );
  }
  if (holder !== me) {
    throw new InvalidParamsError(`chain ${toChain} holds Cosmos accounts: give --owner cosmos:0x… for the key's holder there`);
  }
  return cosmosAccountOfSigner(signer);
}

export interface TransferKeyParams {
  modelId: bigint;
  keyId: bigint;
  /** The new holder on this chain (an EVM address). */
  to: string;
}

export interface TransferKeyResult {
  keyId: bigint;
  from: string;
  to: string;
  txHash: string;
}

/**
 * Give a key to another account on the same chain (ERC-721 transferFrom), after the checks the
 * collection would make: a soul-bound key, or a mirrored model's key whose holders change on its
 * home chain only, is refused with a sentence instead of a revert. Browser-safe.
 */
export async function transferKey(
  c: HexsContracts,
  signer: Signer,
  p: TransferKeyParams,
  o: ActionOptions = {},
): Promise<TransferKeyResult> {
  const { modelId, keyId } = p;
  if (!isAddress(p.to) || p.to === ZeroAddress)
    throw new InvalidParamsError(`bad recipient '${p.to}': expected an EVM address (0x followed by 40 hex digits)`);
  const to = getAddress(p.to);
  await requireModel(c, modelId);
  const keys = await keysOf(c, modelId);
  let holder: string;
  try {
    holder = await keys.ownerOf(keyId);
  } catch {
    throw new NotFoundError(`key ${formatId(keyId)} of model ${formatId(modelId)} is not held on '${c.chain.name}'`);
  }
  const me = await signer.getAddress();
  if (holder !== me && !(await keys.isApprovedForAll(holder, me)) && (await keys.getApproved(keyId)) !== me)
    throw new NotAllowedError(`key ${formatId(keyId)} is held by ${holder}; ${me} is neither its owner nor approved`);
  if (to === holder) throw new InvalidParamsError(`bad recipient: ${to} already holds key ${formatId(keyId)}`);
  if (await keys.locked(keyId)) {
    throw new NotAllowedError(
      (await keys.soulbound())
        ? `key ${formatId(keyId)} is soul-bound: it stays with the account that bought it and cannot be transferred`
        : `key ${formatId(keyId)} cannot change holder on '${c.chain.name}': this model's keys change holder on its home chain only (move the key there first)`,
    );
  }
  await requireFunds(c, NATIVE_INFO, me, 0n, 150_000n);
  const k = keys.connect(signer);
  const r = await send(
    c,
    `transfer key ${formatId(keyId)}`,
    () => k.transferFrom.staticCall(holder, to, keyId),
    () => k.transferFrom(holder, to, keyId),
    o.log,
  );
  return { keyId, from: holder, to, txHash: r.hash };
}

// The Hexs CosmWasm contract from a browser or a script, with any cosmjs OfflineSigner (a
// Keplr-compatible wallet's, or a DirectSecp256k1HdWallet): read models and prices, buy a key,
// fork a model. Each transaction is checked first (funds, the contract's own simulation), then
// signed, then broadcast, then waited for, and each of those steps is reported, so a page can
// show where a purchase is and a refusal costs nothing. Not re-exported from sdk/index.ts: cosmjs
// is large, and the app loads this module only when someone picks a Cosmos chain.
import { SigningCosmWasmClient, type MsgExecuteContractEncodeObject } from "@cosmjs/cosmwasm-stargate";
import { fromBase64, fromBech32, toHex, toUtf8 } from "@cosmjs/encoding";
import type { OfflineSigner } from "@cosmjs/proto-signing";
import { calculateFee, GasPrice, type StdFee } from "@cosmjs/stargate";
import { MsgExecuteContract } from "cosmjs-types/cosmwasm/wasm/v1/tx";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import type { CosmosChain } from "./chains";
import { DeploymentError } from "./chains";
import { formatId } from "./ids";
import { InsufficientFundsError, InvalidParamsError, NotFoundError, RevertError, StateError } from "./actions/errors";
import type { ConfigResponse, ExecuteMsg, Model, ModelsResponse, OwnerOfResponse } from "./cosmwasm/Hexs.types";
import { AccountFamily, type Account } from "./accounts";
import { signAdr36BindingWith, type AminoWallet } from "./payout-binding";

export interface CosmosHexs {
  chain: CosmosChain;
  client: SigningCosmWasmClient;
  contract: string;
  /** The signer's (first) account. */
  sender: string;
  /** The contract's purchase denom (its config), also the fee denom. */
  denom: string;
  gasPrice: GasPrice;
}

export type CosmosStep =
  | { step: "checking" }
  | { step: "signing" }
  | { step: "submitted"; txHash: string }
  | { step: "confirmed"; txHash: string; height: number };

/** Connect to `chain`'s Hexs contract as the signer's first account. */
export async function connectCosmos(chain: CosmosChain, signer: OfflineSigner): Promise<CosmosHexs> {
  if (!chain.rpcUrl) throw new DeploymentError(`the chain registry gives no RPC URL for ${chain.name}`);
  if (!chain.contract) throw new DeploymentError(`the chain registry names no Hexs contract on ${chain.name}`);
  const [account] = await signer.getAccounts();
  if (!account) throw new NotFoundError("the wallet has no account on this chain");
  const client = await SigningCosmWasmClient.connectWithSigner(chain.rpcUrl, signer);
  const { config } = (await client.queryContractSmart(chain.contract, { config: {} })) as ConfigResponse;
  const gasPrice = GasPrice.fromString(chain.gasPrice ?? `0.025${config.denom}`);
  return { chain, client, contract: chain.contract, sender: account.address, denom: config.denom, gasPrice };
}

/** A model on the contract (its price in the contract's denom, policy, content…). */
export async function cosmosModel(h: CosmosHexs, id: bigint): Promise<Model> {
  try {
    return (await h.client.queryContractSmart(h.contract, { model: { id: id.toString() } })) as Model;
  } catch (e) {
    throw new NotFoundError(`model ${formatId(id)} is not on ${h.chain.name}'s contract: ${(e as Error).message}`);
  }
}

/** Every model on the contract, in id order (paged). */
export async function cosmosModels(h: CosmosHexs): Promise<Model[]> {
  const out: Model[] = [];
  for (;;) {
    const start = out.at(-1)?.id;
    const page = (await h.client.queryContractSmart(h.contract, {
      models: { limit: 30, start_after: start === undefined ? null : String(start) },
    })) as ModelsResponse;
    out.push(...page.models);
    if (page.models.length < 30) return out;
  }
}

/** The account's balance in the contract's denom. */
export async function cosmosBalance(h: CosmosHexs, account = h.sender): Promise<bigint> {
  return BigInt((await h.client.getBalance(account, h.denom)).amount);
}

/** The current holder of a key (bech32), or undefined. */
export async function cosmosKeyOwner(h: CosmosHexs, keyId: bigint): Promise<string | undefined> {
  try {
    return ((await h.client.queryContractSmart(h.contract, { owner_of: { token_id: keyId.toString() } })) as OwnerOfResponse)
      .owner;
  } catch {
    return undefined;
  }
}

/** "1.5 COSM" for 1500000 ucosm (micro-denoms have 6 decimals); other denoms as they are. */
export function formatCoin(amount: bigint | string, denom: string): string {
  const n = BigInt(amount);
  if (!/^u[a-z]+$/.test(denom)) return `${n} ${denom}`;
  const whole = n / 1_000_000n;
  const frac = (n % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
  return `${whole}${frac ? `.${frac}` : ""} ${denom.slice(1).toUpperCase()}`;
}

/** A contract refusal from a simulation or a failed transaction, with the contract's words. */
function refusal(what: string, e: unknown): RevertError {
  const raw = e instanceof Error ? e.message : String(e);
  const m =
    /(?:execute wasm contract failed|failed to execute message; message index: 0):? ?(.*?)(?:: execute wasm contract failed)?(?: \[.*)?$/.exec(
      raw,
    );
  return new RevertError(`${what} would fail on chain: ${(m?.[1] || raw).trim()}`, e);
}

/**
 * Check, sign, broadcast and wait for one contract call. The account must hold `funds` plus the
 * fee before the wallet is asked to sign; the contract's simulation must pass too.
 */
async function execute(
  h: CosmosHexs,
  what: string,
  msg: ExecuteMsg,
  funds: bigint,
  on: (s: CosmosStep) => void,
): Promise<{
  txHash: string;
  events: readonly { type: string; attributes: readonly { key: string; value: string }[] }[];
  fee: bigint;
}> {
  on({ step: "checking" });
  const balance = await cosmosBalance(h);
  const short = (need: bigint, why: string) =>
    new InsufficientFundsError(
      `insufficient funds: ${h.sender} has ${formatCoin(balance, h.denom)} but needs ${formatCoin(need, h.denom)} (${why}) on ${h.chain.name}.`,
    );
  if (balance < funds) throw short(funds, `${formatCoin(funds, h.denom)} payment plus the fee`);
  const coins = funds > 0n ? [{ denom: h.denom, amount: funds.toString() }] : [];
  const message: MsgExecuteContractEncodeObject = {
    typeUrl: "/cosmwasm.wasm.v1.MsgExecuteContract",
    value: MsgExecuteContract.fromPartial({
      sender: h.sender,
      contract: h.contract,
      msg: toUtf8(JSON.stringify(msg)),
      funds: coins,
    }),
  };
  let gas: number;
  try {
    gas = await h.client.simulate(h.sender, [message], "");
  } catch (e) {
    // a never-funded account is unknown to the chain: nothing to simulate with, nothing to pay with
    if (/account .* not found|does not exist on chain/i.test((e as Error).message ?? "")) throw short(funds, "the fee");
    throw refusal(what, e);
  }
  const fee: StdFee = calculateFee(Math.ceil(gas * 1.4), h.gasPrice);
  const feeAmount = BigInt(fee.amount.find((c) => c.denom === h.denom)?.amount ?? "0");
  if (balance < funds + feeAmount)
    throw short(funds + feeAmount, `${formatCoin(funds, h.denom)} payment + ${formatCoin(feeAmount, h.denom)} fee`);
  on({ step: "signing" });
  const raw = await h.client.sign(h.sender, [message], fee, "");
  let txHash: string;
  try {
    txHash = await h.client.broadcastTxSync(TxRaw.encode(raw).finish());
  } catch (e) {
    throw refusal(what, e);
  }
  on({ step: "submitted", txHash });
  const until = Date.now() + 60_000;
  for (;;) {
    const tx = await h.client.getTx(txHash);
    if (tx) {
      if (tx.code !== 0) throw new RevertError(`${what} failed on chain (code ${tx.code}): ${tx.rawLog}`);
      on({ step: "confirmed", txHash, height: tx.height });
      return { txHash, events: tx.events, fee: feeAmount };
    }
    if (Date.now() > until) throw new StateError(`${what}: transaction ${txHash} not seen in a block after 60 s`, true);
    await new Promise((ok) => setTimeout(ok, 300));
  }
}

/** `execute` for the SDK's other CosmWasm modules (sdk/cosmwasm-resale.ts). */
export const cosmosExecute = execute;

const attr = (events: readonly { type: string; attributes: readonly { key: string; value: string }[] }[], key: string) =>
  events
    .filter((e) => e.type === "wasm")
    .flatMap((e) => e.attributes)
    .find((a) => a.key === key)?.value;

export interface CosmosBought {
  keyId: bigint;
  modelId: bigint;
  price: bigint;
  fee: bigint;
  txHash: string;
}

/** Buy a key of `modelId` at its price on the contract (no deployment). */
export async function cosmosBuyKey(
  h: CosmosHexs,
  modelId: bigint,
  on: (s: CosmosStep) => void = () => undefined,
): Promise<CosmosBought> {
  const m = await cosmosModel(h, modelId);
  if (m.retired) throw new StateError(`model ${formatId(modelId)} is retired: its keys are no longer sold`);
  const price = BigInt(m.price);
  const r = await execute(
    h,
    `buy key of ${formatId(modelId)}`,
    { buy_key: { model: modelId.toString(), recipient: null, with_deployment: false } },
    price,
    on,
  );
  const token = attr(r.events, "token_id");
  if (!token) throw new RevertError(`buy: transaction ${r.txHash} minted no key`);
  return { keyId: BigInt(token), modelId, price, fee: r.fee, txHash: r.txHash };
}

export interface CosmosForkParams {
  parent: bigint;
  /** Where the fork's (encrypted) SDL is stored. */
  sdlUri: string;
  /** The fork's content commitment, 32 bytes hex (0x optional). */
  content: string;
  /** Key price in the contract's denom (smallest unit). */
  price: bigint;
  forkRoyaltyBps: number;
}

/** Fork `parent` on the contract: a new model of the signer, paying its parent a share of sales. */
export async function cosmosFork(
  h: CosmosHexs,
  p: CosmosForkParams,
  on: (s: CosmosStep) => void = () => undefined,
): Promise<{ modelId: bigint; txHash: string }> {
  const content = p.content.replace(/^0x/i, "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(content)) throw new InvalidParamsError(`bad content commitment '${p.content}': 32 bytes as hex`);
  if (p.sdlUri.trim() === "") throw new InvalidParamsError("give the fork's SDL location");
  if (!Number.isInteger(p.forkRoyaltyBps) || p.forkRoyaltyBps < 0 || p.forkRoyaltyBps > 5000)
    throw new InvalidParamsError(`bad fork royalty ${p.forkRoyaltyBps} bps: 0 to 5000`);
  const parent = await cosmosModel(h, p.parent);
  if (!parent.policy.forkable) throw new StateError(`model ${formatId(p.parent)} may not be forked (its creator said so)`);
  if (parent.retired) throw new StateError(`model ${formatId(p.parent)} is retired`);
  const msg: ExecuteMsg = {
    fork: {
      parent: p.parent.toString(),
      parent_content: toHex(fromBase64(parent.content)),
      model: {
        content,
        sdl_uri: p.sdlUri.trim(),
        price: p.price.toString(),
        deploy_price: "0",
        policy: { soulbound: false, key_lifetime_secs: null, max_supply: null, allowlist_only: false, forkable: true },
        royalty: { fork_royalty_bps: p.forkRoyaltyBps, dao_bps: 0 },
        dao: null,
      },
    },
  };
  const r = await execute(h, `fork of ${formatId(p.parent)}`, msg, 0n, on);
  const id = attr(r.events, "model");
  if (!id) throw new RevertError(`fork: transaction ${r.txHash} registered no model`);
  return { modelId: BigInt(id), txHash: r.txHash };
}

// An explicit length limit: in the app's bundle fromBech32 throws without one.
const senderBech32 = (h: CosmosHexs) => fromBech32(h.sender, 1023);

/** The connected account as a Hexs account (its 20 bytes), as other chains name it. */
export function cosmosAccountOf(h: CosmosHexs): Account {
  return { family: AccountFamily.Cosmos, address: "0x" + toHex(senderBech32(h).data) };
}

/** Whether the connected account created `m` (the contract keeps the creator as its account word: family 2, then the 20 bytes). */
export function isCreatorOf(h: CosmosHexs, m: Model): boolean {
  return toHex(fromBase64(m.creator)) === "02" + cosmosAccountOf(h).address.slice(2);
}

export interface CosmosBindPayoutParams {
  /** The Hexs chain the payout account is for (an EVM peer, where the creator has no account). */
  chain: number;
  payout: Account;
  /** The next binding's nonce for that chain (that chain's payoutNonceOf + 1: SDK `remoteCreatorOn`). */
  nonce: bigint;
}

/**
 * Bind the connected creator's payout account on another chain: the wallet signs the binding
 * (ADR-36, `wallet` is its amino signer: Keplr's signArbitrary), then the contract checks it and
 * sends it to that chain, whose hub verifies the signature again on arrival. Only a creator (an
 * account with a model on this contract) may bind.
 */
export async function cosmosBindPayout(
  h: CosmosHexs,
  wallet: AminoWallet,
  p: CosmosBindPayoutParams,
  on: (s: CosmosStep) => void = () => undefined,
): Promise<{ txHash: string }> {
  const creator = cosmosAccountOf(h);
  if (p.payout.family !== AccountFamily.Evm || !/^0x[0-9a-fA-F]{40}$/.test(p.payout.address))
    throw new InvalidParamsError(`bad payout address '${p.payout.address}': an EVM address (0x and 40 hex digits)`);
  if (/^0x0{40}$/.test(p.payout.address)) throw new InvalidParamsError("bad payout address: the zero address cannot be paid");
  const binding = { creator, chain: p.chain, payout: { ...p.payout, address: p.payout.address.toLowerCase() }, nonce: p.nonce };
  on({ step: "checking" });
  const signature = await signAdr36BindingWith(wallet, binding, senderBech32(h).prefix);
  const payout = { evm: p.payout.address };
  const r = await execute(
    h,
    `bind payout on chain ${p.chain}`,
    { bind_payout: { chain: p.chain, payout, nonce: p.nonce.toString(), signature: signature.slice(2) } } as ExecuteMsg,
    0n,
    on,
  );
  return { txHash: r.txHash };
}

/** "1.5" COSM → 1500000 for a micro-denom (6 decimals); whole units for other denoms. */
export function parseCoin(text: string, denom: string): bigint {
  const t = text.trim();
  const decimals = /^u[a-z]+$/.test(denom) ? 6 : 0;
  const m = new RegExp(`^(\\d+)(?:\\.(\\d{1,${decimals}}))?$`).exec(t);
  if (!m || (decimals === 0 && t.includes(".")))
    throw new InvalidParamsError(`bad amount '${text}': a number such as ${decimals ? "1.5" : "1500"}`);
  return BigInt(m[1]) * 10n ** BigInt(decimals) + BigInt((m[2] ?? "").padEnd(decimals, "0") || "0");
}

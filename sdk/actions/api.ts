// Model API prices (paid per call over x402) and the sweep of paid calls into the model's vault.
import { Contract, isAddress, Signature, ZeroAddress, type ContractTransactionResponse, type Signer } from "ethers";
import { messageOf } from "../errors";
import type { HexsContracts } from "../contracts";
import type { HexsApiPayments } from "../typechain";
import { formatId } from "../ids";
import { balanceOf, currencyInfo, findEvent, fmt, requireFunds, send, type ActionOptions } from "../tx";
import { requireCreator, requireModel } from "./common";
import { InvalidParamsError, NotFoundError, StateError } from "./errors";

const UINT96 = 1n << 96n;

function requireApiPayments(c: HexsContracts): HexsApiPayments {
  if (!c.apiPayments)
    throw new NotFoundError(
      `network '${c.chain.name}' has no HexsApiPayments: redeploy with this version (npx hardhat deploy --network ${c.chain.name})`,
    );
  return c.apiPayments;
}

export interface ApiPrice {
  modelId: bigint;
  currency: string;
  perCall: bigint;
  per1kOutputTokens: bigint;
  /** the endpoint operator's share of every sweep, in basis points */
  operatorBps: number;
  listed: boolean;
  operator: string;
  /** the model's x402 payTo */
  sink: string;
}

export interface SetApiPriceParams {
  modelId: bigint;
  /** an ERC-20 with EIP-3009 (x402 exact payments) */
  currency: string;
  perCall: bigint;
  per1kOutputTokens?: bigint;
  operatorBps?: number;
  /** who operates the endpoint and earns operatorBps; omitted: unchanged */
  operator?: string;
  /** false: unlist (the gateway then refuses paid calls in this currency) */
  listed?: boolean;
}

/** Set a model's API price in one currency (and, when given, its endpoint operator). The creator only. */
export async function setApiPrice(
  c: HexsContracts,
  signer: Signer,
  p: SetApiPriceParams,
  o: ActionOptions = {},
): Promise<ApiPrice & { txHash: string }> {
  const api = requireApiPayments(c).connect(signer);
  const per1k = p.per1kOutputTokens ?? 0n;
  const bps = p.operatorBps ?? 0;
  const listed = p.listed ?? true;
  if (p.perCall < 0n || p.perCall >= UINT96) throw new InvalidParamsError(`bad --per-call '${p.perCall}': 0 … 2^96-1`);
  if (per1k < 0n || per1k >= UINT96) throw new InvalidParamsError(`bad --per-1k-tokens '${per1k}': 0 … 2^96-1`);
  if (!Number.isInteger(bps) || bps < 0 || bps > 10_000)
    throw new InvalidParamsError(`bad --operator-bps '${bps}': an integer 0 … 10000`);
  const cur = await currencyInfo(c, p.currency);
  if (cur.native) throw new InvalidParamsError("API prices are in an ERC-20 token with EIP-3009 (x402), not the native coin");
  await requireCreator(c, p.modelId, signer);
  const r = await send(
    c,
    "set API price",
    () => api.setApiPrice.staticCall(p.modelId, p.currency, p.perCall, per1k, bps, listed),
    () => api.setApiPrice(p.modelId, p.currency, p.perCall, per1k, bps, listed),
    o.log,
  );
  if (p.operator !== undefined && p.operator !== (await api.apiOperatorOf(p.modelId))) {
    const operator = p.operator;
    await send(
      c,
      "set API operator",
      () => api.setApiOperator.staticCall(p.modelId, operator),
      () => api.setApiOperator(p.modelId, operator),
      o.log,
    );
  }
  o.log?.(
    `model ${formatId(p.modelId)}: ${fmt(p.perCall, cur)} per call` +
      (per1k ? ` + ${fmt(per1k, cur)} per 1k output tokens` : "") +
      `, operator share ${bps / 100} %${listed ? "" : " (unlisted)"}`,
  );
  return { ...(await apiPriceOf(c, p.modelId, p.currency)), txHash: r.hash };
}

/** A model's API terms in `currency`, its operator and its payment sink (the x402 payTo). */
export async function apiPriceOf(c: HexsContracts, modelId: bigint, currency: string): Promise<ApiPrice> {
  const api = requireApiPayments(c);
  const [price, operator, sink] = await Promise.all([
    api.apiPriceOf(modelId, currency),
    api.apiOperatorOf(modelId),
    api.sinkOf(modelId),
  ]);
  return {
    modelId,
    currency,
    perCall: price.perCall,
    per1kOutputTokens: price.per1kOutputTokens,
    operatorBps: Number(price.operatorBps),
    listed: price.listed,
    operator,
    sink,
  };
}

/** The address a model's x402 payments go to (deterministic; exists on chain after the first sweep). */
export async function apiSinkOf(c: HexsContracts, modelId: bigint): Promise<string> {
  return requireApiPayments(c).sinkOf(modelId);
}

export interface SweepResult {
  modelId: bigint;
  currency: string;
  vaultAmount: bigint;
  operator: string;
  operatorAmount: bigint;
  txHash: string;
  gasUsed: bigint;
}

/** Move what callers paid into a model's sink into its vault (operator share credited). Anyone may call. */
export async function sweepApiRevenue(
  c: HexsContracts,
  signer: Signer,
  modelId: bigint,
  currency: string,
  o: ActionOptions = {},
): Promise<SweepResult> {
  const api = requireApiPayments(c).connect(signer);
  await requireModel(c, modelId);
  const cur = await currencyInfo(c, currency);
  const sink = await api.sinkOf(modelId);
  if ((await balanceOf(c, cur, sink)) === 0n)
    throw new StateError(`model ${formatId(modelId)} has no ${cur.symbol} paid into its sink ${sink}`);
  const r = await send(
    c,
    "sweep API revenue",
    () => api.sweep.staticCall(modelId, currency),
    () => api.sweep(modelId, currency),
    o.log,
  );
  const e = findEvent(r.receipt, api.interface, "ApiRevenueSwept", await api.getAddress());
  if (!e) throw new StateError(`sweep ${r.hash} emitted no ApiRevenueSwept`);
  return {
    modelId,
    currency,
    vaultAmount: e.args.vaultAmount as bigint,
    operator: e.args.operator as string,
    operatorAmount: e.args.operatorAmount as bigint,
    txHash: r.hash,
    gasUsed: r.gasUsed,
  };
}

export interface VoucherDepositParams {
  modelId: bigint;
  /** the API currency (an ERC-20) */
  currency: string;
  /** the gateway's redeeming account: only it can redeem this deposit's vouchers */
  gateway: string;
  amount: bigint;
  /** sign an EIP-2612 permit instead of sending an approval (the token must support it) */
  permit?: boolean;
}

export interface VoucherChannel {
  modelId: bigint;
  currency: string;
  gateway: string;
  payer: string;
  deposited: bigint;
  redeemed: bigint;
  /** unix s; 0 when no withdrawal was asked for */
  withdrawableAt: bigint;
}

/** A payer's prepaid channel (deposit and what the gateway redeemed of it). */
export async function voucherChannelOf(
  c: HexsContracts,
  payer: string,
  modelId: bigint,
  currency: string,
  gateway: string,
): Promise<VoucherChannel> {
  const ch = await requireApiPayments(c).channelOf(payer, modelId, currency, gateway);
  return {
    modelId,
    currency,
    gateway,
    payer,
    deposited: ch.deposited,
    redeemed: ch.redeemed,
    withdrawableAt: ch.withdrawableAt,
  };
}

/**
 * Escrow `amount` for prepaid calls to a model through one gateway (HexsApiPayments
 * depositForVouchers, by approval or EIP-2612 permit). Calls are then paid with vouchers
 * (sdk/api VoucherSession); the unspent rest comes back a day after asking for it.
 */
export async function depositForVouchers(
  c: HexsContracts,
  signer: Signer,
  p: VoucherDepositParams,
  o: ActionOptions = {},
): Promise<VoucherChannel & { txHash: string }> {
  const api = requireApiPayments(c).connect(signer);
  if (p.amount <= 0n || p.amount >= UINT96) throw new InvalidParamsError(`bad --amount '${p.amount}': 1 … 2^96-1 base units`);
  if (!isAddress(p.gateway) || p.gateway === ZeroAddress)
    throw new InvalidParamsError(`bad --gateway '${p.gateway}': the gateway's redeeming account (an address)`);
  const cur = await currencyInfo(c, p.currency);
  if (cur.native) throw new InvalidParamsError("vouchers are paid from an ERC-20 deposit, not the native coin");
  await requireModel(c, p.modelId);
  const payer = await signer.getAddress();
  const spender = await api.getAddress();
  await requireFunds(c, cur, payer, p.amount, 200_000n);
  let r;
  if (p.permit) {
    const token = new Contract(
      p.currency,
      [
        "function nonces(address) view returns (uint256)",
        "function name() view returns (string)",
        "function version() view returns (string)",
      ],
      c.provider,
    );
    const [nonce, name, version] = await Promise.all([
      token.nonces(payer) as Promise<bigint>,
      token.name() as Promise<string>,
      (token.version() as Promise<string>).catch(() => "1"),
    ]).catch((e: unknown) => {
      throw new InvalidParamsError(
        `${cur.symbol} (${p.currency}) does not take EIP-2612 permits: approve instead (${messageOf(e).split("\n")[0]})`,
      );
    });
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3_600);
    const { chainId } = await c.provider.getNetwork();
    const sig = Signature.from(
      await signer.signTypedData(
        { name, version, chainId, verifyingContract: p.currency },
        {
          Permit: [
            { name: "owner", type: "address" },
            { name: "spender", type: "address" },
            { name: "value", type: "uint256" },
            { name: "nonce", type: "uint256" },
            { name: "deadline", type: "uint256" },
          ],
        },
        { owner: payer, spender, value: p.amount, nonce, deadline },
      ),
    );
    const args = [p.modelId, p.currency, p.gateway, p.amount, deadline, sig.v, sig.r, sig.s] as const;
    r = await send(
      c,
      "deposit for vouchers (permit)",
      () => api.depositForVouchersWithPermit.staticCall(...args),
      () => api.depositForVouchersWithPermit(...args),
      o.log,
    );
  } else {
    const token = new Contract(
      p.currency,
      ["function allowance(address,address) view returns (uint256)", "function approve(address,uint256) returns (bool)"],
      signer,
    );
    if (((await token.allowance(payer, spender)) as bigint) < p.amount) {
      const tx = (await token.approve(spender, p.amount)) as ContractTransactionResponse;
      await tx.wait();
      o.log?.(`  approved ${fmt(p.amount, cur)} to HexsApiPayments (tx ${tx.hash})`);
    }
    r = await send(
      c,
      "deposit for vouchers",
      () => api.depositForVouchers.staticCall(p.modelId, p.currency, p.gateway, p.amount),
      () => api.depositForVouchers(p.modelId, p.currency, p.gateway, p.amount),
      o.log,
    );
  }
  const ch = await voucherChannelOf(c, payer, p.modelId, p.currency, p.gateway);
  o.log?.(`model ${formatId(p.modelId)}: ${fmt(ch.deposited - ch.redeemed, cur)} prepaid for calls through gateway ${p.gateway}`);
  return { ...ch, txHash: r.hash };
}

// Prepaid calls: the payer escrows a deposit in HexsApiPayments once (depositForVouchers), then
// pays each call with an EIP-712 voucher for the cumulative amount owed on the channel (payer,
// model, currency, gateway). The gateway checks vouchers locally and redeems the latest one per
// channel in batches, so the chain sees one transaction per batch instead of one per call.
import type { Signer } from "ethers";
import { apiPath, ApiRefusal, isApiRefusalCode, refuseApi, type ApiRefusalCode } from "./request";

/** The header a prepaid call carries its voucher in (base64url JSON: the voucher and its signature). */
export const VOUCHER_HEADER_NAME = "x-hexs-voucher";

/** What the payer signs: it owes `cumulative` in total on this channel; good until `expiry` (unix s). */
export interface Voucher {
  payer: string;
  modelId: bigint;
  currency: string;
  gateway: string;
  cumulative: bigint;
  expiry: bigint;
}

export const VOUCHER_TYPES = {
  Voucher: [
    { name: "payer", type: "address" },
    { name: "modelId", type: "uint64" },
    { name: "currency", type: "address" },
    { name: "gateway", type: "address" },
    { name: "cumulative", type: "uint256" },
    { name: "expiry", type: "uint64" },
  ],
};

/** The EIP-712 domain of vouchers: HexsApiPayments (the proxy) on `chainId`. */
export function voucherDomain(chainId: bigint | number, apiPayments: string) {
  return { name: "HexsApiPayments", version: "1", chainId: BigInt(chainId), verifyingContract: apiPayments };
}

export function encodeVoucherHeader(v: Voucher, signature: string): string {
  const json = {
    payer: v.payer,
    modelId: v.modelId.toString(),
    currency: v.currency,
    gateway: v.gateway,
    cumulative: v.cumulative.toString(),
    expiry: v.expiry.toString(),
    signature,
  };
  return Buffer.from(JSON.stringify(json), "utf8").toString("base64url");
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const UINT = /^\d{1,78}$/;

/** Parse a voucher header strictly; refuses (voucher_malformed) anything else. */
export function decodeVoucherHeader(header: string): { voucher: Voucher; signature: string } {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return refuseApi("voucher_malformed", `${VOUCHER_HEADER_NAME} is not base64url JSON`);
  }
  if (!j || typeof j !== "object") refuseApi("voucher_malformed", `${VOUCHER_HEADER_NAME} is not a JSON object`);
  for (const k of ["payer", "currency", "gateway"])
    if (typeof j[k] !== "string" || !ADDRESS.test(j[k])) refuseApi("voucher_malformed", `the voucher's ${k} is not an address`);
  for (const k of ["modelId", "cumulative", "expiry"])
    if (typeof j[k] !== "string" || !UINT.test(j[k]))
      refuseApi("voucher_malformed", `the voucher's ${k} is not a decimal integer`);
  if (typeof j.signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(j.signature))
    refuseApi("voucher_malformed", "the voucher's signature is not 65 bytes of hex");
  const voucher: Voucher = {
    payer: j.payer as string,
    modelId: BigInt(j.modelId as string),
    currency: j.currency as string,
    gateway: j.gateway as string,
    cumulative: BigInt(j.cumulative as string),
    expiry: BigInt(j.expiry as string),
  };
  if (voucher.modelId >= 1n << 64n || voucher.expiry >= 1n << 64n || voucher.cumulative >= 1n << 96n)
    refuseApi("voucher_malformed", "the voucher's model id, expiry or cumulative amount is out of range");
  return { voucher, signature: j.signature };
}

export interface VoucherSessionParams {
  /** the gateway's base URL, e.g. http://127.0.0.1:18090 */
  gatewayUrl: string;
  /** the gateway's redeeming account (it is named in every voucher and only it can redeem them) */
  gateway: string;
  chainId: bigint | number;
  /** HexsApiPayments (the proxy) */
  apiPayments: string;
  modelId: bigint;
  /** the API currency the deposit is in */
  currency: string;
  /** the model's price (apiPriceOf): per call, and per 1,000 output tokens */
  perCall: bigint;
  per1kOutputTokens?: bigint;
  /** output tokens charged when a call names no max_tokens (as the gateway does); default 2048 */
  defaultMaxTokens?: number;
  /** what the channel owes already (its redeemed amount on chain, or the last voucher sent); default 0 */
  cumulative?: bigint;
  /** how long each voucher is good for, s; default 1 day (the gateway wants time to redeem it) */
  voucherTtlSeconds?: number;
  fetch?: typeof fetch;
}

/**
 * Calls paid from a deposit: each call signs the next cumulative voucher (what was owed plus
 * this call's price) and sends it with the call. The total only moves forward when the gateway
 * answers; a refused voucher leaves it where it was. If the gateway holds a later voucher than
 * this session knows (another session of the payer), the session takes its total and retries once.
 */
export class VoucherSession {
  cumulative: bigint;
  private readonly p: VoucherSessionParams;
  private payer?: string;

  constructor(
    private readonly signer: Signer,
    p: VoucherSessionParams,
  ) {
    if (p.perCall < 0n || (p.per1kOutputTokens ?? 0n) < 0n) throw new ApiRefusal("bad_request", "prices cannot be negative");
    this.p = p;
    this.cumulative = p.cumulative ?? 0n;
  }

  /** What a call with this body costs (the gateway charges the same). */
  priceOf(body?: Record<string, unknown>): bigint {
    const per1k = this.p.per1kOutputTokens ?? 0n;
    if (per1k === 0n) return this.p.perCall;
    const n = body?.max_completion_tokens ?? body?.max_tokens;
    const tokens = typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : (this.p.defaultMaxTokens ?? 2048);
    return this.p.perCall + (per1k * BigInt(tokens) + 999n) / 1000n;
  }

  /** Sign the voucher for `cumulative` (exposed for tests and tools). */
  async sign(cumulative: bigint): Promise<{ voucher: Voucher; signature: string; header: string }> {
    this.payer ??= await this.signer.getAddress();
    const voucher: Voucher = {
      payer: this.payer,
      modelId: this.p.modelId,
      currency: this.p.currency,
      gateway: this.p.gateway,
      cumulative,
      expiry: BigInt(Math.floor(Date.now() / 1000) + (this.p.voucherTtlSeconds ?? 86_400)),
    };
    const signature = await this.signer.signTypedData(voucherDomain(this.p.chainId, this.p.apiPayments), VOUCHER_TYPES, voucher);
    return { voucher, signature, header: encodeVoucherHeader(voucher, signature) };
  }

  /** Call `endpoint` (POST with `body`, GET without), paying the next voucher. */
  async call(endpoint: string, body?: Record<string, unknown>): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const next = this.cumulative + this.priceOf(body);
      const { header } = await this.sign(next);
      const json = body === undefined ? undefined : JSON.stringify(body);
      const res = await (this.p.fetch ?? fetch)(this.p.gatewayUrl.replace(/\/+$/, "") + apiPath(this.p.modelId, endpoint), {
        method: json === undefined ? "GET" : "POST",
        headers: { [VOUCHER_HEADER_NAME]: header, ...(json === undefined ? {} : { "content-type": "application/json" }) },
        body: json,
      });
      if (res.ok) {
        this.cumulative = next;
        return res;
      }
      const text = await res.text();
      let e: { code?: string; message?: string } | undefined;
      let accepted: string | undefined;
      try {
        const j = JSON.parse(text) as { error?: { code?: string; message?: string }; voucher?: { accepted?: string } };
        e = j.error;
        accepted = j.voucher?.accepted;
      } catch {
        // not JSON: keep the text
      }
      if (e?.code === "voucher_stale" && accepted !== undefined && attempt === 0 && BigInt(accepted) > this.cumulative) {
        this.cumulative = BigInt(accepted);
        continue;
      }
      const fallback: ApiRefusalCode = res.status >= 500 ? "upstream_unreachable" : "bad_request";
      throw new ApiRefusal(
        isApiRefusalCode(e?.code) ? e.code : fallback,
        `${res.status} from the gateway: ${e?.message ?? text}`,
        res.status,
      );
    }
  }
}

// The client side of a paid call (x402 v2): @x402/fetch pays the gateway's 402 with an EIP-3009
// authorization signed by the caller (scheme exact), within the caller's price cap.
import type { Signer, TypedDataField } from "ethers";
import { decodePaymentRequiredHeader } from "@x402/core/http";
import type { PaymentRequirements } from "@x402/core/types";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { wrapFetchWithPayment, x402Client } from "@x402/fetch";
import { apiPath, ApiRefusal, isApiRefusalCode, type ApiRefusalCode } from "./request";

/** What x402's EVM client signs with: an address and EIP-712 signing (a viem LocalAccount fits). */
export interface X402Signer {
  readonly address: `0x${string}`;
  signTypedData(m: {
    domain: Record<string, unknown>;
    types: Record<string, unknown>;
    primaryType: string;
    message: Record<string, unknown>;
  }): Promise<`0x${string}`>;
}

/** An ethers signer as x402's EVM client signer (EIP-712 typed data, EIP712Domain left to ethers). */
export async function x402SignerOf(signer: Signer): Promise<X402Signer> {
  const address = (await signer.getAddress()) as `0x${string}`;
  return {
    address,
    async signTypedData({ domain, types, message }) {
      const own = Object.fromEntries(Object.entries(types).filter(([k]) => k !== "EIP712Domain")) as Record<
        string,
        TypedDataField[]
      >;
      return (await signer.signTypedData(domain, own, message)) as `0x${string}`;
    },
  };
}

export interface PaidModelApiCall {
  /** the gateway's base URL, e.g. http://127.0.0.1:18090 */
  gateway: string;
  modelId: bigint | string;
  /** e.g. "chat/completions", "completions" */
  endpoint: string;
  /** JSON body (POST); absent: GET */
  body?: Record<string, unknown>;
  /** the most this call may cost, in the asset's smallest unit: a dearer 402 is not paid */
  maxAmount: bigint;
  /** pay only in this token (address); default: the one the gateway asks for */
  asset?: string;
  /** the fetch to wrap (default the global one) */
  fetch?: typeof fetch;
}

export interface PaidResponse {
  response: Response;
  /** the terms paid (the gateway's quote); absent when the gateway served without asking */
  paid?: PaymentRequirements;
  payer: string;
}

async function refusalOf(res: Response): Promise<ApiRefusal> {
  const text = await res.text();
  let code: string | undefined;
  let message = text;
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    code = e?.code;
    message = e?.message ?? message;
  } catch {
    // not JSON: keep the text
  }
  const fallback: ApiRefusalCode =
    res.status === 402 ? "payment_invalid" : res.status >= 500 ? "upstream_unreachable" : "bad_request";
  return new ApiRefusal(isApiRefusalCode(code) ? code : fallback, `${res.status} from the gateway: ${message}`, res.status);
}

/**
 * Call a model's API and pay for it per call with x402 v2: the gateway's 402 names the price, the
 * model's sink and the token; @x402/fetch signs an EIP-3009 authorization with `payer` and sends
 * the call again. Refusals (the gateway's JSON reasons, payment_* codes) become ApiRefusal.
 */
export async function callModelApiPaid(payer: Signer | X402Signer, c: PaidModelApiCall): Promise<PaidResponse> {
  // an ethers Signer has getAddress (a HardhatEthersSigner also has an `address`: not enough to tell)
  const signer = typeof (payer as Signer).getAddress === "function" ? await x402SignerOf(payer as Signer) : (payer as X402Signer);
  if (c.maxAmount < 0n) throw new ApiRefusal("bad_request", `maxAmount must be >= 0, got ${c.maxAmount}`);
  const asked: PaymentRequirements[] = [];
  let affordable = 0;
  const client = new x402Client()
    .register("eip155:*", new ExactEvmScheme(signer))
    // the gateway's tokens are not x402 default assets: the cap is ours, per call, in atomic units
    .setSpendControls({ allowedAssets: true })
    .registerPolicy((_v, reqs) => {
      asked.push(...reqs);
      const ok = reqs.filter(
        (r) => BigInt(r.amount) <= c.maxAmount && (c.asset === undefined || r.asset.toLowerCase() === c.asset.toLowerCase()),
      );
      affordable += ok.length;
      return ok;
    });
  const pay = wrapFetchWithPayment(c.fetch ?? fetch, client);
  const path = apiPath(c.modelId, c.endpoint);
  const body = c.body === undefined ? undefined : JSON.stringify(c.body);
  let res: Response;
  try {
    res = await pay(c.gateway.replace(/\/+$/, "") + path, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body,
    });
  } catch (e) {
    const a = asked[0];
    if (a && affordable === 0)
      throw new ApiRefusal(
        "payment_required",
        `the gateway asks ${a.amount} of ${a.asset} on ${a.network} per call, above the cap of ${c.maxAmount}` +
          (c.asset ? ` in ${c.asset}` : "") +
          `: raise the cap to pay it`,
      );
    throw e;
  }
  if (!res.ok) throw await refusalOf(res);
  return { response: res, paid: asked.find((r) => BigInt(r.amount) <= c.maxAmount), payer: signer.address };
}

/** The terms a gateway asks for a call (its 402), without paying. */
export async function quoteModelApi(c: Omit<PaidModelApiCall, "maxAmount" | "asset">): Promise<PaymentRequirements[]> {
  const body = c.body === undefined ? undefined : JSON.stringify(c.body);
  const res = await (c.fetch ?? fetch)(c.gateway.replace(/\/+$/, "") + apiPath(c.modelId, c.endpoint), {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body,
  });
  const h = res.headers.get("payment-required");
  if (res.ok) {
    await res.body?.cancel();
    throw new ApiRefusal("bad_request", `the gateway served ${c.endpoint} of model ${c.modelId} without asking for payment`);
  }
  if (res.status !== 402 || !h) throw await refusalOf(res);
  await res.body?.cancel();
  return decodePaymentRequiredHeader(h).accepts;
}

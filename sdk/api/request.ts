// Signed calls to a model's API through the Hexs gateway (services/api-gateway), for key holders.
//
// The client writes and signs one message per call, like the key service's request challenges
// (sdk/keys/transport.ts): it names the account, the chain where the key is held, the model, the
// HTTP method and path, the sha256 of the body, a random nonce and an expiry. The holder signs it
// with EIP-191 (personal_sign; EVM accounts) or ADR-36 (Cosmos accounts). The gateway accepts it
// once (its nonce ledger) and only if every binding matches the request it came with, then checks
// `hasAccess` for that account and model on the chain named. Two headers carry it:
//   x-hexs-request    base64url of the signed message
//   x-hexs-signature  0x… (EIP-191) or adr36:… (signAdr36)
import { createHash, randomBytes } from "node:crypto";
import { HexsError } from "../errors";
import { signAdr36 } from "../keys/auth";
import type { Holder } from "../keys/client";

export const REQUEST_HEADER_NAME = "x-hexs-request";
export const SIGNATURE_HEADER_NAME = "x-hexs-signature";

export const API_REQUEST_HEADER = "Hexs API request v1: sign to authorise this one call to a model's API. It moves no funds.";
/** The longest a signed call may stay usable (seconds); the gateway refuses longer ones. */
export const MAX_API_REQUEST_TTL = 300;
/** Clock skew tolerated for the issue time (seconds). */
export const API_CLOCK_SKEW = 60;

export type ApiRefusalCode =
  | "missing_auth"
  | "malformed_auth"
  | "bad_signature"
  | "request_mismatch"
  | "expired"
  | "replayed"
  | "wrong_model"
  | "unknown_chain"
  | "no_key"
  | "unknown_model"
  | "chain_unavailable"
  | "bad_request"
  | "upstream_unreachable"
  | "upstream_timeout"
  // paid calls (x402): each is a 402 that carries the accepted requirements
  | "payment_required"
  | "payment_malformed"
  | "payment_invalid"
  | "payment_expired"
  | "payment_not_yet_valid"
  | "payment_underpaid"
  | "payment_wrong_chain"
  | "payment_wrong_token"
  | "payment_wrong_payee"
  | "payment_insufficient_funds"
  | "payment_replayed"
  // prepaid calls (vouchers, sdk/api/vouchers.ts): each is a 402
  | "voucher_malformed"
  | "voucher_wrong_gateway"
  | "voucher_wrong_token"
  | "voucher_wrong_model"
  | "voucher_expired"
  | "voucher_bad_signature"
  | "voucher_stale"
  | "voucher_underpaid"
  | "voucher_above_deposit"
  | "voucher_exposure_cap"
  | "voucher_withdrawal_pending"
  | "voucher_payer_suspended"
  | "not_priced";

const STATUS: Record<ApiRefusalCode, number> = {
  missing_auth: 401,
  malformed_auth: 401,
  bad_signature: 401,
  request_mismatch: 401,
  expired: 401,
  replayed: 401,
  wrong_model: 403,
  unknown_chain: 400,
  // the account holds no live key: the remedy is to pay (buy or renew a key; per call with x402 later)
  no_key: 402,
  unknown_model: 404,
  bad_request: 400,
  chain_unavailable: 503,
  upstream_unreachable: 502,
  upstream_timeout: 504,
  payment_required: 402,
  payment_malformed: 402,
  payment_invalid: 402,
  payment_expired: 402,
  payment_not_yet_valid: 402,
  payment_underpaid: 402,
  payment_wrong_chain: 402,
  payment_wrong_token: 402,
  payment_wrong_payee: 402,
  payment_insufficient_funds: 402,
  payment_replayed: 402,
  voucher_malformed: 402,
  voucher_wrong_gateway: 402,
  voucher_wrong_token: 402,
  voucher_wrong_model: 402,
  voucher_expired: 402,
  voucher_bad_signature: 402,
  voucher_stale: 402,
  voucher_underpaid: 402,
  voucher_above_deposit: 402,
  voucher_exposure_cap: 402,
  voucher_withdrawal_pending: 402,
  // a voucher of this payer was refused on chain: no more calls on credit
  voucher_payer_suspended: 402,
  // the model sells no paid calls in this gateway's currency: only key holders may call
  not_priced: 403,
};

const RETRYABLE: ReadonlySet<ApiRefusalCode> = new Set([
  "expired",
  "replayed",
  "chain_unavailable",
  "upstream_unreachable",
  "upstream_timeout",
  "payment_required",
  "payment_expired",
  "payment_replayed",
  "payment_not_yet_valid",
  // the gateway's unsettled exposure to the payer falls when its next batch settles
  "voucher_exposure_cap",
  // the session resyncs to the gateway's last accepted voucher
  "voucher_stale",
]);

/** Why the gateway refused a call; `status` is the HTTP status it answers with. */
export class ApiRefusal extends HexsError {
  declare readonly code: ApiRefusalCode;
  readonly status: number;
  constructor(code: ApiRefusalCode, message: string, status?: number) {
    super(code, message, { retryable: RETRYABLE.has(code) });
    this.status = status ?? STATUS[code];
  }
}

export const isApiRefusalCode = (code: unknown): code is ApiRefusalCode =>
  typeof code === "string" && Object.hasOwn(STATUS, code);

export function refuseApi(code: ApiRefusalCode, message: string): never {
  throw new ApiRefusal(code, message);
}

export interface ApiRequest {
  account: string;
  chain: string;
  /** the model id, decimal */
  model: string;
  method: string;
  /** path and query, as the gateway receives it */
  path: string;
  bodySha256: string;
  nonce: string;
  issuedAt: number; // unix seconds
  expiresAt: number;
}

export const sha256Hex = (body: Uint8Array | string) => createHash("sha256").update(body).digest("hex");

/** The gateway path of a model's OpenAI-compatible endpoint, e.g. apiPath(7n, "chat/completions"). */
export function apiPath(modelId: bigint | string, endpoint: string): string {
  return `/v1/models/${BigInt(modelId)}/${endpoint.replace(/^\/+/, "")}`;
}

export function formatApiRequest(r: ApiRequest): string {
  return [
    API_REQUEST_HEADER,
    `Account: ${r.account}`,
    `Chain: ${r.chain}`,
    `Model: ${r.model}`,
    `Method: ${r.method}`,
    `Path: ${r.path}`,
    `Body-SHA256: ${r.bodySha256}`,
    `Nonce: ${r.nonce}`,
    `Issued: ${new Date(r.issuedAt * 1000).toISOString()}`,
    `Expires: ${new Date(r.expiresAt * 1000).toISOString()}`,
  ].join("\n");
}

const FIELDS = ["Account", "Chain", "Model", "Method", "Path", "Body-SHA256", "Nonce", "Issued", "Expires"] as const;

/** Parse a signed API request strictly: exactly its ten lines in order, nothing else. */
export function parseApiRequest(message: string): ApiRequest {
  const lines = message.split("\n");
  if (lines[0] !== API_REQUEST_HEADER || lines.length !== FIELDS.length + 1)
    refuseApi(
      "malformed_auth",
      `${REQUEST_HEADER_NAME} does not hold a Hexs API request (its first line must be '${API_REQUEST_HEADER}')`,
    );
  const v = FIELDS.map((n, i) => {
    const l = lines[i + 1];
    if (!l.startsWith(`${n}: `)) refuseApi("malformed_auth", `the signed request's line ${i + 2} is not '${n}: …'`);
    return l.slice(n.length + 2);
  });
  const seconds = (iso: string, what: string) => {
    const t = Date.parse(iso);
    if (!Number.isFinite(t)) refuseApi("malformed_auth", `the signed request's ${what} time is not a date`);
    return Math.floor(t / 1000);
  };
  if (!/^\d{1,20}$/.test(v[2])) refuseApi("malformed_auth", `the signed request's model '${v[2]}' is not a decimal id`);
  if (!/^[0-9a-f]{64}$/.test(v[5])) refuseApi("malformed_auth", "Body-SHA256 must be 64 lower-case hex");
  if (!/^[A-Za-z0-9_-]{22,64}$/.test(v[6])) refuseApi("malformed_auth", "the nonce must be 16 to 48 random bytes, base64url");
  return {
    account: v[0],
    chain: v[1],
    model: v[2],
    method: v[3],
    path: v[4],
    bodySha256: v[5],
    nonce: v[6],
    issuedAt: seconds(v[7], "issue"),
    expiresAt: seconds(v[8], "expiry"),
  };
}

/**
 * Check a signed request against the request it came with: the model of the route, the method,
 * the path, the body, and a window that is open now and not longer than MAX_API_REQUEST_TTL.
 * (The signature and the nonce are the gateway's next steps.)
 */
export function checkApiRequest(
  r: ApiRequest,
  want: { model: string; method: string; path: string; body: Uint8Array | string },
  nowMs: number,
): void {
  const nowS = Math.floor(nowMs / 1000);
  if (r.model !== want.model)
    refuseApi("wrong_model", `the request was signed for model ${r.model}, not model ${want.model}: sign a call for this model`);
  if (r.method !== want.method) refuseApi("request_mismatch", `the request was signed for ${r.method}, not ${want.method}`);
  if (r.path !== want.path) refuseApi("request_mismatch", `the request was signed for path ${r.path}, not ${want.path}`);
  if (r.bodySha256 !== sha256Hex(want.body))
    refuseApi("request_mismatch", "the request body is not the one that was signed (Body-SHA256 differs)");
  if (r.expiresAt <= nowS)
    refuseApi("expired", `the signed request expired at ${new Date(r.expiresAt * 1000).toISOString()}: sign a new one`);
  if (r.issuedAt > nowS + API_CLOCK_SKEW)
    refuseApi("malformed_auth", "the signed request is issued in the future (check the clock)");
  if (r.expiresAt - Math.min(r.issuedAt, nowS) > MAX_API_REQUEST_TTL)
    refuseApi("malformed_auth", `the signed request stays valid longer than ${MAX_API_REQUEST_TTL} s`);
}

export interface SignApiRequestParams {
  modelId: bigint | string;
  /** The chain where the holder's key is checked (the gateway's name for it, e.g. hexs-evm-31337). */
  chain: string;
  method?: string;
  /** path and query on the gateway, e.g. apiPath(modelId, "chat/completions") */
  path: string;
  /** the exact body bytes that will be sent ("" for none) */
  body?: Uint8Array | string;
  ttlSeconds?: number;
  nowMs?: number;
}

/**
 * The headers that authorise one call: sign them as the holder and send them with exactly this
 * method, path and body. Each set works once; sign again for the next call.
 */
export async function signApiRequest(holder: Holder, p: SignApiRequestParams): Promise<Record<string, string>> {
  const issuedAt = Math.floor((p.nowMs ?? Date.now()) / 1000);
  const ttl = p.ttlSeconds ?? 60;
  if (ttl <= 0 || ttl > MAX_API_REQUEST_TTL)
    throw new ApiRefusal("bad_request", `ttlSeconds must be in 1..${MAX_API_REQUEST_TTL}, got ${ttl}`);
  const r: ApiRequest = {
    account: holder.address,
    chain: p.chain,
    model: BigInt(p.modelId).toString(),
    method: (p.method ?? "POST").toUpperCase(),
    path: p.path,
    bodySha256: sha256Hex(p.body ?? ""),
    nonce: randomBytes(16).toString("base64url"),
    issuedAt,
    expiresAt: issuedAt + ttl,
  };
  const message = formatApiRequest(r);
  const signature =
    holder.family === "evm" ? await holder.signMessage(message) : await signAdr36(holder.signer, holder.address, message);
  return { [REQUEST_HEADER_NAME]: Buffer.from(message, "utf8").toString("base64url"), [SIGNATURE_HEADER_NAME]: signature };
}

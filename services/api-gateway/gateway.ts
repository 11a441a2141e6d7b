// The API gateway: `/v1/models/<model id>/<endpoint>` on behalf of a model's deployment.
//
// A call is served when it carries a key holder's signed request (sdk/api/request.ts) that
//   1. is a well-formed Hexs API request for exactly this model, method, path and body,
//   2. is open now (not expired, not longer than MAX_API_REQUEST_TTL),
//   3. names a chain this gateway reads, and is signed by the account it names (EIP-191/ADR-36),
//   4. has not been used before (nonce ledger, SQLite; a file survives restarts),
//   5. and the account holds a live key of the model on that chain (KeyNFT.hasAccess through the
//      registry's keysOf on EVM chains, has_access on the CosmWasm contract), read on every call.
// Then the request goes to the model's upstream (for now a configured URL per model; later the
// lease's service URL) and the answer comes back as it is produced: SSE is piped, never buffered.
// Refusals are JSON `{ error: { message, type, code } }` with 401/402/403 (sdk/api ApiRefusal);
// an unreachable upstream is 502, one that does not answer in time 504.
// With `x402` configured, a call without a signed request is a paid call (facilitator.ts): 402 with
// the model's PaymentRequirements, or served against a verified x402 v2 payment that is settled
// after a complete 2xx answer (never for a 4xx/5xx/502/504).
import Database from "better-sqlite3";
import { Contract, JsonRpcProvider, ZeroAddress } from "ethers";
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, request as httpRequest } from "node:http";
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from "node:http";
import { Counter, Histogram, Registry } from "prom-client";
import {
  ApiRefusal,
  checkApiRequest,
  parseApiRequest,
  refuseApi,
  REQUEST_HEADER_NAME,
  SIGNATURE_HEADER_NAME,
  type ApiRefusalCode,
} from "../../sdk/api/request";
import { parseAccount, verifyHolderSignature, type Account } from "../../sdk/keys/auth";
import { ChainAccess, cosmwasmKeyCondition, evmKeyCondition, type ChainConfig } from "../../sdk/keys/conditions";
import { KeyServiceError } from "../../sdk/keys/errors";
import { messageOf } from "../../sdk/errors";
import { close, listen } from "../key-service/http";
import { encodePaymentRequiredHeader } from "@x402/core/http";
import type { PaymentRequirements } from "@x402/core/types";
import { PaidCalls, type HeldPayment, type X402Config } from "./facilitator";
import { VoucherCalls, type HeldVoucher, type VoucherConfig } from "./vouchers";
import { VOUCHER_HEADER_NAME } from "../../sdk/api/vouchers";
import { hashMessage } from "viem";
import { PayerKeys } from "./fast-verify";

export type GatewayChain =
  | { name: string; kind: "evm"; rpcUrl: string; chainId: number; /** HexsRegistry: keysOf(model) */ registry: string }
  | { name: string; kind: "cosmwasm"; rpcUrl: string; /** the Hexs CosmWasm contract */ contract: string };

export interface GatewayConfig {
  /** model id (decimal) → the base URL of its OpenAI-compatible upstream (no trailing /v1) */
  models: Record<string, { upstream: string }>;
  chains: GatewayChain[];
  port?: number | { from: number; to: number };
  /** the nonce ledger's SQLite file; default in memory (then a restart forgets used nonces) */
  nonceDb?: string;
  /** how long the upstream may stay silent (before its headers or between chunks), ms; default 30 000 */
  upstreamTimeoutMs?: number;
  /**
   * Reuse a positive hasAccess answer for (chain, model, account) this long, ms; default 0 (read
   * the chain on every call). With a window, a key sold, moved or expired keeps working that long
   * at this gateway; a refusal is never cached.
   */
  accessCacheMs?: number;
  /** paid calls with x402 v2 (exact scheme, EIP-3009); absent: key holders only */
  x402?: X402Config;
  /** prepaid calls paid with vouchers against a deposit (x-hexs-voucher header); absent: not taken */
  vouchers?: VoucherConfig;
  /**
   * Bearer token of the admin endpoint `POST /admin/payers/<address>/lift` (gives a suspended
   * payer credit again); absent: the endpoint answers 404.
   */
  adminToken?: string;
  now?: () => number;
  log?: (line: string) => void;
}

export interface RunningGateway {
  url: string;
  registry: Registry;
  /** the x402 side (settlement queue, sweep) when configured */
  payments?: PaidCalls;
  /** the voucher side (acceptance, batch redemption) when configured */
  vouchers?: VoucherCalls;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

// ------------------------------------------------------------------ nonce ledger

/** Used nonces per account until they expire; INSERT OR IGNORE makes check-and-record one step. */
export class NonceLedger {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly prune: Database.Statement;
  private lastPrune = 0;

  constructor(file = ":memory:") {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.exec("CREATE TABLE IF NOT EXISTS api_nonces (k TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)");
    this.insert = this.db.prepare("INSERT OR IGNORE INTO api_nonces (k, expires_at) VALUES (?, ?)");
    this.prune = this.db.prepare("DELETE FROM api_nonces WHERE expires_at < ?");
  }

  /** Record `account`'s `nonce`; false if it was recorded before. */
  consume(account: string, nonce: string, expiresAt: number, nowS: number): boolean {
    // an expired request is refused before it gets here, so forgetting expired nonces is safe
    if (nowS - this.lastPrune >= 60) {
      this.prune.run(nowS - 60);
      this.lastPrune = nowS;
    }
    return this.insert.run(`${account} ${nonce}`, expiresAt).changes === 1;
  }

  close(): void {
    this.db.close();
  }
}

// ------------------------------------------------------------------ key access on chains

/** hasAccess(account, model) on a named chain: one provider per chain, reused. */
export class KeyAccess {
  private readonly access: ChainAccess;
  private readonly providers = new Map<string, JsonRpcProvider>();
  /** (chain, model) → KeyNFT address; a model's KeyNFT never changes once it exists */
  private readonly keyNfts = new Map<string, string>();

  private readonly granted = new Map<string, number>();

  constructor(
    readonly chains: GatewayChain[],
    private readonly cacheMs = 0,
    private readonly now: () => number = Date.now,
  ) {
    this.access = new ChainAccess(chains.map((c) => ({ ...c }) as ChainConfig));
  }

  chain(name: string): GatewayChain {
    const c = this.chains.find((k) => k.name.toLowerCase() === name.toLowerCase());
    if (!c)
      refuseApi(
        "unknown_chain",
        `this gateway does not read chain '${name}' (it reads: ${this.chains.map((k) => k.name).join(", ") || "none"})`,
      );
    return c;
  }

  private async keyNft(c: Extract<GatewayChain, { kind: "evm" }>, model: string): Promise<string> {
    const k = `${c.name} ${model}`;
    const known = this.keyNfts.get(k);
    if (known) return known;
    let p = this.providers.get(c.name);
    if (!p) {
      p = new JsonRpcProvider(c.rpcUrl, c.chainId, { staticNetwork: true, batchMaxCount: 1 });
      this.providers.set(c.name, p);
    }
    let addr: string;
    try {
      addr = (await new Contract(c.registry, ["function keysOf(uint64) view returns (address)"], p).keysOf(model)) as string;
    } catch (e) {
      const text = messageOf(e);
      if (/revert|CALL_EXCEPTION/i.test(text)) addr = ZeroAddress;
      else refuseApi("chain_unavailable", `could not read chain '${c.name}': ${text.split("\n")[0]}`);
    }
    if (addr === ZeroAddress)
      refuseApi("no_key", `model ${model} has no keys on chain '${c.name}': it is not published or mirrored there`);
    this.keyNfts.set(k, addr);
    return addr;
  }

  /** Refuses unless `account` holds a live key of `model` on `chainName`. */
  async require(chainName: string, model: string, account: Account): Promise<void> {
    const c = this.chain(chainName);
    const k = `${c.name} ${model} ${account.address}`;
    if (this.cacheMs > 0 && (this.granted.get(k) ?? 0) > this.now()) return;
    const condition =
      c.kind === "evm"
        ? evmKeyCondition(1, c.name, await this.keyNft(c, model))
        : cosmwasmKeyCondition(1, c.name, c.contract, model);
    let ok: boolean;
    try {
      ok = await this.access.check(condition, account);
    } catch (e) {
      if (e instanceof KeyServiceError && e.code === "chain_unavailable") refuseApi("chain_unavailable", e.message);
      throw e;
    }
    if (!ok) {
      refuseApi(
        "no_key",
        `${account.address} holds no live key of model ${model} on chain '${c.name}'` +
          (c.kind === "evm" && account.family !== "evm" ? " (a Cosmos account cannot hold keys on an EVM chain)" : "") +
          `: buy one (key:buy --model ${model}) or renew it`,
      );
    }
    if (this.cacheMs > 0) {
      if (this.granted.size > 100_000) this.granted.clear(); // bounded: a flood of accounts only costs re-reads
      this.granted.set(k, this.now() + this.cacheMs);
    }
  }

  close(): void {
    this.access.close();
    for (const p of this.providers.values()) p.destroy();
  }
}

// ------------------------------------------------------------------ metrics

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: "hexs_api_requests_total",
    help: "Calls to /v1/models/<model>/…, by model and outcome (ok, upstream_4xx/5xx, or the refusal code)",
    labelNames: ["model", "outcome"],
    registers: [this.registry],
  });
  readonly upstreamTtfb = new Histogram({
    name: "hexs_api_upstream_ttfb_seconds",
    help: "Time from forwarding a call to the upstream's response headers",
    labelNames: ["model"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly upstreamDuration = new Histogram({
    name: "hexs_api_upstream_duration_seconds",
    help: "Time from forwarding a call to the end of the upstream's answer (the whole stream)",
    labelNames: ["model"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  readonly authSeconds = new Histogram({
    name: "hexs_api_auth_seconds",
    help: "Time to check a call's signature, nonce and key (the gateway's own overhead)",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });
  readonly paidCalls = new Counter({
    name: "hexs_api_paid_calls_total",
    help: "Calls served against an x402 payment, by model",
    labelNames: ["model"],
    registers: [this.registry],
  });
  readonly revenue = new Counter({
    name: "hexs_api_revenue_total",
    help: "Settled x402 payments into the model's sink, in the asset's smallest unit, by model and asset",
    labelNames: ["model", "asset"],
    registers: [this.registry],
  });
  readonly settlements = new Counter({
    name: "hexs_api_settlements_total",
    help: "x402 settlements (transferWithAuthorization into the model's sink) and voucher redemptions, by model and outcome (settled, failed, parked)",
    labelNames: ["model", "outcome"],
    registers: [this.registry],
  });
  readonly verifySteps = new Counter({
    name: "hexs_api_paid_verify_seconds_total",
    help: "Time spent checking x402 payments on the request path, by step (decode, requirements, funds, digest, signature, onChainVerify, ledger)",
    labelNames: ["step"],
    registers: [this.registry],
  });
  readonly vouchersParked = new Counter({
    name: "hexs_api_vouchers_parked_total",
    help: "Prepaid vouchers taken out of redemption for good (refused on chain, or expired unredeemed), by model and reason",
    labelNames: ["model", "reason"],
    registers: [this.registry],
  });
}

// ------------------------------------------------------------------ HTTP

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiRefusal("bad_request", `request body over ${MAX_BODY} bytes`));
        req.resume();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, json: unknown): void {
  const bytes = Buffer.from(JSON.stringify(json));
  res.writeHead(status, { "content-type": "application/json", "content-length": bytes.length }).end(bytes);
}

const errorBody = (code: ApiRefusalCode | string, message: string) => ({
  error: {
    message,
    type: code.startsWith("upstream")
      ? "upstream_error"
      : code.startsWith("payment") || code.startsWith("voucher")
        ? "payment_error"
        : "hexs_auth_error",
    code,
    param: null,
  },
});

/** The output tokens a call asks for (what a per-1k-token price charges for), if it names them. */
function maxTokensOf(body: Buffer): number | undefined {
  try {
    const j = JSON.parse(body.toString("utf8")) as { max_tokens?: unknown; max_completion_tokens?: unknown };
    const n = j.max_completion_tokens ?? j.max_tokens;
    return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

const MODEL_ROUTE = /^\/v1\/models\/([^/]+)\/(.+)$/;
/** response headers passed back from the upstream (hop-by-hop ones are not) */
const PASS_BACK = ["content-type", "cache-control", "content-length", "x-request-id", "openai-processing-ms"];

export async function startGateway(cfg: GatewayConfig): Promise<RunningGateway> {
  const now = cfg.now ?? Date.now;
  const log = cfg.log ?? (() => undefined);
  const timeoutMs = cfg.upstreamTimeoutMs ?? 30_000;
  const models = new Map(Object.entries(cfg.models).map(([id, m]) => [BigInt(id).toString(), new URL(m.upstream)]));
  const ledger = new NonceLedger(cfg.nonceDb);
  const keys = new KeyAccess(cfg.chains, cfg.accessCacheMs ?? 0, now);
  const metrics = new GatewayMetrics();
  let payments: PaidCalls | undefined;
  if (cfg.x402) {
    const x = cfg.x402;
    const c = cfg.chains.find((k) => k.name === x.chain);
    if (!c || c.kind !== "evm") {
      keys.close();
      ledger.close();
      throw new Error(`x402.chain '${x.chain}' is not an EVM chain of this gateway's chains`);
    }
    payments = new PaidCalls(x, c, metrics, now, log);
  }
  let vouchers: VoucherCalls | undefined;
  if (cfg.vouchers) {
    const v = cfg.vouchers;
    const c = cfg.chains.find((k) => k.name === v.chain);
    if (!c || c.kind !== "evm") {
      keys.close();
      ledger.close();
      await payments?.close();
      throw new Error(`vouchers.chain '${v.chain}' is not an EVM chain of this gateway's chains`);
    }
    vouchers = new VoucherCalls(v, c, metrics, now, log);
  }

  // EIP-191 holder signatures: native ecrecover (fast-verify.ts, when libsecp256k1 loads) accepts a
  // plain low-s one that names the account; whatever it does not confirm goes to the SDK's verifier
  const holderKeys = new PayerKeys();
  const holderSignatureValid = (account: Account, message: string, signature: string): boolean =>
    (account.family === "evm" &&
      holderKeys.native !== undefined &&
      holderKeys.verify(Buffer.from(hashMessage(message).slice(2), "hex"), signature, account.address) === "valid") ||
    verifyHolderSignature(account, message, signature);

  /** Steps 1–5 of the header comment; returns the account served. */
  const authorize = async (req: IncomingMessage, model: string, path: string, body: Buffer): Promise<Account> => {
    const encoded = req.headers[REQUEST_HEADER_NAME];
    const signature = req.headers[SIGNATURE_HEADER_NAME];
    if (typeof encoded !== "string" || typeof signature !== "string" || !encoded || !signature) {
      refuseApi(
        "missing_auth",
        `this call needs a key holder's signed request: headers ${REQUEST_HEADER_NAME} and ${SIGNATURE_HEADER_NAME} (sdk/api signApiRequest)`,
      );
    }
    const message = Buffer.from(encoded, "base64url").toString("utf8");
    const signed = parseApiRequest(message);
    checkApiRequest(signed, { model, method: req.method ?? "GET", path, body }, now());
    keys.chain(signed.chain);
    let account: Account;
    try {
      account = parseAccount(signed.account);
    } catch (e) {
      return refuseApi("malformed_auth", messageOf(e));
    }
    if (!holderSignatureValid(account, message, signature))
      refuseApi(
        "bad_signature",
        `the signature does not verify for ${account.address} over the signed request (${account.family === "evm" ? "EIP-191" : "ADR-36"})`,
      );
    if (!ledger.consume(account.address, signed.nonce, signed.expiresAt, Math.floor(now() / 1000)))
      refuseApi("replayed", "this signed request was already used: sign a new one for each call");
    await keys.require(signed.chain, model, account);
    return account;
  };

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    model: string,
    upstream: URL,
    rest: string,
    search: string,
    body: Buffer,
  ) =>
    new Promise<string>((resolve) => {
      const t0 = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
      const base = upstream.pathname.replace(/\/+$/, "");
      const headers: OutgoingHttpHeaders = { "content-length": body.length };
      for (const h of ["content-type", "accept"]) if (req.headers[h]) headers[h] = req.headers[h];
      let settled = false;
      const done = (outcome: string) => {
        if (!settled) {
          settled = true;
          resolve(outcome);
        }
      };
      const up = httpRequest(
        { hostname: upstream.hostname, port: upstream.port, method: req.method, path: `${base}/v1/${rest}${search}`, headers },
        (ures) => {
          metrics.upstreamTtfb.observe({ model }, seconds());
          const out: OutgoingHttpHeaders = {};
          for (const h of PASS_BACK) if (ures.headers[h] !== undefined) out[h] = ures.headers[h];
          res.writeHead(ures.statusCode ?? 502, out);
          // a stream's headers go out at once; a plain answer's go with its body in one write
          if (/^text\/event-stream/i.test(String(ures.headers["content-type"] ?? ""))) res.flushHeaders();
          const status = ures.statusCode ?? 502;
          // chunk by chunk as the upstream sends them: SSE tokens reach the client immediately
          ures.pipe(res);
          ures.on("end", () => {
            metrics.upstreamDuration.observe({ model }, seconds());
            done(status >= 500 ? "upstream_5xx" : status >= 400 ? "upstream_4xx" : "ok");
          });
          ures.on("error", () => {
            res.destroy();
            done("upstream_aborted");
          });
        },
      );
      up.setTimeout(timeoutMs, () =>
        up.destroy(new ApiRefusal("upstream_timeout", `model ${model}'s upstream sent nothing for ${timeoutMs} ms`)),
      );
      up.on("error", (e) => {
        if (res.headersSent) {
          // mid-stream: the status is gone, cutting the connection is the only signal left
          res.destroy();
          done(e instanceof ApiRefusal ? e.code : "upstream_aborted");
          return;
        }
        const r =
          e instanceof ApiRefusal
            ? e
            : new ApiRefusal(
                "upstream_unreachable",
                `model ${model}'s upstream at ${upstream.origin} is unreachable (${messageOf(e)})`,
              );
        sendJson(res, r.status, errorBody(r.code, r.message));
        done(r.code);
      });
      // the client went away: stop the upstream's work too
      res.on("close", () => {
        if (!res.writableFinished) up.destroy();
      });
      up.end(body);
    });

  /** A call paid with x402: verify and hold the payment, forward, then settle (2xx) or release. */
  const paid = async (
    p: PaidCalls,
    req: IncomingMessage,
    res: ServerResponse,
    model: string,
    upstream: URL,
    rest: string,
    search: string,
    body: Buffer,
  ): Promise<string> => {
    const header = req.headers["payment-signature"] ?? req.headers["x-payment"];
    if (typeof header !== "string" || !header)
      refuseApi(
        "payment_required",
        `model ${model}'s API is paid per call: pay with x402 (PAYMENT-SIGNATURE header, see accepts) or sign the call as a key holder (${REQUEST_HEADER_NAME})`,
      );
    const t0 = process.hrtime.bigint();
    const held: HeldPayment = await p.hold(model, header, maxTokensOf(body));
    metrics.authSeconds.observe(Number(process.hrtime.bigint() - t0) / 1e9);
    const outcome = await forwardHeld(p, held, () => forward(req, res, model, upstream, rest, search, body));
    return outcome === "ok" ? "paid" : outcome;
  };

  /** Forwards a call whose payment is held: kept once the answer was served, released otherwise. */
  const forwardHeld = async <H>(
    payments: { served(held: H): void; release(held: H): void },
    held: H,
    forwardCall: () => Promise<string>,
  ): Promise<string> => {
    let outcome = "upstream_aborted";
    try {
      outcome = await forwardCall();
    } finally {
      if (outcome === "ok") payments.served(held);
      else payments.release(held);
    }
    return outcome;
  };

  /** A call paid with a voucher: accept it as the channel's latest, forward, keep it (2xx) or roll back. */
  const prepaid = async (
    v: VoucherCalls,
    header: string,
    req: IncomingMessage,
    res: ServerResponse,
    model: string,
    upstream: URL,
    rest: string,
    search: string,
    body: Buffer,
  ): Promise<string> => {
    const t0 = process.hrtime.bigint();
    let held: HeldVoucher;
    try {
      held = await v.hold(model, header, maxTokensOf(body));
    } catch (e) {
      if (!(e instanceof ApiRefusal)) throw e;
      // the gateway's view of the channel, so a client can resync its running total
      let state: { accepted: string; redeemed: string } | undefined;
      try {
        const payer = (JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { payer?: unknown }).payer;
        if (typeof payer === "string") state = v.stateOf(payer, model);
      } catch {
        // malformed: no state to show
      }
      sendJson(res, e.status, { ...errorBody(e.code, e.message), ...(state ? { voucher: state } : {}) });
      return e.code;
    }
    metrics.authSeconds.observe(Number(process.hrtime.bigint() - t0) / 1e9);
    const outcome = await forwardHeld(v, held, () => forward(req, res, model, upstream, rest, search, body));
    return outcome === "ok" ? "prepaid" : outcome;
  };

  /** 402 with the reason and the accepted requirements (a fresh quote), in the x402 v2 header and the body. */
  const paymentRequired = async (
    p: PaidCalls,
    req: IncomingMessage,
    res: ServerResponse,
    model: string,
    pathname: string,
    body: Buffer,
    why: ApiRefusal,
  ): Promise<void> => {
    const accepts: PaymentRequirements[] = [await p.requirements(model, maxTokensOf(body))];
    const message =
      why.code === "payment_required"
        ? `${why.message}; a call costs ${accepts[0].amount} of ${accepts[0].asset} on ${accepts[0].network}`
        : why.message;
    const resource = {
      url: `http://${req.headers.host ?? "127.0.0.1"}${pathname}`,
      description: `model ${model}'s OpenAI-compatible API`,
      mimeType: "application/json",
    };
    const bytes = Buffer.from(JSON.stringify({ ...errorBody(why.code, message), x402Version: 2, resource, accepts }));
    res
      .writeHead(402, {
        "content-type": "application/json",
        "content-length": bytes.length,
        "payment-required": encodePaymentRequiredHeader({ x402Version: 2, error: message, resource, accepts }),
        "cache-control": "private, no-store",
      })
      .end(bytes);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<{ model: string; outcome: string }> => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "GET" && url.pathname === "/metrics") {
      res.writeHead(200, { "content-type": metrics.registry.contentType }).end(await metrics.registry.metrics());
      return { model: "", outcome: "" };
    }
    if (req.method === "GET" && url.pathname === "/healthz") {
      sendJson(res, 200, {
        ok: true,
        models: [...models.keys()],
        chains: cfg.chains.map((c) => c.name),
        // what a prepaid caller needs to sign vouchers this gateway redeems
        ...(vouchers && cfg.vouchers
          ? {
              vouchers: {
                gateway: vouchers.address,
                asset: vouchers.asset,
                chain: cfg.vouchers.chain,
                apiPayments: cfg.vouchers.apiPayments,
              },
            }
          : {}),
      });
      return { model: "", outcome: "" };
    }
    const lift = /^\/admin\/payers\/(0x[0-9a-fA-F]{40})\/lift$/.exec(url.pathname);
    if (cfg.adminToken && lift && req.method === "POST") {
      // compare digests: equal lengths for timingSafeEqual whatever the caller sends
      const sha = (x: string) => createHash("sha256").update(x).digest();
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
      if (!timingSafeEqual(sha(given), sha(cfg.adminToken))) {
        sendJson(
          res,
          401,
          errorBody("admin_unauthorized", "this endpoint needs the gateway's admin token (Authorization: Bearer …)"),
        );
        return { model: "", outcome: "" };
      }
      const payer = lift[1].toLowerCase();
      const lifted = { vouchers: vouchers?.lift(payer) ?? false, x402: (await payments?.lift(payer)) ?? false };
      log(`admin: lift ${payer}: ${JSON.stringify(lifted)}`);
      sendJson(res, 200, { payer, lifted });
      return { model: "", outcome: "" };
    }
    if (req.method === "GET" && url.pathname === "/v1/models") {
      sendJson(res, 200, { object: "list", data: [...models.keys()].map((id) => ({ id, object: "model", owned_by: "hexs" })) });
      return { model: "", outcome: "" };
    }
    const m = MODEL_ROUTE.exec(url.pathname);
    if (!m) {
      sendJson(
        res,
        404,
        errorBody("not_found", `${req.method} ${url.pathname} is not served here: use /v1/models/<model id>/<endpoint>`),
      );
      return { model: "", outcome: "" };
    }
    let model = "unknown";
    try {
      if (!/^\d{1,20}$/.test(m[1])) refuseApi("unknown_model", `'${m[1]}' is not a model id (a decimal number)`);
      const upstream = models.get(BigInt(m[1]).toString());
      if (!upstream)
        refuseApi(
          "unknown_model",
          `model ${m[1]} is not served by this gateway (served: ${[...models.keys()].join(", ") || "none"})`,
        );
      model = BigInt(m[1]).toString();
      const body = await readBody(req);
      const voucher = req.headers[VOUCHER_HEADER_NAME];
      if (vouchers && typeof voucher === "string" && req.headers[REQUEST_HEADER_NAME] === undefined)
        return { model, outcome: await prepaid(vouchers, voucher, req, res, model, upstream, m[2], url.search, body) };
      if (payments && req.headers[REQUEST_HEADER_NAME] === undefined) {
        try {
          return { model, outcome: await paid(payments, req, res, model, upstream, m[2], url.search, body) };
        } catch (e) {
          if (!(e instanceof ApiRefusal) || e.status !== 402 || res.headersSent) throw e;
          await paymentRequired(payments, req, res, model, url.pathname, body, e);
          return { model, outcome: e.code };
        }
      }
      const t0 = process.hrtime.bigint();
      await authorize(req, model, url.pathname + url.search, body);
      metrics.authSeconds.observe(Number(process.hrtime.bigint() - t0) / 1e9);
      return { model, outcome: await forward(req, res, model, upstream, m[2], url.search, body) };
    } catch (e) {
      const r = e instanceof ApiRefusal ? e : undefined;
      if (!r) log(`internal error: ${(e as Error).stack}`);
      const [status, code, msg] = r ? [r.status, r.code, r.message] : [500, "internal", `internal error: ${messageOf(e)}`];
      if (!res.headersSent) sendJson(res, status, errorBody(code, msg));
      return { model, outcome: code };
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).then(
      ({ model, outcome }) => {
        if (outcome) metrics.requests.inc({ model, outcome });
        log(`${req.method} ${req.url} ${res.statusCode} ${outcome}`);
      },
      (e: unknown) => {
        log(`internal error: ${messageOf(e)}`);
        if (!res.headersSent) sendJson(res, 500, errorBody("internal", "internal error"));
        else res.destroy();
      },
    );
  });
  let port: number;
  try {
    port = await listen(server, cfg.port ?? 0);
  } catch (e) {
    keys.close();
    ledger.close();
    await payments?.close();
    await vouchers?.close();
    throw e;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    registry: metrics.registry,
    payments,
    vouchers,
    async close() {
      await close(server);
      keys.close();
      ledger.close();
      await payments?.close();
      await vouchers?.close();
    },
  };
}

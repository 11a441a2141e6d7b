// api:call — call a model's OpenAI-compatible API through the Hexs gateway as a key holder: the
// task signs the request with the account (EIP-191, single use, bound to this call) and prints
// the answer; with --stream it prints the tokens as they arrive. With --pay it pays the call
// instead (x402 v2: an EIP-3009 authorization of the gateway's quoted price, at most --max-price).
// With --voucher it pays from a prepaid deposit: it deposits --deposit first when the channel
// cannot pay the call, then signs the next cumulative voucher (the SDK's VoucherSession); the
// gateway's redeeming account and currency come from its /healthz unless given.
// model:api-price sets (or shows) a model's API price; api:sweep moves paid calls into the vault;
// api:deposit prepays calls (a deposit that per-call vouchers draw on, redeemed by the gateway in batches).
import { task, types } from "hardhat/config";
import { formatId } from "../sdk/ids";
import { loadProtocol, resolveSigner, sdk } from "./lib/context";
import { cli, fail } from "./lib/errors";
import { say, sayPart } from "./lib/log";
import { parseAddress, parseAmount, parseBps, parseCurrency, parseId, parseUint } from "./lib/parse";

export interface ApiCallArgs {
  gateway: string;
  model: string;
  prompt: string;
  endpoint: string;
  chain?: string;
  maxTokens: number;
  temperature?: number;
  seed?: number;
  stream: boolean;
  from?: string;
  pay: boolean;
  maxPrice?: string;
  voucher?: boolean;
  currency?: string;
  voucherGateway?: string;
  deposit?: string;
  voucherTtl?: number;
}

export interface ApiCallResult {
  text: string;
  finishReason: string | null;
  account: string;
  chain: string;
  /** with --pay: the amount paid (smallest unit), the token and the model's sink it went to */
  paid?: { amount: string; asset: string; payTo: string; network: string };
  /** with --voucher: this call's price, the channel's total after it, and a deposit made first (if any) */
  voucher?: { amount: string; cumulative: string; asset: string; gateway: string; deposited?: string };
}

/** The voucher terms a gateway publishes on /healthz (absent when it takes no vouchers). */
async function gatewayVoucherTerms(url: string): Promise<{ gateway: string; asset: string } | undefined> {
  let j: { vouchers?: { gateway?: unknown; asset?: unknown } };
  try {
    const res = await fetch(url.replace(/\/+$/, "") + "/healthz");
    j = (await res.json()) as typeof j;
  } catch (e) {
    fail(
      `could not read ${url}/healthz for the gateway's voucher terms (${(e as Error).message}): give --voucher-gateway and --currency`,
    );
  }
  const v = j.vouchers;
  return v && typeof v.gateway === "string" && typeof v.asset === "string" ? { gateway: v.gateway, asset: v.asset } : undefined;
}

task(
  "api:call",
  "Call a model's API through the gateway as a key holder (signed request) or, with --pay, paying per call (x402); prints the answer",
)
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("prompt", "The user message (chat) or the prompt (completions)")
  .addOptionalParam("gateway", "The gateway's base URL", "http://127.0.0.1:18090")
  .addOptionalParam("endpoint", "chat (chat/completions) or completions", "chat")
  .addOptionalParam(
    "chain",
    "The chain where the key is checked, in the gateway's naming (default hexs-evm-<this network's chain id>)",
  )
  .addOptionalParam("maxTokens", "Most tokens (characters) to generate", 64, types.int)
  .addOptionalParam("temperature", "Sampling temperature (0: greedy)", undefined, types.float)
  .addOptionalParam("seed", "Sampling seed (same seed, same answer)", undefined, types.int)
  .addFlag("stream", "Stream the answer (SSE) and print tokens as they arrive")
  .addOptionalParam("from", "Account to sign with: index (0, 1, …) or address among the network's accounts", "0")
  .addFlag("pay", "Pay for the call with x402 (EIP-3009 authorization from --from) instead of holding a key")
  .addOptionalParam("maxPrice", "With --pay: the most to pay for this call, in the token's smallest unit (e.g. 1000)")
  .addFlag("voucher", "Pay from a prepaid deposit with a signed cumulative voucher (deposits --deposit first if needed)")
  .addOptionalParam("currency", "With --voucher: the API currency (token address); default the gateway's")
  .addOptionalParam("voucherGateway", "With --voucher: the gateway's redeeming account (address); default from its /healthz")
  .addOptionalParam(
    "deposit",
    "With --voucher: escrow this much when the deposit cannot pay the call, in token units (e.g. 5) or base units (e.g. 5000wei); default 100 calls' worth",
  )
  .addOptionalParam(
    "voucherTtl",
    "With --voucher: how long the voucher stays redeemable, s (the gateway wants at least an hour)",
    86_400,
    types.int,
  )
  .setAction(
    cli(async (a: ApiCallArgs, hre): Promise<ApiCallResult> => {
      const modelId = parseId("model", a.model);
      if (a.endpoint !== "chat" && a.endpoint !== "completions") fail(`bad --endpoint '${a.endpoint}': chat or completions`);
      if (a.maxPrice !== undefined && !a.pay) fail("--max-price is for paid calls: add --pay");
      if (a.pay && a.voucher) fail("--pay and --voucher are two ways to pay: choose one");
      if (a.voucherTtl !== undefined && !(a.voucherTtl > 0)) fail(`bad --voucher-ttl '${a.voucherTtl}': seconds, above 0`);
      if (!a.voucher && (a.currency !== undefined || a.voucherGateway !== undefined || a.deposit !== undefined))
        fail("--currency, --voucher-gateway and --deposit are for prepaid calls: add --voucher");
      const maxAmount = a.pay ? parseUint("max-price", a.maxPrice?.replace(/wei$/i, ""), (1n << 96n) - 1n) : 0n;
      const chat = a.endpoint === "chat";
      const signer = await resolveSigner(hre, a.from);
      const chainId = (await hre.ethers.provider.getNetwork()).chainId;
      const chain = a.chain ?? `hexs-evm-${chainId}`;
      const { callModelApi, callModelApiPaid, sseEvents } = await import("../sdk/api");
      const { evmHolder } = await import("../sdk/keys");
      const account = (await signer.getAddress()).toLowerCase();
      const body: Record<string, unknown> = {
        model: "hexs",
        ...(chat ? { messages: [{ role: "user", content: a.prompt }] } : { prompt: a.prompt }),
        max_tokens: a.maxTokens,
        ...(a.temperature === undefined ? {} : { temperature: a.temperature }),
        ...(a.seed === undefined ? {} : { seed: a.seed }),
        ...(a.stream ? { stream: true } : {}),
      };
      const endpoint = chat ? "chat/completions" : "completions";
      let res: Response;
      let paid: ApiCallResult["paid"];
      let voucher: ApiCallResult["voucher"];
      if (a.voucher) {
        const r = await callWithVoucher(hre, a, signer, modelId, chainId, endpoint, body);
        res = r.res;
        voucher = r.voucher;
      } else if (a.pay) {
        say(`calling model ${formatId(modelId)} at ${a.gateway}, paying from ${account} (at most ${maxAmount} per call)`);
        const r = await callModelApiPaid(signer, { gateway: a.gateway, modelId, endpoint, body, maxAmount });
        res = r.response;
        if (r.paid) {
          paid = { amount: r.paid.amount, asset: r.paid.asset, payTo: r.paid.payTo, network: r.paid.network };
          say(`paid ${paid.amount} of ${paid.asset} on ${paid.network} to model ${formatId(modelId)}'s sink ${paid.payTo}`);
        }
      } else {
        say(`calling model ${formatId(modelId)} at ${a.gateway} as ${account} (key checked on ${chain})`);
        res = await callModelApi(evmHolder(signer, account), { gateway: a.gateway, modelId, chain, endpoint, body });
      }
      type Choice = { text?: string; message?: { content: string }; delta?: { content?: string }; finish_reason: string | null };
      let text = "";
      let finishReason: string | null = null;
      if (a.stream) {
        for await (const data of sseEvents(res)) {
          const choice = (JSON.parse(data) as { choices: Choice[] }).choices[0];
          if (!choice) continue;
          const piece = chat ? (choice.delta?.content ?? "") : (choice.text ?? "");
          text += piece;
          finishReason = choice.finish_reason ?? finishReason;
          sayPart(piece);
        }
        sayPart("\n");
      } else {
        const choice = ((await res.json()) as { choices: Choice[] }).choices[0];
        text = chat ? (choice.message?.content ?? "") : (choice.text ?? "");
        finishReason = choice.finish_reason;
        say(text);
      }
      return { text, finishReason, account, chain, ...(paid ? { paid } : {}), ...(voucher ? { voucher } : {}) };
    }),
  );

/**
 * api:call --voucher: the channel (payer, model, currency, gateway) pays the call. Deposits first
 * when what is left on chain cannot cover it (or the gateway says the voucher is above the deposit),
 * then retries once.
 */
async function callWithVoucher(
  hre: import("hardhat/types").HardhatRuntimeEnvironment,
  a: ApiCallArgs,
  signer: import("ethers").Signer,
  modelId: bigint,
  chainId: bigint,
  endpoint: string,
  body: Record<string, unknown>,
): Promise<{ res: Response; voucher: NonNullable<ApiCallResult["voucher"]> }> {
  const terms = a.voucherGateway !== undefined && a.currency !== undefined ? undefined : await gatewayVoucherTerms(a.gateway);
  if (!terms && (a.voucherGateway === undefined || a.currency === undefined))
    fail(`the gateway at ${a.gateway} takes no vouchers (its /healthz names no voucher terms)`);
  const gateway = parseAddress("voucher-gateway", a.voucherGateway ?? terms!.gateway);
  const currency = parseCurrency(a.currency ?? terms!.asset);
  if (currency === parseCurrency("native")) fail("bad --currency 'native': vouchers are paid from an ERC-20 deposit");
  const p = await loadProtocol(hre);
  const { apiPriceOf, currencyInfo, depositForVouchers, fmt, voucherChannelOf } = await sdk();
  const { ApiRefusal, VoucherSession } = await import("../sdk/api");
  const c = await currencyInfo(p, currency);
  const price = await apiPriceOf(p, modelId, currency);
  if (!price.listed) fail(`model ${formatId(modelId)} has no API price in ${c.symbol}: vouchers cannot pay for it`);
  const payer = await signer.getAddress();
  let ch = await voucherChannelOf(p, payer, modelId, currency, gateway);
  if (ch.withdrawableAt !== 0n)
    fail(`the deposit for model ${formatId(modelId)} via ${gateway} is being withdrawn: the gateway takes no vouchers on it`);
  const session = new VoucherSession(signer, {
    gatewayUrl: a.gateway,
    gateway,
    chainId,
    apiPayments: await p.apiPayments!.getAddress(),
    modelId,
    currency,
    perCall: price.perCall,
    per1kOutputTokens: price.per1kOutputTokens,
    // what the gateway redeemed; a later voucher it holds is taken from its refusal (voucher_stale)
    cumulative: ch.redeemed,
    voucherTtlSeconds: a.voucherTtl,
  });
  const cost = session.priceOf(body);
  const depositAmount = a.deposit === undefined ? cost * 100n : parseAmount("deposit", a.deposit, c.decimals, c.symbol);
  if (depositAmount < cost) fail(`bad --deposit: ${fmt(depositAmount, c)} does not pay one call (${fmt(cost, c)})`);
  let deposited: bigint | undefined;
  const topUp = async () => {
    say(`depositing ${fmt(depositAmount, c)} for calls to model ${formatId(modelId)} via gateway ${gateway}`);
    ch = await depositForVouchers(p, signer, { modelId, currency, gateway, amount: depositAmount }, { log: say });
    deposited = (deposited ?? 0n) + depositAmount;
  };
  if (ch.deposited - ch.redeemed < cost) await topUp();
  say(`calling model ${formatId(modelId)} at ${a.gateway}, paying ${fmt(cost, c)} from ${payer}'s deposit (voucher)`);
  let res: Response;
  try {
    res = await session.call(endpoint, body);
  } catch (e) {
    // the gateway holds unredeemed vouchers that use up the rest: deposit once more
    if (!(e instanceof ApiRefusal && e.code === "voucher_above_deposit" && deposited === undefined)) throw e;
    await topUp();
    res = await session.call(endpoint, body);
  }
  say(`voucher: ${fmt(cost, c)} for this call, ${fmt(session.cumulative, c)} in total on the channel`);
  return {
    res,
    voucher: {
      amount: cost.toString(),
      cumulative: session.cumulative.toString(),
      asset: currency,
      gateway,
      ...(deposited === undefined ? {} : { deposited: deposited.toString() }),
    },
  };
}

interface ApiPriceArgs {
  model: string;
  currency: string;
  perCall?: string;
  per1kTokens: string;
  operatorBps?: string;
  operator?: string;
  unlist: boolean;
  show: boolean;
  from?: string;
}

task("model:api-price", "Set (or --show, or --unlist) a model's API price per call in an EIP-3009 token; creator only")
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("currency", "The API currency: an ERC-20 token with EIP-3009 (address)")
  .addOptionalParam("perCall", "Price per call in the token's units (e.g. 0.001) or base units (e.g. 1000wei)")
  .addOptionalParam("per1kTokens", "Extra price per 1,000 output tokens (same units)", "0")
  .addOptionalParam("operatorBps", "The endpoint operator's share of the revenue, in bps (0..10000)")
  .addOptionalParam("operator", "The endpoint operator's address (earns --operator-bps); omitted: unchanged")
  .addFlag("unlist", "Stop selling paid calls in this currency")
  .addFlag("show", "Only print the current terms, the operator and the sink (the x402 payTo)")
  .addOptionalParam("from", "Account to sign with: index (0, 1, …) or address among the network's accounts", "0")
  .setAction(
    cli(async (a: ApiPriceArgs, hre) => {
      const modelId = parseId("model", a.model);
      const currency = parseCurrency(a.currency);
      const p = await loadProtocol(hre);
      const { apiPriceOf, currencyInfo, fmt, setApiPrice } = await sdk();
      const c = await currencyInfo(p, currency);
      if (c.native) fail("bad --currency 'native': API prices are in an ERC-20 token with EIP-3009 (x402 pays with it)");
      if (a.show) {
        const t = await apiPriceOf(p, modelId, currency);
        say(
          `model ${formatId(modelId)}: ${t.listed ? `${fmt(t.perCall, c)} per call` : `no API price in ${c.symbol}`}` +
            (t.listed && t.per1kOutputTokens ? ` + ${fmt(t.per1kOutputTokens, c)} per 1k output tokens` : "") +
            `; operator ${t.operator} (${t.operatorBps} bps); sink ${t.sink}`,
        );
        return t;
      }
      const perCall = a.unlist ? 0n : parseAmount("per-call", a.perCall, c.decimals, c.symbol);
      const per1kOutputTokens = a.unlist ? 0n : parseAmount("per-1k-tokens", a.per1kTokens, c.decimals, c.symbol);
      // an omitted share keeps the current one
      const operatorBps =
        a.operatorBps === undefined
          ? (await apiPriceOf(p, modelId, currency)).operatorBps
          : parseBps("operator-bps", a.operatorBps, 10_000, 0);
      const operator = a.operator === undefined ? undefined : parseAddress("operator", a.operator);
      const signer = await resolveSigner(hre, a.from);
      const r = await setApiPrice(
        p,
        signer,
        { modelId, currency, perCall, per1kOutputTokens, operatorBps, operator, listed: !a.unlist },
        { log: say },
      );
      say(`model ${formatId(modelId)}: paid calls go to its sink ${r.sink} (the x402 payTo); sweep with api:sweep`);
      return r;
    }),
  );

task("api:sweep", "Move what callers paid into a model's sink into its vault (operator share credited); anyone")
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("currency", "The API currency (token address)")
  .addOptionalParam("from", "Account to sign with: index (0, 1, …) or address among the network's accounts", "0")
  .setAction(
    cli(async (a: { model: string; currency: string; from?: string }, hre) => {
      const modelId = parseId("model", a.model);
      const currency = parseCurrency(a.currency);
      if (currency === parseCurrency("native")) fail("bad --currency 'native': API revenue is in an ERC-20 token");
      const p = await loadProtocol(hre);
      const { currencyInfo, fmt, sweepApiRevenue } = await sdk();
      const c = await currencyInfo(p, currency);
      const r = await sweepApiRevenue(p, await resolveSigner(hre, a.from), modelId, currency, { log: say });
      say(
        `model ${formatId(modelId)}: ${fmt(r.vaultAmount, c)} into its vault` +
          (r.operatorAmount ? `, ${fmt(r.operatorAmount, c)} credited to operator ${r.operator}` : ""),
      );
      return r;
    }),
  );

task(
  "api:deposit",
  "Prepay calls to a model through one gateway: escrow an ERC-20 deposit in HexsApiPayments, then pay each call with a voucher (or --show the deposit)",
)
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("currency", "The API currency (ERC-20 token address)")
  .addParam("gateway", "The gateway's redeeming account (address): only it can redeem this deposit's vouchers")
  .addOptionalParam("amount", "How much to escrow, in the token's units (e.g. 5) or base units (e.g. 5000000wei)")
  .addFlag("permit", "Sign an EIP-2612 permit instead of sending an approval")
  .addFlag("show", "Only print the channel: deposited, redeemed by the gateway, withdrawal asked for")
  .addOptionalParam("from", "Account to sign with: index (0, 1, …) or address among the network's accounts", "0")
  .setAction(
    cli(
      async (
        a: { model: string; currency: string; gateway: string; amount?: string; permit: boolean; show: boolean; from?: string },
        hre,
      ) => {
        const modelId = parseId("model", a.model);
        const currency = parseCurrency(a.currency);
        if (currency === parseCurrency("native")) fail("bad --currency 'native': vouchers are paid from an ERC-20 deposit");
        const gateway = parseAddress("gateway", a.gateway);
        const p = await loadProtocol(hre);
        const { currencyInfo, depositForVouchers, fmt, voucherChannelOf } = await sdk();
        const c = await currencyInfo(p, currency);
        const signer = await resolveSigner(hre, a.from);
        if (a.show) {
          const ch = await voucherChannelOf(p, await signer.getAddress(), modelId, currency, gateway);
          say(
            `model ${formatId(modelId)} via ${gateway}: deposited ${fmt(ch.deposited, c)}, redeemed ${fmt(ch.redeemed, c)}` +
              (ch.withdrawableAt ? `, withdrawal asked (from ${new Date(Number(ch.withdrawableAt) * 1000).toISOString()})` : ""),
          );
          return ch;
        }
        const amount = parseAmount("amount", a.amount, c.decimals, c.symbol);
        if (amount === 0n) fail("bad --amount '0': deposit a positive amount");
        return depositForVouchers(p, signer, { modelId, currency, gateway, amount, permit: a.permit }, { log: say });
      },
    ),
  );

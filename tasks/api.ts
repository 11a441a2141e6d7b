// api:call — call a model's OpenAI-compatible API through the Hexs gateway as a key holder: the
// task signs the request with the account (EIP-191, single use, bound to this call) and prints
// the answer; with --stream it prints the tokens as they arrive. With --pay it pays the call
// instead (x402 v2: an EIP-3009 authorization of the gateway's quoted price, at most --max-price).
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
}

export interface ApiCallResult {
  text: string;
  finishReason: string | null;
  account: string;
  chain: string;
  /** with --pay: the amount paid (smallest unit), the token and the model's sink it went to */
  paid?: { amount: string; asset: string; payTo: string; network: string };
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
  .setAction(
    cli(async (a: ApiCallArgs, hre): Promise<ApiCallResult> => {
      const modelId = parseId("model", a.model);
      if (a.endpoint !== "chat" && a.endpoint !== "completions") fail(`bad --endpoint '${a.endpoint}': chat or completions`);
      if (a.maxPrice !== undefined && !a.pay) fail("--max-price is for paid calls: add --pay");
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
      if (a.pay) {
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
      return { text, finishReason, account, chain, ...(paid ? { paid } : {}) };
    }),
  );

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

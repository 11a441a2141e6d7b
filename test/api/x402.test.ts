// Paid calls with x402 v2 through the gateway, end to end: the in-process Hardhat chain served
// over JSON-RPC on 127.0.0.1, the protocol deployed by its deploy scripts, a test stablecoin
// with EIP-3009, a model priced through the SDK, the real model server behind the gateway, and
// an unmodified @x402/fetch client (x402Client + @x402/evm's exact client scheme) paying.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import type { Signer } from "ethers";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { getPriority, tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { wrapFetchWithPayment, x402Client } from "@x402/fetch";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { decodePaymentRequiredHeader, decodePaymentSignatureHeader, encodePaymentSignatureHeader } from "@x402/core/http";
import type { PaymentRequired, PaymentRequirements } from "@x402/core/types";
import { deployProtocol, type Protocol } from "../../devnet/hardhat/protocol";
import {
  chainRegistry,
  connectContracts,
  ContractNames,
  evmChain,
  findChain,
  publish,
  setApiPrice,
  sweepApiRevenue,
  type HexsContracts,
} from "../../sdk";
import { apiPath, ApiRefusal, callModelApiPaid, quoteModelApi } from "../../sdk/api";
import { setQuiet } from "../../tasks/lib/log";
import type { ApiCallResult } from "../../tasks/api";
import type { TestStablecoin } from "../../sdk/typechain";
import { startGateway, type GatewayConfig, type RunningGateway } from "../../services/api-gateway/gateway";
import { ensureWeights } from "../../services/model-server/build";
import { startModelServer, type RunningModelServer } from "../../services/model-server/server";
import { close, listen } from "../../services/key-service/http";
import { serveChain } from "../serve-chain";

const PORTS = { from: 18150, to: 18199 };
const CHAIN = "hexs-evm-31337";
const PRICE = 1_000n; // 0.001 hUSD (6 decimals) per call
const OPERATOR_BPS = 1_000; // 10 %

async function chainEntry() {
  const contracts: Record<string, string> = {};
  for (const name of Object.values(ContractNames)) {
    const d = await deployments.getOrNull(name);
    if (d) contracts[name] = d.address;
  }
  return evmChain(findChain(chainRegistry({ chains: [{ family: "evm", name: "hardhat", hexsChainId: 1, contracts }] }), 1));
}

interface Refusal {
  status: number;
  code?: string;
  message?: string;
  /** the PAYMENT-REQUIRED header, decoded */
  required?: PaymentRequired;
  body: { accepts?: PaymentRequirements[] };
}

describe("API gateway x402 v2 paid calls (exact scheme, EIP-3009 stablecoin, real chain, real model server)", function () {
  this.timeout(180_000);
  let p: Protocol;
  let c: HexsContracts;
  let usd: TestStablecoin, otherUsd: TestStablecoin;
  let USD: string;
  let chain: { url: string; close(): Promise<void> };
  let model: RunningModelServer;
  let gw: RunningGateway;
  let cfg: GatewayConfig;
  let creator: Signer, operator: Signer;
  let m1: bigint;
  let sink: string;
  let payer: PrivateKeyAccount, stranger: PrivateKeyAccount;
  let tmp: string;
  let deadPort: number;
  let silent: Server;
  let silentUrl: string;
  let skewMs = 0;

  const chat = (content: string) => ({
    model: "hexs-char-mlp",
    messages: [{ role: "user", content }],
    max_tokens: 24,
    seed: 5,
  });
  const url = (base = gw.url) => base + apiPath(m1, "chat/completions");
  const post = (body: unknown, headers: Record<string, string> = {}) => ({
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  /** @x402/fetch as its README sets it up; the test token is allowed (spend-capped) as any non-default asset must be */
  const payingFetch = (who: PrivateKeyAccount) =>
    wrapFetchWithPayment(
      fetch,
      new x402Client()
        .register("eip155:*", new ExactEvmScheme(who))
        .setSpendControls({ allowedAssets: [{ network: "eip155:31337", asset: USD, maxAmountPerPayment: "10000" }] }),
    );
  const balances = async () => ({
    payer: await usd.balanceOf(payer.address),
    sink: await usd.balanceOf(sink),
    other: await otherUsd.balanceOf(payer.address),
  });

  async function refusal(res: Response): Promise<Refusal> {
    const body = (await res.json()) as Refusal["body"] & { error?: { code: string; message: string } };
    const h = res.headers.get("payment-required");
    return {
      status: res.status,
      code: body.error?.code,
      message: body.error?.message,
      required: h ? decodePaymentRequiredHeader(h) : undefined,
      body,
    };
  }

  /** The 402 a call without payment gets: its (single) requirements and the resource. */
  async function quote(base = gw.url): Promise<PaymentRequired> {
    const r = await refusal(await fetch(url(base), post(chat("quote"))));
    expect(r.status).to.equal(402);
    return r.required!;
  }

  /** An x402 v2 payment header signed by `who` for `req` (what @x402/fetch would send), with `accepted` as given. */
  async function paymentHeader(
    who: PrivateKeyAccount,
    required: PaymentRequired,
    signFor: Partial<PaymentRequirements> = {},
    accepted: Partial<PaymentRequirements> = {},
  ): Promise<string> {
    const req = required.accepts[0];
    const partial = await new ExactEvmScheme(who).createPaymentPayload(2, { ...req, ...signFor });
    return encodePaymentSignatureHeader({
      x402Version: 2,
      resource: required.resource,
      accepted: { ...req, ...signFor, ...accepted },
      payload: partial.payload,
    });
  }

  async function expectPaymentRefusal(res: Response, code: string, reason: RegExp, amount = PRICE) {
    const r = await refusal(res);
    expect(r.status, JSON.stringify(r.body)).to.equal(402);
    expect(r.code, r.message).to.equal(code);
    expect(r.message).to.match(reason);
    // the accepted requirements come with every refusal: in the x402 v2 header and in the body
    for (const accepts of [r.required!.accepts, r.body.accepts!]) {
      expect(accepts).to.have.length(1);
      expect(accepts[0]).to.include({
        scheme: "exact",
        network: "eip155:31337",
        asset: USD,
        payTo: sink,
        amount: amount.toString(),
      });
    }
    expect(r.required!.x402Version).to.equal(2);
    expect(r.required!.error).to.equal(r.message);
  }

  before(async () => {
    p = await deployProtocol();
    // x402 clients date their authorizations by the wall clock, the token checks them by block time
    const ahead = (await ethers.provider.getBlock("latest"))!.timestamp - Math.floor(Date.now() / 1000);
    if (ahead > 60)
      throw new Error(
        `the in-process chain's clock is ${ahead} s ahead of the wall clock (an earlier suite moved it): run this file first, as scripts/test.sh does`,
      );
    [, , creator, operator] = p.signers;
    c = connectContracts(await chainEntry(), ethers.provider);
    const factory = await ethers.getContractFactory("TestStablecoin");
    usd = (await factory.deploy()) as unknown as TestStablecoin;
    otherUsd = (await factory.deploy()) as unknown as TestStablecoin;
    USD = await usd.getAddress();
    m1 = (await publish(c, creator, { contentCommitment: ethers.id("x402-model-1"), sdlLocator: "bafy-x402-1" })).modelId;
    await setApiPrice(c, creator, {
      modelId: m1,
      currency: USD,
      perCall: PRICE,
      operatorBps: OPERATOR_BPS,
      operator: await operator.getAddress(),
    });
    sink = await c.apiPayments!.sinkOf(m1);
    payer = privateKeyToAccount(generatePrivateKey());
    stranger = privateKeyToAccount(generatePrivateKey());
    await usd.mint(payer.address, 1_000_000n);
    await otherUsd.mint(payer.address, 1_000_000n);
    // the facilitator: an account of its own that only pays gas
    const facilitatorKey = generatePrivateKey();
    await ethers.provider.send("hardhat_setBalance", [privateKeyToAccount(facilitatorKey).address, "0x56BC75E2D63100000"]);

    chain = await serveChain(PORTS);
    model = await startModelServer({ weightsPath: ensureWeights().path, port: PORTS });
    silent = createServer(() => undefined); // accepts and never answers: the gateway's timeout fires
    silentUrl = `http://127.0.0.1:${await listen(silent, PORTS)}`;
    const reserve = createServer(); // a port nobody listens on: the "down" upstream
    deadPort = await listen(reserve, 0);
    await close(reserve);
    tmp = mkdtempSync(join(tmpdir(), "hexs-x402-"));
    cfg = {
      models: { [m1.toString()]: { upstream: model.url } },
      chains: [{ name: CHAIN, kind: "evm", rpcUrl: chain.url, chainId: 31337, registry: await c.registry.getAddress() }],
      port: PORTS,
      upstreamTimeoutMs: 500,
      nonceDb: join(tmp, "nonces.sqlite"),
      x402: {
        chain: CHAIN,
        apiPayments: await c.apiPayments!.getAddress(),
        asset: USD,
        facilitatorKey,
        quoteTtlSeconds: 120,
        paymentsDb: join(tmp, "payments.sqlite"),
        pollingMs: 50,
      },
      now: () => Date.now() + skewMs,
    };
    gw = await startGateway(cfg);
  });

  after(async () => {
    await gw?.close();
    await model?.close();
    if (silent) await close(silent);
    await chain?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("a call without payment gets 402 with x402 v2 PaymentRequirements: exact, eip155:<chain id>, the stablecoin, the model's sink, the on-chain price", async () => {
    const res = await fetch(url(), post(chat("Hello")));
    await expectPaymentRefusal(res, "payment_required", /paid per call: pay with x402.*costs 1000 of/);
    const required = await quote();
    const req = required.accepts[0];
    expect(req.extra).to.include({ name: "Hexs Test USD", version: await usd.version() });
    expect(req.maxTimeoutSeconds).to.equal(120);
    expect(sink).to.equal(await c.apiPayments!.sinkOf(m1));
    expect(required.resource.url).to.match(new RegExp(`/v1/models/${m1}/chat/completions$`));
  });

  it("an unmodified @x402/fetch client pays a call: served, settled into the model's sink off the request path, and the sweep credits the vault price minus the operator share", async () => {
    const direct = await (await fetch(`${model.url}/v1/chat/completions`, post(chat("Hello")))).json();
    const before = await balances();
    const vaultBefore = await p.market.vaultOf(m1, USD);
    const opBefore = await p.market.creditOf(await operator.getAddress(), USD);

    const res = await payingFetch(payer)(url(), post(chat("Hello")));
    expect(res.status).to.equal(200);
    const answer = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    expect(answer.choices[0].message.content).to.equal(direct.choices[0].message.content);

    await gw.payments!.flush();
    const after = await balances();
    expect(after.payer).to.equal(before.payer - PRICE);
    expect(after.sink).to.equal(before.sink + PRICE);

    const swept = await sweepApiRevenue(c, operator, m1, USD);
    const opShare = (after.sink * BigInt(OPERATOR_BPS)) / 10_000n;
    expect(swept.vaultAmount).to.equal(after.sink - opShare);
    expect(await p.market.vaultOf(m1, USD)).to.equal(vaultBefore + after.sink - opShare);
    expect(await p.market.creditOf(await operator.getAddress(), USD)).to.equal(opBefore + opShare);
    expect(await usd.balanceOf(sink)).to.equal(0n);

    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).to.match(new RegExp(`hexs_api_paid_calls_total\\{model="${m1}"\\} 1\\b`));
    expect(metrics).to.contain(`hexs_api_revenue_total{model="${m1}",asset="${USD}"} ${PRICE}`);
    expect(metrics).to.contain(`hexs_api_settlements_total{model="${m1}",outcome="settled"} 1`);
    expect(metrics).to.match(new RegExp(`hexs_api_requests_total\\{model="${m1}",outcome="paid"\\} 1\\b`));
  });

  it("the gateway's sweep is sent from the settlement queue (the worker), not beside it: 8 calls paid at once and a sweep asked for while they settle all land, none fails, and the sink ends in the vault", async () => {
    const count = (text: string, outcome: string) =>
      Number(new RegExp(`hexs_api_settlements_total\\{model="${m1}",outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    const metricsBefore = await (await fetch(`${gw.url}/metrics`)).text();
    const vaultBefore = await p.market.vaultOf(m1, USD);
    const opBefore = await p.market.creditOf(await operator.getAddress(), USD);
    const sinkBefore = await usd.balanceOf(sink);
    const pay = payingFetch(payer);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => pay(url(), post(chat(`sweep ${i}`)))));
    for (const r of answers) expect(r.status).to.equal(200);
    // the first settlement has landed (the sink holds something to sweep), the others are queued
    const t0 = Date.now();
    while ((await usd.balanceOf(sink)) === sinkBefore) {
      if (Date.now() - t0 > 30_000) throw new Error("no settlement landed in 30 s");
      await new Promise((r) => setTimeout(r, 20));
    }
    const hash = await gw.payments!.sweep(m1.toString());
    await gw.payments!.flush();
    const receipt = await ethers.provider.getTransactionReceipt(hash);
    expect(receipt!.status).to.equal(1);
    expect(receipt!.from.toLowerCase()).to.equal(gw.payments!.facilitatorAddress.toLowerCase());
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(count(metrics, "settled") - count(metricsBefore, "settled")).to.equal(8);
    expect(count(metrics, "failed") - count(metricsBefore, "failed")).to.equal(0);
    // the sweep ran after every settlement queued before it: the sink is empty, the vault holds it all
    const total = sinkBefore + 8n * PRICE;
    const opShare = (total * BigInt(OPERATOR_BPS)) / 10_000n;
    expect(await usd.balanceOf(sink)).to.equal(0n);
    expect(await p.market.vaultOf(m1, USD)).to.equal(vaultBefore + total - opShare);
    expect(await p.market.creditOf(await operator.getAddress(), USD)).to.equal(opBefore + opShare);
  });

  it("missing, malformed, forged, expired, under-priced, wrong-chain and wrong-token payments get 402 with the reason and the accepted requirements; no balance moves", async () => {
    const required = await quote();
    const before = await balances();
    const send = async (header: string) => fetch(url(), post(chat("x"), { "payment-signature": header }));

    await expectPaymentRefusal(await fetch(url(), post(chat("x"))), "payment_required", /pay with x402/);
    await expectPaymentRefusal(await send("bm90IGEgcGF5bWVudA"), "payment_malformed", /not an x402 payment payload/);
    // forged: the stranger signs an authorization that names the payer's account as `from`
    const forged = JSON.parse(Buffer.from(await paymentHeader(stranger, required), "base64").toString()) as {
      payload: { authorization: { from: string } };
    };
    forged.payload.authorization.from = payer.address;
    await expectPaymentRefusal(
      await send(Buffer.from(JSON.stringify(forged)).toString("base64")),
      "payment_invalid",
      /invalid_exact_evm_signature/,
    );
    // expired: the authorization's validBefore has passed
    await expectPaymentRefusal(
      await send(await paymentHeader(payer, required, { maxTimeoutSeconds: -30 }, { maxTimeoutSeconds: 120 })),
      "payment_expired",
      /valid_before/,
    );
    // under-priced: the client pays 999 instead of the quoted 1000 (the quote's MAC no longer matches)
    await expectPaymentRefusal(
      await send(await paymentHeader(payer, required, { amount: "999" })),
      "payment_underpaid",
      /authorizes 999; a call to model \d+ costs 1000/,
    );
    // the right amount signed, but `accepted` claims a lower one
    await expectPaymentRefusal(
      await send(await paymentHeader(payer, required, {}, { amount: "999" })),
      "payment_underpaid",
      /costs 1000/,
    );
    // wrong chain: signed for chain id 1
    await expectPaymentRefusal(
      await send(await paymentHeader(payer, required, { network: "eip155:1" })),
      "payment_wrong_chain",
      /is on eip155:1; model \d+ is paid on eip155:31337/,
    );
    // wrong token: another EIP-3009 token the payer holds
    await expectPaymentRefusal(
      await send(await paymentHeader(payer, required, { asset: await otherUsd.getAddress() })),
      "payment_wrong_token",
      /is paid in 0x/,
    );
    // wrong payee: paid to the payer's own address
    await expectPaymentRefusal(
      await send(await paymentHeader(payer, required, { payTo: payer.address })),
      "payment_wrong_payee",
      /is paid to 0x/,
    );
    // a payer without funds: the token's own view explains the failed simulation
    await expectPaymentRefusal(await send(await paymentHeader(stranger, required)), "payment_insufficient_funds", /holds 0/);

    await gw.payments!.flush();
    expect(await balances()).to.deep.equal(before);
  });

  it("the same authorization raced twice: one call served, the other refused as replayed; one transfer settles, and a later replay is refused too", async () => {
    const header = await paymentHeader(payer, await quote());
    const before = await balances();
    const [a, b] = await Promise.all([
      fetch(url(), post(chat("race"), { "payment-signature": header })),
      fetch(url(), post(chat("race"), { "payment-signature": header })),
    ]);
    const rs = [a, b].sort((x, y) => x.status - y.status);
    expect(rs.map((r) => r.status)).to.deep.equal([200, 402]);
    await rs[0].text();
    await expectPaymentRefusal(rs[1], "payment_replayed", /already used/);

    await gw.payments!.flush();
    const after = await balances();
    expect(after.payer).to.equal(before.payer - PRICE);
    expect(after.sink).to.equal(before.sink + PRICE);
    await expectPaymentRefusal(
      await fetch(url(), post(chat("race"), { "payment-signature": header })),
      "payment_replayed",
      /already used/,
    );
    await gw.payments!.flush();
    expect(await balances()).to.deep.equal(after);
  });

  it("a payer cannot owe more than they hold: with funds for two calls, three concurrent calls get two answers and one 402 payment_insufficient_funds; exactly two settle", async () => {
    const poor = privateKeyToAccount(generatePrivateKey());
    await usd.mint(poor.address, 2n * PRICE);
    const required = await quote();
    const headers = await Promise.all([0, 1, 2].map(() => paymentHeader(poor, required)));
    const sinkBefore = await usd.balanceOf(sink);
    const rs = await Promise.all(headers.map((h) => fetch(url(), post(chat("poor"), { "payment-signature": h }))));
    rs.sort((x, y) => x.status - y.status);
    expect(rs.map((r) => r.status)).to.deep.equal([200, 200, 402]);
    await Promise.all(rs.slice(0, 2).map((r) => r.text()));
    await expectPaymentRefusal(
      rs[2],
      "payment_insufficient_funds",
      /holds \d+(, of which \d+ pays calls not yet settled)?; the call costs 1000/,
    );
    await gw.payments!.flush();
    expect(await usd.balanceOf(poor.address)).to.equal(0n);
    expect(await usd.balanceOf(sink)).to.equal(sinkBefore + 2n * PRICE);
    // and once settled, nothing is left to spend
    await expectPaymentRefusal(
      await fetch(url(), post(chat("poor"), { "payment-signature": await paymentHeader(poor, required) })),
      "payment_insufficient_funds",
      /holds 0/,
    );
  });

  it("funds moved away behind the gateway's back: the call it already trusted is served and its settlement fails (bounded loss), then that payer's payments are checked on chain and refused", async () => {
    const key = generatePrivateKey();
    const mover = privateKeyToAccount(key);
    await usd.mint(mover.address, 3n * PRICE);
    await ethers.provider.send("hardhat_setBalance", [mover.address, "0xDE0B6B3A7640000"]);
    const pay = async () => fetch(url(), post(chat("mover"), { "payment-signature": await paymentHeader(mover, await quote()) }));
    const first = await pay();
    expect(first.status).to.equal(200);
    await first.text();
    await gw.payments!.flush();
    const sinkBefore = await usd.balanceOf(sink);
    // the payer empties the account: the gateway's view (2 calls' worth) is now stale
    await (
      await usd.connect(new ethers.Wallet(key, ethers.provider)).transfer(ethers.Wallet.createRandom().address, 2n * PRICE)
    ).wait();
    const trusted = await pay();
    expect(trusted.status).to.equal(200);
    await trusted.text();
    await gw.payments!.flush();
    expect(await usd.balanceOf(sink)).to.equal(sinkBefore); // that settlement failed: one call lost, not more
    await expectPaymentRefusal(await pay(), "payment_insufficient_funds", /holds 0/);
    await gw.payments!.flush();
    expect(await usd.balanceOf(sink)).to.equal(sinkBefore);
  });

  it("the payer's own signature made malleable (high s) or with the wrong v is refused with 402 and moves nothing", async () => {
    const required = await quote();
    const warm = await fetch(url(), post(chat("sig"), { "payment-signature": await paymentHeader(payer, required) }));
    expect(warm.status).to.equal(200); // the payer's key is now kept by the gateway
    await warm.text();
    await gw.payments!.flush();
    await new Promise((r) => setImmediate(r));
    const before = await balances();
    const n = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    const tamper = async (f: (sig: string) => string) => {
      const j = JSON.parse(Buffer.from(await paymentHeader(payer, required), "base64").toString()) as {
        payload: { signature: string };
      };
      j.payload.signature = f(j.payload.signature);
      return fetch(url(), post(chat("sig"), { "payment-signature": Buffer.from(JSON.stringify(j)).toString("base64") }));
    };
    const flip = (v: string) => (v === "1b" ? "1c" : "1b");
    await expectPaymentRefusal(
      await tamper((s) => s.slice(0, 130) + flip(s.slice(130))),
      "payment_invalid",
      /invalid_exact_evm_signature/,
    );
    await expectPaymentRefusal(
      await tamper(
        (s) => `${s.slice(0, 66)}${(n - BigInt(`0x${s.slice(66, 130)}`)).toString(16).padStart(64, "0")}${flip(s.slice(130))}`,
      ),
      "payment_invalid",
      /simulation_failed|invalid_exact_evm_signature/,
    );
    await gw.payments!.flush();
    expect(await balances()).to.deep.equal(before);
  });

  it("upstream down (502), timing out (504) or refusing the call (4xx): the payment is not settled and the stablecoin balances are unchanged; the released authorization still pays a later call once", async () => {
    const before = await balances();
    for (const [upstream, status, code] of [
      [`http://127.0.0.1:${deadPort}`, 502, "upstream_unreachable"],
      [silentUrl, 504, "upstream_timeout"],
    ] as const) {
      const g2 = await startGateway({ ...cfg, nonceDb: undefined, models: { [m1.toString()]: { upstream } } });
      try {
        const res = await payingFetch(payer)(url(g2.url), post(chat("down")));
        expect(res.status).to.equal(status);
        expect(((await res.json()) as { error: { code: string } }).error.code).to.equal(code);
        await g2.payments!.flush();
        const metrics = await (await fetch(`${g2.url}/metrics`)).text();
        expect(metrics).to.not.contain("hexs_api_paid_calls_total{");
        expect(metrics).to.not.contain("hexs_api_settlements_total{");
      } finally {
        await g2.close();
      }
      expect(await balances()).to.deep.equal(before);
    }
    // the real model refuses max_tokens above its limit (400): not charged, the authorization is released
    const header = await paymentHeader(payer, await quote());
    const bad = await fetch(url(), post({ ...chat("too long"), max_tokens: 100_000 }, { "payment-signature": header }));
    expect(bad.status).to.equal(400);
    await bad.text();
    await gw.payments!.flush();
    expect(await balances()).to.deep.equal(before);
    const good = await fetch(url(), post(chat("retry"), { "payment-signature": header }));
    expect(good.status).to.equal(200);
    await good.text();
    await gw.payments!.flush();
    expect((await balances()).payer).to.equal(before.payer - PRICE);
    expect((await balances()).sink).to.equal(before.sink + PRICE);
  });

  it("a model without a listed API price in the gateway's currency refuses paid calls with 403 not_priced (key holders only)", async () => {
    const m2 = (await publish(c, creator, { contentCommitment: ethers.id("x402-model-2"), sdlLocator: "bafy-x402-2" })).modelId;
    const g2 = await startGateway({ ...cfg, nonceDb: undefined, models: { [m2.toString()]: { upstream: model.url } } });
    try {
      const before = await balances();
      const res = await fetch(g2.url + apiPath(m2, "chat/completions"), post(chat("unpriced")));
      expect(res.status).to.equal(403);
      const e = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(e.code).to.equal("not_priced");
      expect(e.message).to.match(
        /has no API price in 0x[0-9a-fA-F]{40} on eip155:31337: .*model:api-price, or call as a key holder/,
      );
      expect(await balances()).to.deep.equal(before);
    } finally {
      await g2.close();
    }
  });

  it("a streamed paid call (SSE) is served as it is produced and settled once the stream completes", async () => {
    const before = await balances();
    const res = await payingFetch(payer)(url(), post({ ...chat("stream"), stream: true }));
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.match(/^text\/event-stream/);
    const text = await res.text();
    expect(text.trim().endsWith("data: [DONE]")).to.equal(true);
    await gw.payments!.flush();
    const after = await balances();
    expect(after.payer).to.equal(before.payer - PRICE);
    expect(after.sink).to.equal(before.sink + PRICE);
  });

  it("a settlement that fails (the facilitator has no gas) is counted as failed and moves nothing; the call was served", async () => {
    const g2 = await startGateway({
      ...cfg,
      nonceDb: undefined,
      x402: { ...cfg.x402!, paymentsDb: undefined, facilitatorKey: generatePrivateKey() },
    });
    try {
      const before = await balances();
      const res = await payingFetch(payer)(url(g2.url), post(chat("no gas")));
      expect(res.status).to.equal(200);
      await res.text();
      await g2.payments!.flush();
      expect(await balances()).to.deep.equal(before);
      const metrics = await (await fetch(`${g2.url}/metrics`)).text();
      expect(metrics).to.contain(`hexs_api_settlements_total{model="${m1}",outcome="failed"} 1`);
      expect(metrics).to.contain(`hexs_api_paid_calls_total{model="${m1}"} 1`);
      expect(metrics).to.not.contain("hexs_api_revenue_total{");
    } finally {
      await g2.close();
    }
  });

  it("settlement runs on a worker thread: it settles while the request thread's own facilitator refuses to; a worker that exits fails its pending settlement with a clear error and the next call's settlement starts a new worker", async () => {
    const g2 = await startGateway({ ...cfg, nonceDb: undefined, x402: { ...cfg.x402!, paymentsDb: undefined } });
    type Inside = {
      facilitator: { settle: () => Promise<never> };
      settler: { worker?: { terminate(): Promise<number> }; settle(a: string, b: string): Promise<unknown> };
    };
    const inside = g2.payments as unknown as Inside;
    inside.facilitator.settle = () => Promise.reject(new Error("the request thread was asked to settle"));
    try {
      const before = await balances();
      for (let i = 1; i <= 2; i++) {
        const res = await payingFetch(payer)(url(g2.url), post(chat(`worker ${i}`)));
        expect(res.status).to.equal(200);
        await res.text();
        await g2.payments!.flush();
        expect((await balances()).sink).to.equal(before.sink + BigInt(i) * PRICE);
        // the worker ends (idle here): the next settlement must start another one
        expect(inside.settler.worker).to.not.equal(undefined);
        await inside.settler.worker!.terminate();
        expect(inside.settler.worker).to.equal(undefined);
      }
      const metrics = await (await fetch(`${g2.url}/metrics`)).text();
      expect(metrics).to.contain(`hexs_api_settlements_total{model="${m1}",outcome="settled"} 2`);
      // a settlement in flight when the worker exits is refused, not left hanging
      const pending = inside.settler.settle("{}", "{}");
      await inside.settler.worker!.terminate();
      const outcome = await pending.then(
        () => "settled",
        (e: Error) => e.message,
      );
      expect(outcome).to.match(/settlement worker exited/);
    } finally {
      await g2.close();
    }
  });

  it("the settlement worker thread runs at nice 10 (settleNice) and still settles; the request thread keeps the process's priority; settleNice 0 leaves the worker at it", async function () {
    if (process.platform !== "linux") this.skip(); // per-thread nice through /proc is Linux's
    const niceOf = (tid: number) =>
      Number(readFileSync(`/proc/${process.pid}/task/${tid}/stat`, "utf8").split(")").pop()!.trim().split(" ")[16]);
    const own = getPriority(process.pid);
    const g2 = await startGateway({ ...cfg, nonceDb: undefined, x402: { ...cfg.x402!, paymentsDb: undefined } });
    const g3 = await startGateway({ ...cfg, nonceDb: undefined, x402: { ...cfg.x402!, paymentsDb: undefined, settleNice: 0 } });
    try {
      const t2 = await g2.payments!.settlerThread()!;
      expect(t2.tid).to.be.a("number").and.not.equal(process.pid);
      expect(t2.nice).to.equal(Math.max(own, 10));
      expect(niceOf(t2.tid!)).to.equal(Math.max(own, 10)); // what the kernel schedules by
      expect(niceOf(process.pid)).to.equal(own); // the request thread is not lowered
      const before = await balances();
      const res = await payingFetch(payer)(url(g2.url), post(chat("nice worker")));
      expect(res.status).to.equal(200);
      await res.text();
      await g2.payments!.flush();
      expect((await balances()).sink).to.equal(before.sink + PRICE);
      const t3 = await g3.payments!.settlerThread()!;
      expect(t3.nice).to.equal(own);
      expect(niceOf(t3.tid!)).to.equal(own);
    } finally {
      await g2.close();
      await g3.close();
    }
  });

  it("a price change between quote and payment: the quoted terms hold until the quote expires, then the new price applies", async () => {
    const quoted = await quote();
    expect(quoted.accepts[0].amount).to.equal(PRICE.toString());
    await setApiPrice(c, creator, { modelId: m1, currency: USD, perCall: 2n * PRICE, operatorBps: OPERATOR_BPS });
    try {
      // a new quote asks the new price …
      expect((await quote()).accepts[0].amount).to.equal((2n * PRICE).toString());
      // … but a payment against the earlier quote is served at the quoted price
      const before = await balances();
      const res = await fetch(url(), post(chat("quoted"), { "payment-signature": await paymentHeader(payer, quoted) }));
      expect(res.status).to.equal(200);
      await res.text();
      await gw.payments!.flush();
      expect((await balances()).sink).to.equal(before.sink + PRICE);

      // once the quote has expired (the gateway's clock moves past it), the current price applies
      const stale = await paymentHeader(payer, quoted);
      skewMs = 121_000;
      await expectPaymentRefusal(
        await fetch(url(), post(chat("stale"), { "payment-signature": stale })),
        "payment_underpaid",
        /authorizes 1000; a call to model \d+ costs 2000 \(the quote expired at /,
        2n * PRICE,
      );
    } finally {
      skewMs = 0;
      await setApiPrice(c, creator, { modelId: m1, currency: USD, perCall: PRICE, operatorBps: OPERATOR_BPS });
    }
  });

  it("SDK callModelApiPaid pays with an ethers signer through @x402/fetch within the caller's cap; above the cap it refuses before paying (payment_required) and nothing moves", async () => {
    const [, , , , , who] = await ethers.getSigners();
    const addr = await who.getAddress();
    await usd.mint(addr, 100_000n);
    const body = chat("sdk");
    const quoted = await quoteModelApi({ gateway: gw.url, modelId: m1, endpoint: "chat/completions", body });
    expect(quoted[0]).to.include({ amount: PRICE.toString(), payTo: sink, asset: USD });

    const before = await usd.balanceOf(addr);
    let err: unknown;
    await callModelApiPaid(who, {
      gateway: gw.url,
      modelId: m1,
      endpoint: "chat/completions",
      body,
      maxAmount: PRICE - 1n,
    }).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(ApiRefusal);
    expect((err as ApiRefusal).code).to.equal("payment_required");
    expect((err as ApiRefusal).message).to.match(/asks 1000 of 0x[0-9a-fA-F]{40} on eip155:31337 per call, above the cap of 999/);
    await gw.payments!.flush();
    expect(await usd.balanceOf(addr)).to.equal(before);

    const r = await callModelApiPaid(who, { gateway: gw.url, modelId: m1, endpoint: "chat/completions", body, maxAmount: PRICE });
    expect(r.response.status).to.equal(200);
    expect(((await r.response.json()) as { choices: unknown[] }).choices).to.have.length(1);
    expect(r.paid).to.include({ amount: PRICE.toString(), payTo: sink });
    expect(r.payer).to.equal(addr);
    await gw.payments!.flush();
    expect(await usd.balanceOf(addr)).to.equal(before - PRICE);
  });

  it("tasks: model:api-price sets and shows the price (creator only, bad input refused), api:call --pay pays the quoted price and prints the answer, api:sweep fills the vault", async () => {
    setQuiet(true);
    try {
      const model = m1.toString();
      const shown = (await hre.run("model:api-price", { model, currency: USD, show: true })) as { perCall: bigint; sink: string };
      expect(shown.perCall).to.equal(PRICE);
      expect(shown.sink).to.equal(sink);
      const fails = async (task: string, args: Record<string, unknown>, reason: RegExp) => {
        let e: Error | undefined;
        await hre.run(task, args).catch((x: Error) => (e = x));
        expect(e?.message, task).to.match(reason);
      };
      await fails("model:api-price", { model, currency: "native", perCall: "1" }, /ERC-20 token with EIP-3009/);
      await fails("model:api-price", { model, currency: USD, perCall: "abc" }, /bad --per-call 'abc'/);
      await fails("model:api-price", { model, currency: USD, perCall: "0.001", operatorBps: "10001" }, /at most 10000/);
      await fails("model:api-price", { model, currency: USD, perCall: "0.001", from: "5" }, /creator/i);
      expect((await c.apiPayments!.apiPriceOf(m1, USD)).perCall).to.equal(PRICE);
      // the creator (account 2) sets 0.0015 hUSD; the operator share stays 10 % when omitted
      const set = (await hre.run("model:api-price", { model, currency: USD, perCall: "0.0015", from: "2" })) as {
        perCall: bigint;
        operatorBps: number;
      };
      expect([set.perCall, set.operatorBps]).to.deep.equal([1_500n, OPERATOR_BPS]);

      const [account] = await ethers.getSigners();
      await usd.mint(await account.getAddress(), 10_000n);
      const before = await balances();
      const payerBefore = await usd.balanceOf(await account.getAddress());
      const args = { model, prompt: "Hexs", gateway: gw.url, endpoint: "chat", maxTokens: 16, seed: 2, stream: false, pay: true };
      await fails("api:call", { ...args, maxPrice: "1499" }, /asks 1500 .* above the cap of 1499/);
      await fails("api:call", { ...args, pay: false, maxPrice: "1500" }, /--max-price is for paid calls/);
      const r = (await hre.run("api:call", { ...args, maxPrice: "1500" })) as ApiCallResult;
      expect(r.text).to.have.length(16);
      expect(r.paid).to.deep.equal({ amount: "1500", asset: USD, payTo: sink, network: "eip155:31337" });
      await gw.payments!.flush();
      expect(await usd.balanceOf(await account.getAddress())).to.equal(payerBefore - 1_500n);
      expect((await balances()).sink).to.equal(before.sink + 1_500n);

      const vault = await p.market.vaultOf(m1, USD);
      const inSink = await usd.balanceOf(sink);
      await hre.run("api:sweep", { model, currency: USD });
      expect(await p.market.vaultOf(m1, USD)).to.equal(vault + inSink - (inSink * BigInt(OPERATOR_BPS)) / 10_000n);
      await fails("api:sweep", { model, currency: USD }, /has no hUSD paid into its sink/);
    } finally {
      setQuiet(false);
      await setApiPrice(c, creator, { modelId: m1, currency: USD, perCall: PRICE, operatorBps: OPERATOR_BPS });
    }
  });

  describe("batched settlement (X402SettlementBatcher)", () => {
    let BATCHER: string;
    /** An x402 payment header of `who` against a fresh quote, and its ledger key and authorization. */
    async function paid(who: PrivateKeyAccount) {
      const header = await paymentHeader(who, await quote());
      const payload = decodePaymentSignatureHeader(header).payload as {
        authorization: { from: string; to: string; value: string; validAfter: string; validBefore: string; nonce: Hex };
        signature: Hex;
      };
      const a = payload.authorization;
      return {
        header,
        auth: a,
        signature: payload.signature,
        key: `${USD.toLowerCase()} ${a.from.toLowerCase()} ${a.nonce.toLowerCase()}`,
      };
    }
    async function serve(g: RunningGateway, header: string) {
      const res = await fetch(url(g.url), post(chat("batched"), { "payment-signature": header }));
      expect(res.status).to.equal(200);
      await res.text();
    }
    /** Holds `g`'s settlement queue until the returned function is called (calls served meanwhile wait in it). */
    function holdQueue(g: RunningGateway): () => void {
      const inside = g.payments as unknown as { queue: Promise<void> };
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      inside.queue = inside.queue.then(() => gate);
      return open;
    }
    const batched = (extra: Partial<NonNullable<GatewayConfig["x402"]>> = {}, paymentsDb?: string) =>
      startGateway({ ...cfg, nonceDb: undefined, x402: { ...cfg.x402!, paymentsDb, batcher: BATCHER, ...extra } });

    before(async () => {
      BATCHER = (await deployments.get(ContractNames.settlementBatcher)).address;
    });

    it("calls served while a batch is under way settle together in one transaction; an authorization the payer canceled after being served is recorded failed with the token's refusal and the others still settle; one raced on chain by someone else is reconciled as settled by that transaction, never sent twice; the payer's unsettled exposure is released", async () => {
      const g = await batched();
      try {
        const open = holdQueue(g);
        const calls = [await paid(payer), await paid(payer), await paid(stranger), await paid(payer), await paid(payer)];
        await usd.mint(stranger.address, 10n * PRICE);
        for (const c of calls) await serve(g, c.header);
        const before = await balances();
        const strangerBefore = await usd.balanceOf(stranger.address);
        // call 3: the payer cancels its authorization after the answer (the gateway's risk: one call)
        const cancel = await payer.signTypedData({
          domain: { name: "Hexs Test USD", version: await usd.version(), chainId: 31337, verifyingContract: USD as Hex },
          types: {
            CancelAuthorization: [
              { name: "authorizer", type: "address" },
              { name: "nonce", type: "bytes32" },
            ],
          },
          primaryType: "CancelAuthorization",
          message: { authorizer: payer.address, nonce: calls[3].auth.nonce },
        });
        await (await usd.cancelAuthorization(payer.address, calls[3].auth.nonce, cancel)).wait();
        // call 4: anyone may submit an EIP-3009 authorization: it is raced to the chain before the batch
        const a = calls[4].auth;
        const raced = await (
          await usd["transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"](
            a.from,
            a.to,
            a.value,
            a.validAfter,
            a.validBefore,
            a.nonce,
            calls[4].signature,
          )
        ).wait();
        open();
        await g.payments!.flush();

        const st = calls.map((c) => g.payments!.status(c.key)!);
        expect(st.map((x) => x.status)).to.deep.equal(["settled", "settled", "settled", "failed", "settled"]);
        // the three the batch settled share its transaction: one transaction for three calls
        expect(new Set(st.slice(0, 3).map((x) => x.tx)).size).to.equal(1);
        const batchTx = st[0].tx!;
        expect(st[4].tx).to.equal(raced!.hash); // reconciled: settled by the racing transaction
        expect(st[3].reason).to.match(/AuthorizationUsedOrCanceled.*used or canceled outside this gateway's settlement/);
        const receipt = (await ethers.provider.getTransactionReceipt(batchTx))!;
        const batcher = await ethers.getContractAt("X402SettlementBatcher", BATCHER);
        const failed = receipt.logs
          .filter((l) => l.address === BATCHER)
          .map((l) => Number(batcher.interface.parseLog(l)!.args.index));
        expect(failed).to.deep.equal([3, 4]);
        // money: three calls moved by the batch and one by the racing transaction, payer → sink; nothing for
        // the canceled one, nothing twice for the raced one
        const after = await balances();
        expect(after.payer).to.equal(before.payer - 3n * PRICE);
        expect(after.sink).to.equal(before.sink + 4n * PRICE);
        expect(await usd.balanceOf(stranger.address)).to.equal(strangerBefore - PRICE);
        expect(await usd.balanceOf(BATCHER)).to.equal(0n);
        const metrics = await (await fetch(`${g.url}/metrics`)).text();
        expect(metrics).to.contain(`hexs_api_settlements_total{model="${m1}",outcome="settled"} 4`);
        expect(metrics).to.contain(`hexs_api_settlements_total{model="${m1}",outcome="failed"} 1`);
        // nothing of either payer counts as unsettled any more
        const funds = (g.payments as unknown as { funds: Map<string, Promise<{ reserved: bigint; calls: number }>> }).funds;
        await new Promise((r) => setImmediate(r));
        for (const who of [payer, stranger]) {
          const f = await funds.get(who.address.toLowerCase())!;
          expect([f.reserved, f.calls]).to.deep.equal([0n, 0]);
        }
      } finally {
        await g.close();
      }
    });

    it("settleBatchMax bounds a batch: 5 served calls with a maximum of 2 settle in 3 transactions (2 + 2 + 1), each exactly once", async () => {
      const g = await batched({ settleBatchMax: 2 });
      try {
        const open = holdQueue(g);
        const calls = [];
        for (let i = 0; i < 5; i++) calls.push(await paid(payer));
        const before = await balances();
        for (const c of calls) await serve(g, c.header);
        open();
        await g.payments!.flush();
        const txs = calls.map((c) => g.payments!.status(c.key)!).map((x) => (expect(x.status).to.equal("settled"), x.tx!));
        const perTx = new Map<string, number>();
        for (const t of txs) perTx.set(t, (perTx.get(t) ?? 0) + 1);
        expect([...perTx.values()]).to.deep.equal([2, 2, 1]);
        expect((await balances()).sink).to.equal(before.sink + 5n * PRICE);
      } finally {
        await g.close();
      }
    });

    it("a crash between send and receipt: the batch's hash is in the ledger before it is broadcast; a gateway restarted on that ledger applies the mined batch from its receipt and sends nothing again, and a batch that was signed but never broadcast is sent anew", async () => {
      const db = join(tmp, "batch-crash.sqlite");
      const crashed: Array<{ g: RunningGateway; stop: () => void }> = [];
      /** A gateway whose process "dies" right after broadcasting its batch (or right before): the receipt is never recorded. */
      async function crashAround(broadcast: boolean) {
        const g = await batched({ settleInWorker: false }, db);
        const client = (
          g.payments as unknown as { client: { sendRawTransaction: (a: { serializedTransaction: Hex }) => Promise<Hex> } }
        ).client;
        const realSend = client.sendRawTransaction.bind(client);
        let stop!: (e: Error) => void;
        const hang = new Promise<never>((_, reject) => (stop = reject));
        hang.catch(() => undefined);
        client.sendRawTransaction = async (a) => {
          if (broadcast) await realSend(a);
          return hang;
        };
        crashed.push({ g, stop: () => stop(new Error("the crashed gateway's send gives up")) });
        const open = holdQueue(g);
        const calls = [await paid(payer), await paid(payer)];
        for (const c of calls) await serve(g, c.header);
        open();
        for (let t = 0; g.payments!.status(calls[1].key)!.status !== "sent"; t++) {
          if (t > 400) throw new Error("the batch was never recorded as sent");
          await new Promise((r) => setTimeout(r, 25));
        }
        const tx = g.payments!.status(calls[0].key)!.tx!;
        expect(g.payments!.status(calls[1].key)!.tx).to.equal(tx);
        return { calls, tx };
      }
      try {
        const before = await balances();
        const first = await crashAround(true);
        expect((await balances()).sink).to.equal(before.sink + 2n * PRICE); // it did land
        const g2 = await batched({}, db);
        try {
          await g2.payments!.flush();
          for (const c of first.calls) expect(g2.payments!.status(c.key)).to.deep.include({ status: "settled", tx: first.tx });
        } finally {
          await g2.close();
        }
        expect((await balances()).sink).to.equal(before.sink + 2n * PRICE); // and nothing was sent again

        const second = await crashAround(false);
        expect(await ethers.provider.getTransactionReceipt(second.tx)).to.equal(null);
        const g3 = await batched({}, db);
        try {
          await g3.payments!.flush();
          const st = second.calls.map((c) => g3.payments!.status(c.key)!);
          expect(st.map((x) => x.status)).to.deep.equal(["settled", "settled"]);
          // sent anew and mined now (the same items, gas and account nonce sign to the same transaction)
          expect((await ethers.provider.getTransactionReceipt(st[0].tx!))!.status).to.equal(1);
        } finally {
          await g3.close();
        }
        const after = await balances();
        expect(after.sink).to.equal(before.sink + 4n * PRICE);
        expect(after.payer).to.equal(before.payer - 4n * PRICE);
      } finally {
        for (const c of crashed) {
          c.stop();
          await c.g.close();
        }
      }
    });
  });
});

// Prepaid calls through the gateway, end to end: the in-process Hardhat chain served over JSON-RPC
// on 127.0.0.1, the protocol deployed by its deploy scripts, a deposit made through the SDK, the
// real model server behind the gateway, an SDK VoucherSession signing one cumulative voucher per
// call, and the gateway redeeming them in batches (HexsApiPayments.redeemVouchers).
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import type { Signer } from "ethers";
import { domainSeparator as viemDomainSeparator, hashTypedData } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { deployProtocol, type Protocol } from "../../devnet/hardhat/protocol";
import {
  chainRegistry,
  connectContracts,
  ContractNames,
  depositForVouchers,
  evmChain,
  findChain,
  InvalidParamsError,
  publish,
  setApiPrice,
  sweepApiRevenue,
  voucherChannelOf,
  type HexsContracts,
  type VoucherDepositParams,
} from "../../sdk";
import { apiPath, ApiRefusal, VOUCHER_HEADER_NAME, VOUCHER_TYPES, voucherDomain, VoucherSession } from "../../sdk/api";
import type { TestStablecoin } from "../../sdk/typechain";
import { startGateway, type RunningGateway } from "../../services/api-gateway/gateway";
import { voucherDigest } from "../../services/api-gateway/vouchers";
import { ensureWeights } from "../../services/model-server/build";
import { startModelServer, type RunningModelServer } from "../../services/model-server/server";
import type { ApiCallResult } from "../../tasks/api";
import { setQuiet } from "../../tasks/lib/log";
import { PORTS } from "./helpers";
import { serveChain } from "../serve-chain";

const CHAIN = "hexs-evm-31337";
const PRICE = 1_000n;
const CAP = 5n * PRICE; // the gateway's unsettled exposure per payer
const DEPOSIT = 20_000n;
const ADMIN_TOKEN = "admin-token-for-the-vouchers-suite";
const MONTH = 30 * 86_400; // vouchers outlive any clock moves of earlier suites on the in-process chain

describe("API gateway prepaid calls (deposit, cumulative vouchers, batch redemption, real chain and model server)", function () {
  this.timeout(180_000);
  let c: HexsContracts;
  let usd: TestStablecoin;
  let USD: string, API: string, GW: string;
  let chain: { url: string; close(): Promise<void> };
  let model: RunningModelServer;
  let gw: RunningGateway;
  let creator: Signer, operator: Signer;
  let payer: Signer, stranger: Signer;
  let m1: bigint;
  let sink: string;
  let chainId: bigint;
  let proto: Protocol;

  const chat = (content: string) => ({ model: "hexs-char-mlp", messages: [{ role: "user", content }], max_tokens: 8, seed: 5 });
  const session = (who: Signer = payer, over: Partial<ConstructorParameters<typeof VoucherSession>[1]> = {}) =>
    new VoucherSession(who, {
      gatewayUrl: gw.url,
      gateway: GW,
      chainId,
      apiPayments: API,
      modelId: m1,
      currency: USD,
      perCall: PRICE,
      voucherTtlSeconds: MONTH,
      ...over,
    });
  const refusalOf = async (p: Promise<unknown>): Promise<ApiRefusal> => {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e, "the call should be refused").to.be.instanceOf(ApiRefusal);
    return e as ApiRefusal;
  };
  const state = async () => ({
    sink: await usd.balanceOf(sink),
    escrow: await usd.balanceOf(API),
    redeemed: (await voucherChannelOf(c, await payer.getAddress(), m1, USD, GW)).redeemed,
    accepted: gw.vouchers!.stateOf(await payer.getAddress(), m1.toString())?.accepted,
  });

  before(async () => {
    const p = await deployProtocol();
    proto = p;
    [, , creator, operator] = p.signers;
    const contracts: Record<string, string> = {};
    for (const name of Object.values(ContractNames)) {
      const d = await deployments.getOrNull(name);
      if (d) contracts[name] = d.address;
    }
    c = connectContracts(
      evmChain(findChain(chainRegistry({ chains: [{ family: "evm", name: "hardhat", hexsChainId: 1, contracts }] }), 1)),
      ethers.provider,
    );
    chainId = (await ethers.provider.getNetwork()).chainId;
    usd = (await (await ethers.getContractFactory("TestStablecoin")).deploy()) as unknown as TestStablecoin;
    USD = await usd.getAddress();
    API = await c.apiPayments!.getAddress();
    m1 = (await publish(c, creator, { contentCommitment: ethers.id("voucher-model-1"), sdlLocator: "bafy-v-1" })).modelId;
    await setApiPrice(c, creator, {
      modelId: m1,
      currency: USD,
      perCall: PRICE,
      operatorBps: 1_000,
      operator: await operator.getAddress(),
    });
    sink = await c.apiPayments!.sinkOf(m1);
    payer = ethers.Wallet.createRandom().connect(ethers.provider);
    stranger = ethers.Wallet.createRandom().connect(ethers.provider);
    const gatewayKey = generatePrivateKey();
    GW = privateKeyToAccount(gatewayKey).address;
    for (const a of [await payer.getAddress(), GW]) await ethers.provider.send("hardhat_setBalance", [a, "0x56BC75E2D63100000"]);
    await usd.mint(await payer.getAddress(), 1_000_000n);

    chain = await serveChain(PORTS);
    model = await startModelServer({ weightsPath: ensureWeights().path, port: PORTS });
    gw = await startGateway({
      adminToken: ADMIN_TOKEN,
      models: { [m1.toString()]: { upstream: model.url } },
      chains: [
        { name: CHAIN, kind: "evm", rpcUrl: chain.url, chainId: Number(chainId), registry: await c.registry.getAddress() },
      ],
      port: PORTS,
      vouchers: {
        chain: CHAIN,
        apiPayments: API,
        asset: USD,
        gatewayKey,
        maxUnsettledPerPayer: CAP,
        settleEveryMs: 0, // batches only when the test flushes (or a call meets the cap)
        settleAtHalfCap: false,
        channelCacheMs: 0,
        pollingMs: 50,
      },
    });
  });

  after(async () => {
    await gw?.close();
    await model?.close();
    await chain?.close();
  });

  it("the SDK deposit refuses bad input with clear errors and moves nothing; a good one escrows", async () => {
    for (const [p, re] of [
      [{ amount: 0n }, /bad --amount '0'/],
      [{ gateway: ethers.ZeroAddress }, /bad --gateway/],
      [{ gateway: "0x1234" }, /bad --gateway '0x1234'/],
      [{ currency: ethers.ZeroAddress }, /not the native coin/],
    ] as Array<[Partial<VoucherDepositParams>, RegExp]>) {
      const params: VoucherDepositParams = { modelId: m1, currency: USD, gateway: GW, amount: DEPOSIT };
      const e = await depositForVouchers(c, payer, Object.assign(params, p)).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).to.be.instanceOf(InvalidParamsError);
      expect((e as Error).message).to.match(re);
    }
    expect(await usd.balanceOf(API)).to.equal(0n);
    const ch = await depositForVouchers(c, payer, { modelId: m1, currency: USD, gateway: GW, amount: DEPOSIT, permit: true });
    expect([ch.deposited, ch.redeemed, ch.withdrawableAt]).to.deep.equal([DEPOSIT, 0n, 0n]);
    expect(await usd.balanceOf(API)).to.equal(DEPOSIT);
  });

  it("calls paid with vouchers are served without a transaction; one batch redeems them into the sink and the sweep credits vault and operator", async () => {
    const s = session();
    for (let i = 0; i < 3; i++) {
      const res = await s.call("chat/completions", chat(`hello ${i}`));
      expect(res.status).to.equal(200);
      const j = (await res.json()) as { choices: Array<{ message: { content: string } }> };
      expect(j.choices[0].message.content).to.be.a("string");
    }
    expect(s.cumulative).to.equal(3n * PRICE);
    expect(await usd.balanceOf(sink)).to.equal(0n); // nothing on chain yet
    expect(gw.vouchers!.exposureOf(await payer.getAddress())).to.equal(3n * PRICE);
    await gw.vouchers!.flush();
    const batch = gw.vouchers!.settlements.at(-1)!;
    expect([batch.vouchers, batch.amount]).to.deep.equal([1, 3n * PRICE]);
    expect(await usd.balanceOf(sink)).to.equal(3n * PRICE);
    expect((await voucherChannelOf(c, await payer.getAddress(), m1, USD, GW)).redeemed).to.equal(3n * PRICE);
    expect(gw.vouchers!.exposureOf(await payer.getAddress())).to.equal(0n);
    const swept = await sweepApiRevenue(c, operator, m1, USD);
    expect([swept.vaultAmount, swept.operatorAmount]).to.deep.equal([2_700n, 300n]);
  });

  it("past the exposure cap a call gets 402 voucher_exposure_cap and nothing moves; after the batch settles it is served", async () => {
    const s = session(payer, { cumulative: 3n * PRICE });
    for (let i = 0; i < 5; i++) expect((await s.call("chat/completions", chat(`cap ${i}`))).status).to.equal(200);
    const before = await state();
    const r = await refusalOf(s.call("chat/completions", chat("one too many")));
    expect([r.status, r.code]).to.deep.equal([402, "voucher_exposure_cap"]);
    expect(r.message).to.match(/unredeemed \(cap 5000\)/);
    expect(s.cumulative).to.equal(8n * PRICE);
    expect(gw.vouchers!.stateOf(await payer.getAddress(), m1.toString())!.accepted).to.equal((8n * PRICE).toString());
    await gw.vouchers!.flush(); // the refusal started a batch; wait for it
    expect(await usd.balanceOf(sink)).to.equal(before.sink + 5n * PRICE);
    expect(before.accepted).to.equal((8n * PRICE).toString());
    expect((await s.call("chat/completions", chat("after the batch"))).status).to.equal(200);
    expect(s.cumulative).to.equal(9n * PRICE);
    await gw.vouchers!.flush();
  });

  it("a round failing for a reason naming no voucher (contract paused) keeps the vouchers and backs off: calls over the cap do not each ask the chain again; after the wait one does; once unpaused a flush redeems them all", async () => {
    const who = await payer.getAddress();
    const failedRounds = async () =>
      Number(
        (await gw.registry.metrics()).match(
          new RegExp(`hexs_api_settlements_total\\{model="${m1}",outcome="failed"\\} (\\d+)`),
        )?.[1] ?? 0,
      );
    // the automatic rounds run on the gateway's own queue: wait for the ones started so far
    const settledDown = () => (gw.vouchers as unknown as { queue: Promise<unknown> }).queue;
    const s = session(payer, { cumulative: BigInt(gw.vouchers!.stateOf(who, m1.toString())!.accepted) });
    for (let i = 0; i < 5; i++) expect((await s.call("chat/completions", chat(`paused ${i}`))).status).to.equal(200);
    const before = await state();
    const f0 = await failedRounds();
    const api = c.apiPayments!;
    await (await api.connect(proto.signers[0]).pause()).wait();
    const timelock = await proto.timelock.getAddress();
    try {
      for (let i = 0; i < 4; i++) {
        const r = await refusalOf(s.call("chat/completions", chat(`over the cap ${i}`)));
        expect(r.code).to.equal("voucher_exposure_cap");
      }
      await settledDown();
      expect(await failedRounds()).to.equal(f0 + 1); // four calls over the cap, one round (one voucher in it)
      expect(await state()).to.deep.include({ sink: before.sink, redeemed: before.redeemed, accepted: before.accepted });
      // past the first wait (1 s) the next call over the cap starts one more round; the wait doubles
      await new Promise((r) => setTimeout(r, 1_100));
      for (let i = 0; i < 2; i++) await refusalOf(s.call("chat/completions", chat(`after the wait ${i}`)));
      await settledDown();
      expect(await failedRounds()).to.equal(f0 + 2);
    } finally {
      // only the timelock unpauses (impersonated here: the suite's chain clock must not move)
      await ethers.provider.send("hardhat_impersonateAccount", [timelock]);
      await ethers.provider.send("hardhat_setBalance", [timelock, "0x56BC75E2D63100000"]);
      await (await api.connect(await ethers.getSigner(timelock)).unpause()).wait();
      await ethers.provider.send("hardhat_stopImpersonatingAccount", [timelock]);
    }
    // an explicit flush does not wait for the backoff: everything served is redeemed once
    await gw.vouchers!.flush();
    expect(await usd.balanceOf(sink)).to.equal(before.sink + 5n * PRICE);
    expect((await state()).redeemed).to.equal(BigInt(before.accepted!));
    expect((await s.call("chat/completions", chat("unpaused"))).status).to.equal(200);
    await gw.vouchers!.flush();
    // a negative backoff is refused at start
    const bad = await startGateway({
      models: {},
      chains: [
        { name: CHAIN, kind: "evm", rpcUrl: chain.url, chainId: Number(chainId), registry: await c.registry.getAddress() },
      ],
      port: PORTS,
      vouchers: {
        chain: CHAIN,
        apiPayments: API,
        asset: USD,
        gatewayKey: generatePrivateKey(),
        maxUnsettledPerPayer: CAP,
        redeemBackoffMs: -1,
      },
    }).then(
      async (g) => {
        await g.close();
        return "started";
      },
      (e: Error) => e.message,
    );
    expect(bad).to.match(/redeemBackoffMs must not be negative/);
  });

  it("stale, underpaid, forged, wrong-gateway, expired and above-deposit vouchers get 402 and nothing moves", async () => {
    const P = await payer.getAddress();
    const url = gw.url + apiPath(m1, "chat/completions");
    const send = (header: string) =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", [VOUCHER_HEADER_NAME]: header },
        body: JSON.stringify(chat("refused")),
      });
    const accepted = BigInt(gw.vouchers!.stateOf(P, m1.toString())!.accepted);
    const s = session(payer, { cumulative: accepted });
    const before = await state();
    const cases: Array<[string, Promise<string>, RegExp]> = [
      ["voucher_stale", s.sign(accepted).then((x) => x.header), /not above the last accepted/],
      ["voucher_underpaid", s.sign(accepted + PRICE - 1n).then((x) => x.header), /this call costs 1000/],
      // signed by a stranger but naming the payer
      [
        "voucher_bad_signature",
        session(stranger)
          .sign(accepted + PRICE)
          .then((x) => {
            const j = JSON.parse(Buffer.from(x.header, "base64url").toString()) as Record<string, string>;
            return Buffer.from(JSON.stringify({ ...j, payer: P })).toString("base64url");
          }),
        /not signed by its payer/,
      ],
      [
        "voucher_wrong_gateway",
        session(payer, { gateway: ethers.Wallet.createRandom().address })
          .sign(accepted + PRICE)
          .then((x) => x.header),
        /names gateway/,
      ],
      [
        "voucher_expired",
        session(payer, { voucherTtlSeconds: 60 })
          .sign(accepted + PRICE)
          .then((x) => x.header),
        /must stay valid 3600 s/,
      ],
      ["voucher_above_deposit", s.sign(DEPOSIT + 1n).then((x) => x.header), /above .* deposit of 20000/],
      ["voucher_malformed", Promise.resolve("not-a-voucher"), /not base64url JSON|not a JSON object/],
    ];
    for (const [code, header, re] of cases) {
      const res = await send(await header);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status, code).to.equal(402);
      expect(body.error.code).to.equal(code);
      expect(body.error.message).to.match(re);
    }
    await gw.vouchers!.flush();
    expect(await state()).to.deep.equal(before);
  });

  it("a payer who asked for the deposit back is refused (402 voucher_withdrawal_pending)", async () => {
    const P = await payer.getAddress();
    const accepted = BigInt(gw.vouchers!.stateOf(P, m1.toString())!.accepted);
    await (await c.apiPayments!.connect(payer).requestVoucherWithdrawal(m1, USD, GW)).wait();
    const r = await refusalOf(session(payer, { cumulative: accepted }).call("chat/completions", chat("late")));
    expect([r.status, r.code]).to.deep.equal([402, "voucher_withdrawal_pending"]);
    expect(gw.vouchers!.stateOf(P, m1.toString())!.accepted).to.equal(accepted.toString());
  });

  it("task api:deposit escrows through the SDK (approve or permit), shows the channel, and refuses bad input with clear errors", async () => {
    setQuiet(true);
    try {
      const [account] = await ethers.getSigners();
      const A = await account.getAddress();
      await usd.mint(A, 10_000n);
      const model = m1.toString();
      const fails = async (args: Record<string, unknown>, reason: RegExp) => {
        let e: Error | undefined;
        await hre.run("api:deposit", { model, currency: USD, gateway: GW, ...args }).catch((x: Error) => (e = x));
        expect(e?.message).to.match(reason);
      };
      await fails({ amount: "abc" }, /bad --amount 'abc'/);
      await fails({ amount: "0wei" }, /bad --amount '0'/);
      await fails({ amount: "5wei", gateway: "0x12" }, /gateway/);
      await fails({ amount: "5wei", currency: "native" }, /ERC-20 deposit/);
      await fails({ amount: "1" }, /insufficient funds/); // 1 hUSD = 1,000,000 base units, more than A holds
      expect(await usd.balanceOf(A)).to.equal(10_000n);
      await hre.run("api:deposit", { model, currency: USD, gateway: GW, amount: "4000wei" });
      await hre.run("api:deposit", { model, currency: USD, gateway: GW, amount: "3000wei", permit: true });
      const shown = (await hre.run("api:deposit", { model, currency: USD, gateway: GW, show: true })) as {
        deposited: bigint;
        redeemed: bigint;
      };
      expect([shown.deposited, shown.redeemed]).to.deep.equal([7_000n, 0n]);
      expect(await usd.balanceOf(A)).to.equal(3_000n);
    } finally {
      setQuiet(false);
    }
  });

  it("task api:call --voucher deposits when the channel cannot pay, then pays each call with the next cumulative voucher; bad input is refused with clear errors and moves nothing", async () => {
    setQuiet(true);
    try {
      const signers = await ethers.getSigners();
      const A = await signers[6].getAddress();
      await usd.mint(A, 10_000n);
      const model = m1.toString();
      const args = {
        model,
        prompt: "Hexs",
        gateway: gw.url,
        endpoint: "chat",
        maxTokens: 8,
        seed: 3,
        stream: false,
        pay: false,
        from: "6",
        voucherTtl: MONTH,
      };
      const fails = async (over: Record<string, unknown>, reason: RegExp) => {
        let e: Error | undefined;
        await hre.run("api:call", { ...args, ...over }).catch((x: Error) => (e = x));
        expect(e?.message).to.match(reason);
      };
      await fails({ voucher: true, pay: true }, /--pay and --voucher .* choose one/);
      await fails({ currency: USD }, /prepaid calls: add --voucher/);
      await fails({ voucher: true, voucherTtl: 0 }, /bad --voucher-ttl '0'/);
      await fails({ voucher: true, deposit: "999wei" }, /bad --deposit: .* does not pay one call/);
      await fails({ voucher: true, voucherGateway: "0x12", currency: USD }, /bad --voucher-gateway '0x12'/);
      await fails({ voucher: true, deposit: "20000wei" }, /insufficient funds/);
      expect(await usd.balanceOf(A)).to.equal(10_000n);
      expect((await voucherChannelOf(c, A, m1, USD, GW)).deposited).to.equal(0n);

      // nothing deposited yet: the task escrows --deposit, then pays with the first voucher
      const r1 = (await hre.run("api:call", { ...args, voucher: true, deposit: "3000wei" })) as ApiCallResult;
      expect(r1.text).to.have.length(8);
      expect(r1.voucher).to.deep.equal({ amount: "1000", cumulative: "1000", asset: USD, gateway: GW, deposited: "3000" });
      expect((await voucherChannelOf(c, A, m1, USD, GW)).deposited).to.equal(3_000n);
      // the next call starts from the gateway's total (it took the unredeemed voucher) and deposits nothing
      const r2 = (await hre.run("api:call", { ...args, voucher: true })) as ApiCallResult;
      expect(r2.voucher).to.deep.equal({ amount: "1000", cumulative: "2000", asset: USD, gateway: GW });
      expect(gw.vouchers!.stateOf(A, model)!.accepted).to.equal("2000");
      expect(await usd.balanceOf(A)).to.equal(7_000n);
      await gw.vouchers!.flush();
      expect((await voucherChannelOf(c, A, m1, USD, GW)).redeemed).to.equal(2_000n);
    } finally {
      setQuiet(false);
    }
  });

  it("the gateway's voucher digest (built from the fixed type, for speed) equals viem's EIP-712 hashTypedData under the contract's domain separator", async () => {
    const domain = voucherDomain(chainId, API);
    const sep = await c.apiPayments!.voucherDomainSeparator();
    expect(viemDomainSeparator({ domain: { ...domain, verifyingContract: API as `0x${string}` } })).to.equal(sep);
    for (const v of [
      { payer: await payer.getAddress(), modelId: m1, currency: USD, gateway: GW, cumulative: 1n, expiry: 1n },
      {
        payer: GW,
        modelId: (1n << 64n) - 1n,
        currency: API,
        gateway: USD,
        cumulative: (1n << 96n) - 1n,
        expiry: (1n << 64n) - 1n,
      },
    ])
      expect(voucherDigest(sep as `0x${string}`, v)).to.equal(
        hashTypedData({
          domain: { ...domain, verifyingContract: API as `0x${string}` },
          types: VOUCHER_TYPES,
          primaryType: "Voucher",
          message: {
            ...v,
            payer: v.payer as `0x${string}`,
            currency: v.currency as `0x${string}`,
            gateway: v.gateway as `0x${string}`,
          },
        }),
      );
  });

  it("a batch with one voucher the contract refuses redeems the others exactly once, parks the bad one with its reason and stops its payer's credit; nothing is retried", async () => {
    const [good1, bad, good2] = [0, 1, 2].map(() => ethers.Wallet.createRandom().connect(ethers.provider));
    for (const w of [good1, bad, good2]) {
      await ethers.provider.send("hardhat_setBalance", [w.address, "0x56BC75E2D63100000"]);
      await usd.mint(w.address, 10_000n);
      await depositForVouchers(c, w, { modelId: m1, currency: USD, gateway: GW, amount: 5_000n, permit: true });
    }
    for (const [w, n] of [
      [good1, 2],
      [bad, 3],
      [good2, 1],
    ] as Array<[Signer, number]>) {
      const s = session(w);
      for (let i = 0; i < n; i++) expect((await s.call("chat/completions", chat(`batch ${i}`))).status).to.equal(200);
    }
    // the bad payer takes its deposit back (after the contract's delay) before the gateway redeems:
    // its voucher is now above its deposit, and would revert the whole batch
    await (await c.apiPayments!.connect(bad).requestVoucherWithdrawal(m1, USD, GW)).wait();
    await ethers.provider.send("evm_increaseTime", [86_401]);
    await ethers.provider.send("evm_mine", []);
    await (await c.apiPayments!.connect(bad).withdrawVoucherDeposit(m1, USD, GW)).wait();
    const sinkBefore = await usd.balanceOf(sink);
    const n = gw.vouchers!.settlements.length;
    await gw.vouchers!.flush();
    expect(gw.vouchers!.settlements.length).to.equal(n + 1);
    const batch = gw.vouchers!.settlements.at(-1)!;
    expect([batch.vouchers, batch.amount]).to.deep.equal([2, 3n * PRICE]);
    expect(await usd.balanceOf(sink)).to.equal(sinkBefore + 3n * PRICE);
    const redeemed = async (w: Signer) => (await voucherChannelOf(c, await w.getAddress(), m1, USD, GW)).redeemed;
    expect([await redeemed(good1), await redeemed(bad), await redeemed(good2)]).to.deep.equal([2n * PRICE, 0n, PRICE]);
    const parked = gw.vouchers!.parked();
    expect(parked.map((p) => [p.payer, p.reason, p.cumulative, p.unpaid])).to.deep.equal([
      [bad.address.toLowerCase(), "above_deposit", "3000", "3000"],
    ]);
    expect(parked[0].detail).to.match(/^VoucherAboveDeposit\(\d+, 3000, 0\)$/);
    const metrics = await gw.registry.metrics();
    expect(metrics).to.include(`hexs_api_vouchers_parked_total{model="${m1}",reason="above_deposit"} 1`);
    expect(metrics).to.match(new RegExp(`hexs_api_settlements_total\\{model="${m1}",outcome="parked"\\} 1\\b`));

    // nothing is retried: the next rounds find nothing to redeem and park nothing more
    await gw.vouchers!.flush();
    await gw.vouchers!.flush();
    expect(gw.vouchers!.settlements.length).to.equal(n + 1);
    expect(gw.vouchers!.parked()).to.have.length(1);
    expect(await usd.balanceOf(sink)).to.equal(sinkBefore + 3n * PRICE);

    // the bad payer gets no more calls on credit, even with a fresh deposit; the good ones still do
    // (an approval: a permit's deadline, from the wall clock, is behind the chain's clock moved above)
    await depositForVouchers(c, bad, { modelId: m1, currency: USD, gateway: GW, amount: 5_000n });
    const r = await refusalOf(session(bad, { cumulative: 3n * PRICE }).call("chat/completions", chat("again")));
    expect([r.status, r.code]).to.deep.equal([402, "voucher_payer_suspended"]);
    expect(r.message).to.match(/refused on chain \(above_deposit\)/);
    expect(gw.vouchers!.suspensionOf(bad.address)).to.equal("above_deposit");
    expect((await session(good1, { cumulative: 2n * PRICE }).call("chat/completions", chat("still"))).status).to.equal(200);
    await gw.vouchers!.flush();
    expect(await redeemed(good1)).to.equal(3n * PRICE);
    expect(await redeemed(bad)).to.equal(0n);
  });

  it("an operator lifts a payer's suspension with POST /admin/payers/<address>/lift and the gateway's bearer token; without it or with a wrong one: 401 and the payer stays suspended", async () => {
    const bad = gw.vouchers!.parked()[0].payer; // suspended by the batch test above
    expect(gw.vouchers!.suspensionOf(bad)).to.equal("above_deposit");
    const lift = (authorization?: string) =>
      fetch(`${gw.url}/admin/payers/${bad}/lift`, {
        method: "POST",
        headers: authorization ? { authorization } : {},
      });
    for (const auth of [undefined, "Bearer not-the-admin-token-at-all", `Basic ${ADMIN_TOKEN}`, `Bearer ${ADMIN_TOKEN}x`]) {
      const r = await lift(auth);
      expect(r.status, String(auth)).to.equal(401);
      expect(((await r.json()) as { error: { code: string } }).error.code).to.equal("admin_unauthorized");
    }
    expect(gw.vouchers!.suspensionOf(bad)).to.equal("above_deposit");
    const ok = await lift(`Bearer ${ADMIN_TOKEN}`);
    expect(ok.status).to.equal(200);
    expect(await ok.json()).to.deep.equal({ payer: bad, lifted: { vouchers: true, x402: false } });
    expect(gw.vouchers!.suspensionOf(bad)).to.equal(undefined);
    // done once: a second lift finds nothing to lift
    expect(await (await lift(`Bearer ${ADMIN_TOKEN}`)).json()).to.deep.equal({
      payer: bad,
      lifted: { vouchers: false, x402: false },
    });
  });
});

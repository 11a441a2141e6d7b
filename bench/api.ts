// The API gateway's overhead over calling the upstream directly, on a devnet-like set-up:
//   * a real `hardhat node` (own process, 127.0.0.1:8745) with Hexs deployed by the deploy
//     procedure, a model published and priced, a key bought for the calling account;
//   * a trivial upstream (own process: answers a fixed chat.completion JSON at once);
//   * the gateway (own process, services/api-gateway/cli.ts) in front of it, checking every call:
//     the signed request, its nonce (SQLite), KeyNFT.hasAccess by eth_call on the node;
//   * the real model server (own process) for a reference: one 32-token completion.
// The client pre-signs every request (signing is the caller's cost, not the gateway's), then
// sends them one at a time (latency) and 16 at a time (throughput), with node:http on kept-alive
// connections (it measures its own CPU and each process's during the paid throughput run).
// Paid calls (x402 v2): the same gateway also sells calls for a test stablecoin (EIP-3009); the
// payer pre-signs its authorizations against one quote, then pays one call at a time: the gateway
// checks each payment locally (services/api-gateway/fast-verify.ts: EIP-712 digest, signature
// against the payer's kept public key, validity window, the payer's balance net of its unsettled
// calls), reserves it in SQLite, forwards, and settles after the answer, off the request path.
// Then 16 payers pay 16 calls at once (throughput). The time per verification step comes from the
// gateway's /metrics (hexs_api_paid_verify_seconds_total); settlement throughput and the gas of
// one settlement are read back from the chain.
// Prepaid calls (vouchers): one payer deposits once, then makes VOUCHER_CALLS calls, each with the
// next cumulative EIP-712 voucher (pre-signed through the SDK's VoucherSession); the gateway checks
// each locally (signature, deposit read from the chain at most every 5 s) and redeems the latest
// voucher in batches every 2 s, off the request path. On-chain gas per call = (approve + deposit
// + every redemption) / calls. Throughput: 16 payers (one channel each) call at once.
// Settlement batches up to HEXS_BENCH_API_SETTLE_BATCH (default 32) authorizations per
// X402SettlementBatcher transaction; 0 settles one call per transaction.
// Run: npx ts-node --transpile-only bench/api.ts   → bench/results/api.json and a table.
// HEXS_BENCH_API_SAMPLES / HEXS_BENCH_API_THROUGHPUT / HEXS_BENCH_API_PAID change the sample
// counts, HEXS_BENCH_API_VOUCHERS the prepaid calls; HEXS_BENCH_API_NODE_PORT the node's port.
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { BenchProcesses, deployBenchHexs, eventOf, requireFreePorts, ROOT, startHardhatNode, stats } from "./lib";

const NODE_PORT = Number(process.env.HEXS_BENCH_API_NODE_PORT ?? 8745);
const UPSTREAM_PORT = 18190;
const GATEWAY_PORT = 18191;
const MODEL_PORT = 18192;
const SAMPLES = Number(process.env.HEXS_BENCH_API_SAMPLES ?? 1000);
const THROUGHPUT = Number(process.env.HEXS_BENCH_API_THROUGHPUT ?? 2000);
const PAID = Number(process.env.HEXS_BENCH_API_PAID ?? 300);
const VOUCHER_CALLS = Number(process.env.HEXS_BENCH_API_VOUCHERS ?? 1000);
const VOUCHER_WARMUP = 20;
// x402 settlement: up to this many authorizations per X402SettlementBatcher transaction
// (HEXS_BENCH_API_SETTLE_BATCH; 0 = one @x402/evm settlement per call, as before the batcher)
const SETTLE_BATCH = Number(process.env.HEXS_BENCH_API_SETTLE_BATCH ?? 32);
// node flags of the gateway's process (HEXS_BENCH_API_GATEWAY_FLAGS, space-separated; "" for none):
// a larger young generation means fewer scavenges of the short-lived objects every call allocates
const GATEWAY_NODE_FLAGS = (process.env.HEXS_BENCH_API_GATEWAY_FLAGS ?? "--max-semi-space-size=64").split(" ").filter(Boolean);
const API_PRICE = 1_000n;
const CONCURRENCY = 16;
const CHAIN = "hexs-evm-31401";
const DEV_MNEMONIC = "test test test test test test test test test test test junk";
const OUT = path.join(ROOT, "bench/results/api.json");

process.env.HARDHAT_NETWORK = "devnetA";
process.env.HEXS_DEVNET_URL_A = `http://127.0.0.1:${NODE_PORT}`;
process.env.HEXS_LOG_LEVEL ??= "silent";

const procs = new BenchProcesses();
const round = (x: number) => Math.round(x * 100) / 100;

const TRIVIAL_UPSTREAM = `
const body = Buffer.from(JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion", created: 0, model: "trivial",
  choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
require("node:http").createServer((q, s) => { q.resume(); q.on("end", () =>
  s.writeHead(200, { "content-type": "application/json", "content-length": body.length }).end(body)); })
  .listen(${UPSTREAM_PORT}, "127.0.0.1", () => console.log("READY"));`;

async function main(): Promise<void> {
  await requireFreePorts([NODE_PORT, UPSTREAM_PORT, GATEWAY_PORT, MODEL_PORT]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-bench-api-"));
  const hhNode = await startHardhatNode(procs, NODE_PORT);

  // hardhat as a library, on the bench's node (network devnetA → HEXS_DEVNET_URL_A)
  const { ethers, a, registry, market } = await deployBenchHexs("bench-api.");
  const signers = await ethers.getSigners();
  const [, , creator, , holderSigner, payerSigner] = signers;
  const params = {
    contentCommitment: ethers.id("bench-api"),
    sdlLocator: "bafy-bench-api",
    metadataUri: "ipfs://bench",
    forkRoyaltyBps: 0,
    daoBps: 0,
    forkable: true,
    secondaryRoyaltyBps: 0,
    plugins: [],
  };
  const receipt = await (await registry.connect(creator).publish(params)).wait();
  const modelId = eventOf(registry.interface, receipt, "ModelPublished").args.modelId as bigint;
  const keyPrice = ethers.parseEther("0.01");
  await (await registry.connect(creator).setPrice(modelId, ethers.ZeroAddress, keyPrice, 0, true)).wait();
  await (
    await market
      .connect(holderSigner)
      .buy(modelId, ethers.ZeroAddress, await holderSigner.getAddress(), "0x", "0x", { value: keyPrice })
  ).wait();

  // paid calls: a test stablecoin priced per call; the payer (account 5) signs locally
  const usd = await (await ethers.getContractFactory("TestStablecoin")).deploy();
  await usd.waitForDeployment();
  const USD = await usd.getAddress();
  const apiPayments = await ethers.getContractAt("HexsApiPayments", a.apiPayments);
  await (await apiPayments.connect(creator).setApiPrice(modelId, USD, API_PRICE, 0, 0, true)).wait();
  const sink = await apiPayments.sinkOf(modelId);
  await (await usd.mint(await payerSigner.getAddress(), API_PRICE * BigInt(PAID + 100))).wait();
  const paidPerPayer = Math.ceil(THROUGHPUT / CONCURRENCY) + 1;
  const throughputPayerKeys = Array.from(
    { length: CONCURRENCY },
    (_, i) => ethers.HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${20 + i}`).privateKey,
  );
  for (const k of throughputPayerKeys)
    await (await usd.mint(new ethers.Wallet(k).address, API_PRICE * BigInt(paidPerPayer))).wait();
  const payerKey = ethers.HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0/5").privateKey;
  const facilitatorKey = ethers.HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0/7").privateKey;
  const voucherGateway = ethers.HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0/8");

  // the holder signs locally (the same account as signer 4 on the node)
  const wallet = ethers.HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0/4");
  if (wallet.address !== (await holderSigner.getAddress())) throw new Error("the holder's local wallet is not account 4");

  const tsNode = path.join(ROOT, "node_modules/.bin/ts-node");
  const upstream = await procs.start(
    process.execPath,
    ["-e", TRIVIAL_UPSTREAM],
    {},
    (o) => o.includes("READY"),
    "trivial upstream",
  );
  const cfgFile = path.join(dir, "gateway.json");
  fs.writeFileSync(
    cfgFile,
    JSON.stringify({
      port: GATEWAY_PORT,
      models: { [modelId.toString()]: { upstream: `http://127.0.0.1:${UPSTREAM_PORT}` } },
      chains: [{ name: CHAIN, kind: "evm", rpcUrl: `http://127.0.0.1:${NODE_PORT}`, chainId: 31401, registry: a.registry }],
      nonceDb: path.join(dir, "nonces.sqlite"),
      x402: {
        chain: CHAIN,
        apiPayments: a.apiPayments,
        asset: USD,
        quoteTtlSeconds: 3600,
        paymentsDb: path.join(dir, "payments.sqlite"),
        pollingMs: 20,
        // the bench bounds nothing: 16 payers' settlements queue up behind 1,000+ calls/s
        fastMaxUnsettledCalls: 1_000_000,
        ...(SETTLE_BATCH > 0 ? { batcher: a.settlementBatcher, settleBatchMax: SETTLE_BATCH } : {}),
      },
      vouchers: {
        chain: CHAIN,
        apiPayments: a.apiPayments,
        asset: USD,
        // the bench bounds nothing: it measures the per-call path and the batches of the timer
        maxUnsettledPerPayer: (API_PRICE * 1_000_000n).toString(),
        settleEveryMs: 2_000,
        vouchersDb: path.join(dir, "vouchers.sqlite"),
        pollingMs: 20,
      },
    }),
  );
  // HEXS_BENCH_API_CPU_PROF=<dir>: the gateway writes a V8 CPU profile there when it stops
  const prof = process.env.HEXS_BENCH_API_CPU_PROF;
  const gateway = await procs.start(
    process.execPath,
    [
      ...(prof ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(prof)}`] : []),
      ...GATEWAY_NODE_FLAGS,
      tsNode,
      "--transpile-only",
      "services/api-gateway/cli.ts",
      "--config",
      cfgFile,
    ],
    { HEXS_X402_FACILITATOR_KEY: facilitatorKey, HEXS_VOUCHER_GATEWAY_KEY: voucherGateway.privateKey },
    (o) => o.includes("listening"),
    "gateway",
  );
  await procs.start(
    tsNode,
    ["--transpile-only", "services/model-server/cli.ts", "--port", String(MODEL_PORT)],
    {},
    (o) => o.includes("listening"),
    "model server",
  );

  const { apiPath, walletHolder, signApiRequest } = await loadSdk();
  const holder = walletHolder(wallet);
  const path_ = apiPath(modelId, "chat/completions");
  const body = JSON.stringify({ model: "trivial", messages: [{ role: "user", content: "hi" }], max_tokens: 1 });
  const sign = async (n: number) => {
    const out: Record<string, string>[] = [];
    for (let i = 0; i < n; i++)
      out.push(await signApiRequest(holder, { modelId, chain: CHAIN, path: path_, body, ttlSeconds: 300 }));
    return out;
  };
  // node:http with kept-alive sockets: undici's fetch cost the load generator ~0.8 ms of CPU a call
  // (0.5 of the 2 cores at ~600 calls/s), CPU the gateway then did not get
  const agent = new http.Agent({ keepAlive: true });
  const bodyBuf = Buffer.from(body);
  const urls = new Map<string, URL>();
  const post = (url: string, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      let u = urls.get(url);
      if (!u) urls.set(url, (u = new URL(url)));
      const req = http.request(
        {
          hostname: u.hostname,
          port: u.port,
          path: u.pathname,
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": bodyBuf.length, ...headers },
        },
        (res) => {
          // a refusal's body names its reason (kept for the error, the first 500 bytes)
          let refusal = "";
          if (res.statusCode !== 200) res.on("data", (c: Buffer) => (refusal = (refusal + c.toString()).slice(0, 500)));
          else res.resume();
          res.on("end", () =>
            res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`${url}: ${res.statusCode} ${refusal}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(bodyBuf);
    });
  const direct = `http://127.0.0.1:${UPSTREAM_PORT}/v1/chat/completions`;
  const viaGateway = `http://127.0.0.1:${GATEWAY_PORT}${path_}`;

  // warm-up (connections, JIT, the gateway's keysOf cache), then alternate direct / gateway samples
  const warm = await sign(50);
  for (const h of warm) {
    await post(direct);
    await post(viaGateway, h);
  }
  const signed = await sign(SAMPLES);
  const directMs: number[] = [];
  const gatewayMs: number[] = [];
  for (const h of signed) {
    directMs.push(await post(direct));
    gatewayMs.push(await post(viaGateway, h));
  }

  // throughput: CONCURRENCY clients, pre-signed
  const batch = await sign(THROUGHPUT);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < batch.length) await post(viaGateway, batch[next++]);
    }),
  );
  const throughputRps = Math.round(THROUGHPUT / ((performance.now() - t0) / 1000));

  // paid calls: pre-signed EIP-3009 authorizations against one quote (signing is the payer's cost)
  const { ExactEvmScheme } = await import("@x402/evm/exact/client");
  const { decodePaymentRequiredHeader, encodePaymentSignatureHeader } = await import("@x402/core/http");
  const { privateKeyToAccount } = await import("viem/accounts");
  const payer = privateKeyToAccount(payerKey as `0x${string}`);
  const unpaid = await fetch(viaGateway, { method: "POST", headers: { "content-type": "application/json" }, body });
  const required = decodePaymentRequiredHeader(unpaid.headers.get("payment-required") ?? "");
  await unpaid.arrayBuffer();
  if (unpaid.status !== 402 || required.accepts[0].amount !== API_PRICE.toString())
    throw new Error(`unpaid call: ${unpaid.status}, asked ${required.accepts[0]?.amount}`);
  const payments = async (n: number, who = payer) => {
    const scheme = new ExactEvmScheme(who);
    const out: Record<string, string>[] = [];
    for (let i = 0; i < n; i++) {
      const p = await scheme.createPaymentPayload(2, required.accepts[0]);
      const header = encodePaymentSignatureHeader({
        x402Version: 2,
        resource: required.resource,
        accepted: required.accepts[0],
        payload: p.payload,
      });
      out.push({ "payment-signature": header });
    }
    return out;
  };
  for (const h of await payments(20)) await post(viaGateway, h); // warm-up
  const paidHeaders = await payments(PAID);
  const metricsUrl = `http://127.0.0.1:${GATEWAY_PORT}/metrics`;
  const stepsBefore = parseSteps(await (await fetch(metricsUrl)).text());
  const paidDirectMs: number[] = [];
  const paidMs: number[] = [];
  for (const h of paidHeaders) {
    paidDirectMs.push(await post(direct));
    paidMs.push(await post(viaGateway, h));
  }
  const stepsAfter = parseSteps(await (await fetch(metricsUrl)).text());
  const stepMs: Record<string, number> = {};
  for (const [k, v] of Object.entries(stepsAfter)) stepMs[k] = round(((v - (stepsBefore[k] ?? 0)) * 1000) / PAID);
  // paid throughput: CONCURRENCY payers (their first call warms the gateway's view of them), pre-signed
  const tpAccounts = throughputPayerKeys.map((k) => privateKeyToAccount(k as `0x${string}`));
  const tpHeaders = await Promise.all(tpAccounts.map((who) => payments(paidPerPayer, who)));
  await Promise.all(tpHeaders.map((hs) => post(viaGateway, hs[0])));
  const sinkAtTpStart = await usd.balanceOf(sink);
  const cpuPids = { gateway: gateway.pid!, upstream: upstream.pid!, hardhatNode: hhNode.pid! };
  const cpuBefore = cpuNow(cpuPids);
  const tpStart = performance.now();
  await Promise.all(
    tpHeaders.map(async (hs) => {
      for (const h of hs.slice(1)) await post(viaGateway, h);
    }),
  );
  const tpSeconds = (performance.now() - tpStart) / 1000;
  const paidRps = Math.round((CONCURRENCY * (paidPerPayer - 1)) / tpSeconds);
  const paidCpu = cpuUse(cpuBefore, cpuNow(cpuPids), tpSeconds);
  const settledDuringTp = Number(((await usd.balanceOf(sink)) - sinkAtTpStart) / API_PRICE);
  // CPU per paid call (ms), by process and gateway thread: less sensitive to other sessions' load than req/s
  const paidCpuMsPerCall = Object.fromEntries(
    Object.entries(paidCpu)
      .filter(([k]) => k !== "machine")
      .map(([k, v]) => [k, round((v * 1000) / paidRps)]),
  );
  // settlement runs behind the answers: wait for the sink to hold every paid call
  const paidTotal = API_PRICE * BigInt(PAID + 20 + CONCURRENCY * paidPerPayer);
  const settleStart = performance.now();
  while ((await usd.balanceOf(sink)) < paidTotal) {
    if (performance.now() - settleStart > 300_000) throw new Error("settlements did not finish in 5 min");
    await new Promise((r) => setTimeout(r, 100));
  }
  const settleBacklogS = (performance.now() - settleStart) / 1000;
  // settlements that landed from the start of the throughput run until the sink held every call
  const settledPerSecond = Math.round(Number((paidTotal - sinkAtTpStart) / API_PRICE) / ((performance.now() - tpStart) / 1000));
  // the throughput run's settlements: transactions, authorizations per transaction, gas per call
  const transfers = (await usd.queryFilter(usd.filters.Transfer(undefined, sink))).slice(-CONCURRENCY * (paidPerPayer - 1));
  const settleTxs = [...new Set(transfers.map((t) => t.transactionHash))];
  let settleTxGas = 0n;
  for (const h of settleTxs) settleTxGas += (await ethers.provider.getTransactionReceipt(h))!.gasUsed;
  const settleGas = settleTxGas / BigInt(transfers.length);

  // prepaid calls: deposits (approve + depositForVouchers), then vouchers pre-signed by VoucherSession
  const { VoucherSession, VOUCHER_HEADER_NAME } = await import("../sdk/api");
  const GW = voucherGateway.address;
  const chainId = BigInt(31401);
  const funder = signers[0];
  const depositFor = async (w: import("ethers").HDNodeWallet, calls: number) => {
    const amount = API_PRICE * BigInt(calls);
    await (await usd.mint(w.address, amount)).wait();
    const approve = await (await usd.connect(w).approve(a.apiPayments, amount)).wait();
    const deposit = await (await apiPayments.connect(w).depositForVouchers(modelId, USD, GW, amount)).wait();
    return approve!.gasUsed + deposit!.gasUsed;
  };
  const voucherPayer = async () => {
    const w = ethers.Wallet.createRandom().connect(ethers.provider);
    await (await funder.sendTransaction({ to: w.address, value: ethers.parseEther("1") })).wait();
    return w;
  };
  const vouchersOf = async (w: import("ethers").HDNodeWallet, calls: number) => {
    const session = new VoucherSession(w, {
      gatewayUrl: `http://127.0.0.1:${GATEWAY_PORT}`,
      gateway: GW,
      chainId,
      apiPayments: a.apiPayments,
      modelId,
      currency: USD,
      perCall: API_PRICE,
    });
    const out: Record<string, string>[] = [];
    for (let k = 1; k <= calls; k++) out.push({ [VOUCHER_HEADER_NAME]: (await session.sign(API_PRICE * BigInt(k))).header });
    return out;
  };
  const redemptionGas = async (payers: string[], total: bigint, fromBlock: number) => {
    const start = performance.now();
    for (const p of payers)
      while ((await apiPayments.channelOf(p, modelId, USD, GW)).redeemed < total) {
        if (performance.now() - start > 120_000) throw new Error("voucher redemptions did not finish in 2 min");
        await new Promise((r) => setTimeout(r, 100));
      }
    const events = await apiPayments.queryFilter(apiPayments.filters.VoucherRedeemed(), fromBlock);
    const txs = [...new Set(events.map((e) => e.transactionHash))];
    let gas = 0n;
    for (const h of txs) gas += (await ethers.provider.getTransactionReceipt(h))!.gasUsed;
    return { txs: txs.length, vouchers: events.length, gas };
  };

  const vPayer = await voucherPayer();
  const vBlock = await ethers.provider.getBlockNumber();
  const vDepositGas = await depositFor(vPayer, VOUCHER_CALLS);
  const vHeaders = await vouchersOf(vPayer, VOUCHER_CALLS);
  for (const h of vHeaders.slice(0, VOUCHER_WARMUP)) await post(viaGateway, h); // warm-up, counted for gas
  const voucherDirectMs: number[] = [];
  const voucherMs: number[] = [];
  for (const h of vHeaders.slice(VOUCHER_WARMUP)) {
    voucherDirectMs.push(await post(direct));
    voucherMs.push(await post(viaGateway, h));
  }
  const vRedeem = await redemptionGas([vPayer.address], API_PRICE * BigInt(VOUCHER_CALLS), vBlock + 1);

  // voucher throughput: CONCURRENCY payers, each its own channel, calling one after the other
  const perPayer = Math.ceil(THROUGHPUT / CONCURRENCY);
  const tPayers: import("ethers").HDNodeWallet[] = [];
  for (let i = 0; i < CONCURRENCY; i++) tPayers.push(await voucherPayer());
  const tBlock = await ethers.provider.getBlockNumber();
  let tDepositGas = 0n;
  for (const w of tPayers) tDepositGas += await depositFor(w, perPayer);
  const tHeaders = await Promise.all(tPayers.map((w) => vouchersOf(w, perPayer)));
  const tStart = performance.now();
  await Promise.all(
    tHeaders.map(async (hs) => {
      for (const h of hs) await post(viaGateway, h);
    }),
  );
  const voucherRps = Math.round((perPayer * CONCURRENCY) / ((performance.now() - tStart) / 1000));
  const tRedeem = await redemptionGas(
    tPayers.map((w) => w.address),
    API_PRICE * BigInt(perPayer),
    tBlock + 1,
  );

  // the real model, directly: a 32-token completion
  const modelMs: number[] = [];
  const modelBody = JSON.stringify({ prompt: "The gateway ", max_tokens: 32, seed: 1 });
  for (let i = 0; i < 100; i++) {
    const s = performance.now();
    await (await fetch(`http://127.0.0.1:${MODEL_PORT}/v1/completions`, { method: "POST", body: modelBody })).arrayBuffer();
    modelMs.push(performance.now() - s);
  }

  const d = stats(directMs, 2);
  const g = stats(gatewayMs, 2);
  const pd = stats(paidDirectMs, 2);
  const pg = stats(paidMs, 2);
  const result = {
    when: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
    setup:
      "hardhat node (own process) + trivial upstream (own process) + gateway (own process: EIP-191 check, SQLite nonce, KeyNFT.hasAccess eth_call per call); client pre-signs, sequential calls",
    directUpstreamMs: d,
    viaGatewayMs: g,
    gatewayOverheadMs: { p50: round(g.p50 - d.p50), p90: round(g.p90 - d.p90), p99: round(g.p99 - d.p99), goalP50: 5 },
    throughput: { requests: THROUGHPUT, concurrency: CONCURRENCY, requestsPerSecond: throughputRps, goal: 1000 },
    modelServer32TokensMs: stats(modelMs, 2),
    paid: {
      setup:
        "x402 v2 exact (EIP-3009 TestStablecoin) through the same gateway: payment decoded, checked against the quote (HMAC), verified locally (EIP-712 digest, ecrecover in libsecp256k1 when its binding loads compared with the payer's kept public key, window, balance net of unsettled calls; no RPC on the path once the payer is known), reserved in SQLite (WAL, prepared statements), forwarded; settled after the answer by a serial queue on a worker thread: " +
        (SETTLE_BATCH > 0
          ? `batches of up to ${SETTLE_BATCH} authorizations per X402SettlementBatcher transaction`
          : "one @x402/evm facilitator settlement per call"),
      calls: PAID,
      directUpstreamMs: pd,
      viaGatewayMs: pg,
      gatewayOverheadMs: { p50: round(pg.p50 - pd.p50), p90: round(pg.p90 - pd.p90), p99: round(pg.p99 - pd.p99), goalP50: 5 },
      verifyStepsMeanMs: stepMs,
      throughput: {
        payers: CONCURRENCY,
        requests: CONCURRENCY * (paidPerPayer - 1),
        requestsPerSecond: paidRps,
        goal: 1000,
      },
      // cores used during the paid throughput run (CPU seconds / wall seconds), by process
      throughputCpuCores: paidCpu,
      throughputCpuMsPerCall: paidCpuMsPerCall,
      gatewayNodeFlags: GATEWAY_NODE_FLAGS.join(" "),
      settlementsPerSecond: settledPerSecond,
      settledDuringThroughputRun: settledDuringTp,
      settlementBacklogAfterLastAnswerS: round(settleBacklogS),
      settlementGasPerCall: Number(settleGas),
      settleBatchMax: SETTLE_BATCH,
      settlementTxsThroughputRun: settleTxs.length,
      settlementsPerTx: round(transfers.length / settleTxs.length),
    },
    vouchers: {
      setup:
        "prepaid (HexsApiPayments channel): one deposit, then one pre-signed cumulative EIP-712 voucher per call (SDK VoucherSession); the gateway recovers the signer locally, reads the channel and price (cached 5 s), records the voucher in SQLite, forwards; the timer redeems the latest voucher per channel every 2 s (redeemVouchers)",
      calls: VOUCHER_CALLS,
      directUpstreamMs: stats(voucherDirectMs, 2),
      viaGatewayMs: stats(voucherMs, 2),
      gatewayOverheadMs: {
        p50: round(stats(voucherMs, 2).p50 - stats(voucherDirectMs, 2).p50),
        p90: round(stats(voucherMs, 2).p90 - stats(voucherDirectMs, 2).p90),
        p99: round(stats(voucherMs, 2).p99 - stats(voucherDirectMs, 2).p99),
        goalP50: 5,
      },
      gas: {
        depositGas: Number(vDepositGas),
        redemptionTxs: vRedeem.txs,
        redemptionGas: Number(vRedeem.gas),
        perCall: Math.round(Number(vDepositGas + vRedeem.gas) / VOUCHER_CALLS),
        goalPerCall: 1000,
      },
      throughput: {
        payers: CONCURRENCY,
        requests: perPayer * CONCURRENCY,
        requestsPerSecond: voucherRps,
        goal: 1000,
        redemptionTxs: tRedeem.txs,
        vouchersRedeemed: tRedeem.vouchers,
        gasPerRedeemedVoucher: Math.round(Number(tRedeem.gas) / Math.max(1, tRedeem.vouchers)),
        gasPerCallWithDeposits: Math.round(Number(tDepositGas + tRedeem.gas) / (perPayer * CONCURRENCY)),
      },
    },
  };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + "\n");
  const row = (name: string, s: { n: number; p50: number; p90: number; p99: number }) =>
    `| ${name.padEnd(36)} | ${String(s.n).padStart(5)} | ${String(s.p50).padStart(8)} | ${String(s.p90).padStart(8)} | ${String(s.p99).padStart(8)} |`;
  console.log("\n| measurement                          |     n | p50 (ms) | p90 (ms) | p99 (ms) |");
  console.log("| ------------------------------------ | ----: | -------: | -------: | -------: |");
  console.log(row("upstream directly", d));
  console.log(row("through the gateway (key holder)", g));
  console.log(row("gateway overhead (difference)", { n: d.n, ...result.gatewayOverheadMs }));
  console.log(row("model server, 32-token completion", result.modelServer32TokensMs));
  console.log(row("upstream directly (paid run)", pd));
  console.log(row("through the gateway (x402 paid)", pg));
  console.log(row("paid overhead (difference)", { n: pd.n, ...result.paid.gatewayOverheadMs }));
  console.log(
    `paid verification steps (mean ms per call): ${Object.entries(stepMs)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}; ${paidRps} paid requests/s with ${CONCURRENCY} payers`,
  );
  console.log(
    `cores busy during the paid throughput run: ${Object.entries(paidCpu)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
  console.log(
    `CPU ms per paid call: ${Object.entries(paidCpuMsPerCall)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")} (gateway flags: ${GATEWAY_NODE_FLAGS.join(" ") || "none"})`,
  );
  console.log(
    `settlement: ${settledPerSecond} settlements/s, ${result.paid.settlementGasPerCall} gas per call (${transfers.length} calls in ${settleTxs.length} transactions, batches of up to ${SETTLE_BATCH || 1}), ${settledDuringTp} settled during the throughput run, backlog ${result.paid.settlementBacklogAfterLastAnswerS} s after the last answer`,
  );
  console.log(row("upstream directly (voucher run)", result.vouchers.directUpstreamMs));
  console.log(row("through the gateway (voucher paid)", result.vouchers.viaGatewayMs));
  console.log(row("voucher overhead (difference)", { n: voucherMs.length, ...result.vouchers.gatewayOverheadMs }));
  console.log(
    `vouchers: ${result.vouchers.gas.perCall} gas per call over ${VOUCHER_CALLS} calls (deposit ${result.vouchers.gas.depositGas} + ${vRedeem.txs} redemptions ${result.vouchers.gas.redemptionGas}); ${voucherRps} paid requests/s with ${CONCURRENCY} payers`,
  );
  console.log(`\nthroughput through the gateway: ${throughputRps} requests/s (${CONCURRENCY} concurrent, goal ≥ 1000)`);
  console.log(`written to ${path.relative(ROOT, OUT)}`);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** CPU seconds so far: this process (the load generator), each child by PID, and the machine (every process). */
function cpuNow(pids: Record<string, number>): Record<string, number> {
  const tick = 100; // USER_HZ on Linux
  const out: Record<string, number> = {};
  const u = process.cpuUsage();
  out.loadGenerator = (u.user + u.system) / 1e6;
  // fields after the command's closing parenthesis: utime and stime are the 12th and 13th, nice the 17th
  const stat = (file: string) => fs.readFileSync(file, "utf8").split(")").pop()!.trim().split(" ");
  for (const [name, pid] of Object.entries(pids)) {
    const f = stat(`/proc/${pid}/stat`);
    out[name] = (Number(f[11]) + Number(f[12])) / tick;
  }
  // the gateway by thread: its request (main) thread, and the threads it runs at a raised nice value
  // (the settlement worker, settleNice); the rest is V8's and libuv's helper threads
  out.gatewayRequestThread = 0;
  out.gatewaySettlementThread = 0;
  for (const tid of fs.readdirSync(`/proc/${pids.gateway}/task`)) {
    let f: string[];
    try {
      f = stat(`/proc/${pids.gateway}/task/${tid}/stat`);
    } catch {
      continue; // the thread ended
    }
    const t = (Number(f[11]) + Number(f[12])) / tick;
    if (Number(tid) === pids.gateway) out.gatewayRequestThread += t;
    else if (Number(f[16]) > 0) out.gatewaySettlementThread += t;
  }
  const cpu = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  out.machine = (cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7]) / tick; // user nice system irq softirq steal
  return out;
}

function cpuUse(a: Record<string, number>, b: Record<string, number>, seconds: number): Record<string, number> {
  return Object.fromEntries(Object.keys(b).map((k) => [k, round((b[k] - a[k]) / seconds)]));
}

/** hexs_api_paid_verify_seconds_total by step, from the gateway's Prometheus text. */
function parseSteps(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^hexs_api_paid_verify_seconds_total\{step="([^"]+)"\} ([0-9.e+-]+)$/gm))
    out[m[1]] = Number(m[2]);
  return out;
}

async function loadSdk() {
  const api = await import("../sdk/api");
  const { evmHolder } = await import("../sdk/keys");
  return {
    ...api,
    walletHolder: (w: { address: string; signMessage(m: string): Promise<string> }) =>
      evmHolder({ getAddress: async () => w.address, signMessage: (m) => w.signMessage(m) }, w.address.toLowerCase()),
  };
}

main()
  .catch((e) => {
    console.error(`bench:api: ${(e as Error).stack ?? e}`);
    process.exitCode = 1;
  })
  .finally(() => {
    procs.stopAll();
    setTimeout(() => process.exit(), 2000).unref();
  });

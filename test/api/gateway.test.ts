// The API gateway against the real contracts and the real model server: the in-process Hardhat
// chain served over JSON-RPC on 127.0.0.1 (Hardhat's own node server), the protocol deployed by
// its deploy scripts, a model published, priced and its key bought through the SDK; every access
// decision is an eth_call to the registry's keysOf and KeyNFT.hasAccess over HTTP.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import type { Signer } from "ethers";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Secp256k1HdWallet, type OfflineAminoSigner } from "@cosmjs/amino";
import { deployProtocol, type Protocol } from "../../devnet/hardhat/protocol";
import {
  buy,
  chainRegistry,
  connectContracts,
  ContractNames,
  evmChain,
  findChain,
  NATIVE,
  publish,
  setPrice,
  type HexsContracts,
} from "../../sdk";
import { apiPath, formatApiRequest, sha256Hex, signApiRequest, REQUEST_HEADER_NAME, SIGNATURE_HEADER_NAME } from "../../sdk/api";
import { evmHolder, type Holder } from "../../sdk/keys";
import { startGateway, type GatewayConfig, type RunningGateway } from "../../services/api-gateway/gateway";
import { ensureWeights } from "../../services/model-server/build";
import { startModelServer, type RunningModelServer } from "../../services/model-server/server";
import { close, listen } from "../../services/key-service/http";
import { serveChain } from "../keys/helpers";
import { setQuiet } from "../../tasks/lib/log";
import type { ApiCallResult } from "../../tasks/api";
import { PORTS, sseData } from "./helpers";

const CHAIN = "hexs-evm-31337";

async function chainEntry() {
  const contracts: Record<string, string> = {};
  for (const name of Object.values(ContractNames)) {
    const d = await deployments.getOrNull(name);
    if (d) contracts[name] = d.address;
  }
  return evmChain(findChain(chainRegistry({ chains: [{ family: "evm", name: "hardhat", hexsChainId: 1, contracts }] }), 1));
}

interface Reply {
  status: number;
  json: {
    error?: { code: string; message: string; type: string };
    choices?: Array<{ message: { content: string }; text: string }>;
  };
  text: string;
}

/** A test upstream that streams SSE slowly (one event now, the next after `gapMs`) or never answers. */
async function slowUpstream(gapMs: number): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url?.includes("silent")) return; // never answers: the gateway's timeout must fire
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.flushHeaders();
    res.write(`data: {"n":1}\n\n`);
    setTimeout(() => res.end(`data: {"n":2}\n\ndata: [DONE]\n\n`), gapMs);
  });
  const port = await listen(server, PORTS);
  return { url: `http://127.0.0.1:${port}`, server };
}

describe("API gateway (key holders, signed requests, hasAccess over JSON-RPC, real model upstream)", function () {
  this.timeout(120_000);
  let p: Protocol;
  let c: HexsContracts;
  let chain: { url: string; close(): Promise<void> };
  let model: RunningModelServer;
  let slow: { url: string; server: Server };
  let gw: RunningGateway;
  let cfg: GatewayConfig;
  let creator: Signer, alice: Signer, bob: Signer, carol: Signer;
  let m1: bigint, m2: bigint;
  let aliceKey: bigint;
  let tmp: string;
  let deadPort: number;

  const holder = async (s: Signer): Promise<Holder> => evmHolder(s, (await s.getAddress()).toLowerCase());

  /** Sign as `who` (or with `sign`'s overrides) and send; returns status, JSON and raw text. */
  async function call(
    who: Holder | null,
    modelId: bigint,
    endpoint: string,
    body: unknown,
    o: {
      signFor?: Partial<{ modelId: bigint; path: string; body: string; chain: string; nowMs: number; ttlSeconds: number }>;
      headers?: Record<string, string>;
      base?: string;
    } = {},
  ): Promise<Reply> {
    const path = apiPath(modelId, endpoint);
    const text = body === undefined ? "" : JSON.stringify(body);
    const headers =
      who === null
        ? {}
        : await signApiRequest(who, {
            modelId: o.signFor?.modelId ?? modelId,
            chain: o.signFor?.chain ?? CHAIN,
            method: body === undefined ? "GET" : "POST",
            path: o.signFor?.path ?? path,
            body: o.signFor?.body ?? text,
            nowMs: o.signFor?.nowMs,
            ttlSeconds: o.signFor?.ttlSeconds,
          });
    const res = await fetch((o.base ?? gw.url) + path, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json", ...headers, ...o.headers },
      body: body === undefined ? undefined : text,
    });
    const raw = await res.text();
    let json: Reply["json"] = {};
    try {
      json = JSON.parse(raw);
    } catch {
      // SSE
    }
    return { status: res.status, json, text: raw };
  }

  const chat = (content: string, extra: Record<string, unknown> = {}) => ({
    model: "hexs-char-mlp",
    messages: [{ role: "user", content }],
    max_tokens: 40,
    seed: 11,
    ...extra,
  });

  async function refused(r: Reply, status: number, code: string, reason?: RegExp) {
    expect(r.status, r.text).to.equal(status);
    expect(r.json.error?.code, r.text).to.equal(code);
    if (reason) expect(r.json.error?.message).to.match(reason);
  }

  before(async () => {
    p = await deployProtocol();
    [, , creator, , alice, bob, carol] = p.signers;
    c = connectContracts(await chainEntry(), ethers.provider);
    const price = ethers.parseEther("0.1");
    m1 = (await publish(c, creator, { contentCommitment: ethers.id("api-model-1"), sdlLocator: "bafy-api-1" })).modelId;
    m2 = (await publish(c, creator, { contentCommitment: ethers.id("api-model-2"), sdlLocator: "bafy-api-2" })).modelId;
    await setPrice(c, creator, { modelId: m1, currency: NATIVE, keyPrice: price });
    aliceKey = (await buy(c, alice, { modelId: m1, currency: NATIVE })).keyId;
    chain = await serveChain();
    model = await startModelServer({ weightsPath: ensureWeights().path, port: PORTS });
    slow = await slowUpstream(600);
    const reserve = createServer(); // a port nobody listens on (outside PORTS): the "down" upstream
    deadPort = await listen(reserve, 0);
    await close(reserve);
    tmp = mkdtempSync(join(tmpdir(), "hexs-gw-"));
    cfg = {
      models: {
        [m1.toString()]: { upstream: model.url },
        [m2.toString()]: { upstream: model.url },
      },
      chains: [{ name: CHAIN, kind: "evm", rpcUrl: chain.url, chainId: 31337, registry: await c.registry.getAddress() }],
      port: PORTS,
      upstreamTimeoutMs: 400,
      nonceDb: join(tmp, "nonces.sqlite"),
    };
    gw = await startGateway(cfg);
  });

  after(async () => {
    await gw?.close();
    await model?.close();
    if (slow) await close(slow.server);
    await chain?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("a key holder's signed call is served: the same answer as the model server gives directly", async () => {
    const direct = await (
      await fetch(`${model.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(chat("Hello")),
      })
    ).json();
    const r = await call(await holder(alice), m1, "chat/completions", chat("Hello"));
    expect(r.status, r.text).to.equal(200);
    expect(r.json.choices?.[0].message.content).to.equal(direct.choices[0].message.content).and.have.length(40);
    const listed = await call(await holder(alice), m1, "models", undefined);
    expect(listed.status).to.equal(200);
    expect(listed.text).to.contain("hexs-char-mlp");
  });

  it("streaming passes through: the real model's SSE concatenates to its non-streamed text; a slow upstream's first event arrives before it finishes", async () => {
    const whole = await call(await holder(alice), m1, "completions", { prompt: "The key ", max_tokens: 50, seed: 3 });
    const streamed = await call(await holder(alice), m1, "completions", {
      prompt: "The key ",
      max_tokens: 50,
      seed: 3,
      stream: true,
    });
    const data = sseData(streamed.text);
    expect(data[data.length - 1]).to.equal("[DONE]");
    const text = data
      .slice(0, -1)
      .map((d) => JSON.parse(d).choices[0].text)
      .join("");
    expect(text).to.equal(whole.json.choices?.[0].text);

    // a slow upstream behind m1 (so the key check stays real) holds its second event 600 ms:
    // the client must see the first one long before that
    const g2 = await startGateway({
      ...cfg,
      nonceDb: undefined,
      upstreamTimeoutMs: 5_000,
      models: { [m1.toString()]: { upstream: slow.url } },
    });
    try {
      const t0 = Date.now();
      const signed = await signApiRequest(await holder(alice), {
        modelId: m1,
        chain: CHAIN,
        path: apiPath(m1, "chat/completions"),
        body: "{}",
      });
      const res = await fetch(g2.url + apiPath(m1, "chat/completions"), { method: "POST", headers: signed, body: "{}" });
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.equal("text/event-stream");
      const reader = res.body!.getReader();
      const first = await reader.read();
      const firstAt = Date.now() - t0;
      expect(Buffer.from(first.value!).toString()).to.equal(`data: {"n":1}\n\n`);
      let rest = "";
      for (let r = await reader.read(); !r.done; r = await reader.read()) rest += Buffer.from(r.value).toString();
      const doneAt = Date.now() - t0;
      expect(rest).to.equal(`data: {"n":2}\n\ndata: [DONE]\n\n`);
      expect(doneAt - firstAt).to.be.greaterThan(450); // the first event was not held until the end
    } finally {
      await g2.close();
    }
  });

  it("missing, malformed, forged, tampered, expired and too-long signed requests are refused with 401 and the reason", async () => {
    const a = await holder(alice);
    await refused(
      await call(null, m1, "chat/completions", chat("x")),
      401,
      "missing_auth",
      /x-hexs-request and x-hexs-signature/,
    );
    await refused(
      await call(null, m1, "chat/completions", chat("x"), {
        headers: { [REQUEST_HEADER_NAME]: "bm90IGEgcmVxdWVzdA", [SIGNATURE_HEADER_NAME]: "0x00" },
      }),
      401,
      "malformed_auth",
    );
    // forged: bob signs a request that names alice's account
    const b = await holder(bob);
    await refused(
      await call({ ...b, address: a.address }, m1, "chat/completions", chat("x")),
      401,
      "bad_signature",
      /does not verify for 0x/,
    );
    // tampered: signed for one body, sent with another
    await refused(
      await call(a, m1, "chat/completions", chat("x"), { signFor: { body: JSON.stringify(chat("y")) } }),
      401,
      "request_mismatch",
      /Body-SHA256/,
    );
    await refused(
      await call(a, m1, "chat/completions", chat("x"), { signFor: { path: apiPath(m1, "completions") } }),
      401,
      "request_mismatch",
      /path/,
    );
    // expired: signed two minutes ago for one minute
    await refused(
      await call(a, m1, "chat/completions", chat("x"), { signFor: { nowMs: Date.now() - 120_000, ttlSeconds: 60 } }),
      401,
      "expired",
      /expired at/,
    );
    // valid for longer than the gateway allows: written by hand (the SDK refuses to sign it)
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify(chat("x"));
    const message = formatApiRequest({
      account: a.address,
      chain: CHAIN,
      model: m1.toString(),
      method: "POST",
      path: apiPath(m1, "chat/completions"),
      bodySha256: sha256Hex(body),
      nonce: "A".repeat(22),
      issuedAt: now,
      expiresAt: now + 3600,
    });
    const res = await fetch(gw.url + apiPath(m1, "chat/completions"), {
      method: "POST",
      headers: {
        [REQUEST_HEADER_NAME]: Buffer.from(message).toString("base64url"),
        [SIGNATURE_HEADER_NAME]: await alice.signMessage(message),
      },
      body,
    });
    expect(res.status).to.equal(401);
    expect(((await res.json()) as Reply["json"]).error?.message).to.match(/longer than 300 s/);
  });

  it("a signed request is single-use: replayed → 401 replayed; five concurrent copies → exactly one served", async () => {
    const a = await holder(alice);
    const body = JSON.stringify(chat("once"));
    const headers = await signApiRequest(a, { modelId: m1, chain: CHAIN, path: apiPath(m1, "chat/completions"), body });
    const send = () => fetch(gw.url + apiPath(m1, "chat/completions"), { method: "POST", headers, body });
    expect((await send()).status).to.equal(200);
    const again = await send();
    expect(again.status).to.equal(401);
    expect(((await again.json()) as Reply["json"]).error?.code).to.equal("replayed");

    const fresh = await signApiRequest(a, { modelId: m1, chain: CHAIN, path: apiPath(m1, "chat/completions"), body });
    const race = await Promise.all(
      Array.from({ length: 5 }, () => fetch(gw.url + apiPath(m1, "chat/completions"), { method: "POST", headers: fresh, body })),
    );
    expect(race.map((r) => r.status).sort()).to.deep.equal([200, 401, 401, 401, 401]);
  });

  it("used nonces survive a gateway restart (SQLite ledger): a replay after restart is refused", async () => {
    const a = await holder(alice);
    const body = JSON.stringify(chat("restart"));
    const headers = await signApiRequest(a, { modelId: m1, chain: CHAIN, path: apiPath(m1, "chat/completions"), body });
    expect((await fetch(gw.url + apiPath(m1, "chat/completions"), { method: "POST", headers, body })).status).to.equal(200);
    await gw.close();
    gw = await startGateway({ ...cfg, port: { from: 18180, to: 18199 } }); // a new port: no pooled connection to the old one
    const r = await fetch(gw.url + apiPath(m1, "chat/completions"), { method: "POST", headers, body });
    expect(r.status).to.equal(401);
    expect(((await r.json()) as Reply["json"]).error?.code).to.equal("replayed");
  });

  it("wrong model → 403; no key → 402; unknown chain → 400; unknown model → 404", async () => {
    const a = await holder(alice);
    // alice's request for model 1, sent to model 2's route (she holds no key of model 2 either)
    await refused(
      await call(a, m2, "chat/completions", chat("x"), { signFor: { modelId: m1 } }),
      403,
      "wrong_model",
      new RegExp(`signed for model ${m1}, not model ${m2}`),
    );
    await refused(
      await call(a, m2, "chat/completions", chat("x")),
      402,
      "no_key",
      new RegExp(`holds no live key of model ${m2}`),
    );
    await refused(await call(await holder(bob), m1, "chat/completions", chat("x")), 402, "no_key", /key:buy/);
    await refused(
      await call(a, m1, "chat/completions", chat("x"), { signFor: { chain: "hexs-evm-999" } }),
      400,
      "unknown_chain",
      /does not read chain 'hexs-evm-999'/,
    );
    await refused(await call(a, 424242n, "chat/completions", chat("x")), 404, "unknown_model");
  });

  it("access is read from the chain on every call: after alice transfers her key to carol, alice gets 402 and carol is served", async () => {
    const keys = await ethers.getContractAt("KeyNFT", await c.registry.keysOf(m1));
    expect((await call(await holder(carol), m1, "completions", { prompt: "a", max_tokens: 4 })).status).to.equal(402);
    await (await keys.connect(alice).transferFrom(await alice.getAddress(), await carol.getAddress(), aliceKey)).wait();
    try {
      await refused(await call(await holder(alice), m1, "completions", { prompt: "a", max_tokens: 4 }), 402, "no_key");
      expect((await call(await holder(carol), m1, "completions", { prompt: "a", max_tokens: 4 })).status).to.equal(200);
    } finally {
      await (await keys.connect(carol).transferFrom(await carol.getAddress(), await alice.getAddress(), aliceKey)).wait();
    }
  });

  it("with accessCacheMs a granted answer is reused for that window (documented risk) and a refusal is never cached", async () => {
    const g2 = await startGateway({ ...cfg, nonceDb: undefined, accessCacheMs: 60_000 });
    const keys = await ethers.getContractAt("KeyNFT", await c.registry.keysOf(m1));
    const req = { prompt: "a", max_tokens: 4 };
    try {
      await refused(await call(await holder(carol), m1, "completions", req, { base: g2.url }), 402, "no_key");
      expect((await call(await holder(alice), m1, "completions", req, { base: g2.url })).status).to.equal(200);
      await (await keys.connect(alice).transferFrom(await alice.getAddress(), await carol.getAddress(), aliceKey)).wait();
      expect((await call(await holder(alice), m1, "completions", req, { base: g2.url })).status).to.equal(200); // cached
      expect((await call(await holder(carol), m1, "completions", req, { base: g2.url })).status).to.equal(200); // not cached: read again
      await refused(await call(await holder(alice), m1, "completions", req), 402, "no_key"); // the default gateway reads every call
    } finally {
      await (await keys.connect(carol).transferFrom(await carol.getAddress(), await alice.getAddress(), aliceKey)).wait();
      await g2.close();
    }
  });

  it("ADR-36 (Cosmos) signatures go through the same SDK verifier: a valid one reaches the key check, a forged one is 401", async () => {
    const wallet = await Secp256k1HdWallet.generate(12, { prefix: "wasm" });
    const [acct] = await wallet.getAccounts();
    const cosmos: Holder = { family: "cosmos", address: acct.address, signer: wallet };
    await refused(
      await call(cosmos, m1, "completions", { prompt: "a" }),
      402,
      "no_key",
      /Cosmos account cannot hold keys on an EVM chain/,
    );
    // another key signs the sign doc that names acct's address
    const other = await Secp256k1HdWallet.generate(12, { prefix: "wasm" });
    const [otherAcct] = await other.getAccounts();
    const forger: OfflineAminoSigner = {
      getAccounts: () => other.getAccounts(),
      signAmino: (_signer, doc) => other.signAmino(otherAcct.address, doc),
    };
    await refused(
      await call({ family: "cosmos", address: acct.address, signer: forger }, m1, "completions", { prompt: "a" }),
      401,
      "bad_signature",
      /ADR-36/,
    );
  });

  it("an upstream that is down → 502; one that does not answer in time → 504 (JSON reasons); neither is served", async () => {
    // m1 (alice holds a key, so the call gets past the check) behind a port nobody listens on, and a silent server
    const g2 = await startGateway({
      ...cfg,
      nonceDb: undefined,
      models: { [m1.toString()]: { upstream: `http://127.0.0.1:${deadPort}` } },
    });
    const g3 = await startGateway({
      ...cfg,
      nonceDb: undefined,
      models: { [m1.toString()]: { upstream: `${slow.url}/silent` } },
    });
    try {
      await refused(
        await call(await holder(alice), m1, "chat/completions", chat("x"), { base: g2.url }),
        502,
        "upstream_unreachable",
        /unreachable/,
      );
      const t0 = Date.now();
      await refused(
        await call(await holder(alice), m1, "chat/completions", chat("x"), { base: g3.url }),
        504,
        "upstream_timeout",
        /sent nothing for 400 ms/,
      );
      expect(Date.now() - t0).to.be.lessThan(3_000);
    } finally {
      await g2.close();
      await g3.close();
    }
  });

  it("api:call signs with a network account and prints the model's answer, streamed or not; without a key it fails with the gateway's reason", async () => {
    setQuiet(true);
    try {
      const args = { model: m1.toString(), prompt: "Hi", gateway: gw.url, from: "4", seed: 2, maxTokens: 30 };
      const plain = (await hre.run("api:call", args)) as ApiCallResult;
      const streamed = (await hre.run("api:call", { ...args, stream: true })) as ApiCallResult;
      expect(plain.account).to.equal((await alice.getAddress()).toLowerCase());
      expect(plain.chain).to.equal(CHAIN);
      expect(plain.text).to.have.length(30);
      expect(streamed.text).to.equal(plain.text);
      expect(streamed.finishReason).to.equal("length");
      let err: Error | undefined;
      await hre.run("api:call", { ...args, from: "5" }).catch((e: Error) => (err = e));
      expect(err?.message).to.match(/402 from the gateway: .*holds no live key/);
    } finally {
      setQuiet(false);
    }
  });

  it("/metrics: requests by model and outcome, upstream latency histograms", async () => {
    await call(await holder(alice), m1, "completions", { prompt: "metrics", max_tokens: 4 });
    await call(await holder(bob), m1, "completions", { prompt: "metrics", max_tokens: 4 });
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).to.match(new RegExp(`hexs_api_requests_total\\{model="${m1}",outcome="ok"\\} [1-9]`));
    expect(text).to.match(new RegExp(`hexs_api_requests_total\\{model="${m1}",outcome="no_key"\\} [1-9]`));
    expect(text).to.match(new RegExp(`hexs_api_upstream_ttfb_seconds_count\\{model="${m1}"\\} [1-9]`));
    expect(text).to.match(new RegExp(`hexs_api_upstream_duration_seconds_bucket\\{le="0.1",model="${m1}"\\}`));
    expect(text).to.contain("hexs_api_auth_seconds_count");
  });
});

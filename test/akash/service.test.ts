// The relayer process drives the lease pipeline (config section `akash`): three in-process
// relayers (2-of-3) on the Hardhat network served over JSON-RPC, the key service and the Akash
// stand-in. A purchase that asks for a deployment is read from the market's `Purchased` event by
// the leader, its SDL decrypted as the operator key (granted by the creator), the lease opened on
// the stand-in, and the outcome travels as a LeaseReported message on the Akash lane (900 → this
// chain): the co-signers check the lease on Akash themselves before queueing it, the relayers
// attest it 2-of-3, the gateway applies it and the hub resolves the escrow on the market.
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { deployments, ethers } from "hardhat";
import { mine } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, type Signer } from "ethers";
import { parseConfig } from "../../relayer/config";
import { Relayer } from "../../relayer/relayer";
import { AccountFamily, decodeBody, encodeMessage, Kind } from "../../codec";
import { encodeDeploymentParams } from "../../relayer/akash/params";
import { PROPOSE_PATH } from "../../relayer/akash/attested";
import { evmHolderWord, holderWord } from "../../relayer/akash/holder";
import type { HandoverHooks } from "../../relayer/akash/handover";
import { evmHolder, grantKeyHolders, grantOperators, KeyServiceClient, localEndpoints, sealSdl } from "../../sdk/keys";
import type { AttestationGateway, HexsHub } from "../../sdk/typechain";
import {
  buyNative,
  deployProtocol,
  eventsOf,
  NATIVE,
  publishParams,
  setNativePrice,
  throughTimelock,
  type Protocol,
} from "../../devnet/hardhat/protocol";
import { evmChain, keyService, serveChain } from "../keys/helpers";
import { fundAkash, providerAddress, RELAYER_MNEMONIC, SDL_FILE, startEnv, type Env } from "./helpers/env";
import { until } from "../until";

const AKASH_LANE = 900;
const KEY_PRICE = ethers.parseEther("0.01");
const DEPLOY_PRICE = ethers.parseEther("0.05");
const HTTP_PORTS = [19020, 19021, 19022];
const keys = [0, 1, 2].map((i) => new Wallet(ethers.keccak256(Buffer.from(`hexs-akash-service-test-${i}`))));

describe("relayer process → lease pipeline → LeaseReported on the Akash lane (2-of-3)", function () {
  this.timeout(240_000);
  let env: Env;
  let p: Protocol;
  let hub: HexsHub;
  let gateway: AttestationGateway;
  let chain: { url: string; close(): Promise<void> };
  let svc: Awaited<ReturnType<typeof keyService>>;
  let hexsId: number;
  let modelId: bigint;
  let buyer: Signer;
  let locator: string;
  const payee = Wallet.createRandom().address;
  const relayers: Relayer[] = [];
  const handoverHooks: HandoverHooks = {}; // the leader's (set by the handover report tests)

  before(async () => {
    env = await startEnv({ firstPort: 18640 });
    p = await deployProtocol();
    hub = (await ethers.getContractAt("HexsHub", (await deployments.get("HexsHub")).address)) as unknown as HexsHub;
    gateway = (await ethers.getContractAt(
      "AttestationGateway",
      (await deployments.get("AttestationGateway")).address,
    )) as unknown as AttestationGateway;
    hexsId = Number(await p.registry.chainId());
    buyer = p.signers[6];
    const creator = p.signers[2];
    // governance: 2-of-3 relayer set, the Akash lane through the gateway, the hub resolves escrows
    const sorted = keys.map((k) => k.address).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    await (
      await throughTimelock(
        p,
        await gateway.getAddress(),
        gateway.interface.encodeFunctionData("setRelayers", [sorted, 2]),
        ethers.id("akash-svc-1"),
      )
    ).wait();
    await (
      await throughTimelock(
        p,
        await hub.getAddress(),
        hub.interface.encodeFunctionData("setPeer", [AKASH_LANE, await gateway.getAddress(), 64, AccountFamily.Cosmos]),
        ethers.id("akash-svc-2"),
      )
    ).wait();
    await (
      await throughTimelock(
        p,
        await hub.getAddress(),
        hub.interface.encodeFunctionData("setLeaseReporting", [AKASH_LANE, await p.market.getAddress(), payee]),
        ethers.id("akash-svc-3"),
      )
    ).wait();
    const role = await p.market.LEASE_REPORTER_ROLE();
    await (
      await throughTimelock(
        p,
        await p.market.getAddress(),
        p.market.interface.encodeFunctionData("grantRole", [role, await hub.getAddress()]),
        ethers.id("akash-svc-4"),
      )
    ).wait();
    for (const k of keys) await (await p.signers[0].sendTransaction({ to: k.address, value: ethers.parseEther("10") })).wait();

    chain = await serveChain();
    svc = await keyService([evmChain(chain.url)]);
    const client = new KeyServiceClient(localEndpoints(svc.url));
    const owner = evmHolder(creator, (await creator.getAddress()).toLowerCase());
    const sealed = await sealSdl(client, owner, fs.readFileSync(SDL_FILE, "utf8"), { imageDigest: "0x" + "ef".repeat(32) });
    const receipt = await (
      await p.registry
        .connect(creator)
        .publish({ ...publishParams(), contentCommitment: sealed.contentCommitment, sdlLocator: sealed.upload.locator })
    ).wait();
    modelId = eventsOf(receipt, p.registry, "ModelPublished")[0].args.modelId as bigint;
    await grantKeyHolders(client, owner, sealed.upload.locator, {
      evm: [{ chain: "hexs-evm-31337", keyNft: await p.registry.keysOf(modelId) }],
    });
    await grantOperators(
      client,
      owner,
      sealed.upload.locator,
      keys.map((k) => k.address),
    ); // the leader decrypts to deploy, the co-signers to check manifests
    locator = sealed.upload.locator;
    await setNativePrice(p, creator, modelId, KEY_PRICE, DEPLOY_PRICE);

    fs.writeFileSync(path.join(env.tmpdir, "akash.mnemonic"), RELAYER_MNEMONIC, { mode: 0o600 });
    const leaderAkash = await env.client();
    fundAkash(env, leaderAkash.address);
    const from = await ethers.provider.getBlockNumber();
    for (const i of [0, 1, 2]) {
      process.env[`HEXS_AKASH_TEST_KEY_${i}`] = keys[i].privateKey;
      const cfg = parseConfig({
        instance: `akash-r${i}`,
        operator: { key: { env: `HEXS_AKASH_TEST_KEY_${i}` } },
        devnet: true, // one key attests and submits (a test setup)
        chains: [
          {
            type: "evm",
            name: "a",
            hexsChainId: hexsId,
            rpc: chain.url,
            hub: await hub.getAddress(),
            gateway: await gateway.getAddress(),
            confirmations: 0,
            pollIntervalMs: 100,
            startBlock: from,
          },
        ],
        peers: [0, 1, 2].filter((j) => j !== i).map((j) => ({ name: `r${j}`, url: `http://127.0.0.1:${HTTP_PORTS[j]}` })),
        store: { sqlite: path.join(env.tmpdir, `r${i}.db`) },
        http: { port: HTTP_PORTS[i] },
        delivery: { attestTimeoutMs: 1000, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
        akash: {
          role: i === 0 ? "leader" : "cosigner",
          rpc: env.standin.rpcUrl,
          rest: env.standin.restUrl,
          chainId: env.standin.chain.chainId,
          db: path.join(env.tmpdir, `akash-r${i}.sqlite`),
          purchases: [{ chain: "a", market: await p.market.getAddress(), from, daoFactory: await p.daoFactory.getAddress() }],
          pollMs: 100,
          ...(i === 0
            ? {
                mnemonic: { file: path.join(env.tmpdir, "akash.mnemonic") },
                keyService: svc.url,
                policy: { bidWindowMs: 300, pollMs: 50, backoffBaseMs: 50, backoffMaxMs: 300, maxAttempts: 3, txTimeoutMs: 3000 },
                // 1 ETH buys 2,000 ACT (2,000,000,000 uact)
                topups: { rates: { [NATIVE]: { uactNumerator: "2000000000", unitDenominator: "1000000000000000000" } } },
                // a failed handover's returned escrow is paid to the new holder: 1 uact buys 10^9 wei
                payouts: {
                  currency: { a: NATIVE },
                  rates: { [NATIVE]: { uactNumerator: "1", unitDenominator: "1000000000" } },
                },
              }
            : { leaders: [leaderAkash.address], keyService: svc.url, report: { refundsPerHour: i === 1 ? 1 : 5 } }),
        },
      });
      const r = new Relayer(cfg, i === 0 ? { handoverHooks } : {});
      await r.start();
      relayers.push(r);
    }
    for (const r of relayers) await r.akash!.started;
  });

  after(async () => {
    for (const r of relayers) await r.stop();
    await svc?.close();
    await chain?.close();
    await env?.close();
  });

  const leader = () => relayers[0].akash!;
  let firstLease: { owner: string; dseq: string } | undefined;
  const buy = async (params: Parameters<typeof encodeDeploymentParams>[0] = { v: 1 }) =>
    buyNative(p, buyer, modelId, KEY_PRICE + DEPLOY_PRICE, { deploymentParams: encodeDeploymentParams(params) });
  const job = (keyId: bigint) => leader().leases!.byPurchase(String(hexsId), keyId.toString());

  it("a purchase with a deployment → lease on Akash (SDL decrypted as the operator) → LeaseReported attested 2-of-3 → escrow paid to the lease payee", async () => {
    const keyNoDeploy = await buyNative(p, buyer, modelId, KEY_PRICE); // a key only: no lease job
    const keyId = await buy();
    const done = await until("the lease to be reported", 60_000, async () => {
      const r = await job(keyId);
      return r && ["reported", "failed"].includes(r.state) ? r : undefined;
    });
    expect(done.state, done.lastError ?? done.failureReason ?? "").to.equal("reported");
    expect(done.reportTx).to.match(new RegExp(`^LeaseReported ${AKASH_LANE}-${hexsId} #1`));
    expect(await job(keyNoDeploy)).to.equal(undefined);
    expect(env.standin.chain.leasesOf(done.owner, done.dseq!).map((l) => l.state)).to.deep.equal(["active"]);
    firstLease = { owner: done.owner, dseq: done.dseq! };
    // the co-signers checked the lease on Akash and hold the same message
    for (const r of relayers.slice(1))
      expect((await r.akash!.reports!.atNonce("cosigned", AKASH_LANE, hexsId, 1))?.ok).to.equal(true);
    await until("the hub to apply LeaseReported #1", 30_000, async () => Number((await hub.lane(AKASH_LANE)).inbound) >= 1);
    expect((await p.market.escrowOf(keyId)).amount).to.equal(0n);
    expect(await p.market.creditOf(payee, NATIVE)).to.equal(DEPLOY_PRICE);
  });

  it("the lease service shows in /readyz and /metrics: started, each purchase feed and the work loop; jobs by state", async () => {
    const body = await until("the lease loops to report", 10_000, async () => {
      const b = (await (await fetch(`http://127.0.0.1:${relayers[0].port}/readyz`)).json()) as {
        leasesReady?: boolean;
        components: Record<string, { ok: boolean }>;
      };
      return b.components["lease-work"] && b.components["lease-feed:a"] ? b : undefined;
    });
    expect(body.leasesReady).to.equal(true);
    expect(body.components.lease.ok).to.equal(true);
    expect(body.components["lease-feed:a"].ok).to.equal(true);
    // a co-signer runs no feed or work loop (the leader does): it reports that it started
    const cosigner = (await (await fetch(`http://127.0.0.1:${relayers[1].port}/readyz`)).json()) as {
      components: Record<string, { ok: boolean }>;
    };
    expect(Object.keys(cosigner.components).filter((n) => n.startsWith("lease"))).to.include("lease");
    const metrics = await until("the lease gauge", 10_000, async () => {
      const text = await (await fetch(`http://127.0.0.1:${relayers[0].port}/metrics`)).text();
      return /hexs_relayer_lease_jobs\{state="reported"\} [1-9]/.test(text) ? text : undefined;
    });
    expect(metrics).to.match(/# TYPE hexs_relayer_lease_failures_total counter/);
  });

  it("no acceptable bid → deployment closed, failure reported and checked (no active deployment) → the buyer claims the refund", async () => {
    const keyId = await buy({ v: 1, providers: [providerAddress("nobody-bids")] });
    const done = await until("the failure to be reported", 60_000, async () => {
      const r = await job(keyId);
      return r && ["reported", "failed"].includes(r.state) ? r : undefined;
    });
    expect(done.state).to.equal("failed");
    expect(done.reportTx).to.match(/#2$/);
    await until("the hub to apply LeaseReported #2", 30_000, async () => Number((await hub.lane(AKASH_LANE)).inbound) >= 2);
    const me = await buyer.getAddress();
    expect((await p.market.escrowOf(keyId)).amount).to.equal(0n);
    expect(await p.market.creditOf(me, NATIVE)).to.equal(DEPLOY_PRICE);
    const before = await ethers.provider.getBalance(me);
    const receipt = await (await p.market.connect(buyer).claim(NATIVE, me)).wait();
    expect((await ethers.provider.getBalance(me)) - before + receipt!.gasUsed * receipt!.gasPrice).to.equal(DEPLOY_PRICE);
  });

  it("co-signers refuse a forged report (no such lease on Akash), an unknown leader, and refunds over their hourly cap", async () => {
    const propose = async (i: number, owner: string, messages: string[]) => {
      const res = await fetch(`http://127.0.0.1:${HTTP_PORTS[i]}${PROPOSE_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ owner, messages }),
      });
      return {
        status: res.status,
        body: (await res.json()) as { accepted?: number[]; refused?: { reason: string; retryLater?: boolean }; error?: string },
      };
    };
    const report = (nonce: number, purchaseId: bigint, ok: boolean, dseq: bigint) =>
      "0x" +
      Buffer.from(
        encodeMessage({
          version: 1,
          kind: Kind.LeaseReported,
          srcChain: AKASH_LANE,
          dstChain: hexsId,
          nonce: BigInt(nonce),
          body: {
            purchaseId,
            ok,
            dseq,
            gseq: ok ? 1 : 0,
            oseq: ok ? 1 : 0,
            provider: ok ? providerAddress("provider-a") : "",
            reason: ok ? "" : "x",
          },
        }),
      ).toString("hex");
    const owner = (await env.client()).address;
    const first = (await p.market.queryFilter(p.market.filters.Purchased()))[1].args.keyId; // the first test's purchase
    // a forged success at the next nonce: Akash has no such lease, both co-signers refuse
    const next = Number((await hub.lane(AKASH_LANE)).inbound) + 1;
    for (const i of [1, 2]) {
      const a = await propose(i, owner, [report(next, first, true, 424242n)]);
      expect(a.body.accepted).to.deep.equal([]);
      expect(a.body.refused!.reason).to.match(/no active lease .*424242/);
    }
    const stranger = await propose(1, providerAddress("stranger"), [report(next, first, true, 424242n)]);
    expect(stranger.status).to.equal(403);
    expect(stranger.body.error).to.match(/not a lease leader/);
    // a real failure: co-signer 1 (1 refund per hour) already signed one and refuses it, co-signer 2 signs
    const keyId = await buy({ v: 1, providers: [providerAddress("nobody-bids-either")] });
    const done = await until("the second failure to be reported", 60_000, async () => {
      const r = await job(keyId);
      return r && r.state === "failed" ? r : undefined;
    });
    expect(done.reportTx).to.match(/#3$/);
    await until(
      "the hub to apply LeaseReported #3 (leader + co-signer 2)",
      30_000,
      async () => Number((await hub.lane(AKASH_LANE)).inbound) >= 3,
    );
    expect(await relayers[1].akash!.reports!.byPurchase("cosigned", String(hexsId), keyId.toString())).to.equal(undefined);
    expect((await relayers[2].akash!.reports!.byPurchase("cosigned", String(hexsId), keyId.toString()))?.ok).to.equal(false);
    expect(await p.market.creditOf(await buyer.getAddress(), NATIVE)).to.equal(DEPLOY_PRICE);
    // co-signer 1's cap, asked directly: a refund at the next nonce waits for the next window
    const capped = await propose(1, owner, [report(4, first, false, 0n)]);
    expect(capped.body.refused!.reason).to.match(/refund cap: 1 failure reports/);
    expect(capped.body.refused!.retryLater).to.equal(true);
  });

  it("a DAO's infrastructure spend to the operator (propose → vote → execute) tops up the running deployment's escrow, once", async () => {
    const [, , creator, m1, m2] = p.signers;
    const tx = await p.daoFactory.connect(creator).createDao(modelId, [await m1.getAddress(), await m2.getAddress()], 1, 5, 50);
    const governor = await ethers.getContractAt(
      "ModelGovernor",
      eventsOf(await tx.wait(), p.daoFactory, "DaoCreated")[0].args.governor as string,
    );
    await (await p.signers[0].sendTransaction({ to: await governor.getAddress(), value: ethers.parseEther("1") })).wait();
    const amount = ethers.parseEther("0.002"); // 4,000,000 uact at the configured rate
    const call = governor.interface.encodeFunctionData("fundInfrastructure", [
      NATIVE,
      keys[0].address,
      amount,
      `akash-escrow:${firstLease!.owner}/${firstLease!.dseq}`,
    ]);
    const target = await governor.getAddress();
    await (await governor.connect(m1).propose([target], [0], [call], "top up the lease")).wait();
    const id = await governor.getProposalId([target], [0], [call], ethers.id("top up the lease"));
    await mine(2);
    await (await governor.connect(m1).castVote(id, 1)).wait();
    await (await governor.connect(m2).castVote(id, 1)).wait();
    await mine(5);
    const before = env.standin.chain.escrowBalance(firstLease!.owner, firstLease!.dseq);
    await (await governor.execute([target], [0], [call], ethers.id("top up the lease"))).wait();
    await until(
      "the escrow top-up",
      30_000,
      async () => env.standin.chain.escrowBalance(firstLease!.owner, firstLease!.dseq) - before === 4_000_000n,
    );
    await new Promise((r) => setTimeout(r, 1000)); // more polls: still one deposit
    expect(env.standin.chain.escrowBalance(firstLease!.owner, firstLease!.dseq) - before).to.equal(4_000_000n);
    const deposits = env.standin.chain.delivered.filter(
      (d) => d.code === 0 && d.typeUrls.includes("/akash.escrow.v1.MsgAccountDeposit"),
    );
    expect(deposits).to.have.length(1);
  });

  it("key expiry (the purchase chain's clock) closes the running deployment", async () => {
    const creator = p.signers[2];
    const expiry = {
      plugin: await p.plugins.expiry.getAddress(),
      config: ethers.AbiCoder.defaultAbiCoder().encode(["uint64"], [3600]),
    };
    const receipt = await (
      await p.registry
        .connect(creator)
        .publish({ ...publishParams({ plugins: [expiry], content: "expiring" }), sdlLocator: locator })
    ).wait();
    const m2 = eventsOf(receipt, p.registry, "ModelPublished")[0].args.modelId as bigint;
    await grantKeyHolders(
      new KeyServiceClient(localEndpoints(svc.url)),
      evmHolder(creator, (await creator.getAddress()).toLowerCase()),
      locator,
      { evm: [{ chain: "hexs-evm-31337", keyNft: await p.registry.keysOf(m2) }] },
    );
    await setNativePrice(p, creator, m2, KEY_PRICE, DEPLOY_PRICE);
    const keyId = await buyNative(p, buyer, m2, KEY_PRICE + DEPLOY_PRICE, { deploymentParams: encodeDeploymentParams({ v: 1 }) });
    const done = await until("the lease to be reported", 60_000, async () => {
      const r = await job(keyId);
      return r && r.state === "reported" ? r : undefined;
    });
    expect(done.expiresAt).to.be.greaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    expect((await job(keyId))!.state).to.equal("reported"); // not before the key expires
    await ethers.provider.send("evm_increaseTime", [3601]);
    await ethers.provider.send("evm_mine", []);
    const closed = await until("the deployment to be closed on expiry", 30_000, async () => {
      const r = await job(keyId);
      return r && r.state === "expired" ? r : undefined;
    });
    expect(env.standin.chain.deployment(closed.owner, closed.dseq!)?.state).to.equal("closed");
  });

  const metric = async (name: string) =>
    Number(
      new RegExp(`^${name} (\\d+)$`, "m").exec(await (await fetch(`http://127.0.0.1:${relayers[0].port}/metrics`)).text())?.[1] ??
        0,
    );
  /** the hub's LeaseHandedOver events of a key, bodies decoded */
  const handedOver = async (keyId: bigint) =>
    (await hub.queryFilter(hub.filters.LeaseHandedOver(keyId))).map((e) => decodeBody(Kind.LeaseHandedOver, e.args.body));

  it("the running service hands a leased key's deployment to its new holder after a transfer (in place, once), reports it (LeaseHandedOver applied by the hub) and counts it in /metrics", async () => {
    const keyId = (await p.market.queryFilter(p.market.filters.Purchased()))[1].args.keyId; // the first test's purchase
    const lease = (await job(keyId))!;
    expect({ owner: lease.owner, dseq: lease.dseq }).to.deep.equal(firstLease);
    const inbound = Number((await hub.lane(AKASH_LANE)).inbound);
    const newHolder = p.signers[9];
    const keyNft = await ethers.getContractAt("KeyNFT", await p.registry.keysOf(modelId));
    await (await keyNft.connect(buyer).transferFrom(await buyer.getAddress(), await newHolder.getAddress(), keyId)).wait();
    const done = await until("the handover", 30_000, async () => {
      const [h] = await leader().leases!.handoversOf(lease.id);
      return h?.state === "done" ? h : undefined;
    });
    const word = evmHolderWord(await newHolder.getAddress());
    expect(done).to.include({ kind: "transfer", toHolder: word, toChain: String(hexsId) });
    expect(await job(keyId)).to.include({ holder: word, dseq: lease.dseq, state: "reported" });
    const d = env.standin.chain.deployment(lease.owner, lease.dseq!)!;
    expect(d.state).to.equal("active");
    expect(Buffer.from(d.hash).toString("hex")).to.equal(done.manifestHash);
    expect(env.standin.chain.versionUpdates.filter((u) => u.dseq === lease.dseq)).to.have.length(1);
    const served = [...env.standin.gateways.values()]
      .map((g) => g.manifests.get(`${lease.owner}/${lease.dseq}`))
      .find((m) => m !== undefined) as { services: { env?: string[] }[] }[];
    expect(served.flatMap((g) => g.services.flatMap((x) => x.env ?? []))).to.include(`HEXS_HOLDER=${word}`);
    await until("the handover gauge", 10_000, async () =>
      /hexs_relayer_lease_handovers\{state="done"\} 1\b/.test(
        await (await fetch(`http://127.0.0.1:${relayers[0].port}/metrics`)).text(),
      ),
    );
    // priced-in: the escrow left on the deployment is recorded with the handover and in the escrow gauge
    const escrow = BigInt(done.escrowUact!.split(".")[0]);
    expect(escrow).to.equal(env.standin.chain.escrowBalance(lease.owner, lease.dseq!));
    expect(escrow > 0n).to.equal(true);
    expect(done.escrowTo).to.equal(word);
    await until("the handover escrow gauge", 10_000, async () =>
      new RegExp(`^hexs_relayer_lease_handover_escrow_uact\\{outcome="handed_over"\\} ${escrow}$`, "m").test(
        await (await fetch(`http://127.0.0.1:${relayers[0].port}/metrics`)).text(),
      ),
    );
    // the report: numbered once on the Akash lane, checked by the co-signers, applied by the hub
    const reported = await until("the handover report", 30_000, async () => {
      const h = await leader().leases!.handover(done.id);
      return h.report ? h : undefined;
    });
    expect(reported.report).to.equal(`LeaseHandedOver ${AKASH_LANE}-${hexsId} #${inbound + 1}`);
    await until("the hub to apply LeaseHandedOver", 30_000, async () => (await handedOver(keyId)).length > 0);
    const [event] = await handedOver(keyId);
    expect(Number((await hub.lane(AKASH_LANE)).inbound)).to.equal(inbound + 1);
    expect(event).to.include({ keyId, modelId, handover: BigInt(done.id), dseq: BigInt(lease.dseq!), holderChain: hexsId });
    expect(holderWord(event.holder)).to.equal(word);
    expect(event.manifestHash).to.equal("0x" + done.manifestHash);
    expect(event.transfer).to.equal(`${done.sourceChain}:${done.sourceTx}:${done.logIndex}`);
    expect(
      await until(
        "the report counter",
        10_000,
        async () => (await metric("hexs_relayer_lease_handovers_reported_total")) || undefined,
      ),
    ).to.equal(1);
    await new Promise((r) => setTimeout(r, 500)); // more polls: still one handover, one update, one report
    expect(await leader().leases!.handoversOf(lease.id)).to.have.length(1);
    expect(env.standin.chain.versionUpdates.filter((u) => u.dseq === lease.dseq)).to.have.length(1);
    expect(await handedOver(keyId)).to.have.length(1);
    expect(Number((await hub.lane(AKASH_LANE)).inbound)).to.equal(inbound + 1);
    expect(await leader().reports!.lastHandover("sent", String(hexsId), keyId.toString())).to.equal(done.id);
    expect(await metric("hexs_relayer_lease_handovers_reported_total")).to.equal(1);
  });

  it("a second transfer before the first handover's report is numbered: the second update waits for it, that report is not sent (co-signers would refuse it as stale), only the latest handover is reported", async () => {
    const keyId = (await p.market.queryFilter(p.market.filters.Purchased()))[1].args.keyId;
    const lease = (await job(keyId))!;
    const inbound = Number((await hub.lane(AKASH_LANE)).inbound);
    const [from, alice, bob] = [p.signers[9], p.signers[8], p.signers[7]];
    const keyNft = await ethers.getContractAt("KeyNFT", await p.registry.keysOf(modelId));
    let hold = true; // the leader's reports of this lease wait (as if its report step were slow)
    handoverHooks.beforeReport = (h) => {
      if (hold && h.leaseId === lease.id) throw new Error("test: report held");
    };
    try {
      await (await keyNft.connect(from).transferFrom(await from.getAddress(), await alice.getAddress(), keyId)).wait();
      const first = await until("the handover to alice", 30_000, async () => {
        const h = (await leader().leases!.handoversOf(lease.id))[1];
        return h?.state === "done" ? h : undefined;
      });
      const updates = () => env.standin.chain.versionUpdates.filter((u) => u.dseq === lease.dseq).length;
      const updatesBefore = updates();
      await (await keyNft.connect(alice).transferFrom(await alice.getAddress(), await bob.getAddress(), keyId)).wait();
      const pending = await until("the handover to bob to be recorded", 30_000, async () => {
        const h = (await leader().leases!.handoversOf(lease.id))[2];
        return h ? h : undefined;
      });
      await new Promise((r) => setTimeout(r, 500));
      // while alice's report is not settled, bob's handover broadcasts nothing (the deployment stays alice's)
      expect(await leader().leases!.handover(pending.id)).to.include({ state: "pending", updateTx: null });
      expect(updates()).to.equal(updatesBefore);
      expect((await leader().leases!.handover(first.id)).report).to.equal(null); // nothing numbered while held
      hold = false;
      const second = await until("the handover to bob", 30_000, async () => {
        const h = await leader().leases!.handover(pending.id);
        return h.state === "done" ? h : undefined;
      });
      expect(updates()).to.equal(updatesBefore + 1);
      const reported = await until("the report of the handover to bob", 30_000, async () => {
        const h = await leader().leases!.handover(second.id);
        return h.report ? h : undefined;
      });
      expect(reported.report).to.equal(`LeaseHandedOver ${AKASH_LANE}-${hexsId} #${inbound + 1}`);
      expect((await leader().leases!.handover(first.id)).report).to.equal(
        `not sent: superseded by handover ${second.id} (the key changed hands again)`,
      );
      await until("the hub to apply it", 30_000, async () => (await handedOver(keyId)).length > 1);
      await new Promise((r) => setTimeout(r, 500));
      const events = await handedOver(keyId);
      expect(events).to.have.length(2); // the previous test's, and bob's: none for alice
      expect(events[1]).to.include({ handover: BigInt(second.id) });
      expect(holderWord(events[1].holder)).to.equal(evmHolderWord(await bob.getAddress()));
      expect(Number((await hub.lane(AKASH_LANE)).inbound)).to.equal(inbound + 1);
      expect(await metric("hexs_relayer_lease_handovers_reported_total")).to.equal(2);
    } finally {
      delete handoverHooks.beforeReport;
    }
  });
  it("the running service pays a failed handover's returned escrow to the new holder once (the leader's submitter account, native coin at the configured rate) and counts it in /metrics", async () => {
    const keyId = await buy();
    const lease = await until("the lease", 60_000, async () => {
      const j = await job(keyId);
      return j?.state === "reported" ? j : undefined;
    });
    const escrow = env.standin.chain.escrowBalance(lease.owner, lease.dseq!);
    const holder = p.signers[13];
    const to = await holder.getAddress();
    const before = await ethers.provider.getBalance(to);
    const gateways = [...env.standin.gateways.values()];
    for (const g of gateways) g.behaviour = { rejectManifestStatus: 400 };
    try {
      const keyNft = await ethers.getContractAt("KeyNFT", await p.registry.keysOf(modelId));
      await (await keyNft.connect(buyer).transferFrom(await buyer.getAddress(), to, keyId)).wait();
      const paid = await until("the payout", 60_000, async () => {
        const [h] = await leader().leases!.handoversOf(lease.id);
        return h?.payoutState === "paid" ? h : undefined;
      });
      const want = escrow * 1_000_000_000n;
      expect(paid).to.include({ state: "failed", payoutTo: to, payoutAmount: want.toString(), payoutCurrency: NATIVE });
      expect(await ethers.provider.getBalance(to)).to.equal(before + want);
      expect(
        await until(
          "the payout counter",
          10_000,
          async () => (await metric("hexs_relayer_lease_handover_payouts_total")) || undefined,
        ),
      ).to.equal(1);
      await new Promise((r) => setTimeout(r, 1000)); // more work-loop rounds: still one payout
      expect(await ethers.provider.getBalance(to)).to.equal(before + want);
      expect(await metric("hexs_relayer_lease_handover_payouts_total")).to.equal(1);
    } finally {
      for (const g of gateways) g.behaviour = {};
    }
  });
});

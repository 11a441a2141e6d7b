// The lease pipeline end to end: real contracts on the Hardhat network (purchase escrow,
// resolveDeployment, refund claim) and the Akash stand-in driven by the production client.
import path from "node:path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { Wallet, type Signer } from "ethers";
import {
  buyNative,
  deployProtocol,
  NATIVE,
  publish,
  setNativePrice,
  timelockSigner,
  type Protocol,
} from "../../devnet/hardhat/protocol";
import { LeaseStore, type LeaseRow } from "../../relayer/store";
import { LeasePipeline, type PipelineHooks } from "../../relayer/akash/pipeline";
import { PlaintextFileSdlSource } from "../../relayer/akash/sdl-source";
import { EvmLeaseReporter } from "../../relayer/akash/reporter";
import { encodeDeploymentParams, type LeasePolicyInput } from "../../relayer/akash/params";
import { EscrowTopups, infrastructureFundedEvents } from "../../relayer/akash/topups";
import type { AkashClient } from "../../sdk/akash/client";
import { fundAkash, PROVIDER_A, PROVIDER_B, providerAddress, SDL_FILE, startEnv, type Env } from "./helpers/env";

const KEY_PRICE = ethers.parseEther("0.01");
const DEPLOY_PRICE = ethers.parseEther("0.05");
const POLICY: LeasePolicyInput = {
  bidWindowMs: 300,
  pollMs: 40,
  backoffBaseMs: 40,
  backoffMaxMs: 200,
  maxAttempts: 4,
  txTimeoutMs: 3_000,
  depositUact: 5_000_000n,
};

class Crash extends Error {}

describe("akash lease pipeline (Hardhat network + stand-in)", function () {
  this.timeout(120_000);
  let env: Env;
  let p: Protocol;
  let modelId: bigint;
  let buyer: Signer;
  let relayerEvm: Signer;
  let operator: string;
  let akash: AkashClient;
  let dbSeq = 0;

  before(async () => {
    env = await startEnv();
    p = await deployProtocol();
    const [, , creator] = p.signers;
    buyer = p.signers[6];
    relayerEvm = p.signers[7];
    operator = await p.signers[8].getAddress();
    ({ modelId } = await publish(p, creator));
    await setNativePrice(p, creator, modelId, KEY_PRICE, DEPLOY_PRICE);
    const tl = await timelockSigner(p);
    await (await p.market.connect(tl).grantRole(await p.market.LEASE_REPORTER_ROLE(), await relayerEvm.getAddress())).wait();
    akash = await env.client();
    fundAkash(env, akash.address);
  });
  after(async () => env.close());

  const dbFile = () => path.join(env.tmpdir, `leases-${++dbSeq}.sqlite`);
  const pipeline = async (file: string, o: { hooks?: PipelineHooks; policy?: LeasePolicyInput; client?: AkashClient } = {}) =>
    new LeasePipeline({
      store: await LeaseStore.open(file),
      akash: o.client ?? akash,
      sdl: new PlaintextFileSdlSource(SDL_FILE),
      reporter: new EvmLeaseReporter(p.market, relayerEvm, operator),
      policy: { ...POLICY, ...o.policy },
      hooks: o.hooks,
    });
  const buy = async (params: Parameters<typeof encodeDeploymentParams>[0] = { v: 1 }) => {
    const keyId = await buyNative(p, buyer, modelId, KEY_PRICE + DEPLOY_PRICE, {
      deploymentParams: encodeDeploymentParams(params),
    });
    expect((await p.market.escrowOf(keyId)).amount).to.equal(DEPLOY_PRICE);
    return keyId;
  };
  const request = async (keyId: bigint) => ({
    purchaseChain: "31337",
    keyId,
    modelId,
    buyer: await buyer.getAddress(),
    deploymentParams: encodeDeploymentParams({ v: 1 }),
  });
  const counts = () => {
    const delivered = env.standin.chain.delivered.filter((d) => d.code === 0);
    return {
      deployments: env.standin.chain.deploymentsOf(akash.address).length,
      leases: env.standin.chain.leasesOf(akash.address).length,
      createDeploymentTxs: delivered.filter((d) => d.typeUrls.includes("/akash.deployment.v1beta4.MsgCreateDeployment")).length,
      createLeaseTxs: delivered.filter((d) => d.typeUrls.includes("/akash.market.v1beta5.MsgCreateLease")).length,
    };
  };
  const expectRefund = async (keyId: bigint) => {
    expect((await p.market.escrowOf(keyId)).amount).to.equal(0n);
    const me = await buyer.getAddress();
    expect(await p.market.creditOf(me, NATIVE)).to.equal(DEPLOY_PRICE);
    const before = await ethers.provider.getBalance(me);
    const receipt = await (await p.market.connect(buyer).claim(NATIVE, me)).wait();
    const gas = receipt!.gasUsed * receipt!.gasPrice;
    expect((await ethers.provider.getBalance(me)) - before + gas).to.equal(DEPLOY_PRICE);
  };

  it("happy path: purchase → deployment (uact) → bids → cheapest bid → lease → manifest (JWT) → confirmed → escrow to the operator", async () => {
    const keyId = await buy();
    const before = counts();
    const creditBefore = await p.market.creditOf(operator, NATIVE);
    const pl = await pipeline(dbFile());
    const row = await pl.submit(await request(keyId));
    const done = await pl.runToCompletion(row.id);
    expect(done.state, done.lastError ?? "").to.equal("reported");
    expect(done.outcome).to.equal("leased");
    expect(done.provider).to.equal(PROVIDER_B); // bids at 70 % beat 90 %
    expect(counts()).to.deep.equal({
      deployments: before.deployments + 1,
      leases: before.leases + 1,
      createDeploymentTxs: before.createDeploymentTxs + 1,
      createLeaseTxs: before.createLeaseTxs + 1,
    });
    expect(env.standin.gateways.get(PROVIDER_B)!.manifests.has(`${akash.address}/${done.dseq}`)).to.equal(true);
    expect((await p.market.creditOf(operator, NATIVE)) - creditBefore).to.equal(DEPLOY_PRICE);
    expect((await p.market.escrowOf(keyId)).amount).to.equal(0n);
    // submitting the same purchase again is a no-op
    expect((await pl.submit(await request(keyId))).id).to.equal(row.id);
  });

  const crashPoints: { name: string; hooks: (crash: () => never) => PipelineHooks }[] = [
    ...(["dseq_reserved", "deployment_created", "bid_chosen", "lease_created", "manifest_sent", "leased"] as const).map((s) => ({
      name: `after persisting ${s}`,
      hooks: (crash: () => never): PipelineHooks => ({ afterPersist: (state) => (state === s ? crash() : undefined) }),
    })),
    {
      name: "after broadcasting MsgCreateDeployment, before persisting it",
      hooks: (crash) => ({ afterBroadcast: (k) => (k === "create-deployment" ? crash() : undefined) }),
    },
    {
      name: "after broadcasting MsgCreateLease, before persisting it",
      hooks: (crash) => ({ afterBroadcast: (k) => (k === "create-lease" ? crash() : undefined) }),
    },
    {
      name: "after the provider accepted the manifest, before persisting it",
      hooks: (crash) => ({ afterManifest: () => crash() }),
    },
  ];

  for (const cp of crashPoints) {
    it(`crash ${cp.name}: a fresh pipeline on the same SQLite file finishes with one deployment and one lease`, async () => {
      const keyId = await buy();
      const before = counts();
      const file = dbFile();
      const first = await pipeline(file, {
        hooks: cp.hooks(() => {
          throw new Crash(cp.name);
        }),
      });
      const row = await first.submit(await request(keyId));
      await expect(first.runToCompletion(row.id)).to.be.rejectedWith(Crash);
      // "restart": new connection, new pipeline, same file
      const second = await pipeline(file);
      const done = await second.runToCompletion(row.id);
      expect(done.state, done.lastError ?? "").to.equal("reported");
      expect(counts()).to.deep.equal({
        deployments: before.deployments + 1,
        leases: before.leases + 1,
        createDeploymentTxs: before.createDeploymentTxs + 1,
        createLeaseTxs: before.createLeaseTxs + 1,
      });
      expect(env.standin.chain.deployment(akash.address, done.dseq!)?.state).to.equal("active");
      expect((await p.market.escrowOf(keyId)).amount).to.equal(0n);
    });
  }

  it("a broadcast that times out (no block in time) is looked up on chain, not sent again", async () => {
    const keyId = await buy();
    const before = counts();
    const slow = await (
      await import("../../sdk/akash/client")
    ).AkashClient.fromMnemonic((await import("./helpers/env")).RELAYER_MNEMONIC, {
      ...akash.endpoints,
      txTimeoutMs: 300,
    });
    const pl = await pipeline(dbFile(), { client: slow, policy: { txTimeoutMs: 5_000 } });
    const row = await pl.submit(await request(keyId));
    env.standin.pauseBlocks(true);
    let stepped = await pl.step(row.id); // reserve dseq
    stepped = await pl.step(row.id); // broadcast; no block comes: transient timeout
    expect(stepped.state).to.equal("dseq_reserved");
    expect(stepped.deploymentTx).to.match(/^[0-9A-F]{64}$/);
    expect(stepped.lastError).to.match(/not seen in a block in time/);
    expect(env.standin.chain.pendingTxs).to.equal(1);
    await new Promise((r) => setTimeout(r, stepped.nextAttemptAt - Date.now() + 5));
    stepped = await pl.step(row.id); // recorded tx unknown and recent: wait, do not re-send
    expect(stepped.state).to.equal("dseq_reserved");
    expect(env.standin.chain.pendingTxs).to.equal(1);
    env.standin.pauseBlocks(false);
    const done = await pl.runToCompletion(row.id);
    expect(done.state, done.lastError ?? "").to.equal("reported");
    expect(counts()).to.deep.equal({
      deployments: before.deployments + 1,
      leases: before.leases + 1,
      createDeploymentTxs: before.createDeploymentTxs + 1,
      createLeaseTxs: before.createLeaseTxs + 1,
    });
    await slow.close();
  });

  it("failure: no acceptable bid before the deadline → deployment closed, failure reported, buyer claims the refund", async () => {
    const keyId = await buy();
    const pl = await pipeline(dbFile());
    const row = await pl.submit({
      ...(await request(keyId)),
      deploymentParams: { v: 1, providers: [providerAddress("nobody-bids")] },
    });
    const uactBefore = env.standin.chain.balance(akash.address, "uact");
    const done = await pl.runToCompletion(row.id);
    expect(done.state).to.equal("failed");
    expect(done.failureReason).to.match(/no acceptable bid .* before the deadline \(2 bid\(s\) seen: .*not on the allowlist/);
    expect(env.standin.chain.deployment(akash.address, done.dseq!)?.state).to.equal("closed");
    expect(env.standin.chain.balance(akash.address, "uact")).to.equal(uactBefore); // deposit back after close
    await expectRefund(keyId);
  });

  it("failure: every bid above the price cap (the lower of the operator's and the buyer's) → no lease, deployment closed, refund", async () => {
    const keyId = await buy();
    // The operator's cap admits the bids; the buyer's, one atomic uact per block, admits none.
    const pl = await pipeline(dbFile());
    const row = await pl.submit({
      ...(await request(keyId)),
      deploymentParams: { v: 1, maxPricePerBlockUact: "0.000000000000000001" },
    });
    const done = await pl.runToCompletion(row.id);
    expect(done.state).to.equal("failed");
    expect(done.failureReason).to.match(/no acceptable bid .*above the cap/);
    expect(env.standin.chain.leasesOf(akash.address, done.dseq!)).to.deep.equal([]);
    expect(env.standin.chain.deployment(akash.address, done.dseq!)?.state).to.equal("closed");
    await expectRefund(keyId);
  });

  it("failure: the provider rejects the manifest → lease and deployment closed, refund", async () => {
    const keyId = await buy();
    const gw = env.standin.gateways.get(PROVIDER_B)!;
    gw.behaviour = { rejectManifestStatus: 400 };
    try {
      const pl = await pipeline(dbFile());
      const row = await pl.submit(await request(keyId));
      const done = await pl.runToCompletion(row.id);
      expect(done.state).to.equal("failed");
      expect(done.failureReason).to.match(/rejected the manifest: HTTP 400/);
      expect(env.standin.chain.deployment(akash.address, done.dseq!)?.state).to.equal("closed");
      expect(env.standin.chain.leasesOf(akash.address, done.dseq!).map((l) => l.state)).to.deep.equal(["closed"]);
    } finally {
      gw.behaviour = {};
    }
    await expectRefund(keyId);
  });

  it("failure: the chain rejects the deployment tx (deposit above the balance) → nothing to close, refund", async () => {
    const keyId = await buy();
    const before = counts();
    const pl = await pipeline(dbFile(), { policy: { depositUact: 10n ** 15n } });
    const row = await pl.submit(await request(keyId));
    const done = await pl.runToCompletion(row.id);
    expect(done.state).to.equal("failed");
    expect(done.failureReason).to.match(/MsgCreateDeployment.*rejected by the Akash chain.*insufficient funds/);
    expect(counts().deployments).to.equal(before.deployments);
    await expectRefund(keyId);
  });

  it("DAO infrastructure spend → MsgAccountDeposit into the deployment's escrow, once per event", async () => {
    const keyId = await buy();
    const file = dbFile(); // top-ups go only to this leader's own lease jobs
    const pl = await pipeline(file);
    const row = await pl.submit(await request(keyId));
    const done = await pl.runToCompletion(row.id);
    expect(done.state).to.equal("reported");
    const governor = (await ethers.getContractFactory("ModelGovernor")).interface;
    // the log ModelGovernor.fundInfrastructure emits (the DAO vote itself is covered by the DAO tests)
    const log = governor.encodeEventLog("InfrastructureFunded", [
      modelId,
      NATIVE,
      await relayerEvm.getAddress(),
      ethers.parseEther("0.002"),
      `akash-escrow:${akash.address}/${done.dseq}`,
    ]);
    const governorAddress = Wallet.createRandom().address; // the model's governor, as the DAO factory records it
    const receipt = { hash: ethers.id("dao-exec-tx"), logs: [{ ...log, address: governorAddress, index: 3 }] };
    const evidence = { governor: governorAddress, logs: receipt.logs };
    const events = infrastructureFundedEvents("31337", receipt, governor);
    expect(events).to.have.length(1);
    const store = await LeaseStore.open(file);
    // 1 ETH buys 2,000,000,000 uact in this test's rate table (2000 ACT)
    const topups = new EscrowTopups(store, akash, await relayerEvm.getAddress(), {
      [NATIVE]: { uactNumerator: 2_000_000_000n, unitDenominator: 10n ** 18n },
    });
    const escrowBefore = env.standin.chain.escrowBalance(akash.address, done.dseq!);
    await topups.accept(events[0], evidence);
    await topups.accept(events[0], evidence); // the same event seen twice
    const res = await topups.runDue();
    expect(res.map((t) => t.state)).to.deep.equal(["deposited"]);
    expect(env.standin.chain.escrowBalance(akash.address, done.dseq!) - escrowBefore).to.equal(4_000_000n);
    expect(await topups.runDue()).to.deep.equal([]);
    // a spend for someone else's receiver or with another purpose is not ours
    expect(await topups.accept({ ...events[0], logIndex: 9, to: operator }, evidence)).to.equal(undefined);
    expect(await topups.accept({ ...events[0], logIndex: 10, purpose: "gpu-credits" }, evidence)).to.equal(undefined);
  });

  it("key expiry (KeyNFT.expiresAt) closes the deployment of a running lease", async () => {
    const [, , creator] = p.signers;
    const { modelId: m2, keys } = await publish(p, creator, {
      content: "expiring",
      plugins: [
        { plugin: await p.plugins.expiry.getAddress(), config: ethers.AbiCoder.defaultAbiCoder().encode(["uint64"], [3600]) },
      ],
    });
    await setNativePrice(p, creator, m2, KEY_PRICE, DEPLOY_PRICE);
    const keyId = await buyNative(p, buyer, m2, KEY_PRICE + DEPLOY_PRICE, { deploymentParams: encodeDeploymentParams({ v: 1 }) });
    const expiresAt = Number(await keys.expiresAt(keyId));
    expect(expiresAt).to.be.greaterThan(0);
    const pl = await pipeline(dbFile());
    const row = await pl.submit({ ...(await request(keyId)), modelId: m2, expiresAt });
    const done: LeaseRow = await pl.runToCompletion(row.id);
    expect(done.state).to.equal("reported");
    expect(await pl.closeExpired(expiresAt - 1)).to.deep.equal([]);
    await ethers.provider.send("evm_increaseTime", [3601]);
    await ethers.provider.send("evm_mine", []);
    const now = (await ethers.provider.getBlock("latest"))!.timestamp;
    const closed = await pl.closeExpired(now);
    expect(closed.map((r) => r.state)).to.deep.equal(["expired"]);
    expect(env.standin.chain.deployment(akash.address, done.dseq!)?.state).to.equal("closed");
    expect(PROVIDER_A).to.not.equal(PROVIDER_B);
  });
});

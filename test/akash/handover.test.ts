// Lease handover (issue 14): a leased key changes hands on the Hardhat network, the purchase
// feed reads the hub's KeyTransferred / KeyMoved facts over JSON-RPC, and the running deployment
// on the Akash stand-in is handed to the new holder in place (MsgUpdateDeployment + manifest PUT).
// Real contracts, the real stand-in driven by the production client, SQLite lease stores.
import path from "node:path";
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import { TASK_NODE_CREATE_SERVER } from "hardhat/builtin-tasks/task-names";
import { JsonRpcProvider, Wallet, ZeroAddress, type Signer } from "ethers";
import {
  deployProtocol,
  publish,
  setNativePrice,
  throughTimelock,
  timelockSigner,
  buyNative,
  type Protocol,
} from "../../devnet/hardhat/protocol";
import { AccountFamily } from "../../codec";
import { evmChainSchema } from "../../relayer/config";
import {
  openLeaseDb,
  LeaseReportStore,
  LeaseStore,
  LEASE_MIGRATIONS,
  type HandoverRow,
  type LeaseRow,
} from "../../relayer/store";
import { openDriver } from "../../relayer/store/sql";
import { LeasePipeline } from "../../relayer/akash/pipeline";
import { LeaseHandovers, type HandoverHooks } from "../../relayer/akash/handover";
import { EscrowPayouts, unitsForUact, type PayoutChain, type PayoutHooks } from "../../relayer/akash/payouts";
import { EvmPurchaseChain, type FeedSink } from "../../relayer/akash/feeds";
import { evmHolderWord, HOLDER_ENV, prepareForHolder } from "../../relayer/akash/holder";
import { PlaintextFileSdlSource } from "../../relayer/akash/sdl-source";
import { EvmLeaseReporter } from "../../relayer/akash/reporter";
import { encodeDeploymentParams, type LeasePolicyInput } from "../../relayer/akash/params";
import { ProviderRejectedError } from "../../sdk/akash/errors";
import type { AkashClient } from "../../sdk/akash/client";
import type { HexsHub, KeyNFT, TestToken } from "../../sdk/typechain";
import { fundAkash, PROVIDER_B, SDL_FILE, startEnv, type Env } from "./helpers/env";
import fs from "node:fs";

// this suite's loopback ports: JSON-RPC 18300-18339, the Akash stand-in from 18340
const RPC_PORTS = [18300, 18339] as const;
const STANDIN_FIRST_PORT = 18340;
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
const UPDATE = "/akash.deployment.v1beta4.MsgUpdateDeployment";
const CLOSE = "/akash.deployment.v1beta4.MsgCloseDeployment";
/** whole uact of the LegacyDec a handover records */
const uact = (dec: string | null) => BigInt((dec ?? "x").split(".")[0]);
const MOVE_PEER = 77;
/** the operator's payout rate in this suite: 1 uact buys 10^9 wei */
const PAYOUT_RATE = { uactNumerator: 1n, unitDenominator: 1_000_000_000n };

class Crash extends Error {}

async function serveChain(): Promise<{ url: string; close(): Promise<void> }> {
  for (let port = RPC_PORTS[0]; port <= RPC_PORTS[1]; port++) {
    const server = (await hre.run(TASK_NODE_CREATE_SERVER, { hostname: "127.0.0.1", port, provider: hre.network.provider })) as {
      listen(): Promise<{ port: number }>;
      close(): Promise<void>;
    };
    try {
      const r = await server.listen();
      return { url: `http://127.0.0.1:${r.port}`, close: () => server.close() };
    } catch (e) {
      if (!/EADDRINUSE/.test(String((e as Error).message ?? e))) throw e;
    }
  }
  throw new Error(`no free port in ${RPC_PORTS.join("-")} for the JSON-RPC server`);
}

describe("lease handover: a leased key changes hands → the running deployment is handed over in place (issue 14)", function () {
  this.timeout(180_000);
  let env: Env;
  let rpc: { url: string; close(): Promise<void> };
  let p: Protocol;
  let hub: HexsHub;
  let keys: KeyNFT;
  let chainId: number;
  let modelId: bigint;
  let buyer: Signer;
  let alice: Signer;
  let bob: Signer;
  let relayerEvm: Signer;
  let operator: string;
  let akash: AkashClient;
  let dbSeq = 0;
  /** the operator's EVM account that pays escrow payouts (a key of its own, funded from a test signer) */
  let payer: Wallet;
  let payerRpc: JsonRpcProvider;
  const sdlText = fs.readFileSync(SDL_FILE, "utf8");

  before(async () => {
    env = await startEnv({ firstPort: STANDIN_FIRST_PORT });
    p = await deployProtocol();
    rpc = await serveChain();
    hub = (await ethers.getContractAt("HexsHub", (await deployments.get("HexsHub")).address)) as unknown as HexsHub;
    chainId = Number(await p.registry.chainId());
    const creator = p.signers[2];
    buyer = p.signers[6];
    relayerEvm = p.signers[7];
    operator = await p.signers[8].getAddress();
    alice = p.signers[9];
    bob = p.signers[10];
    ({ modelId } = await publish(p, creator));
    await setNativePrice(p, creator, modelId, KEY_PRICE, DEPLOY_PRICE);
    keys = (await ethers.getContractAt("KeyNFT", await p.registry.keysOf(modelId))) as unknown as KeyNFT;
    const tl = await timelockSigner(p);
    await (await p.market.connect(tl).grantRole(await p.market.LEASE_REPORTER_ROLE(), await relayerEvm.getAddress())).wait();
    // a peer chain keys may move to (EVM family), so that moves are recorded on this hub
    await (
      await throughTimelock(
        p,
        await hub.getAddress(),
        hub.interface.encodeFunctionData("setPeer", [MOVE_PEER, await p.signers[11].getAddress(), 64, AccountFamily.Evm]),
        ethers.id("handover-move-peer"),
      )
    ).wait();
    akash = await env.client();
    fundAkash(env, akash.address);
    payerRpc = new JsonRpcProvider(rpc.url, undefined, { staticNetwork: true, polling: true, pollingInterval: 50 });
    payer = new Wallet(Wallet.createRandom().privateKey, payerRpc);
    await (await p.signers[12].sendTransaction({ to: payer.address, value: ethers.parseEther("10") })).wait();
  });
  after(async () => {
    payerRpc?.destroy();
    await rpc?.close();
    await env?.close();
  });

  /** One operator's lease service, wired as AkashService wires it: feed → pipeline / handovers. */
  async function operatorStack(
    o: {
      file?: string;
      hooks?: HandoverHooks;
      maxAttempts?: number;
      payoutHooks?: PayoutHooks;
      payoutCurrency?: string;
      payoutRate?: { uactNumerator: bigint; unitDenominator: bigint };
    } = {},
  ) {
    const file = o.file ?? path.join(env.tmpdir, `handover-${++dbSeq}.sqlite`);
    const db = await openLeaseDb(file);
    const store = new LeaseStore(db);
    const reports = new LeaseReportStore(db);
    const sdl = new PlaintextFileSdlSource(SDL_FILE);
    const pipeline = new LeasePipeline({
      store,
      akash,
      sdl,
      reporter: new EvmLeaseReporter(p.market, relayerEvm, operator),
      policy: POLICY,
    });
    const handovers = new LeaseHandovers({
      store,
      akash,
      sdl,
      backoffBaseMs: 40,
      backoffMaxMs: 200,
      txTimeoutMs: 3_000,
      pollMs: 40,
      maxAttempts: o.maxAttempts ?? POLICY.maxAttempts,
      hooks: o.hooks,
    });
    const payoutChain: PayoutChain = {
      hexsChainId: String(chainId),
      provider: payerRpc,
      wallet: payer,
      currency: o.payoutCurrency ?? ZeroAddress,
      rate: o.payoutRate ?? PAYOUT_RATE,
    };
    const payouts = new EscrowPayouts({
      store,
      chains: new Map([[String(chainId), payoutChain]]),
      backoffBaseMs: 40,
      backoffMaxMs: 200,
      pollMs: 40,
      hooks: o.payoutHooks,
    });
    const from = (await ethers.provider.getBlockNumber()) + 1; // this stack's own facts only
    const feed = new EvmPurchaseChain(
      evmChainSchema.parse({
        type: "evm",
        name: "hardhat",
        hexsChainId: chainId,
        rpc: rpc.url,
        hub: await hub.getAddress(),
        confirmations: 0,
      }),
      await p.market.getAddress(),
      reports,
      from,
      false,
    );
    await feed.init();
    const accepted: (HandoverRow | undefined)[] = [];
    const sink: FeedSink = {
      purchase: async (req) => void (await pipeline.submit(req)),
      transfer: async (f) => void accepted.push(await handovers.accept(f)),
    };
    return {
      file,
      store,
      pipeline,
      handovers,
      payouts,
      accepted,
      /** read the chain up to its head (purchases, then transfers) */
      async poll() {
        while (await feed.poll(sink));
      },
      async close() {
        await feed.close();
        await db.close();
      },
    };
  }
  type Stack = Awaited<ReturnType<typeof operatorStack>>;

  /** Buy a key with a deployment, lease it through the feed and the pipeline (reported). */
  async function leasedKey(s: Stack): Promise<{ keyId: bigint; lease: LeaseRow }> {
    const keyId = await buyNative(p, buyer, modelId, KEY_PRICE + DEPLOY_PRICE, {
      deploymentParams: encodeDeploymentParams({ v: 1 }),
    });
    await s.poll();
    const job = await s.store.byKey(keyId.toString());
    expect(job, "the feed records a lease job for the purchase").to.not.equal(undefined);
    const lease = await s.pipeline.runToCompletion(job!.id);
    expect(lease.state, lease.lastError ?? "").to.equal("reported");
    expect(lease.holder).to.equal(evmHolderWord(await buyer.getAddress()));
    return { keyId, lease };
  }
  const manifestFor = (holder: string, chain = chainId) =>
    prepareForHolder(sdlText, "mainnet", { word: evmHolderWord(holder), chain: String(chain) });
  const updatesOf = (dseq: string) =>
    env.standin.chain.versionUpdates.filter((u) => u.owner === akash.address && u.dseq === dseq);
  const updateTxs = () => env.standin.chain.delivered.filter((d) => d.code === 0 && d.typeUrls.includes(UPDATE)).length;
  const closeTxs = () => env.standin.chain.delivered.filter((d) => d.code === 0 && d.typeUrls.includes(CLOSE)).length;
  const served = (dseq: string) => env.standin.gateways.get(PROVIDER_B)!.manifests.get(`${akash.address}/${dseq}`);
  const holderEnvOf = (manifest: unknown): string[] =>
    (manifest as { services: { env?: string[] }[] }[])
      .flatMap((g) => g.services.flatMap((x) => x.env ?? []))
      .filter((e) => e.startsWith(`${HOLDER_ENV}=`));

  it("transfer → deployment updated in place (same dseq, lease, escrow; new version = the new holder's manifest), provider serves it, the old holder's manifest is refused", async () => {
    const s = await operatorStack();
    try {
      const { keyId, lease } = await leasedKey(s);
      const dseq = lease.dseq!;
      const before = env.standin.chain.deployment(akash.address, dseq)!;
      const escrowBefore = before.escrow.balance;
      const leasesBefore = env.standin.chain.leasesOf(akash.address, dseq).length;
      const deploymentsBefore = env.standin.chain.deploymentsOf(akash.address).length;
      expect(Buffer.from(before.hash).toString("hex")).to.equal(manifestFor(await buyer.getAddress()).manifestHashHex);

      await (await keys.connect(buyer).transferFrom(await buyer.getAddress(), await alice.getAddress(), keyId)).wait();
      await s.poll();
      expect(s.accepted).to.have.length(1);
      const h = s.accepted[0]!;
      expect(h).to.include({
        kind: "transfer",
        toHolder: evmHolderWord(await alice.getAddress()),
        toChain: String(chainId),
        state: "pending",
      });

      const [done] = await s.handovers.runLease(lease.id);
      expect(done.state, done.lastError ?? "").to.equal("done");
      const want = manifestFor(await alice.getAddress());
      // in place: the same deployment, lease and escrow; only the version changed, by one update tx
      const after = env.standin.chain.deployment(akash.address, dseq)!;
      expect(after.state).to.equal("active");
      expect(Buffer.from(after.hash).toString("hex")).to.equal(want.manifestHashHex);
      expect(after.escrow.balance).to.equal(escrowBefore);
      expect(env.standin.chain.leasesOf(akash.address, dseq).filter((l) => l.state === "active")).to.have.length(leasesBefore);
      expect(env.standin.chain.deploymentsOf(akash.address)).to.have.length(deploymentsBefore);
      expect(updatesOf(dseq)).to.have.length(1);
      // the provider runs the new holder's manifest
      expect(holderEnvOf(served(dseq))).to.deep.equal([`${HOLDER_ENV}=${evmHolderWord(await alice.getAddress())}`]);
      expect(served(dseq)).to.deep.equal(JSON.parse(want.manifestJson));
      // the lease job names the new holder; the transition is in the lease's log
      const row = await s.store.get(lease.id);
      expect(row).to.include({
        holder: evmHolderWord(await alice.getAddress()),
        holderChain: String(chainId),
        manifestHash: want.manifestHashHex,
      });
      expect((await s.store.events(lease.id)).map((e) => e.toState)).to.include("handover");
      // priced-in: the escrow left on the deployment is recorded as handed over to the new holder
      expect(uact(done.escrowUact)).to.equal(escrowBefore);
      expect(done.escrowTo).to.equal(evmHolderWord(await alice.getAddress()));
      expect((await s.store.events(lease.id)).at(-1)!.detail).to.include(`escrow ${done.escrowUact}uact handed over`);
      // the old holder's manifest is refused by the provider (version mismatch); what it serves is unchanged
      const old = manifestFor(await buyer.getAddress());
      let refused: unknown;
      await akash.sendManifest(PROVIDER_B, dseq, old.manifestJson).catch((e) => (refused = e));
      expect(refused).to.be.instanceOf(ProviderRejectedError);
      expect((refused as ProviderRejectedError).status).to.equal(422);
      expect(served(dseq)).to.deep.equal(JSON.parse(want.manifestJson));
      // reading the same range again records nothing new (once per event)
      await s.poll();
      expect((await s.store.handoversOf(lease.id)).map((x) => x.id)).to.deep.equal([h.id]);
    } finally {
      await s.close();
    }
  });

  const crashes = {
    afterUpdateBroadcast:
      "a crash between the update tx and persisting it (before the manifest PUT) resumes without a second update tx",
    afterManifest: "a crash after the manifest PUT, before persisting done resumes without a second update tx",
  } as const;
  for (const point of ["afterUpdateBroadcast", "afterManifest"] as const) {
    it(crashes[point], async () => {
      const crashed = await operatorStack({
        hooks: {
          [point]: () => {
            throw new Crash(point);
          },
        },
      });
      const { keyId, lease } = await leasedKey(crashed);
      const dseq = lease.dseq!;
      const txsBefore = updateTxs();
      await (await keys.connect(buyer).transferFrom(await buyer.getAddress(), await alice.getAddress(), keyId)).wait();
      await crashed.poll();
      let crash: unknown;
      await crashed.handovers.runLease(lease.id).catch((e) => (crash = e));
      expect(crash).to.be.instanceOf(Crash);
      const mid = (await crashed.store.handoversOf(lease.id))[0];
      expect(mid.state).to.equal(point === "afterUpdateBroadcast" ? "pending" : "updated");
      expect(mid.updateTx).to.match(/^[0-9A-F]{64}$/i);
      expect(updateTxs()).to.equal(txsBefore + 1);
      await crashed.close();

      // the process restarts on the same database
      const resumed = await operatorStack({ file: crashed.file });
      try {
        const [done] = await resumed.handovers.runLease(lease.id);
        expect(done.state, done.lastError ?? "").to.equal("done");
        expect(done.updateTx).to.equal(mid.updateTx);
        expect(updateTxs()).to.equal(txsBefore + 1);
        expect(updatesOf(dseq)).to.have.length(1);
        expect(served(dseq)).to.deep.equal(JSON.parse(manifestFor(await alice.getAddress()).manifestJson));
        expect((await resumed.store.get(lease.id)).holder).to.equal(evmHolderWord(await alice.getAddress()));
      } finally {
        await resumed.close();
      }
    });
  }

  it("a HexsResale fill (listing bought, escrow priced in) hands the deployment to the buyer; the escrow stays with it", async () => {
    const s = await operatorStack();
    try {
      const { keyId, lease } = await leasedKey(s);
      const dseq = lease.dseq!;
      const escrowBefore = env.standin.chain.escrowBalance(akash.address, dseq);
      const price = ethers.parseEther("0.2");
      await (await keys.connect(buyer).approve(await p.resale.getAddress(), keyId)).wait();
      await (
        await p.resale.connect(buyer).list(modelId, keyId, ethers.ZeroAddress, price, await p.resale.LEASE_ESCROW_PRICED_IN())
      ).wait();
      await (await p.resale.connect(bob).buy(keyId, ethers.ZeroAddress, price, { value: price })).wait();
      expect(await keys.ownerOf(keyId)).to.equal(await bob.getAddress());
      await s.poll();
      expect(s.accepted.map((h) => h?.toHolder)).to.deep.equal([evmHolderWord(await bob.getAddress())]);
      const [done] = await s.handovers.runLease(lease.id);
      expect(done.state, done.lastError ?? "").to.equal("done");
      expect(holderEnvOf(served(dseq))).to.deep.equal([`${HOLDER_ENV}=${evmHolderWord(await bob.getAddress())}`]);
      expect(env.standin.chain.escrowBalance(akash.address, dseq)).to.equal(escrowBefore);
      expect(updatesOf(dseq)).to.have.length(1);
      expect(uact(done.escrowUact)).to.equal(escrowBefore);
      expect(done.escrowTo).to.equal(evmHolderWord(await bob.getAddress()));
    } finally {
      await s.close();
    }
  });

  it("a fill listed with leaseEscrow = 1 (to-seller) hands over as priced-in: the escrow stays with the deployment for the buyer and nothing is paid to the seller", async () => {
    const s = await operatorStack();
    try {
      const { keyId, lease } = await leasedKey(s);
      const dseq = lease.dseq!;
      const escrowBefore = env.standin.chain.escrowBalance(akash.address, dseq);
      const price = ethers.parseEther("0.2");
      await (await keys.connect(buyer).approve(await p.resale.getAddress(), keyId)).wait();
      await (
        await p.resale.connect(buyer).list(modelId, keyId, ethers.ZeroAddress, price, await p.resale.LEASE_ESCROW_TO_SELLER())
      ).wait();
      await (await p.resale.connect(bob).buy(keyId, ethers.ZeroAddress, price, { value: price })).wait();
      await s.poll();
      const nonce = await payerRpc.getTransactionCount(payer.address, "latest");
      const [done] = await s.handovers.runLease(lease.id);
      expect(done.state, done.lastError ?? "").to.equal("done");
      expect(holderEnvOf(served(dseq))).to.deep.equal([`${HOLDER_ENV}=${evmHolderWord(await bob.getAddress())}`]);
      expect(env.standin.chain.escrowBalance(akash.address, dseq)).to.equal(escrowBefore);
      expect(done.escrowTo).to.equal(evmHolderWord(await bob.getAddress()));
      // only failed handovers owe a payout: none is due, no transaction from the operator's account
      expect(await s.payouts.runDue()).to.equal(0);
      expect((await s.store.handover(done.id)).payoutState).to.equal(null);
      expect(await payerRpc.getTransactionCount(payer.address, "latest")).to.equal(nonce);
    } finally {
      await s.close();
    }
  });

  it("two transfers in a row end with the last holder: the first (nothing broadcast yet) is superseded, one update tx", async () => {
    const s = await operatorStack();
    try {
      const { keyId, lease } = await leasedKey(s);
      const dseq = lease.dseq!;
      await (await keys.connect(buyer).transferFrom(await buyer.getAddress(), await alice.getAddress(), keyId)).wait();
      await (await keys.connect(alice).transferFrom(await alice.getAddress(), await bob.getAddress(), keyId)).wait();
      await s.poll();
      expect(s.accepted.map((h) => h?.toHolder)).to.deep.equal([
        evmHolderWord(await alice.getAddress()),
        evmHolderWord(await bob.getAddress()),
      ]);
      const rows = await s.handovers.runLease(lease.id);
      expect(rows.map((r) => r.state)).to.deep.equal(["superseded", "done"]);
      expect(updatesOf(dseq)).to.have.length(1);
      expect(Buffer.from(env.standin.chain.deployment(akash.address, dseq)!.hash).toString("hex")).to.equal(
        manifestFor(await bob.getAddress()).manifestHashHex,
      );
      expect(holderEnvOf(served(dseq))).to.deep.equal([`${HOLDER_ENV}=${evmHolderWord(await bob.getAddress())}`]);
      expect((await s.store.get(lease.id)).holder).to.equal(evmHolderWord(await bob.getAddress()));

      // and once more after that handover finished: a second in-place update, to the next holder
      await (await keys.connect(bob).transferFrom(await bob.getAddress(), await alice.getAddress(), keyId)).wait();
      await s.poll();
      const again = await s.handovers.runLease(lease.id);
      expect(again.map((r) => r.state)).to.deep.equal(["superseded", "done", "done"]);
      expect(updatesOf(dseq)).to.have.length(2);
      expect((await s.store.get(lease.id)).holder).to.equal(evmHolderWord(await alice.getAddress()));
      expect(env.standin.chain.deployment(akash.address, dseq)!.state).to.equal("active");
    } finally {
      await s.close();
    }
  });

  it("a move to another chain hands the deployment to the holder there (HEXS_HOLDER_CHAIN = the destination)", async () => {
    const s = await operatorStack();
    try {
      const { keyId, lease } = await leasedKey(s);
      const dseq = lease.dseq!;
      const to = await alice.getAddress();
      await (
        await keys.connect(buyer).moveTo(keyId, MOVE_PEER, { family: AccountFamily.Evm, addr: ethers.zeroPadValue(to, 32) })
      ).wait();
      await s.poll();
      expect(s.accepted).to.have.length(1);
      expect(s.accepted[0]).to.include({ kind: "move", toHolder: evmHolderWord(to), toChain: String(MOVE_PEER) });
      const [done] = await s.handovers.runLease(lease.id);
      expect(done.state, done.lastError ?? "").to.equal("done");
      expect(Buffer.from(env.standin.chain.deployment(akash.address, dseq)!.hash).toString("hex")).to.equal(
        manifestFor(to, MOVE_PEER).manifestHashHex,
      );
      expect(await s.store.get(lease.id)).to.include({ holder: evmHolderWord(to), holderChain: String(MOVE_PEER) });
    } finally {
      await s.close();
    }
  });

  it("a key bought and transferred in the same feed range: the handover is recorded, waits until the lease is reported, then hands over", async () => {
    const s = await operatorStack();
    try {
      const keyId = await buyNative(p, buyer, modelId, KEY_PRICE + DEPLOY_PRICE, {
        deploymentParams: encodeDeploymentParams({ v: 1 }),
      });
      await (await keys.connect(buyer).transferFrom(await buyer.getAddress(), await alice.getAddress(), keyId)).wait();
      await s.poll(); // one range: the purchase first, then the transfer finds its job
      const job = (await s.store.byKey(keyId.toString()))!;
      expect(job.state).to.equal("requested");
      expect(s.accepted).to.have.length(1);
      expect(s.accepted[0]).to.include({ leaseId: job.id, state: "pending" });
      // nothing happens while the lease is being opened for the purchase's holder
      expect(await s.handovers.stepLease(job.id)).to.equal(undefined);
      expect((await s.store.handoversOf(job.id))[0]).to.include({ state: "pending", updateTx: null, attempts: 0 });
      const lease = await s.pipeline.runToCompletion(job.id);
      expect(lease.state, lease.lastError ?? "").to.equal("reported");
      expect(lease.holder).to.equal(evmHolderWord(await buyer.getAddress()));
      await s.store.updateHandover(s.accepted[0]!.id, { nextAttemptAt: Date.now() }); // skip the wait
      const [done] = await s.handovers.runLease(job.id);
      expect(done.state, done.lastError ?? "").to.equal("done");
      expect(updatesOf(lease.dseq!)).to.have.length(1);
      expect(holderEnvOf(served(lease.dseq!))).to.deep.equal([`${HOLDER_ENV}=${evmHolderWord(await alice.getAddress())}`]);
    } finally {
      await s.close();
    }
  });

  it("a key without a lease job changes hands → nothing recorded, no update tx", async () => {
    const s = await operatorStack();
    try {
      const txsBefore = updateTxs();
      const keyId = await buyNative(p, buyer, modelId, KEY_PRICE); // a key only
      await (await keys.connect(buyer).transferFrom(await buyer.getAddress(), await alice.getAddress(), keyId)).wait();
      await s.poll();
      expect(s.accepted).to.deep.equal([undefined]);
      expect(await s.store.byKey(keyId.toString())).to.equal(undefined);
      expect(await s.store.handoverCounts()).to.deep.equal({
        pending: 0,
        updated: 0,
        done: 0,
        superseded: 0,
        skipped: 0,
        closing: 0,
        failed: 0,
        retrying: 0,
      });
      expect(await s.handovers.runDue()).to.equal(0);
      expect(updateTxs()).to.equal(txsBefore);
    } finally {
      await s.close();
    }
  });

  it("a failed handover step records the reason and is retried until it succeeds (the old holder keeps the service meanwhile)", async () => {
    const s = await operatorStack();
    const gateway = env.standin.gateways.get(PROVIDER_B)!;
    try {
      const { keyId, lease } = await leasedKey(s);
      const dseq = lease.dseq!;
      await (await keys.connect(buyer).transferFrom(await buyer.getAddress(), await alice.getAddress(), keyId)).wait();
      await s.poll();
      gateway.behaviour = { rejectManifestStatus: 503 };
      let h = (await s.handovers.stepLease(lease.id))!; // pending → updated (the update tx)
      expect(h.state).to.equal("updated");
      h = (await s.handovers.stepLease(lease.id))!; // the manifest PUT fails
      expect(h.state).to.equal("updated");
      expect(h.attempts).to.equal(1);
      expect(h.lastError).to.match(/rejected the manifest: HTTP 503/);
      expect(h.nextAttemptAt).to.be.greaterThan(Date.now());
      expect(await s.store.handoverCounts()).to.include({ retrying: 1, done: 0 });
      // the lease job still names the old holder: nothing was lost
      expect((await s.store.get(lease.id)).holder).to.equal(evmHolderWord(await buyer.getAddress()));
      expect(holderEnvOf(served(dseq))).to.deep.equal([`${HOLDER_ENV}=${evmHolderWord(await buyer.getAddress())}`]);
      gateway.behaviour = {};
      const [done] = await s.handovers.runLease(lease.id);
      expect(done.state, done.lastError ?? "").to.equal("done");
      expect(done.lastError).to.equal(null);
      expect(updatesOf(dseq)).to.have.length(1);
      expect(holderEnvOf(served(dseq))).to.deep.equal([`${HOLDER_ENV}=${evmHolderWord(await alice.getAddress())}`]);
    } finally {
      gateway.behaviour = {};
      await s.close();
    }
  });

  it("a handover of a lease whose deployment is closed ends failed with the reason and nothing left to refund, no tx", async () => {
    const s = await operatorStack();
    try {
      const { keyId, lease } = await leasedKey(s);
      await akash.closeDeployment(lease.dseq!);
      const txsBefore = updateTxs();
      const closesBefore = closeTxs();
      await (await keys.connect(buyer).transferFrom(await buyer.getAddress(), await alice.getAddress(), keyId)).wait();
      await s.poll();
      const [h] = await s.handovers.runLease(lease.id);
      expect(h).to.include({ state: "failed", escrowTo: evmHolderWord(await alice.getAddress()), closeTx: null });
      expect(h.failureReason).to.match(/is closed on Akash/);
      expect(uact(h.escrowUact)).to.equal(0n);
      expect(updateTxs()).to.equal(txsBefore);
      expect(closeTxs()).to.equal(closesBefore);
      expect((await s.store.get(lease.id)).holder).to.equal(evmHolderWord(await buyer.getAddress()));
      // no escrow came back: no payout, no transaction from the operator's account
      const nonce = await payerRpc.getTransactionCount(payer.address, "latest");
      expect(await s.payouts.run(h.id)).to.include({ payoutState: "none", payoutNote: "no escrow was left to return" });
      expect(await payerRpc.getTransactionCount(payer.address, "latest")).to.equal(nonce);
    } finally {
      await s.close();
    }
  });

  it("a handover the provider refuses (HTTP 400) fails as a lease does: deployment closed by one tx, the remaining escrow returned to the owner and accounted to the new holder", async () => {
    const s = await operatorStack();
    const gateway = env.standin.gateways.get(PROVIDER_B)!;
    try {
      const { keyId, lease } = await leasedKey(s);
      const dseq = lease.dseq!;
      const escrow = env.standin.chain.escrowBalance(akash.address, dseq);
      expect(escrow > 0n).to.equal(true);
      const ownerBefore = env.standin.chain.balance(akash.address, "uact");
      const closesBefore = closeTxs();
      const deploymentsBefore = env.standin.chain.deploymentsOf(akash.address).length;
      await (await keys.connect(buyer).transferFrom(await buyer.getAddress(), await alice.getAddress(), keyId)).wait();
      await s.poll();
      gateway.behaviour = { rejectManifestStatus: 400 };
      const [h] = await s.handovers.runLease(lease.id);
      expect(h.state, h.lastError ?? "").to.equal("failed");
      expect(h.failureReason).to.match(/rejected the manifest: HTTP 400/);
      expect(h.closeTx).to.match(/^[0-9A-F]{64}$/i);
      expect(uact(h.escrowUact)).to.equal(escrow);
      expect(h.escrowTo).to.equal(evmHolderWord(await alice.getAddress()));
      // closed once; the escrow went back to the owner's account; no deployment was opened
      expect(closeTxs()).to.equal(closesBefore + 1);
      expect(env.standin.chain.deployment(akash.address, dseq)!.state).to.equal("closed");
      expect(env.standin.chain.balance(akash.address, "uact")).to.equal(ownerBefore + escrow);
      expect(env.standin.chain.deploymentsOf(akash.address)).to.have.length(deploymentsBefore);
      const events = await s.store.events(lease.id);
      expect(events.at(-1)).to.include({ toState: "handover_failed" });
      expect(events.at(-1)!.detail).to.include(`escrow ${h.escrowUact}uact returned to the owner, accounted to the new holder`);
      expect((await s.store.handoverEscrow()).refunded).to.equal(escrow);
      expect(await s.store.handoverCounts()).to.include({ failed: 1, closing: 0, retrying: 0 });
      // the key's next transfer has nothing to hand over: skipped, no tx
      const updates = updateTxs();
      await (await keys.connect(alice).transferFrom(await alice.getAddress(), await bob.getAddress(), keyId)).wait();
      await s.poll();
      const rows = await s.handovers.runLease(lease.id);
      expect(rows.map((r) => r.state)).to.deep.equal(["failed", "skipped"]);
      expect(rows[1].lastError).to.equal(`handover ${h.id} failed: the deployment is closed`);
      expect(updateTxs()).to.equal(updates);
      expect(closeTxs()).to.equal(closesBefore + 1);
    } finally {
      gateway.behaviour = {};
      await s.close();
    }
  });

  it("a handover whose provider keeps failing (HTTP 503) gives up after maxAttempts and fails the same way (closed, escrow accounted)", async () => {
    const s = await operatorStack({ maxAttempts: 3 });
    const gateway = env.standin.gateways.get(PROVIDER_B)!;
    try {
      const { keyId, lease } = await leasedKey(s);
      const escrow = env.standin.chain.escrowBalance(akash.address, lease.dseq!);
      await (await keys.connect(buyer).transferFrom(await buyer.getAddress(), await alice.getAddress(), keyId)).wait();
      await s.poll();
      gateway.behaviour = { rejectManifestStatus: 503 };
      const [h] = await s.handovers.runLease(lease.id);
      expect(h.state, h.lastError ?? "").to.equal("failed");
      expect(h.failureReason).to.match(/^gave up after 3 attempts: .*HTTP 503/);
      expect(uact(h.escrowUact)).to.equal(escrow);
      expect(env.standin.chain.deployment(akash.address, lease.dseq!)!.state).to.equal("closed");
    } finally {
      gateway.behaviour = {};
      await s.close();
    }
  });

  it("a deployment whose escrow runs out during the handover: the handover fails with 0 uact to refund, no close tx", async () => {
    const s = await operatorStack();
    try {
      const { keyId, lease } = await leasedKey(s);
      const dseq = lease.dseq!;
      await (await keys.connect(buyer).transferFrom(await buyer.getAddress(), await alice.getAddress(), keyId)).wait();
      await s.poll();
      const mid = (await s.handovers.stepLease(lease.id))!; // the update tx
      expect(mid.state).to.equal("updated");
      const ownerBefore = env.standin.chain.balance(akash.address, "uact");
      const closesBefore = closeTxs();
      env.standin.chain.exhaustEscrow(akash.address, dseq); // Akash closes an overdrawn deployment
      const [h] = await s.handovers.runLease(lease.id);
      expect(h).to.include({ state: "failed", closeTx: null });
      expect(h.failureReason).to.match(/is closed on Akash/);
      expect(uact(h.escrowUact)).to.equal(0n);
      expect(closeTxs()).to.equal(closesBefore);
      expect(env.standin.chain.balance(akash.address, "uact")).to.equal(ownerBefore);
      expect((await s.store.get(lease.id)).holder).to.equal(evmHolderWord(await buyer.getAddress()));
    } finally {
      await s.close();
    }
  });

  it("a crash after a failed handover's close tx resumes without a second close tx or deployment; the escrow recorded before the close is kept", async () => {
    const gateway = env.standin.gateways.get(PROVIDER_B)!;
    const crashed = await operatorStack({
      hooks: {
        afterCloseBroadcast: () => {
          throw new Crash("afterCloseBroadcast");
        },
      },
    });
    try {
      const { keyId, lease } = await leasedKey(crashed);
      const dseq = lease.dseq!;
      const escrow = env.standin.chain.escrowBalance(akash.address, dseq);
      const closesBefore = closeTxs();
      const deploymentsBefore = env.standin.chain.deploymentsOf(akash.address).length;
      await (await keys.connect(buyer).transferFrom(await buyer.getAddress(), await alice.getAddress(), keyId)).wait();
      await crashed.poll();
      gateway.behaviour = { rejectManifestStatus: 400 };
      let crash: unknown;
      await crashed.handovers.runLease(lease.id).catch((e) => (crash = e));
      expect(crash).to.be.instanceOf(Crash);
      const mid = (await crashed.store.handoversOf(lease.id))[0];
      expect(mid.state).to.equal("closing");
      expect(mid.closeTx).to.match(/^[0-9A-F]{64}$/i);
      expect(uact(mid.escrowUact)).to.equal(escrow);
      expect(closeTxs()).to.equal(closesBefore + 1);
      await crashed.close();

      const resumed = await operatorStack({ file: crashed.file });
      try {
        const [h] = await resumed.handovers.runLease(lease.id);
        expect(h).to.include({ state: "failed", closeTx: mid.closeTx });
        expect(uact(h.escrowUact)).to.equal(escrow);
        expect(closeTxs()).to.equal(closesBefore + 1);
        expect(env.standin.chain.deploymentsOf(akash.address)).to.have.length(deploymentsBefore);
        expect((await resumed.store.events(lease.id)).filter((e) => e.toState === "handover_failed")).to.have.length(1);
      } finally {
        await resumed.close();
      }
    } finally {
      gateway.behaviour = {};
    }
  });

  /** Lease a key, transfer it buyer → alice, and let the provider refuse alice's manifest: the handover fails. */
  async function failedHandover(s: Stack): Promise<{ keyId: bigint; lease: LeaseRow; h: HandoverRow; escrow: bigint }> {
    const gateway = env.standin.gateways.get(PROVIDER_B)!;
    const { keyId, lease } = await leasedKey(s);
    const escrow = env.standin.chain.escrowBalance(akash.address, lease.dseq!);
    await (await keys.connect(buyer).transferFrom(await buyer.getAddress(), await alice.getAddress(), keyId)).wait();
    await s.poll();
    gateway.behaviour = { rejectManifestStatus: 400 };
    try {
      const [h] = await s.handovers.runLease(lease.id);
      expect(h.state, h.lastError ?? "").to.equal("failed");
      return { keyId, lease, h, escrow };
    } finally {
      gateway.behaviour = {};
    }
  }
  /** successful payout transactions from the operator's payer account to `to` with `value` */
  async function paymentsTo(to: string, value: bigint, fromBlock: number): Promise<number> {
    let n = 0;
    for (let b = fromBlock; b <= (await ethers.provider.getBlockNumber()); b++) {
      const block = await ethers.provider.getBlock(b, true);
      for (const tx of block!.prefetchedTransactions)
        if (tx.from === payer.address && tx.to === to && tx.value === value) {
          const r = await ethers.provider.getTransactionReceipt(tx.hash);
          if (r!.status === 1) n++;
        }
    }
    return n;
  }

  it("a failed handover's escrow is paid to the new holder once: the value of the escrow its close returned, at the operator's rate, in one transaction", async () => {
    const s = await operatorStack();
    try {
      const fromBlock = (await ethers.provider.getBlockNumber()) + 1;
      const { lease, h, escrow } = await failedHandover(s);
      const to = await alice.getAddress();
      const want = unitsForUact(escrow, PAYOUT_RATE);
      expect(want > 0n).to.equal(true);
      const before = await ethers.provider.getBalance(to);
      const paid = await s.payouts.run(h.id);
      expect(paid).to.include({
        state: "failed",
        payoutState: "paid",
        payoutTo: to,
        payoutChain: String(chainId),
        payoutCurrency: ZeroAddress,
        payoutAmount: want.toString(),
      });
      expect(paid.payoutTx).to.match(/^0x[0-9a-f]{64}$/);
      expect(await ethers.provider.getBalance(to)).to.equal(before + want);
      expect((await ethers.provider.getTransactionReceipt(paid.payoutTx!))!.status).to.equal(1);
      const events = await s.store.events(lease.id);
      expect(events.at(-1)).to.include({ fromState: "handover_failed", toState: "escrow_paid" });
      expect(events.at(-1)!.detail).to.include(`paid to ${to}`);
      // once: later runs find nothing due and send nothing
      expect(await s.payouts.runDue()).to.equal(0);
      expect(await ethers.provider.getBalance(to)).to.equal(before + want);
      expect(await paymentsTo(to, want, fromBlock)).to.equal(1);
    } finally {
      await s.close();
    }
  });

  it("an ERC-20 payout the operator cannot make yet (no token balance) pays nothing and is retried; once funded it is paid once, in the token", async () => {
    const token = (await (await ethers.getContractFactory("TestToken")).deploy()) as unknown as TestToken;
    const rate = { uactNumerator: 1n, unitDenominator: 1000n };
    const s = await operatorStack({ payoutCurrency: await token.getAddress(), payoutRate: rate });
    try {
      const { h, escrow } = await failedHandover(s);
      const to = await alice.getAddress();
      const want = unitsForUact(escrow, rate);
      const owed = await s.payouts.step(h); // amount fixed
      expect(owed).to.include({ payoutState: "owed", payoutCurrency: await token.getAddress(), payoutAmount: want.toString() });
      const refused = await s.payouts.step(owed); // the transfer would revert: nothing signed, retried later
      expect(refused).to.include({ payoutState: "owed", payoutAttempts: 1, payoutTx: null });
      expect(refused.payoutNote).to.match(/revert|insufficient/i);
      expect(await token.balanceOf(to)).to.equal(0n);
      await (await token.mint(payer.address, want)).wait();
      const paid = await s.payouts.run(h.id);
      expect(paid).to.include({ payoutState: "paid" });
      expect(await token.balanceOf(to)).to.equal(want);
      expect(await token.balanceOf(payer.address)).to.equal(0n);
      expect(await s.payouts.runDue()).to.equal(0);
    } finally {
      await s.close();
    }
  });

  it("a crash after a failed handover's payout tx was broadcast resumes without a second payout", async () => {
    const crashed = await operatorStack({
      payoutHooks: {
        afterPayoutBroadcast: () => {
          throw new Crash("afterPayoutBroadcast");
        },
      },
    });
    const fromBlock = (await ethers.provider.getBlockNumber()) + 1;
    const { h, escrow } = await failedHandover(crashed);
    const to = await alice.getAddress();
    const want = unitsForUact(escrow, PAYOUT_RATE);
    const before = await ethers.provider.getBalance(to);
    let crash: unknown;
    await crashed.payouts.run(h.id).catch((e) => (crash = e));
    expect(crash).to.be.instanceOf(Crash);
    const mid = await crashed.store.handover(h.id);
    expect(mid.payoutState).to.equal("sent");
    expect(mid.payoutTx).to.match(/^0x[0-9a-f]{64}$/);
    expect(await ethers.provider.getBalance(to)).to.equal(before + want);
    await crashed.close();

    const resumed = await operatorStack({ file: crashed.file });
    try {
      const nonce = await payerRpc.getTransactionCount(payer.address, "latest");
      const paid = await resumed.payouts.run(h.id);
      expect(paid).to.include({ payoutState: "paid", payoutTx: mid.payoutTx });
      expect(await ethers.provider.getBalance(to)).to.equal(before + want);
      expect(await payerRpc.getTransactionCount(payer.address, "latest")).to.equal(nonce);
      expect(await paymentsTo(to, want, fromBlock)).to.equal(1);
      expect((await resumed.store.events(h.leaseId)).filter((e) => e.toState === "escrow_paid")).to.have.length(1);
    } finally {
      await resumed.close();
    }
  });

  /** A failed handover whose payout tx is signed and stored, then the operator crashes before broadcasting it. */
  async function payoutCrashedBeforeBroadcast() {
    const crashed = await operatorStack({
      payoutHooks: {
        beforePayoutBroadcast: () => {
          throw new Crash("beforePayoutBroadcast");
        },
      },
    });
    const fromBlock = (await ethers.provider.getBlockNumber()) + 1;
    const { h, escrow } = await failedHandover(crashed);
    const to = await alice.getAddress();
    const want = unitsForUact(escrow, PAYOUT_RATE);
    const before = await ethers.provider.getBalance(to);
    await crashed.payouts.run(h.id).catch((e) => expect(e).to.be.instanceOf(Crash));
    const mid = await crashed.store.handover(h.id);
    return { crashed, fromBlock, h, to, want, before, mid };
  }

  it("a crash after the payout tx was signed and stored but before its broadcast resumes by broadcasting the stored bytes: paid once", async () => {
    const { crashed, fromBlock, h, to, want, before, mid } = await payoutCrashedBeforeBroadcast();
    expect(mid).to.include({ payoutState: "sent" });
    expect(await ethers.provider.getBalance(to)).to.equal(before); // nothing left the operator yet
    await crashed.close();

    const resumed = await operatorStack({ file: crashed.file });
    try {
      const paid = await resumed.payouts.run(h.id);
      expect(paid).to.include({ payoutState: "paid", payoutTx: mid.payoutTx, payoutRaw: mid.payoutRaw });
      expect(await ethers.provider.getBalance(to)).to.equal(before + want);
      expect(await paymentsTo(to, want, fromBlock)).to.equal(1);
    } finally {
      await resumed.close();
    }
  });

  it("a stored payout tx whose nonce another transaction took is signed again with a new nonce: paid once", async () => {
    const { crashed, fromBlock, h, to, want, before, mid } = await payoutCrashedBeforeBroadcast();
    await crashed.close();
    // the operator's account sends something else with the stored tx's nonce
    await (await payer.sendTransaction({ to: await bob.getAddress(), value: 1n, nonce: mid.payoutNonce! })).wait();

    const resumed = await operatorStack({ file: crashed.file });
    try {
      const paid = await resumed.payouts.run(h.id);
      expect(paid.payoutState).to.equal("paid");
      expect(paid.payoutTx).to.not.equal(mid.payoutTx);
      expect(paid.payoutNonce).to.equal(mid.payoutNonce! + 1);
      expect(await ethers.provider.getBalance(to)).to.equal(before + want);
      expect(await paymentsTo(to, want, fromBlock)).to.equal(1);
    } finally {
      await resumed.close();
    }
  });

  it("lease-store migration 4 keeps the rows of a version-3 database (holder unbound) and adds the handovers table", async () => {
    const file = path.join(env.tmpdir, `handover-migrate-${++dbSeq}.sqlite`);
    const v3 = await openDriver(
      { sqlite: file },
      LEASE_MIGRATIONS.filter((m) => m.version <= 3),
    );
    const t = Date.now();
    await v3.run(
      `INSERT INTO leases (purchase_chain, key_id, model_id, buyer, params_json, akash_chain, owner, state, attempts, next_attempt_at, dseq, provider, created_at, updated_at)
       VALUES ('1', '4294967297', '7', '0x1111111111111111111111111111111111111111', '{"v":1}', 'akash-standin-1', ?, 'reported', 0, ?, '42', ?, ?, ?)`,
      [akash.address, t, PROVIDER_B, t, t],
    );
    await v3.close();

    const store = await LeaseStore.open(file);
    try {
      const old = (await store.byKey("4294967297"))!;
      expect(old).to.include({
        purchaseChain: "1",
        modelId: "7",
        state: "reported",
        dseq: "42",
        provider: PROVIDER_B,
        holder: null,
        holderChain: null,
      });
      expect(await store.all()).to.have.length(1);
      // the old job can take handovers
      const h = await store.insertHandover({
        leaseId: old.id,
        sourceChain: "1",
        sourceTx: "0x" + "ab".repeat(32),
        logIndex: 3,
        block: 10,
        kind: "transfer",
        toHolder: evmHolderWord(await alice.getAddress()),
        toChain: "1",
      });
      expect(h).to.include({ leaseId: old.id, state: "pending", attempts: 0 });
      // once per source event
      const again = await store.insertHandover({ ...h, sourceTx: h.sourceTx, logIndex: 3 });
      expect(again.id).to.equal(h.id);
      expect(await store.handoversOf(old.id)).to.have.length(1);
    } finally {
      await store.close();
    }
  });
});

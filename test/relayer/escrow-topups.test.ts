// DAO infrastructure spends → Akash escrow top-ups (issue 11 item 3): the lease leader's feed
// reads InfrastructureFunded logs from the purchase chain over JSON-RPC (the Hardhat network
// served on 127.0.0.1, the protocol deployed by the real scripts, DAOs made by the real
// DaoFactory and spending through real votes) and deposits into deployments on the Akash
// stand-in. Only the configured factory's governor of the model counts, the receipt must carry
// the transfer to the operator, the deployment must serve that model, and each model has an
// hourly cap; every refusal is recorded and counted, and the honest spend still tops up.
import { expect } from "chai";
import path from "node:path";
import { ethers } from "hardhat";
import { mine } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, type Signer } from "ethers";
import { deployProtocol, deployTestToken, eventsOf, NATIVE, publish, type Protocol } from "../../devnet/hardhat/protocol";
import { EvmPurchaseChain } from "../../relayer/akash/feeds";
import { EscrowTopups, spendRefusal, type InfrastructureFundedEvent, type SpendEvidence } from "../../relayer/akash/topups";
import { LeasePipeline } from "../../relayer/akash/pipeline";
import { PlaintextFileSdlSource } from "../../relayer/akash/sdl-source";
import { NoopLeaseReporter } from "../../relayer/akash/reporter";
import { encodeDeploymentParams } from "../../relayer/akash/params";
import { LeaseReportStore, LeaseStore, type EscrowTopupRow } from "../../relayer/store";
import type { EvmChainConfig } from "../../relayer/config";
import type { AkashClient } from "../../sdk/akash/client";
import type { FeeOnTransferToken, ModelGovernor, SpoofedGovernor, TestToken } from "../../sdk/typechain";
import { serveChain } from "../keys/helpers";
import { fundAkash, SDL_FILE, startEnv, type Env } from "../akash/helpers/env";

const UACT_PER_ETH = 2_000_000_000n; // 1 ETH (or 1e18 token units) buys 2,000 ACT

describe("escrow top-ups from DAO spends: only the model's governor, paid in the same receipt, capped (issue 11 item 3)", function () {
  this.timeout(180_000);
  let env: Env;
  let p: Protocol;
  let chain: { url: string; close(): Promise<void> };
  let akash: AkashClient;
  let leases: LeaseStore;
  let feed: EvmPurchaseChain;
  let topups: EscrowTopups;
  let token: TestToken;
  let feeToken: FeeOnTransferToken;
  let govX: ModelGovernor, govY: ModelGovernor;
  let members: Signer[];
  let modelX: bigint, modelY: bigint;
  let dseqX: string, dseqY: string;
  const receiver = Wallet.createRandom().address; // the leader's receiving address
  const refused: { e: InfrastructureFundedEvent; reason: string }[] = [];

  before(async () => {
    env = await startEnv({ firstPort: 18680 });
    p = await deployProtocol();
    chain = await serveChain();
    const [, , creator, m1, m2] = p.signers;
    members = [m1, m2];
    ({ modelId: modelX } = await publish(p, creator, { content: "model-x" }));
    ({ modelId: modelY } = await publish(p, creator, { content: "model-y" }));
    const dao = async (modelId: bigint) => {
      const tx = await p.daoFactory.connect(creator).createDao(modelId, [await m1.getAddress(), await m2.getAddress()], 1, 5, 50);
      const governor = eventsOf(await tx.wait(), p.daoFactory, "DaoCreated")[0].args.governor as string;
      expect(await p.daoFactory.governorOf(modelId)).to.equal(governor);
      const g = (await ethers.getContractAt("ModelGovernor", governor)) as unknown as ModelGovernor;
      await (await p.signers[0].sendTransaction({ to: governor, value: ethers.parseEther("1") })).wait();
      return g;
    };
    govX = await dao(modelX);
    govY = await dao(modelY);
    token = await deployTestToken(p);
    feeToken = (await (await ethers.getContractFactory("FeeOnTransferToken")).deploy()) as unknown as FeeOnTransferToken;
    await token.mint(await govX.getAddress(), ethers.parseEther("1"));
    await feeToken.mint(await govX.getAddress(), ethers.parseEther("1"));

    // one running lease per model, opened by the leader's pipeline on the stand-in
    akash = await env.client();
    fundAkash(env, akash.address);
    leases = await LeaseStore.open(path.join(env.tmpdir, "leases.sqlite"));
    const pipeline = new LeasePipeline({
      store: leases,
      akash,
      sdl: new PlaintextFileSdlSource(SDL_FILE),
      reporter: new NoopLeaseReporter(),
      policy: { bidWindowMs: 300, pollMs: 40, backoffBaseMs: 40, backoffMaxMs: 200, maxAttempts: 4, txTimeoutMs: 3_000 },
    });
    const lease = async (keyId: bigint, modelId: bigint) => {
      const job = await pipeline.submit({
        purchaseChain: "31337",
        keyId,
        modelId,
        buyer: await m1.getAddress(),
        deploymentParams: encodeDeploymentParams({ v: 1 }),
      });
      const done = await pipeline.runToCompletion(job.id);
      expect(done.state, done.lastError ?? "").to.equal("reported");
      return done.dseq!;
    };
    dseqX = await lease((1n << 32n) | 1001n, modelX);
    dseqY = await lease((1n << 32n) | 1002n, modelY);

    const cfg = {
      type: "evm",
      name: "a",
      hexsChainId: 31337,
      rpc: chain.url,
      hub: ethers.ZeroAddress,
      gateway: ethers.ZeroAddress,
      confirmations: 0,
      startBlock: await ethers.provider.getBlockNumber(),
      maxBlockRange: 500,
    } as unknown as EvmChainConfig;
    const reports = await LeaseReportStore.open(path.join(env.tmpdir, "reports.sqlite"));
    feed = new EvmPurchaseChain(cfg, await p.market.getAddress(), reports, undefined, true, await p.daoFactory.getAddress());
    await feed.init();
    const rate = { uactNumerator: UACT_PER_ETH, unitDenominator: 10n ** 18n };
    topups = new EscrowTopups(
      leases,
      akash,
      receiver,
      {
        [NATIVE]: rate,
        [(await token.getAddress()).toLowerCase()]: rate,
        [(await feeToken.getAddress()).toLowerCase()]: rate,
      },
      { deposits: 4, uact: 10n ** 12n },
      (e, reason) => refused.push({ e, reason }),
    );
  });

  after(async () => {
    await feed?.close();
    await chain?.close();
    await env?.close();
  });

  /** A DAO proposal of `spends` (currency, amount, purpose) paid to the receiver: propose → vote → execute. */
  async function vote(governor: ModelGovernor, spends: [string, bigint, string][], label: string) {
    const target = await governor.getAddress();
    const calls = spends.map(([currency, amount, purpose]) =>
      governor.interface.encodeFunctionData("fundInfrastructure", [currency, receiver, amount, purpose]),
    );
    const targets = calls.map(() => target);
    const values = calls.map(() => 0n);
    await (await governor.connect(members[0]).propose(targets, values, calls, label)).wait();
    const id = await governor.getProposalId(targets, values, calls, ethers.id(label));
    await mine(2);
    for (const m of members) await (await governor.connect(m).castVote(id, 1)).wait();
    await mine(5);
    await (await governor.execute(targets, values, calls, ethers.id(label))).wait();
  }

  /** Let the feed read what was mined; the top-ups it recorded, in order. */
  let seen = 0;
  async function poll(): Promise<EscrowTopupRow[]> {
    const sink = {
      purchase: () => undefined,
      spend: async (e: InfrastructureFundedEvent, ev: SpendEvidence) => void (await topups.accept(e, ev)),
    };
    for (let behind = true; behind;) behind = await feed.poll(sink);
    const rows: EscrowTopupRow[] = [];
    for (const r of await leases.driver.all("SELECT source_tx, log_index, id FROM escrow_topups WHERE id > ? ORDER BY id", [
      seen,
    ])) {
      rows.push((await leases.topupBySource("31337", String(r.source_tx), Number(r.log_index)))!);
      seen = Number(r.id);
    }
    return rows;
  }

  const purpose = (dseq: string) => `akash-escrow:${akash.address}/${dseq}`;
  const escrow = (dseq: string) => env.standin.chain.escrowBalance(akash.address, dseq);

  it("the model's governor paying the operator in the same receipt tops up its deployment (native and ERC-20), once", async () => {
    const before = escrow(dseqX);
    await vote(govX, [[NATIVE, ethers.parseEther("0.001"), purpose(dseqX)]], "native top-up");
    await vote(govX, [[await token.getAddress(), ethers.parseEther("0.002"), purpose(dseqX)]], "token top-up");
    const rows = await poll();
    expect(rows.map((t) => t.state)).to.deep.equal(["pending", "pending"]);
    expect(rows.map((t) => t.modelId)).to.deep.equal([modelX.toString(), modelX.toString()]);
    const done = await topups.runDue();
    expect(done.map((t) => t.state)).to.deep.equal(["deposited", "deposited"]);
    expect(escrow(dseqX) - before).to.equal(2_000_000n + 4_000_000n);
    expect(await topups.runDue()).to.deep.equal([]);
    expect(refused).to.deep.equal([]);
  });

  it("refuses an event from a contract that is not the model's governor, even one that pays", async () => {
    const spoofer = (await (await ethers.getContractFactory("SpoofedGovernor")).deploy()) as unknown as SpoofedGovernor;
    await (await spoofer.spoof(modelX, receiver, purpose(dseqX), { value: ethers.parseEther("0.001") })).wait();
    const [row] = await poll();
    expect(row.state).to.equal("refused");
    expect(row.lastError).to.match(/emitted by 0x[0-9a-fA-F]{40}, not by model \d+'s governor/);
    expect(refused.at(-1)!.e.emitter).to.equal(await spoofer.getAddress());
  });

  it("refuses a governor of another model paying for this model's deployment", async () => {
    const before = escrow(dseqX);
    await vote(govY, [[NATIVE, ethers.parseEther("0.001"), purpose(dseqX)]], "y pays for x");
    const [row] = await poll();
    expect(row.state).to.equal("refused");
    expect(row.lastError).to.equal(
      `deployment ${akash.address}/${dseqX} serves model ${modelX}, not model ${modelY} whose DAO paid`,
    );
    // Y's own deployment is fine
    await vote(govY, [[NATIVE, ethers.parseEther("0.001"), purpose(dseqY)]], "y pays for y");
    expect((await poll()).map((t) => t.state)).to.deep.equal(["pending"]);
    await topups.runDue();
    expect(escrow(dseqX)).to.equal(before);
  });

  it("refuses a spend whose receipt has no matching transfer to the operator (a token that delivers less)", async () => {
    await vote(govX, [[await feeToken.getAddress(), ethers.parseEther("0.001"), purpose(dseqX)]], "fee token top-up");
    const [row] = await poll();
    expect(row.state).to.equal("refused");
    expect(row.lastError).to.match(/the receipt has no Transfer of 1000000000000000 0x[0-9a-fA-F]{40} from the governor/);
  });

  it("a burst over the model's hourly cap: the first ones within the cap top up, the rest are refused and never retried", async () => {
    const before = escrow(dseqX);
    const n = refused.length;
    await vote(
      govX,
      [1n, 2n, 3n, 4n].map((i): [string, bigint, string] => [NATIVE, i * 10n ** 15n, purpose(dseqX)]),
      "burst",
    );
    const rows = await poll();
    // two top-ups of model X already count in this hour; the cap is 4
    expect(rows.map((t) => t.state)).to.deep.equal(["pending", "pending", "refused", "refused"]);
    expect(rows[2].lastError).to.match(/hourly cap: model \d+ already had 4 top-up\(s\) in the last hour \(cap 4\)/);
    expect(refused.length - n).to.equal(2);
    await topups.runDue();
    expect(escrow(dseqX) - before).to.equal(2_000_000n + 4_000_000n);
    // reading the same blocks again changes nothing
    expect((await topups.runDue()).length).to.equal(0);
  });

  it("a CosmWasm spend counts only when the configured Hexs contract emitted it (it checked the DAO and paid in the same tx)", () => {
    const hexsContract = "wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d";
    const e: InfrastructureFundedEvent = {
      family: "cosmwasm",
      sourceChain: "100",
      txHash: "42/0",
      logIndex: 3,
      emitter: hexsContract,
      modelId: 7n,
      currency: "ustake",
      to: "wasm1operator",
      amount: 700n,
      purpose: "akash-escrow:akash1owner/1",
    };
    expect(spendRefusal(e, "wasm1operator", { governor: hexsContract, logs: [] })).to.equal(undefined);
    const other = "wasm1nc5tatafv6eyq7llkr2gv50ff9e22mnf70qgjlv737ktmt4eswrqr5j2ht";
    expect(spendRefusal({ ...e, emitter: other }, "wasm1operator", { governor: hexsContract, logs: [] })).to.equal(
      `emitted by ${other}, not by the Hexs contract ${hexsContract} of chain 100`,
    );
  });
});

// Escrow payouts (relayer/akash/payouts.ts) whose transaction gets stuck: the in-process Hardhat
// chain served over JSON-RPC with automine off, and each block's base fee set above the payout's
// max fee, so the sent transaction really stays unmined while blocks advance. The payout is then
// replaced at the same nonce with doubled fees; a crash between storing the replacement and
// broadcasting it, with the first version mined meanwhile, must still pay once.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { JsonRpcProvider, Transaction, Wallet, ZeroAddress, toQuantity } from "ethers";
import { LeaseStore, type HandoverRow } from "../../relayer/store";
import { EscrowPayouts, unitsForUact, type PayoutHooks } from "../../relayer/akash/payouts";
import { serveChain } from "../serve-chain";

const HEXS_CHAIN = "1";
const RATE = { uactNumerator: 1n, unitDenominator: 1_000_000_000n }; // 1 uact buys 10^9 wei
const ESCROW_UACT = 4_200n;
const STUCK_BLOCKS = 3;

class Crash extends Error {}

describe("relayer escrow payouts: a stuck payout transaction is replaced with a fee bump at the same nonce", function () {
  this.timeout(60_000);
  let rpc: { url: string; close(): Promise<void> };
  let provider: JsonRpcProvider;
  let dir: string;
  let seq = 0;

  before(async () => {
    rpc = await serveChain({ from: 18930, to: 18949 });
    const chainId = Number((await ethers.provider.getNetwork()).chainId);
    provider = new JsonRpcProvider(rpc.url, chainId, { staticNetwork: true, cacheTimeout: -1 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-payout-replace-"));
  });
  after(async () => {
    await network.provider.send("evm_setAutomine", [true]);
    provider.destroy();
    await rpc.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await network.provider.send("evm_setAutomine", [true]);
  });

  /** A failed handover owing ESCROW_UACT to a fresh holder, an operator account that pays, and the payout job. */
  async function setup(o: { hooks?: PayoutHooks } = {}) {
    const store = await LeaseStore.open(path.join(dir, `leases-${++seq}.sqlite`));
    const payer = new Wallet(Wallet.createRandom().privateKey, provider);
    const [funder] = await ethers.getSigners();
    await (await funder.sendTransaction({ to: payer.address, value: ethers.parseEther("10") })).wait();
    const holder = Wallet.createRandom().address;
    const lease = await store.insert({
      purchaseChain: HEXS_CHAIN,
      keyId: String(4294967296 + seq),
      modelId: "4294967297",
      buyer: "0xb",
      paramsJson: "{}",
      akashChain: "akash-standin-1",
      owner: "akash1x",
    });
    const inserted = await store.insertHandover({
      leaseId: lease.id,
      sourceChain: HEXS_CHAIN,
      sourceTx: "0x" + seq.toString(16).padStart(64, "0"),
      logIndex: 0,
      block: 1,
      kind: "transfer",
      toHolder: "0x0114" + holder.slice(2).toLowerCase(),
      toChain: HEXS_CHAIN,
    });
    await store.updateHandover(inserted.id, { state: "closing", escrowUact: `${ESCROW_UACT}.000000000000000000` });
    const h = await store.failHandover(inserted.id, "manifest refused");
    const payouts = (hooks?: PayoutHooks) =>
      new EscrowPayouts({
        store,
        chains: new Map([[HEXS_CHAIN, { hexsChainId: HEXS_CHAIN, provider, wallet: payer, currency: ZeroAddress, rate: RATE }]]),
        backoffBaseMs: 20,
        backoffMaxMs: 50,
        pollMs: 20,
        stuckBlocks: STUCK_BLOCKS,
        hooks,
      });
    return { store, payer, holder, h, job: payouts(o.hooks), resume: () => payouts(), want: unitsForUact(ESCROW_UACT, RATE) };
  }

  /** Mine one block whose base fee is `baseFee` (pending transactions paying less stay in the pool). */
  async function mineAt(baseFee: bigint): Promise<void> {
    await network.provider.send("hardhat_setNextBlockBaseFeePerGas", [toQuantity(baseFee)]);
    await network.provider.send("evm_mine", []);
  }

  /** Decide and send the payout with automine off: the signed first version, waiting in the pool. */
  async function sentAndWaiting(s: Awaited<ReturnType<typeof setup>>): Promise<{ sent: HandoverRow; first: Transaction }> {
    await network.provider.send("evm_setAutomine", [false]);
    const owed = await s.job.step(s.h);
    expect(owed).to.include({ payoutState: "owed", payoutAmount: s.want.toString() });
    const sent = await s.job.step(owed);
    expect(sent).to.include({ payoutState: "sent" });
    const first = Transaction.from(sent.payoutRaw!);
    expect(first.hash).to.equal(sent.payoutTx);
    expect(first.maxFeePerGas! % 2n).to.equal(1n); // the first version's marker
    expect(await provider.getTransaction(sent.payoutTx!)).to.not.equal(null); // in the node's pool
    return { sent, first };
  }

  it("a payout unmined for N blocks (fees below the base fee) is re-signed at the same nonce with doubled fees, the replacement is mined and the holder paid once", async () => {
    const s = await setup();
    try {
      const { sent, first } = await sentAndWaiting(s);
      const stuckFee = first.maxFeePerGas! + 1n;
      let row = sent;
      for (let i = 0; i < STUCK_BLOCKS - 1; i++) {
        await mineAt(stuckFee);
        row = await s.job.step(row);
        expect(row).to.include({ payoutState: "sent", payoutTx: first.hash }); // not stuck long enough yet
      }
      expect(await provider.getTransactionReceipt(first.hash!)).to.equal(null);
      await mineAt(stuckFee);
      row = await s.job.step(row); // N blocks: replaced
      expect(row.payoutState).to.equal("sent");
      expect(row.payoutTx).to.not.equal(first.hash);
      expect(row.payoutNote).to.match(new RegExp(`unmined after ${STUCK_BLOCKS} blocks: replaced by ${row.payoutTx}`));
      const second = Transaction.from(row.payoutRaw!);
      expect(second.hash).to.equal(row.payoutTx);
      expect({ nonce: second.nonce, to: second.to, value: second.value, data: second.data }).to.deep.equal({
        nonce: first.nonce,
        to: s.holder,
        value: s.want,
        data: first.data,
      });
      expect(row.payoutNonce).to.equal(first.nonce);
      expect(second.maxFeePerGas).to.equal(first.maxFeePerGas! * 2n);
      expect(second.maxPriorityFeePerGas).to.equal(first.maxPriorityFeePerGas! * 2n);

      await mineAt(stuckFee); // the replacement pays enough
      const paid = await s.job.run(row.id, 10_000);
      expect(paid).to.include({ payoutState: "paid", payoutTx: second.hash });
      expect((await provider.getTransactionReceipt(second.hash!))!.status).to.equal(1);
      expect(await provider.getTransactionReceipt(first.hash!)).to.equal(null); // replaced, never mined
      expect(await provider.getBalance(s.holder)).to.equal(s.want);
      expect(await provider.getTransactionCount(s.payer.address, "latest")).to.equal(first.nonce + 1);
      expect(await s.job.runDue()).to.equal(0);
    } finally {
      await s.store.close();
    }
  });

  it("a crash after the replacement was stored, before its broadcast, with the first version mined meanwhile: the resumed job finds the first version's receipt and pays once, signing nothing new", async () => {
    const s = await setup({
      hooks: {
        beforeReplacementBroadcast: () => {
          throw new Crash("beforeReplacementBroadcast");
        },
      },
    });
    try {
      const { sent, first } = await sentAndWaiting(s);
      let row = sent;
      for (let i = 0; i < STUCK_BLOCKS - 1; i++) {
        await mineAt(first.maxFeePerGas! + 1n);
        row = await s.job.step(row);
      }
      await mineAt(first.maxFeePerGas! + 1n);
      let crash: unknown;
      await s.job.step(row).catch((e: unknown) => (crash = e));
      expect(crash).to.be.instanceOf(Crash);
      const stored = await s.store.handover(row.id);
      const second = Transaction.from(stored.payoutRaw!);
      expect(stored).to.include({ payoutState: "sent", payoutTx: second.hash, payoutNonce: first.nonce });
      expect(second.maxFeePerGas).to.equal(first.maxFeePerGas! * 2n);
      expect(await provider.getTransaction(second.hash!)).to.equal(null); // never broadcast

      await mineAt(1n); // fees fall: the first version, still in the pool, is mined
      expect((await provider.getTransactionReceipt(first.hash!))!.status).to.equal(1);

      const paid = await s.resume().run(row.id, 10_000);
      expect(paid).to.include({ payoutState: "paid", payoutTx: first.hash });
      expect(await provider.getBalance(s.holder)).to.equal(s.want);
      expect(await provider.getTransactionCount(s.payer.address, "latest")).to.equal(first.nonce + 1); // nothing re-signed
      expect((await s.store.events(row.leaseId)).filter((e) => e.toState === "escrow_paid")).to.have.length(1);
    } finally {
      await s.store.close();
    }
  });
});

// The lease store (lease jobs, dseq counters, transition log, escrow top-ups) and the report
// store (feed cursors, LeaseReported lane records), one suite run on both backends of the
// queue's driver: SQLite (a temp file) and PostgreSQL (a throwaway cluster, helpers/postgres.ts).
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LeaseReportStore, LeaseStore, type NewLease } from "../../relayer/store";
import { freshDatabase, startPostgres, type PgCluster } from "./helpers/postgres";

let pg: PgCluster | undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-leases-"));
let dbCount = 0;

const lease = (keyId: string, owner = "akash1owner"): NewLease => ({
  purchaseChain: "31337",
  keyId,
  modelId: "4294967297",
  buyer: "0xb0b",
  paramsJson: '{"v":1}',
  akashChain: "akash-standin-1",
  owner,
});

const backends: { name: string; spec: () => Promise<string> }[] = [
  { name: "sqlite", spec: async () => path.join(tmp, `l${++dbCount}.sqlite`) },
  { name: "postgres", spec: () => freshDatabase(pg!.url, `hexs_l${++dbCount}`) },
];

before(function () {
  this.timeout(60_000);
  pg = startPostgres(18815);
});
after(() => {
  pg?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

for (const backend of backends) {
  describe(`relayer store: lease jobs and lane reports on ${backend.name}`, function () {
    let spec: string;
    let clock: number;
    const now = () => clock;
    const open: { close(): Promise<void> }[] = [];
    const leases = async () => {
      const s = await LeaseStore.open(spec, now);
      open.push(s);
      return s;
    };
    const reports = async () => {
      const s = await LeaseReportStore.open(spec, now);
      open.push(s);
      return s;
    };

    beforeEach(async function () {
      if (backend.name === "postgres" && !pg) {
        console.log("    PostgreSQL is not installed: apt-get install -y postgresql (or set HEXS_TEST_PG_URL)");
        this.skip();
      }
      spec = await backend.spec();
      clock = 1_000_000;
    });
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    it("records one job per purchase and finds it by id, purchase and deployment", async () => {
      const s = await leases();
      const a = await s.insert({ ...lease("7"), expiresAt: 1234 });
      expect(a).to.include({ purchaseChain: "31337", keyId: "7", state: "requested", attempts: 0, dseq: null, expiresAt: 1234 });
      expect(a.nextAttemptAt).to.equal(1_000_000);
      expect(a.createdAt).to.equal(1_000_000);
      clock += 5;
      const again = await s.insert({ ...lease("7"), modelId: "other" });
      expect(again).to.deep.equal(a);
      const b = await s.insert(lease("8"));
      expect(b.id).to.not.equal(a.id);
      expect(await s.get(a.id)).to.deep.equal(a);
      expect(await s.byPurchase("31337", "8")).to.deep.equal(b);
      expect(await s.byPurchase("31337", "9")).to.equal(undefined);
      expect((await s.all()).map((r) => r.keyId)).to.deep.equal(["7", "8"]);
      await expect(s.get(999)).to.be.rejectedWith(/lease job 999 does not exist/);
      const reserved = await s.reserveDseq(a.id, 50n);
      expect(await s.byDeployment("akash-standin-1", "akash1owner", reserved.dseq!)).to.deep.equal(reserved);
    });

    it("logs state changes, leaves other updates out of the log, and lists due and expired jobs", async () => {
      const s = await leases();
      const a = await s.insert({ ...lease("1"), expiresAt: 100 });
      const b = await s.insert(lease("2"));
      clock += 10;
      const u = await s.update(a.id, { provider: "akash1prov", gseq: 1, oseq: 2, bseq: 3, price: "0.5" });
      expect(u).to.include({ provider: "akash1prov", gseq: 1, oseq: 2, bseq: 3, price: "0.5", updatedAt: 1_000_010 });
      expect(await s.events(a.id)).to.deep.equal([]);
      await s.update(a.id, { state: "leased", outcome: "leased" }, "lease active");
      clock += 10;
      await s.update(a.id, { state: "reported", reportTx: "0xabc" });
      expect(await s.events(a.id)).to.deep.equal([
        { at: 1_000_010, fromState: "requested", toState: "leased", detail: "lease active" },
        { at: 1_000_020, fromState: "leased", toState: "reported", detail: null },
      ]);
      // terminal jobs and jobs whose next attempt lies ahead are not due
      await s.update(b.id, { nextAttemptAt: clock + 1000, lastError: "later" });
      const c = await s.insert(lease("3"));
      expect((await s.due()).map((r) => r.id)).to.deep.equal([c.id]);
      clock += 1000;
      expect((await s.due()).map((r) => r.id)).to.deep.equal([c.id, b.id]);
      expect((await s.due(1)).map((r) => r.id)).to.deep.equal([c.id]);
      expect(await s.expired(99)).to.deep.equal([]);
      expect((await s.expired(100)).map((r) => r.id)).to.deep.equal([a.id]);
    });

    it("reserves dseqs at least the floor and strictly increasing per owner, once per job, also across two connections", async () => {
      const s = await leases();
      const t = await leases();
      const jobs = [];
      for (let i = 0; i < 6; i++) jobs.push(await s.insert(lease(String(i))));
      const other = await s.insert(lease("x", "akash1other"));
      const first = await s.reserveDseq(jobs[0].id, 100n);
      expect(first).to.include({ dseq: "100", state: "dseq_reserved" });
      expect(await s.events(jobs[0].id)).to.deep.equal([
        { at: clock, fromState: "requested", toState: "dseq_reserved", detail: "dseq 100" },
      ]);
      expect((await s.reserveDseq(jobs[0].id, 500n)).dseq).to.equal("100"); // idempotent
      expect((await t.reserveDseq(jobs[1].id, 50n)).dseq).to.equal("101"); // above every dseq handed out
      expect((await s.reserveDseq(other.id, 7n)).dseq).to.equal("7"); // per owner
      // concurrent reservations on two connections never hand out one dseq twice
      const got = await Promise.all(jobs.slice(2).map((j, i) => (i % 2 ? s : t).reserveDseq(j.id, 0n)));
      const all = [first.dseq, "101", ...got.map((r) => r.dseq)];
      expect(new Set(all).size).to.equal(all.length);
      expect(got.map((r) => BigInt(r.dseq!)).every((d) => d > 101n)).to.equal(true);
    });

    it("records an escrow top-up once per source event and tracks its attempts", async () => {
      const s = await leases();
      const ev = { sourceChain: "31337", sourceTx: "0xt", logIndex: 3, owner: "akash1o", dseq: "100", amountUact: "4000000" };
      const a = await s.insertTopup(ev);
      expect(a).to.include({ ...ev, state: "pending", attempts: 0, nextAttemptAt: clock, lastError: null, depositTx: null });
      expect(await s.insertTopup({ ...ev, amountUact: "1" })).to.deep.equal(a);
      expect(await s.topupBySource("31337", "0xt", 4)).to.equal(undefined);
      await s.updateTopup(a.id, { attempts: 1, lastError: "no block", nextAttemptAt: clock + 100, depositTx: "AB" });
      expect(await s.dueTopups()).to.deep.equal([]);
      clock += 100;
      expect(await s.dueTopups()).to.deep.equal([
        { ...a, attempts: 1, lastError: "no block", nextAttemptAt: clock, depositTx: "AB" },
      ]);
      await s.updateTopup(a.id, { state: "deposited" });
      expect(await s.dueTopups()).to.deep.equal([]);
      expect((await s.topupBySource("31337", "0xt", 3))!.state).to.equal("deposited");
    });

    it("records each handover's escrow (done: handed over; failed: refunded, with a handover_failed log entry) and sums it by outcome", async () => {
      const s = await leases();
      const job = await s.insert(lease("9"));
      const fact = (i: number) => ({
        leaseId: job.id,
        sourceChain: "31337",
        sourceTx: `0xh${i}`,
        logIndex: 0,
        block: i,
        kind: "transfer" as const,
        toHolder: `0x0114${String(i).repeat(40)}`,
        toChain: "31337",
      });
      const a = await s.insertHandover(fact(1));
      await s.updateHandover(a.id, { manifestHash: "ab".repeat(32) });
      const done = await s.completeHandover(a.id, "handed over", { uact: "5000000.250000000000000000", to: a.toHolder });
      expect(done).to.include({ state: "done", escrowUact: "5000000.250000000000000000", escrowTo: a.toHolder });
      expect((await s.get(job.id)).holder).to.equal(a.toHolder);
      const b = await s.insertHandover(fact(2));
      await s.updateHandover(b.id, { state: "closing", failureReason: "HTTP 400", escrowUact: "1200.000000000000000000" });
      expect(await s.leasesWithDueHandovers()).to.deep.equal([job.id]);
      const failed = await s.failHandover(b.id, "closed");
      expect(failed).to.include({
        state: "failed",
        escrowUact: "1200.000000000000000000",
        escrowTo: b.toHolder,
        failureReason: "HTTP 400",
      });
      // a deployment already gone: nothing recorded before → 0, still accounted to the new holder
      const c = await s.insertHandover(fact(3));
      expect(await s.failHandover(c.id, "gone")).to.include({ state: "failed", escrowUact: "0", escrowTo: c.toHolder });
      expect(await s.leasesWithDueHandovers()).to.deep.equal([]);
      expect((await s.events(job.id)).filter((e) => e.toState === "handover_failed").map((e) => e.detail)).to.deep.equal([
        "closed",
        "gone",
      ]);
      expect(await s.handoverEscrow()).to.deep.equal({ handed_over: 5_000_000n, refunded: 1200n, paid: 0n });
      // the failed one with escrow is owed a payout; paying it moves its escrow to `paid` and logs it
      expect((await s.handoversToPay()).map((h) => h.id)).to.deep.equal([b.id, c.id]);
      await s.updateHandover(b.id, { payoutState: "sent", payoutTx: "0x" + "cd".repeat(32), payoutNonce: 7 });
      expect(await s.payHandover(b.id, "paid 1200uact")).to.include({ payoutState: "paid", payoutNonce: 7 });
      expect((await s.events(job.id)).at(-1)).to.include({ fromState: "handover_failed", toState: "escrow_paid" });
      expect(await s.handoverEscrow()).to.deep.equal({ handed_over: 5_000_000n, refunded: 1200n, paid: 1200n });
      expect((await s.handoversToPay()).map((h) => h.id)).to.deep.equal([c.id]);
      expect(await s.handoverCounts()).to.include({ done: 1, failed: 2, closing: 0 });
    });

    it("keeps feed cursors and numbers lane reports once per purchase, in nonce order", async () => {
      const r = await reports();
      expect(await r.cursor("purchases:a")).to.equal(undefined);
      await r.setCursor("purchases:a", 41);
      await r.setCursor("purchases:a", 42);
      expect(await r.cursor("purchases:a")).to.equal(42);
      const encode = (nonce: number) => ({ message: `0x07${nonce}`, digest: `0xd${nonce}` });
      const report = (keyId: string, ok: boolean) => ({
        role: "sent" as const,
        laneSrc: 900,
        laneDst: 1,
        purchaseChain: "1",
        keyId,
        ok,
      });
      expect(await r.lastNonce("sent", 900, 1)).to.equal(0);
      const a = await r.insert(report("10", true), (last) => Math.max(last, 4) + 1, encode);
      expect(a).to.include({ role: "sent", laneSrc: 900, laneDst: 1, nonce: 5, keyId: "10", ok: true, message: "0x075" });
      expect(await r.insert(report("10", false), (last) => last + 1, encode)).to.deep.equal(a); // once per purchase
      clock += 10;
      const b = await r.insert(report("11", false), (last) => last + 1, encode);
      expect(b).to.include({ nonce: 6, ok: false, digest: "0xd6", createdAt: clock });
      expect(await r.lastNonce("sent", 900, 1)).to.equal(6);
      expect(await r.lastNonce("cosigned", 900, 1)).to.equal(0);
      expect(await r.atNonce("sent", 900, 1, 6)).to.deep.equal(b);
      expect(await r.byPurchase("sent", "1", "11")).to.deep.equal(b);
      expect((await r.laneAfter("sent", 900, 1, 4)).map((x) => x.nonce)).to.deep.equal([5, 6]);
      expect((await r.laneAfter("sent", 900, 1, 5)).map((x) => x.nonce)).to.deep.equal([6]);
      expect(await r.refundsSince("sent", 900, 1, 0)).to.equal(1);
      expect(await r.refundsSince("sent", 900, 1, clock + 1)).to.equal(0);
      // a second connection on the same database sees the same lane
      const again = await reports();
      expect(await again.lastNonce("sent", 900, 1)).to.equal(6);
    });
  });
}

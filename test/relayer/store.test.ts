// The operations queue and cursors, one suite run on both backends: SQLite (a temp file) and
// PostgreSQL (a throwaway cluster from Debian's packages, see helpers/postgres.ts).
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { OpStore, opId, type NewOp } from "../../relayer/store";
import { freshDatabase, startPostgres, type PgCluster } from "./helpers/postgres";

const op = (src: number, dst: number, nonce: number, height: number, source = "a"): NewOp => ({
  src,
  dst,
  nonce,
  kind: 7,
  message: `0x0107${nonce.toString(16).padStart(4, "0")}`,
  digest: `0x${nonce.toString(16).padStart(64, "0")}`,
  source,
  sourceHeight: height,
  sourceHash: `0xh${height}`,
  sourceTime: 1000 * height,
});

let pg: PgCluster | undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-store-"));
let dbCount = 0;

const backends: { name: string; open: () => Promise<{ a: OpStore; b: OpStore }> }[] = [
  {
    name: "sqlite",
    open: async () => {
      const file = path.join(tmp, `q${++dbCount}.db`);
      return { a: await OpStore.open({ sqlite: file }), b: await OpStore.open({ sqlite: file }) };
    },
  },
  {
    name: "postgres",
    open: async () => {
      const url = await freshDatabase(pg!.url, `hexs_q${++dbCount}`);
      return { a: await OpStore.open({ postgres: url }), b: await OpStore.open({ postgres: url }) };
    },
  },
];

before(function () {
  this.timeout(60_000);
  pg = startPostgres(18810);
});
after(() => {
  pg?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

for (const backend of backends) {
  describe(`relayer store: operations queue on ${backend.name}`, function () {
    let a: OpStore, b: OpStore;
    beforeEach(async function () {
      if (backend.name === "postgres" && !pg) {
        console.log("    PostgreSQL is not installed: apt-get install -y postgresql (or set HEXS_TEST_PG_URL)");
        this.skip();
      }
      ({ a, b } = await backend.open());
    });
    afterEach(async () => {
      await a?.close();
      await b?.close();
    });

    it("stores observed operations with the cursor atomically; a replay adds nothing twice", async () => {
      expect(await a.cursor("a")).to.equal(undefined);
      const n = await a.advance(
        "a",
        { height: 12, hash: "0xh12" },
        [
          { height: 10, hash: "0xh10" },
          { height: 12, hash: "0xh12" },
        ],
        [op(1, 2, 1, 10), op(1, 2, 2, 12)],
        100,
      );
      expect(n).to.equal(2);
      expect(await b.cursor("a")).to.deep.equal({ height: 12, hash: "0xh12" });
      expect(await a.advance("a", { height: 12, hash: "0xh12" }, [], [op(1, 2, 1, 10), op(1, 2, 2, 12)], 100)).to.equal(0);
      const got = await b.get(opId(1, 2, 2));
      expect(got).to.include({ state: "observed", attempts: 0, nonce: 2, sourceHeight: 12, src: 1, dst: 2 });
      expect(await b.counts()).to.include({ observed: 2, confirmed: 0 });
      expect((await a.blockHashes("a")).map((x) => x.height)).to.deep.equal([12, 10]);
    });

    it("a rewind drops un-submitted operations of orphaned blocks and keeps delivered ones", async () => {
      await a.advance(
        "a",
        { height: 5, hash: "0xh5" },
        [3, 4, 5].map((h) => ({ height: h, hash: `0xh${h}` })),
        [op(1, 2, 1, 3), op(1, 2, 2, 4), op(1, 2, 3, 5), op(1, 3, 1, 5)],
        100,
      );
      await a.transition([opId(1, 2, 2)], "submitted", { txHash: "0xt" });
      const r = await b.rewind("a", 3);
      expect(r.dropped).to.equal(2);
      expect(r.delivered.map((o) => o.id)).to.deep.equal([opId(1, 2, 2)]);
      expect(await a.cursor("a")).to.deep.equal({ height: 3, hash: "0xh3" });
      expect(await a.get(opId(1, 2, 3))).to.equal(undefined);
      expect((await a.blockHashes("a")).map((x) => x.height)).to.deep.equal([3]);
    });

    it("claims a lane once, honours backoff, parks and requeues", async () => {
      await a.advance("a", { height: 1, hash: "0x1" }, [], [op(1, 2, 1, 1), op(1, 2, 2, 1)], 100);
      const lane = await a.claimLane("i1", 10_000);
      expect(lane).to.deep.equal({ src: 1, dst: 2 });
      expect(await b.claimLane("i2", 10_000)).to.equal(undefined);
      await a.releaseLane(lane!, "i1", Date.now() + 60_000);
      expect(await b.claimLane("i2", 10_000)).to.equal(undefined, "backing off");
      await a.releaseLane(lane!, "i1", 0); // not the owner any more? still i1: released above
      await a.fail([opId(1, 2, 1)], "destination rejected: BadThing", Date.now(), true);
      expect(await b.claimLane("i2", 10_000)).to.equal(undefined, "a parked op blocks its lane");
      expect((await a.list({ state: "parked" }))[0]).to.include({
        id: opId(1, 2, 1),
        attempts: 1,
        lastError: "destination rejected: BadThing",
      });
      expect(await b.retry(opId(1, 2, 1))).to.equal(2);
      expect(await b.claimLane("i2", 10_000)).to.deep.equal({ src: 1, dst: 2 });
      // an expired claim can be taken over
      expect(await a.claimLane("i1", 10_000, Date.now() + 20_000)).to.deep.equal({ src: 1, dst: 2 });
    });

    it("confirms through the destination's lane nonce", async () => {
      await a.advance(
        "a",
        { height: 1, hash: "0x1" },
        [],
        [1, 2, 3].map((n) => op(1, 2, n, 1)),
        100,
      );
      const done = await b.confirmThrough({ src: 1, dst: 2 }, 2);
      expect(done.map((o) => o.nonce)).to.deep.equal([1, 2]);
      expect((await a.pendingOps({ src: 1, dst: 2 }, 10)).map((o) => o.nonce)).to.deep.equal([3]);
      expect((await a.opsRange({ src: 1, dst: 2 }, 2, 2)).map((o) => o.state)).to.deep.equal(["confirmed", "observed"]);
    });

    it("two instances claiming at once never take the same lane; tx nonces are never handed out twice", async () => {
      const ops: NewOp[] = [];
      for (let dst = 2; dst < 22; dst++) ops.push(op(1, dst, 1, 1));
      await a.advance("a", { height: 1, hash: "0x1" }, [], ops, 100);
      const taken: string[][] = [[], []];
      await Promise.all(
        [a, b].map(async (s, i) => {
          for (;;) {
            const l = await s.claimLane(`i${i}`, 60_000);
            if (!l) break;
            taken[i].push(`${l.src}-${l.dst}`);
          }
        }),
      );
      const all = [...taken[0], ...taken[1]];
      expect(new Set(all).size).to.equal(20);
      expect(all.length).to.equal(20);
      const nonces = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).allocateTxNonce("evm-a", "0xabc", 5)),
      );
      expect([...nonces].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 20 }, (_, i) => 5 + i));
      expect(await a.allocateTxNonce("evm-a", "0xabc", 40)).to.equal(40, "the chain's pending count wins when ahead");
      await b.resetTxNonce("evm-a", "0xabc");
      expect(await a.allocateTxNonce("evm-a", "0xabc", 7)).to.equal(7);
    });

    it("operator replay moves the cursor back without touching operations", async () => {
      await a.advance("a", { height: 50, hash: "0x50" }, [{ height: 50, hash: "0x50" }], [op(1, 2, 1, 50)], 100);
      await b.replayFrom("a", 20);
      expect(await a.cursor("a")).to.deep.equal({ height: 19, hash: null });
      expect(await a.counts()).to.include({ observed: 1 });
    });
  });
}

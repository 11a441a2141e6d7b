// A shard store's used-nonce table is cleaned by a timer (once a minute by default): nonces of
// challenges that expired (plus a minute's grace against a clock stepped back) are deleted, live
// ones stay and keep refusing replays; the delete uses the expiry index instead of scanning, and
// a request no longer pays for it (consume is one insert).
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NONCE_PRUNE_EVERY_MS, NONCE_PRUNE_GRACE_S, ShardDb } from "../../services/key-service/shard-store";
import Database from "better-sqlite3";
import { until } from "../until";

describe("key service: used nonces are pruned periodically", function () {
  this.timeout(30_000);
  let dir: string;
  let clock = Date.parse("2026-12-06T12:00:00Z");
  const nowS = () => Math.floor(clock / 1000);
  const open: ShardDb[] = [];
  const db = (pruneEveryMs: number) => {
    const d = new ShardDb(1, dir, Buffer.alloc(32, 7), { pruneEveryMs, now: () => clock });
    open.push(d);
    return d;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "hexs-nonce-prune-"));
  });
  afterEach(() => {
    for (const d of open.splice(0)) d.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("deletes nonces whose challenge expired (beyond the grace), keeps live ones, which still refuse a replay", () => {
    expect(NONCE_PRUNE_EVERY_MS).to.equal(60_000);
    const d = db(0);
    expect(d.consume("old", nowS() - NONCE_PRUNE_GRACE_S - 120)).to.equal(true);
    expect(d.consume("recent", nowS() - 10)).to.equal(true); // expired, within the grace
    expect(d.consume("live", nowS() + 300)).to.equal(true);
    expect(d.consume("live", nowS() + 300), "a replay").to.equal(false);
    expect(d.nonceCount()).to.equal(3);
    expect(d.pruneNonces()).to.equal(1);
    expect(d.nonceCount()).to.equal(2);
    expect(d.consume("live", nowS() + 300), "a replay after pruning").to.equal(false);
    // a request does not delete anything itself (consume is one insert)
    clock += 10 * 60_000;
    expect(d.consume("later", nowS() + 300)).to.equal(true);
    expect(d.nonceCount()).to.equal(3);
    expect(d.pruneNonces()).to.equal(2); // "recent" and "live" expired by now
    expect(d.nonceCount()).to.equal(1);
  });

  it("the store's timer prunes without any request, and the delete uses the expiry index", async () => {
    const d = db(50);
    for (let i = 0; i < 200; i++) d.consume(`expired-${i}`, nowS() - 3600);
    d.consume("live", nowS() + 300);
    await until("the timer pruned the expired nonces", 10_000, async () => d.nonceCount() === 1);
    expect(d.consume("live", nowS() + 300)).to.equal(false);
    expect(d.prunePlan()).to.match(/USING (COVERING )?INDEX nonces_expiry/);
  });

  it("a store whose table predates the timer gets the expiry index on open, and keeps its nonces", () => {
    const old = new Database(join(dir, "shards.sqlite"));
    old.exec("CREATE TABLE nonces (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)");
    old.prepare("INSERT INTO nonces VALUES (?, ?)").run("x", nowS() + 60);
    old.close();
    const d = db(0);
    expect(d.consume("x", nowS() + 60), "a replay of a nonce used before the upgrade").to.equal(false);
    expect(d.prunePlan()).to.match(/INDEX nonces_expiry/);
  });
});

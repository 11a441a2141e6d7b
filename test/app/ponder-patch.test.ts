// The patch of the installed Ponder (scripts/patch-ponder.ts, applied by scripts/app-deps.sh).
// Ponder's own backfill step (its sync-historical module, on the hardhat network) asks eth_getLogs
// once for all of a contract's events when they carry no topic filter — the filters Ponder's config
// builder makes from the indexer's handlers (topic1..3 null) — keeps a filter with a topic value in
// a request of its own, and still returns exactly the logs the filters match. The patch is in
// place, applies once, and refuses a Ponder it was not written for without touching the file.
// Run: npx hardhat test test/app/ponder-patch.test.ts (after scripts/app-deps.sh)
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers, network } from "hardhat";
import { zeroPadValue } from "ethers";
import { HexsError } from "../../sdk/errors";
import { TestToken__factory } from "../../sdk/typechain";
import { applyPatch, PATCHES, patchPonder, PONDER_DIR, PONDER_VERSION, stateOf } from "../../scripts/patch-ponder";

// Ponder is an ES module package whose exports map hides these modules: loaded by path
// (Node's require of an ES module).
type Filter = Record<string, unknown>;
type HistoricalSync = {
  syncBlockRangeData(a: {
    interval: [number, number];
    requiredIntervals: { filter: Filter; interval: [number, number] }[];
    requiredFactoryIntervals: never[];
    syncStore: object;
  }): Promise<{ address: string; topics: string[]; blockNumber: string; logIndex: string }[]>;
};
const { createHistoricalSync } = require(path.join(PONDER_DIR, "dist/esm/sync-historical/index.js")) as {
  createHistoricalSync(a: object): HistoricalSync;
};
const { createLogger } = require(path.join(PONDER_DIR, "dist/esm/internal/logger.js")) as {
  createLogger(a: { level: string }): object;
};

describe("Ponder's backfill, patched: one eth_getLogs per contract", function () {
  this.timeout(120_000);

  it("asks once for a contract's unfiltered events, apart for a topic-filtered one, and returns each matched log", async () => {
    const [deployer, holder, spender, other] = await ethers.getSigners();
    const a = await new TestToken__factory(deployer).deploy();
    const b = await new TestToken__factory(deployer).deploy();
    const from = await ethers.provider.getBlockNumber();
    await (await a.mint(holder.address, 5n)).wait();
    await (await a.connect(holder).approve(spender.address, 3n)).wait();
    await (await b.mint(holder.address, 7n)).wait();
    await (await b.mint(other.address, 9n)).wait();
    const to = await ethers.provider.getBlockNumber();
    const transfer = a.interface.getEvent("Transfer")!.topicHash;
    const approval = a.interface.getEvent("Approval")!.topicHash;
    const toHolder = zeroPadValue(holder.address, 32).toLowerCase();

    // as Ponder's config builder (build/config.js) makes them: topic1..3 null without a `filter`
    const filter = (address: string, topic0: string, topic2: string | null = null): Filter => ({
      type: "log",
      chainId: 31337,
      sourceId: "test",
      address: address.toLowerCase(),
      topic0,
      topic1: null,
      topic2,
      topic3: null,
      fromBlock: from,
      toBlock: to,
      hasTransactionReceipt: false,
      include: [],
    });
    const filters = [
      filter(await a.getAddress(), transfer),
      filter(await a.getAddress(), approval),
      filter(await b.getAddress(), transfer, toHolder), // b's transfers to the holder only
    ];
    const requests: { method: string; params: unknown[] }[] = [];
    const sync = createHistoricalSync({
      common: { logger: createLogger({ level: "silent" }), options: { factoryAddressCountThreshold: 1000 } },
      chain: { name: "hardhat", id: 31337 },
      rpc: {
        request: (body: { method: string; params: unknown[] }) => {
          requests.push(body);
          return network.provider.request(body);
        },
      },
      childAddresses: new Map(),
    });
    const logs = await sync.syncBlockRangeData({
      interval: [from, to],
      requiredIntervals: filters.map((f) => ({ filter: f, interval: [from, to] as [number, number] })),
      requiredFactoryIntervals: [],
      syncStore: {}, // only written to for factories' child addresses, none here
    });

    const getLogs = requests.filter((r) => r.method === "eth_getLogs").map((r) => r.params[0]);
    expect(requests.map((r) => r.method)).to.deep.equal(["eth_getLogs", "eth_getLogs"]);
    expect(getLogs).to.deep.include({
      address: (await a.getAddress()).toLowerCase(),
      topics: [[transfer, approval]],
      fromBlock: ethers.toQuantity(from),
      toBlock: ethers.toQuantity(to),
    });
    expect(getLogs).to.deep.include({
      address: (await b.getAddress()).toLowerCase(),
      topics: [transfer, null, toHolder],
      fromBlock: ethers.toQuantity(from),
      toBlock: ethers.toQuantity(to),
    });
    const seen = logs.map((l) => `${l.address}:${l.topics[0] === transfer ? "Transfer" : "Approval"}:${l.topics[2]}`).sort();
    expect(seen).to.deep.equal(
      [
        `${(await a.getAddress()).toLowerCase()}:Approval:${zeroPadValue(spender.address, 32).toLowerCase()}`,
        `${(await a.getAddress()).toLowerCase()}:Transfer:${toHolder}`,
        `${(await b.getAddress()).toLowerCase()}:Transfer:${toHolder}`,
      ].sort(),
    );
  });

  it("is applied to the installed Ponder", () => {
    expect(patchPonder(PONDER_DIR, true)).to.deep.equal(PATCHES.map((p) => `${p.name}: already applied`));
  });

  it("turns Ponder's original text into the installed one, and changes nothing a second time", () => {
    for (const patch of PATCHES) {
      const installed = fs.readFileSync(path.join(PONDER_DIR, patch.file), "utf8");
      const original = patch.edits.reduce((t, e) => t.replace(e.to, e.from), installed);
      expect(original).to.not.equal(installed);
      expect(stateOf(patch, original)).to.equal("original");
      expect(applyPatch(patch, original)).to.equal(installed);
      expect(applyPatch(patch, installed)).to.equal(installed);
    }
  });

  it("refuses another Ponder version or a changed file and leaves the file as it was", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-ponder-patch-"));
    try {
      const [patch] = PATCHES;
      const file = path.join(dir, patch.file);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const installed = fs.readFileSync(path.join(PONDER_DIR, patch.file), "utf8");
      const original = patch.edits.reduce((t, e) => t.replace(e.to, e.from), installed);
      const refused = (code: string) => {
        try {
          patchPonder(dir);
        } catch (err) {
          expect(err).to.be.instanceOf(HexsError);
          expect((err as HexsError).code).to.equal(code);
          return (err as HexsError).message;
        }
        expect.fail(`patchPonder accepted what it should refuse (${code})`);
      };

      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ version: "0.17.0" }));
      fs.writeFileSync(file, original);
      expect(refused("ponder_patch_version")).to.contain("0.17.0").and.contain(PONDER_VERSION);
      expect(fs.readFileSync(file, "utf8")).to.equal(original);

      // the right version, but one of the patched lines changed upstream
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ version: PONDER_VERSION }));
      const changed = original.replace(patch.edits[1].from, "const hasTopic2 = filter.topic2 != null;");
      fs.writeFileSync(file, changed);
      expect(refused("ponder_patch_mismatch")).to.contain(patch.file).and.contain("0× the original");
      expect(fs.readFileSync(file, "utf8")).to.equal(changed);

      // and the original, in the same place, is patched
      fs.writeFileSync(file, original);
      expect(patchPonder(dir)).to.deep.equal([`${patch.name}: applied`]);
      expect(fs.readFileSync(file, "utf8")).to.equal(installed);
      expect(patchPonder(dir, true)).to.deep.equal([`${patch.name}: already applied`]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

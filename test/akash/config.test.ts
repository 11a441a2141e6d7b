// The relayer config's `akash` section: every mistake names the field and says what to do.
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError, loadConfig, parseConfig } from "../../relayer/config";
import { purchaseChains } from "../../relayer/akash/feeds";
import { readMnemonic } from "../../relayer/akash/service";
import { LeaseReportStore } from "../../relayer/store";

const base = (akash: Record<string, unknown>) => ({
  operator: { key: { env: "X" } },
  chains: [{ type: "evm", name: "a", hexsChainId: 1, rpc: "http://127.0.0.1:8545", hub: "0x" + "11".repeat(20) }],
  store: { sqlite: "r.db" },
  http: { port: 0 },
  akash,
});
const leader = {
  rpc: "http://127.0.0.1:18600",
  rest: "http://127.0.0.1:18601",
  mnemonic: { file: "akash.mnemonic" },
  keyService: "http://127.0.0.1:18500",
  purchases: [{ chain: "a", market: "0x" + "22".repeat(20) }],
};

function configError(raw: unknown): ConfigError {
  try {
    parseConfig(raw, "relayer.yaml");
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a config error");
}

describe("relayer config: the akash section", () => {
  it("a leader section parses with its defaults (lane 900, attested reports, 1 co-signer, 20 refunds per hour)", () => {
    const c = parseConfig(base(leader));
    expect(c.akash).to.include({ hexsChainId: 900, role: "leader", gasPrice: "0.025uakt", db: "akash.sqlite" });
    expect(c.akash!.report).to.deep.equal({ mode: "attested", minCosigners: 1, refundsPerHour: 20 });
  });

  it("refuses a leader without an Akash account, an SDL source or purchase chains, naming each field", () => {
    const e = configError(base({ rpc: leader.rpc, rest: leader.rest }));
    expect(e.message).to.match(/akash\.mnemonic: required for role leader/);
    expect(e.message).to.match(/akash\.keyService: required for role leader/);
    expect(e.message).to.match(/akash\.purchases: name at least one purchase chain/);
  });

  it("refuses a co-signer without leaders, fees not in uakt, a bad leader address and unknown keys", () => {
    expect(configError(base({ ...leader, role: "cosigner", mnemonic: undefined })).message).to.match(
      /akash\.leaders: required for role cosigner/,
    );
    expect(configError(base({ ...leader, gasPrice: "0.025uact" })).message).to.match(/akash\.gasPrice: fees are paid in uakt/);
    expect(configError(base({ ...leader, role: "cosigner", leaders: ["cosmos1abc"] })).message).to.match(
      /akash\.leaders\[0\]: expected an akash1… account address/,
    );
    expect(configError(base({ ...leader, bidWindow: 3 })).message).to.match(/akash: .*bidWindow/i);
    expect(configError(base({ ...leader, policy: { bidWindowMs: -1 } })).message).to.match(/akash\.policy\.bidWindowMs/);
  });

  it("escrow payouts: stuckBlocks and maxFeeBumps default to 20 and 4, are read from the config, and bad values are refused by name", () => {
    const native = "0x" + "00".repeat(20);
    const payouts = { currency: { a: native }, rates: { [native]: { uactNumerator: 1, unitDenominator: "1000000000" } } };
    expect(parseConfig(base({ ...leader, payouts })).akash!.payouts).to.include({ stuckBlocks: 20, maxFeeBumps: 4 });
    expect(parseConfig(base({ ...leader, payouts: { ...payouts, stuckBlocks: 5, maxFeeBumps: 0 } })).akash!.payouts).to.include({
      stuckBlocks: 5,
      maxFeeBumps: 0,
    });
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ stuckBlocks: 0 }, /akash\.payouts\.stuckBlocks: at least 1 block/],
      [{ stuckBlocks: 2.5 }, /akash\.payouts\.stuckBlocks: a whole number of blocks/],
      [{ stuckBlocks: "20" }, /akash\.payouts\.stuckBlocks/],
      [{ maxFeeBumps: -1 }, /akash\.payouts\.maxFeeBumps: at least 0/],
      [{ maxFeeBumps: 9 }, /akash\.payouts\.maxFeeBumps: at most 8 doublings/],
    ];
    for (const [bad, message] of refused)
      expect(configError(base({ ...leader, payouts: { ...payouts, ...bad } })).message).to.match(message);
  });

  it("escrow payouts: a bank denom is a payout currency (the CosmWasm chain's bank send); a malformed currency or a denom without a rate is refused by name", () => {
    const rates = { ucosm: { uactNumerator: 2, unitDenominator: 3 } };
    expect(parseConfig(base({ ...leader, payouts: { currency: { a: "ucosm" }, rates } })).akash!.payouts!.currency).to.deep.equal(
      {
        a: "ucosm",
      },
    );
    expect(configError(base({ ...leader, payouts: { currency: { a: "0x12" }, rates } })).message).to.match(
      /akash\.payouts\.currency\.a: .*EVM address \(EVM chain\) or a bank denom/,
    );
    expect(configError(base({ ...leader, payouts: { currency: { a: "ustake" }, rates } })).message).to.match(
      /akash\.payouts\.rates: no non-zero rate for ustake, the payout currency of a/,
    );
  });

  it("escrow payouts: refuses a payout chain outside akash.purchases and a payout currency without a non-zero rate", () => {
    const native = "0x" + "00".repeat(20);
    const rates = { [native]: { uactNumerator: 1, unitDenominator: "1000000000" } };
    expect(configError(base({ ...leader, payouts: { currency: { b: native }, rates } })).message).to.match(
      /akash\.payouts\.currency\.b: b is not one of akash\.purchases/,
    );
    expect(configError(base({ ...leader, payouts: { currency: { a: native }, rates: {} } })).message).to.match(
      /akash\.payouts\.rates: no non-zero rate for 0x0{40}, the payout currency of a/,
    );
    expect(
      configError(
        base({ ...leader, payouts: { currency: { a: native }, rates: { [native]: { uactNumerator: 0, unitDenominator: 1 } } } }),
      ).message,
    ).to.match(/akash\.payouts\.rates: no non-zero rate/);
  });

  it("resolves the section's files against the config file's folder", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-akash-cfg-"));
    const file = path.join(dir, "relayer.json");
    fs.writeFileSync(file, JSON.stringify(base({ ...leader, sdlDir: "sdls" })));
    const c = loadConfig(file);
    expect(c.akash!.db).to.equal(path.join(dir, "akash.sqlite"));
    expect(c.akash!.mnemonic).to.deep.equal({ file: path.join(dir, "akash.mnemonic") });
    expect(c.akash!.sdlDir).to.equal(path.join(dir, "sdls"));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("at start: a purchase chain missing from chains[], an EVM chain without its market, a mnemonic file others can read", async () => {
    const store = await LeaseReportStore.open(":memory:");
    const c = parseConfig(base(leader));
    expect(() => purchaseChains(c.chains, [{ chain: "b" }], store, false)).to.throw(
      /akash\.purchases\[0\]\.chain: 'b' is not in chains\[\] \(a\)/,
    );
    expect(() => purchaseChains(c.chains, [{ chain: "a" }], store, false)).to.throw(
      /akash\.purchases\[0\]\.market: required for the EVM chain 'a'/,
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-akash-cfg-"));
    const m = path.join(dir, "akash.mnemonic");
    fs.writeFileSync(m, "word ".repeat(12), { mode: 0o644 });
    fs.chmodSync(m, 0o644);
    expect(() => readMnemonic({ file: m })).to.throw(/readable by others .*chmod 600/);
    expect(() => readMnemonic({ env: "HEXS_SURELY_UNSET_VAR" })).to.throw(/HEXS_SURELY_UNSET_VAR is not set/);
    fs.rmSync(dir, { recursive: true, force: true });
    await store.close();
  });

  it("`relayer leases` lists the lease jobs of the akash section's database with their handovers' escrow accounting and payouts (state, amount, holder, tx; and says when there is no section)", async () => {
    const { main } = await import("../../relayer/cli");
    const { LeaseStore } = await import("../../relayer/store");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-akash-cli-"));
    const file = path.join(dir, "relayer.json");
    fs.writeFileSync(file, JSON.stringify(base(leader)));
    const leases = await LeaseStore.open(path.join(dir, "akash.sqlite"));
    await leases.insert({
      purchaseChain: "1",
      keyId: "4294967297",
      modelId: "4294967297",
      buyer: "0xb",
      paramsJson: "{}",
      akashChain: "akash-standin-1",
      owner: "akash1x",
    });
    const h = await leases.insertHandover({
      leaseId: 1,
      sourceChain: "1",
      sourceTx: "0x" + "cd".repeat(32),
      logIndex: 0,
      block: 5,
      kind: "transfer",
      toHolder: "0x0114" + "22".repeat(20),
      toChain: "1",
    });
    await leases.updateHandover(h.id, { state: "closing", escrowUact: "4200.000000000000000000", failureReason: "refused" });
    await leases.failHandover(h.id, "test");
    // a second failed handover whose escrow payout was sent (tx persisted, receipt not seen yet)
    const h2 = await leases.insertHandover({
      leaseId: 1,
      sourceChain: "1",
      sourceTx: "0x" + "ce".repeat(32),
      logIndex: 0,
      block: 6,
      kind: "transfer",
      toHolder: "0x0114" + "33".repeat(20),
      toChain: "1",
    });
    await leases.updateHandover(h2.id, { state: "closing", escrowUact: "100.5", failureReason: "refused" });
    await leases.failHandover(h2.id, "test");
    const payTx = "0x" + "ef".repeat(32);
    await leases.updateHandover(h2.id, {
      payoutState: "sent",
      payoutTo: "0x" + "33".repeat(20),
      payoutChain: "1",
      payoutCurrency: "0x0000000000000000000000000000000000000000",
      payoutAmount: "100000000000",
      payoutNonce: 7,
      payoutRaw: "0x02",
      payoutTx: payTx,
      payoutNote: "100uact at 1/1000000000 uact per unit",
    });
    await leases.close();
    let out = "";
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
    try {
      expect(await main(["leases", "--config", file])).to.equal(0);
    } finally {
      process.stdout.write = write;
    }
    expect(JSON.parse(out)[0]).to.include({ id: 1, purchaseChain: "1", keyId: "4294967297", state: "requested" });
    expect(JSON.parse(out)[0].handovers).to.deep.equal([
      {
        id: h.id,
        state: "failed",
        toHolder: "0x0114" + "22".repeat(20),
        toChain: "1",
        escrowUact: "4200.000000000000000000",
        escrowTo: "0x0114" + "22".repeat(20),
        failureReason: "refused",
        lastError: null,
        report: null,
        payout: null, // not decided yet
      },
      {
        id: h2.id,
        state: "failed",
        toHolder: "0x0114" + "33".repeat(20),
        toChain: "1",
        escrowUact: "100.5",
        escrowTo: "0x0114" + "33".repeat(20),
        failureReason: "refused",
        lastError: null,
        report: null,
        payout: {
          state: "sent",
          holder: "0x" + "33".repeat(20),
          chain: "1",
          currency: "0x0000000000000000000000000000000000000000",
          amount: "100000000000",
          tx: payTx,
          nonce: 7,
          attempts: 0,
          note: "100uact at 1/1000000000 uact per unit",
        },
      },
    ]);
    // the signed bytes stay in the store: the listing never prints them
    expect(out).to.not.include('"0x02"');
    const bare = path.join(dir, "bare.json");
    fs.writeFileSync(bare, JSON.stringify({ ...base(leader), akash: undefined }));
    let err: unknown;
    await main(["leases", "--config", bare]).catch((e: unknown) => (err = e));
    expect((err as Error).message).to.match(/no akash section/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

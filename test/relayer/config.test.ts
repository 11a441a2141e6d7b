// The config loader: valid files load with defaults; every malformed one fails naming the field.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Wallet } from "ethers";
import {
  ConfigError,
  checkRelayerSet,
  loadConfig,
  loadKey,
  loadRelayerKeys,
  parseConfig,
  describeConfig,
} from "../../relayer/config";

const good = () => ({
  operator: { key: { env: "HEXS_TEST_KEY" }, submitterKey: { env: "HEXS_TEST_SUBMITTER_KEY" } },
  peers: [{ name: "r2", url: "http://127.0.0.1:9" }],
  chains: [
    {
      type: "evm",
      name: "a",
      hexsChainId: 1,
      rpc: "http://127.0.0.1:8545",
      hub: "0x" + "11".repeat(20),
      gateway: "0x" + "22".repeat(20),
      deliverTo: [100],
    },
    {
      type: "cosmwasm",
      name: "w",
      hexsChainId: 100,
      rpc: "http://127.0.0.1:26657",
      contract: "wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d",
      gasPrice: "0ucosm",
      deliverTo: [1],
    },
  ],
  store: { sqlite: "relayer.db" },
  http: { port: 0 },
});

function fails(raw: unknown, field: string): ConfigError {
  try {
    parseConfig(raw, "test.json");
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    expect((e as ConfigError).field).to.equal(field);
    expect((e as Error).message).to.contain(field);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("relayer config", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-cfg-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("loads a valid file with defaults and resolves paths against the file", () => {
    const file = path.join(dir, "r.json");
    fs.writeFileSync(file, JSON.stringify(good()));
    const c = loadConfig(file);
    expect(c.store).to.deep.equal({ sqlite: path.join(dir, "relayer.db") });
    const a = c.chains[0];
    expect(a.type === "evm" && a.confirmations).to.equal(2);
    expect(c.delivery.maxBatch).to.equal(64);
    expect(c.delivery.pipeline).to.equal(8);
    expect(c.delivery.takeoverMs).to.equal(3_000);
    expect(JSON.stringify(describeConfig(c))).not.to.match(/key/i);
  });

  it("names the bad field", () => {
    const g1 = good() as { chains: Record<string, unknown>[] };
    g1.chains[0].rpc = "localhost:8545";
    expect(fails(g1, "chains[0].rpc").message).to.contain("http");
    const g2 = good() as { chains: Record<string, unknown>[] };
    g2.chains[0].hub = "0x1234";
    fails(g2, "chains[0].hub");
    const g3 = good() as { chains: Record<string, unknown>[] };
    g3.chains[0].deliverTo = [7];
    expect(fails(g3, "chains[0].deliverTo[0]").message).to.contain("chain 7 is not configured");
    fails({ ...good(), http: { port: 70000 } }, "http.port");
    fails({ ...good(), store: { mysql: "x" } }, "store");
    fails({ ...good(), surprise: true }, "(root)");
    const g4 = good() as { chains: Record<string, unknown>[] };
    g4.chains[1].hexsChainId = 1;
    fails(g4, "chains[1].hexsChainId");
    const g5 = good() as { chains: Record<string, unknown>[] };
    delete g5.chains[0].gateway; // chain 100 delivers to EVM chain 1: it needs its gateway
    fails(g5, "chains[0].gateway");
    // an EVM destination's own batch size: beyond what peers sign (1024), or a gas budget above
    // what a pipelined batch may carry (15M)
    const g6 = good() as { chains: Record<string, unknown>[] };
    g6.chains[0].maxBatch = 1025;
    fails(g6, "chains[0].maxBatch");
    const g7 = good() as { chains: Record<string, unknown>[] };
    g7.chains[0].batchGas = 20_000_000;
    fails(g7, "chains[0].batchGas");
  });

  it("reports unreadable and unparsable files", () => {
    expect(() => loadConfig(path.join(dir, "missing.json"))).to.throw(ConfigError, /cannot read/);
    fs.writeFileSync(path.join(dir, "bad.yaml"), "chains: [\n");
    expect(() => loadConfig(path.join(dir, "bad.yaml"))).to.throw(ConfigError, /not valid YAML/);
  });

  it("reads the operator key from env or a private key file, never echoing it", () => {
    const pk = "0x" + "42".repeat(32);
    delete process.env.HEXS_TEST_KEY;
    expect(() => loadKey({ env: "HEXS_TEST_KEY" })).to.throw(ConfigError, /HEXS_TEST_KEY is not set/);
    process.env.HEXS_TEST_KEY = "nope";
    try {
      loadKey({ env: "HEXS_TEST_KEY" });
      expect.fail();
    } catch (e) {
      expect((e as Error).message)
        .to.contain("operator.key")
        .and.not.contain("nope");
    }
    process.env.HEXS_TEST_KEY = pk;
    expect(loadKey({ env: "HEXS_TEST_KEY" }).privateKey).to.equal(pk);
    const kf = path.join(dir, "key");
    fs.writeFileSync(kf, pk + "\n", { mode: 0o644 });
    fs.chmodSync(kf, 0o644);
    expect(() => loadKey({ file: kf })).to.throw(ConfigError, /chmod 600/);
    fs.chmodSync(kf, 0o600);
    expect(loadKey({ file: kf }).privateKey).to.equal(pk);
    delete process.env.HEXS_TEST_KEY;
  });

  // issue 11 item 16: the attestation key never signs transactions
  it("outside a devnet: a submitter key is required and must not be the attestation key", () => {
    const noSubmitter = { ...good(), operator: { key: { env: "HEXS_TEST_KEY" } } };
    expect(fails(noSubmitter, "operator.submitterKey").message).to.contain("the attestation key (operator.key) never signs them");
    const sameEnv = { ...good(), operator: { key: { env: "HEXS_TEST_KEY" }, submitterKey: { env: "HEXS_TEST_KEY" } } };
    expect(fails(sameEnv, "operator.submitterKey").message).to.contain("is the attestation key");
    const g = good() as { operator: unknown; chains: Record<string, unknown>[] };
    g.operator = { key: { file: "op.key" } };
    g.chains[0].submitterKey = { file: "sub-a.key" };
    g.chains[1].submitterKey = { file: "./op.key" };
    fails(g, "chains[1].submitterKey");
    // per-chain keys are enough; a devnet may use one key for both
    g.chains[1].submitterKey = { file: "sub-w.key" };
    expect(parseConfig(g).operator.submitterKey).to.equal(undefined);
    expect(parseConfig({ ...noSubmitter, devnet: true }).devnet).to.equal(true);
  });

  it("loadRelayerKeys: separate keys for attesting and submitting; the same private key under another name is refused", () => {
    const attest = Wallet.createRandom();
    const submitter = Wallet.createRandom();
    process.env.HEXS_TEST_KEY = attest.privateKey;
    process.env.HEXS_TEST_SUBMITTER_KEY = submitter.privateKey;
    const cfg = parseConfig(good());
    const keys = loadRelayerKeys(cfg);
    expect(new Wallet(keys.attest).address).to.equal(attest.address);
    for (const c of cfg.chains) expect(new Wallet(keys.submitter(c)).address).to.equal(submitter.address);
    process.env.HEXS_TEST_SUBMITTER_KEY = attest.privateKey; // another env var, the same key
    expect(() => loadRelayerKeys(cfg))
      .to.throw(ConfigError, /operator.submitterKey: is the attestation key/)
      .with.property("field", "operator.submitterKey");
    // a devnet without a submitter key submits with its one key
    const dev = parseConfig({ ...good(), devnet: true, operator: { key: { env: "HEXS_TEST_KEY" } } });
    expect(new Wallet(loadRelayerKeys(dev).submitter(dev.chains[0])).address).to.equal(attest.address);
    delete process.env.HEXS_TEST_KEY;
    delete process.env.HEXS_TEST_SUBMITTER_KEY;
  });

  // issue 11 item 11 (relayer mirror of the gateways' rule)
  it("outside a devnet a delivering relayer needs peers (no 1-of-1); a destination's relayer set must be a majority", () => {
    expect(fails({ ...good(), peers: [] }, "peers").message).to.contain("1-of-1");
    expect(parseConfig({ ...good(), peers: [], devnet: true }).peers).to.deep.equal([]);
    const members = (n: number) => Array.from({ length: n }, () => Wallet.createRandom().address);
    expect(() => checkRelayerSet({ threshold: 1, members: members(2) }, false, "b")).to.throw(
      ConfigError,
      /1 of 2 signatures: not more than half/,
    );
    expect(() => checkRelayerSet({ threshold: 2, members: members(4) }, true, "b")).to.throw(ConfigError, /2 of 4 signatures/);
    expect(() => checkRelayerSet({ threshold: 1, members: members(1) }, false, "b")).to.throw(
      ConfigError,
      /1-of-1: one key moves the lane/,
    );
    checkRelayerSet({ threshold: 1, members: members(1) }, true, "b");
    checkRelayerSet({ threshold: 2, members: members(3) }, false, "b");
  });
});

// A purchase made on the CosmWasm chain gets its lease: three in-process relayers (2-of-3) read
// the contract's PurchaseSettled (with a deployment) on a real wasmd, the leader opens the lease
// on the Akash stand-in (SDL decrypted as its operator key through the key service), and the
// LeaseReported on the Akash lane (900 → 100), checked on Akash by the co-signers, is delivered
// to the contract with `receive_batch`, which releases the purchase's escrow.
// wasmd: scripts/wasmd.sh in a temp home on 127.0.0.1:19070-19075 (WASMD_EXTERNAL=1: the runner's).
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DirectSecp256k1Wallet } from "@cosmjs/proto-signing";
import { fromHex } from "@cosmjs/encoding";
import { SigningKey, Wallet, keccak256 } from "ethers";
import { parseConfig } from "../../relayer/config";
import { Relayer } from "../../relayer/relayer";
import { cosmwasmKeyCondition, evmHolder, grantOperators, KeyServiceClient, localEndpoints, sealSdl } from "../../sdk/keys";
import {
  connect,
  deploy,
  devnetEnv,
  eventAttr,
  HEXS_CHAIN,
  instantiateMsg,
  publishMsg,
  startDevnet,
  stopDevnet,
  type DevnetEnv,
  type User,
} from "../../devnet/wasmd";
import { keyService } from "../keys/helpers";
import { fundAkash, RELAYER_MNEMONIC, SDL_FILE, startEnv, type Env } from "./helpers/env";
import { until } from "../until";
import { cosmosHolderWord } from "../../relayer/akash/feeds";

// relayer HTTP base, base+1, base+2; wasmd RPC base+40, gRPC base+45; the stand-in from base+50
// (HEXS_AKASH_WASMD_TEST_PORT moves them all; the default keeps 19030-19032 and 19070/19075)
const PORT_BASE = Number(process.env.HEXS_AKASH_WASMD_TEST_PORT ?? 19030);
const HTTP_PORTS = [PORT_BASE, PORT_BASE + 1, PORT_BASE + 2];
const keys = [0, 1, 2].map((i) => new Wallet(keccak256(Buffer.from(`hexs-akash-wasmd-test-${i}`))));

describe("a CosmWasm purchase with a deployment → Akash lease → LeaseReported applied on wasmd (2-of-3)", function () {
  this.timeout(900_000);
  let dir: string;
  let started = false;
  let env: DevnetEnv;
  let akashEnv: Env;
  let admin: User, bob: User;
  let contract: string;
  let modelId: bigint;
  let leaderWasm: string; // the leader's account on wasmd: where the model's DAO pays for infrastructure
  let svc: Awaited<ReturnType<typeof keyService>>;
  const relayers: Relayer[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-akash-wasmd-"));
    if (process.env.WASMD_EXTERNAL !== "1")
      Object.assign(process.env, {
        WASMD_HOME: path.join(dir, "wasmd"),
        WASMD_RPC_PORT: String(PORT_BASE + 40),
        WASMD_GRPC_PORT: String(PORT_BASE + 45),
      });
    started = startDevnet();
    env = devnetEnv();
    [admin, bob] = await Promise.all(["validator", "bob"].map((n) => connect(n, env)));
    const pubkeys = keys.map((k) => SigningKey.computePublicKey(k.signingKey.publicKey, true).slice(2));
    ({ contract } = await deploy(admin, instantiateMsg(admin.address, pubkeys, env.denom)));
    for (const k of keys) {
      const w = await DirectSecp256k1Wallet.fromKey(fromHex(k.privateKey.slice(2)), "wasm");
      const address = (await w.getAccounts())[0].address;
      leaderWasm ??= address;
      await admin.client.sendTokens(admin.address, address, [{ denom: env.denom, amount: "1000000" }], "auto");
    }
    akashEnv = await startEnv({ firstPort: process.env.HEXS_AKASH_WASMD_TEST_PORT ? PORT_BASE + 50 : 18660 });
    const leaderAkash = await akashEnv.client(RELAYER_MNEMONIC);
    fundAkash(akashEnv, leaderAkash.address);
    fs.writeFileSync(path.join(dir, "akash.mnemonic"), RELAYER_MNEMONIC, { mode: 0o600 });

    svc = await keyService([{ name: "hexs-wasm-100", kind: "cosmwasm", rpcUrl: env.rpc }]);
    const client = new KeyServiceClient(localEndpoints(svc.url));
    const creator = Wallet.createRandom();
    const owner = evmHolder(creator, creator.address.toLowerCase());
    const sealed = await sealSdl(client, owner, fs.readFileSync(SDL_FILE, "utf8"), { imageDigest: "0x" + "78".repeat(32) });
    const pub = await admin.client.execute(
      admin.address,
      contract,
      // admin is the model's DAO: it pays for the model's infrastructure (the last test)
      publishMsg({ sdlUri: sealed.upload.locator, price: "1000", deployPrice: "5000", forkRoyaltyBps: 0, dao: admin.address }),
      "auto",
    );
    modelId = BigInt(eventAttr(pub.events, "wasm", "model")!);
    await client.setConditions(owner, sealed.upload.cid, {
      conditions: [cosmwasmKeyCondition(1, "hexs-wasm-100", contract, modelId)],
    });
    await grantOperators(
      client,
      owner,
      sealed.upload.locator,
      keys.map((k) => k.address),
    ); // the leader decrypts to deploy, the co-signers to check manifests

    const height = await admin.client.getHeight();
    for (const i of [0, 1, 2]) {
      process.env[`HEXS_AKASH_CW_KEY_${i}`] = keys[i].privateKey;
      const cfg = parseConfig({
        instance: `akash-cw${i}`,
        operator: { key: { env: `HEXS_AKASH_CW_KEY_${i}` } },
        devnet: true, // one key attests and submits (a test setup)
        chains: [
          {
            type: "cosmwasm",
            name: "wasmd",
            hexsChainId: HEXS_CHAIN,
            rpc: env.rpc,
            contract,
            gasPrice: `0${env.denom}`,
            confirmations: 0,
            startHeight: height,
            pollIntervalMs: 200,
          },
        ],
        peers: [0, 1, 2].filter((j) => j !== i).map((j) => ({ name: `cw${j}`, url: `http://127.0.0.1:${HTTP_PORTS[j]}` })),
        store: { sqlite: path.join(dir, `r${i}.db`) },
        http: { port: HTTP_PORTS[i] },
        delivery: { attestTimeoutMs: 1000, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
        akash: {
          role: i === 0 ? "leader" : "cosigner",
          rpc: akashEnv.standin.rpcUrl,
          rest: akashEnv.standin.restUrl,
          db: path.join(dir, `akash-${i}.sqlite`),
          purchases: [{ chain: "wasmd", from: height }],
          pollMs: 200,
          ...(i === 0
            ? {
                mnemonic: { file: path.join(dir, "akash.mnemonic") },
                keyService: svc.url,
                topups: { cosmosReceiver: leaderWasm, rates: { [env.denom]: { uactNumerator: "3", unitDenominator: "1" } } },
                policy: { bidWindowMs: 300, pollMs: 50, backoffBaseMs: 50, backoffMaxMs: 300, maxAttempts: 3, txTimeoutMs: 3000 },
              }
            : { leaders: [leaderAkash.address], keyService: svc.url }),
        },
      });
      const r = new Relayer(cfg);
      await r.start();
      relayers.push(r);
    }
    for (const r of relayers) await r.akash!.started;
  });

  after(async () => {
    for (const r of relayers) await r.stop().catch(() => undefined);
    await svc?.close();
    await akashEnv?.close();
    for (const c of [admin, bob]) c?.client.disconnect();
    stopDevnet(started);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("bob buys with a deployment on wasmd → the lease runs on Akash → LeaseReported #1 releases the escrow on wasmd", async () => {
    const buy = await bob.client.execute(
      bob.address,
      contract,
      { buy_key: { model: modelId.toString(), recipient: null, with_deployment: true } },
      "auto",
      undefined,
      [{ denom: env.denom, amount: "6000" }],
    );
    const keyId = eventAttr(buy.events, "wasm", "token_id")!;
    const leader = relayers[0].akash!;
    const done = await until("the lease to be reported", 90_000, async () => {
      const r = await leader.leases!.byPurchase(String(HEXS_CHAIN), keyId);
      return r && ["reported", "failed"].includes(r.state) ? r : undefined;
    });
    expect(done.state, done.lastError ?? done.failureReason ?? "").to.equal("reported");
    expect(akashEnv.standin.chain.leasesOf(done.owner, done.dseq!).map((l) => l.state)).to.deep.equal(["active"]);
    for (const r of relayers.slice(1))
      expect((await r.akash!.reports!.atNonce("cosigned", 900, HEXS_CHAIN, 1))?.ok).to.equal(true);
    await until(
      "the contract to release the escrow",
      60_000,
      async () =>
        ((await admin.client.queryContractSmart(contract, { escrow: { key_id: keyId } })) as { status: string }).status ===
        "released",
    );
    const lanes = (await admin.client.queryContractSmart(contract, { lanes: {} })) as {
      inbound: { chain: number; nonce: number }[];
    };
    expect(lanes.inbound.find((l) => l.chain === 900)?.nonce).to.equal(1);
  });

  it("bob transfers the leased key on wasmd → the leader reads the contract's KeyTransferred and hands the deployment to the new holder in place", async () => {
    const leader = relayers[0].akash!;
    const [lease] = (await leader.leases!.all()).filter((r) => r.state === "reported");
    expect(lease.holder).to.equal(cosmosHolderWord(bob.address));
    await bob.client.execute(
      bob.address,
      contract,
      { transfer_nft: { recipient: admin.address, token_id: lease.keyId } },
      "auto",
    );
    const done = await until("the handover", 60_000, async () => {
      const [h] = await leader.leases!.handoversOf(lease.id);
      return h?.state === "done" ? h : undefined;
    });
    const word = cosmosHolderWord(admin.address);
    expect(done).to.include({ kind: "transfer", toHolder: word, toChain: String(HEXS_CHAIN) });
    const d = akashEnv.standin.chain.deployment(lease.owner, lease.dseq!)!;
    expect(d.state).to.equal("active");
    expect(Buffer.from(d.hash).toString("hex")).to.equal(done.manifestHash);
    expect(akashEnv.standin.chain.versionUpdates.filter((u) => u.dseq === lease.dseq)).to.have.length(1);
    expect(await leader.leases!.get(lease.id)).to.include({ holder: word, holderChain: String(HEXS_CHAIN) });
    // one fact per transfer although the contract emits it once per peer lane
    expect(await leader.leases!.handoversOf(lease.id)).to.have.length(1);
    // reported once on the Akash lane (900 → wasmd), co-signed, and applied by the contract
    const reported = await until("the handover report", 60_000, async () => {
      const h = await leader.leases!.handover(done.id);
      return h.report ? h : undefined;
    });
    expect(reported.report).to.equal(`LeaseHandedOver 900-${HEXS_CHAIN} #2`);
    await until("the contract to apply LeaseHandedOver #2", 60_000, async () => {
      const lanes = (await admin.client.queryContractSmart(contract, { lanes: {} })) as {
        inbound: { chain: number; nonce: number }[];
      };
      return lanes.inbound.find((l) => l.chain === 900)?.nonce === 2;
    });
  });

  it("the model's DAO pays for its deployment on wasmd (FundInfrastructure) → the leader tops up the Akash escrow once; a spend paid to someone else is not ours", async () => {
    const leader = relayers[0].akash!;
    const [lease] = (await leader.leases!.all()).filter((r) => r.state === "reported");
    const purpose = `akash-escrow:${lease.owner}/${lease.dseq}`;
    const escrow = () => akashEnv.standin.chain.escrowBalance(lease.owner, lease.dseq!);
    const before = escrow();
    const fund = (to: string, amount: string) =>
      admin.client.execute(
        admin.address,
        contract,
        { fund_infrastructure: { model: modelId.toString(), to, purpose } },
        "auto",
        undefined,
        [{ denom: env.denom, amount }],
      );
    const paid = await fund(leaderWasm, "700");
    await fund(bob.address, "50"); // another payee: not this operator's to execute
    const rows = async () =>
      (await leader.leases!.driver.all("SELECT source_tx, log_index FROM escrow_topups WHERE source_chain = ?", [
        String(HEXS_CHAIN),
      ])) as { source_tx: string; log_index: number }[];
    const [row] = await until("the top-up to be deposited", 60_000, async () => {
      const r = await rows();
      if (!r.length) return undefined;
      const t = await leader.leases!.topupBySource(String(HEXS_CHAIN), r[0].source_tx, Number(r[0].log_index));
      return t?.state === "deposited" ? [t] : undefined;
    });
    expect(row).to.include({ modelId: modelId.toString(), owner: lease.owner, dseq: lease.dseq, amountUact: "2100" });
    expect(row.sourceTx.split("/")[0]).to.equal(String(paid.height));
    expect(escrow() - before).to.equal(2100n);
    await new Promise((r) => setTimeout(r, 1000)); // the feed has read past the second spend
    expect(await rows(), "one top-up: the spend to bob is ignored").to.have.length(1);
  });
});

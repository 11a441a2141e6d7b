// Escrow payouts to Cosmos holders (relayer/akash/payouts.ts): a failed handover whose new holder
// is a Cosmos account (family Cosmos, the key held on the CosmWasm chain) is paid by a bank send in
// the configured denom from the operator's account on a real wasmd chain (scripts/wasmd.sh, its
// own home and ports here). The signed send is persisted before its broadcast: a crash on either
// side of the broadcast resumes with the same bytes and pays once; a sequence another transaction
// took is signed again, and still paid once.
import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { DirectSecp256k1Wallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient } from "@cosmjs/stargate";
import { fromBase64, toHex } from "@cosmjs/encoding";
import { sha256 } from "@cosmjs/crypto";
import { Wallet } from "ethers";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { connect, devnetEnv, startDevnet, stopDevnet, type DevnetEnv, type User } from "../../devnet/wasmd";
import { LeaseStore } from "../../relayer/store";
import { cosmosHolderWord } from "../../relayer/akash/feeds";
import { EscrowPayouts, type CosmosPayoutChain, type PayoutHooks } from "../../relayer/akash/payouts";

const PORT_BASE = Number(process.env.HEXS_AKASH_PAYOUT_TEST_PORT ?? 19330);
const COSMOS = "100"; // the CosmWasm chain's Hexs id

describe("escrow payouts to Cosmos holders: a bank send on wasmd, persisted before broadcast, paid once", function () {
  this.timeout(300_000);
  let dir: string;
  let started = false;
  let env: DevnetEnv;
  let admin: User;
  let store: LeaseStore;
  let chain: CosmosPayoutChain;
  let operator: SigningStargateClient;
  let leaseId: number;
  let seq = 0;
  const savedEnv = { ...process.env };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-payout-cosmos-"));
    if (process.env.WASMD_EXTERNAL !== "1")
      Object.assign(process.env, {
        WASMD_HOME: path.join(dir, "wasmd"),
        WASMD_RPC_PORT: String(PORT_BASE),
        WASMD_GRPC_PORT: String(PORT_BASE + 5),
      });
    started = startDevnet();
    env = devnetEnv();
    admin = await connect("validator", env);
    // the operator's account on the CosmWasm chain (the lease service's wasmd account)
    const key = Wallet.createRandom().privateKey;
    const signer = await DirectSecp256k1Wallet.fromKey(Buffer.from(key.slice(2), "hex"), "wasm");
    const [{ address }] = await signer.getAccounts();
    await admin.client.sendTokens(admin.address, address, [{ denom: env.denom, amount: "50000000" }], "auto");
    chain = {
      kind: "cosmos",
      hexsChainId: COSMOS,
      rpc: env.rpc,
      signer,
      address,
      prefix: "wasm",
      denom: env.denom,
      gasPrice: `0.01${env.denom}`,
      rate: { uactNumerator: 2n, unitDenominator: 3n }, // 2 uact buy 3 units
    };
    operator = await SigningStargateClient.connectWithSigner(env.rpc, signer, {
      gasPrice: GasPrice.fromString(`0.01${env.denom}`),
      broadcastPollIntervalMs: 200,
    });
    store = await LeaseStore.open(path.join(dir, "akash.sqlite"));
    leaseId = (
      await store.insert({
        purchaseChain: COSMOS,
        keyId: "429496729601",
        modelId: "429496729601",
        buyer: "wasm1buyer",
        paramsJson: "{}",
        akashChain: "akash-standin-1",
        owner: "akash1x",
      })
    ).id;
  });

  after(async () => {
    operator?.disconnect();
    admin?.client.disconnect();
    await store?.close();
    stopDevnet(started);
    fs.rmSync(dir, { recursive: true, force: true });
    for (const k of ["WASMD_HOME", "WASMD_RPC_PORT", "WASMD_GRPC_PORT"]) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
  });

  /** A failed handover to a new Cosmos holder on the CosmWasm chain with `escrow` uact returned. */
  async function failedHandoverToCosmos(escrow: string) {
    const holder = (
      await (await DirectSecp256k1Wallet.fromKey(sha256(Buffer.from(`holder ${++seq} ${dir}`)), "wasm")).getAccounts()
    )[0].address;
    const h = await store.insertHandover({
      leaseId,
      sourceChain: COSMOS,
      sourceTx: "0x" + toHex(sha256(Buffer.from(`tx ${seq}`))),
      logIndex: 0,
      block: seq,
      kind: "transfer",
      toHolder: cosmosHolderWord(holder),
      toChain: COSMOS,
    });
    await store.updateHandover(h.id, { state: "closing", escrowUact: escrow, failureReason: "provider refused the update" });
    await store.failHandover(h.id, "test");
    return { id: h.id, holder };
  }

  const payouts = (hooks?: PayoutHooks, via: CosmosPayoutChain = chain) =>
    new EscrowPayouts({
      store,
      chains: new Map([[COSMOS, via]]),
      hooks,
      pollMs: 100,
      backoffBaseMs: 50,
      backoffMaxMs: 200,
    });
  const balance = async (address: string) => BigInt((await operator.getBalance(address, env.denom)).amount);
  const crash = (at: string) => () => {
    throw new Error(`crash ${at}`);
  };

  it("pays a Cosmos holder the escrow's value by a bank send in the configured denom from the operator's wasmd account, once", async () => {
    const { id, holder } = await failedHandoverToCosmos("4200.75");
    const opBefore = await balance(chain.address);
    const p = payouts();
    const h = await p.run(id);
    expect(h).to.include({ payoutState: "paid", payoutTo: holder, payoutChain: COSMOS, payoutCurrency: env.denom });
    expect(h.payoutAmount).to.equal("6300"); // 4200 whole uact × 3/2 units per uact (the fraction is dust)
    expect(await balance(holder)).to.equal(6300n);
    const tx = await operator.getTx(h.payoutTx!);
    expect(tx?.code).to.equal(0);
    // the persisted bytes are what was included
    expect(toHex(sha256(fromBase64(h.payoutRaw!))).toUpperCase()).to.equal(h.payoutTx);
    expect(TxRaw.decode(fromBase64(h.payoutRaw!)).signatures).to.have.length(1);
    // the operator paid the amount and the fee (0.01/gas × 150,000 gas = 1,500)
    expect(opBefore - (await balance(chain.address))).to.equal(6300n + 1500n);
    // settled: another pass pays nothing
    expect(await p.runDue()).to.equal(0);
    expect(await balance(holder)).to.equal(6300n);
    p.close();
  });

  it("a crash after the signed send is persisted, before its broadcast: the resumed job broadcasts the same bytes and pays once", async () => {
    const { id, holder } = await failedHandoverToCosmos("1000");
    const first = payouts({ beforePayoutBroadcast: crash("before broadcast") });
    await expect(first.run(id)).to.be.rejectedWith(/crash before broadcast/);
    first.close();
    const persisted = await store.handover(id);
    expect(persisted.payoutState).to.equal("sent");
    expect(persisted.payoutRaw).to.be.a("string");
    expect(await balance(holder)).to.equal(0n);
    expect(await operator.getTx(persisted.payoutTx!)).to.equal(null);
    const resumed = payouts();
    const h = await resumed.run(id);
    expect(h.payoutState).to.equal("paid");
    expect(h.payoutTx).to.equal(persisted.payoutTx); // the same signed bytes, not a new send
    expect(await balance(holder)).to.equal(1500n);
    resumed.close();
  });

  it("a crash right after the broadcast: the resumed job finds the send by its hash and does not pay again", async () => {
    const { id, holder } = await failedHandoverToCosmos("2000");
    const seqBefore = (await operator.getSequence(chain.address)).sequence;
    const first = payouts({ afterPayoutBroadcast: crash("after broadcast") });
    await expect(first.run(id)).to.be.rejectedWith(/crash after broadcast/);
    first.close();
    const sent = await store.handover(id);
    expect(sent.payoutState).to.equal("sent");
    const resumed = payouts();
    const h = await resumed.run(id);
    expect(h).to.include({ payoutState: "paid", payoutTx: sent.payoutTx });
    expect(await balance(holder)).to.equal(3000n);
    // one transaction of the operator's account in all
    expect((await operator.getSequence(chain.address)).sequence).to.equal(seqBefore + 1);
    resumed.close();
  });

  it("a persisted send whose sequence another transaction of the account took is signed again and paid once", async () => {
    const { id, holder } = await failedHandoverToCosmos("500");
    const first = payouts({ beforePayoutBroadcast: crash("before broadcast") });
    await expect(first.run(id)).to.be.rejectedWith(/crash before broadcast/);
    first.close();
    const stale = await store.handover(id);
    // meanwhile the operator's account sends something else at that sequence: the stored send can never be included
    await operator.sendTokens(chain.address, admin.address, [{ denom: env.denom, amount: "1" }], "auto");
    expect((await operator.getSequence(chain.address)).sequence).to.be.greaterThan(stale.payoutNonce!);
    const resumed = payouts();
    const h = await resumed.run(id);
    expect(h.payoutState).to.equal("paid");
    expect(h.payoutTx).to.not.equal(stale.payoutTx);
    expect(h.payoutNonce).to.equal(stale.payoutNonce! + 1);
    expect(await operator.getTx(stale.payoutTx!)).to.equal(null);
    expect(await balance(holder)).to.equal(750n);
    resumed.close();
  });

  it("a send included in a block the node has not indexed yet is not signed again: paid once when the index catches up", async () => {
    // An RPC front that hides one tx from the tx index until a block after it starts hiding, as a
    // node whose indexer trails its committed state does (the account's sequence already counts it).
    const hide = { hash: "", untilHeight: Infinity, hidden: 0 };
    const height = async () => Number((await (await fetch(`${env.rpc}/status`)).json()).result.sync_info.latest_block_height);
    const front = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        void (async () => {
          const upstream = await fetch(env.rpc, { method: "POST", body, headers: { "content-type": "application/json" } });
          const answer = (await upstream.json()) as { result?: { txs?: { hash: string }[]; total_count?: string } };
          const call = JSON.parse(body) as { method?: string };
          if (call.method === "tx_search" && answer.result?.txs && (await height()) < hide.untilHeight) {
            const kept = answer.result.txs.filter((t) => t.hash.toUpperCase() !== hide.hash);
            hide.hidden += answer.result.txs.length - kept.length;
            answer.result = { ...answer.result, txs: kept, total_count: String(kept.length) };
          }
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
        })().catch((e: unknown) => res.writeHead(502).end(String(e)));
      });
    });
    await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
    try {
      const { id, holder } = await failedHandoverToCosmos("800");
      const first = payouts({ afterPayoutBroadcast: crash("after broadcast") });
      await expect(first.run(id)).to.be.rejectedWith(/crash after broadcast/);
      first.close();
      const sent = await store.handover(id);
      while ((await operator.getSequence(chain.address)).sequence <= sent.payoutNonce!)
        await new Promise((r) => setTimeout(r, 100));
      Object.assign(hide, { hash: sent.payoutTx!, untilHeight: (await height()) + 1 });
      const rpc = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
      const resumed = payouts(undefined, { ...chain, rpc });
      const h = await resumed.run(id);
      resumed.close();
      expect(hide.hidden).to.be.greaterThan(0); // the resumed job did look while the index trailed
      expect(h).to.include({ payoutState: "paid", payoutTx: sent.payoutTx, payoutNonce: sent.payoutNonce });
      expect(await balance(holder)).to.equal(1200n);
      expect((await operator.getSequence(chain.address)).sequence).to.equal(sent.payoutNonce! + 1);
    } finally {
      front.close();
    }
  });

  it("records an EVM holder's escrow as owed, not paid, where only the Cosmos payout is configured", async () => {
    const h = await store.insertHandover({
      leaseId,
      sourceChain: COSMOS,
      sourceTx: "0x" + "ee".repeat(32),
      logIndex: 0,
      block: 999,
      kind: "transfer",
      toHolder: "0x0114" + "22".repeat(20),
      toChain: "1",
    });
    await store.updateHandover(h.id, { state: "closing", escrowUact: "100", failureReason: "refused" });
    await store.failHandover(h.id, "test");
    const p = payouts();
    const out = await p.run(h.id);
    expect(out.payoutState).to.equal("none");
    expect(out.payoutNote).to.match(/owed 100uact to 0x0114.* on chain 1: no payout configured/);
    p.close();
  });
});

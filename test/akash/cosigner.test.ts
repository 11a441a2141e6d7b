// A lease leader's LeaseReported gets no co-signature unless the reported lease is the purchase's
// own (issue 11 item 6): leases opened on the Akash stand-in by the production pipeline, a
// co-signer with its own read-only Akash client and SDL source checks proposals. The purchase
// chain's answer (which model a purchase with an open escrow bought) is a fixed table here; the
// contracts' own dseq rule is tested in test/evm (market, hub) and in the CosmWasm unit tests.
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { encodeMessage, Kind } from "../../codec";
import { LeaseCosigner } from "../../relayer/akash/attested";
import type { PurchaseChain } from "../../relayer/akash/feeds";
import { LeasePipeline } from "../../relayer/akash/pipeline";
import { PlaintextFileSdlSource } from "../../relayer/akash/sdl-source";
import { NoopLeaseReporter } from "../../relayer/akash/reporter";
import { encodeDeploymentParams } from "../../relayer/akash/params";
import { evmHolderWord, prepareForHolder } from "../../relayer/akash/holder";
import { LeaseReportStore, LeaseStore, OpStore } from "../../relayer/store";
import { AkashClient } from "../../sdk/akash/client";
import { fundAkash, HOLDER_MNEMONIC, SDL_FILE, startEnv, type Env } from "./helpers/env";

const AKASH_LANE = 900;
const CHAIN = 1;
const MODEL = 7n;
const OTHER_MODEL = 8n;
const BUYER = "0x" + "11".repeat(20);
const ALICE = "0x" + "a1".repeat(20);
const BOB = "0x" + "b0".repeat(20);
const purchase = (serial: bigint) => (BigInt(CHAIN) << 32n) | serial;

describe("lease co-signers: one purchase per deployment, the purchased model's manifest (issue 11 item 6)", function () {
  this.timeout(120_000);
  let env: Env;
  let cosigner: LeaseCosigner;
  let leader: AkashClient;
  let holderNow = evmHolderWord(BUYER); // the purchase chain's holderOf answer
  const leases: Record<string, { dseq: string; gseq: number; oseq: number; provider: string }> = {};

  before(async () => {
    env = await startEnv({ firstPort: 18690 });
    leader = await env.client();
    const stranger = await env.client(HOLDER_MNEMONIC);
    fundAkash(env, leader.address);
    fundAkash(env, stranger.address);
    // the other model's SDL differs in one environment value: another manifest, another version
    const otherSdl = path.join(env.tmpdir, "other.sdl.yaml");
    fs.writeFileSync(otherSdl, fs.readFileSync(SDL_FILE, "utf8").replace("MODEL_ID=hexs-test-7b", "MODEL_ID=hexs-other-70b"));
    const sdlOf = (m: string) => (m === String(OTHER_MODEL) ? otherSdl : SDL_FILE);

    const open = async (client: AkashClient, name: string, modelId: bigint, serial: bigint) => {
      const pipeline = new LeasePipeline({
        store: await LeaseStore.open(path.join(env.tmpdir, `${name}.sqlite`)),
        akash: client,
        sdl: new PlaintextFileSdlSource(sdlOf),
        reporter: new NoopLeaseReporter(),
        policy: { bidWindowMs: 300, pollMs: 40, backoffBaseMs: 40, backoffMaxMs: 200, maxAttempts: 4, txTimeoutMs: 3_000 },
      });
      const job = await pipeline.submit({
        purchaseChain: String(CHAIN),
        keyId: purchase(serial),
        modelId,
        buyer: BUYER,
        deploymentParams: encodeDeploymentParams({ v: 1 }),
      });
      const done = await pipeline.runToCompletion(job.id);
      expect(done.state, done.lastError ?? "").to.equal("reported");
      leases[name] = { dseq: done.dseq!, gseq: done.gseq!, oseq: done.oseq!, provider: done.provider! };
    };
    await open(leader, "first", MODEL, 1n); // purchase 1's honest lease
    await open(leader, "otherModel", OTHER_MODEL, 90n); // a lease the leader runs for another model
    await open(stranger, "foreign", MODEL, 91n); // the same model, deployed by someone else
    await open(leader, "second", MODEL, 2n); // purchase 2's honest lease

    // purchases 1 and 2 bought MODEL and their escrows are open
    const chain = {
      name: "a",
      hexsChainId: CHAIN,
      inbound: async () => 0,
      openEscrowModel: async (id: bigint) => (id === purchase(1n) || id === purchase(2n) ? MODEL : undefined),
      // every lease here was bought by (and is still held by) BUYER
      keyHolders: async () => [evmHolderWord(BUYER)],
      holderOf: async (id: bigint) => (id === purchase(1n) ? holderNow : undefined),
    } as unknown as PurchaseChain;
    cosigner = new LeaseCosigner({
      akashChainId: AKASH_LANE,
      reports: await LeaseReportStore.open(path.join(env.tmpdir, "cosigner.sqlite")),
      ops: await OpStore.open({ sqlite: path.join(env.tmpdir, "ops.sqlite") }),
      chains: new Map([[CHAIN, chain]]),
      akash: AkashClient.readOnly({
        chainId: env.standin.chain.chainId,
        rpcUrl: env.standin.rpcUrl,
        restUrl: env.standin.restUrl,
      }),
      leaders: [leader.address],
      refundsPerHour: 5,
      sdl: new PlaintextFileSdlSource(sdlOf),
    });
  });

  after(async () => env?.close());

  const report = (nonce: number, purchaseId: bigint, lease: { dseq: string; gseq: number; oseq: number; provider: string }) =>
    "0x" +
    Buffer.from(
      encodeMessage({
        version: 1,
        kind: Kind.LeaseReported,
        srcChain: AKASH_LANE,
        dstChain: CHAIN,
        nonce: BigInt(nonce),
        body: {
          purchaseId,
          ok: true,
          dseq: BigInt(lease.dseq),
          gseq: lease.gseq,
          oseq: lease.oseq,
          provider: lease.provider,
          reason: "",
        },
      }),
    ).toString("hex");
  const propose = (...messages: string[]) => cosigner.accept({ owner: leader.address, messages });

  it("signs the honest report, then refuses a reused dseq, another model's manifest and a foreign lease; the lane moves on", async () => {
    expect(await propose(report(1, purchase(1n), leases.first))).to.deep.equal({ accepted: [1] });

    const reused = await propose(report(2, purchase(2n), leases.first));
    expect(reused.accepted).to.deep.equal([]);
    expect(reused.refused!.reason).to.equal(
      `deployment ${leader.address}/${leases.first.dseq} was already reported for purchase ${purchase(1n)} of chain ${CHAIN}: one deployment serves one purchase`,
    );

    const mismatched = await propose(report(2, purchase(2n), leases.otherModel));
    expect(mismatched.accepted).to.deep.equal([]);
    expect(mismatched.refused!.reason).to.match(
      new RegExp(`deployment ${leader.address}/${leases.otherModel.dseq} runs manifest [0-9a-f]{64}, not model ${MODEL}'s SDL`),
    );
    expect(mismatched.refused!.retryLater).to.equal(false);

    // the stranger's lease of the same model is not the leader's: no such lease under its account
    const foreign = await propose(report(2, purchase(2n), leases.foreign));
    expect(foreign.accepted).to.deep.equal([]);
    expect(foreign.refused!.reason).to.match(/Akash has no active lease/);

    expect(await propose(report(2, purchase(2n), leases.second))).to.deep.equal({ accepted: [2] });
  });

  const manifestFor = (holder: string) =>
    prepareForHolder(fs.readFileSync(SDL_FILE, "utf8"), "mainnet", { word: evmHolderWord(holder), chain: String(CHAIN) });
  const handedOver = (
    nonce: number,
    keyId: bigint,
    handover: bigint,
    lease: { dseq: string; gseq: number; oseq: number; provider: string },
    holder: string,
  ) =>
    "0x" +
    Buffer.from(
      encodeMessage({
        version: 1,
        kind: Kind.LeaseHandedOver,
        srcChain: AKASH_LANE,
        dstChain: CHAIN,
        nonce: BigInt(nonce),
        body: {
          keyId,
          modelId: MODEL,
          handover,
          dseq: BigInt(lease.dseq),
          gseq: lease.gseq,
          oseq: lease.oseq,
          provider: lease.provider,
          holder: { family: 1, address: holder.toLowerCase() },
          holderChain: CHAIN,
          manifestHash: "0x" + manifestFor(holder).manifestHashHex,
          transfer: `${CHAIN}:0x${"4d".repeat(32)}:0`,
        },
      }),
    ).toString("hex");

  it("LeaseHandedOver: signed only when the deployment runs the new holder's manifest and the new holder holds the key; a forged or stale handover is refused", async () => {
    // (runs after the lease reports above: nonces 1 and 2 are purchase 1's and 2's leases)
    const first = leases.first;
    // forged: the deployment still runs the buyer's manifest, not Alice's
    const early = await propose(handedOver(3, purchase(1n), 1n, first, ALICE));
    expect(early.accepted).to.deep.equal([]);
    expect(early.refused!.reason).to.match(
      new RegExp(`deployment ${leader.address}/${first.dseq} runs manifest [0-9a-f]{64}, not holder`),
    );

    // the leader hands the deployment to Alice in place (the handover job's update)
    await leader.updateDeployment(first.dseq, manifestFor(ALICE).manifestHash);
    // Alice does not hold the key on the purchase chain (yet): refused
    const notHolder = await propose(handedOver(3, purchase(1n), 1n, first, ALICE));
    expect(notHolder.refused!.reason).to.equal(
      `${evmHolderWord(ALICE)} does not hold key ${purchase(1n)} on chain ${CHAIN} (${evmHolderWord(BUYER)})`,
    );
    holderNow = evmHolderWord(ALICE);
    // forged holder: Bob's manifest is not what the deployment runs
    const bob = await propose(handedOver(3, purchase(1n), 1n, first, BOB));
    expect(bob.refused!.reason).to.match(/runs manifest [0-9a-f]{64}, not holder/);
    // a handover of another purchase's key at this deployment: no such lease was co-signed
    const wrongKey = await propose(handedOver(3, purchase(2n), 1n, first, ALICE));
    expect(wrongKey.refused!.reason).to.equal(
      `no lease of key ${purchase(2n)} at deployment ${leader.address}/${first.dseq} was co-signed here`,
    );

    expect(await propose(handedOver(3, purchase(1n), 1n, first, ALICE))).to.deep.equal({ accepted: [3] });
    // the same proposal again (delivery retried): accepted, nothing new
    expect(await propose(handedOver(3, purchase(1n), 1n, first, ALICE))).to.deep.equal({ accepted: [3] });
    // stale: the same report number again (a replay at the next nonce), or an older one
    for (const n of [1n, 0n]) {
      const stale = await propose(handedOver(4, purchase(1n), n, first, ALICE));
      expect(stale.accepted).to.deep.equal([]);
      expect(stale.refused!.reason).to.equal(`stale handover: report ${n} of key ${purchase(1n)}, 1 was co-signed already`);
      expect(stale.refused!.retryLater).to.equal(false);
    }
    // the lane moves on: the next genuine report is signed at nonce 4
    expect(await propose(handedOver(4, purchase(1n), 2n, first, ALICE))).to.deep.equal({ accepted: [4] });
  });
});

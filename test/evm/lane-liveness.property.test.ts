// Property (issue 11, item 1, EVM half): no message can stop a lane. Random streams (seeded
// PRNG, so a failure replays) mixing messages the hub applies with messages it refuses — some
// for good (a key id from another chain, a lease report off the Akash lane, a second
// registration), some until their cause is gone (an update or a key movement that arrives before
// what it refers to) — are delivered to a hub in random batches. After every batch the lane's
// inbound nonce is the last nonce submitted and every refusal is recorded for `reapply`; at the
// end every refusal whose cause is gone re-applies, and the others are still offered.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import { hexlify, keccak256 } from "ethers";
import { deployHexs } from "../../tasks/lib/deployHexs";
import { AccountFamily, encodeMessage, Kind, type Account, type Message } from "../../codec";
import type { HexsHub, HexsHubLens } from "../../sdk/typechain";
import { forgetDeployments, loadProtocol, rootModelRegistered } from "../../devnet/hardhat/protocol";

const A = 1;
const COSMOS = 100;
const SEEDS = [1, 2, 3];
const BATCHES = 10;

const fixture = deployments.createFixture(async () => {
  await forgetDeployments("liveness.");
  const addresses = await deployHexs(hre, {
    prefix: "liveness.",
    hexsChainId: A,
    timelockDelay: 3600,
    protocolFeeBps: 250,
    devnet: true, // the deployer alone relays in these fixtures
    skipHandover: true,
  });
  const transport = (await ethers.getSigners())[6];
  const hub = (await ethers.getContractAt("HexsHub", addresses.hub)) as unknown as HexsHub;
  const lens = (await ethers.getContractAt("HexsHubLens", addresses.hubLens)) as unknown as HexsHubLens;
  await hub.setPeer(COSMOS, await transport.getAddress(), 0, AccountFamily.Cosmos);
  return { p: await loadProtocol("liveness."), hub, lens, transport };
});

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const holder = (i: number): Account => ({ family: AccountFamily.Cosmos, address: "0x" + (i + 1).toString(16).padStart(40, "0") });
const modelId = (m: number) => (BigInt(COSMOS) << 32n) | BigInt(m);
const keyId = (k: number) => (BigInt(COSMOS) << 32n) | BigInt(1000 + k);

/** The next message of the stream, as `pick` chooses (bodies only; the envelope is added by the caller). */
/** Each update is newer than the last, so a valid one applies. */
let updates = 0;

function nextBody(r: () => number): Pick<Message, "kind" | "body"> {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const m = 1 + Math.floor(r() * 3);
  const k = Math.floor(r() * 6);
  const [h1, h2] = [Math.floor(r() * 3), Math.floor(r() * 3)];
  const kind = pick([
    Kind.ModelRegistered,
    Kind.ModelUpdated,
    Kind.ModelUpdated,
    Kind.KeyMinted,
    Kind.KeyMinted,
    Kind.KeyTransferred,
    Kind.KeyBurned,
    Kind.LeaseReported,
    Kind.PurchaseSettled,
  ]);
  switch (kind) {
    case Kind.ModelRegistered:
      return {
        kind,
        body: rootModelRegistered(modelId(m), holder(0), {
          contentCommitment: ethers.id(`model-${m}`),
          sdlLocator: "sdl",
          metadataUri: "meta",
        }),
      } as Pick<Message, "kind" | "body">;
    case Kind.ModelUpdated:
      return {
        kind,
        body: {
          modelId: modelId(m),
          sequence: BigInt(++updates),
          retired: false,
          contentCommitment: "0x" + "77".repeat(32),
          sdlLocator: `sdl-${r()}`,
          metadataUri: `meta-${r()}`,
          prices: [],
        },
      } as Pick<Message, "kind" | "body">;
    case Kind.KeyMinted: {
      // one in four comes from the wrong chain: refused for good
      const id = r() < 0.25 ? (7n << 32n) | BigInt(k) : keyId(k);
      return { kind, body: { modelId: modelId(m), keyId: id, owner: holder(h1), expiresAt: 0n, locked: false } } as Pick<
        Message,
        "kind" | "body"
      >;
    }
    case Kind.KeyTransferred:
      return { kind, body: { keyId: keyId(k), modelId: modelId(m), from: holder(h1), to: holder(h2) } } as Pick<
        Message,
        "kind" | "body"
      >;
    case Kind.KeyBurned:
      return { kind, body: { keyId: keyId(k), modelId: modelId(m), owner: holder(h1) } } as Pick<Message, "kind" | "body">;
    case Kind.LeaseReported:
      return {
        kind,
        body: {
          purchaseId: (BigInt(A) << 32n) | 1n,
          ok: true,
          dseq: 1n,
          gseq: 1,
          oseq: 1,
          provider: "akash1provider",
          reason: "",
        },
      } as unknown as Pick<Message, "kind" | "body">;
    default:
      return {
        kind: Kind.PurchaseSettled,
        body: {
          purchaseId: keyId(k),
          modelId: modelId(m),
          keyId: keyId(k),
          buyer: holder(h1),
          currency: "0x",
          amount: 1n,
          deploymentRequested: false,
          deploymentParams: "0x",
        },
      } as unknown as Pick<Message, "kind" | "body">;
  }
}

describe("property: a lane never stops, whatever its messages (EVM hub)", () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: every batch moves the lane to its last nonce; refusals are recorded and re-apply once their cause is gone`, async () => {
      const { p, hub, lens, transport } = await fixture();
      const r = prng(seed);
      const t = hub.connect(transport);
      const rejectedTopic = hub.interface.getEvent("MessageRejected").topicHash;
      let nonce = 0n;
      const refused = new Map<string, { message: string; kind: Kind; modelId: bigint }>();
      for (let b = 0; b < BATCHES; b++) {
        const size = 1 + Math.floor(r() * 8);
        const batch: string[] = [];
        const bodies: Pick<Message, "kind" | "body">[] = [];
        for (let i = 0; i < size; i++) {
          const next = nextBody(r);
          bodies.push(next);
          batch.push(hexlify(encodeMessage({ version: 1, srcChain: COSMOS, dstChain: A, nonce: ++nonce, ...next } as Message)));
        }
        const receipt = await (await t.deliver(COSMOS, batch)).wait();
        expect((await hub.lane(COSMOS)).inbound, `batch ${b}`).to.equal(nonce);
        for (const log of receipt!.logs.filter((l) => l.topics[0] === rejectedTopic)) {
          const ev = hub.interface.parseLog(log)!;
          const i = Number(ev.args.nonce - (nonce - BigInt(size)) - 1n);
          const message = batch[i];
          const rec = await lens.refusal(hub, keccak256(message));
          expect([Number(rec.srcChain), rec.nonce]).to.deep.equal([COSMOS, ev.args.nonce]);
          refused.set(message, {
            message,
            kind: bodies[i].kind,
            modelId: (bodies[i].body as { modelId?: bigint }).modelId ?? 0n,
          });
        }
      }
      // Re-apply until nothing more applies.
      for (let progress = true; progress;) {
        progress = false;
        for (const [message] of refused) {
          try {
            await hub.reapply.staticCall(message);
          } catch {
            continue;
          }
          await hub.reapply(message);
          refused.delete(message);
          progress = true;
        }
      }
      for (const { message, kind, modelId: m } of refused.values()) {
        // Still offered (its cause is not gone), and never refused for being unknown.
        expect((await lens.refusal(hub, keccak256(message))).srcChain).to.equal(BigInt(COSMOS));
        // An update's only cause is an unknown model: once the model is there, it applies.
        if (kind === Kind.ModelUpdated)
          expect(await p.registryLens.exists(p.registry, m), `update of ${m} still refused`).to.equal(false);
      }
    });
  }
});

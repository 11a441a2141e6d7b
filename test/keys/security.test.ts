// Issue 11, items 2, 4 (client half) and 17: no party of the key service reads a secret it was
// not given. The front carries no shard (a recording proxy in front of it sees none), shards
// travel sealed to per-request keys, a store refuses a challenge made for another store or used
// before, the client refuses to sign anything but a Hexs challenge for its own account, and a
// CID belongs to the creator of the model whose on-chain content commitment is over its bytes.
import { expect } from "chai";
import { ethers } from "hardhat";
import type { Signer } from "ethers";
import { createServer } from "node:http";
import type { Server } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encryptFile } from "@lighthouse-web3/sdk/dist/Lighthouse/uploadEncrypted/encryptionNode";
import {
  contentCommitment,
  decryptForHolder,
  evmHolder,
  generateKey,
  grantKeyHolders,
  KeyServiceClient,
  localEndpoints,
  sealSdl,
} from "../../sdk/keys";
import type { Holder } from "../../sdk/keys";
import { sha256 } from "../../sdk/keys/cid";
import { formatRequestChallenge, newRequestChallenge, newTransportKey } from "../../sdk/keys/transport";
import { buyNative, deployProtocol, eventsOf, publishParams, setNativePrice, type Protocol } from "../../devnet/hardhat/protocol";
import { evmChain, keyService, refusal, serveChain } from "./helpers";

const SDL = readFileSync(join(__dirname, "fixtures/model-with-credentials.sdl.yaml"), "utf8");
const IMAGE_DIGEST = "0x" + "ab".repeat(32);
const PRICE = ethers.parseEther("0.1");
const CHAIN = "hexs-evm-31337";

/** An HTTP proxy on 127.0.0.1 that forwards to `target` and keeps every byte both ways. */
async function recordingProxy(target: string): Promise<{ url: string; seen(): string; close(): Promise<void> }> {
  const log: Buffer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      log.push(Buffer.from(`${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n`), body);
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => !["host", "content-length", "connection"].includes(k)),
      ) as Record<string, string>;
      fetch(target + (req.url ?? "/"), {
        method: req.method,
        headers,
        body: req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(body),
      }).then(
        async (r) => {
          const out = Buffer.from(await r.arrayBuffer());
          log.push(out);
          res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "application/octet-stream" }).end(out);
        },
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen: () => Buffer.concat(log).toString("latin1").toLowerCase(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe("key service security (issue 11: items 2, 4, 17)", function () {
  this.timeout(60_000);
  let p: Protocol;
  let chain: { url: string; close(): Promise<void> };
  let svc: Awaited<ReturnType<typeof keyService>>;
  let client: KeyServiceClient;
  let creator: Signer, alice: Signer, mallory: Signer;
  const holder = async (s: Signer): Promise<Holder> => evmHolder(s, (await s.getAddress()).toLowerCase());

  before(async () => {
    p = await deployProtocol();
    [, , creator, , alice, mallory] = p.signers;
    chain = await serveChain();
    svc = await keyService([evmChain(chain.url)], { registries: { [CHAIN]: await p.registry.getAddress() } });
    client = new KeyServiceClient(localEndpoints(svc.url));
  });

  after(async () => {
    await svc?.close();
    await chain?.close();
  });

  async function publish(sealedCommitment: string, locator: string, who: Signer = creator) {
    const params = { ...publishParams({}), contentCommitment: sealedCommitment, sdlLocator: locator };
    const receipt = await (await p.registry.connect(who).publish(params)).wait();
    const modelId = eventsOf(receipt, p.registry, "ModelPublished")[0].args.modelId as bigint;
    const keys = await ethers.getContractAt("KeyNFT", await p.registry.keysOf(modelId));
    return { modelId, keys };
  }

  async function publishedModel() {
    const sealed = await sealSdl(client, await holder(creator), SDL, { imageDigest: IMAGE_DIGEST });
    const { modelId, keys } = await publish(sealed.contentCommitment, sealed.upload.locator);
    await grantKeyHolders(client, await holder(creator), sealed.upload.locator, {
      evm: [{ chain: CHAIN, keyNft: await keys.getAddress() }],
    });
    await setNativePrice(p, creator, modelId, PRICE);
    return { modelId, sealed };
  }

  /** A signed request challenge for `store`, sent to the store at `to`. */
  async function signedRequest(h: Signer, store: number, cid: string, body: Record<string, unknown>) {
    const stores = await client.stores();
    const text = JSON.stringify(body);
    const message = formatRequestChallenge(
      newRequestChallenge((await h.getAddress()).toLowerCase(), stores[store - 1].id!, cid, "retrieve", text, Date.now()),
    );
    const token = await h.signMessage(message);
    return async (to: number, sent = text) => {
      const r = await fetch(`${stores[to - 1].url}/v2/retrieve/${cid}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${token}`,
          "x-hexs-challenge": Buffer.from(message).toString("base64url"),
        },
        body: sent,
      });
      return { status: r.status, body: (await r.json()) as { code?: string; message?: string; sealed?: string } };
    };
  }

  describe("item 2: the front sees no shard; challenges are bound to one store and used once", () => {
    it("a request challenge signed for store 1 is refused by store 2 (and every other store)", async () => {
      const { modelId, sealed } = await publishedModel();
      await buyNative(p, alice, modelId, PRICE);
      const send = await signedRequest(alice, 1, sealed.upload.cid, { replyKey: newTransportKey().publicKey });
      for (const other of [2, 3, 4, 5]) {
        const r = await send(other);
        expect(r.status, `store ${other}`).to.equal(401);
        expect(r.body.message).to.match(/for shard store '1 .*', not this one/);
      }
      const r1 = await send(1);
      expect(r1.status).to.equal(200);
      expect(r1.body.sealed).to.match(/^v1\./);
    });

    it("a replayed request is refused at the store that saw it; a changed body (another reply key) is refused", async () => {
      const { modelId, sealed } = await publishedModel();
      await buyNative(p, alice, modelId, PRICE);
      const send = await signedRequest(alice, 3, sealed.upload.cid, { replyKey: newTransportKey().publicKey });
      const swapped = await send(3, JSON.stringify({ replyKey: newTransportKey().publicKey }));
      expect(swapped.status).to.equal(401);
      expect(swapped.body.message).to.match(/Body-SHA256 differs/);
      expect((await send(3)).status).to.equal(200);
      const again = await send(3);
      expect(again.status).to.equal(401);
      expect(again.body.code).to.equal("nonce_replayed");
    });

    it("a recording proxy in front of the front holds no shard and no key; one in front of each store sees only sealed shards", async () => {
      const front = await recordingProxy(svc.url);
      const storeProxies = await Promise.all(svc.stores.map((s) => recordingProxy(s.url)));
      try {
        const viaFront = new KeyServiceClient(localEndpoints(front.url));
        const sealed = await sealSdl(viaFront, await holder(creator), SDL, { imageDigest: IMAGE_DIGEST });
        const { modelId, keys } = await publish(sealed.contentCommitment, sealed.upload.locator);
        await grantKeyHolders(viaFront, await holder(creator), sealed.upload.locator, {
          evm: [{ chain: CHAIN, keyNft: await keys.getAddress() }],
        });
        await setNativePrice(p, creator, modelId, PRICE);
        await buyNative(p, alice, modelId, PRICE);
        expect((await decryptForHolder(viaFront, await holder(alice), sealed.upload.locator)).toString()).to.equal(SDL);
        const viaStores = new KeyServiceClient(
          localEndpoints(
            svc.url,
            storeProxies.map((s) => s.url),
          ),
        );
        const masterKey = await viaStores.fetchKey(await holder(alice), sealed.upload.cid, sealed.upload.keyCheck);
        expect((await decryptForHolder(viaStores, await holder(alice), sealed.upload.locator)).toString()).to.equal(SDL);

        const secrets = [masterKey, ...svc.stores.map((s) => s.db.get(sealed.upload.cid)!.shard.key)].map((x) => x.toLowerCase());
        expect(secrets.every((x) => /^[0-9a-f]{40,}$/.test(x))).to.equal(true);
        const seenByFront = front.seen();
        for (const x of secrets) expect(seenByFront.includes(x), "the front saw a shard or the key").to.equal(false);
        expect(seenByFront).to.contain("/api/stores"); // it was on the path, and saw the discovery
        expect(seenByFront).to.not.match(/retrievesharedkey|setsharedkey|fileaccessconditions\/\d/);
        // each retrieval asks 3 of the 5 stores (chosen at random): at least 3 served through their proxies
        const retrievedFrom = storeProxies.filter((s) => s.seen().includes("/v2/retrieve/")).length;
        expect(retrievedFrom).to.be.at.least(3);
        for (const [i, s] of storeProxies.entries()) {
          const seen = s.seen();
          for (const x of secrets) expect(seen.includes(x), `store ${i + 1}'s traffic shows a shard or the key`).to.equal(false);
        }
      } finally {
        await front.close();
        await Promise.all(storeProxies.map((s) => s.close()));
      }
    });

    it("with Lighthouse mode off, the front and the stores refuse Lighthouse's key-node endpoints", async () => {
      const strict = await keyService([evmChain(chain.url)], { lighthouseApi: false });
      try {
        const c = new KeyServiceClient(localEndpoints(strict.url));
        const sealed = await sealSdl(c, await holder(creator), SDL, { imageDigest: IMAGE_DIGEST });
        expect((await decryptForHolder(c, await holder(creator), sealed.upload.locator)).toString()).to.equal(SDL);
        for (const url of [strict.url, strict.stores[0].url]) {
          const r = await fetch(`${url}/api/retrieveSharedKey/1`, { method: "POST", body: "{}" });
          expect(r.status, url).to.equal(400);
          expect(((await r.json()) as { code: string }).code).to.equal("unsupported");
        }
      } finally {
        await strict.close();
      }
    });
  });

  describe("item 4: the client signs only a Hexs challenge for its own account", () => {
    let evil: Server;
    let evilUrl: string;
    let handedOut: string;
    before(async () => {
      evil = createServer((req, res) => {
        if (req.url?.startsWith("/api/message/")) {
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify([{ message: handedOut }]));
        } else res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ message: "no" }));
      });
      await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", () => resolve()));
      evilUrl = `http://127.0.0.1:${(evil.address() as { port: number }).port}`;
    });
    after(() => new Promise<void>((resolve) => evil.close(() => resolve())));

    it("a malicious front handing out a payout-binding digest (or any non-challenge text) gets a clear error, nothing signed", async () => {
      const a = (await alice.getAddress()).toLowerCase();
      const signed: string[] = [];
      const spy: Holder = { family: "evm", address: a, signMessage: async (m) => (signed.push(m), alice.signMessage(m)) };
      const genuine = (await (await fetch(`${svc.url}/api/message/${a}`)).json()) as Array<{ message: string }>;
      const forOther = (await (
        await fetch(`${svc.url}/api/message/${(await mallory.getAddress()).toLowerCase()}`)
      ).json()) as Array<{
        message: string;
      }>;
      const bad = [
        "0x" + "5a".repeat(32), // an EIP-191 payout-binding digest, as bytes32 hex
        ethers.keccak256(ethers.toUtf8Bytes("bindPayout")),
        "Please sign this to bind your payout address",
        forOther[0].message, // a real challenge, for another account
        genuine[0].message.replace(/Expires: .*/, `Expires: ${new Date(Date.now() + 86_400_000).toISOString()}`), // too long
        genuine[0].message.replace(/Expires: .*/, `Expires: ${new Date(Date.now() - 1000).toISOString()}`), // expired
        genuine[0].message + "\nPayout: 0x" + "11".repeat(20), // extra lines
      ];
      for (const mode of ["lighthouse", "hexs"] as const) {
        const c = new KeyServiceClient({ ...localEndpoints(evilUrl), mode });
        for (const m of bad) {
          handedOut = m;
          const e = await refusal(c.authenticate(spy));
          expect(e.code, m).to.equal("bad_challenge");
          expect(e.message).to.match(/refusing to sign/);
        }
      }
      handedOut = bad[0];
      const lh = new KeyServiceClient({ ...localEndpoints(evilUrl), mode: "lighthouse" });
      expect((await refusal(lh.fetchKey(spy, "bafkreiabc"))).code).to.equal("bad_challenge");
      expect(signed).to.deep.equal([]);
      // A genuine challenge for the signer's own account is signed.
      handedOut = genuine[0].message;
      await new KeyServiceClient(localEndpoints(evilUrl)).authenticate(spy);
      expect(signed).to.deep.equal([genuine[0].message]);
    });
  });

  describe("item 17: a CID belongs to the creator of the model whose content commitment is over its bytes", () => {
    it("an attacker who uploads first for the creator's CID cannot lock the creator out or keep conditions", async () => {
      const me = await holder(creator);
      const attacker = await holder(mallory);
      const { masterKey, shards, keyCheck } = await generateKey();
      const encrypted = Buffer.from(await encryptFile(Buffer.from(SDL), masterKey));
      const cid = await client.put(encrypted);
      // The attacker races the creator to the stores with shards of his own and opens the CID to all.
      const junk = await generateKey();
      await client.saveShards(attacker, cid, junk.shards);
      await client.share(attacker, cid, [await mallory.getAddress()]);
      // Before the model exists, the creator's plain upload meets the squatter...
      expect((await refusal(client.saveShards(me, cid, shards))).message).to.match(/already belongs to .*upload with a claim/);
      // ...publishes the model with the commitment over these bytes, and claims the CID.
      const commitment = contentCommitment("0x" + Buffer.from(sha256(encrypted)).toString("hex"), IMAGE_DIGEST);
      const locator = `ipfs://${cid}#kc=${keyCheck}`;
      const { modelId, keys } = await publish(commitment, locator);
      // The attacker cannot claim it: not the creator; nor with a copy-cat model registered later.
      expect(
        (
          await refusal(
            client.saveShards(attacker, cid, junk.shards, undefined, { chain: CHAIN, modelId, imageDigest: IMAGE_DIGEST }),
          )
        ).message,
      ).to.match(/is not the creator of model/);
      const copy = await publish(commitment, locator, mallory);
      const claim = { chain: CHAIN, modelId, imageDigest: IMAGE_DIGEST };
      // A wrong image digest does not match the commitment.
      expect(
        (await refusal(client.saveShards(me, cid, shards, undefined, { ...claim, imageDigest: "0x" + "cd".repeat(32) }))).message,
      ).to.match(/content commitment is not over/);
      await client.saveShards(me, cid, shards, undefined, claim);
      const rec = (await (await fetch(`${svc.url}/api/fileAccessConditions/get/${cid}`)).json()) as Record<string, unknown>;
      expect(rec.owner).to.equal(me.address);
      expect(rec.claim).to.equal(`${CHAIN}/${modelId}`);
      expect(rec.sharedTo).to.deep.equal([]); // the squatter's share is gone with his shard
      expect(
        (await refusal(client.saveShards(attacker, cid, junk.shards, undefined, { ...claim, modelId: copy.modelId }))).message,
      ).to.match(/already claimed by the creator of model .*registered first/);
      expect((await refusal(client.saveShards(attacker, cid, junk.shards))).code).to.equal("forbidden");
      const cond = { evm: [{ chain: CHAIN, keyNft: await keys.getAddress() }] };
      expect((await refusal(grantKeyHolders(client, attacker, locator, cond))).code).to.equal("forbidden");
      expect((await refusal(client.share(attacker, cid, [await mallory.getAddress()]))).code).to.equal("forbidden");
      expect((await refusal(decryptForHolder(client, attacker, locator))).code).to.equal("forbidden");
      // The creator's key works for holders.
      await grantKeyHolders(client, me, locator, cond);
      await setNativePrice(p, creator, modelId, PRICE);
      await buyNative(p, alice, modelId, PRICE);
      expect((await decryptForHolder(client, await holder(alice), locator)).toString()).to.equal(SDL);
    });
  });
});

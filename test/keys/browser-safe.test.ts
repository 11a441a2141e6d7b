// The key-service client's crypto runs in Node and in the page from one implementation (@noble/*,
// Web Crypto). These tests pin it to what it replaced, so shards, files, CIDs and sealed shards
// stay interchangeable: kavach (shares), the Lighthouse SDK's encryptionNode (files),
// multiformats (CIDs) and node:crypto (X25519 + HKDF + AES-GCM sealing, PKCS#8 key files).
import { expect } from "chai";
import { createCipheriv, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes } from "node:crypto";
import { generate, recoverKey } from "@lighthouse-web3/kavach";
import {
  decryptFile as lighthouseDecrypt,
  encryptFile as lighthouseEncrypt,
} from "@lighthouse-web3/sdk/dist/Lighthouse/uploadEncrypted/encryptionNode";
import { cidOf, parseRawCid, verifyCid } from "../../sdk/keys/cid";
import { decryptFile, encryptFile } from "../../sdk/keys/file-cipher";
import { generateKey, keyCheck, recoverMasterKey, reshare } from "../../sdk/keys/threshold";
import { newTransportKey, open, seal, transportKeyFromPem, transportKeyToPem } from "../../sdk/keys/transport";
import { refusal } from "./helpers";

const esmImport = new Function("s", "return import(s)") as (s: string) => Promise<Record<string, unknown>>;

describe("key-service client crypto: one implementation for Node and the browser", () => {
  it("shares: our splits recover with kavach, kavach's with ours (any 3 of 5)", async () => {
    for (let i = 0; i < 5; i++) {
      const ours = await generateKey();
      const r = await recoverKey([ours.shards[4], ours.shards[0], ours.shards[2]]);
      expect(r.masterKey).to.equal(ours.masterKey);
      const theirs = await generate(3, 5);
      expect(await recoverMasterKey(theirs.keyShards.slice(i % 3, (i % 3) + 3), keyCheck(String(theirs.masterKey)))).to.equal(
        theirs.masterKey,
      );
    }
    const again = await reshare((await generate(3, 5)).masterKey as string);
    expect((await recoverKey(again.slice(2))).error).to.equal(null);
  });

  it("shares: a wrong shard is found by the key check; 2 shards are refused", async () => {
    const { masterKey, shards } = await generateKey();
    const bad = { ...shards[1], key: shards[3].key };
    expect(await recoverMasterKey([shards[0], bad, shards[2], shards[4]], keyCheck(masterKey))).to.equal(masterKey);
    expect((await refusal(recoverMasterKey([shards[0], bad, shards[2]], keyCheck(masterKey)))).code).to.equal("integrity");
    expect((await refusal(recoverMasterKey(shards.slice(0, 2)))).code).to.equal("threshold");
  });

  it("files: ours decrypt with the Lighthouse SDK's code and the SDK's with ours; a flipped byte is refused", async () => {
    const { masterKey } = await generateKey();
    const text = new TextEncoder().encode("version: '2.0'\nservices: {}\n".repeat(50));
    const ours = await encryptFile(text, masterKey);
    expect(Buffer.from((await lighthouseDecrypt(ours, masterKey)) as ArrayBuffer).equals(Buffer.from(text))).to.equal(true);
    const theirs = await lighthouseEncrypt(text, masterKey);
    expect(Buffer.from(await decryptFile(new Uint8Array(theirs), masterKey)).equals(Buffer.from(text))).to.equal(true);
    ours[40] ^= 1;
    let failed = false;
    await decryptFile(ours, masterKey).catch(() => (failed = true));
    expect(failed).to.equal(true);
  });

  it("CIDs: cidOf equals multiformats' CIDv1 raw sha256; others are unsupported, junk is bad_request", async () => {
    const mf = await esmImport("multiformats");
    const sha2 = await esmImport("multiformats/hashes/sha2");
    const raw = await esmImport("multiformats/codecs/raw");
    const CID = mf.CID as { create(v: number, c: number, d: unknown): { toString(): string } };
    const sha = sha2.sha256 as { digest(b: Uint8Array): Promise<unknown> };
    for (const n of [0, 1, 31, 32, 33, 1000]) {
      const bytes = randomBytes(n);
      const want = CID.create(1, raw.code as number, await sha.digest(bytes)).toString();
      expect(await cidOf(bytes)).to.equal(want);
      expect((await parseRawCid(want)).cid).to.equal(want);
      await verifyCid(want, bytes);
      if (n) expect((await refusal(verifyCid(want, randomBytes(n)))).code).to.equal("integrity");
    }
    const dagPb = CID.create(1, 0x70, await sha.digest(randomBytes(8))).toString();
    expect((await refusal(parseRawCid(dagPb))).code).to.equal("unsupported");
    expect((await refusal(parseRawCid("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"))).code).to.equal("unsupported");
    expect((await refusal(parseRawCid("not a cid!"))).code).to.equal("bad_request");
  });

  it("sealing: node:crypto's X25519/HKDF/AES-GCM opens with ours, PKCS#8 key files read and write the same", async () => {
    const node = generateKeyPairSync("x25519");
    const pem = node.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const me = transportKeyFromPem(pem);
    const nodePub = node.publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("base64url");
    expect(me.publicKey).to.equal(nodePub);
    expect(transportKeyToPem(me)).to.equal(pem);
    // what the stores sealed before this change: node:crypto, same construction
    const info = "hexs-shard-reply-v1|1 x|bafk|nonce";
    const eph = generateKeyPairSync("x25519");
    const epk = eph.publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("base64url");
    const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: node.publicKey });
    const key = Buffer.from(hkdfSync("sha256", shared, Buffer.from(`${epk}|${nodePub}`), Buffer.from(info), 32));
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(info));
    const body = Buffer.concat([c.update("shard"), c.final(), c.getAuthTag()]);
    const sealed = ["v1", epk, iv.toString("base64url"), body.toString("base64url")].join(".");
    expect(Buffer.from(open(me, sealed, info)).toString()).to.equal("shard");
    // and ours round-trips, bound to its info
    const k = newTransportKey();
    const s = seal(k.publicKey, "abc", info);
    expect(Buffer.from(open(k, s, info)).toString()).to.equal("abc");
    expect((await refusal(() => open(k, s, info + "x"))).code).to.equal("integrity");
  });
});

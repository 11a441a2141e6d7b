// Golden-vector and property tests for the Hexs message codec: TypeScript (codec) and
// Solidity (contracts/evm/libraries/HexsCodec.sol through contracts/evm/test/CodecHarness.sol).
// The Rust crate (contracts/cosmwasm/codec) runs the same vectors with `cargo test`.
import { expect } from "chai";
import { ethers } from "hardhat";
import fc from "fast-check";
import { getBytes, hexlify, zeroPadValue } from "ethers";
import type { CodecHarness } from "../../sdk/typechain";
import vectors from "../../codec/vectors.json";
import {
  Account,
  AccountFamily,
  BATCH_TAG,
  batchRoot,
  batchRootOfMessages,
  BODY_FIELDS,
  CODEC_VERSION,
  CodecError,
  CodecErrorCode,
  decodeHeader,
  decodeMessage,
  encodeAccount,
  encodeMessage,
  HEADER_LENGTH,
  JsonObject,
  Kind,
  KIND_NAMES,
  MAX_BYTES_LENGTH,
  MAX_CURRENCY_LENGTH,
  MAX_PRICES,
  MAX_STRING_LENGTH,
  Message,
  messageDigest,
  messageFromJson,
  messageToJson,
  globalId,
  splitGlobalId,
} from "../../codec";

function expectCodecError(f: () => unknown, code: CodecErrorCode): void {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(CodecError);
    expect((e as CodecError).code).to.equal(code);
    return;
  }
  expect.fail(`expected CodecError ${code}`);
}

const accountFromVector = (a: { family: number; address: string }): Account => ({
  family: a.family as AccountFamily,
  address: a.address,
});
/** Account word as the Solidity library holds it: 20-byte addresses right-aligned in a bytes32. */
const solAccount = (a: Account): { family: number; addr: string } => ({
  family: a.family,
  addr: zeroPadValue(a.address, 32),
});

interface SolAccount {
  family: bigint;
  addr: string;
}
type SolValue = bigint | boolean | string | SolAccount | SolValue[] | { [k: string]: SolValue };

/** Converts a decoded Solidity struct to the JSON body format of the vectors. */
function solBodyToJson(kind: Kind, decoded: unknown): JsonObject {
  const r = decoded as { [k: string]: SolValue };
  const out: JsonObject = {};
  for (const [name, t] of BODY_FIELDS[kind]) {
    const v = r[name];
    switch (t) {
      case "u16":
      case "u32":
        out[name] = Number(v as bigint);
        break;
      case "u64":
      case "u128":
        out[name] = (v as bigint).toString();
        break;
      case "bool":
        out[name] = v as boolean;
        break;
      case "b32":
      case "bytes":
      case "string":
        out[name] = v as string;
        break;
      case "account": {
        const a = v as SolAccount;
        const family = Number(a.family);
        out[name] = { family, address: family === AccountFamily.CosmWasm ? a.addr : hexlify(getBytes(a.addr).slice(12)) };
        break;
      }
      case "prices":
        out[name] = (v as { currency: string; amount: bigint }[]).map((p) => ({
          currency: p.currency,
          amount: p.amount.toString(),
        }));
        break;
    }
  }
  return out;
}

type Decoder = (m: string) => Promise<unknown>;
/** The harness's decoder for a kind: `decode<KindName>` (generated from the schema into BodiesHarness). */
function solDecoder(h: CodecHarness, kind: Kind): Decoder {
  const decoder = (h as unknown as Record<string, Decoder | undefined>)[`decode${KIND_NAMES[kind]}`];
  if (decoder === undefined) throw new Error(`CodecHarness has no decoder for ${KIND_NAMES[kind]}`);
  return decoder;
}

describe("Hexs message codec", function () {
  let harness: CodecHarness;

  before(async function () {
    harness = (await (await ethers.getContractFactory("CodecHarness")).deploy()) as unknown as CodecHarness;
    await harness.waitForDeployment();
  });

  describe("golden vectors: TypeScript", function () {
    it("constants match the vector file", function () {
      const c = vectors.constants;
      expect(c.version).to.equal(CODEC_VERSION);
      expect(c.headerLength).to.equal(HEADER_LENGTH);
      expect(c.maxStringLength).to.equal(MAX_STRING_LENGTH);
      expect(c.maxBytesLength).to.equal(MAX_BYTES_LENGTH);
      expect(c.maxCurrencyLength).to.equal(MAX_CURRENCY_LENGTH);
      expect(c.maxPrices).to.equal(MAX_PRICES);
      expect(c.batchTag).to.equal(BATCH_TAG);
    });

    it("covers every kind", function () {
      const kinds = new Set(vectors.messages.map((v) => v.message.kind));
      for (const name of Object.values(KIND_NAMES)) expect(kinds.has(name), name).to.equal(true);
    });

    for (const v of vectors.messages) {
      it(`${v.name}: encode, decode, digest`, function () {
        const m = messageFromJson(v.message as unknown as JsonObject);
        expect(hexlify(encodeMessage(m))).to.equal(v.hex);
        expect(getBytes(v.hex).length).to.equal(v.length);
        const back = decodeMessage(v.hex);
        expect(messageToJson(back)).to.deep.equal(v.message);
        expect(messageDigest(v.hex)).to.equal(v.digest);
        expect(messageDigest(m)).to.equal(v.digest);
      });
    }

    it("rejects every rejection vector with the expected error", function () {
      for (const r of vectors.rejections) {
        try {
          decodeMessage(r.hex);
          expect.fail(`${r.name} decoded`);
        } catch (e) {
          expect(e, r.name).to.be.instanceOf(CodecError);
          expect((e as CodecError).code, r.name).to.equal(r.error);
        }
      }
    });

    it("batch roots and batch rejections", function () {
      for (const b of vectors.batches) {
        const r = batchRootOfMessages(b.messages);
        expect(r.root, b.name).to.equal(b.root);
        expect(r.digests).to.deep.equal(b.digests);
        expect(batchRoot({ srcChain: b.srcChain, dstChain: b.dstChain, firstNonce: BigInt(b.firstNonce) }, b.digests)).to.equal(
          b.root,
        );
      }
      for (const b of vectors.batchRejections) {
        expectCodecError(() => batchRootOfMessages(b.messages), b.error as CodecErrorCode);
      }
    });

    it("accounts", function () {
      for (const a of vectors.accounts) expect(hexlify(encodeAccount(accountFromVector(a)))).to.equal(a.encoded);
    });

    it("global ids", function () {
      expect(globalId(1, 1)).to.equal(4294967297n);
      expect(splitGlobalId(globalId(0xffffffff, 7))).to.deep.equal({ originChain: 0xffffffff, localSerial: 7 });
      expectCodecError(() => globalId(2 ** 32, 0), "ValueOutOfRange");
    });

    it("encoder rejects values it could not decode", function () {
      const base = messageFromJson(vectors.messages.find((v) => v.name === "key-minted-evm")!.message as unknown as JsonObject);
      if (base.kind !== Kind.KeyMinted) throw new Error("fixture");
      const withOwner = (owner: Account): Message => ({ ...base, body: { ...base.body, owner } });
      expectCodecError(
        () => encodeMessage(withOwner({ family: AccountFamily.Evm, address: "0x" + "11".repeat(32) })),
        "BadAccountLength",
      );
      expectCodecError(
        () => encodeMessage(withOwner({ family: AccountFamily.CosmWasm, address: "0x" + "11".repeat(20) })),
        "BadAccountLength",
      );
      expectCodecError(
        () => encodeMessage(withOwner({ family: 7 as AccountFamily, address: "0x" + "11".repeat(20) })),
        "UnknownAccountFamily",
      );
      expectCodecError(() => encodeMessage({ ...base, nonce: 1n << 64n }), "ValueOutOfRange");
      expectCodecError(() => encodeMessage({ ...base, srcChain: -1 }), "ValueOutOfRange");
      expectCodecError(() => encodeMessage({ ...base, version: 2 }), "UnsupportedVersion");
      const lease: Message = {
        ...base,
        kind: Kind.LeaseReported,
        body: { purchaseId: 1n, ok: true, dseq: 1n, gseq: 1, oseq: 1, provider: "x".repeat(MAX_STRING_LENGTH + 1), reason: "" },
      };
      expectCodecError(() => encodeMessage(lease), "StringTooLong");
      expectCodecError(() => encodeMessage({ ...lease, body: { ...lease.body, provider: "a\ud800b" } }), "InvalidUtf8");
      const upd: Message = {
        ...base,
        kind: Kind.ModelUpdated,
        body: {
          modelId: 1n,
          sequence: 1n,
          retired: false,
          contentCommitment: "0x" + "11".repeat(32),
          sdlLocator: "",
          metadataUri: "",
          prices: Array.from({ length: MAX_PRICES + 1 }, () => ({ currency: "0x", amount: 1n })),
        },
      };
      expectCodecError(() => encodeMessage(upd), "TooManyPrices");
      expectCodecError(
        () => encodeMessage({ ...upd, body: { ...upd.body, prices: [{ currency: "0x", amount: 1n << 128n }] } }),
        "ValueOutOfRange",
      );
      expectCodecError(
        () =>
          encodeMessage({
            ...upd,
            body: { ...upd.body, prices: [{ currency: "0x" + "00".repeat(MAX_CURRENCY_LENGTH + 1), amount: 1n }] },
          }),
        "BytesTooLong",
      );
    });
  });

  describe("golden vectors: Solidity", function () {
    for (const v of vectors.messages) {
      it(`${v.name}: decode fields, re-encode, digest`, async function () {
        const kind = Kind[v.message.kind as keyof typeof Kind];
        const [h, body] = await harness.decodeHeader(v.hex);
        expect(Number(h.kind)).to.equal(kind);
        expect(Number(h.srcChain)).to.equal(v.message.srcChain);
        expect(Number(h.dstChain)).to.equal(v.message.dstChain);
        expect(h.nonce.toString()).to.equal(v.message.nonce);
        expect(body).to.equal(hexlify(getBytes(v.hex).slice(HEADER_LENGTH)));
        const decoded = await solDecoder(harness, kind)(v.hex);
        expect(solBodyToJson(kind, decoded)).to.deep.equal(v.message.body);
        expect(await harness.roundTrip(v.hex)).to.equal(v.hex);
        expect(await harness.digest(v.hex)).to.equal(v.digest);
        expect(Number((await harness.validate(v.hex)).kind)).to.equal(kind);
      });
    }

    for (const r of vectors.rejections) {
      it(`rejects ${r.name} with ${r.error}`, async function () {
        await expect(harness.validate(r.hex)).to.be.revertedWithCustomError(harness, r.error);
      });
    }

    it("rejects a message of the wrong kind for a typed decoder", async function () {
      const hex = vectors.messages.find((v) => v.name === "key-burned")!.hex;
      await expect(harness.decodeKeyMinted(hex)).to.be.revertedWithCustomError(harness, "WrongKind");
    });

    it("batch roots and batch rejections", async function () {
      for (const b of vectors.batches) {
        const [root, first] = await harness.batchRootOf(b.messages);
        expect(root, b.name).to.equal(b.root);
        expect(Number(first.srcChain)).to.equal(b.srcChain);
        expect(Number(first.dstChain)).to.equal(b.dstChain);
        expect(first.nonce.toString()).to.equal(b.firstNonce);
        expect(await harness.batchRoot(b.srcChain, b.dstChain, b.firstNonce, b.digests)).to.equal(b.root);
      }
      for (const b of vectors.batchRejections) {
        await expect(harness.batchRootOf(b.messages), b.name).to.be.revertedWithCustomError(harness, b.error);
      }
      await expect(harness.batchRoot(1, 2, 1, [])).to.be.revertedWithCustomError(harness, "EmptyBatch");
    });

    it("accounts", async function () {
      for (const a of vectors.accounts) expect(await harness.encodeAccount(solAccount(accountFromVector(a)))).to.equal(a.encoded);
      await expect(harness.encodeAccount({ family: 1, addr: "0x" + "11".repeat(32) })).to.be.revertedWithCustomError(
        harness,
        "BadAccountLength",
      );
      await expect(harness.encodeAccount({ family: 9, addr: "0x" + "00".repeat(32) })).to.be.revertedWithCustomError(
        harness,
        "UnknownAccountFamily",
      );
      expect(await harness.globalId(100, 42)).to.equal(globalId(100, 42));
    });

    it("reports decode gas (KeyMinted, PurchaseSettled, 50-message batch)", async function () {
      const km = vectors.messages.find((v) => v.name === "key-minted-evm")!;
      const ps = vectors.messages.find((v) => v.name === "purchase-settled-erc20")!;
      const mr = vectors.messages.find((v) => v.name === "model-registered-fork-unicode")!;
      const kmGas = await harness.gasDecodeKeyMinted(km.hex);
      const psGas = await harness.gasValidate(ps.hex);
      const mrGas = await harness.gasValidate(mr.hex);
      const ma = vectors.messages.find((v) => v.name === "model-registered-root")!;
      const maGas = await harness.gasValidate(ma.hex);
      const batch: string[] = [];
      for (let i = 0; i < 50; i++) {
        batch.push(
          hexlify(
            encodeMessage({
              version: CODEC_VERSION,
              kind: Kind.KeyMinted,
              srcChain: 100,
              dstChain: 1,
              nonce: 1000n + BigInt(i),
              body: {
                modelId: globalId(100, 1),
                keyId: globalId(100, 500 + i),
                owner: { family: AccountFamily.Cosmos, address: "0x" + "ab".repeat(20) },
                expiresAt: 0n,
                locked: false,
              },
            }),
          ),
        );
      }
      const [batchGas, root] = await harness.gasBatchKeyMinted(batch);
      expect(root).to.equal(batchRootOfMessages(batch).root);
      console.log(
        `      gas: KeyMinted decode ${kmGas} (${km.length} B), PurchaseSettled validate ${psGas} (${ps.length} B), ` +
          `ModelRegistered validate ${maGas} (ASCII, ${ma.length} B) / ${mrGas} (unicode, ${mr.length} B), 50×KeyMinted root+decode ${batchGas} (${Number(batchGas) / 50}/msg)`,
      );
      expect(kmGas).to.be.lessThan(5_000n);
      expect(batchGas / 50n).to.be.lessThan(6_000n);
    });
  });

  describe("properties (fast-check)", function () {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    const u128 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
    const u16 = fc.integer({ min: 0, max: 0xffff });
    const hexBytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => hexlify(b));
    const b32 = hexBytes(32, 32);
    const str = fc.string({ unit: "binary", maxLength: 120 });
    const account: fc.Arbitrary<Account> = fc.oneof(
      hexBytes(20, 20).map((address) => ({ family: AccountFamily.Evm, address })),
      hexBytes(20, 20).map((address) => ({ family: AccountFamily.Cosmos, address })),
      hexBytes(32, 32).map((address) => ({ family: AccountFamily.CosmWasm, address })),
    );
    const currency = hexBytes(0, MAX_CURRENCY_LENGTH);
    const params = hexBytes(0, 300);

    const body: fc.Arbitrary<Pick<Message, "kind" | "body">> = fc.oneof(
      fc
        .record({
          modelId: u64,
          parentId: u64,
          creator: account,
          contentCommitment: b32,
          parentCommitment: b32,
          soulbound: fc.boolean(),
          forkable: fc.boolean(),
          keyDuration: u64,
          upstreamBps: u16,
          daoBps: u16,
          forkRoyaltyBps: u16,
          resaleRoyaltyBps: u16,
          sdlLocator: str,
          metadataUri: str,
        })
        .map((b) => ({ kind: Kind.ModelRegistered as const, body: b })),
      fc
        .record({
          modelId: u64,
          sequence: u64,
          retired: fc.boolean(),
          contentCommitment: b32,
          sdlLocator: str,
          metadataUri: str,
          prices: fc.array(fc.record({ currency, amount: u128 }), { maxLength: MAX_PRICES }),
        })
        .map((b) => ({ kind: Kind.ModelUpdated as const, body: b })),
      fc
        .record({ modelId: u64, keyId: u64, owner: account, expiresAt: u64, locked: fc.boolean() })
        .map((b) => ({ kind: Kind.KeyMinted as const, body: b })),
      fc
        .record({ keyId: u64, modelId: u64, from: account, to: account })
        .map((b) => ({ kind: Kind.KeyTransferred as const, body: b })),
      fc
        .record({
          keyId: u64,
          modelId: u64,
          fromChain: u32,
          toChain: u32,
          from: account,
          owner: account,
          expiresAt: u64,
          locked: fc.boolean(),
        })
        .map((b) => ({ kind: Kind.KeyMoved as const, body: b })),
      fc.record({ keyId: u64, modelId: u64, owner: account }).map((b) => ({ kind: Kind.KeyBurned as const, body: b })),
      fc
        .record({
          purchaseId: u64,
          modelId: u64,
          keyId: u64,
          buyer: account,
          currency,
          amount: u128,
          deploymentRequested: fc.boolean(),
          deploymentParams: params,
        })
        .map((b) => ({ kind: Kind.PurchaseSettled as const, body: b })),
      fc
        .record({ purchaseId: u64, ok: fc.boolean(), dseq: u64, gseq: u32, oseq: u32, provider: str, reason: str })
        .map((b) => ({ kind: Kind.LeaseReported as const, body: b })),
      fc
        .record({ creator: account, chain: u32, payout: account, bindNonce: u64, signature: hexBytes(0, 130) })
        .map((b) => ({ kind: Kind.PayoutAddressBound as const, body: b })),
    );
    const message: fc.Arbitrary<Message> = fc
      .record({ srcChain: u32, dstChain: u32, nonce: u64, kb: body })
      .map(({ srcChain, dstChain, nonce, kb }) => ({ version: CODEC_VERSION, srcChain, dstChain, nonce, ...kb }) as Message);

    it("random messages round-trip exactly (TS)", function () {
      fc.assert(
        fc.property(message, (m) => {
          const bytes = encodeMessage(m);
          const back = decodeMessage(bytes);
          expect(messageToJson(back)).to.deep.equal(messageToJson(m));
          expect(hexlify(encodeMessage(back))).to.equal(hexlify(bytes));
          expect(decodeHeader(bytes).body.length).to.equal(bytes.length - HEADER_LENGTH);
        }),
        { numRuns: 500 },
      );
    });

    it("every truncation and any appended byte is rejected (TS)", function () {
      fc.assert(
        fc.property(message, fc.nat(), fc.integer({ min: 0, max: 255 }), (m, cutSeed, extra) => {
          const bytes = encodeMessage(m);
          const cut = cutSeed % bytes.length;
          expect(() => decodeMessage(bytes.subarray(0, cut))).to.throw(CodecError);
          const longer = new Uint8Array(bytes.length + 1);
          longer.set(bytes);
          longer[bytes.length] = extra;
          expectCodecError(() => decodeMessage(longer), "TrailingBytes");
        }),
        { numRuns: 500 },
      );
    });

    it("every single-byte truncation of every golden vector is rejected (TS)", function () {
      for (const v of vectors.messages) {
        const bytes = getBytes(v.hex);
        for (let cut = 0; cut < bytes.length; cut++) {
          expect(() => decodeMessage(bytes.subarray(0, cut)), `${v.name} cut ${cut}`).to.throw(CodecError);
        }
      }
    });

    it("random byte strings never decode to something that re-encodes differently (TS)", function () {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 9 }), (junk, kind) => {
          const data = new Uint8Array(junk.length + HEADER_LENGTH);
          data.set([CODEC_VERSION, kind, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1]);
          new DataView(data.buffer).setUint32(18, junk.length);
          data.set(junk, HEADER_LENGTH);
          let m: Message;
          try {
            m = decodeMessage(data);
          } catch (e) {
            expect(e).to.be.instanceOf(CodecError);
            return;
          }
          expect(hexlify(encodeMessage(m))).to.equal(hexlify(data));
        }),
        { numRuns: 1000 },
      );
    });

    it("Solidity UTF-8 validation agrees with the WHATWG decoder on random byte strings", async function () {
      const edge = [
        0x00, 0x2f, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0,
        0xf1, 0xf3, 0xf4, 0xf5, 0xff,
      ];
      const chunk = fc.oneof(
        fc.constantFrom(...edge).map((b) => [b]),
        fc.array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: 1, maxLength: 40 }),
        fc.string({ unit: "binary", minLength: 1, maxLength: 3 }).map((s) => Array.from(Buffer.from(s, "utf8"))),
      );
      const samples = fc.sample(fc.array(chunk, { maxLength: 24 }), { numRuns: 200, seed: 7 });
      const utf8 = new TextDecoder("utf-8", { fatal: true });
      let valid = 0;
      for (const parts of samples) {
        const text = Uint8Array.from(parts.flat().slice(0, MAX_STRING_LENGTH));
        const body = new Uint8Array(8 + 1 + 8 + 4 + 4 + 2 + 2 + text.length);
        const dv = new DataView(body.buffer);
        dv.setUint16(25, 0); // provider: empty
        dv.setUint16(27, text.length); // reason
        body.set(text, 29);
        const msg = new Uint8Array(HEADER_LENGTH + body.length);
        msg.set([CODEC_VERSION, Kind.LeaseReported, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1]);
        new DataView(msg.buffer).setUint32(18, body.length);
        msg.set(body, HEADER_LENGTH);
        let ok = true;
        try {
          utf8.decode(text);
        } catch {
          ok = false;
        }
        if (ok) {
          valid++;
          expect(messageToJson(decodeMessage(msg))).to.be.an("object");
          await harness.validate(msg);
        } else {
          expectCodecError(() => decodeMessage(msg), "InvalidUtf8");
          await expect(harness.validate(msg), hexlify(text)).to.be.revertedWithCustomError(harness, "InvalidUtf8");
        }
      }
      expect(valid).to.be.greaterThan(10);
      expect(valid).to.be.lessThan(190);
    });

    it("random messages round-trip through Solidity and truncations revert", async function () {
      const samples = fc.sample(message, { numRuns: 40, seed: 20261127 });
      for (const m of samples) {
        const hex = hexlify(encodeMessage(m));
        expect(await harness.roundTrip(hex)).to.equal(hex);
        expect(await harness.digest(hex)).to.equal(messageDigest(hex));
        const cut = hexlify(getBytes(hex).subarray(0, Math.floor(getBytes(hex).length / 2)));
        await expect(harness.validate(cut)).to.be.reverted;
      }
    });
  });
});

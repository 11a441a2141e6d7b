// The gateway's local x402 payment checks (services/api-gateway/fast-verify.ts) against viem on
// random keys: the hand-rolled EIP-712 digest equals hashTypedData, and the kept-key signature
// check says "valid" exactly when recovery names the payer and the token would take the signature
// (low s, v 27/28); malleated (high-s), wrong-v, foreign and corrupted signatures are never valid.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { hashTypedData, recoverAddress, toHex, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { secp256k1 } from "@noble/curves/secp256k1";
import {
  nativeSecp256k1,
  PayerKeys,
  tokenDomainSeparator,
  transferDigest,
  type TransferAuthorization,
} from "../../services/api-gateway/fast-verify";
import { TRANSFER } from "./helpers";

const N = secp256k1.CURVE.n;
const TYPES = { TransferWithAuthorization: TRANSFER } as const;

const tick = () => new Promise((r) => setImmediate(r));
const hex32 = (x: bigint) => x.toString(16).padStart(64, "0");
/** (r, s, v) → the same signature with s' = n - s and v flipped: ecrecover gives the same key. */
const malleate = (sig: Hex): Hex => {
  const s = BigInt(`0x${sig.slice(66, 130)}`);
  const v = parseInt(sig.slice(130), 16);
  return `${sig.slice(0, 66)}${hex32(N - s)}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
};
const flipV = (sig: Hex): Hex => `${sig.slice(0, 130)}${parseInt(sig.slice(130), 16) === 27 ? "1c" : "1b"}` as Hex;

describe("API gateway fast x402 checks (EIP-712 digest, kept-key ECDSA) against viem", function () {
  this.timeout(120_000);
  const token = privateKeyToAccount(generatePrivateKey()).address;
  const domain = { name: "Hexs Test USD", version: "1", chainId: 31337, verifyingContract: token };
  const sep = tokenDomainSeparator(domain.name, domain.version, domain.chainId, token);
  const auth = (from: string): TransferAuthorization => ({
    from,
    to: privateKeyToAccount(generatePrivateKey()).address,
    value: BigInt(`0x${randomBytes(6).toString("hex")}`).toString(),
    validAfter: "0",
    validBefore: String(2 ** 40 + Math.floor(Math.random() * 1e6)),
    nonce: toHex(randomBytes(32)),
  });
  const typed = (a: TransferAuthorization) => ({
    domain,
    types: TYPES,
    primaryType: "TransferWithAuthorization" as const,
    message: {
      from: a.from as Hex,
      to: a.to as Hex,
      value: BigInt(a.value),
      validAfter: BigInt(a.validAfter),
      validBefore: BigInt(a.validBefore),
      nonce: a.nonce as Hex,
    },
  });

  it("the TransferWithAuthorization digest equals viem's hashTypedData under the token's domain", () => {
    for (let i = 0; i < 20; i++) {
      const a = auth(privateKeyToAccount(generatePrivateKey()).address);
      expect(toHex(transferDigest(sep, a))).to.equal(hashTypedData(typed(a)));
    }
  });

  /** Signatures of 6 random keys, 8 each, and 6 altered forms of each, checked by `keys` against viem. */
  async function againstViem(keys: PayerKeys): Promise<void> {
    let checked = 0;
    for (let k = 0; k < 6; k++) {
      const payer = privateKeyToAccount(generatePrivateKey());
      const other = privateKeyToAccount(generatePrivateKey());
      for (let i = 0; i < 8; i++) {
        const a = auth(payer.address);
        const digest = transferDigest(sep, a);
        const good = await payer.signTypedData(typed(a));
        const cases: Array<[Hex, string]> = [
          [good, "valid"],
          [flipV(good), "invalid"],
          [malleate(good), "unsupported"], // viem recovers the payer, the token refuses high s
          [await other.signTypedData(typed(a)), "invalid"],
          [`${good.slice(0, 10)}${good[10] === "0" ? "1" : "0"}${good.slice(11)}` as Hex, "invalid"],
          [`${good.slice(0, 130)}01` as Hex, "unsupported"],
          [good.slice(0, 128) as Hex, "unsupported"],
        ];
        for (const [sig, want] of cases) {
          const verdict = keys.verify(digest, sig, payer.address);
          expect(verdict, `key ${k} sig ${i} ${sig}`).to.equal(want);
          if (verdict === "valid") {
            expect(await recoverAddress({ hash: toHex(digest), signature: sig })).to.equal(payer.address);
            expect(BigInt(`0x${sig.slice(66, 130)}`) <= N / 2n).to.equal(true);
          }
          if (sig.length === 132 && /^0x[0-9a-f]+$/.test(sig) && verdict === "invalid")
            expect(await recoverAddress({ hash: toHex(digest), signature: sig }).catch(() => "none")).to.not.equal(payer.address);
          checked++;
        }
        await tick(); // lets the kept key's table be built: later rounds take the kept-key path
      }
    }
    expect(checked).to.equal(6 * 8 * 7);
  }

  it("signatures of random keys (@noble/curves): valid exactly when viem recovers the payer with low s and v 27/28, before and after the key is kept; high-s, wrong-v, foreign and corrupted ones are not", async () => {
    const keys = new PayerKeys(10_000, false);
    expect(keys.native).to.equal(undefined);
    await againstViem(keys);
    // the kept-key path ran, and every signature it could not confirm went through a full recovery
    expect(keys.counts.kept).to.be.greaterThan(6 * 7 * 3);
  });

  it("signatures of random keys (native libsecp256k1 recovery, when the binding loads): the same verdicts as viem's recovery; later signatures of a payer match its kept key bytes", async function () {
    if (!nativeSecp256k1()) this.skip(); // the `secp256k1` package's native build is not installed
    const keys = new PayerKeys();
    expect(keys.native).to.not.equal(undefined);
    await againstViem(keys);
    // each payer's 7 later good signatures matched the kept key; the rest were recovered and hashed
    expect(keys.counts.kept).to.equal(6 * 7);
    expect(keys.counts.recovered).to.be.at.least(6 + 6 * 8 * 2); // first signatures, wrong-v and foreign ones
  });
});

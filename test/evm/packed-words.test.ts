// The hub reads and writes its Holding and MirrorKey slots as one word through PackedHolding and
// PackedMirrorKey, while the structs declare the slots for the upgrades plugin: the two must agree
// bit for bit, in both directions.
import { expect } from "chai";
import { ethers } from "hardhat";
import type { PackedWordsHarness } from "../../sdk/typechain";

const max = (bits: number) => (1n << BigInt(bits)) - 1n;
type HoldingTuple = readonly [bigint, bigint, bigint, bigint, bigint, bigint, boolean];
type KeyTuple = readonly [bigint, bigint, bigint, boolean, string];
const holding = ([perpetual, subscriptions, bestExpiry, keyId, resident, expiresAt, locked]: HoldingTuple) => ({
  perpetual,
  subscriptions,
  bestExpiry,
  keyId,
  resident,
  expiresAt,
  locked,
});
const mirrorKey = ([modelId, expiresAt, resident, locked, owner]: KeyTuple) => ({ modelId, expiresAt, resident, locked, owner });

describe("packed storage words match the structs that declare their slots", () => {
  let harness: PackedWordsHarness;
  before(async () => {
    harness = (await (await ethers.getContractFactory("PackedWordsHarness")).deploy()) as unknown as PackedWordsHarness;
  });

  // Distinct values per field, each field at its maximum, and all-zero: a wrong offset or width
  // moves bits from one field into another.
  const holdings = [
    [1n, 2n, 3n, 4n, 5n, 6n, true],
    [0x11223344n, 0x55667788n, 0x99aabbccddn, 0x0102030405060708n, 0xa1b2c3d4n, 0x0e0d0c0b0an, false],
    [max(32), max(32), max(40), max(64), max(32), max(40), true],
    [0n, 0n, 0n, 0n, 0n, 0n, false],
  ] as const;

  for (const h of holdings) {
    it(`Holding ${h.join(",")}`, async () => {
      const read = await harness.holdingThroughWord.staticCall(holding(h));
      expect([...read]).to.deep.equal([...h]);
      const rekeyed = await harness.holdingWithKey.staticCall(holding(h), max(64) - 1n, 0x7fffffffn, 0x8000000001n, !h[6]);
      expect([...rekeyed]).to.deep.equal([h[0], h[1], h[2], max(64) - 1n, 0x7fffffffn, 0x8000000001n, !h[6]]);
    });
  }

  const keys = [
    [1n, 2n, 3n, true, "0x0102030405060708090a0b0c0d0e"],
    [0x0102030405060708n, 0x99aabbccddn, 0xa1b2c3d4n, false, "0xffeeddccbbaa99887766554433221100".slice(0, 30)],
    [max(64), max(40), max(32), true, "0x" + "ff".repeat(14)],
    [0n, 0n, 0n, false, "0x" + "00".repeat(14)],
  ] as const;

  for (const k of keys) {
    it(`MirrorKey ${k.join(",")}`, async () => {
      const expected = [k[0], k[1], k[2], k[3], k[4]];
      expect([...(await harness.keyThroughWord.staticCall(mirrorKey(k)))]).to.deep.equal(expected);
      expect([...(await harness.keyThroughStruct.staticCall(mirrorKey(k)))]).to.deep.equal(expected);
    });
  }
});

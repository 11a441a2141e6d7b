// Issue 15, lever B of docs/gas.md (let the hub accept key facts from any account whose code hash
// is the key collections' BeaconProxy hash) was not built: a code hash names an account's
// runtime code, not how its storage came to be. Anyone can deploy a contract whose constructor
// writes any storage it likes and then returns the collections' runtime code byte for byte. Its
// code hash is then a genuine collection's, it runs KeyNFT through the beacon, and it never
// passed KeyNFT.initialize, so a registry-only initialize cannot stop it. These tests pin that
// fact and that the hub's recorder mapping (what the hub checks today) does not accept it.
import { expect } from "chai";
import { deployments, ethers } from "hardhat";
import { concat, keccak256, toBeHex, zeroPadValue } from "ethers";
import { Names } from "../../tasks/lib/protocol";
import { deployProtocol, publish, type Protocol } from "../../devnet/hardhat/protocol";

// ERC-7201 bases of KeyNFT's and HexsHub's storage (see the contracts).
const KEY_SLOT = "0xb1f1dd96f6f42df1cf6e508bb71f927d614471695ea6aaf6b034ec6ea86a9700";
const HUB_SLOT = 0xed831aabcf8e62e82a355daef486871821d49f1b1e64d8888f037bee1153b000n;

/**
 * Creation code that stores `modelId` in KeyNFT's first slot and then returns the runtime code
 * of `copyOf` (EXTCODECOPY): the deployed account has `copyOf`'s code and a storage of its own.
 */
function forgedCollectionInitcode(copyOf: string, modelId: bigint): string {
  const push20 = (a: string) => concat(["0x73", a]);
  return concat([
    "0x67", // PUSH8 modelId
    zeroPadValue(toBeHex(modelId), 8),
    "0x7f", // PUSH32 KeyNFT storage slot 0
    KEY_SLOT,
    "0x55", // SSTORE
    push20(copyOf),
    "0x3b", // EXTCODESIZE
    "0x80", // DUP1
    "0x6000", // PUSH1 0 (offset in the code)
    "0x6000", // PUSH1 0 (offset in memory)
    push20(copyOf),
    "0x3c", // EXTCODECOPY
    "0x6000", // PUSH1 0
    "0xf3", // RETURN memory[0 .. size]
  ]);
}

describe("gas levers: why the recorder check stays a mapping (docs/gas.md, lever B)", () => {
  let p: Protocol;
  beforeEach(async () => {
    p = await deployProtocol();
  });

  it("a stranger's contract with a key collection's code hash holds any model id without KeyNFT.initialize, and is no recorder", async () => {
    const [, , creator, stranger] = p.signers;
    const { modelId, keys } = await publish(p, creator);
    const genuine = await keys.getAddress();
    const tx = await stranger.sendTransaction({ data: forgedCollectionInitcode(genuine, modelId) });
    const forged = (await tx.wait())!.contractAddress!;

    const codeHash = async (a: string) => keccak256(await ethers.provider.getCode(a));
    expect(await codeHash(forged)).to.equal(await codeHash(genuine));
    expect(forged).to.not.equal(genuine);
    // It runs KeyNFT through the same beacon and presents itself as the victim model's collection.
    const fake = await ethers.getContractAt("KeyNFT", forged);
    expect(await fake.modelId()).to.equal(modelId);
    expect(await fake.hub()).to.equal(await keys.hub());

    // The hub's recorder mapping (slot 3 of HubStorage, by address) knows the registry's collection only.
    const hub = (await deployments.get(Names.hub)).address;
    const recorder = async (a: string) =>
      BigInt(
        await ethers.provider.getStorage(
          hub,
          keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["address", "uint256"], [a, HUB_SLOT + 3n])),
        ),
      );
    expect(await recorder(genuine)).to.equal(1n);
    expect(await recorder(forged)).to.equal(0n);
  });
});

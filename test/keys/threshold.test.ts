// kavach's defects and our work-arounds, plus the condition language (no chain needed).
import { expect } from "chai";
import { generate, recoverKey, shardKey } from "@lighthouse-web3/kavach";
import {
  anyOf,
  cosmwasmKeyCondition,
  evmKeyCondition,
  generateKey,
  keyCheck,
  parseAggregator,
  recoverMasterKey,
  reshare,
  validateConditions,
} from "../../sdk/keys";
import type { ChainConfig } from "../../sdk/keys";
import { refusal } from "./helpers";

describe("threshold custody work-arounds (kavach 0.1.9)", () => {
  it("defect: kavach recovers a WRONG key from 2 shards with error null; we refuse fewer than 3", async () => {
    const { masterKey, keyShards } = await generate();
    const two = await recoverKey(keyShards.slice(0, 2));
    expect(two.error).to.equal(null);
    expect(two.masterKey).to.not.equal(masterKey);
    const e = await refusal(recoverMasterKey(keyShards.slice(0, 2), keyCheck(String(masterKey))));
    expect(e.code).to.equal("threshold");
    expect(e.message).to.match(/need 3 distinct key shards .* got 2/);
    expect(await recoverMasterKey(keyShards.slice(2), keyCheck(String(masterKey)))).to.equal(masterKey);
  });

  it("defect: shardKey(key, 3) needs 4 shards; reshare() passes 2 and verifies a true 3-of-5 split", async () => {
    const { masterKey } = await generateKey();
    const naive = await shardKey(masterKey, 3, 5);
    expect((await recoverKey(naive.keyShards.slice(0, 3))).masterKey).to.not.equal(masterKey);
    expect((await recoverKey(naive.keyShards.slice(0, 4))).masterKey).to.equal(masterKey);
    const fixed = await reshare(masterKey);
    expect((await recoverKey(fixed.slice(1, 4))).masterKey).to.equal(masterKey);
    expect((await recoverKey(fixed.slice(3))).masterKey).to.not.equal(masterKey);
  });

  it("generateKey() verifies every 3-subset recovers and no 2-subset does; without a key check, 3 shards are still demanded", async () => {
    const { masterKey, shards, keyCheck: kc } = await generateKey();
    expect(kc).to.equal(keyCheck(masterKey));
    expect(await recoverMasterKey([shards[0], shards[2], shards[4]])).to.equal(masterKey);
    expect((await refusal(recoverMasterKey([shards[1], shards[1], shards[3]]))).code).to.equal("threshold");
  });
});

describe("access conditions (Lighthouse JSON + CosmWasm has_access)", () => {
  const chains: ChainConfig[] = [
    { name: "hexs-evm-31337", kind: "evm", rpcUrl: "http://127.0.0.1:1", chainId: 31337 },
    { name: "hexs-wasmd-1", kind: "cosmwasm", rpcUrl: "http://127.0.0.1:1" },
  ];
  const nft = "0x" + "11".repeat(20);

  it("aggregators: 'and' binds tighter than 'or'; junk is refused with the token", async () => {
    expect(parseAggregator("([1] or [2])")).to.deep.equal({ op: "or", left: { id: 1 }, right: { id: 2 } });
    expect(parseAggregator("[1] or [2] and [3]")).to.deep.equal({
      op: "or",
      left: { id: 1 },
      right: { op: "and", left: { id: 2 }, right: { id: 3 } },
    });
    expect((await refusal(() => parseAggregator("[1] or process.exit()"))).message).to.match(/unexpected 'process.exit\(\)'/);
    expect((await refusal(() => parseAggregator("([1] or [2]"))).message).to.match(/missing '\)'/);
  });

  it("an EVM KeyNFT or a CosmWasm mirror key: the SDK's own schema accepts the set, and so do we", () => {
    const set = anyOf([evmKeyCondition(0, "hexs-evm-31337", nft), cosmwasmKeyCondition(0, "hexs-wasmd-1", "wasm1contract", 7n)]);
    expect(set.aggregator).to.equal("([1] or [2])");
    const v = validateConditions({ ...set, chainType: "evm" }, chains);
    expect(v.conditions[1]).to.include({ method: "has_access", chain: "hexs-wasmd-1" });
    expect(v.conditions[1].parameters).to.deep.equal(["7", ":userAddress"]);
  });

  it("refuses what it cannot evaluate, saying what would work", async () => {
    const wasmOther = { ...cosmwasmKeyCondition(1, "hexs-wasmd-1", "wasm1c", 1n), method: "owner_of" };
    expect((await refusal(() => validateConditions({ conditions: [wasmOther] }, chains))).message).to.match(
      /only Custom 'has_access'/,
    );
    expect(
      (
        await refusal(() =>
          validateConditions({ conditions: [evmKeyCondition(1, "hexs-evm-31337", nft)], chainType: "SOLANA" }, chains),
        )
      ).code,
    ).to.equal("unsupported");
    const two = [evmKeyCondition(1, "hexs-evm-31337", nft), evmKeyCondition(2, "hexs-evm-31337", nft)];
    expect((await refusal(() => validateConditions({ conditions: two }, chains))).message).to.match(/aggregator/);
  });

  // The CosmWasm condition against a real wasmd chain needs the Hexs contract's wasm and a
  // committed build/deploy path (scripts/build-wasm.sh was not committed when this was written).
  it("PENDING: a key held on the CosmWasm mirror opens the file via has_access on a real wasmd chain");
});

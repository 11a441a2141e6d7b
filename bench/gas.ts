// Gas benchmark of the EVM core: whole-transaction gasUsed on the Hardhat network.
// Prints a table, writes bench/results/gas.json, and with GAS_CHECK=1 fails when any figure
// regresses by more than 2% against the committed bench/gas-snapshot.json
// (GAS_UPDATE=1 rewrites the snapshot; say why in the commit message).
import fs from "node:fs";
import path from "node:path";
import { ethers } from "hardhat";
import type { ContractTransactionResponse, Signer } from "ethers";
import { deployProtocol, deploySingleChain, NATIVE, publish, publishParams, type Protocol } from "../test/evm/fixtures";
import type { TestToken } from "../typechain-types";

const SNAPSHOT = path.join(__dirname, "gas-snapshot.json");
const RESULTS = path.join(__dirname, "results", "gas.json");
const TOLERANCE = 0.02;

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  return Number(receipt!.gasUsed);
}

// Issue 2's figures are measured on a single-chain deployment (no cross-chain recording);
// the same paths with the hub recording facts for the other chains get a ".recorded" twin.
const RECORDED = ["publish", "fork.depth1", "buy.native.depth1", "buy.erc20.depth1", "key.transfer"];

async function main() {
  const gas = await scenario(await deploySingleChain());
  const recorded = await scenario(await deployProtocol());
  for (const op of RECORDED) gas[`${op}.recorded`] = recorded[op];
  report(gas);
}

async function scenario(p: Protocol): Promise<Record<string, number>> {
  const [, , creator, forker, ...others] = p.signers;
  let next = 0;
  const freshBuyer = (): Signer => others[next++];
  const gas: Record<string, number> = {};
  const price = ethers.parseEther("0.01");

  // Publishing: the first model on a chain pays for the serial slot, so measure the second.
  const root = await publish(p, creator);
  gas.publish = await gasOf(p.registry.connect(creator).publish(publishParams({ content: "second" })));

  // A chain of forks 64 deep; measure the forks made at depth 1 and depth 64.
  const chain: bigint[] = [root.modelId];
  for (let depth = 1; depth <= 64; depth++) {
    const parent = chain[chain.length - 1];
    const tx = p.registry.connect(forker).fork(parent, publishParams({ content: `fork-${depth}` }));
    const used = await gasOf(tx);
    if (depth === 1) gas["fork.depth1"] = used;
    if (depth === 64) gas["fork.depth64"] = used;
    chain.push(BigInt(await p.registry.modelCount()) | (BigInt(await p.registry.chainId()) << 32n));
  }
  const depth1 = chain[1];
  const depth64 = chain[64];

  const token = (await (await ethers.getContractFactory("TestToken")).deploy()) as unknown as TestToken;
  await token.waitForDeployment();
  for (const m of [depth1, depth64]) {
    await (await p.registry.connect(forker).setPrice(m, NATIVE, price, 0, true)).wait();
  }
  await (await p.registry.connect(forker).setPrice(depth1, await token.getAddress(), price, 0, true)).wait();
  // Accepting a token is a timelocked treasurer action; impersonate the timelock here.
  const timelockSigner = await ethers.getImpersonatedSigner(await p.timelock.getAddress());
  await (await creator.sendTransaction({ to: await p.timelock.getAddress(), value: ethers.parseEther("1") })).wait();
  await (await p.market.connect(timelockSigner).setAcceptedToken(await token.getAddress(), true)).wait();

  const buyNative = async (modelId: bigint, buyer: Signer) =>
    gasOf(p.market.connect(buyer).buy(modelId, NATIVE, await buyer.getAddress(), "0x", "0x", { value: price }));

  // Cold: the model's first sale (empty vault). Then steady state: non-empty vault, new buyer.
  gas["buy.native.cold"] = await buyNative(depth1, freshBuyer());
  gas["buy.native.depth1"] = await buyNative(depth1, freshBuyer());
  await buyNative(depth64, freshBuyer());
  gas["buy.native.depth64"] = await buyNative(depth64, freshBuyer());

  const erc20Buyer = async () => {
    const b = freshBuyer();
    await (await token.mint(await b.getAddress(), price)).wait();
    await (await token.connect(b).approve(await p.market.getAddress(), price)).wait();
    return b;
  };
  const tokenAddress = await token.getAddress();
  await gasOf(p.market.connect(await erc20Buyer()).buy(depth1, tokenAddress, await others[0].getAddress(), "0x", "0x"));
  const b20 = await erc20Buyer();
  gas["buy.erc20.depth1"] = await gasOf(p.market.connect(b20).buy(depth1, tokenAddress, await b20.getAddress(), "0x", "0x"));

  // With plugins: supply cap + expiry attached to a fresh model, steady state.
  const withPlugins = await publish(p, creator, {
    content: "plugins",
    plugins: [
      { plugin: await p.plugins.supplyCap.getAddress(), config: ethers.AbiCoder.defaultAbiCoder().encode(["uint64"], [1000]) },
      { plugin: await p.plugins.expiry.getAddress(), config: ethers.AbiCoder.defaultAbiCoder().encode(["uint64"], [86400]) },
    ],
  });
  await (await p.registry.connect(creator).setPrice(withPlugins.modelId, NATIVE, price, 0, true)).wait();
  await buyNative(withPlugins.modelId, freshBuyer());
  gas["buy.native.withPlugins"] = await buyNative(withPlugins.modelId, freshBuyer());

  // Settlement, warm: every slot it writes is already non-zero (vaults, credits).
  gas["settle.level.cold"] = await gasOf(p.market.settle(depth64, NATIVE)); // caches the lineage
  await (await p.market.settle(depth1, NATIVE)).wait();
  await buyNative(depth64, freshBuyer());
  gas["settle.level"] = await gasOf(p.market.settle(depth64, NATIVE));

  gas.claim = await gasOf(p.market.connect(forker).claim(NATIVE, await forker.getAddress()));

  const holder = others[1];
  const depth1Keys = await ethers.getContractAt("KeyNFT", await p.registry.keysOf(depth1));
  const keyId = (1n << 32n) | 2n; // the second key sold on this chain went to others[1]
  gas["key.transfer"] = await gasOf(
    depth1Keys.connect(holder).transferFrom(await holder.getAddress(), await others[15].getAddress(), keyId),
  );
  return gas;
}

function report(gas: Record<string, number>) {
  const snapshot: Record<string, number> = fs.existsSync(SNAPSHOT) ? JSON.parse(fs.readFileSync(SNAPSHOT, "utf8")) : {};
  const rows = Object.entries(gas).map(([op, used]) => {
    const base = snapshot[op];
    const delta = base ? ((used - base) / base) * 100 : NaN;
    return { op, used, base, delta };
  });
  console.log("\noperation                   gasUsed   snapshot    change");
  for (const r of rows) {
    const change = Number.isNaN(r.delta) ? "new" : `${r.delta >= 0 ? "+" : ""}${r.delta.toFixed(2)}%`;
    console.log(`${r.op.padEnd(26)} ${String(r.used).padStart(8)} ${String(r.base ?? "-").padStart(10)} ${change.padStart(9)}`);
  }
  const ratio = (a: string, b: string) => (((gas[a] - gas[b]) / gas[b]) * 100).toFixed(2);
  console.log(`\nbuy depth64 vs depth1: ${ratio("buy.native.depth64", "buy.native.depth1")}%`);
  console.log(`fork depth64 vs depth1: ${ratio("fork.depth64", "fork.depth1")}%`);

  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, JSON.stringify(gas, null, 2) + "\n");
  console.log(`wrote ${path.relative(process.cwd(), RESULTS)}`);

  if (process.env.GAS_UPDATE === "1") {
    fs.writeFileSync(SNAPSHOT, JSON.stringify(gas, null, 2) + "\n");
    console.log(`updated ${path.relative(process.cwd(), SNAPSHOT)}`);
  }
  if (process.env.GAS_CHECK === "1") {
    const regressions = rows.filter((r) => r.base !== undefined && r.used > r.base * (1 + TOLERANCE));
    const missing = Object.keys(snapshot).filter((k) => !(k in gas));
    if (regressions.length || missing.length) {
      for (const r of regressions) console.error(`gas regression: ${r.op} ${r.base} -> ${r.used} (+${r.delta.toFixed(2)}%)`);
      for (const k of missing) console.error(`gas snapshot key no longer measured: ${k}`);
      process.exitCode = 1;
    } else {
      console.log(`gas check passed: no figure above its snapshot by more than ${TOLERANCE * 100}%`);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

// Gas of a sponsored (ERC-4337) key purchase against a direct one: whole-bundle gasUsed of
// EntryPoint.handleOps (what the bundler's transaction costs; the paymaster pays it back to the
// bundler) for bundles of 1, 5 and 10 purchases, and each operation's share, next to
// buy.native.depth1 / buy.erc20.depth1 from bench/gas-snapshot.json. In-process Hardhat; the
// operations are the SDK's (approve + buy through SimpleAccount.executeBatch, policy-signed
// paymasterData). Writes bench/results/aa.json.
import fs from "node:fs";
import path from "node:path";
import { ethers } from "hardhat";
import { Wallet } from "ethers";
import { buyCalls, deployAa, draftOp, handle, KEY_PRICE, sponsorAndSign, type AaFixture } from "../devnet/hardhat/aa";

const SNAPSHOT = path.join(__dirname, "gas-snapshot.json");
const RESULTS = path.join(__dirname, "results", "aa.json");

/** `n` burners whose accounts hold tokens; with `deployed`, each account already made one purchase. */
async function burners(f: AaFixture, n: number, deployed: boolean) {
  const out: { owner: Wallet; account: string }[] = [];
  for (let i = 0; i < n; i++) {
    const owner = new Wallet(Wallet.createRandom().privateKey);
    const account = (await f.factory.getFunction("getAddress")(owner.address, 0)) as string;
    await (await f.token.mint(account, KEY_PRICE * 2n)).wait();
    out.push({ owner, account });
  }
  if (deployed) await bundle(f, out);
  return out;
}

/** One handleOps bundle with a sponsored purchase from each burner; returns its gasUsed. */
async function bundle(f: AaFixture, bs: { owner: Wallet; account: string }[]): Promise<number> {
  const ops = [];
  for (const b of bs) ops.push(await sponsorAndSign(f, await draftOp(f, b.owner.address, await buyCalls(f, b.account)), b.owner));
  const receipt = await (await handle(f, ops)).wait();
  const failed = receipt!.logs
    .map((l) => {
      try {
        return f.entryPoint.interface.parseLog(l);
      } catch {
        return null;
      }
    })
    .filter((e) => e?.name === "UserOperationEvent" && !e.args.success);
  if (failed.length) throw new Error(`${failed.length} sponsored purchases reverted`);
  return Number(receipt!.gasUsed);
}

async function main() {
  const f = await deployAa({ opsPerAccountPerHour: 100, weiPerHour: ethers.parseEther("100") });
  const snapshot = JSON.parse(fs.readFileSync(SNAPSHOT, "utf8")) as Record<string, number>;
  const gas: Record<string, number> = {};
  gas["buy.sponsored.newAccount"] = await bundle(f, await burners(f, 1, false));
  gas["buy.sponsored"] = await bundle(f, await burners(f, 1, true));
  for (const n of [5, 10]) {
    const whole = await bundle(f, await burners(f, n, true));
    gas[`buy.sponsored.bundle${n}`] = whole;
    gas[`buy.sponsored.bundle${n}.perOp`] = Math.round(whole / n);
  }
  const native = snapshot["buy.native.depth1"];
  const erc20 = snapshot["buy.erc20.depth1"];
  console.log("\noperation                          gasUsed   vs buy.native.depth1   vs buy.erc20.depth1");
  for (const [op, used] of Object.entries(gas)) {
    const rel = (base: number) => `${used >= base ? "+" : ""}${(((used - base) / base) * 100).toFixed(1)}%`;
    console.log(`${op.padEnd(32)} ${String(used).padStart(9)} ${rel(native).padStart(22)} ${rel(erc20).padStart(21)}`);
  }
  console.log(`(buy.native.depth1 = ${native}, buy.erc20.depth1 = ${erc20} from bench/gas-snapshot.json)`);
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, JSON.stringify({ ...gas, "buy.native.depth1": native, "buy.erc20.depth1": erc20 }, null, 2) + "\n");
  console.log(`wrote ${path.relative(process.cwd(), RESULTS)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

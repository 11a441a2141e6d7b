// Regenerates the CosmWasm contract's JSON schema (cosmwasm-schema) and the TypeScript
// message/response types (@cosmwasm/ts-codegen) in sdk/cosmwasm/.
// Only types: ts-codegen 1.14's generated client imports interchainjs, which this repo does
// not use (cosmjs is the pinned client); callers pass these types to cosmjs' SigningCosmWasmClient.
//   npx ts-node scripts/cw-codegen.ts
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import codegen from "@cosmwasm/ts-codegen";

const ROOT = path.resolve(__dirname, "..");
const CRATE = path.join(ROOT, "contracts/cosmwasm/hexs");
const OUT = path.join(ROOT, "sdk/cosmwasm");

async function main(): Promise<void> {
  execFileSync("cargo", ["run", "--quiet", "--bin", "schema"], { cwd: CRATE, stdio: "inherit" });
  await codegen({
    contracts: [{ name: "Hexs", dir: path.join(CRATE, "schema") }],
    outPath: OUT,
    options: {
      bundle: { enabled: false },
      types: { enabled: true },
      client: { enabled: false },
      reactQuery: { enabled: false },
      recoil: { enabled: false },
      messageComposer: { enabled: false },
      messageBuilder: { enabled: false },
      useContractsHook: { enabled: false },
    },
  });
  // Emitted even without a client, and it imports interchainjs: drop it.
  fs.rmSync(path.join(OUT, "baseClient.ts"), { force: true });
  console.log(`generated ${path.relative(ROOT, OUT)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// The policy signer as its own process, so a devnet supervises it like its other services (its
// exit is reported, `npm run devnet -- restart policy-signer` starts it again):
//   ts-node --transpile-only devnet/aa/policy-cli.ts --port <p> --rpc <url> --paymaster <address>
// It signs with the devnet's fixed policy key (POLICY_SIGNER, never for real funds) and prints
// `READY policy-signer <url>` once it listens.
import { isAddress } from "ethers";
import { startPolicyServer } from "./policy";
import { POLICY_SIGNER } from "./keys";

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (!v) throw new Error(`missing --${name}`);
  return v;
}

async function main(): Promise<void> {
  const port = Number(arg("port"));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad --port ${arg("port")}`);
  const paymaster = arg("paymaster");
  if (!isAddress(paymaster)) throw new Error(`bad --paymaster ${paymaster}: expected an address`);
  const server = await startPolicyServer({ port, rpcUrl: arg("rpc"), paymaster, signer: POLICY_SIGNER });
  console.log(`READY policy-signer ${server.url} (signer ${POLICY_SIGNER.address}, paymaster ${paymaster})`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e: unknown) => {
  console.error(`policy-signer: ${(e as Error).message}`);
  process.exit(1);
});

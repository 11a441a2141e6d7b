// `npm run devnet:aa`: the sponsored-purchase stand (hardhat node :8950, alto :8951, policy
// signer :8952) until Ctrl-C. See devnet/aa/README.md.
import path from "node:path";
import { ROOT } from "../chains";
import { startAaStand } from "./stand";

async function main() {
  const say = (line: string) => console.log(`[devnet:aa] ${line}`);
  const stand = await startAaStand({ dir: path.join(ROOT, ".devnet", "aa"), say });
  say(`addresses: ${JSON.stringify(stand.d)}`);
  say(`logs and pids.json in ${stand.dir}; Ctrl-C stops everything`);
  const net = `HEXS_DEVNET_URL_A=${stand.rpcUrl} HEXS_DEPLOYMENTS_DIR=${stand.dir}/deployments npx hardhat --network devnetA`;
  say(`a burner: ${net} aa:burner; fund its account with the model's ERC-20 (${stand.d.token}), then`);
  say(`  ${net} aa:buy --model ${stand.d.modelId} --currency ${stand.d.token}`);
  say(`  ${net} aa:transfer --model ${stand.d.modelId} --key <key id> --to <your wallet>`);
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    stand.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  stand.sup.onUnexpectedExit = (c, code, signal) => {
    say(`${c.name} (pid ${c.pid}) exited (${signal ?? `code ${code}`}); stopping. Its log: ${c.logFile}`);
    onSignal();
  };
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

// Run the model server:
//   npx ts-node --transpile-only services/model-server/cli.ts [--weights FILE] [--port N] [--name NAME] [--token-delay-ms N]
// Without --weights it runs the build step first (cached by content hash under .cache/model-server).
// A missing or corrupt weights file stops it with the reason and exit code 1.
import { ensureWeights } from "./build";
import { WeightsError } from "./model";
import { startModelServer } from "./server";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const weightsPath = arg("weights") ?? ensureWeights({ log: (l) => console.error(`[model-server] ${l}`) }).path;
  const svc = await startModelServer({
    weightsPath,
    port: arg("port") ? Number(arg("port")) : 0,
    modelName: arg("name"),
    tokenDelayMs: arg("token-delay-ms") ? Number(arg("token-delay-ms")) : 0,
    log: process.env.HEXS_LOG_LEVEL === "silent" ? undefined : (l) => console.error(`[model-server] ${l}`),
  });
  // the launcher waits for this line
  console.log(`model server listening on ${svc.url} (weights ${svc.model.hash})`);
  const stop = () => void svc.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e: unknown) => {
  console.error(`[model-server] ${e instanceof WeightsError ? e.message : (e as Error).stack}`);
  process.exit(1);
});

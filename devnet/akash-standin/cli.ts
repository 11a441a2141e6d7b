// Start the Akash stand-in (chain RPC + REST + one gateway per scripted provider) as a process,
// for the devnet:
//
//   npx ts-node --transpile-only devnet/akash-standin/cli.ts \
//     --port 18600                      RPC on 18600, REST on 18601, provider gateways from 18602 (up to port + 99)
//     --chain-id akash-standin-1
//     --block-ms 500                    one block every 500 ms
//     --provider provider-a:900:region=us-west      repeatable: <akash1… or label>[:<bid per mille>[:key=value,…]]
//     --provider provider-b:700:region=eu-central   (default: these two; a label becomes a fixed address)
//     --fund akash1…=50000000,500000000             repeatable: <address>=<uakt>,<uact> at genesis
//     --fund-mnemonic-file relayer.mnemonic=50000000,500000000   the same for the account of a mnemonic file
//     --info-file .devnet/akash.json    also write { rpc, rest, chainId, providers } there
//
// The stand-in keeps its state in memory: a restart starts a fresh chain (there is no data dir).
// It prints `READY akash-standin rpc=… rest=… chain-id=… providers=<addr>@<url>,…` once it
// listens, and exits 0 on SIGTERM/SIGINT.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { Secp256k1HdWallet } from "@cosmjs/amino";
import { toBech32 } from "@cosmjs/encoding";
import { startStandin, STANDIN_PORT_RANGE, type Standin } from "./index";

class UsageError extends Error {}

const USAGE = `usage: standin --port <p> [--chain-id <id>] [--block-ms <ms>] [--provider <akash1…|label>[:<permille>[:k=v,…]]]… [--fund <akash1…>=<uakt>,<uact>]… [--fund-mnemonic-file <file>=<uakt>,<uact>]… [--info-file <file>]`;

/** A label's fixed provider address (the same as test/akash/helpers/env.ts providerAddress). */
export function providerAddress(label: string): string {
  return toBech32("akash", createHash("sha256").update(label).digest().subarray(0, 20));
}

function flags(argv: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i += 2) {
    const a = argv[i];
    const v = argv[i + 1];
    if (!a.startsWith("--")) throw new UsageError(`unexpected argument '${a}'`);
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
    out.set(a.slice(2), [...(out.get(a.slice(2)) ?? []), v]);
  }
  for (const k of out.keys())
    if (!["port", "chain-id", "block-ms", "provider", "fund", "fund-mnemonic-file", "info-file"].includes(k))
      throw new UsageError(`unknown flag --${k}`);
  return out;
}

function amounts(spec: string, flag: string): [bigint, bigint] {
  const m = /^(\d+),(\d+)$/.exec(spec);
  if (!m) throw new UsageError(`--${flag}: amounts must be <uakt>,<uact> (whole numbers), got '${spec}'`);
  return [BigInt(m[1]), BigInt(m[2])];
}

export async function main(argv: string[]): Promise<Standin> {
  const f = flags(argv);
  const port = Number(f.get("port")?.[0] ?? STANDIN_PORT_RANGE[0]);
  if (!Number.isInteger(port) || port < 1024 || port > 65533)
    throw new UsageError(`--port must be in 1024-65533 (RPC; REST and providers follow; default ${STANDIN_PORT_RANGE[0]})`);
  const blockMs = Number(f.get("block-ms")?.[0] ?? 500);
  if (!Number.isInteger(blockMs) || blockMs < 10) throw new UsageError("--block-ms must be an integer ≥ 10");
  const providers = (f.get("provider") ?? ["provider-a:900:region=us-west", "provider-b:700:region=eu-central"]).map((spec) => {
    const [who, permille, attrs] = spec.split(":");
    const address = who.startsWith("akash1") ? who : providerAddress(who);
    const bid = permille === undefined || permille === "" ? 800 : Number(permille);
    if (!Number.isInteger(bid) || bid < 0 || bid > 1000)
      throw new UsageError(`--provider '${spec}': the bid is per mille of the order's max price (0-1000)`);
    const attributes = (attrs ?? "")
      .split(",")
      .filter(Boolean)
      .map((kv) => {
        const [key, value] = kv.split("=");
        if (!key || value === undefined) throw new UsageError(`--provider '${spec}': attributes are key=value,…`);
        return { key, value };
      });
    return { address, bidPermille: bid, bids: bid > 0, attributes };
  });
  const funds: [string, bigint, bigint][] = [];
  for (const spec of f.get("fund") ?? []) {
    const [addr, a] = spec.split("=");
    if (!/^akash1[02-9ac-hj-np-z]{38,58}$/.test(addr ?? ""))
      throw new UsageError(`--fund '${spec}': expected akash1…=<uakt>,<uact>`);
    funds.push([addr, ...amounts(a ?? "", "fund")]);
  }
  for (const spec of f.get("fund-mnemonic-file") ?? []) {
    const [file, a] = spec.split("=");
    let mnemonic: string;
    try {
      mnemonic = readFileSync(file, "utf8").trim();
    } catch (e) {
      throw new UsageError(`--fund-mnemonic-file: cannot read ${file}: ${(e as Error).message}`);
    }
    const [acct] = await (await Secp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "akash" })).getAccounts();
    funds.push([acct.address, ...amounts(a ?? "", "fund-mnemonic-file")]);
  }
  const standin = await startStandin({
    chainId: f.get("chain-id")?.[0] ?? "akash-standin-1",
    blockMs,
    firstPort: port,
    providers,
  });
  const want = `http://127.0.0.1:${port}`;
  if (standin.rpcUrl !== want || standin.restUrl !== `http://127.0.0.1:${port + 1}`) {
    await standin.close();
    throw new Error(
      `ports ${port} and ${port + 1} must both be free (got RPC ${standin.rpcUrl}, REST ${standin.restUrl}): stop what listens there or choose another --port`,
    );
  }
  for (const [addr, uakt, uact] of funds) {
    standin.chain.fund(addr, "uakt", uakt);
    standin.chain.fund(addr, "uact", uact);
  }
  const info = {
    rpc: standin.rpcUrl,
    rest: standin.restUrl,
    chainId: standin.chain.chainId,
    providers: [...standin.gateways.keys()].map((a) => ({
      address: a,
      hostUri: standin.chain.providers.find((p) => p.address === a)!.hostUri,
    })),
  };
  const file = f.get("info-file")?.[0];
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(info, null, 2) + "\n");
  }
  process.stdout.write(
    `READY akash-standin rpc=${info.rpc} rest=${info.rest} chain-id=${info.chainId} providers=${info.providers.map((p) => `${p.address}@${p.hostUri}`).join(",")}\n`,
  );
  return standin;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (s) => {
      let closing = false;
      const stop = () => {
        if (closing) return;
        closing = true;
        s.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
    },
    (e: Error) => {
      process.stderr.write(`standin: ${e.message}\n${e instanceof UsageError ? USAGE + "\n" : ""}`);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}

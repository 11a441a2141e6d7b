// The sponsored-purchase stand: a `hardhat node`, Hexs + EntryPoint v0.7 + SimpleAccountFactory +
// HexsPaymaster deployed by devnet/aa/deploy.ts, the Pimlico alto bundler (safe mode off:
// Hardhat has no ERC-7562 tracer) and the policy signer. Every child is started by the
// Supervisor and stopped by its PID.
import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { hardhat, requireFreePorts, ROOT } from "../chains";
import { Supervisor, waitFor, waitForLine, type Child } from "../procs";
import { ALTO_EXECUTORS, ALTO_UTILITY, devAccount, POLICY_SIGNER } from "./keys";
import type { AaDeployment, SponsorDeployment } from "./deploy";

export { devAccount, POLICY_SIGNER } from "./keys";
export const AA_PORTS = { node: 8950, bundler: 8951, policy: 8952 } as const;
const ALTO = path.join(ROOT, "node_modules/.bin/alto");
const TS_NODE = path.join(ROOT, "node_modules/.bin/ts-node");
/** The stand's chain: the `devnetA` or `devnetB` network of hardhat.config.ts, pointed at its node. */
const STAND_CHAINS = {
  A: { network: "devnetA", evmChainId: 31401, hexsChainId: 1, urlEnv: "HEXS_DEVNET_URL_A" },
  B: { network: "devnetB", evmChainId: 31402, hexsChainId: 2, urlEnv: "HEXS_DEVNET_URL_B" },
} as const;
/** The deterministic deployer (0x4e59…) alto deploys its simulation contracts through. */
export const DETERMINISTIC_DEPLOYER = "0x4e59b44847b379578588920ca78fbf26c0b4956c";
// Its runtime code: alto 0.0.20's pre-signed deployment transaction is malformed (non-hex
// characters), so the stand installs the code directly.
const DETERMINISTIC_DEPLOYER_CODE =
  "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3";

/** Install the deterministic deployer alto needs on a hardhat node. */
export async function installDeterministicDeployer(provider: JsonRpcProvider): Promise<void> {
  await provider.send("hardhat_setCode", [DETERMINISTIC_DEPLOYER, DETERMINISTIC_DEPLOYER_CODE]);
}

/** What clients (tasks/aa.ts `--sponsor`, the app's config.json `sponsors`) need to reach a sponsor. */
export interface SponsorEndpoints {
  /** the EVM chain id it sponsors on (clients check it against the chain they are connected to) */
  chainId: string;
  entryPoint: string;
  factory: string;
  paymaster: string;
  bundlerUrl: string;
  policyUrl: string;
}

export interface SponsorServices {
  sponsor: SponsorEndpoints;
  alto: Child;
  policy: Child;
}

/** The supervisor's names for a sponsor's two children (`npm run devnet -- restart <name>`). */
export interface SponsorChildNames {
  bundler: string;
  policy: string;
}
export const DEFAULT_SPONSOR_NAMES: SponsorChildNames = { bundler: "alto", policy: "policy-signer" };

/**
 * alto (safe mode off: Hardhat has no ERC-7562 tracer; CORS on for the web app's burner) and the
 * policy signer (its own process, devnet/aa/policy-cli.ts) against the node at `rpcUrl`, both
 * children of `sup` (restartable with their original command) under `names` (default alto,
 * policy-signer). One bundler and one policy signer per chain. Writes `<dir>/sponsor.json`.
 */
export async function startSponsorServices(
  sup: Supervisor,
  o: {
    rpcUrl: string;
    d: SponsorDeployment;
    ports: { bundler: number; policy: number };
    dir: string;
    names?: SponsorChildNames;
  },
): Promise<SponsorServices> {
  const { d, ports, rpcUrl } = o;
  const names = o.names ?? DEFAULT_SPONSOR_NAMES;
  const bundlerUrl = `http://127.0.0.1:${ports.bundler}`;
  const alto = sup.spawn(
    names.bundler,
    ALTO,
    [
      "--entrypoints",
      d.entryPoint,
      "--rpc-url",
      rpcUrl,
      "--port",
      String(ports.bundler),
      "--safe-mode",
      "false",
      // the web app's burner calls the bundler from the page (another origin)
      "--enable-cors",
      "true",
      "--executor-private-keys",
      ALTO_EXECUTORS.map((i) => devAccount(i).privateKey).join(","),
      "--utility-private-key",
      devAccount(ALTO_UTILITY).privateKey,
      "--utility-wallet-monitor",
      "false",
      "--block-time",
      "250",
      "--min-bundle-interval",
      "50",
      "--max-bundle-interval",
      "250",
      "--log-level",
      "warn",
    ],
    { cwd: ROOT },
  );
  const policy = sup.spawn(
    names.policy,
    TS_NODE,
    [
      "--transpile-only",
      path.join(__dirname, "policy-cli.ts"),
      "--port",
      String(ports.policy),
      "--rpc",
      rpcUrl,
      "--paymaster",
      d.paymaster,
    ],
    { cwd: ROOT },
  );
  await Promise.all([
    waitFor(
      "the alto bundler",
      120_000,
      async () => {
        const res = await fetch(bundlerUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_supportedEntryPoints", params: [] }),
        });
        const body = (await res.json()) as { result?: string[] };
        return (body.result ?? []).some((e) => e.toLowerCase() === d.entryPoint.toLowerCase());
      },
      { sup, c: alto },
    ),
    waitForLine(sup, policy, /^READY policy-signer /, 120_000, "the policy signer to print its READY line"),
  ]);
  const sponsor: SponsorEndpoints = {
    chainId: d.chainId,
    entryPoint: d.entryPoint,
    factory: d.factory,
    paymaster: d.paymaster,
    bundlerUrl,
    policyUrl: `http://127.0.0.1:${ports.policy}/sponsor`,
  };
  fs.mkdirSync(o.dir, { recursive: true });
  fs.writeFileSync(path.join(o.dir, "sponsor.json"), JSON.stringify(sponsor, null, 2) + "\n");
  return { sponsor, alto, policy };
}

export interface AaStand {
  dir: string;
  rpcUrl: string;
  bundlerUrl: string;
  policyUrl: string;
  d: AaDeployment;
  provider: JsonRpcProvider;
  sup: Supervisor;
  node: Child;
  alto: Child;
  policy: Child;
  stop(): Promise<void>;
}

export interface AaStandOptions {
  dir: string;
  ports?: { node: number; bundler: number; policy: number };
  /** which devnet chain the node plays (its chain id, Hexs chain id and hardhat network); default A */
  chain?: keyof typeof STAND_CHAINS;
  opsPerAccountPerHour?: number;
  weiPerHour?: bigint;
  say?: (line: string) => void;
}

export async function startAaStand(o: AaStandOptions): Promise<AaStand> {
  const ports = o.ports ?? AA_PORTS;
  const chain = STAND_CHAINS[o.chain ?? "A"];
  const say = o.say ?? (() => undefined);
  await requireFreePorts([ports.node, ports.bundler, ports.policy]);
  fs.rmSync(o.dir, { recursive: true, force: true });
  const sup = new Supervisor(o.dir);
  const stop = () => sup.stopAll(say);
  try {
    const rpcUrl = `http://127.0.0.1:${ports.node}`;
    const node = sup.spawn(
      "hardhat-node",
      path.join(ROOT, "node_modules/.bin/hardhat"),
      ["node", "--hostname", "127.0.0.1", "--port", String(ports.node)],
      {
        cwd: ROOT,
        env: { HEXS_NODE_CHAIN_ID: String(chain.evmChainId) },
        fatal: true,
      },
    );
    const provider = new JsonRpcProvider(rpcUrl, chain.evmChainId, { staticNetwork: true, cacheTimeout: -1 });
    await waitFor("the hardhat node", 120_000, async () => (await provider.send("eth_chainId", [])) !== undefined, {
      sup,
      c: node,
    });
    await installDeterministicDeployer(provider);
    say(`hardhat node on ${rpcUrl} (pid ${node.pid}), chain id ${chain.evmChainId}`);

    const out = path.join(o.dir, "aa.json");
    await hardhat(["run", "--no-compile", "--network", chain.network, "devnet/aa/deploy.ts"], {
      [chain.urlEnv]: rpcUrl,
      HEXS_AA_HEXS_CHAIN: String(chain.hexsChainId),
      HEXS_DEPLOYMENTS_DIR: path.join(o.dir, "deployments"),
      HEXS_AA_OUT: out,
      HEXS_AA_POLICY_SIGNER: POLICY_SIGNER.address,
      HEXS_AA_OPS_PER_HOUR: String(o.opsPerAccountPerHour ?? 3),
      ...(o.weiPerHour === undefined ? {} : { HEXS_AA_WEI_PER_HOUR: o.weiPerHour.toString() }),
    });
    const d = JSON.parse(fs.readFileSync(out, "utf8")) as AaDeployment;
    say(`Hexs + EntryPoint v0.7 ${d.entryPoint} + SimpleAccountFactory ${d.factory} + HexsPaymaster ${d.paymaster}`);

    // The stand is one test bench: alto or the policy signer exiting ends it (main.ts stops).
    const { sponsor, alto, policy } = await startSponsorServices(sup, { rpcUrl, d, ports, dir: o.dir });
    say(`alto bundler on ${sponsor.bundlerUrl} (pid ${alto.pid}, --safe-mode false)`);
    say(`policy signer on ${sponsor.policyUrl} (pid ${policy.pid}, signer ${POLICY_SIGNER.address})`);
    return {
      dir: o.dir,
      rpcUrl,
      bundlerUrl: sponsor.bundlerUrl,
      policyUrl: sponsor.policyUrl,
      d,
      provider,
      sup,
      node,
      alto,
      policy,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

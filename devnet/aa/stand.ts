// The sponsored-purchase stand: a `hardhat node`, Hexs + EntryPoint v0.7 + SimpleAccountFactory +
// HexsPaymaster deployed by devnet/aa/deploy.ts, the Pimlico alto bundler (safe mode off:
// Hardhat has no ERC-7562 tracer) and the policy signer. Every child is started by the
// Supervisor and stopped by its PID.
import fs from "node:fs";
import path from "node:path";
import { HDNodeWallet, JsonRpcProvider, keccak256, toUtf8Bytes, Wallet } from "ethers";
import { hardhat, requireFreePorts, ROOT } from "../chains";
import { Supervisor, waitFor, type Child } from "../procs";
import { startPolicyServer } from "./policy";
import type { AaDeployment } from "./deploy";

export const AA_PORTS = { node: 8950, bundler: 8951, policy: 8952 } as const;
const DEV_MNEMONIC = "test test test test test test test test test test test junk";
const ALTO = path.join(ROOT, "node_modules/.bin/alto");
const HARDHAT = path.join(ROOT, "node_modules/.bin/hardhat");
const EVM_CHAIN_ID = 31401; // the `devnetA` network of hardhat.config.ts, pointed at this node
/** The deterministic deployer (0x4e59…) alto deploys its simulation contracts through. */
export const DETERMINISTIC_DEPLOYER = "0x4e59b44847b379578588920ca78fbf26c0b4956c";
// Its runtime code: alto 0.0.20's pre-signed deployment transaction is malformed (non-hex
// characters), so the stand installs the code directly.
const DETERMINISTIC_DEPLOYER_CODE =
  "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3";

/** Account `i` of the dev mnemonic (funded on every hardhat node). */
export function devAccount(i: number): HDNodeWallet {
  return HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
}

/** The stand's policy signer: a fixed dev key, never for real funds. */
export const POLICY_SIGNER = new Wallet(keccak256(toUtf8Bytes("hexs devnet aa policy signer")));

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
  stop(): Promise<void>;
}

export interface AaStandOptions {
  dir: string;
  ports?: { node: number; bundler: number; policy: number };
  opsPerAccountPerHour?: number;
  weiPerHour?: bigint;
  say?: (line: string) => void;
}

export async function startAaStand(o: AaStandOptions): Promise<AaStand> {
  const ports = o.ports ?? AA_PORTS;
  const say = o.say ?? (() => undefined);
  await requireFreePorts([ports.node, ports.bundler, ports.policy]);
  fs.rmSync(o.dir, { recursive: true, force: true });
  const sup = new Supervisor(o.dir);
  let policy: { close(): Promise<void> } | undefined;
  const stop = async () => {
    await policy?.close();
    policy = undefined;
    await sup.stopAll(say);
  };
  try {
    const rpcUrl = `http://127.0.0.1:${ports.node}`;
    const node = sup.spawn("hardhat-node", HARDHAT, ["node", "--hostname", "127.0.0.1", "--port", String(ports.node)], {
      cwd: ROOT,
      env: { HEXS_NODE_CHAIN_ID: String(EVM_CHAIN_ID) },
      fatal: true,
    });
    const provider = new JsonRpcProvider(rpcUrl, EVM_CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
    await waitFor("the hardhat node", 120_000, async () => (await provider.send("eth_chainId", [])) !== undefined, {
      sup,
      c: node,
    });
    await provider.send("hardhat_setCode", [DETERMINISTIC_DEPLOYER, DETERMINISTIC_DEPLOYER_CODE]);
    say(`hardhat node on ${rpcUrl} (pid ${node.pid}), chain id ${EVM_CHAIN_ID}`);

    const out = path.join(o.dir, "aa.json");
    await hardhat(["run", "--no-compile", "--network", "devnetA", "devnet/aa/deploy.ts"], {
      HEXS_DEVNET_URL_A: rpcUrl,
      HEXS_DEPLOYMENTS_DIR: path.join(o.dir, "deployments"),
      HEXS_AA_OUT: out,
      HEXS_AA_POLICY_SIGNER: POLICY_SIGNER.address,
      HEXS_AA_OPS_PER_HOUR: String(o.opsPerAccountPerHour ?? 3),
      ...(o.weiPerHour === undefined ? {} : { HEXS_AA_WEI_PER_HOUR: o.weiPerHour.toString() }),
    });
    const d = JSON.parse(fs.readFileSync(out, "utf8")) as AaDeployment;
    say(`Hexs + EntryPoint v0.7 ${d.entryPoint} + SimpleAccountFactory ${d.factory} + HexsPaymaster ${d.paymaster}`);

    const bundlerUrl = `http://127.0.0.1:${ports.bundler}`;
    const alto = sup.spawn(
      "alto",
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
        `${devAccount(5).privateKey},${devAccount(6).privateKey}`,
        "--utility-private-key",
        devAccount(8).privateKey,
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
      { cwd: ROOT, fatal: true },
    );
    await waitFor(
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
    );
    say(`alto bundler on ${bundlerUrl} (pid ${alto.pid}, --safe-mode false)`);

    const p = await startPolicyServer({ port: ports.policy, rpcUrl, paymaster: d.paymaster, signer: POLICY_SIGNER });
    policy = p;
    say(`policy signer on ${p.url} (signer ${POLICY_SIGNER.address})`);
    // What clients (tasks/aa.ts, the app) need to reach this sponsor.
    const sponsor = { entryPoint: d.entryPoint, factory: d.factory, paymaster: d.paymaster, bundlerUrl, policyUrl: p.url };
    fs.writeFileSync(path.join(o.dir, "sponsor.json"), JSON.stringify(sponsor, null, 2) + "\n");
    return { dir: o.dir, rpcUrl, bundlerUrl, policyUrl: p.url, d, provider, sup, node, alto, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

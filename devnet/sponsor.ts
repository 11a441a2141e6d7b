// The devnet's gas sponsors (ERC-4337), one on each EVM chain (A and B), so the web app's "No
// wallet? Use a burner" and the SDK's sdk/aa work on `npm run devnet` for a model priced on either
// chain: on each, EntryPoint v0.7, SimpleAccountFactory, HexsPaymaster (owner: that chain's
// timelock) and a test ERC-20 the market accepts, deployed next to Hexs by devnet/aa/deploy.ts;
// and per chain its own alto bundler (--safe-mode false: Hardhat has no ERC-7562 tracer) and its
// own policy signer, children of the devnet's Supervisor (an exit is reported under --keep,
// `npm run devnet -- restart alto|policy-signer` on A, `alto-b|policy-signer-b` on B). The same
// code runs the standalone stand (devnet/aa/stand.ts).
//
// Why a policy signer per chain rather than one serving both: a sponsor is deployed per chain
// anyway (a bundler is bound to one chain's RPC and EntryPoint), and the signer lives next to it.
// One chain's RPC stalling or its signer restarting then leaves the other chain's sponsoring
// alone, each signer can hold its own key (a leaked key drains one chain's deposit, not all) and
// be scaled, monitored and rotated with its chain; a shared signer would only save one small
// process. The signed data carries the chain id and the paymaster's address either way, so a
// signature made for one chain is refused on the other even where one key serves both (as on
// this devnet, whose dev key is shared; test/aa/sponsored-b.test.ts shows the refusal).
import fs from "node:fs";
import path from "node:path";
import { devnetHardhatEnv, hardhat, type EvmChain } from "./chains";
import type { Child, Supervisor } from "./procs";
import type { SponsorDeployment } from "./aa/deploy";
import { POLICY_SIGNER } from "./aa/keys";
import { installDeterministicDeployer, startSponsorServices, type SponsorChildNames, type SponsorEndpoints } from "./aa/stand";

/** Per EVM chain (by hardhat network): its sponsor's ports, supervisor names and folder under the devnet's dir. */
export const SPONSOR_LAYOUT: Record<
  string,
  { ports: { bundler: number; policy: number }; names: SponsorChildNames; subdir: string }
> = {
  devnetA: { ports: { bundler: 7400, policy: 7401 }, names: { bundler: "alto", policy: "policy-signer" }, subdir: "sponsor" },
  devnetB: {
    ports: { bundler: 7402, policy: 7403 },
    names: { bundler: "alto-b", policy: "policy-signer-b" },
    subdir: "sponsor-b",
  },
};

/** Every port the devnet's sponsors listen on. */
export const SPONSOR_PORTS: number[] = Object.values(SPONSOR_LAYOUT).flatMap((l) => [l.ports.bundler, l.ports.policy]);

function layoutOf(chain: EvmChain) {
  const l = SPONSOR_LAYOUT[chain.network];
  if (!l) throw new Error(`no gas sponsor layout for ${chain.network} (devnet/sponsor.ts SPONSOR_LAYOUT)`);
  return l;
}

export interface DevnetSponsor {
  /** the Hexs chain it sponsors on */
  hexsChainId: number;
  /** that chain's label ("EVM chain B") and hardhat network ("devnetB") */
  label: string;
  network: string;
  d: SponsorDeployment;
  /** what config.json's `sponsors` and tasks/aa.ts's --sponsor file carry */
  endpoints: SponsorEndpoints;
  /** `<dir>/sponsor/sponsor.json` on A, `<dir>/sponsor-b/sponsor.json` on B */
  file: string;
  alto: Child;
  policy: Child;
}

const sponsorDir = (dir: string, chain: EvmChain) => path.join(dir, layoutOf(chain).subdir);

/** Deploy the sponsor's contracts and the test ERC-20 on `chain` (its Hexs deployed already). */
export async function deploySponsorOn(chain: EvmChain, dir: string): Promise<SponsorDeployment> {
  const sdir = sponsorDir(dir, chain);
  fs.rmSync(sdir, { recursive: true, force: true });
  fs.mkdirSync(sdir, { recursive: true });
  const out = path.join(sdir, "aa.json");
  await installDeterministicDeployer(chain.provider);
  await hardhat(["run", "--no-compile", "--network", chain.network, "devnet/aa/deploy.ts"], {
    ...devnetHardhatEnv([chain]),
    HEXS_AA_HEXS: "existing",
    HEXS_AA_OUT: out,
    HEXS_AA_POLICY_SIGNER: POLICY_SIGNER.address,
  });
  return JSON.parse(fs.readFileSync(out, "utf8")) as SponsorDeployment;
}

/** Start alto and the policy signer for the sponsor on `chain`. */
export async function startSponsorOn(
  sup: Supervisor,
  chain: EvmChain,
  d: SponsorDeployment,
  dir: string,
): Promise<DevnetSponsor> {
  const sdir = sponsorDir(dir, chain);
  const { ports, names } = layoutOf(chain);
  const { sponsor, alto, policy } = await startSponsorServices(sup, { rpcUrl: chain.url, d, ports, names, dir: sdir });
  return {
    hexsChainId: chain.hexsChainId,
    label: chain.label,
    network: chain.network,
    d,
    endpoints: sponsor,
    file: path.join(sdir, "sponsor.json"),
    alto,
    policy,
  };
}

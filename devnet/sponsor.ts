// The devnet's gas sponsor (ERC-4337) on EVM chain A, so the web app's "No wallet? Use a burner"
// and the SDK's sdk/aa work on `npm run devnet`: EntryPoint v0.7, SimpleAccountFactory,
// HexsPaymaster (owner: the timelock) and a test ERC-20 the market accepts, deployed next to
// Hexs by devnet/aa/deploy.ts; the alto bundler (--safe-mode false: Hardhat has no ERC-7562
// tracer) on 127.0.0.1:7400 and the policy signer on :7401, children of the devnet's Supervisor
// (an exit is reported under --keep, `npm run devnet -- restart alto|policy-signer`). The same
// code runs the standalone stand (devnet/aa/stand.ts).
import fs from "node:fs";
import path from "node:path";
import { devnetHardhatEnv, hardhat, type EvmChain } from "./chains";
import type { Child, Supervisor } from "./procs";
import type { SponsorDeployment } from "./aa/deploy";
import { POLICY_SIGNER } from "./aa/keys";
import { installDeterministicDeployer, startSponsorServices, type SponsorEndpoints } from "./aa/stand";

export const SPONSOR_PORTS = { bundler: 7400, policy: 7401 } as const;

export interface DevnetSponsor {
  /** the Hexs chain it sponsors on */
  hexsChainId: number;
  d: SponsorDeployment;
  /** what config.json's `sponsors` and tasks/aa.ts's --sponsor file carry */
  endpoints: SponsorEndpoints;
  /** `<dir>/sponsor/sponsor.json` */
  file: string;
  alto: Child;
  policy: Child;
}

const sponsorDir = (dir: string) => path.join(dir, "sponsor");

/** Deploy the sponsor's contracts and the test ERC-20 on `chain` (its Hexs deployed already). */
export async function deploySponsorOn(chain: EvmChain, dir: string): Promise<SponsorDeployment> {
  const sdir = sponsorDir(dir);
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
  const sdir = sponsorDir(dir);
  const { sponsor, alto, policy } = await startSponsorServices(sup, { rpcUrl: chain.url, d, ports: SPONSOR_PORTS, dir: sdir });
  return { hexsChainId: chain.hexsChainId, d, endpoints: sponsor, file: path.join(sdir, "sponsor.json"), alto, policy };
}

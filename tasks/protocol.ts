// protocol:upgrade, protocol:accept-token, protocol:unpause — governance actions that go through
// the timelock; protocol:pause — the guardian's (a pause is immediate, lifting it is governance's).
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { ContractFactory } from "ethers";
import { getAddress, Interface } from "ethers";
import { loadProtocol, resolveSigner, sdk, type ProtocolContracts } from "./lib/context";
import { cli, fail, TaskError } from "./lib/errors";
import { say } from "./lib/log";
import { parseCurrency, parseUint } from "./lib/parse";
import { Names } from "./lib/protocol";
import { timelockCall, type TimelockOutcome } from "./lib/timelock";
import type { PauseResult, PauseScope } from "../sdk";

const UPGRADEABLE = [Names.registry, Names.market, Names.apiPayments, Names.resale, Names.keyImplementation] as const;
type Upgradeable = (typeof UPGRADEABLE)[number];
const FROM_HELP = "Account to sign with (the timelock proposer): index (0, 1, …) or address";

export interface UpgradeArgs {
  contract: string;
  implementation?: string;
  reference?: string;
  execute: boolean;
  fastForward: boolean;
  from?: string;
}

export interface UpgradeResult {
  contract: Upgradeable;
  target: string;
  previousImplementation: string;
  newImplementation: string;
  timelock?: TimelockOutcome;
  upgraded: boolean;
}

/** The contract a hardhat-deploy record was compiled from, read from its solc metadata. */
function recordedContractName(metadata: string | undefined): string | undefined {
  if (!metadata) return undefined;
  try {
    const target = (JSON.parse(metadata) as { settings?: { compilationTarget?: Record<string, string> } }).settings
      ?.compilationTarget;
    return target ? Object.values(target)[0] : undefined;
  } catch {
    return undefined;
  }
}

async function factoryOf(hre: HardhatRuntimeEnvironment, param: string, name: string): Promise<ContractFactory> {
  try {
    return await hre.ethers.getContractFactory(name);
  } catch (e) {
    throw new TaskError(
      `bad --${param} '${name}': no compiled contract of that name (${(e as Error).message.split("\n")[0]}). Run npx hardhat compile, or check the name.`,
    );
  }
}

function upgradeError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.trim();
}

task(
  "protocol:upgrade",
  "Upgrade HexsRegistry, HexsMarket, HexsApiPayments (UUPS) or every KeyNFT collection (beacon) through the timelock",
)
  .addParam("contract", `What to upgrade: ${UPGRADEABLE.join(", ")}`)
  .addOptionalParam("implementation", "Compiled contract to upgrade to (default: the current source of --contract)")
  .addOptionalParam(
    "reference",
    "Compiled contract that matches the implementation deployed now (default: the one recorded at deployment)",
  )
  .addFlag(
    "execute",
    "Also execute the upgrade once the timelock delay has passed (otherwise only validate, deploy and schedule)",
  )
  .addFlag(
    "fastForward",
    "On local devnets only (hardhat, localhost, devnetA, devnetB): advance chain time past the timelock delay before executing",
  )
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    cli(async (a: UpgradeArgs, hre): Promise<UpgradeResult> => {
      if (!(UPGRADEABLE as readonly string[]).includes(a.contract)) {
        fail(`bad --contract '${a.contract}': expected one of ${UPGRADEABLE.join(", ")}`);
      }
      const contract = a.contract as Upgradeable;
      const beaconKind = contract === Names.keyImplementation;
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const record = await hre.deployments.get(contract);
      const target = beaconKind ? await p.beacon.getAddress() : record.address;
      const timelockAddress = await p.timelock.getAddress();

      // Governance must actually sit with the timelock, or scheduling there is pointless.
      if (beaconKind) {
        const owner = await p.beacon.owner();
        if (owner !== timelockAddress)
          fail(
            `the key beacon ${target} is owned by ${owner}, not the timelock ${timelockAddress}: the handover deploy step did not run`,
          );
      } else {
        const ac = p.registry.attach(target) as ProtocolContracts["registry"];
        if (!(await ac.hasRole(await ac.UPGRADER_ROLE(), timelockAddress))) {
          fail(
            `the timelock ${timelockAddress} does not hold UPGRADER_ROLE on ${contract}: run the handover deploy step (deploy/04_handover.ts) first`,
          );
        }
      }

      const previous = beaconKind
        ? await hre.upgrades.beacon.getImplementationAddress(target)
        : await hre.upgrades.erc1967.getImplementationAddress(target);
      const kind = beaconKind ? ("beacon" as const) : ("uups" as const);
      const constructorArgs = beaconKind
        ? [await p.registry.getAddress(), await p.market.getAddress(), await p.registry.hub()]
        : [];
      const opts = { kind, constructorArgs };

      // 1. Teach the upgrades plugin the layout deployed now. forceImport takes it from a compiled
      // contract, so make sure that contract is what was deployed (the deployment record's bytecode).
      const referenceName = a.reference ?? recordedContractName(record.metadata) ?? contract;
      const reference = await factoryOf(hre, "reference", referenceName);
      const recorded = beaconKind ? (await hre.deployments.get(Names.keyImplementation)).bytecode : record.bytecode;
      const referenceBytecode = (await hre.artifacts.readArtifact(referenceName)).bytecode;
      if (recorded && recorded !== referenceBytecode) {
        fail(
          `the compiled ${referenceName} differs from the ${contract} implementation deployed at ${previous} (its deployment record's bytecode), ` +
            `so its storage layout cannot stand for the deployed one. Pass --reference <ContractName> naming a compiled contract identical to the deployed implementation.`,
        );
      }
      try {
        await hre.upgrades.forceImport(target, reference, opts);
      } catch (e) {
        throw new TaskError(`cannot import the deployed ${contract} (${target}) into the upgrades manifest: ${upgradeError(e)}`);
      }

      // 2. Validate the new implementation's storage layout against it.
      const newName = a.implementation ?? contract;
      const next = await factoryOf(hre, "implementation", newName);
      try {
        await hre.upgrades.validateUpgrade(target, next, opts);
      } catch (e) {
        throw new TaskError(`refusing to upgrade ${contract} to ${newName}: the upgrades plugin rejects it.\n${upgradeError(e)}`);
      }
      say(`storage layout of ${newName} is compatible with the deployed ${contract} (${referenceName} at ${previous})`);

      // 3. Deploy the implementation (reused when the same bytecode is already deployed).
      let implementation: string;
      try {
        implementation = getAddress(
          (await hre.upgrades.prepareUpgrade(target, next.connect(signer) as ContractFactory, opts)) as string,
        );
      } catch (e) {
        throw new TaskError(`deploying the ${newName} implementation failed: ${upgradeError(e)}`);
      }
      say(`implementation ${newName} at ${implementation}`);
      if (implementation === previous) {
        say(`${contract} already runs ${implementation}: nothing to upgrade`);
        return { contract, target, previousImplementation: previous, newImplementation: implementation, upgraded: false };
      }

      // 4. Schedule (and maybe execute) the upgrade call on the timelock.
      const data = beaconKind
        ? new Interface(["function upgradeTo(address)"]).encodeFunctionData("upgradeTo", [implementation])
        : new Interface(["function upgradeToAndCall(address,bytes)"]).encodeFunctionData("upgradeToAndCall", [
            implementation,
            "0x",
          ]);
      const outcome = await timelockCall(hre, p, signer, target, data, {
        label: `upgrade ${contract} to ${newName}`,
        execute: a.execute,
        fastForward: a.fastForward,
      });
      if (!outcome.executed) {
        return {
          contract,
          target,
          previousImplementation: previous,
          newImplementation: implementation,
          timelock: outcome,
          upgraded: false,
        };
      }
      const now = beaconKind
        ? await hre.upgrades.beacon.getImplementationAddress(target)
        : await hre.upgrades.erc1967.getImplementationAddress(target);
      if (getAddress(now) !== implementation) fail(`the timelock executed, but ${contract} still points at ${now}`);

      // 5. Keep the deployment record in step, so the next upgrade validates against this one.
      const artifact = await hre.deployments.getExtendedArtifact(newName);
      if (beaconKind) {
        await hre.deployments.save(Names.keyImplementation, { ...artifact, address: implementation, args: constructorArgs });
      } else {
        await hre.deployments.save(contract, { ...artifact, address: target, implementation });
      }
      say(`${contract} upgraded: ${previous} → ${implementation} (${newName})`);
      return {
        contract,
        target,
        previousImplementation: previous,
        newImplementation: implementation,
        timelock: outcome,
        upgraded: true,
      };
    }),
  );

task(
  "protocol:accept-token",
  "Let the market accept (or with --reject stop accepting) an ERC-20 as payment, through the timelock",
)
  .addParam("token", "The ERC-20 token address")
  .addFlag("reject", "Stop accepting the token instead")
  .addFlag("execute", "Also execute once the timelock delay has passed (otherwise only schedule)")
  .addFlag(
    "fastForward",
    "On local devnets only (hardhat, localhost, devnetA, devnetB): advance chain time past the timelock delay before executing",
  )
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    cli(async (a: { token: string; reject: boolean; execute: boolean; fastForward: boolean; from?: string }, hre) => {
      const token = parseCurrency(a.token, "token");
      if (token === hre.ethers.ZeroAddress) fail("bad --token: the native coin is always accepted; give an ERC-20 address");
      const p = await loadProtocol(hre);
      const c = await (await sdk()).currencyInfo(p, token);
      const signer = await resolveSigner(hre, a.from);
      const accept = !a.reject;
      if ((await p.market.isAccepted(token)) === accept) {
        say(`the market ${accept ? "already accepts" : "already refuses"} ${c.symbol} (${token})`);
        return { token, accepted: accept, executed: false };
      }
      const data = p.market.interface.encodeFunctionData("setAcceptedToken", [token, accept]);
      const outcome = await timelockCall(hre, p, signer, await p.market.getAddress(), data, {
        label: `${accept ? "accept" : "reject"} ${c.symbol}`,
        execute: a.execute,
        fastForward: a.fastForward,
      });
      if (outcome.executed) say(`the market now ${accept ? "accepts" : "refuses"} ${c.symbol} (${token})`);
      return { token, accepted: accept, executed: outcome.executed, timelock: outcome };
    }),
  );

// ---------------------------------------------------------------- protocol:pause / protocol:unpause

const PAUSABLE: Record<string, PauseScope["contract"]> = {
  [Names.registry]: "registry",
  [Names.market]: "market",
  [Names.hub]: "hub",
};

function pauseScope(a: { contract: string; lane?: string }): PauseScope {
  const contract = PAUSABLE[a.contract];
  if (!contract) fail(`bad --contract '${a.contract}': expected one of ${Object.keys(PAUSABLE).join(", ")}`);
  if (a.lane === undefined) return { contract } as PauseScope;
  if (contract !== "hub") fail(`--lane applies to ${Names.hub} only (its per-lane pause), not ${a.contract}`);
  const lane = Number(parseUint("lane", a.lane, 0xffffffffn));
  if (lane === 0) fail(`bad --lane '${a.lane}': chain identifiers start at 1`);
  return { contract, lane };
}

const PAUSE_CONTRACT_HELP = `What to pause: ${Object.keys(PAUSABLE).join(", ")} (publishing and forking, sales, every inbound lane)`;
const LANE_HELP = `With --contract ${Names.hub}: only this inbound lane (the source's Hexs chain id)`;

task("protocol:pause", "Pause publishing, sales, the hub or one hub lane at once (the guardian; only the timelock unpauses)")
  .addParam("contract", PAUSE_CONTRACT_HELP)
  .addOptionalParam("lane", LANE_HELP)
  .addOptionalParam("from", "Account to sign with (the guardian): index (0, 1, …) or address", "0")
  .setAction(
    cli(async (a: { contract: string; lane?: string; from?: string }, hre): Promise<PauseResult> => {
      const scope = pauseScope(a);
      const p = await loadProtocol(hre);
      const r = await (await sdk()).pause(p, await resolveSigner(hre, a.from), scope, { log: say });
      if (r.txHash)
        say(`paused: ${a.contract}${a.lane ? ` lane ${a.lane}` : ""} (lift it with protocol:unpause, through the timelock)`);
      return r;
    }),
  );

export interface UnpauseResult {
  scope: PauseScope;
  /** false until the timelock executed the unpause */
  unpaused: boolean;
  timelock?: TimelockOutcome;
}

task("protocol:unpause", "Lift a pause through the timelock (the guardian cannot unpause)")
  .addParam("contract", PAUSE_CONTRACT_HELP.replace("What to pause", "What to unpause"))
  .addOptionalParam("lane", LANE_HELP)
  .addFlag("execute", "Also execute once the timelock delay has passed (otherwise only schedule)")
  .addFlag(
    "fastForward",
    "On local devnets only (hardhat, localhost, devnetA, devnetB): advance chain time past the timelock delay before executing",
  )
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    cli(
      async (
        a: { contract: string; lane?: string; execute: boolean; fastForward: boolean; from?: string },
        hre,
      ): Promise<UnpauseResult> => {
        const scope = pauseScope(a);
        const p = await loadProtocol(hre);
        const { isPaused, pauseCall } = await sdk();
        if (!(await isPaused(p, scope))) {
          say(`${a.contract}${a.lane ? ` lane ${a.lane}` : ""} is not paused: nothing to do`);
          return { scope, unpaused: true };
        }
        const call = await pauseCall(p, scope, false);
        const timelock = await p.timelock.getAddress();
        const ac = p.registry.attach(call.target) as ProtocolContracts["registry"];
        if (!(await ac.hasRole(await ac.DEFAULT_ADMIN_ROLE(), timelock)))
          fail(`the timelock ${timelock} is not the admin of ${a.contract}: the handover deploy step did not run`);
        const outcome = await timelockCall(hre, p, await resolveSigner(hre, a.from), call.target, call.data, {
          label: call.label,
          execute: a.execute,
          fastForward: a.fastForward,
        });
        if (outcome.executed) say(`${call.label}: done`);
        return { scope, unpaused: outcome.executed, timelock: outcome };
      },
    ),
  );

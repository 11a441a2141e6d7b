// protocol:upgrade, protocol:accept-token, protocol:unpause — governance actions that go through
// the timelock; protocol:pause — the guardian's (a pause is immediate, lifting it is governance's).
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { ContractFactory, Signer } from "ethers";
import { Contract, getAddress, id as hashText, Interface, ZeroAddress } from "ethers";
import { loadProtocol, resolveSigner, sdk, type ProtocolContracts } from "./lib/context";
import { uupsUnsafeAllow, type UnsafeAllow } from "./lib/deployHexs";
import { cli, fail, TaskError } from "./lib/errors";
import { say } from "./lib/log";
import { parseCurrency, parseUint } from "./lib/parse";
import { Names } from "./lib/protocol";
import { timelockCall, type TimelockOutcome } from "./lib/timelock";
import type { PauseResult, PauseScope } from "../sdk";

// Every contract the deploy puts behind a proxy (UUPS) or a beacon (the key collections).
const UPGRADEABLE = [
  Names.registry,
  Names.market,
  Names.apiPayments,
  Names.keyImplementation,
  Names.resale,
  Names.hub,
  Names.gateway,
  Names.lzBridge,
] as const;
type Upgradeable = (typeof UPGRADEABLE)[number];
/** Deployed, but with no proxy in front: what a maintainer does instead of an upgrade. */
const NOT_UPGRADEABLE: Record<string, string> = {
  [Names.membershipImplementation]:
    "it is the template DaoFactory copies into every DAO as an EIP-1167 minimal clone (fixed in the factory's immutables); clones have no upgrade path. " +
    "For new DAOs, deploy a new template with a new DaoFactory and grant that factory DAO_FACTORY_ROLE on the registry (through the timelock); existing DAOs keep their code",
  [Names.governorImplementation]:
    "it is the template DaoFactory copies into every DAO as an EIP-1167 minimal clone (fixed in the factory's immutables); clones have no upgrade path. " +
    "For new DAOs, deploy a new template with a new DaoFactory and grant that factory DAO_FACTORY_ROLE on the registry (through the timelock); existing DAOs keep their code",
  [Names.payoutBindings]:
    "it has no proxy: deploy a new one and point the hub at it with setPayoutBindings (and move SIGNED_PRICES_ROLE on the registry), through the timelock",
  [Names.hubLens]: "it holds no state and no proxy (views over HexsHub.extsload): deploy a new one",
  [Names.registryLens]: "it holds no state and no proxy (views over HexsRegistry.extsload): deploy a new one",
};
const FROM_HELP = "Account to sign with (the timelock proposer): index (0, 1, …) or address";
const UPGRADER_ROLE = hashText("UPGRADER_ROLE");

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
  /** What the new implementation was deployed with, read from the chain. */
  constructorArgs: unknown[];
  /** The call made on the new implementation in upgradeToAndCall ("0x": none; the hub's syncPause). */
  upgradeCall: string;
  timelock?: TimelockOutcome;
  upgraded: boolean;
  /** The stateless registry views: deployed and recorded by this run when the record lacked them. */
  registryLens: { address: string; deployed: boolean };
  /** Upgrading the registry or the market: whether the registry now pushes sale terms to the market. */
  saleSink?: SaleSinkStep;
}

/**
 * The registry's wiring to the market's copy of the sale terms (`setSaleSink`, one-time, through
 * the timelock) after upgrading a deployment made before it:
 * - `wired`: the registry pushes to the market (set by this run or before);
 * - `scheduled`: the timelock call is scheduled, not executed yet (re-run with --execute);
 * - `registry-predates` / `market-predates`: that contract still runs code without the copy, so
 *   nothing is scheduled (a push to a market without `setSale` would make every price write revert);
 * - `other-sink`: the registry pushes somewhere else; left alone (the setter is one-time).
 */
export interface SaleSinkStep {
  state: "wired" | "scheduled" | "registry-predates" | "market-predates" | "other-sink";
  /** The registry's sink now (address zero: unset, or unreadable on a registry that predates it). */
  sink: string;
  timelock?: TimelockOutcome;
}

/** How one contract is upgraded on this chain: all read from the chain, nothing from a flag. */
interface UpgradePlan {
  kind: "uups" | "beacon";
  /** The proxy (UUPS) or the beacon. */
  target: string;
  constructorArgs: unknown[];
  unsafeAllow: UnsafeAllow;
  upgradeCall: string;
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

/** A reverted call's custom error by name and arguments, when one of `ifaces` knows it. */
function revertReason(e: unknown, ifaces: Interface[]): string {
  let data: unknown = (e as { data?: unknown }).data;
  if (typeof data !== "string") data = (e as { info?: { error?: { data?: unknown } } }).info?.error?.data;
  if (typeof data === "string" && data.length >= 10) {
    for (const iface of ifaces) {
      try {
        const err = iface.parseError(data);
        if (err) return `${err.name}(${err.args.map((x) => String(x)).join(", ")})`;
      } catch {
        // not this interface's error
      }
    }
  }
  return (e as { shortMessage?: string }).shortMessage ?? upgradeError(e);
}

/**
 * Who governs `contract`'s upgrade must be the timelock (UPGRADER_ROLE, or ownership of the key
 * beacon and the LayerZero bridge), and its implementation's constructor arguments come from the
 * chain: the hub's chain id from the registry (checked against the hub's own), the bridge's
 * endpoint and hub from the bridge.
 */
async function upgradePlan(
  hre: HardhatRuntimeEnvironment,
  p: ProtocolContracts,
  contract: Upgradeable,
  proxy: string,
  timelock: string,
): Promise<UpgradePlan> {
  const provider = hre.ethers.provider;
  const owned = async (what: string, at: string) => {
    const owner = getAddress(await new Contract(at, ["function owner() view returns (address)"], provider).owner());
    if (owner !== timelock)
      fail(`the ${what} ${at} is owned by ${owner}, not the timelock ${timelock}: the handover deploy step did not run`);
  };
  if (contract === Names.keyImplementation) {
    const beacon = await p.beacon.getAddress();
    await owned("key beacon", beacon);
    return {
      kind: "beacon",
      target: beacon,
      constructorArgs: [await p.registry.getAddress(), await p.market.getAddress(), await p.registry.hub()],
      unsafeAllow: [],
      upgradeCall: "0x",
    };
  }
  if (contract === Names.lzBridge) {
    await owned("LayerZero bridge", proxy);
    const bridge = new Contract(
      proxy,
      ["function endpoint() view returns (address)", "function hub() view returns (address)"],
      provider,
    );
    const hub = getAddress(await bridge.hub());
    const registryHub = getAddress(await p.registry.hub());
    if (hub !== registryHub)
      fail(
        `the LayerZero bridge ${proxy} delivers to the hub ${hub}, but the registry's hub is ${registryHub}: fix the deployment first`,
      );
    const constructorArgs = [getAddress(await bridge.endpoint()), hub];
    return { kind: "uups", target: proxy, constructorArgs, unsafeAllow: uupsUnsafeAllow(constructorArgs), upgradeCall: "0x" };
  }
  const ac = new Contract(proxy, ["function hasRole(bytes32,address) view returns (bool)"], provider);
  if (!(await ac.hasRole(UPGRADER_ROLE, timelock)))
    fail(
      `the timelock ${timelock} does not hold UPGRADER_ROLE on ${contract}: run the handover deploy step (tasks/lib/deployHexs.ts handOver) first`,
    );
  if (contract === Names.hub) {
    // The implementation carries the chain id as an immutable: take it from the registry, and
    // refuse when the hub's own record disagrees (the upgrade's syncPause would revert anyway).
    const chainId = Number(await p.registry.chainId());
    const hubChainId = Number(await new Contract(proxy, ["function chainId() view returns (uint32)"], provider).chainId());
    if (hubChainId !== chainId)
      fail(
        `the hub ${proxy} records chain id ${hubChainId} but its registry ${chainId}: refusing to build an implementation for either`,
      );
    return {
      kind: "uups",
      target: proxy,
      constructorArgs: [chainId],
      unsafeAllow: [], // the hub annotates its immutable and constructor itself
      // Checks the new implementation's chain id against the proxy's and copies the hub-wide
      // pause into every lane, so a paused hub stays paused across the upgrade (HexsHub NatSpec).
      upgradeCall: new Interface(["function syncPause()"]).encodeFunctionData("syncPause"),
    };
  }
  return { kind: "uups", target: proxy, constructorArgs: [], unsafeAllow: [], upgradeCall: "0x" };
}

/**
 * Whether a failed call reverted (ethers' CALL_EXCEPTION, a node's "execution reverted", Hardhat's
 * "Transaction reverted: function selector was not recognized ..."), as opposed to a transport
 * failure, which the caller rethrows rather than read as missing code.
 */
function reverted(e: unknown): boolean {
  let cur: unknown = e;
  for (let depth = 0; cur && typeof cur === "object" && depth < 5; depth++) {
    const rec = cur as { code?: unknown; message?: unknown; parent?: unknown; cause?: unknown; error?: unknown };
    if (rec.code === "CALL_EXCEPTION" || /revert/i.test(String(rec.message))) return true;
    cur = rec.parent ?? rec.cause ?? rec.error;
  }
  return false;
}

/**
 * Deploy HexsRegistryLens and record it when this network's record lacks it (a deployment made
 * before the lens existed cannot load the SDK's contract set without it). The lens is stateless
 * and takes the registry as an argument, so one deployment serves whatever the registry runs.
 */
async function ensureRegistryLens(hre: HardhatRuntimeEnvironment, signer: Signer): Promise<UpgradeResult["registryLens"]> {
  const recorded = await hre.deployments.getOrNull(Names.registryLens);
  if (recorded) return { address: recorded.address, deployed: false };
  if (!(await hre.deployments.getOrNull(Names.registry))) return { address: ZeroAddress, deployed: false }; // no deployment: loadProtocol says so
  let address: string;
  try {
    address = (
      await hre.deployments.deploy(Names.registryLens, {
        contract: Names.registryLens,
        from: await signer.getAddress(),
        log: false,
      })
    ).address;
  } catch (e) {
    throw new TaskError(
      `this deployment has no ${Names.registryLens} and deploying it failed: ${upgradeError(e)}. Fund the --from account and re-run`,
    );
  }
  say(`${Names.registryLens} was not in the deployment record: deployed and recorded at ${address}`);
  return { address, deployed: true };
}

/**
 * Wire the registry to the market's copy of the sale terms (`setSaleSink(market)`) through the
 * timelock, once both run code that has it. Models priced before keep selling at the registry's
 * price (the market falls back per currency) until their next price write or retirement.
 */
async function wireSaleSink(
  hre: HardhatRuntimeEnvironment,
  p: ProtocolContracts,
  signer: Signer,
  a: Pick<UpgradeArgs, "execute" | "fastForward">,
): Promise<SaleSinkStep> {
  const provider = hre.ethers.provider;
  const registry = await p.registry.getAddress();
  const market = await p.market.getAddress();
  let sink: string;
  try {
    sink = getAddress(await p.registryLens.saleSink(registry));
  } catch (e) {
    if (!reverted(e)) throw e;
    say(
      `the registry ${registry} predates the market's copy of the sale terms (no extsload): its sale sink is set ` +
        `once it is upgraded (npx hardhat protocol:upgrade --contract ${Names.registry} --execute)`,
    );
    return { state: "registry-predates", sink: ZeroAddress };
  }
  if (sink === market) {
    say(`the registry already pushes its sale terms to the market ${market}: nothing to wire`);
    return { state: "wired", sink };
  }
  if (sink !== ZeroAddress) {
    say(`the registry pushes its sale terms to ${sink}, not to the market ${market}: setSaleSink is one-time, left as it is`);
    return { state: "other-sink", sink };
  }
  // The registry will call the market's setSale on every price write: a market without it would
  // make them all revert, so wire only once the market has it (a call the registry could make).
  const probe = p.market.interface.encodeFunctionData("setSale", [0n, ZeroAddress, false, ZeroAddress, false, 0n, 0n]);
  try {
    await provider.call({ from: registry, to: market, data: probe });
  } catch (e) {
    if (!reverted(e)) throw e;
    say(
      `the market ${market} predates the copy of the sale terms (no setSale): the registry's sale sink stays unset, ` +
        `and purchases read the registry's prices, until it is upgraded (npx hardhat protocol:upgrade --contract ${Names.market} --execute)`,
    );
    return { state: "market-predates", sink };
  }
  const timelock = await p.timelock.getAddress();
  if (!(await p.registry.hasRole(await p.registry.DEFAULT_ADMIN_ROLE(), timelock)))
    fail(
      `the timelock ${timelock} is not the admin of ${Names.registry}, so it cannot set its sale sink: the handover deploy step did not run`,
    );
  const data = p.registry.interface.encodeFunctionData("setSaleSink", [market]);
  try {
    await provider.call({ from: timelock, to: registry, data });
  } catch (e) {
    fail(
      `refusing to schedule setSaleSink(${market}) on the registry: the timelock's call would revert with ` +
        `${revertReason(e, [p.registry.interface])} (nothing scheduled)`,
    );
  }
  const outcome = await timelockCall(hre, p, signer, registry, data, {
    label: `wire the registry's sale terms to the market (setSaleSink ${market})`,
    execute: a.execute,
    fastForward: a.fastForward,
  });
  if (!outcome.executed) return { state: "scheduled", sink, timelock: outcome };
  const now = getAddress(await p.registryLens.saleSink(registry));
  if (now !== market) fail(`the timelock executed setSaleSink, but the registry's sale sink is ${now}, not the market ${market}`);
  say(
    `the registry now pushes every price write and retirement to the market ${market}; ` +
      `models priced before keep selling at the registry's price until their next price write`,
  );
  return { state: "wired", sink: now, timelock: outcome };
}

task("protocol:upgrade", `Upgrade a protocol contract through the timelock (${UPGRADEABLE.join(", ")}); the hub with syncPause`)
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
      if (NOT_UPGRADEABLE[a.contract]) fail(`${a.contract} is not upgradeable: ${NOT_UPGRADEABLE[a.contract]}`);
      if (!(UPGRADEABLE as readonly string[]).includes(a.contract)) {
        fail(`bad --contract '${a.contract}': expected one of ${UPGRADEABLE.join(", ")}`);
      }
      const contract = a.contract as Upgradeable;
      const beaconKind = contract === Names.keyImplementation;
      const signer = await resolveSigner(hre, a.from);
      const registryLens = await ensureRegistryLens(hre, signer);
      const p = await loadProtocol(hre);
      // Every outcome (nothing to upgrade, scheduled, executed) then wires the sale terms when the
      // registry or the market is upgraded: the step checks the code each runs now.
      const finish = async (r: Omit<UpgradeResult, "registryLens" | "saleSink">): Promise<UpgradeResult> => ({
        ...r,
        registryLens,
        saleSink: contract === Names.registry || contract === Names.market ? await wireSaleSink(hre, p, signer, a) : undefined,
      });
      const record = await hre.deployments.getOrNull(contract);
      if (!record)
        fail(
          `no ${contract} deployed on '${hre.network.name}' (a single-chain deployment has no hub or gateway, and the LayerZero bridge needs HEXS_LZ_ENDPOINT): nothing to upgrade`,
        );
      const timelockAddress = await p.timelock.getAddress();
      const plan = await upgradePlan(hre, p, contract, record.address, timelockAddress);
      const { target, kind, constructorArgs, upgradeCall } = plan;

      const previous = beaconKind
        ? await hre.upgrades.beacon.getImplementationAddress(target)
        : await hre.upgrades.erc1967.getImplementationAddress(target);
      const opts = { kind, constructorArgs, unsafeAllow: plan.unsafeAllow };

      // 1. Teach the upgrades plugin the layout deployed now. forceImport takes it from a compiled
      // contract, so make sure that contract is what was deployed (the deployment record's bytecode).
      const referenceName = a.reference ?? recordedContractName(record.metadata) ?? contract;
      const reference = await factoryOf(hre, "reference", referenceName);
      const referenceBytecode = (await hre.artifacts.readArtifact(referenceName)).bytecode;
      if (record.bytecode && record.bytecode !== referenceBytecode) {
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
        throw new TaskError(
          `refusing to upgrade ${contract} to ${newName}: the upgrades plugin rejects it (nothing deployed or scheduled).\n${upgradeError(e)}`,
        );
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
      say(`implementation ${newName} at ${implementation} (constructor: ${JSON.stringify(constructorArgs)})`);
      const result = {
        contract,
        target,
        previousImplementation: previous,
        newImplementation: implementation,
        constructorArgs,
        upgradeCall,
      };
      if (implementation === previous) {
        say(`${contract} already runs ${implementation}: nothing to upgrade`);
        return finish({ ...result, upgraded: false });
      }

      // 4. Run the exact call the timelock will make, as the timelock, before scheduling it: an
      // implementation the proxy would refuse (the hub's syncPause: built for another chain id)
      // never reaches the timelock's queue.
      const data = beaconKind
        ? new Interface(["function upgradeTo(address)"]).encodeFunctionData("upgradeTo", [implementation])
        : new Interface(["function upgradeToAndCall(address,bytes)"]).encodeFunctionData("upgradeToAndCall", [
            implementation,
            upgradeCall,
          ]);
      try {
        await hre.ethers.provider.call({ from: timelockAddress, to: target, data });
      } catch (e) {
        fail(
          `refusing to upgrade ${contract} to ${newName} at ${implementation}: the timelock's upgrade call would revert with ` +
            `${revertReason(e, [next.interface, reference.interface])} (nothing scheduled)` +
            (contract === Names.hub
              ? `; its syncPause checks the implementation's chain id against the hub's (${String(constructorArgs[0])})`
              : ""),
        );
      }

      // 5. Schedule (and maybe execute) the upgrade call on the timelock.
      const outcome = await timelockCall(hre, p, signer, target, data, {
        label: `upgrade ${contract} to ${newName}`,
        execute: a.execute,
        fastForward: a.fastForward,
      });
      if (!outcome.executed) return finish({ ...result, timelock: outcome, upgraded: false });
      const now = beaconKind
        ? await hre.upgrades.beacon.getImplementationAddress(target)
        : await hre.upgrades.erc1967.getImplementationAddress(target);
      if (getAddress(now) !== implementation) fail(`the timelock executed, but ${contract} still points at ${now}`);

      // 6. Keep the deployment record in step, so the next upgrade validates against this one.
      const artifact = await hre.deployments.getExtendedArtifact(newName);
      if (beaconKind) {
        await hre.deployments.save(Names.keyImplementation, { ...artifact, address: implementation, args: constructorArgs });
      } else {
        await hre.deployments.save(contract, { ...artifact, address: target, implementation, args: constructorArgs });
      }
      say(`${contract} upgraded: ${previous} → ${implementation} (${newName})`);
      return finish({ ...result, timelock: outcome, upgraded: true });
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

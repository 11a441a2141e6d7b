// Pauses: the guardian stops publishing (registry), sales (market), the hub or one hub lane at
// once; only governance (the timelock, admin of each contract) lifts a pause, so a stolen
// guardian key cannot reopen what was paused. `pause` sends the guardian's transaction;
// `pauseCall(…, false)` is the call a timelock proposal carries.
import type { Signer } from "ethers";
import { ZeroHash } from "ethers";
import type { HexsContracts } from "../contracts";
import { NATIVE_INFO, requireFunds, send, type ActionOptions } from "../tx";
import { InvalidParamsError, NotAllowedError, NotFoundError } from "./errors";

/** What a pause stops: publishing and forking, sales, every hub lane, or one lane (its Hexs chain id). */
export type PauseScope = { contract: "registry" } | { contract: "market" } | { contract: "hub"; lane?: number };

export interface PauseCall {
  target: string;
  data: string;
  /** e.g. "unpause lane 100 of the hub" */
  label: string;
}

export interface PauseResult {
  scope: PauseScope;
  paused: boolean;
  /** absent when the scope was already in that state */
  txHash?: string;
}

function hubOf(c: HexsContracts) {
  if (!c.hub) throw new NotFoundError(`chain ${c.chain.name} has no hub (a single-chain deployment): nothing to pause there`);
  return c.hub;
}

function describe(scope: PauseScope): string {
  if (scope.contract !== "hub") return `the ${scope.contract}`;
  return scope.lane === undefined ? "the hub" : `lane ${scope.lane} of the hub`;
}

function checkLane(scope: PauseScope): void {
  if (
    scope.contract === "hub" &&
    scope.lane !== undefined &&
    !(Number.isInteger(scope.lane) && scope.lane > 0 && scope.lane <= 0xffffffff)
  )
    throw new InvalidParamsError(`bad lane ${scope.lane}: a Hexs chain id in 1..4294967295`);
}

/** Whether `scope` is paused now. */
export async function isPaused(c: HexsContracts, scope: PauseScope): Promise<boolean> {
  checkLane(scope);
  if (scope.contract === "registry") return c.registry.paused();
  if (scope.contract === "market") return c.market.paused();
  const hub = hubOf(c);
  if (scope.lane !== undefined) return (await hub.lane(scope.lane)).paused;
  // The hub-wide flag has no getter (contract size): HubStorage's second slot holds
  // registry (bytes 0-19), chainId (20-23), paused (24), a layout the upgrades plugin keeps.
  const word = await c.provider.getStorage(await hub.getAddress(), BigInt(HUB_STORAGE_SLOT) + 1n);
  return ((BigInt(word) >> 192n) & 0xffn) !== 0n;
}

/** ERC-7201 location of HexsHub's storage (hexs.storage.Hub). */
const HUB_STORAGE_SLOT = "0xed831aabcf8e62e82a355daef486871821d49f1b1e64d8888f037bee1153b000";

/** The call that sets `scope`'s pause: the guardian sends a pause itself; an unpause only the timelock executes. */
export async function pauseCall(c: HexsContracts, scope: PauseScope, paused: boolean): Promise<PauseCall> {
  checkLane(scope);
  const label = `${paused ? "pause" : "unpause"} ${describe(scope)}`;
  if (scope.contract === "registry" || scope.contract === "market") {
    const contract = scope.contract === "registry" ? c.registry : c.market;
    const data = paused ? contract.interface.encodeFunctionData("pause") : contract.interface.encodeFunctionData("unpause");
    return { target: await contract.getAddress(), data, label };
  }
  const hub = hubOf(c);
  const data =
    scope.lane === undefined
      ? hub.interface.encodeFunctionData("pause", [paused])
      : hub.interface.encodeFunctionData("pauseLane", [scope.lane, paused]);
  return { target: await hub.getAddress(), data, label };
}

/** The role that may set `scope`'s pause to `paused`: the guardian's to pause, the admin's (timelock) to unpause. */
export async function pauserRole(c: HexsContracts, scope: PauseScope, paused: boolean): Promise<string> {
  if (!paused) return ZeroHash;
  if (scope.contract === "registry") return c.registry.PAUSER_ROLE();
  if (scope.contract === "market") return c.market.PAUSER_ROLE();
  return hubOf(c).GUARDIAN_ROLE();
}

/** Pause `scope` as the guardian (a no-op when it is paused already). */
export async function pause(c: HexsContracts, signer: Signer, scope: PauseScope, o: ActionOptions = {}): Promise<PauseResult> {
  if (await isPaused(c, scope)) {
    o.log?.(`${describe(scope)} is paused already`);
    return { scope, paused: true };
  }
  const me = await signer.getAddress();
  const { target, label } = await pauseCall(c, scope, true);
  const guardian = c.registry.attach(target) as HexsContracts["registry"]; // hasRole: every pausable is AccessControl
  if (!(await guardian.hasRole(await pauserRole(c, scope, true), me)))
    throw new NotAllowedError(
      `${me} is not the guardian of ${describe(scope)}: only the guardian pauses (and only the timelock unpauses)`,
    );
  await requireFunds(c, NATIVE_INFO, me, 0n, 100_000n);
  const [simulate, sendTx] =
    scope.contract === "registry"
      ? [() => c.registry.connect(signer).pause.staticCall(), () => c.registry.connect(signer).pause()]
      : scope.contract === "market"
        ? [() => c.market.connect(signer).pause.staticCall(), () => c.market.connect(signer).pause()]
        : scope.lane === undefined
          ? [() => hubOf(c).connect(signer).pause.staticCall(true), () => hubOf(c).connect(signer).pause(true)]
          : [
              () => hubOf(c).connect(signer).pauseLane.staticCall(scope.lane!, true),
              () => hubOf(c).connect(signer).pauseLane(scope.lane!, true),
            ];
  const r = await send(c, label, simulate, sendTx, o.log);
  return { scope, paused: true, txHash: r.hash };
}

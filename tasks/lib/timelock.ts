// Scheduling and executing one call through the HexsTimelock, idempotently.
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Signer } from "ethers";
import { id as hashText, ZeroAddress, ZeroHash } from "ethers";
import { isLocalNetwork, sdk, type ProtocolContracts } from "./context";
import { fail } from "./errors";
import { say } from "./log";

export interface TimelockOptions {
  label: string;
  execute: boolean;
  fastForward: boolean;
}

export interface TimelockOutcome {
  operationId: string;
  salt: string;
  readyAt: bigint;
  scheduleTx?: string;
  executeTx?: string;
  executed: boolean;
}

const MAX_SALTS = 64;

/**
 * Schedule `target.call(data)` on the timelock (unless it is already pending), and execute it
 * when `execute` is set and its delay has passed (`fastForward` moves time on local networks).
 * The salt is the first of `hexs-op-0`, `hexs-op-1`, … whose operation is not yet done, so
 * re-running a command resumes its pending operation instead of scheduling another.
 */
export async function timelockCall(
  hre: HardhatRuntimeEnvironment,
  p: ProtocolContracts,
  signer: Signer,
  target: string,
  data: string,
  o: TimelockOptions,
): Promise<TimelockOutcome> {
  const { NATIVE_INFO, requireFunds, send } = await sdk();
  const tl = p.timelock.connect(signer);
  const me = await signer.getAddress();
  let salt: string;
  let operationId: string;
  for (let i = 0; ; i++) {
    if (i >= MAX_SALTS) fail(`${o.label}: ${MAX_SALTS} identical timelock operations already done; nothing left to schedule`);
    salt = hashText(`hexs-op-${i}`);
    operationId = await tl.hashOperation(target, 0n, data, ZeroHash, salt);
    if (!(await tl.isOperationDone(operationId))) break;
  }
  const out: TimelockOutcome = { operationId, salt, readyAt: 0n, executed: false };

  if (!(await tl.isOperation(operationId))) {
    if (!(await tl.hasRole(await tl.PROPOSER_ROLE(), me))) {
      fail(
        `${me} cannot schedule on the timelock ${await tl.getAddress()} (no PROPOSER_ROLE): use --from with the proposer (the deployer on a devnet)`,
      );
    }
    const delay = await tl.getMinDelay();
    await requireFunds(p, NATIVE_INFO, me, 0n, 150_000n);
    const r = await send(
      p,
      `schedule ${o.label}`,
      () => tl.schedule.staticCall(target, 0n, data, ZeroHash, salt, delay),
      () => tl.schedule(target, 0n, data, ZeroHash, salt, delay),
      say,
    );
    out.scheduleTx = r.hash;
    say(`  timelock operation ${operationId} scheduled (delay ${delay} s)`);
  } else {
    say(`  timelock operation ${operationId} was already scheduled`);
  }
  out.readyAt = await tl.getTimestamp(operationId);
  const readyIso = new Date(Number(out.readyAt) * 1000).toISOString();
  if (!o.execute) {
    say(`  ready at ${readyIso} (chain time); re-run with --execute after that`);
    return out;
  }

  const latest = await hre.ethers.provider.getBlock("latest");
  const now = BigInt(latest?.timestamp ?? 0);
  // Without --fast-forward, an operation ready by the next block is executed now; with it, the
  // chain is moved to the ready time first (a call simulated on the latest block sees its time).
  if (now + 1n < out.readyAt || (o.fastForward && now < out.readyAt)) {
    if (!o.fastForward) {
      say(`  not ready yet: executable at ${readyIso} (in ${out.readyAt - now} s); re-run with --execute then`);
      return out;
    }
    if (!isLocalNetwork(hre))
      fail(`--fast-forward works only on local devnets (hardhat, localhost, devnetA, devnetB), not '${hre.network.name}'`);
    await hre.network.provider.send("evm_increaseTime", [Number(out.readyAt - now)]);
    await hre.network.provider.send("evm_mine", []);
    say(`  fast-forward: advanced chain time by ${out.readyAt - now} s`);
  }
  const anyone = await tl.hasRole(await tl.EXECUTOR_ROLE(), ZeroAddress);
  if (!anyone && !(await tl.hasRole(await tl.EXECUTOR_ROLE(), me))) {
    fail(`${me} cannot execute on the timelock (no EXECUTOR_ROLE): use --from with an executor`);
  }
  await requireFunds(p, NATIVE_INFO, me, 0n, 500_000n);
  const r = await send(
    p,
    `execute ${o.label}`,
    () => tl.execute.staticCall(target, 0n, data, ZeroHash, salt),
    () => tl.execute(target, 0n, data, ZeroHash, salt),
    say,
  );
  out.executeTx = r.hash;
  out.executed = true;
  return out;
}

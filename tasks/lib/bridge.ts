// The one way off-chain code (tasks, relayer, tests) reads a hub's outbound journal and
// flushes it over LayerZero.
import type { ContractTransactionResponse } from "ethers";
import { solidityPacked } from "ethers";
import { hexlify } from "ethers";
import type { HexsHub, HexsLzBridge } from "../../typechain-types";
import { encodeEnvelope, type Kind } from "../../relayer/codec";

export interface JournalEntry {
  entry: bigint;
  kind: number;
  body: string;
}

/** Journal entries after `after`, in order, read from the hub's Recorded events. */
export async function journalAfter(hub: HexsHub, after: bigint, fromBlock = 0): Promise<JournalEntry[]> {
  const logs = await hub.queryFilter(hub.filters.Recorded(), fromBlock);
  return logs
    .map((l) => ({ entry: l.args.entry, kind: Number(l.args.kind), body: l.args.body }))
    .filter((e) => e.entry > after)
    .sort((a, b) => (a.entry < b.entry ? -1 : 1));
}

/**
 * Type-3 executor option `lzReceive(gas)`, byte-identical to LayerZero's
 * `OptionsBuilder.newOptions().addExecutorLzReceiveOption(gas, 0)`.
 */
export function lzReceiveOption(gas: bigint): string {
  const payload = solidityPacked(["uint128"], [gas]);
  const size = (payload.length - 2) / 2 + 1;
  return solidityPacked(["uint16", "uint8", "uint16", "uint8", "bytes"], [3, 1, size, 1, payload]);
}

/** Executor gas for a batch: a base plus a measured per-message allowance. */
export function batchGas(kinds: number[]): bigint {
  const MODEL_REGISTERED = 1;
  let gas = 120_000n;
  for (const k of kinds) gas += k === MODEL_REGISTERED ? 900_000n : 120_000n;
  return gas;
}

/**
 * Flush everything pending on the lane to `dstChain` (at most `max` entries) through the
 * hub, paying the bridge's quoted fee. Returns undefined when nothing is pending.
 */
export async function flushLane(
  hub: HexsHub,
  bridge: HexsLzBridge,
  dstChain: number,
  max = 64,
): Promise<ContractTransactionResponse | undefined> {
  const lane = await hub.lane(dstChain);
  // A flush must end at the journal head or at a checkpoint (every 64 entries).
  const interval = await hub.CHECKPOINT_INTERVAL();
  const toCheckpoint = Number(interval - (lane.sent % interval));
  const pending = (await journalAfter(hub, lane.sent)).slice(0, Math.min(max, toCheckpoint));
  if (pending.length === 0) return undefined;
  const srcChain = Number(await hub.chainId());
  const kinds = pending.map((e) => e.kind);
  const bodies = pending.map((e) => e.body);
  const messages = pending.map((e) =>
    hexlify(encodeEnvelope({ kind: e.kind as Kind, srcChain, dstChain, nonce: e.entry }, e.body)),
  );
  const options = lzReceiveOption(batchGas(kinds));
  const fee = await bridge.quote(dstChain, messages, options);
  return hub.flush(dstChain, kinds, bodies, options, { value: fee });
}

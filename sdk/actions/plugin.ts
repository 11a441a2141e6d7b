// Key plugins: attach to / detach from a model's key collection (creator only).
import type { Signer } from "ethers";
import { AbiCoder } from "ethers";
import { keysOf, type HexsContracts } from "../contracts";
import { formatId } from "../ids";
import { NATIVE_INFO, requireFunds, send, type ActionOptions } from "../tx";
import { requireCreator } from "./common";
import { InvalidParamsError, NotFoundError, StateError } from "./errors";

/** The protocol's own plugins, by name. */
export const KNOWN_PLUGINS = ["soulbound", "allowlist", "supply-cap", "expiry"] as const;
export type KnownPlugin = (typeof KNOWN_PLUGINS)[number];

/** A plugin: one of the protocol's (with its typed configuration) or a third-party IKeyPlugin. */
export type PluginSpec =
  | { kind: "soulbound" }
  | { kind: "allowlist"; merkleRoot: string }
  | { kind: "supply-cap"; cap: bigint }
  | { kind: "expiry"; seconds: bigint }
  | { kind: "custom"; address: string; config?: string };

/** The plugin contract's address on this chain. */
export async function pluginAddress(c: HexsContracts, spec: PluginSpec | { kind: KnownPlugin }): Promise<string> {
  switch (spec.kind) {
    case "soulbound":
      return c.plugins.soulbound.getAddress();
    case "allowlist":
      return c.plugins.allowlist.getAddress();
    case "supply-cap":
      return c.plugins.supplyCap.getAddress();
    case "expiry":
      return c.plugins.expiry.getAddress();
    default:
      return (spec as { address: string }).address;
  }
}

/** The configuration bytes the plugin's `onAttach` reads. */
export function pluginConfig(spec: PluginSpec): string {
  const coder = AbiCoder.defaultAbiCoder();
  switch (spec.kind) {
    case "soulbound":
      return "0x";
    case "allowlist":
      return coder.encode(["bytes32"], [spec.merkleRoot]);
    case "supply-cap":
      if (spec.cap === 0n) throw new InvalidParamsError("bad --plugin-config '0': a supply cap must be at least 1");
      return coder.encode(["uint64"], [spec.cap]);
    case "expiry":
      return coder.encode(["uint64"], [spec.seconds]);
    case "custom":
      return spec.config ?? "0x";
  }
}

export interface PluginResult {
  modelId: bigint;
  plugin: string;
  config?: string;
  txHash: string;
}

/** A model's key plugins are set on its home chain; the other chains follow its KeyPolicySet. */
async function requireHomeChain(c: HexsContracts, modelId: bigint): Promise<void> {
  const home = modelId >> 32n;
  if (home !== BigInt(await c.registry.chainId()))
    throw new StateError(
      `model ${formatId(modelId)} lives on chain ${home}: set its key plugins there (this chain follows its key policy)`,
    );
}

async function requireContract(c: HexsContracts, spec: PluginSpec): Promise<void> {
  if (spec.kind === "custom" && (await c.provider.getCode(spec.address)) === "0x")
    throw new NotFoundError(`bad --plugin ${spec.address}: no contract there on '${c.chain.name}'`);
}

/** Attach a plugin to a model's key collection; creator only (soul-bound only before the first sale). */
export async function attachPlugin(
  c: HexsContracts,
  signer: Signer,
  modelId: bigint,
  spec: PluginSpec,
  o: ActionOptions = {},
): Promise<PluginResult> {
  await requireContract(c, spec);
  const address = await pluginAddress(c, spec);
  const config = pluginConfig(spec);
  await requireCreator(c, modelId, signer);
  await requireHomeChain(c, modelId);
  const keys = (await keysOf(c, modelId)).connect(signer);
  if ((await keys.plugins()).includes(address))
    throw new StateError(`plugin ${spec.kind} (${address}) is already attached to model ${formatId(modelId)}`);
  if (spec.kind === "soulbound" && (await keys.sold())) {
    throw new StateError(`model ${formatId(modelId)} already sold keys: its soul-bound policy is fixed and can no longer change`);
  }
  await requireFunds(c, NATIVE_INFO, await signer.getAddress(), 0n, 200_000n);
  const r = await send(
    c,
    "attach plugin",
    () => keys.attachPlugin.staticCall(address, config),
    () => keys.attachPlugin(address, config),
    o.log,
  );
  return { modelId, plugin: address, config, txHash: r.hash };
}

/** Detach a plugin from a model's key collection; creator only. */
export async function detachPlugin(
  c: HexsContracts,
  signer: Signer,
  modelId: bigint,
  plugin: { kind: KnownPlugin } | { kind: "custom"; address: string },
  o: ActionOptions = {},
): Promise<PluginResult> {
  if (plugin.kind === "custom") await requireContract(c, plugin);
  const address = await pluginAddress(c, plugin as PluginSpec);
  await requireCreator(c, modelId, signer);
  await requireHomeChain(c, modelId);
  const keys = (await keysOf(c, modelId)).connect(signer);
  if (!(await keys.plugins()).includes(address)) {
    throw new StateError(`plugin ${plugin.kind} (${address}) is not attached to model ${formatId(modelId)}`);
  }
  await requireFunds(c, NATIVE_INFO, await signer.getAddress(), 0n, 150_000n);
  const r = await send(
    c,
    "detach plugin",
    () => keys.detachPlugin.staticCall(address),
    () => keys.detachPlugin(address),
    o.log,
  );
  return { modelId, plugin: address, txHash: r.hash };
}

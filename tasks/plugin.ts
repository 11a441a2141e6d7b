// plugin:attach, plugin:detach
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { AbiCoder } from "ethers";
import {
  keysOf,
  loadProtocol,
  NATIVE_INFO,
  requireCreator,
  requireFunds,
  resolveSigner,
  send,
  type ProtocolContracts,
} from "./lib/context";
import { fail } from "./lib/errors";
import { say } from "./lib/log";
import { formatId, parseAddress, parseBytes32, parseDuration, parseHex, parseId, parseUint } from "./lib/parse";

const KNOWN = ["soulbound", "allowlist", "supply-cap", "expiry"] as const;
type Known = (typeof KNOWN)[number];
const FROM_HELP = "Account to sign with: index (0, 1, …) or address among the network's accounts";

async function resolvePlugin(
  hre: HardhatRuntimeEnvironment,
  p: ProtocolContracts,
  value: string,
): Promise<{ address: string; kind: Known | "custom" }> {
  const v = value.trim().toLowerCase();
  const byName: Record<Known, () => Promise<string>> = {
    soulbound: () => p.plugins.soulbound.getAddress(),
    allowlist: () => p.plugins.allowlist.getAddress(),
    "supply-cap": () => p.plugins.supplyCap.getAddress(),
    expiry: () => p.plugins.expiry.getAddress(),
  };
  if ((KNOWN as readonly string[]).includes(v)) return { address: await byName[v as Known](), kind: v as Known };
  if (!v.startsWith("0x")) fail(`bad --plugin '${value}': expected ${KNOWN.join(", ")} or a plugin contract address`);
  const address = parseAddress("plugin", value);
  if ((await hre.ethers.provider.getCode(address)) === "0x")
    fail(`bad --plugin ${address}: no contract there on '${hre.network.name}'`);
  return { address, kind: "custom" };
}

/** The plugin's configuration bytes from a typed value (known plugins) or hex (custom plugins). */
function encodeConfig(kind: Known | "custom", config: string | undefined): string {
  const coder = AbiCoder.defaultAbiCoder();
  switch (kind) {
    case "soulbound":
      return "0x";
    case "allowlist":
      if (!config) fail("--plugin-config is required for allowlist: the Merkle root (0x + 64 hex)");
      return coder.encode(["bytes32"], [parseBytes32("plugin-config", config)]);
    case "supply-cap": {
      const cap = parseUint("plugin-config", config, (1n << 64n) - 1n);
      if (cap === 0n) fail("bad --plugin-config '0': a supply cap must be at least 1");
      return coder.encode(["uint64"], [cap]);
    }
    case "expiry":
      if (!config) fail("--plugin-config is required for expiry: the key lifetime (seconds, or 30d/12h/15m)");
      return coder.encode(["uint64"], [parseDuration("plugin-config", config)]);
    default:
      return parseHex("plugin-config", config);
  }
}

task("plugin:attach", "Attach a key plugin to a model's collection; creator only (soul-bound only before the first sale)")
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("plugin", `Plugin: ${KNOWN.join(", ")}, or the address of a third-party IKeyPlugin`)
  .addOptionalParam(
    "pluginConfig",
    "Plugin configuration (--config is Hardhat's own flag): allowlist → Merkle root; supply-cap → max keys; expiry → lifetime (seconds or 30d); address → ABI-encoded hex",
  )
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(async (a: { model: string; plugin: string; pluginConfig?: string; from?: string }, hre) => {
    const modelId = parseId("model", a.model);
    const p = await loadProtocol(hre);
    const plugin = await resolvePlugin(hre, p, a.plugin);
    const config = encodeConfig(plugin.kind, a.pluginConfig);
    const signer = await resolveSigner(hre, a.from);
    await requireCreator(hre, p, modelId, signer);
    const keys = (await keysOf(hre, p, modelId)).connect(signer);
    const attached = await keys.plugins();
    if (attached.includes(plugin.address))
      fail(`plugin ${a.plugin} (${plugin.address}) is already attached to model ${formatId(modelId)}`);
    if (plugin.kind === "soulbound" && (await keys.sold())) {
      fail(`model ${formatId(modelId)} already sold keys: its soul-bound policy is fixed and can no longer change`);
    }
    await requireFunds(hre, NATIVE_INFO, await signer.getAddress(), 0n, 200_000n);
    const r = await send(
      p,
      "attach plugin",
      () => keys.attachPlugin.staticCall(plugin.address, config),
      () => keys.attachPlugin(plugin.address, config),
    );
    say(`plugin ${plugin.kind} ${plugin.address} attached to model ${formatId(modelId)} (config ${config})`);
    return { modelId, plugin: plugin.address, config, txHash: r.hash };
  });

task("plugin:detach", "Detach a key plugin from a model's collection; creator only")
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("plugin", `Plugin: ${KNOWN.join(", ")}, or a plugin contract address`)
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(async (a: { model: string; plugin: string; from?: string }, hre) => {
    const modelId = parseId("model", a.model);
    const p = await loadProtocol(hre);
    const plugin = await resolvePlugin(hre, p, a.plugin);
    const signer = await resolveSigner(hre, a.from);
    await requireCreator(hre, p, modelId, signer);
    const keys = (await keysOf(hre, p, modelId)).connect(signer);
    if (!(await keys.plugins()).includes(plugin.address)) {
      fail(`plugin ${a.plugin} (${plugin.address}) is not attached to model ${formatId(modelId)}`);
    }
    await requireFunds(hre, NATIVE_INFO, await signer.getAddress(), 0n, 150_000n);
    const r = await send(
      p,
      "detach plugin",
      () => keys.detachPlugin.staticCall(plugin.address),
      () => keys.detachPlugin(plugin.address),
    );
    say(`plugin ${plugin.kind} ${plugin.address} detached from model ${formatId(modelId)}`);
    return { modelId, plugin: plugin.address, txHash: r.hash };
  });

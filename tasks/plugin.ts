// plugin:attach, plugin:detach — thin wrappers over the SDK (sdk/actions/plugin.ts).
import { task } from "hardhat/config";
import type { KnownPlugin, PluginSpec } from "../sdk/actions/plugin";
import { formatId } from "../sdk/ids";
import { loadProtocol, resolveSigner, sdk } from "./lib/context";
import { cli, fail } from "./lib/errors";
import { say } from "./lib/log";
import { parseAddress, parseBytes32, parseDuration, parseHex, parseId, parseUint } from "./lib/parse";

const KNOWN: readonly KnownPlugin[] = ["soulbound", "allowlist", "supply-cap", "expiry"];
const FROM_HELP = "Account to sign with: index (0, 1, …) or address among the network's accounts";

/** --plugin: a known plugin's name, or a contract address. */
function pluginKind(value: string): KnownPlugin | { address: string } {
  const v = value.trim().toLowerCase();
  if ((KNOWN as readonly string[]).includes(v)) return v as KnownPlugin;
  if (!v.startsWith("0x")) fail(`bad --plugin '${value}': expected ${KNOWN.join(", ")} or a plugin contract address`);
  return { address: parseAddress("plugin", value) };
}

/** The plugin and its configuration from --plugin and --plugin-config (typed for known plugins, hex for others). */
function pluginSpec(plugin: string, config: string | undefined): PluginSpec {
  const kind = pluginKind(plugin);
  switch (kind) {
    case "soulbound":
      return { kind };
    case "allowlist":
      if (!config) fail("--plugin-config is required for allowlist: the Merkle root (0x + 64 hex)");
      return { kind, merkleRoot: parseBytes32("plugin-config", config) };
    case "supply-cap": {
      const cap = parseUint("plugin-config", config, (1n << 64n) - 1n);
      if (cap === 0n) fail("bad --plugin-config '0': a supply cap must be at least 1");
      return { kind, cap };
    }
    case "expiry":
      if (!config) fail("--plugin-config is required for expiry: the key lifetime (seconds, or 30d/12h/15m)");
      return { kind, seconds: parseDuration("plugin-config", config) };
    default:
      return { kind: "custom", address: kind.address, config: parseHex("plugin-config", config) };
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
  .setAction(
    cli(async (a: { model: string; plugin: string; pluginConfig?: string; from?: string }, hre) => {
      const modelId = parseId("model", a.model);
      const spec = pluginSpec(a.plugin, a.pluginConfig);
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { attachPlugin } = await sdk();
      const r = await attachPlugin(p, signer, modelId, spec, { log: say });
      say(`plugin ${spec.kind} ${r.plugin} attached to model ${formatId(modelId)} (config ${r.config})`);
      return r;
    }),
  );

task("plugin:detach", "Detach a key plugin from a model's collection; creator only")
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("plugin", `Plugin: ${KNOWN.join(", ")}, or a plugin contract address`)
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    cli(async (a: { model: string; plugin: string; from?: string }, hre) => {
      const modelId = parseId("model", a.model);
      const kind = pluginKind(a.plugin);
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { detachPlugin } = await sdk();
      const plugin = typeof kind === "string" ? { kind } : { kind: "custom" as const, address: kind.address };
      const r = await detachPlugin(p, signer, modelId, plugin, { log: say });
      say(`plugin ${plugin.kind} ${r.plugin} detached from model ${formatId(modelId)}`);
      return r;
    }),
  );

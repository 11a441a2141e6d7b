// Cross-chain tasks: lz:wire, bridge:flush, bridge:quote, bridge:retry, key:move,
// gateway:set-relayers, gateway:accept, hub:lease-reporting, payout:bind. Types only from typechain at import time (see index.ts).
import fs from "node:fs";
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { ContractTransactionResponse } from "ethers";
import { formatEther, getAddress, isAddress, isHexString, ZeroAddress, ZeroHash } from "ethers";
import type { AttestationGateway, HexsHub, HexsHubLens, HexsLzBridge } from "../sdk/typechain";
import type { MoveResult } from "../sdk/actions/key";
import type { BindResult } from "../sdk/actions/payout";
import type { TxReport } from "../sdk/tx";
import { loadProtocol, resolveSigner, sdk, type ProtocolContracts } from "./lib/context";
import { cli, fail, TaskError } from "./lib/errors";
import { say } from "./lib/log";
import { parseAccount, parseAddress, parseAddressList, parseId, parseUint } from "./lib/parse";
import { isDevnet, Names } from "./lib/protocol";
import { gatewayQuorum } from "./lib/deployHexs";
import { timelockCall, type TimelockOutcome } from "./lib/timelock";
import { pendingBatch, planWire, type WireAction, type WirePeer } from "../sdk/bridge";
import { AccountFamily } from "../codec";

export type { BindResult, MoveResult };
import { decodePacket, JsonFileFailedReceiveStore, LzExecutor, type ExecResult } from "../devnet/lz";

const FROM_HELP = "Account to sign with: index (0, 1, …) or address among the network's accounts";

interface Bridge {
  p: ProtocolContracts;
  hub: HexsHub;
  lens: HexsHubLens;
  bridge?: HexsLzBridge;
  gateway: AttestationGateway;
  self: number;
}

async function loadBridge(hre: HardhatRuntimeEnvironment, needLz: boolean): Promise<Bridge> {
  const p = await loadProtocol(hre);
  const { hub, hubLens: lens, gateway, lzBridge: bridge } = p;
  if (!hub || !gateway)
    fail(`network '${hre.network.name}' has a single-chain Hexs deployment (no ${Names.hub}): cross-chain tasks need the hub`);
  if (!lens) fail(`no ${Names.hubLens} on '${hre.network.name}': redeploy (npx hardhat deploy) to add it`);
  if (needLz && !bridge) {
    fail(
      `no LayerZero bridge on '${hre.network.name}' (${Names.lzBridge} not deployed): deploy with HEXS_LZ_ENDPOINT=<EndpointV2 address>`,
    );
  }
  return { p, hub, lens, bridge, gateway, self: Number(await hub.chainId()) };
}

/** The SDK's send (simulate, send, confirm), printing each transaction. */
async function send(
  p: ProtocolContracts,
  label: string,
  simulate: () => Promise<unknown>,
  sendTx: () => Promise<ContractTransactionResponse>,
): Promise<TxReport> {
  return (await sdk()).send(p, label, simulate, sendTx, say);
}

function parseChain(param: string, value: string | undefined): number {
  const n = Number(parseUint(param, value, 0xffffffffn));
  if (n === 0) fail(`bad --${param} '${value}': chain identifiers start at 1`);
  return n;
}

/** A lane this chain flushes over LayerZero: a known peer whose transport is the bridge. */
async function requireLzLane(b: Bridge, dst: number, param = "dst"): Promise<void> {
  if (dst === b.self) fail(`bad --${param} ${dst}: that is this chain; give a peer chain`);
  const lane = await b.hub.lane(dst);
  const peers = (await b.lens.peers(await b.hub.getAddress())).map(Number);
  if (lane.transport === ZeroAddress)
    fail(`bad --${param} ${dst}: not a peer of this hub (peers: ${peers.join(", ") || "none"}); wire it with lz:wire`);
  if (lane.transport !== (await b.bridge!.getAddress())) {
    fail(
      `bad --${param} ${dst}: that lane is served by ${lane.transport} (the attestation gateway), not LayerZero; the relayer quorum carries it`,
    );
  }
}

/**
 * An account word: an EVM address (`0x` + 40 hex), or `family:0x…` with family evm, cosmos
 * (20 bytes) or cosmwasm (32 bytes).
 */
// ---------------------------------------------------------------- lz:wire

export interface WireConfig {
  chains: WirePeer[];
}

function readWireConfig(file: string): WireConfig {
  if (!fs.existsSync(file)) fail(`bad --file '${file}': no such file`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    return fail(`bad --file '${file}': not valid JSON (${(e as Error).message})`);
  }
  const chains = (raw as { chains?: unknown }).chains;
  if (!Array.isArray(chains) || chains.length < 2)
    fail(`bad --file '${file}': expected {"chains": [{"chainId", "eid", "bridge"}, …]} with at least two chains`);
  const seen = new Set<number>();
  const out: WirePeer[] = chains.map((c: Record<string, unknown>, i: number) => {
    const where = `${file}: chains[${i}]`;
    const int = (k: string, max: number) => {
      const v = c[k];
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max)
        fail(`${where}.${k} must be an integer in 0..${max}, got ${JSON.stringify(v)}`);
      return v;
    };
    const addr = (k: string, optional: boolean) => {
      const v = c[k];
      if (v === undefined && optional) return undefined;
      if (typeof v !== "string" || !isAddress(v) || getAddress(v) === ZeroAddress)
        fail(`${where}.${k} must be a contract address, got ${JSON.stringify(v)}`);
      return getAddress(v);
    };
    const bool = (k: string) => {
      const v = c[k];
      if (v !== undefined && typeof v !== "boolean") fail(`${where}.${k} must be true or false, got ${JSON.stringify(v)}`);
      return v as boolean | undefined;
    };
    const chainId = int("chainId", 0xffffffff);
    if (chainId === 0) fail(`${where}.chainId must not be 0`);
    if (seen.has(chainId)) fail(`${where}: chain ${chainId} is listed twice`);
    seen.add(chainId);
    const eid = int("eid", 0xffffffff);
    if (eid === 0) fail(`${where}.eid must not be 0`);
    return {
      chainId,
      eid,
      bridge: addr("bridge", false)!,
      ratePerHour: c.ratePerHour === undefined ? 0 : int("ratePerHour", 0xffffffff),
      sendLibrary: addr("sendLibrary", true),
      receiveLibrary: addr("receiveLibrary", true),
      payoutBindings: addr("payoutBindings", true),
      resale: bool("resale"),
    };
  });
  return { chains: out };
}

const AUTHORITY_NAMES: Record<WireAction["authority"], string> = {
  bridgeOwner: "the bridge's owner",
  hubAdmin: "the hub's admin",
  delegate: "the bridge's endpoint delegate",
  resaleAdmin: "HexsResale's admin",
};

export interface WireResult {
  chainId: number;
  actions: { label: string; via: "direct" | "timelock"; done: boolean; timelock?: TimelockOutcome }[];
}

task(
  "lz:wire",
  "Wire this chain's LayerZero bridge and hub to the other chains in a config file (peers, chain↔eid map, enforced options, libraries, hub lanes, resale peers); through the timelock once it governs",
)
  .addParam(
    "file",
    'JSON file: {"chains": [{"chainId": 1, "eid": 40101, "bridge": "0x…", "ratePerHour": 0, "sendLibrary"?: "0x…", "receiveLibrary"?: "0x…", "payoutBindings"?: "0x…", "resale"?: true}, …]}',
  )
  .addFlag("execute", "Timelocked steps: also execute once the delay has passed (otherwise only schedule)")
  .addFlag(
    "fastForward",
    "On local devnets only (hardhat, localhost, devnetA, devnetB): advance chain time past the timelock delay before executing",
  )
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    cli(async (a: { file: string; execute: boolean; fastForward: boolean; from?: string }, hre): Promise<WireResult> => {
      const cfg = readWireConfig(a.file);
      const b = await loadBridge(hre, true);
      const bridge = b.bridge!;
      const mine = cfg.chains.find((c) => c.chainId === b.self);
      if (!mine) fail(`${a.file} does not list this chain (${b.self} on '${hre.network.name}')`);
      if (getAddress(mine.bridge) !== (await bridge.getAddress())) {
        fail(
          `${a.file} says chain ${b.self}'s bridge is ${mine.bridge}, but '${hre.network.name}' has ${await bridge.getAddress()}: wrong network or stale config`,
        );
      }
      const signer = await resolveSigner(hre, a.from);
      const me = await signer.getAddress();
      const timelock = await b.p.timelock.getAddress();
      const endpoint = await hre.ethers.getContractAt(
        ["function delegates(address) view returns (address)"],
        await bridge.endpoint(),
      );
      const holder = async (act: WireAction): Promise<string> => {
        if (act.authority === "bridgeOwner") return bridge.owner();
        if (act.authority === "delegate") return (await endpoint.getFunction("delegates")(await bridge.getAddress())) as string;
        const admin =
          act.authority === "resaleAdmin" ? await hre.ethers.getContractAt("AccessControlUpgradeable", act.target) : b.hub;
        if (await admin.hasRole(ZeroHash, me)) return me;
        return (await admin.hasRole(ZeroHash, timelock)) ? timelock : ZeroAddress;
      };
      const plan = await planWire(b.hub, b.lens, bridge, cfg.chains);
      if (plan.length === 0) say(`chain ${b.self} on '${hre.network.name}' is already wired as ${a.file} says`);
      const result: WireResult = { chainId: b.self, actions: [] };
      for (const act of plan) {
        const who = await holder(act);
        if (who === me) {
          await send(
            b.p,
            act.label,
            () => signer.call({ to: act.target, data: act.data }),
            async () =>
              (await signer.sendTransaction({ to: act.target, data: act.data })) as unknown as ContractTransactionResponse,
          );
          result.actions.push({ label: act.label, via: "direct", done: true });
        } else if (who === timelock) {
          const t = await timelockCall(hre, b.p, signer, act.target, act.data, {
            label: act.label,
            execute: a.execute,
            fastForward: a.fastForward,
          });
          result.actions.push({ label: act.label, via: "timelock", done: t.executed, timelock: t });
        } else {
          fail(
            `${act.label}: needs ${AUTHORITY_NAMES[act.authority]} (${who}), which is neither ${me} nor the timelock ${timelock}`,
          );
        }
      }
      return result;
    }),
  );

// ---------------------------------------------------------------- bridge:quote / bridge:flush

export interface QuoteResult {
  dstChain: number;
  entries: number;
  firstNonce?: bigint;
  lastNonce?: bigint;
  fee: bigint;
  options: string;
}

async function quoteLane(b: Bridge, dst: number, max: number): Promise<QuoteResult> {
  await requireLzLane(b, dst);
  const batch = await pendingBatch(b.hub, b.bridge!, dst, max);
  if (!batch) return { dstChain: dst, entries: 0, fee: 0n, options: "0x" };
  const sent = (await b.hub.lane(dst)).sent;
  return {
    dstChain: dst,
    entries: batch.kinds.length,
    firstNonce: sent + 1n,
    lastNonce: sent + BigInt(batch.kinds.length),
    fee: batch.fee,
    options: batch.options,
  };
}

task("bridge:quote", "Quote the LayerZero fee of flushing this chain's pending journal entries to a peer chain")
  .addParam("dst", "Destination Hexs chain id")
  .addOptionalParam("max", "Most entries in one flush (1..64)", "64")
  .setAction(
    cli(async (a: { dst: string; max: string }, hre): Promise<QuoteResult> => {
      const dst = parseChain("dst", a.dst);
      const max = Number(parseUint("max", a.max, 64n));
      if (max === 0) fail("bad --max 0: at least one entry");
      const b = await loadBridge(hre, true);
      const q = await quoteLane(b, dst, max);
      if (q.entries === 0) say(`nothing pending for chain ${dst}`);
      else
        say(
          `${q.entries} entries (lane nonces ${q.firstNonce}..${q.lastNonce}) to chain ${dst}: fee ${formatEther(q.fee)} ETH (${q.fee} wei)`,
        );
      return q;
    }),
  );

export interface FlushResult extends QuoteResult {
  txHash?: string;
  gasUsed?: bigint;
}

task("bridge:flush", "Send this chain's pending journal entries to a peer chain over LayerZero, paying the quoted fee")
  .addParam("dst", "Destination Hexs chain id")
  .addOptionalParam("max", "Most entries in one flush (1..64)", "64")
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    cli(async (a: { dst: string; max: string; from?: string }, hre): Promise<FlushResult> => {
      const dst = parseChain("dst", a.dst);
      const max = Number(parseUint("max", a.max, 64n));
      if (max === 0) fail("bad --max 0: at least one entry");
      const b = await loadBridge(hre, true);
      const q = await quoteLane(b, dst, max);
      if (q.entries === 0) {
        say(`nothing pending for chain ${dst}`);
        return q;
      }
      const signer = await resolveSigner(hre, a.from);
      const balance = await hre.ethers.provider.getBalance(await signer.getAddress());
      if (balance < q.fee)
        fail(
          `insufficient funds: the LayerZero fee is ${formatEther(q.fee)} ETH and ${await signer.getAddress()} holds ${formatEther(balance)} ETH`,
        );
      const batch = (await pendingBatch(b.hub, b.bridge!, dst, max))!;
      const hub = b.hub.connect(signer);
      const r = await send(
        b.p,
        `flush ${q.entries} entries to chain ${dst}`,
        () => hub.flush.staticCall(dst, batch.messages, batch.options, { value: batch.fee }),
        () => hub.flush(dst, batch.messages, batch.options, { value: batch.fee }),
      );
      return { ...q, txHash: r.hash, gasUsed: r.gasUsed };
    }),
  );

// ---------------------------------------------------------------- bridge:retry

export interface RetryResult {
  retried: { what: string; ok: boolean; reason?: string; txHash?: string }[];
}

task(
  "bridge:retry",
  "Re-run a failed LayerZero receive on this chain (--packet, or every stored one in --store), or re-apply a message the hub rejected (--message)",
)
  .addOptionalParam("packet", "The packet as emitted by the source endpoint's PacketSent (0x…)")
  .addOptionalParam(
    "store",
    "JSON file of failed receives written by the executor (devnet/lz): retry those addressed to this chain",
  )
  .addOptionalParam("message", "A codec message this hub rejected (MessageRejected): call hub.reapply")
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    cli(async (a: { packet?: string; store?: string; message?: string; from?: string }, hre): Promise<RetryResult> => {
      const given = [a.packet, a.store, a.message].filter((x) => x !== undefined && x !== "").length;
      if (given !== 1) fail("give exactly one of --packet 0x…, --store <file>, --message 0x…");
      const signer = await resolveSigner(hre, a.from);
      const out: RetryResult = { retried: [] };
      if (a.message) {
        const b = await loadBridge(hre, false);
        if (!isHexString(a.message) || a.message.length < 46) fail(`bad --message: expected the hex of an encoded codec message`);
        const hub = b.hub.connect(signer);
        const r = await send(
          b.p,
          "re-apply rejected message",
          () => hub.reapply.staticCall(a.message!),
          () => hub.reapply(a.message!),
        );
        out.retried.push({ what: "message", ok: true, txHash: r.hash });
        return out;
      }
      const b = await loadBridge(hre, true);
      const bridgeAddress = await b.bridge!.getAddress();
      const endpoint = await b.bridge!.endpoint();
      const eid = Number(
        await (await hre.ethers.getContractAt(["function eid() view returns (uint32)"], endpoint)).getFunction("eid")(),
      );
      const store = a.store ? new JsonFileFailedReceiveStore(a.store) : undefined;
      const raws = a.packet ? [a.packet] : store!.list(eid).map((r) => r.packet);
      if (raws.length === 0) say(`no failed receive for eid ${eid} in ${a.store}`);
      for (const raw of raws) {
        let packet;
        try {
          packet = decodePacket(raw);
        } catch (e) {
          return fail(`bad --packet: ${(e as Error).message}`);
        }
        if (packet.dstEid !== eid || packet.receiverAddress !== bridgeAddress) {
          fail(
            `packet nonce ${packet.nonce} is for eid ${packet.dstEid} / ${packet.receiverAddress}, not this chain's bridge (eid ${eid} / ${bridgeAddress}): wrong --network?`,
          );
        }
        const x = new LzExecutor({
          source: { provider: hre.ethers.provider, endpoint, eid: packet.srcEid },
          destination: { signer, endpoint, messageLib: ZeroAddress, eid },
          errorInterfaces: b.p.errorInterfaces,
          store,
        });
        const st = await x.state(packet);
        if (st === "unverified" || st === "nilified" || st === "mismatch") {
          fail(
            `packet nonce ${packet.nonce} from eid ${packet.srcEid} is ${st} on this endpoint: the executor (DVN) must verify it first; nothing to retry yet`,
          );
        }
        const r: ExecResult = await x.execute(packet);
        const what = `packet ${packet.srcEid}#${packet.nonce}`;
        if (r.alreadyExecuted) say(`${what} was already delivered`);
        else if (r.ok) say(`${what} delivered: tx ${r.receipt?.hash} (gas ${r.gasUsed})`);
        else say(`${what} still fails: ${r.reason}`);
        out.retried.push({ what, ok: r.ok, reason: r.reason, txHash: r.receipt?.hash });
        if (!r.ok) throw new TaskError(`${what} still fails: ${r.reason}`);
      }
      return out;
    }),
  );

// ---------------------------------------------------------------- key:move

task("key:move", "Move a key to another chain: burned here, minted there with the same id once the hub's message is flushed")
  .addParam("model", "The key's model (id or chain:serial)")
  .addParam("key", "The key id (id or chain:serial)")
  .addParam("toChain", "Destination Hexs chain id")
  .addOptionalParam("owner", "Who holds it there: EVM address (default: the key's owner) or cosmos:0x… / cosmwasm:0x…")
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    cli(async (a: { model: string; key: string; toChain: string; owner?: string; from?: string }, hre): Promise<MoveResult> => {
      const modelId = parseId("model", a.model);
      const keyId = parseId("key", a.key);
      const toChain = parseChain("to-chain", a.toChain);
      const owner = a.owner ? parseAccount("owner", a.owner) : undefined;
      const b = await loadBridge(hre, false);
      const signer = await resolveSigner(hre, a.from);
      const { moveKey } = await sdk();
      const r = await moveKey(b.p, signer, { modelId, keyId, toChain, owner }, { log: say });
      say(
        `  the key arrives on chain ${toChain} once this chain's journal is flushed there (bridge:flush --dst ${toChain}, or the relayer)`,
      );
      return r;
    }),
  );

// ---------------------------------------------------------------- gateway:set-relayers

export interface SetRelayersResult {
  relayers: string[];
  threshold: number;
  via: "direct" | "timelock";
  executed: boolean;
  timelock?: TimelockOutcome;
}

task("gateway:set-relayers", "Replace the attestation gateway's relayer set and threshold (through the timelock)")
  .addParam("relayers", "Comma-separated relayer addresses (at most 32)")
  .addParam("threshold", "Signatures needed: more than half of the relayers (and at least 2 outside a devnet)")
  .addFlag("execute", "Also execute once the timelock delay has passed (otherwise only schedule)")
  .addFlag(
    "fastForward",
    "On local devnets only (hardhat, localhost, devnetA, devnetB): advance chain time past the timelock delay before executing",
  )
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    cli(
      async (
        a: { relayers: string; threshold: string; execute: boolean; fastForward: boolean; from?: string },
        hre,
      ): Promise<SetRelayersResult> => {
        const relayers = parseAddressList("relayers", a.relayers).sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
        if (relayers.length > 32) fail(`bad --relayers: ${relayers.length} addresses, the gateway takes at most 32`);
        const threshold = Number(parseUint("threshold", a.threshold, 255n));
        try {
          gatewayQuorum({ relayers, threshold, devnet: isDevnet(hre) });
        } catch (e) {
          fail(`bad --threshold ${a.threshold}: ${(e as Error).message}`);
        }
        const b = await loadBridge(hre, false);
        const signer = await resolveSigner(hre, a.from);
        const me = await signer.getAddress();
        const timelock = await b.p.timelock.getAddress();
        const data = b.gateway.interface.encodeFunctionData("setRelayers", [relayers, threshold]);
        const target = await b.gateway.getAddress();
        const label = `set ${threshold}-of-${relayers.length} relayers on the gateway`;
        if (await b.gateway.hasRole(ZeroHash, timelock)) {
          const t = await timelockCall(hre, b.p, signer, target, data, { label, execute: a.execute, fastForward: a.fastForward });
          if (t.executed) say(`gateway relayers: ${relayers.join(", ")} (threshold ${threshold})`);
          return { relayers, threshold, via: "timelock", executed: t.executed, timelock: t };
        }
        if (!(await b.gateway.hasRole(ZeroHash, me)))
          fail(
            `neither the timelock ${timelock} nor ${me} is the gateway's admin: the relayer set changes only through governance`,
          );
        const g = b.gateway.connect(signer);
        await send(
          b.p,
          label,
          () => g.setRelayers.staticCall(relayers, threshold),
          () => g.setRelayers(relayers, threshold),
        );
        return { relayers, threshold, via: "direct", executed: true };
      },
    ),
  );

// ---------------------------------------------------------------- gateway:accept

export interface AcceptResult {
  chain: number;
  ratePerHour: number;
  family: "evm" | "cosmos";
  via: "direct" | "timelock";
  executed: boolean;
  timelock?: TimelockOutcome;
}

task(
  "gateway:accept",
  "Accept a non-EVM chain's lane (e.g. the CosmWasm chain) through the attestation gateway (through the timelock)",
)
  .addParam("chain", "Hexs chain id of the peer whose relayer-attested batches this chain applies")
  .addOptionalParam("rate", "Messages per hour the lane may apply (0 = unlimited, else at least 64: a whole flush)", "0")
  .addOptionalParam(
    "family",
    "Account family of the chain's users (keys move there only to such accounts): cosmos or evm",
    "cosmos",
  )
  .addOptionalParam(
    "hrp",
    "Bech32 prefix of the chain's accounts (e.g. wasm): payout bindings its creators sign (ADR-36) are checked with it",
  )
  .addFlag("execute", "Also execute once the timelock delay has passed (otherwise only schedule)")
  .addFlag(
    "fastForward",
    "On local devnets only (hardhat, localhost, devnetA, devnetB): advance chain time past the timelock delay before executing",
  )
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    cli(
      async (
        a: { chain: string; rate: string; family: string; hrp?: string; execute: boolean; fastForward: boolean; from?: string },
        hre,
      ): Promise<AcceptResult> => {
        if (a.hrp !== undefined)
          await setBindingHrp(hre, a as { chain: string; hrp: string; execute: boolean; fastForward: boolean; from?: string });
        const chain = parseChain("chain", a.chain);
        const ratePerHour = Number(parseUint("rate", a.rate, 0xffffffffn));
        if (ratePerHour !== 0 && ratePerHour < 64)
          fail(
            `bad --rate ${ratePerHour}: a limited lane accepts at least 64 messages per hour (one whole flush), or 0 for unlimited`,
          );
        if (a.family !== "cosmos" && a.family !== "evm") fail(`bad --family '${a.family}': cosmos or evm`);
        const family = a.family;
        const familyCode = family === "evm" ? AccountFamily.Evm : AccountFamily.Cosmos;
        const b = await loadBridge(hre, false);
        if (chain === b.self) fail(`bad --chain ${chain}: that is this chain's own id`);
        const gateway = await b.gateway.getAddress();
        const lane = await b.hub.lane(chain);
        const done =
          lane.transport.toLowerCase() === gateway.toLowerCase() &&
          Number(lane.ratePerHour) === ratePerHour &&
          Number((await b.lens.laneFamily(await b.hub.getAddress(), chain)).family) === familyCode;
        if (done) {
          say(`chain ${chain} already arrives through the gateway ${gateway} (rate ${ratePerHour}/h, ${family} accounts)`);
          return { chain, ratePerHour, family, via: "direct", executed: true };
        }
        if (lane.transport !== ZeroAddress && lane.transport.toLowerCase() !== gateway.toLowerCase()) {
          say(`  note: chain ${chain} was served by ${lane.transport}; the gateway replaces it`);
        }
        const signer = await resolveSigner(hre, a.from);
        const me = await signer.getAddress();
        const timelock = await b.p.timelock.getAddress();
        const data = b.hub.interface.encodeFunctionData("setPeer", [chain, gateway, ratePerHour, familyCode]);
        const target = await b.hub.getAddress();
        const label = `accept chain ${chain} through the gateway`;
        if (await b.hub.hasRole(ZeroHash, timelock)) {
          const t = await timelockCall(hre, b.p, signer, target, data, { label, execute: a.execute, fastForward: a.fastForward });
          if (t.executed) say(`chain ${chain} now arrives through the gateway ${gateway}`);
          return { chain, ratePerHour, family, via: "timelock", executed: t.executed, timelock: t };
        }
        if (!(await b.hub.hasRole(ZeroHash, me)))
          fail(`neither the timelock ${timelock} nor ${me} is the hub's admin: lanes change only through governance`);
        const h = b.hub.connect(signer);
        await send(
          b.p,
          label,
          () => h.setPeer.staticCall(chain, gateway, ratePerHour, familyCode),
          () => h.setPeer(chain, gateway, ratePerHour, familyCode),
        );
        return { chain, ratePerHour, family, via: "direct", executed: true };
      },
    ),
  );

/** PayoutBindings.setRemote(chain, its verifying contract as configured, hrp), directly or through the timelock. */
async function setBindingHrp(
  hre: HardhatRuntimeEnvironment,
  a: { chain: string; hrp: string; execute: boolean; fastForward: boolean; from?: string },
): Promise<void> {
  const chain = parseChain("chain", a.chain);
  if (!/^[a-z0-9]{1,83}$/.test(a.hrp)) fail(`bad --hrp '${a.hrp}': a lowercase bech32 prefix such as wasm`);
  const b = await loadBridge(hre, false);
  const bindings = b.p.payoutBindings;
  if (!bindings) fail(`no ${Names.payoutBindings} on '${hre.network.name}': redeploy (npx hardhat deploy) to add it`);
  if ((await bindings.remoteHrp(chain)) === a.hrp) return say(`payout bindings from chain ${chain} already use prefix ${a.hrp}`);
  const signer = await resolveSigner(hre, a.from);
  const me = await signer.getAddress();
  const vc = await bindings.remoteBindings(chain);
  const data = bindings.interface.encodeFunctionData("setRemote", [chain, vc, a.hrp]);
  const label = `payout bindings from chain ${chain}: bech32 prefix ${a.hrp}`;
  const target = await bindings.getAddress();
  if (await bindings.hasRole(ZeroHash, me)) {
    const c = bindings.connect(signer);
    await send(
      b.p,
      label,
      () => c.setRemote.staticCall(chain, vc, a.hrp),
      () => c.setRemote(chain, vc, a.hrp),
    );
  } else await timelockCall(hre, b.p, signer, target, data, { label, execute: a.execute, fastForward: a.fastForward });
}

// ---------------------------------------------------------------- hub:lease-reporting

export interface LeaseReportingResult {
  akashChain: number;
  market: string;
  payee: string;
  /** each governance call this run needed (none when everything was already in place) */
  actions: { label: string; via: "direct" | "timelock"; executed: boolean; timelock?: TimelockOutcome }[];
  /** true once the hub holds the role and the setting (false while a timelock operation waits) */
  done: boolean;
}

task(
  "hub:lease-reporting",
  "Let the hub resolve deployment escrows from LeaseReported on the Akash lane: grants the hub the market's LEASE_REPORTER_ROLE and sets the lane, market and payee (through the timelock)",
)
  .addOptionalParam(
    "akashChain",
    "Hexs chain id of the Akash lane whose LeaseReported messages this hub applies (accept it first: gateway:accept --chain <id>)",
    "900",
  )
  .addParam(
    "payee",
    "Who is paid a purchase's deployment escrow when its lease opened (the lease operator; failed leases credit the buyer back)",
  )
  .addOptionalParam("market", "The market whose escrows the reports resolve (default this chain's HexsMarket)")
  .addFlag("execute", "Also execute once the timelock delay has passed (otherwise only schedule)")
  .addFlag(
    "fastForward",
    "On local devnets only (hardhat, localhost, devnetA, devnetB): advance chain time past the timelock delay before executing",
  )
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    cli(
      async (
        a: { akashChain: string; payee: string; market?: string; execute: boolean; fastForward: boolean; from?: string },
        hre,
      ): Promise<LeaseReportingResult> => {
        const akashChain = parseChain("akash-chain", a.akashChain);
        const payee = parseAddress("payee", a.payee);
        const b = await loadBridge(hre, false);
        if (akashChain === b.self) fail(`bad --akash-chain ${akashChain}: that is this chain's own id`);
        const market = a.market ? parseAddress("market", a.market) : await b.p.market.getAddress();
        if ((await hre.ethers.provider.getCode(market)) === "0x") fail(`bad --market ${market}: no contract there`);
        const hub = await b.hub.getAddress();
        const timelock = await b.p.timelock.getAddress();
        const signer = await resolveSigner(hre, a.from);
        const me = await signer.getAddress();
        const lane = await b.hub.lane(akashChain);
        if (lane.transport === ZeroAddress)
          say(
            `  note: chain ${akashChain} has no lane on this hub yet; reports are applied once it does (gateway:accept --chain ${akashChain})`,
          );

        const actions: LeaseReportingResult["actions"] = [];
        // one governed call: through the timelock when it is the admin, else directly by an admin
        const governed = async (
          c: { hasRole(role: string, who: string): Promise<boolean>; getAddress(): Promise<string> },
          what: string,
          label: string,
          data: string,
          direct: () => Promise<void>,
        ): Promise<boolean> => {
          if (await c.hasRole(ZeroHash, timelock)) {
            const t = await timelockCall(hre, b.p, signer, await c.getAddress(), data, {
              label,
              execute: a.execute,
              fastForward: a.fastForward,
            });
            actions.push({ label, via: "timelock", executed: t.executed, timelock: t });
            return t.executed;
          }
          if (!(await c.hasRole(ZeroHash, me)))
            fail(`neither the timelock ${timelock} nor ${me} is the ${what}'s admin: ${label} only through governance`);
          await direct();
          actions.push({ label, via: "direct", executed: true });
          return true;
        };

        const m = (await hre.ethers.getContractAt("HexsMarket", market)) as unknown as ProtocolContracts["market"];
        const role = await m.LEASE_REPORTER_ROLE();
        let done = true;
        if (await m.hasRole(role, hub)) say(`the hub ${hub} already holds the market's LEASE_REPORTER_ROLE`);
        else {
          const label = "grant the hub the market's LEASE_REPORTER_ROLE";
          done =
            (await governed(m, "market", label, m.interface.encodeFunctionData("grantRole", [role, hub]), async () => {
              const mm = m.connect(signer);
              await send(
                b.p,
                label,
                () => mm.grantRole.staticCall(role, hub),
                () => mm.grantRole(role, hub),
              );
            })) && done;
        }
        const [chain0, market0, payee0] = await b.lens.leaseReporting(await b.hub.getAddress());
        if (
          Number(chain0) === akashChain &&
          market0.toLowerCase() === market.toLowerCase() &&
          payee0.toLowerCase() === payee.toLowerCase()
        ) {
          say(`the hub already applies LeaseReported from chain ${akashChain} to the market ${market} (payee ${payee0})`);
        } else {
          const label = `apply LeaseReported from chain ${akashChain} to the market (payee ${payee})`;
          done =
            (await governed(
              b.hub,
              "hub",
              label,
              b.hub.interface.encodeFunctionData("setLeaseReporting", [akashChain, market, payee]),
              async () => {
                const h = b.hub.connect(signer);
                await send(
                  b.p,
                  label,
                  () => h.setLeaseReporting.staticCall(akashChain, market, payee),
                  () => h.setLeaseReporting(akashChain, market, payee),
                );
              },
            )) && done;
        }
        if (done)
          say(
            `LeaseReported from chain ${akashChain} resolves the market's deployment escrows (a lease that opened pays ${payee})`,
          );
        return { akashChain, market, payee: payee, actions, done };
      },
    ),
  );

// ---------------------------------------------------------------- payout:bind

task(
  "payout:bind",
  "Bind the creator's payout account (its earnings only) on a chain: the creator signs the binding (EIP-712) and it is recorded for every chain",
)
  .addParam("chain", "Hexs chain id the payout account is for")
  .addParam("payout", "Payout account: EVM address, or cosmos:0x… / cosmwasm:0x…")
  .addOptionalParam("nonce", "Binding nonce (default: one above the last binding of this creator for that chain)")
  .addOptionalParam("model", "A model of the creator on this chain (default: its latest one)")
  .addOptionalParam("from", "The creator's account (signs the binding and the transaction)", "0")
  .setAction(
    cli(async (a: { chain: string; payout: string; nonce?: string; model?: string; from?: string }, hre): Promise<BindResult> => {
      const chain = parseChain("chain", a.chain);
      const payout = parseAccount("payout", a.payout);
      const nonce = a.nonce === undefined ? undefined : parseUint("nonce", a.nonce, (1n << 64n) - 1n);
      if (nonce === 0n) fail("bad --nonce 0: binding nonces start at 1");
      const b = await loadBridge(hre, false);
      const signer = await resolveSigner(hre, a.from);
      const { bindPayout } = await sdk();
      const modelId = a.model === undefined ? undefined : parseUint("model", a.model, (1n << 64n) - 1n);
      return bindPayout(b.p, signer, { chain, payout, nonce, modelId }, { log: say });
    }),
  );

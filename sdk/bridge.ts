// The one way off-chain code (tasks, relayer, tests) reads a hub's outbound journal, sizes the
// LayerZero executor gas of a batch, and flushes a lane; and the plan `lz:wire` applies.
import type { ContractTransactionResponse } from "ethers";
import { Contract, dataLength, hexlify, Interface, solidityPacked, ZeroAddress, zeroPadValue } from "ethers";
import type { HexsHub, HexsHubLens, HexsLzBridge } from "./typechain";
import { AccountFamily, decodeBody, encodeEnvelope, Kind } from "../codec";
import { HexsError } from "./errors";

export interface JournalEntry {
  entry: bigint;
  kind: number;
  body: string;
}

/** LayerZero message type of a Hexs batch (HexsLzBridge.MSG_BATCH). */
export const MSG_BATCH = 1;

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

// ---------------------------------------------------------------- executor gas (measured)
//
// Derived by test/lz/receive-gas.test.ts, which also enforces them: whole-transaction gasUsed of
// EndpointV2.lzReceive on the real endpoint (SimpleMessageLib path, in-process network) for
// packets of 1 and of 5 messages of one kind; per message = (gas(5) - gas(1)) / 4 for the kind's
// worst scenario, base = the largest gas(1) - per message; configured = measured +25%, rounded
// up to 5,000. The test executes every packet with a gas limit of only option / 1.1 (no message
// may be refused), and fails when a figure here exceeds what it measures by more than 25%.
//
//   scenario (2026-11-27, HexsHub: a new holder's key recorded in its holding)   1 msg     5 msgs   per msg    base
//   ModelRegistered (deploys the model's key collection)                          464,698  1,968,509  375,953   88,745
//   ModelUpdated                                                                  116,251    206,388   22,535   93,716
//   KeyMinted, new holders                                                         94,487    197,568   25,771   68,716
//   KeyMinted, one holder (its further keys recorded apart)                        94,487    220,490   31,501   62,986
//   KeyTransferred, new holders                                                   100,449    230,966   32,630   67,819
//   KeyTransferred, to one holder                                                 100,449    164,286   15,960   84,489
//   KeyMoved to this chain (minted here)                                          154,651    404,015   62,341   92,310
//   (2026-12-04, key rules on arrival: the key collection decodes the move and checks the holder)
//   KeyMoved to this chain (minted here)                                          161,113    434,369   68,314   92,799
//   KeyMoved, a subscription key (expiry, subscription slot)                      229,626    775,266  136,410   93,216
//   KeyPolicySet (a mirrored collection gets the soul-bound and expiry plugins)   261,613    933,199  167,897   93,716
//   KeyBurned                                                                      76,071    107,422    7,838   68,233
//   PurchaseSettled (validated only)                                               79,315    121,635   10,580   68,735
//   LeaseReported (refused on an EVM lane: it travels on the Akash lane)          105,447    250,161   36,179   69,268
//   PayoutAddressBound (binding for this chain)                                   118,056    271,316   38,315   79,741
//   (2026-12-06, cross-chain resale; figures: max(per msg, 1 msg - base 96,858), +25%)
//   ResaleOrder, filled (the key moves to the paying chain: KeyMoved recorded)    211,595    573,747   90,538  121,057
//   ResaleOrder, refused (not the seller's price for the paying chain)            133,130    275,422   35,573   97,557
//   ResaleResult, filled (royalty into the vault, a new seller credited)          199,926    519,464   79,885  120,041
//   ResaleResult, refused (the buyer refunded)                                    136,881    305,801   42,230   94,651
//   The resale rows' base is above the others' because the first resale message of a packet
//   touches HexsResale and its storage cold (~24,000): the resale kinds' figures carry it.
//
//   (2026-12-07) A message's gas grows with its body (bodyReceiveGas: stored string words,
//   attached plugins, bytes): the rows below are whole-transaction gas less that part, which
//   the kinds' figures leave out. A fixed per-kind figure had under-provisioned the web app's
//   studio packet (a publish with three key plugins, a 150-byte data: URI and a 136-byte locator,
//   a payout binding, a price, a first purchase): options 725,000, the packet needs a gas limit of
//   1,010,425 (test/lz/mixed-packet-gas.test.ts), now 1,540,925.
//   ModelRegistered (default locator 59 B and metadata URI 23 B)                  403,795  1,664,714  315,230   88,565
//   ModelRegistered (both strings 1,024 B: 64 words more than 2, less 28,000 each) 47,893   -113,610  -40,375   88,268
//   ModelRegistered (the expiry plugin, less 125,000)                             384,514  1,550,285  291,443   93,071
//   ModelUpdated (rewrites the mirror's strings: only its bytes' part taken out)  118,226    204,506   21,570   96,656
//   KeyMinted, one holder                                                          91,498    215,729   31,058   60,440
//   KeyTransferred, new holders                                                    97,145    221,090   30,987   66,158
//   KeyMoved, a subscription key                                                  227,767    766,703  134,734   93,033
//   KeyBurned                                                                      73,233    102,096    7,216   66,017
//   KeyPolicySet                                                                  260,965    930,679  167,429   93,536
//   PurchaseSettled                                                                73,048     99,020    6,493   66,555
//   LeaseReported (refused)                                                       104,382    245,556   35,294   69,088
//   PayoutAddressBound                                                            131,654    313,998   45,586   86,068
//   ResaleOrder, filled                                                           208,252    557,900   87,412  120,840
//   ResaleResult, filled                                                          196,403    510,669   78,567  117,836
//   Per stored word: (per msg with the longest strings - the default's - bytes) / 62 = 22,264,
//   +25% = 28,000 (a fresh word is 22,100; the mirror may hold shorter strings than an update's, so
//   ModelUpdated is charged fresh words too, though rewriting equal strings costs ~2,200 a word).
//   Per plugin: the expiry plugin's row minus the default's = 96,213, +25% = 125,000.
//   The derived base is 125,000 (the ModelUpdated row); the enforced 120,000 is kept (it is set
//   on chain by `lz:wire`): every packet above and in the mixed-packet test passes at option / 1.1.
//   (2026-12-07) ModelRegistered carries the resale royalty rate (2 more body bytes, charged per
//   byte): the mirrored collection keeps it in the storage word its initializer writes anyway and
//   the registry checks it against the cap, so the kind's figure is kept (not re-measured).
//
// Whole-transaction figures include the 21,000 intrinsic gas, the calldata and the endpoint,
// which the executor's lzReceive gas does not have to cover, so they over-state the need.
// A refused message costs about 36,000 (the LeaseReported row: the isolated call, the stored
// digest for `reapply`, the event), more than the cheapest kinds' figures: a batch of many refused
// ModelUpdated/KeyBurned/PurchaseSettled messages can exceed its executor gas; it then reverts
// whole, stays verified in the endpoint and is retried with more gas (`bridge:retry`).
// Re-run both tests after any change to HexsHub, HexsLzBridge, HexsRegistry, KeyNFT or a plugin.
//
// The base is each bridge's enforced option toward every peer (`lz:wire`); the per-message
// figures (kind + body) are added by each flush, so the executor gas grows with the batch and
// with what it carries. Nesting (each call keeps back 1/64) costs the packet only its deepest
// message's share at a time, which the +25% covers: measured, a ModelRegistered with the longest
// strings last in 64 messages needs a gas limit of 2,700,033 and uses 2,593,653; options 3,346,775.

/** Endpoint + bridge + hub fixed cost of one packet: largest measured base 93,716, +25%. */
export const LZ_RECEIVE_BASE_GAS = 120_000n;

/** Per-message executor gas by kind (largest measured per message, +25%, rounded up to 5,000). */
export const LZ_RECEIVE_GAS_PER_KIND: Readonly<Record<Kind, bigint>> = {
  [Kind.ModelRegistered]: 395_000n,
  [Kind.ModelUpdated]: 30_000n,
  [Kind.KeyMinted]: 40_000n,
  [Kind.KeyTransferred]: 45_000n,
  [Kind.KeyMoved]: 175_000n,
  [Kind.KeyBurned]: 10_000n,
  [Kind.PurchaseSettled]: 10_000n,
  [Kind.LeaseReported]: 50_000n,
  [Kind.PayoutAddressBound]: 65_000n,
  [Kind.KeyPolicySet]: 210_000n,
  // Akash lane only (attested, not LayerZero): validated and emitted, as cheap as a lease report
  [Kind.LeaseHandedOver]: 50_000n,
  // Resale (the worst is a fill: an order moves the key and records its result; a result pays
  // the royalty into the vault and credits the seller). Each carries the first resale message's
  // cold accesses, which the base leaves out, and is set above its derivation (145,000 / 130,000):
  // a packet of one fill needs a gas limit of 254,843 / 232,240, well above the 211,595 / 199,926
  // it uses, as each nested call (hub, HexsResale, the collection's moveTo, the hub's record)
  // keeps back 1/64 and HexsResale refuses to treat a starved move as a refusal.
  [Kind.ResaleOrder]: 165_000n,
  [Kind.ResaleResult]: 140_000n,
};

/**
 * What a message's body adds to its kind's figure, for what grows with it: the mirror stores a
 * model's locator and metadata URI (ModelRegistered, ModelUpdated: each 32 bytes of a string of 32
 * bytes or more is a fresh storage word, 22,100 gas at first), attaches the standard plugins a
 * ModelRegistered names (soul-bound, expiry), and every byte is calldata, copied into the hub's
 * isolated call and hashed. The kinds' figures leave these out (test/lz/receive-gas.test.ts
 * subtracts them from what it measures).
 */
export const LZ_RECEIVE_GAS_PER_STORED_WORD = 28_000n;
/** Attaching one standard plugin to a mirrored collection at its deployment (ModelRegistered). */
export const LZ_RECEIVE_GAS_PER_PLUGIN = 125_000n;
/** Per byte of a message body: calldata (16 per non-zero byte), its copies and hashes. */
export const LZ_RECEIVE_GAS_PER_BODY_BYTE = 25n;

/** Gas figures are configured in steps of 5,000 (rounded up). */
export function roundUpGas(gas: bigint): bigint {
  return ((gas + 4_999n) / 5_000n) * 5_000n;
}

/** Storage words of a string's bytes (Solidity keeps one shorter than 32 bytes in its length slot). */
function stringWords(s: string): bigint {
  const n = utf8.encode(s).length;
  return n < 32 ? 0n : BigInt(Math.ceil(n / 32));
}
const utf8 = new TextEncoder();

/** The part of a message's executor gas that grows with its body (see LZ_RECEIVE_GAS_PER_STORED_WORD). */
export function bodyReceiveGas(kind: number, body: string): bigint {
  let gas = LZ_RECEIVE_GAS_PER_BODY_BYTE * BigInt(dataLength(body));
  if (kind === Kind.ModelRegistered) {
    const m = decodeBody(Kind.ModelRegistered, body);
    gas += LZ_RECEIVE_GAS_PER_STORED_WORD * (stringWords(m.sdlLocator) + stringWords(m.metadataUri));
    gas += LZ_RECEIVE_GAS_PER_PLUGIN * BigInt((m.soulbound ? 1 : 0) + (m.keyDuration !== 0n ? 1 : 0));
  } else if (kind === Kind.ModelUpdated) {
    const m = decodeBody(Kind.ModelUpdated, body);
    gas += LZ_RECEIVE_GAS_PER_STORED_WORD * (stringWords(m.sdlLocator) + stringWords(m.metadataUri));
  }
  return gas;
}

/** Executor gas of one message: its kind's figure plus what its body adds. */
export function messageReceiveGas(kind: number, body: string): bigint {
  const per = LZ_RECEIVE_GAS_PER_KIND[kind as Kind];
  if (per === undefined)
    throw new HexsError(
      "unknown_kind",
      `no executor gas figure for message kind ${kind}: add the kind to LZ_RECEIVE_GAS_PER_KIND (sdk/bridge.ts), measured by test/lz/receive-gas.test.ts`,
    );
  return per + bodyReceiveGas(kind, body);
}

/** Executor gas for a batch: each message's gas, plus the base unless it is enforced. */
export function batchGas(messages: readonly { kind: number; body: string }[], includeBase = true): bigint {
  let gas = includeBase ? LZ_RECEIVE_BASE_GAS : 0n;
  for (const m of messages) gas += messageReceiveGas(m.kind, m.body);
  return gas;
}

/** The enforced option `lz:wire` sets on a bridge for each peer eid. */
export function enforcedReceiveOption(): string {
  return lzReceiveOption(LZ_RECEIVE_BASE_GAS);
}

export interface PendingBatch {
  dstChain: number;
  kinds: number[];
  bodies: string[];
  messages: string[];
  options: string;
  fee: bigint;
}

/**
 * What a flush of `dstChain` would send now (at most `max` entries, ending at the journal head
 * or a checkpoint), with its options and quoted fee; undefined when nothing is pending.
 */
export async function pendingBatch(
  hub: HexsHub,
  bridge: HexsLzBridge,
  dstChain: number,
  max = 64,
): Promise<PendingBatch | undefined> {
  const lane = await hub.lane(dstChain);
  if (lane.transport === "0x0000000000000000000000000000000000000000") return undefined;
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
  const eid = await bridge.eidOf(dstChain);
  const enforced = eid === 0n ? "0x" : await bridge.enforcedOptions(eid, MSG_BATCH);
  const options = lzReceiveOption(batchGas(pending, enforced === "0x"));
  const fee = await bridge.quote(dstChain, messages, options);
  return { dstChain, kinds, bodies, messages, options, fee };
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
  const b = await pendingBatch(hub, bridge, dstChain, max);
  if (!b) return undefined;
  return hub.flush(dstChain, b.messages, b.options, { value: b.fee });
}

// ---------------------------------------------------------------- wiring (lz:wire)

export interface WirePeer {
  /** Hexs chain id of the peer. */
  chainId: number;
  /** Its LayerZero endpoint id. */
  eid: number;
  /** Its HexsLzBridge. */
  bridge: string;
  /** Inbound messages per hour accepted from it (0 = unlimited, else at least a whole flush: 64). */
  ratePerHour?: number;
  /** Send / receive library for this pathway (default: the endpoint's defaults). */
  sendLibrary?: string;
  receiveLibrary?: string;
  /** Its PayoutBindings: the verifying contract of the EIP-712 payout bindings it sends. */
  payoutBindings?: string;
  /**
   * Whether its HexsResale answers cross-chain resale orders (`HexsResale.setResalePeer`; default
   * true: every EVM deployment has one). False withdraws it, so no order here waits on it.
   */
  resale?: boolean;
}

export interface WireAction {
  label: string;
  /** Contract to call (the bridge, the hub or the endpoint). */
  target: string;
  data: string;
  /**
   * Who must call it: the bridge's owner, the hub's admin (also PayoutBindings' admin), the
   * bridge's endpoint delegate, or HexsResale's admin.
   */
  authority: "bridgeOwner" | "hubAdmin" | "delegate" | "resaleAdmin";
}

const BINDINGS_ABI = [
  "function remoteBindings(uint32) view returns (address)",
  "function remoteHrp(uint32) view returns (string)",
  "function setRemote(uint32,address,string)",
];

const RESALE_ABI = ["function isResalePeer(uint32) view returns (bool)", "function setResalePeer(uint32,bool)"];

const ENDPOINT_ABI = [
  "function getSendLibrary(address,uint32) view returns (address)",
  "function getReceiveLibrary(address,uint32) view returns (address,bool)",
  "function setSendLibrary(address,uint32,address)",
  "function setReceiveLibrary(address,uint32,address,uint256)",
];

/**
 * The calls still needed to wire this chain's bridge and hub to `peers` (already-applied
 * settings are left out, so re-running is safe): chain↔eid map, LayerZero peer, enforced
 * options, libraries, the hub's lane, payout bindings, and the resale peer.
 */
export async function planWire(
  hub: HexsHub,
  lens: HexsHubLens,
  bridge: HexsLzBridge,
  peers: readonly WirePeer[],
): Promise<WireAction[]> {
  const bridgeAddress = await bridge.getAddress();
  const hubAddress = await hub.getAddress();
  const self = Number(await hub.chainId());
  const endpointAddress = await bridge.endpoint();
  const endpoint = new Contract(endpointAddress, ENDPOINT_ABI, bridge.runner);
  const epIface = new Interface(ENDPOINT_ABI);
  const actions: WireAction[] = [];
  const option = enforcedReceiveOption();
  // HexsResale (hub.setResale at deployment) takes orders only for chains marked as resale peers.
  const resaleAddress = await lens.resaleOf(hubAddress);
  const resale = resaleAddress === ZeroAddress ? undefined : new Contract(resaleAddress, RESALE_ABI, hub.runner);
  for (const peer of peers) {
    if (peer.chainId === self) continue;
    if (Number(await bridge.eidOf(peer.chainId)) !== peer.eid || Number(await bridge.chainOfEid(peer.eid)) !== peer.chainId) {
      actions.push({
        label: `map chain ${peer.chainId} ↔ eid ${peer.eid}`,
        target: bridgeAddress,
        authority: "bridgeOwner",
        data: bridge.interface.encodeFunctionData("mapChain", [peer.chainId, peer.eid]),
      });
    }
    const peerWord = zeroPadValue(peer.bridge, 32).toLowerCase();
    if ((await bridge.peers(peer.eid)).toLowerCase() !== peerWord) {
      actions.push({
        label: `LayerZero peer eid ${peer.eid} = ${peer.bridge}`,
        target: bridgeAddress,
        authority: "bridgeOwner",
        data: bridge.interface.encodeFunctionData("setPeer", [peer.eid, peerWord]),
      });
    }
    if ((await bridge.enforcedOptions(peer.eid, MSG_BATCH)).toLowerCase() !== option.toLowerCase()) {
      actions.push({
        label: `enforced lzReceive gas ${LZ_RECEIVE_BASE_GAS} toward eid ${peer.eid}`,
        target: bridgeAddress,
        authority: "bridgeOwner",
        data: bridge.interface.encodeFunctionData("setEnforcedOptions", [
          [{ eid: peer.eid, msgType: MSG_BATCH, options: option }],
        ]),
      });
    }
    if (
      peer.sendLibrary &&
      ((await endpoint.getFunction("getSendLibrary")(bridgeAddress, peer.eid)) as string).toLowerCase() !==
        peer.sendLibrary.toLowerCase()
    ) {
      actions.push({
        label: `send library toward eid ${peer.eid} = ${peer.sendLibrary}`,
        target: endpointAddress,
        authority: "delegate",
        data: epIface.encodeFunctionData("setSendLibrary", [bridgeAddress, peer.eid, peer.sendLibrary]),
      });
    }
    if (peer.receiveLibrary) {
      const [lib, isDefault] = (await endpoint.getFunction("getReceiveLibrary")(bridgeAddress, peer.eid)) as [string, boolean];
      if (isDefault || lib.toLowerCase() !== peer.receiveLibrary.toLowerCase()) {
        actions.push({
          label: `receive library from eid ${peer.eid} = ${peer.receiveLibrary}`,
          target: endpointAddress,
          authority: "delegate",
          data: epIface.encodeFunctionData("setReceiveLibrary", [bridgeAddress, peer.eid, peer.receiveLibrary, 0]),
        });
      }
    }
    const lane = await hub.lane(peer.chainId);
    const rate = peer.ratePerHour ?? 0;
    // LayerZero peers are EVM chains: keys move there only to EVM accounts.
    const family = (await lens.laneFamily(hubAddress, peer.chainId)).family;
    if (
      lane.transport.toLowerCase() !== bridgeAddress.toLowerCase() ||
      Number(lane.ratePerHour) !== rate ||
      Number(family) !== AccountFamily.Evm
    ) {
      actions.push({
        label: `hub lane ${peer.chainId} via the bridge (rate ${rate}/h, EVM accounts)`,
        target: hubAddress,
        authority: "hubAdmin",
        data: hub.interface.encodeFunctionData("setPeer", [peer.chainId, bridgeAddress, rate, AccountFamily.Evm]),
      });
    }
    // Payout bindings from the peer are checked against its PayoutBindings (their EIP-712 domain).
    const bindingsAddress = await hub.payoutBindings();
    if (peer.payoutBindings && bindingsAddress !== ZeroAddress) {
      const bindings = new Contract(bindingsAddress, BINDINGS_ABI, hub.runner);
      const current = (await bindings.getFunction("remoteBindings")(peer.chainId)) as string;
      if (current.toLowerCase() !== peer.payoutBindings.toLowerCase()) {
        actions.push({
          label: `payout bindings from chain ${peer.chainId} signed for ${peer.payoutBindings}`,
          target: bindingsAddress,
          authority: "hubAdmin",
          data: bindings.interface.encodeFunctionData("setRemote", [peer.chainId, peer.payoutBindings, ""]),
        });
      }
    }
    const wantResale = peer.resale ?? true;
    if (resale && ((await resale.getFunction("isResalePeer")(peer.chainId)) as boolean) !== wantResale) {
      actions.push({
        label: `resale orders ${wantResale ? "to and from" : "no longer to or from"} chain ${peer.chainId}`,
        target: resaleAddress,
        authority: "resaleAdmin",
        data: resale.interface.encodeFunctionData("setResalePeer", [peer.chainId, wantResale]),
      });
    }
  }
  return actions;
}

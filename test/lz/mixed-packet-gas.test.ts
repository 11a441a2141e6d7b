// Packets that mix message kinds, executed on the REAL EndpointV2 + SimpleMessageLib (in-process
// network) with no more gas than their executor options (sdk/bridge.ts batchGas), as LayerZero's
// executor gives them: every message must be delivered, none refused, none starved.
//  - the studio's packet: a publish with key plugins and a long metadata data: URI and locator, a
//    payout binding for the mirror's chain, a price and a first purchase, in one packet;
//  - a ModelRegistered with the longest strings and both plugins last in a 64-message packet of
//    cheap messages (the hub's isolated calls leave the last message only what the others left);
//  - the costliest kinds together (model, policy, update with the longest strings, subscription key
//    moved here, payout binding, transfer, a refused lease report).
// Each packet is executed with a whole-transaction gas limit of its option, then (from the same
// state) of option / 1.1 as test/lz/receive-gas.test.ts does: both stricter than LayerZero's
// executor, whose option gas does not pay the intrinsic gas, the calldata or the endpoint.
// The least gas limit that delivers the packet (the node's estimate) is printed beside the option.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import { takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { hexlify, Wallet, zeroPadValue, type Signer, type TransactionReceipt } from "ethers";
import { flushLane, pendingBatch } from "../../sdk/bridge";
import { lzReceiveGasOf, packetKey } from "../../devnet/lz";
import { AccountFamily, encodeBody, Kind, KIND_NAMES } from "../../codec";
import { toSolAccount } from "../../sdk";
import { PAYOUT_BINDING_TYPES, payoutDomain, payoutTypedValue, type PayoutBinding } from "../../sdk/payout-binding";
import { buyNative, loadProtocol, publish, setNativePrice, type Protocol } from "../../devnet/hardhat/protocol";
import { CHAIN_A, CHAIN_B, deployInProcessLz, type InProcessLz } from "../../devnet/hardhat/lz";
import type { KeyNFT } from "../../sdk/typechain";

const ONE = ethers.parseEther("1");
const DAY = 86_400n;
const abiCoder = ethers.AbiCoder.defaultAbiCoder();
const MAX_STRING = 1024; // HexsBodies.MAX_STRING_LENGTH

/** The studio's metadata: a data: URI with the name and description (app/src/PublishForm.tsx). */
const studioMetadata = (name: string) =>
  `data:application/json,${encodeURIComponent(JSON.stringify({ name, description: `${name}, published from the creator studio.` }))}`;
/** The studio's locator: the SDL's CID with its key commitment (sdk/keys). */
const studioLocator = (seed: string) =>
  `ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi#kc=${ethers.id(seed)}`;
const longest = (c: string) => c.repeat(MAX_STRING);

describe("LayerZero executor gas of mixed packets (real EndpointV2, in-process): the options cover every message", function () {
  this.timeout(600_000);
  let lz: InProcessLz;
  let pa: Protocol, pb: Protocol;
  let signers: Signer[];
  let creator: Signer, payer: Signer, admin: Signer;
  let serial = 0;
  const rows: string[] = [];

  const setup = deployments.createFixture(async () => deployInProcessLz(hre, { prefix: "mp." }));
  const fresh = () => Wallet.createRandom().address;
  const evmWord = (a: string) => ({ family: AccountFamily.Evm, address: a.toLowerCase() });

  const plugins = async (p: Protocol, o: { soulbound?: boolean; cap?: number; duration?: bigint }) => [
    ...(o.soulbound ? [{ plugin: await p.plugins.soulbound.getAddress(), config: "0x" }] : []),
    ...(o.cap ? [{ plugin: await p.plugins.supplyCap.getAddress(), config: abiCoder.encode(["uint64"], [o.cap]) }] : []),
    ...(o.duration ? [{ plugin: await p.plugins.expiry.getAddress(), config: abiCoder.encode(["uint64"], [o.duration]) }] : []),
  ];

  /** Publish on B with the given locator, metadata and plugins; returns the model id. */
  async function publishOnB(
    sdlLocator: string,
    metadataUri: string,
    o: { soulbound?: boolean; cap?: number; duration?: bigint } = {},
  ): Promise<bigint> {
    const plugged = await plugins(pb, o);
    return (await publish(pb, creator, { content: `mp-${serial++}`, plugins: plugged, sdlLocator, metadataUri })).modelId;
  }

  /** The test recorder on B journals a body no EVM contract of B emits here. */
  const record = async (kind: Kind, body: object) =>
    void (await (await lz.b.hub.connect(admin).record(kind, hexlify(encodeBody(kind, body as never)))).wait());

  const purchaseSettled = (modelId: bigint) =>
    record(Kind.PurchaseSettled, {
      purchaseId: (BigInt(CHAIN_B) << 32n) | BigInt(700_000 + serial++),
      modelId,
      keyId: (BigInt(CHAIN_B) << 32n) | 997n,
      buyer: evmWord(fresh()),
      currency: "0x",
      amount: ONE,
      deploymentRequested: false,
      deploymentParams: "0x",
    });

  /** Deliver everything pending B → A at the node's estimate (setting up, not measured). */
  async function drainBToA() {
    for (let tx = await flushLane(lz.b.hub, lz.b.bridge, CHAIN_A); tx; tx = await flushLane(lz.b.hub, lz.b.bridge, CHAIN_A)) {
      await tx.wait();
      for (const p of await lz.bToA.poll()) expect((await lz.bToA.deliver(p)).ok).to.equal(true);
    }
  }

  /** Pad B → A with validated-only messages so the lane's next flush starts `free` short of a checkpoint. */
  async function padLaneTo(free: number, modelId: bigint) {
    const interval = await lz.b.hub.CHECKPOINT_INTERVAL();
    const sent = (await lz.b.hub.lane(CHAIN_A)).sent;
    const room = Number(interval - (sent % interval));
    if (room !== free) {
      for (let k = 0; k < (room - free + Number(interval)) % Number(interval); k++) await purchaseSettled(modelId);
      await drainBToA();
    }
  }

  /**
   * Flush B → A into one packet of `kinds`, then execute it from the same state with a gas limit
   * of its option and of option / 1.1: each delivers every message, none refused (`refused` aside).
   */
  async function deliverUnderOptions(name: string, kinds: Kind[], refused = 0) {
    await (await flushLane(lz.b.hub, lz.b.bridge, CHAIN_A))!.wait();
    const packets = await lz.bToA.poll();
    expect(packets).to.have.length(1);
    const p = lz.bToA.pending.get(packetKey(packets[0]))!;
    const option = lzReceiveGasOf(p.options);
    await lz.bToA.verify(p);
    const endpoint = await ethers.getContractAt(
      ["function lzReceive((uint32 srcEid, bytes32 sender, uint64 nonce), address, bytes32, bytes, bytes) payable"],
      lz.a.lz.endpoint,
    );
    const needed = await endpoint.lzReceive.estimateGas(
      { srcEid: p.srcEid, sender: p.sender, nonce: p.nonce },
      p.receiverAddress,
      p.guid,
      p.message,
      "0x",
    );
    const before = await takeSnapshot();
    let used = 0n;
    for (const [label, gasLimit] of [
      ["option", option],
      ["option / 1.1", (option * 10n) / 11n],
    ] as const) {
      const r = await lz.bToA.execute(p, { force: true, gasLimit });
      expect(r.ok, `${name}: lzReceive with gas ${label} = ${gasLimit} (the packet needs ${needed}): ${r.reason}`).to.equal(true);
      const logs = (r.receipt as TransactionReceipt).logs.map((l) => lz.a.hub.interface.parseLog(l)).filter((x) => x !== null);
      const rejected = logs.filter((x) => x!.name === "MessageRejected");
      expect(
        rejected.map((x) => String(x!.args.reason)),
        `${name}: refused under ${label}`,
      ).to.have.length(refused);
      const applied = logs.find((x) => x!.name === "BatchApplied")!;
      expect(Number(BigInt(applied.args.lastNonce) - BigInt(applied.args.firstNonce) + 1n)).to.equal(kinds.length);
      used = r.gasUsed!;
      if (label === "option") await before.restore(); // then the stricter limit, from the same state
    }
    const count = new Map<string, number>();
    for (const k of kinds) count.set(KIND_NAMES[k], (count.get(KIND_NAMES[k]) ?? 0) + 1);
    const carried = [...count].map(([k, c]) => (c > 1 ? `${c}×${k}` : k)).join(", ");
    rows.push(
      `    ${name.padEnd(34)} option ${String(option).padStart(9)}  needs ${String(needed).padStart(9)}  uses ${String(used).padStart(9)}  (${carried})`,
    );
    return { option, needed, used };
  }

  /** The kinds of the entries pending on B → A (what the next flush carries, up to 64). */
  async function pendingKinds(): Promise<Kind[]> {
    return (await pendingBatch(lz.b.hub, lz.b.bridge, CHAIN_A))!.kinds as Kind[];
  }

  before(async () => {
    lz = await setup();
    pa = await loadProtocol("mp.A.");
    pb = await loadProtocol("mp.B.");
    signers = await ethers.getSigners();
    [admin, , creator, payer] = signers;
    await (await lz.b.hub.grantRole(await lz.b.hub.REGISTRY_ROLE(), await admin.getAddress())).wait();
    await (await lz.b.hub.authorizeRecorder(await admin.getAddress())).wait();
    // First use of the lane B → A (its nonce slot), apart from the packets measured.
    await purchaseSettled(1n);
    await drainBToA();
  });

  after(() => console.log(`\n    mixed packets B → A (whole-transaction gas)\n${rows.join("\n")}`));

  it("the studio's packet (a publish with plugins, a payout binding for this chain, a price, a first purchase) is delivered whole under its options", async () => {
    const model = await publishOnB(studioLocator("studio"), studioMetadata("Studio Medical 8B"), {
      soulbound: true,
      cap: 100,
      duration: 30n * DAY,
    });
    const CREATOR = await creator.getAddress();
    const PAYOUT = fresh();
    const binding: PayoutBinding = { creator: evmWord(CREATOR), chain: CHAIN_A, payout: evmWord(PAYOUT), nonce: 1n };
    const bindingsB = await ethers.getContractAt("PayoutBindings", lz.b.addresses.payoutBindings);
    const domain = payoutDomain((await ethers.provider.getNetwork()).chainId, lz.b.addresses.payoutBindings);
    const sig = await creator.signTypedData(domain, PAYOUT_BINDING_TYPES, payoutTypedValue(binding));
    await (await bindingsB.bindPayout(CREATOR, model, CHAIN_A, toSolAccount(binding.payout), 1n, sig)).wait();
    await setNativePrice(pb, creator, model, ONE);
    const buyer = fresh();
    await buyNative(pb, payer, model, ONE, { recipient: buyer });
    const kinds = await pendingKinds();
    expect(kinds).to.include.members([Kind.ModelRegistered, Kind.PayoutAddressBound, Kind.ModelUpdated, Kind.KeyMinted]);

    await deliverUnderOptions("studio: publish, bind, price, buy", kinds);
    // All of it applied on A: the mirrored model with its plugins, the payout, the buyer's key.
    const keysA = (await ethers.getContractAt("KeyNFT", await pa.registry.keysOf(model))) as unknown as KeyNFT;
    expect((await keysA.keyPolicy()).soulbound).to.equal(true);
    expect((await keysA.keyPolicy()).keyDuration).to.equal(30n * DAY);
    expect(await pa.registry.payoutOf(CREATOR)).to.equal(PAYOUT);
    expect(await pa.registryLens.hasAccess(pa.registry, model, buyer)).to.equal(true);
    expect((await pa.registry.model(model)).metadataUri).to.equal(studioMetadata("Studio Medical 8B"));
  });

  it("a ModelRegistered with the longest strings and both plugins, last in a 64-message packet of cheap messages, is delivered under the options", async () => {
    await padLaneTo(64, 1n);
    for (let i = 0; i < 63; i++) await purchaseSettled(1n);
    const model = await publishOnB(longest("l"), longest("m"), { soulbound: true, duration: 7n * DAY });
    const kinds = await pendingKinds();
    expect(kinds).to.have.length(64);
    expect(kinds[63]).to.equal(Kind.ModelRegistered);

    await deliverUnderOptions("63 PurchaseSettled, then a model", kinds);
    expect((await pa.registry.model(model)).sdlLocator).to.equal(longest("l"));
    expect((await pa.registry.model(model)).metadataUri).to.equal(longest("m"));
    await drainBToA(); // its KeyPolicySet, in the next packet
  });

  it("the costliest kinds together (model, policy, update, subscription key moved here, binding, transfer, refused lease report) are delivered under the options", async () => {
    // Set up on B (delivered to A before the packet): a subscription model mirrored on A and a
    // model to update, each priced on B, and keys held on B.
    const subscription = await publishOnB(studioLocator("sub"), studioMetadata("sub"), { duration: DAY });
    const updated = await publishOnB(studioLocator("upd"), studioMetadata("upd"));
    const policed = await publishOnB(studioLocator("pol"), studioMetadata("pol"));
    await setNativePrice(pb, creator, subscription, ONE);
    await setNativePrice(pb, creator, updated, ONE);
    const mover = signers[6];
    const moving = await buyNative(pb, mover, subscription, ONE);
    const holder = signers[7];
    const transferred = await buyNative(pb, holder, updated, ONE);
    await drainBToA();
    await padLaneTo(64, 1n);

    const model = await publishOnB(longest("a"), longest("b"), { soulbound: true, cap: 5, duration: DAY });
    await (await pb.registry.connect(creator).update(updated, ethers.id("upd-2"), longest("c"), longest("d"))).wait();
    const subKeysB = await ethers.getContractAt("KeyNFT", await pb.registry.keysOf(subscription));
    const arrived = fresh();
    await (
      await subKeysB.connect(mover).moveTo(moving, CHAIN_A, { family: AccountFamily.Evm, addr: zeroPadValue(arrived, 32) })
    ).wait();
    const CREATOR = await creator.getAddress();
    const PAYOUT = fresh();
    const binding: PayoutBinding = { creator: evmWord(CREATOR), chain: CHAIN_A, payout: evmWord(PAYOUT), nonce: 2n };
    const bindingsB = await ethers.getContractAt("PayoutBindings", lz.b.addresses.payoutBindings);
    const domain = payoutDomain((await ethers.provider.getNetwork()).chainId, lz.b.addresses.payoutBindings);
    const sig = await creator.signTypedData(domain, PAYOUT_BINDING_TYPES, payoutTypedValue(binding));
    await (await bindingsB.bindPayout(CREATOR, model, CHAIN_A, toSolAccount(binding.payout), 2n, sig)).wait();
    const keysB = await ethers.getContractAt("KeyNFT", await pb.registry.keysOf(updated));
    const to = fresh();
    await (await keysB.connect(holder).transferFrom(await holder.getAddress(), to, transferred)).wait();
    await record(Kind.LeaseReported, {
      purchaseId: (BigInt(CHAIN_A) << 32n) | BigInt(serial++),
      ok: false,
      dseq: 0n,
      gseq: 0,
      oseq: 0,
      provider: "",
      reason: "x".repeat(MAX_STRING),
    });
    // A home chain's key policy for a mirrored collection that had none (both standard plugins
    // attached there): recorded by the test recorder, as no EVM publish journals one without a
    // transfer hook.
    await record(Kind.KeyPolicySet, { modelId: policed, soulbound: true, keyDuration: DAY, transferChecked: true });
    const kinds = await pendingKinds();
    for (const k of [
      Kind.ModelRegistered,
      Kind.KeyPolicySet,
      Kind.ModelUpdated,
      Kind.KeyMoved,
      Kind.PayoutAddressBound,
      Kind.KeyTransferred,
    ])
      expect(kinds).to.include(k);

    await deliverUnderOptions("the costliest kinds together", kinds, 1);
    expect((await pa.registry.model(model)).metadataUri).to.equal(longest("b"));
    expect((await pa.registry.model(updated)).metadataUri).to.equal(longest("d"));
    expect(await pa.registryLens.hasAccess(pa.registry, subscription, arrived)).to.equal(true);
    expect(await pa.registryLens.hasAccess(pa.registry, updated, to)).to.equal(true);
    expect(await pa.registry.payoutOf(CREATOR)).to.equal(PAYOUT);
    const policedA = (await ethers.getContractAt("KeyNFT", await pa.registry.keysOf(policed))) as unknown as KeyNFT;
    expect((await policedA.keyPolicy()).keyDuration).to.equal(DAY);
  });
});

// The executor gas of `lzReceive` (sdk/bridge.ts: LZ_RECEIVE_BASE_GAS, enforced by every
// bridge toward its peers, plus LZ_RECEIVE_GAS_PER_KIND per message, added by each flush) checked
// against measurement on the REAL EndpointV2 + SimpleMessageLib (in-process network):
//  - every packet below (batches of 1 and 5 messages of each kind, worst cases included: new
//    holders, a holder's further keys recorded apart, a key moved here and minted) is executed
//    with a transaction gas limit of only (its lzReceive option gas) / MARGIN, which must be enough
//    with no message refused (a refusal could also be an out-of-gas inside the isolated call);
//    the whole transaction also pays the 21,000 intrinsic gas, the calldata and the endpoint, which
//    the executor's lzReceive gas does not have to cover, so this is stricter than LayerZero's
//    executor;
//  - the configured figures may not exceed what the measurement gives (+25%, rounded up to 5,000)
//    by more than SLACK, so they are re-derived when the contracts get cheaper. The table printed
//    here is the derivation (`npx hardhat test test/lz/receive-gas.test.ts`).
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import { hexlify, Wallet, zeroPadValue, type Signer, type TransactionReceipt } from "ethers";
import {
  batchGas,
  bodyReceiveGas,
  flushLane,
  LZ_RECEIVE_BASE_GAS,
  LZ_RECEIVE_GAS_PER_BODY_BYTE,
  LZ_RECEIVE_GAS_PER_KIND,
  LZ_RECEIVE_GAS_PER_PLUGIN,
  LZ_RECEIVE_GAS_PER_STORED_WORD,
  lzReceiveOption,
  roundUpGas,
} from "../../sdk/bridge";
import { lzReceiveGasOf, packetKey } from "../../devnet/lz";
import { AccountFamily, decodeHeader, encodeBody, Kind, KIND_NAMES } from "../../codec";
import { encodeEip712Blob, payoutEip712Digest } from "../../sdk/payout-binding";
import { buyNative, loadProtocol, NATIVE, publish, setNativePrice, type Protocol } from "../../devnet/hardhat/protocol";
import { CHAIN_A, CHAIN_B, deployInProcessLz, type InProcessLz } from "../../devnet/hardhat/lz";

// A resale order's deadline: an hour after the latest block.
const deadline = async () => (await ethers.provider.getBlock("latest"))!.timestamp + 3600;

const MARGIN = 1.1;
const MAX_STRING = 1024; // HexsBodies.MAX_STRING_LENGTH
const LONGEST_STRINGS = "ModelRegistered (longest locator and metadata)";
const WITH_PLUGINS = "ModelRegistered (expiry plugin)";
const SLACK = 1.25;
const ONE = ethers.parseEther("1");
const abiCoder = ethers.AbiCoder.defaultAbiCoder();

interface Scenario {
  name: string;
  kind: Kind;
  one: bigint; // whole-tx gas of a packet of 1 message, less what its body adds (bodyReceiveGas)
  five: bigint; // of 5 messages
  rawOne: bigint; // whole-tx gas, body part included
  rawFive: bigint;
}

describe("LayerZero executor gas (real EndpointV2, in-process): measured, with margin", function () {
  this.timeout(600_000);
  let lz: InProcessLz;
  let pa: Protocol, pb: Protocol;
  let creator: Signer, payer: Signer;
  let signers: Signer[];
  let model: bigint;
  const measured: Scenario[] = [];

  const setup = deployments.createFixture(async () => deployInProcessLz(hre, { prefix: "rg." }));
  const fresh = () => Wallet.createRandom().address;
  const evmWord = (a: string) => ({ family: AccountFamily.Evm, address: a.toLowerCase() });
  const sol = (a: string) => ({ family: AccountFamily.Evm, addr: zeroPadValue(a, 32) });

  /**
   * Flush B → A, execute the packet with gas limit option/MARGIN; returns the receipt's gas and
   * what the packet's bodies add to their kinds' figures (sdk/bridge.ts bodyReceiveGas).
   */
  async function deliverTight(expectMessages: number, refused = 0): Promise<{ gas: bigint; body: bigint }> {
    await (await flushLane(lz.b.hub, lz.b.bridge, CHAIN_A))!.wait();
    const packets = await lz.bToA.poll();
    expect(packets).to.have.length(1);
    const p = lz.bToA.pending.get(packetKey(packets[0]))!;
    const option = lzReceiveGasOf(p.options);
    await lz.bToA.verify(p);
    const r = await lz.bToA.execute(p, { force: true, gasLimit: (option * 10n) / BigInt(MARGIN * 10) });
    expect(r.ok, `lzReceive with gas ${option} / ${MARGIN}: ${r.reason}`).to.equal(true);
    const receipt = r.receipt as TransactionReceipt;
    const hubLogs = receipt.logs.map((l) => lz.a.hub.interface.parseLog(l)).filter((x) => x !== null);
    expect(hubLogs.filter((x) => x!.name === "MessageRejected")).to.have.length(refused);
    const applied = hubLogs.find((x) => x!.name === "BatchApplied")!;
    expect(BigInt(applied.args.lastNonce) - BigInt(applied.args.firstNonce) + 1n).to.equal(BigInt(expectMessages));
    const [messages] = abiCoder.decode(["bytes[]"], p.message) as unknown as [string[]];
    // An update measured here rewrites the strings the mirror has (no fresh word): only its bytes'
    // part is taken out, its kind's figure keeps the rewrite.
    let body = 0n;
    for (const m of messages) {
      const h = decodeHeader(m);
      body +=
        h.kind === Kind.ModelUpdated
          ? LZ_RECEIVE_GAS_PER_BODY_BYTE * BigInt(h.body.length)
          : bodyReceiveGas(h.kind, hexlify(h.body));
    }
    return { gas: r.gasUsed!, body };
  }

  /** Deliver everything pending B → A at full gas (one packet per flush, up to a checkpoint). */
  async function drainBToA() {
    for (let tx = await flushLane(lz.b.hub, lz.b.bridge, CHAIN_A); tx; tx = await flushLane(lz.b.hub, lz.b.bridge, CHAIN_A)) {
      await tx.wait();
      for (const p of await lz.bToA.poll()) expect((await lz.bToA.deliver(p)).ok).to.equal(true);
    }
  }

  let padSerial = 0;
  async function padEntry() {
    const body = encodeBody(Kind.PurchaseSettled, {
      purchaseId: (BigInt(CHAIN_B) << 32n) | BigInt(500_000 + padSerial++),
      modelId: model,
      keyId: (BigInt(CHAIN_B) << 32n) | 998n,
      buyer: evmWord(fresh()),
      currency: "0x",
      amount: ONE,
      deploymentRequested: false,
      deploymentParams: "0x",
    });
    await (await lz.b.hub.record(Kind.PurchaseSettled, hexlify(body))).wait();
  }

  async function measure(
    name: string,
    kind: Kind,
    produce: (i: number, n: number) => Promise<void>,
    prepare?: (n: number) => Promise<void>,
    refused = false,
  ) {
    const gas: { gas: bigint; body: bigint }[] = [];
    for (const n of [1, 5]) {
      if (prepare) {
        await prepare(n);
        await drainBToA();
      }
      // A flush ends at a journal checkpoint: when the n messages would cross one, pad the lane up
      // to it first (validated-only PurchaseSettled entries), so the measured batch is whole.
      const interval = await lz.b.hub.CHECKPOINT_INTERVAL();
      const sent = (await lz.b.hub.lane(CHAIN_A)).sent;
      if ((sent % interval) + BigInt(n) > interval) {
        for (let k = sent % interval; k < interval; k++) await padEntry();
        await drainBToA();
      }
      for (let i = 0; i < n; i++) await produce(i, n);
      gas.push(await deliverTight(n, refused ? n : 0));
    }
    measured.push({
      name,
      kind,
      one: gas[0].gas - gas[0].body,
      five: gas[1].gas - gas[1].body,
      rawOne: gas[0].gas,
      rawFive: gas[1].gas,
    });
  }

  before(async () => {
    lz = await setup();
    pa = await loadProtocol("rg.A.");
    pb = await loadProtocol("rg.B.");
    signers = await ethers.getSigners();
    [, , creator, payer] = signers;
    model = (await publish(pa, creator)).modelId;
    await (await flushLane(lz.a.hub, lz.a.bridge, CHAIN_B))!.wait();
    for (const p of await lz.aToB.poll()) expect((await lz.aToB.deliver(p)).ok).to.equal(true);
    await setNativePrice(pb, creator, model, ONE);
    // First use of the lane B → A (its nonce slot), measured apart from the figures.
    await buyNative(pb, payer, model, ONE, { recipient: fresh() });
    await (await flushLane(lz.b.hub, lz.b.bridge, CHAIN_A))!.wait();
    for (const p of await lz.bToA.poll()) expect((await lz.bToA.deliver(p)).ok).to.equal(true);
    // A test recorder on B (admin): bodies no EVM contract of B emits here, and lane padding.
    const admin = await signers[0].getAddress();
    await (await lz.b.hub.grantRole(await lz.b.hub.REGISTRY_ROLE(), admin)).wait();
    await (await lz.b.hub.authorizeRecorder(admin)).wait();
  });

  it("covers every kind with the configured figures and the margin", async () => {
    const keysB = await ethers.getContractAt("KeyNFT", await pb.registry.keysOf(model));
    const buyFor = (to: string) => buyNative(pb, payer, model, ONE, { recipient: to });
    let serial = 0;
    // A model with subscription keys, home on A, priced on B (before the figures: the journal
    // entries here must not shift a measured batch across a flush boundary).
    const subscription = await publish(pa, creator, {
      content: "rg-subscription",
      plugins: [{ plugin: await pa.plugins.expiry.getAddress(), config: abiCoder.encode(["uint64"], [86_400]) }],
    });
    await (await flushLane(lz.a.hub, lz.a.bridge, CHAIN_B))!.wait();
    for (const p of await lz.aToB.poll()) expect((await lz.aToB.deliver(p)).ok).to.equal(true);
    await setNativePrice(pb, creator, subscription.modelId, ONE);
    await (await flushLane(lz.b.hub, lz.b.bridge, CHAIN_A))!.wait();
    for (const p of await lz.bToA.poll()) expect((await lz.bToA.deliver(p)).ok).to.equal(true);
    const subKeysB = await ethers.getContractAt("KeyNFT", await pb.registry.keysOf(subscription.modelId));

    await measure(
      "ModelRegistered",
      Kind.ModelRegistered,
      async () => void (await publish(pb, creator, { content: `rg-${serial++}` })),
    );
    // What grows with the body: the longest locator and metadata URI (the mirror stores them), and
    // the standard plugins the mirrored collection attaches (no transfer hook: no KeyPolicySet).
    await measure(
      LONGEST_STRINGS,
      Kind.ModelRegistered,
      async () =>
        void (await publish(pb, creator, {
          content: `rg-${serial++}`,
          sdlLocator: "l".repeat(MAX_STRING),
          metadataUri: "m".repeat(MAX_STRING),
        })),
    );
    const expiryPlugin = await pb.plugins.expiry.getAddress();
    await measure(
      WITH_PLUGINS,
      Kind.ModelRegistered,
      async () =>
        void (await publish(pb, creator, {
          content: `rg-${serial++}`,
          plugins: [{ plugin: expiryPlugin, config: abiCoder.encode(["uint64"], [86_400]) }],
        })),
    );
    const priced = await publish(pb, creator, { content: "rg-priced" });
    await (await flushLane(lz.b.hub, lz.b.bridge, CHAIN_A))!.wait();
    for (const p of await lz.bToA.poll()) expect((await lz.bToA.deliver(p)).ok).to.equal(true);
    await measure(
      "ModelUpdated",
      Kind.ModelUpdated,
      async () => void (await setNativePrice(pb, creator, priced.modelId, ONE + BigInt(serial++))),
    );
    await measure("KeyMinted (new holders)", Kind.KeyMinted, async () => void (await buyFor(fresh())));
    let holder = fresh();
    await measure("KeyMinted (one holder: further keys recorded apart)", Kind.KeyMinted, async (i) => {
      if (i === 0) holder = fresh();
      await buyFor(holder);
    });

    // Transfers: held keys (mirrored on A already), each to a new holder, then all to one holder.
    let held: bigint[] = [];
    const holdKeys = async (n: number) => {
      held = [];
      for (let i = 0; i < n; i++) held.push(await buyNative(pb, signers[5], model, ONE));
    };
    await measure(
      "KeyTransferred (new holders)",
      Kind.KeyTransferred,
      async () => {
        await (await keysB.connect(signers[5]).transferFrom(await signers[5].getAddress(), fresh(), held.shift()!)).wait();
      },
      holdKeys,
    );
    await measure(
      "KeyTransferred (to one holder: recorded apart)",
      Kind.KeyTransferred,
      async (i) => {
        if (i === 0) holder = fresh();
        await (await keysB.connect(signers[5]).transferFrom(await signers[5].getAddress(), holder, held.shift()!)).wait();
      },
      holdKeys,
    );
    await measure(
      "KeyMoved (to A: minted there)",
      Kind.KeyMoved,
      async () => {
        await (await keysB.connect(signers[5]).moveTo(held.shift()!, CHAIN_A, sol(fresh()))).wait();
      },
      holdKeys,
    );

    // A subscription key moving home to A for another holder: the worst KeyMoved (its expiry is
    // kept, its subscription slot taken, the home chain's transfer rules checked).
    let movers: Signer[] = []; // one live subscription per account: each mover holds one key
    await measure(
      "KeyMoved (a subscription key, to A)",
      Kind.KeyMoved,
      async (i) => {
        await (await subKeysB.connect(movers[i]).moveTo(held[i], CHAIN_A, sol(fresh()))).wait();
      },
      async (n) => {
        movers = signers.slice(6, 6 + n);
        held = [];
        for (const m of movers) held.push(await buyNative(pb, m, subscription.modelId, ONE));
      },
    );

    // Kinds no EVM contract of B emits here (KeyBurned: keys have no burn on EVM; PurchaseSettled
    // and LeaseReported: only validated by the hub; PayoutAddressBound: a binding for chain A,
    // signed for B's PayoutBindings, which A checks on receipt)
    // are recorded by a test recorder on B, with bodies A applies.
    const [admin] = signers; // the test recorder (authorized in `before`)
    const record = async (kind: Kind, body: object) =>
      void (await (await lz.b.hub.record(kind, hexlify(encodeBody(kind, body as never)))).wait());
    let owners: string[] = [];
    await measure(
      "KeyBurned",
      Kind.KeyBurned,
      async () => {
        const keyId = held.shift()!;
        await record(Kind.KeyBurned, { keyId, modelId: model, owner: evmWord(owners.shift()!) });
      },
      async (n) => {
        held = [];
        owners = [];
        for (let i = 0; i < n; i++) {
          const o = fresh();
          owners.push(o);
          held.push(await buyFor(o));
        }
      },
    );
    // A home chain's key policy, applied to a mirrored collection that had none (the standard
    // soul-bound and expiry plugins attached, transfers fixed to the home chain).
    let policyModels: bigint[] = [];
    await measure(
      "KeyPolicySet",
      Kind.KeyPolicySet,
      async (i) =>
        record(Kind.KeyPolicySet, {
          modelId: policyModels[i],
          soulbound: true,
          keyDuration: 86_400n,
          transferChecked: true,
        }),
      async (n) => {
        policyModels = [];
        for (let i = 0; i < n; i++) policyModels.push((await publish(pb, creator, { content: `rg-policy-${serial++}` })).modelId);
      },
    );
    await measure("PurchaseSettled", Kind.PurchaseSettled, async () =>
      record(Kind.PurchaseSettled, {
        purchaseId: (BigInt(CHAIN_B) << 32n) | BigInt(1000 + serial++),
        modelId: model,
        keyId: (BigInt(CHAIN_B) << 32n) | 999n,
        buyer: evmWord(fresh()),
        currency: "0x",
        amount: ONE,
        deploymentRequested: true,
        deploymentParams: "0x" + "ab".repeat(64),
      }),
    );
    // LeaseReported travels on the Akash lane (attestation gateway), never over LayerZero: on an
    // EVM lane it is refused (NotLeaseLane), which is the cost measured (a refusal stores the
    // message's digest for `reapply`).
    await measure(
      "LeaseReported (refused: not the Akash lane)",
      Kind.LeaseReported,
      async () =>
        record(Kind.LeaseReported, {
          purchaseId: (BigInt(CHAIN_A) << 32n) | BigInt(serial++),
          ok: false,
          dseq: 0n,
          gseq: 0,
          oseq: 0,
          provider: "",
          reason: "no bids within the price cap",
        }),
      undefined,
      true,
    );
    await measure("PayoutAddressBound", Kind.PayoutAddressBound, async () => {
      const c = Wallet.createRandom();
      const creatorWord = evmWord(c.address);
      const payout = evmWord(fresh());
      const binding = { creator: creatorWord, chain: CHAIN_A, payout, nonce: 1n };
      const evmChainId = (await ethers.provider.getNetwork()).chainId;
      const vc = lz.b.addresses.payoutBindings;
      const sig = c.signingKey.sign(payoutEip712Digest(binding, evmChainId, vc)).serialized;
      await record(Kind.PayoutAddressBound, {
        creator: creatorWord,
        chain: CHAIN_A,
        payout,
        bindNonce: 1n,
        signature: encodeEip712Blob(evmChainId, vc, sig),
      });
    });

    // Cross-chain resale (docs/resale.md). Buyers are new accounts (their first order, credit
    // and key), each funded here.
    const newBuyer = async () => {
      const w = Wallet.createRandom().connect(ethers.provider);
      await (await admin.sendTransaction({ to: w.address, value: 2n * ONE })).wait();
      return w;
    };
    // ResaleOrder: keys listed on A by `seller`, priced for buyers paying on B; the orders are
    // placed on B (escrowed there) and applied on A.
    const seller = signers[12];
    const SELLER = await seller.getAddress();
    const keysA = await ethers.getContractAt("KeyNFT", await pa.registry.keysOf(model));
    await setNativePrice(pa, creator, model, ONE);
    await (await keysA.connect(seller).setApprovalForAll(await pa.resale.getAddress(), true)).wait();
    let listed: bigint[] = [];
    const listOnA = async (n: number) => {
      listed = [];
      for (let i = 0; i < n; i++) {
        const keyId = await buyNative(pa, seller, model, ONE);
        await (await pa.resale.connect(seller).list(model, keyId, NATIVE, ONE, 1)).wait();
        await (await pa.resale.connect(seller).setRemotePrice(keyId, CHAIN_B, NATIVE, ONE)).wait();
        listed.push(keyId);
      }
    };
    const orderOnB = async (keyId: bigint, price: bigint) => {
      const buyer = await newBuyer();
      const until = await deadline();
      await (
        await pb.resale.connect(buyer).buyRemote(CHAIN_A, model, keyId, SELLER, NATIVE, price, until, { value: price })
      ).wait();
    };
    await measure(
      "ResaleOrder (filled: the key moves to B, KeyMoved)",
      Kind.ResaleOrder,
      async (i) => orderOnB(listed[i], ONE),
      listOnA,
    );
    // Filled: each listing gone, its key moved away from A (a KeyMoved and a ResaleResult journaled).
    for (const keyId of listed) {
      expect((await pa.resale.listingOf(keyId)).seller).to.equal(ethers.ZeroAddress);
      await expect(keysA.ownerOf(keyId)).to.be.revertedWithCustomError(keysA, "ERC721NonexistentToken");
    }
    await measure(
      "ResaleOrder (refused: not the seller's price for B)",
      Kind.ResaleOrder,
      async (i) => orderOnB(listed[i], ONE + 1n),
      listOnA,
    );
    for (const keyId of listed) {
      expect((await pa.resale.listingOf(keyId)).seller).to.equal(SELLER); // refused: still listed
      expect(await keysA.ownerOf(keyId)).to.equal(SELLER);
    }

    // ResaleResult: orders placed on A (the paying chain) for keys listed on B; B's answers are
    // recorded by the test recorder with the bodies B's HexsResale journals. For a fill, the key
    // is moved to the buyer on A first (B journals its KeyMoved ahead of the result), then the
    // royalty goes into the model's vault on A and a new seller is credited the rest.
    const ROYALTY = ONE / 20n;
    let orders: { orderId: bigint; keyId: bigint; buyer: string; seller: string }[] = [];
    const orderOnA = (arrived: boolean) => async (n: number) => {
      orders = [];
      for (let i = 0; i < n; i++) {
        const buyer = await newBuyer();
        const keyId = await buyNative(pb, signers[5], model, ONE);
        if (arrived) await (await keysB.connect(signers[5]).moveTo(keyId, CHAIN_A, sol(buyer.address))).wait();
        const sellerOnB = fresh();
        const r = pa.resale.connect(buyer);
        const until = await deadline();
        const orderId = await r.buyRemote.staticCall(CHAIN_B, model, keyId, sellerOnB, NATIVE, ONE, until, {
          value: ONE,
        });
        await (await r.buyRemote(CHAIN_B, model, keyId, sellerOnB, NATIVE, ONE, until, { value: ONE })).wait();
        orders.push({ orderId, keyId, buyer: buyer.address, seller: sellerOnB });
      }
    };
    const result = (filled: boolean) => async (i: number) =>
      record(Kind.ResaleResult, {
        orderId: orders[i].orderId,
        keyId: orders[i].keyId,
        filled,
        leaseEscrow: filled ? 1 : 0,
        royalty: filled ? ROYALTY : 0n,
      });
    await measure(
      "ResaleResult (filled: royalty to the vault, seller credited)",
      Kind.ResaleResult,
      result(true),
      orderOnA(true),
    );
    for (const o of orders) {
      expect((await pa.resale.orderOf(o.orderId)).buyer).to.equal(ethers.ZeroAddress);
      expect(await pa.resale.creditOf(o.seller, NATIVE)).to.equal(ONE - ROYALTY);
    }
    await measure("ResaleResult (refused: the buyer refunded)", Kind.ResaleResult, result(false), orderOnA(false));
    for (const o of orders) {
      expect((await pa.resale.orderOf(o.orderId)).buyer).to.equal(ethers.ZeroAddress);
      expect(await pa.resale.creditOf(o.buyer, NATIVE)).to.equal(ONE);
    }

    // The derivation: per message = (gas(5) - gas(1)) / 4, worst scenario of each kind; base =
    // the largest gas(1) - per message. Configured = measured * 1.25, rounded up to 5,000.
    // Resale kinds are applied by HexsResale, which no other kind touches: the first such message
    // of a packet pays its cold accesses (HexsResale, its storage, the collection), about 24,000
    // above the base. The enforced base (every packet) leaves that out; the resale kinds' figures
    // carry it instead: per message = max(per message, gas(1) - base).
    const coldFirst = new Set<Kind>([Kind.ResaleOrder, Kind.ResaleResult]);
    const perKind = new Map<Kind, bigint>();
    let base = 0n;
    console.log(`\n    lzReceive whole-tx gas (real EndpointV2)              1 msg    5 msgs   per msg     base`);
    const perOf = (s: Scenario) => (s.five - s.one + 3n) / 4n;
    for (const s of measured) {
      const per = perOf(s);
      const b = s.one - per;
      if (!coldFirst.has(s.kind) && b > base) base = b;
      console.log(
        `    ${s.name.padEnd(52)} ${String(s.one).padStart(8)} ${String(s.five).padStart(9)} ${String(per).padStart(9)} ${String(b).padStart(8)}`,
      );
    }
    for (const s of measured) {
      const per = coldFirst.has(s.kind) && s.one - base > perOf(s) ? s.one - base : perOf(s);
      if (per > (perKind.get(s.kind) ?? 0n)) perKind.set(s.kind, per);
    }
    const derive = (g: bigint) => roundUpGas((g * 125n) / 100n);
    console.log(`    derived: base ${derive(base)} (configured ${LZ_RECEIVE_BASE_GAS})`);
    for (const [k, g] of perKind)
      console.log(`    derived: ${KIND_NAMES[k].padEnd(20)} ${derive(g)} (configured ${LZ_RECEIVE_GAS_PER_KIND[k]})`);

    const slack = (g: bigint) => (derive(g) * BigInt(SLACK * 100)) / 100n;
    expect(LZ_RECEIVE_BASE_GAS <= slack(base), `base ${LZ_RECEIVE_BASE_GAS} is far above the measured ${base}`).to.equal(true);
    for (const [k, g] of perKind) {
      expect(
        LZ_RECEIVE_GAS_PER_KIND[k] <= slack(g),
        `${KIND_NAMES[k]} ${LZ_RECEIVE_GAS_PER_KIND[k]} is far above the measured ${g}`,
      ).to.equal(true);
    }
    // What a body adds: per stored word of a string (the longest strings against the default
    // ones: 64 words against 2, the bytes' own part taken out), per attached plugin.
    const scenario = (name: string) => measured.find((s) => s.name === name)!;
    const rawPer = (s: Scenario) => (s.rawFive - s.rawOne + 3n) / 4n;
    const plain = scenario("ModelRegistered");
    const bytesMore = BigInt(2 * MAX_STRING - 59 - 23); // the default locator and metadata URI: 59 and 23 bytes
    const word = (rawPer(scenario(LONGEST_STRINGS)) - rawPer(plain) - LZ_RECEIVE_GAS_PER_BODY_BYTE * bytesMore) / (64n - 2n);
    const plugin = rawPer(scenario(WITH_PLUGINS)) - rawPer(plain);
    // per stored word: +25% rounded up to 1,000 (it is multiplied by up to 64 words a message)
    const wordFigure = (((word * 125n) / 100n + 999n) / 1_000n) * 1_000n;
    console.log(`    derived: per stored word ${wordFigure} (measured ${word}, configured ${LZ_RECEIVE_GAS_PER_STORED_WORD})`);
    console.log(`    derived: per plugin      ${derive(plugin)} (measured ${plugin}, configured ${LZ_RECEIVE_GAS_PER_PLUGIN})`);
    expect(
      LZ_RECEIVE_GAS_PER_STORED_WORD <= (wordFigure * 125n) / 100n,
      `per stored word far above the measured ${word}`,
    ).to.equal(true);
    expect(LZ_RECEIVE_GAS_PER_PLUGIN <= slack(plugin), `per plugin far above the measured ${plugin}`).to.equal(true);
    // An estimated figure, not measured here: lease handovers (11, which only the attested Akash
    // lane carries; a record, as a lease report).
    const estimated = new Set<number>([Kind.LeaseHandedOver]);
    expect([...perKind.keys()].sort()).to.deep.equal(
      Object.keys(LZ_RECEIVE_GAS_PER_KIND)
        .map(Number)
        .filter((k) => !estimated.has(k))
        .sort(),
    );
    // What a flush asks for (enforced base + per message) is what was executed above.
    const settled = hexlify(
      encodeBody(Kind.PurchaseSettled, {
        purchaseId: 1n,
        modelId: model,
        keyId: 2n,
        buyer: evmWord(fresh()),
        currency: "0x",
        amount: ONE,
        deploymentRequested: false,
        deploymentParams: "0x",
      }),
    );
    expect(batchGas([{ kind: Kind.PurchaseSettled, body: settled }])).to.equal(
      LZ_RECEIVE_BASE_GAS +
        LZ_RECEIVE_GAS_PER_KIND[Kind.PurchaseSettled] +
        LZ_RECEIVE_GAS_PER_BODY_BYTE * BigInt((settled.length - 2) / 2),
    );
    expect(lzReceiveGasOf(lzReceiveOption(123_456n))).to.equal(123_456n);
  });

  it("a packet given too little gas reverts whole and stays verified for a retry", async () => {
    const keyHolder = fresh();
    await buyNative(pb, payer, model, ONE, { recipient: keyHolder });
    await (await flushLane(lz.b.hub, lz.b.bridge, CHAIN_A))!.wait();
    const [p] = await lz.bToA.poll();
    await lz.bToA.verify(p);
    const starved = await lz.bToA.execute(p, { force: true, gasLimit: 60_000n });
    expect(starved.ok).to.equal(false);
    expect(await lz.bToA.state(p)).to.equal("verified");
    expect((await lz.bToA.execute(p)).ok).to.equal(true);
    expect(await pa.registryLens.hasAccess(pa.registry, model, keyHolder)).to.equal(true);
  });
});

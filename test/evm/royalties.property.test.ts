// Property test: random fork trees (depth up to 64), random purchases (native and ERC-20, with and
// without deployment escrow), settlements, claims, escrow resolutions, DAO creation and fee
// payouts. A TypeScript ledger mirrors the market exactly; after every step the market's token
// and coin balances must equal the ledger, and after every run every wei must be accounted for:
//   market balance == Σ vaults + Σ credits + protocol fees + Σ open escrows   (read on chain)
//   Σ paid out + market balance == Σ paid in
// Each run then drains the market (settle deepest-first, claim everything, refund escrows) and
// checks that only the DAO treasuries' credits are left.
import { expect } from "chai";
import { ethers } from "hardhat";
import fc from "fast-check";
import type { Signer } from "ethers";
import { deployProtocol, NATIVE, timelockSigner, type Protocol } from "../../devnet/hardhat/protocol";
import type { TestToken } from "../../sdk/typechain";

const ONE = ethers.parseEther("1");
const MAX_DEPTH = 64;
const N_CREATORS = 5; // signers[2..6]
const N_BUYERS = 10; // signers[7..16]
const OPERATOR = 17;

interface Terms {
  creator: number;
  forkRoyaltyBps: number;
  daoBps: number;
  nativePrice: bigint;
  tokenPrice: bigint;
  deployPrice: bigint;
}
interface Branch extends Terms {
  parentPick: number;
}
type Op =
  | { kind: "buy"; model: number; erc20: boolean; buyer: number; deploy: boolean }
  | { kind: "settle"; model: number; erc20: boolean }
  | { kind: "claim"; payee: number; erc20: boolean }
  | { kind: "resolve"; pick: number; leased: boolean }
  | { kind: "fees"; erc20: boolean }
  | { kind: "dao"; model: number };
interface Scenario {
  feeBps: number;
  depth: number;
  chain: Terms[]; // MAX_DEPTH + 1 entries; the first depth + 1 form a fork chain
  branches: Branch[];
  ops: Op[];
}

const termsArb: fc.Arbitrary<Terms> = fc.record({
  creator: fc.nat({ max: N_CREATORS - 1 }),
  forkRoyaltyBps: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constantFrom(0, 5000)),
  daoBps: fc.oneof(fc.integer({ min: 0, max: 4000 }), fc.constant(0)),
  nativePrice: fc.oneof(fc.bigInt({ min: 0n, max: ONE }), fc.bigInt({ min: 0n, max: 10_007n })),
  tokenPrice: fc.bigInt({ min: 0n, max: 10n ** 24n }),
  deployPrice: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: ONE / 2n })),
});
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("buy" as const),
      model: fc.nat(),
      erc20: fc.boolean(),
      buyer: fc.nat({ max: N_BUYERS - 1 }),
      deploy: fc.boolean(),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("settle" as const), model: fc.nat(), erc20: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("claim" as const),
      payee: fc.nat({ max: N_CREATORS + N_BUYERS }),
      erc20: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("resolve" as const), pick: fc.nat(), leased: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("fees" as const), erc20: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("dao" as const), model: fc.nat() }) },
);
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  feeBps: fc.oneof(fc.constant(250), fc.integer({ min: 0, max: 1000 })),
  depth: fc.oneof(
    { weight: 1, arbitrary: fc.constant(MAX_DEPTH) },
    { weight: 4, arbitrary: fc.integer({ min: 0, max: MAX_DEPTH - 1 }) },
  ),
  chain: fc.array(termsArb, { minLength: MAX_DEPTH + 1, maxLength: MAX_DEPTH + 1 }),
  branches: fc.array(fc.record({ parentPick: fc.nat(), ...termsArbFields() }), { maxLength: 6 }),
  ops: fc.array(opArb, { minLength: 1, maxLength: 40 }),
});
function termsArbFields() {
  return {
    creator: fc.nat({ max: N_CREATORS - 1 }),
    forkRoyaltyBps: fc.integer({ min: 0, max: 5000 }),
    daoBps: fc.integer({ min: 0, max: 4000 }),
    nativePrice: fc.bigInt({ min: 0n, max: ONE }),
    tokenPrice: fc.bigInt({ min: 0n, max: 10n ** 24n }),
    deployPrice: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: ONE / 2n })),
  };
}

/** A hand-written worst case: a 64-deep chain, a sale at the leaf, then every level settled. */
function deepExample(): Scenario {
  const chain: Terms[] = [];
  for (let i = 0; i <= MAX_DEPTH; i++) {
    chain.push({
      creator: i % N_CREATORS,
      forkRoyaltyBps: 5000 - ((i * 37) % 5000),
      daoBps: i % 3 === 0 ? 1111 : 0,
      nativePrice: ONE - BigInt(i),
      tokenPrice: 10n ** 21n + BigInt(i),
      deployPrice: i % 2 === 0 ? ONE / 10n : 0n,
    });
  }
  const ops: Op[] = [
    { kind: "dao", model: 3 },
    { kind: "buy", model: MAX_DEPTH, erc20: false, buyer: 0, deploy: true },
    { kind: "buy", model: MAX_DEPTH, erc20: true, buyer: 1, deploy: true },
    { kind: "buy", model: 1, erc20: false, buyer: 2, deploy: false },
  ];
  for (let m = MAX_DEPTH; m >= 0; m--) ops.push({ kind: "settle", model: m, erc20: false });
  ops.push({ kind: "claim", payee: 0, erc20: false }, { kind: "resolve", pick: 0, leased: true });
  return { feeBps: 1000, depth: MAX_DEPTH, chain, branches: [], ops };
}

type Ledger = Map<string, bigint>;
const get = (l: Ledger, k: string) => l.get(k) ?? 0n;
const add = (l: Ledger, k: string, v: bigint) => l.set(k, get(l, k) + v);
const sum = (l: Ledger, suffix: string) => [...l].filter(([k]) => k.endsWith(suffix)).reduce((a, [, v]) => a + v, 0n);

describe("Royalty conservation (property, fast-check)", function () {
  this.timeout(600_000);

  it("random fork trees, purchases, settlements, claims and resolutions conserve every wei", async () => {
    let runs = 0;
    let deepest = 0;
    let buys = 0;
    let settles = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (sc) => {
        runs++;
        const p: Protocol = await deployProtocol();
        const s = p.signers;
        const market = p.market;
        const marketAddr = await market.getAddress();
        const creators = s.slice(2, 2 + N_CREATORS);
        const buyers = s.slice(7, 7 + N_BUYERS);
        const operator = s[OPERATOR];
        const payees = [...creators, ...buyers, operator];
        const payeeAddrs = await Promise.all(payees.map((x) => x.getAddress()));
        const sinkOf = (a: string) => ethers.getAddress(ethers.dataSlice(ethers.id("sink:" + a), 12));
        const treasury = await s[1].getAddress();

        // Setup: fee rate, ERC-20, funded buyers, reporter role (timelock impersonated).
        const tl = await timelockSigner(p);
        await market.connect(tl).setProtocolFee(sc.feeBps, treasury);
        const token = (await (await ethers.getContractFactory("TestToken")).deploy()) as unknown as TestToken;
        const T = await token.getAddress();
        await market.connect(tl).setAcceptedToken(T, true);
        await market.connect(tl).grantRole(await market.LEASE_REPORTER_ROLE(), await s[0].getAddress());
        for (const b of buyers) {
          await token.mint(await b.getAddress(), 10n ** 30n);
          await token.connect(b).approve(marketAddr, ethers.MaxUint256);
        }
        const cur = (erc20: boolean) => (erc20 ? T : NATIVE);
        const treasuryStart = await ethers.provider.getBalance(treasury);

        // The fork tree.
        interface M {
          id: bigint;
          parent: number; // index, -1 for a root
          depth: number;
          t: Terms;
          creator: Signer;
          creatorAddr: string;
          dao: string | null;
        }
        const models: M[] = [];
        const register = async (t: Terms, parent: number) => {
          const creator = creators[t.creator];
          const params = {
            contentCommitment: ethers.id(`m${models.length}`),
            sdlLocator: "cid",
            metadataUri: "uri",
            forkRoyaltyBps: t.forkRoyaltyBps,
            daoBps: t.daoBps,
            forkable: true,
            secondaryRoyaltyBps: 0,
            plugins: [],
          };
          const reg = p.registry.connect(creator);
          await (parent < 0 ? reg.publish(params) : reg.fork(models[parent].id, params));
          const id = (1n << 32n) | BigInt(models.length + 1);
          await reg.setPrice(id, NATIVE, t.nativePrice, t.deployPrice, true);
          await reg.setPrice(id, T, t.tokenPrice, t.deployPrice, true);
          const depth = parent < 0 ? 0 : models[parent].depth + 1;
          models.push({ id, parent, depth, t, creator, creatorAddr: await creator.getAddress(), dao: null });
        };
        for (let i = 0; i <= sc.depth; i++) await register(sc.chain[i], i - 1);
        for (const b of sc.branches) {
          const pick = b.parentPick % (models.length + 1);
          const parent = pick === models.length || models[pick].depth >= MAX_DEPTH ? -1 : pick;
          await register(b, parent);
        }
        deepest = Math.max(deepest, ...models.map((m) => m.depth));
        expect((await p.registry.model(models[sc.depth].id)).depth).to.equal(sc.depth);

        // The mirror ledger. Keys: `${who}|${currency}`.
        const vault: Ledger = new Map();
        const credit: Ledger = new Map();
        const fees: Ledger = new Map();
        const paidIn: Ledger = new Map();
        const paidOut: Ledger = new Map();
        const escrows: { keyId: bigint; buyer: string; currency: string; amount: bigint }[] = [];
        let serial = 0n;
        const escrowSum = (c: string) => escrows.filter((e) => e.currency === c).reduce((a, e) => a + e.amount, 0n);
        const expectedHeld = (c: string) => sum(vault, "|" + c) + sum(credit, "|" + c) + get(fees, c) + escrowSum(c);
        const balanceOf = async (c: string) =>
          c === NATIVE ? ethers.provider.getBalance(marketAddr) : token.balanceOf(marketAddr);

        const settle = async (mi: number, c: string) => {
          const m = models[mi];
          const amount = get(vault, `${m.id}|${c}`);
          if (amount === 0n) {
            await expect(market.settle(m.id, c)).to.be.revertedWithCustomError(market, "NothingToSettle");
            return;
          }
          const fee = (amount * BigInt(sc.feeBps)) / 10_000n;
          const parentShare = m.parent < 0 ? 0n : (amount * BigInt(models[m.parent].t.forkRoyaltyBps)) / 10_000n;
          const daoShare = m.t.daoBps > 0 && m.dao ? (amount * BigInt(m.t.daoBps)) / 10_000n : 0n;
          const creatorShare = amount - fee - parentShare - daoShare;
          await expect(market.settle(m.id, c))
            .to.emit(market, "Settled")
            .withArgs(m.id, c, creatorShare, parentShare, daoShare, fee);
          settles++;
          vault.set(`${m.id}|${c}`, 0n);
          if (parentShare) add(vault, `${models[m.parent].id}|${c}`, parentShare);
          if (daoShare) add(credit, `${m.dao}|${c}`, daoShare);
          add(fees, c, fee);
          add(credit, `${m.creatorAddr}|${c}`, creatorShare);
        };
        const claim = async (who: Signer, whoAddr: string, c: string) => {
          const owed = get(credit, `${whoAddr}|${c}`);
          if (owed === 0n) {
            await expect(market.connect(who).claim(c, sinkOf(whoAddr)))
              .to.be.revertedWithCustomError(market, "NothingToClaim")
              .withArgs(whoAddr, c);
            return;
          }
          await market.connect(who).claim(c, sinkOf(whoAddr));
          credit.set(`${whoAddr}|${c}`, 0n);
          add(paidOut, c, owed);
        };
        const claimFees = async (c: string) => {
          if (get(fees, c) === 0n) {
            await expect(market.claimProtocolFees(c)).to.be.revertedWithCustomError(market, "NothingToClaim");
            return;
          }
          await market.connect(s[0]).claimProtocolFees(c);
          add(paidOut, c, get(fees, c));
          fees.set(c, 0n);
        };
        const resolve = async (pick: number, leased: boolean) => {
          if (escrows.length === 0) return;
          const [e] = escrows.splice(pick % escrows.length, 1);
          const payee = leased ? await operator.getAddress() : e.buyer;
          await expect(market.connect(s[0]).resolveDeployment(e.keyId, leased, e.keyId, await operator.getAddress()))
            .to.emit(market, "DeploymentResolved")
            .withArgs(e.keyId, leased, payee, e.amount, leased ? e.keyId : 0n);
          add(credit, `${payee}|${e.currency}`, e.amount);
        };

        for (const op of sc.ops) {
          switch (op.kind) {
            case "buy": {
              const m = models[op.model % models.length];
              const c = cur(op.erc20);
              const buyer = buyers[op.buyer];
              const B = await buyer.getAddress();
              const price = op.erc20 ? m.t.tokenPrice : m.t.nativePrice;
              const escrowed = op.deploy ? m.t.deployPrice : 0n;
              const params = op.deploy ? "0xd1" : "0x";
              await market.connect(buyer).buy(m.id, c, B, params, "0x", { value: op.erc20 ? 0n : price + escrowed });
              serial++;
              buys++;
              add(vault, `${m.id}|${c}`, price);
              add(paidIn, c, price + escrowed);
              if (escrowed) escrows.push({ keyId: (1n << 32n) | serial, buyer: B, currency: c, amount: escrowed });
              break;
            }
            case "settle":
              await settle(op.model % models.length, cur(op.erc20));
              break;
            case "claim":
              await claim(payees[op.payee], payeeAddrs[op.payee], cur(op.erc20));
              break;
            case "resolve":
              await resolve(op.pick, op.leased);
              break;
            case "fees":
              await claimFees(cur(op.erc20));
              break;
            case "dao": {
              const m = models[op.model % models.length];
              if (m.dao) break;
              const tx = await p.daoFactory.connect(m.creator).createDao(m.id, [m.creatorAddr], 1, 5, 50);
              await tx.wait();
              m.dao = await p.registry.daoOf(m.id);
              break;
            }
          }
          // After every step the market holds exactly what the ledger says it owes.
          for (const c of [NATIVE, T]) expect(await balanceOf(c), `${op.kind} ${c}`).to.equal(expectedHeld(c));
        }

        // Every bucket read back from the chain, then the two conservation identities.
        const checkBooks = async () => {
          for (const c of [NATIVE, T]) {
            let onChain = 0n;
            for (const m of models) {
              const v = await market.vaultOf(m.id, c);
              expect(v).to.equal(get(vault, `${m.id}|${c}`));
              onChain += v;
            }
            const creditors = new Set([...payeeAddrs, ...models.filter((m) => m.dao).map((m) => m.dao!)]);
            for (const a of creditors) {
              const cr = await market.creditOf(a, c);
              expect(cr).to.equal(get(credit, `${a}|${c}`));
              onChain += cr;
            }
            const f = await market.protocolFeesOf(c);
            expect(f).to.equal(get(fees, c));
            onChain += f;
            for (const e of escrows.filter((x) => x.currency === c)) {
              const es = await market.escrowOf(e.keyId);
              expect([es.buyer, es.currency, es.amount]).to.deep.equal([e.buyer, c, e.amount]);
              onChain += es.amount;
            }
            const held = await balanceOf(c);
            expect(held, "market balance == Σ vaults + Σ credits + fees + Σ escrows").to.equal(onChain);

            let out = 0n;
            for (const a of payeeAddrs) {
              out += c === NATIVE ? await ethers.provider.getBalance(sinkOf(a)) : await token.balanceOf(sinkOf(a));
            }
            out += c === NATIVE ? (await ethers.provider.getBalance(treasury)) - treasuryStart : await token.balanceOf(treasury);
            expect(out).to.equal(get(paidOut, c));
            expect(out + held, "Σ paid out + market balance == Σ paid in").to.equal(get(paidIn, c));
          }
        };
        await checkBooks();

        // Drain: refund every escrow, settle deepest first (each vault only receives from its
        // children), claim everything claimable. Only DAO treasuries' credits may remain.
        while (escrows.length) await resolve(0, false);
        const order = models.map((_, i) => i).sort((a, b) => models[b].depth - models[a].depth);
        for (const c of [NATIVE, T]) {
          for (const i of order) if (get(vault, `${models[i].id}|${c}`) !== 0n) await settle(i, c);
          for (let i = 0; i < payees.length; i++) {
            if (get(credit, `${payeeAddrs[i]}|${c}`) !== 0n) await claim(payees[i], payeeAddrs[i], c);
          }
          if (get(fees, c) !== 0n) await claimFees(c);
          const daoCredits = models.filter((m) => m.dao).reduce((a, m) => a + get(credit, `${m.dao}|${c}`), 0n);
          expect(await balanceOf(c)).to.equal(daoCredits);
        }
        await checkBooks();
      }),
      { numRuns: 36, examples: [[deepExample()]], endOnFailure: true },
    );
    expect(runs).to.be.greaterThanOrEqual(36);
    expect(deepest).to.equal(MAX_DEPTH);
    expect(buys).to.be.greaterThan(0);
    expect(settles).to.be.greaterThan(0);
  });
});

// vault:settle, vault:claim
import { task } from "hardhat/config";
import { ZeroAddress } from "ethers";
import {
  currencyInfo,
  findEvent,
  fmt,
  loadProtocol,
  NATIVE_INFO,
  requireFunds,
  requireModel,
  resolveSigner,
  send,
} from "./lib/context";
import { fail } from "./lib/errors";
import { say } from "./lib/log";
import { formatId, parseAccount, parseAddress, parseCurrency, parseId, parseUint, toSolAccount } from "./lib/parse";

export interface SettleLevel {
  modelId: bigint;
  amount: bigint;
  creator: string;
  creatorShare: bigint;
  parentId: bigint;
  parentShare: bigint;
  dao: string;
  daoShare: bigint;
  protocolFee: bigint;
  txHash?: string;
}

export interface SettleArgs {
  model: string;
  currency: string;
  levels?: string;
  from?: string;
}

task("vault:settle", "Split a model's vault one lineage level up, then its parent's, … for --levels levels (anyone may call)")
  .addParam("model", "The model whose vault to settle first (id such as 4294967297 or chain:serial such as 1:1)")
  .addOptionalParam("currency", "Currency of the vaults: native, or an ERC-20 token address", "native")
  .addOptionalParam("levels", "How many lineage levels to settle, walking up the parents (default: up to the root)")
  .addOptionalParam("from", "Account to sign with: index (0, 1, …) or address among the network's accounts", "0")
  .setAction(async (a: SettleArgs, hre): Promise<SettleLevel[]> => {
    const modelId = parseId("model", a.model);
    const currency = parseCurrency(a.currency);
    const levels = a.levels === undefined ? 1n << 16n : parseUint("levels", a.levels, 1n << 16n);
    if (levels === 0n) fail("bad --levels '0': settle at least one level");
    const p = await loadProtocol(hre);
    await requireModel(hre, p, modelId);
    const c = await currencyInfo(hre, currency);
    const signer = await resolveSigner(hre, a.from);
    const market = p.market.connect(signer);
    const out: SettleLevel[] = [];
    let id = modelId;
    for (let level = 0n; level < levels && id !== 0n; level++) {
      const lineage = await p.registry.lineageOf(id);
      const dao = await p.registry.daoOf(id);
      const amount = await p.market.vaultOf(id, currency);
      if (amount === 0n) {
        say(`level ${level}: model ${formatId(id)} vault is empty in ${c.symbol}; nothing to settle`);
        out.push({
          modelId: id,
          amount,
          creator: lineage.creator,
          creatorShare: 0n,
          parentId: lineage.parentId,
          parentShare: 0n,
          dao,
          daoShare: 0n,
          protocolFee: 0n,
        });
      } else {
        await requireFunds(hre, NATIVE_INFO, await signer.getAddress(), 0n, 120_000n);
        const r = await send(
          p,
          `settle ${formatId(id)}`,
          () => market.settle.staticCall(id, currency),
          () => market.settle(id, currency),
        );
        const ev = findEvent(r.receipt, p.market.interface, "Settled");
        if (!ev) fail(`settle: transaction ${r.hash} emitted no Settled event`);
        const lvl: SettleLevel = {
          modelId: id,
          amount,
          creator: lineage.creator,
          creatorShare: ev.args.creatorShare as bigint,
          parentId: lineage.parentId,
          parentShare: ev.args.parentShare as bigint,
          dao,
          daoShare: ev.args.daoShare as bigint,
          protocolFee: ev.args.protocolFee as bigint,
          txHash: r.hash,
        };
        out.push(lvl);
        say(`level ${level}: model ${formatId(id)} vault ${fmt(amount, c)} settled`);
        say(`  creator ${lvl.creator} credited ${fmt(lvl.creatorShare, c)}`);
        if (lvl.parentId !== 0n) say(`  parent ${formatId(lvl.parentId)} vault +${fmt(lvl.parentShare, c)}`);
        if (lvl.daoShare > 0n) say(`  DAO treasury ${dao} credited ${fmt(lvl.daoShare, c)}`);
        say(`  protocol fee ${fmt(lvl.protocolFee, c)}`);
      }
      id = lineage.parentId;
    }
    return out;
  });

export interface ClaimArgs {
  currency: string;
  to?: string;
  protocolFees: boolean;
  payee?: string;
  from?: string;
}

export interface ClaimResult {
  payee: string;
  to: string;
  amount: bigint;
  txHash: string;
}

task("vault:claim", "Pull everything credited to the signer (creator, DAO, refunded buyer) in one currency")
  .addOptionalParam("currency", "Currency to claim: native, or an ERC-20 token address", "native")
  .addOptionalParam("to", "Where to send the funds (default: the signer)")
  .addFlag("protocolFees", "Instead pay the accrued protocol fees to the protocol's fee recipient (anyone may call)")
  .addOptionalParam(
    "payee",
    "Claim for this creator as its bound payout address: an EVM address, or cosmos:0x…/cosmwasm:0x… for a creator on another chain family (see payout:bind)",
  )
  .addOptionalParam("from", "Account to sign with: index (0, 1, …) or address among the network's accounts", "0")
  .setAction(async (a: ClaimArgs, hre): Promise<ClaimResult> => {
    const currency = parseCurrency(a.currency);
    const p = await loadProtocol(hre);
    const c = await currencyInfo(hre, currency);
    const signer = await resolveSigner(hre, a.from);
    const me = await signer.getAddress();
    const market = p.market.connect(signer);
    await requireFunds(hre, NATIVE_INFO, me, 0n, 100_000n);
    if (a.protocolFees) {
      if (a.to) fail("--to cannot be used with --protocol-fees: fees always go to the fee recipient set by governance");
      const [, recipient] = await p.market.protocolFee();
      const amount = await p.market.protocolFeesOf(currency);
      if (amount === 0n) fail(`no protocol fees accrued in ${c.symbol}: settle some vaults first (vault:settle)`);
      const r = await send(
        p,
        "claim protocol fees",
        () => market.claimProtocolFees.staticCall(currency),
        () => market.claimProtocolFees(currency),
      );
      say(`protocol fees ${fmt(amount, c)} paid to ${recipient}`);
      return { payee: recipient, to: recipient, amount, txHash: r.hash };
    }
    const to = a.to ? parseAddress("to", a.to) : me;
    if (a.payee) {
      // A creator whose identity is on another chain family is credited under the registry's
      // stand-in address for its account word; its bound payout address claims for it.
      const payee = await p.registry.localCreator(toSolAccount(parseAccount("payee", a.payee)));
      const bound = await p.registry.payoutOf(payee);
      if (bound !== me) {
        fail(
          `${me} is not the payout address bound for ${a.payee} on this chain (${bound === ZeroAddress ? "none is bound yet: the creator binds one with payout:bind, or BindPayout on its own chain" : `bound: ${bound}`})`,
        );
      }
      const owed = await p.market.creditOf(payee, currency);
      if (owed === 0n)
        fail(
          `nothing to claim: ${a.payee} (${payee} here) has no ${c.symbol} credited. Vaults pay out only after settlement (vault:settle --model <id>).`,
        );
      const r = await send(
        p,
        `claim for ${a.payee}`,
        () => market.claimAs.staticCall(payee, currency, to),
        () => market.claimAs(payee, currency, to),
      );
      say(`claimed ${fmt(owed, c)} for ${a.payee} to ${to}`);
      return { payee, to, amount: owed, txHash: r.hash };
    }
    const amount = await p.market.creditOf(me, currency);
    if (amount === 0n) {
      fail(
        `nothing to claim: ${me} has no ${c.symbol} credited. Vaults pay out only after settlement (vault:settle --model <id>), or use --from with the payee's account.`,
      );
    }
    const r = await send(
      p,
      "claim",
      () => market.claim.staticCall(currency, to),
      () => market.claim(currency, to),
    );
    say(`claimed ${fmt(amount, c)} for ${me}${to === me ? "" : ` to ${to}`}`);
    return { payee: me, to, amount, txHash: r.hash };
  });

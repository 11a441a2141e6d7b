// vault:settle, vault:claim, vault:reclaim-escrow — thin wrappers over the SDK (sdk/actions/vault.ts).
import { task } from "hardhat/config";
import type { ClaimResult, ReclaimEscrowResult, SettleLevel } from "../sdk/actions/vault";
import { loadProtocol, resolveSigner, sdk } from "./lib/context";
import { cli, fail } from "./lib/errors";
import { say } from "./lib/log";
import { parseAccount, parseAddress, parseCurrency, parseId, parseUint } from "./lib/parse";

export type { ClaimResult, ReclaimEscrowResult, SettleLevel };

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
  .setAction(
    cli(async (a: SettleArgs, hre): Promise<SettleLevel[]> => {
      const modelId = parseId("model", a.model);
      const currency = parseCurrency(a.currency);
      const levels = a.levels === undefined ? 1n << 16n : parseUint("levels", a.levels, 1n << 16n);
      if (levels === 0n) fail("bad --levels '0': settle at least one level");
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { settle } = await sdk();
      return settle(p, signer, { modelId, currency, levels }, { log: say });
    }),
  );

export interface ClaimArgs {
  currency: string;
  to?: string;
  protocolFees: boolean;
  payee?: string;
  from?: string;
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
  .setAction(
    cli(async (a: ClaimArgs, hre): Promise<ClaimResult> => {
      const currency = parseCurrency(a.currency);
      if (a.protocolFees && a.to)
        fail("--to cannot be used with --protocol-fees: fees always go to the fee recipient set by governance");
      const to = a.to ? parseAddress("to", a.to) : undefined;
      const payee = a.payee ? parseAccount("payee", a.payee) : undefined;
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { claim, claimProtocolFees, currencyInfo, fmt } = await sdk();
      const c = await currencyInfo(p, currency);
      if (a.protocolFees) {
        const r = await claimProtocolFees(p, signer, currency, { log: say });
        say(`protocol fees ${fmt(r.amount, c)} paid to ${r.payee}`);
        return r;
      }
      const r = await claim(p, signer, { currency, to, payee }, { log: say });
      if (a.payee) say(`claimed ${fmt(r.amount, c)} for ${a.payee} to ${r.to}`);
      else say(`claimed ${fmt(r.amount, c)} for ${r.payee}${r.to === r.payee ? "" : ` to ${r.to}`}`);
      return r;
    }),
  );

export interface ReclaimEscrowArgs {
  key: string;
  from?: string;
}

task(
  "vault:reclaim-escrow",
  "As the buyer, take back a purchase's deployment escrow that no lease report resolved before its timeout (then vault:claim)",
)
  .addParam("key", "The purchase's key id (id such as 4294967297 or chain:serial such as 1:1)")
  .addOptionalParam("from", "Account to sign with: index (0, 1, …) or address among the network's accounts", "0")
  .setAction(
    cli(async (a: ReclaimEscrowArgs, hre): Promise<ReclaimEscrowResult> => {
      const keyId = parseId("key", a.key);
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { reclaimEscrow, currencyInfo, fmt } = await sdk();
      const r = await reclaimEscrow(p, signer, keyId, { log: say });
      say(`reclaimed ${fmt(r.amount, await currencyInfo(p, r.currency))} to ${r.buyer}'s credit`);
      return r;
    }),
  );

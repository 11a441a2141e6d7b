// resale:list, resale:buy, resale:offer, resale:accept, resale:cancel, resale:claim, and the
// cross-chain resale:remote-price, resale:buy-remote, resale:order — thin wrappers over the SDK
// (sdk/actions/resale.ts). Amounts are in the currency's smallest unit.
import { task } from "hardhat/config";
import type { Fill, LeaseEscrow } from "../sdk/actions/resale";
import { loadProtocol, resolveSigner, sdk } from "./lib/context";
import { cli, fail } from "./lib/errors";
import { say } from "./lib/log";
import { parseAddress, parseCurrency, parseId, parseUint } from "./lib/parse";

export type { Fill, LeaseEscrow };

const FROM = "Account to sign with: index (0, 1, …) or address among the network's accounts";
const UINT96_MAX = (1n << 96n) - 1n;
const LEASE_HELP =
  "What happens to the Akash escrow of a running deployment of the key: priced-in (stays with the deployment, the buyer gets it) or to-seller (refunded to the seller on handover)";

function parseLeaseEscrow(value: string | undefined): LeaseEscrow {
  if (value === undefined || value === "priced-in" || value === "to-seller") return value ?? "priced-in";
  return fail(`bad --lease-escrow '${value}': expected priced-in or to-seller`);
}

interface ListArgs {
  model: string;
  key: string;
  currency: string;
  price: string;
  leaseEscrow?: string;
  from?: string;
}

task("resale:list", "List a key you hold at a price (approves the resale contract for the key when needed)")
  .addParam("model", "The key's model (id or chain:serial)")
  .addParam("key", "The key id (or chain:serial)")
  .addOptionalParam("currency", "native, or an accepted ERC-20 token address", "native")
  .addParam("price", "Price in the currency's smallest unit (wei for native)")
  .addOptionalParam("leaseEscrow", LEASE_HELP, "priced-in")
  .addOptionalParam("from", FROM, "0")
  .setAction(
    cli(async (a: ListArgs, hre) => {
      const params = {
        modelId: parseId("model", a.model),
        keyId: parseId("key", a.key),
        currency: parseCurrency(a.currency),
        price: parseUint("price", a.price, UINT96_MAX),
        leaseEscrow: parseLeaseEscrow(a.leaseEscrow),
      };
      if (params.price === 0n) fail("bad --price '0': a listing needs a price above 0");
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { listKey } = await sdk();
      return listKey(p, signer, params, { log: say });
    }),
  );

task("resale:buy", "Buy a listed key at its listed price (approves the ERC-20 when needed)")
  .addParam("key", "The listed key id (or chain:serial)")
  .addOptionalParam("from", FROM, "0")
  .setAction(
    cli(async (a: { key: string; from?: string }, hre): Promise<Fill> => {
      const keyId = parseId("key", a.key);
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { buyListing } = await sdk();
      return buyListing(p, signer, { keyId }, { log: say });
    }),
  );

interface OfferArgs {
  model: string;
  key: string;
  currency: string;
  amount: string;
  validFor: string;
  leaseEscrow?: string;
  from?: string;
}

task("resale:offer", "Offer an amount for a key; the amount is escrowed until accepted or cancelled")
  .addParam("model", "The key's model (id or chain:serial)")
  .addParam("key", "The key id (or chain:serial)")
  .addOptionalParam("currency", "native, or an accepted ERC-20 token address", "native")
  .addParam("amount", "Amount in the currency's smallest unit (wei for native)")
  .addOptionalParam("validFor", "Seconds the offer stays valid", "86400")
  .addOptionalParam("leaseEscrow", LEASE_HELP, "priced-in")
  .addOptionalParam("from", FROM, "0")
  .setAction(
    cli(async (a: OfferArgs, hre) => {
      const params = {
        modelId: parseId("model", a.model),
        keyId: parseId("key", a.key),
        currency: parseCurrency(a.currency),
        amount: parseUint("amount", a.amount, UINT96_MAX),
        validFor: Number(parseUint("valid-for", a.validFor, 365n * 86_400n)),
        leaseEscrow: parseLeaseEscrow(a.leaseEscrow),
      };
      if (params.amount === 0n) fail("bad --amount '0': an offer needs an amount above 0");
      if (params.validFor === 0) fail("bad --valid-for '0': an offer must be valid for at least one second");
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { makeOffer } = await sdk();
      return makeOffer(p, signer, params, { log: say });
    }),
  );

task("resale:accept", "Accept an offer for a key you hold (approves the resale contract for the key when needed)")
  .addParam("offer", "The offer id")
  .addOptionalParam("from", FROM, "0")
  .setAction(
    cli(async (a: { offer: string; from?: string }, hre): Promise<Fill> => {
      const offerId = parseUint("offer", a.offer, (1n << 64n) - 1n);
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { acceptOffer } = await sdk();
      return acceptOffer(p, signer, { offerId }, { log: say });
    }),
  );

task("resale:cancel", "Withdraw your listing of --key, or your offer --offer (its escrow is credited back: resale:claim)")
  .addOptionalParam("key", "The listed key id (or chain:serial)")
  .addOptionalParam("offer", "The offer id")
  .addOptionalParam("from", FROM, "0")
  .setAction(
    cli(async (a: { key?: string; offer?: string; from?: string }, hre) => {
      if ((a.key === undefined) === (a.offer === undefined)) fail("give exactly one of --key (a listing) or --offer");
      const keyId = a.key === undefined ? undefined : parseId("key", a.key);
      const offerId = a.offer === undefined ? undefined : parseUint("offer", a.offer, (1n << 64n) - 1n);
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { cancelListing, cancelOffer } = await sdk();
      if (keyId !== undefined) return cancelListing(p, signer, { keyId }, { log: say });
      return cancelOffer(p, signer, { offerId: offerId! }, { log: say });
    }),
  );

task("resale:claim", "Pull your resale proceeds and refunded offers in one currency")
  .addOptionalParam("currency", "native, or an ERC-20 token address", "native")
  .addOptionalParam("to", "Where to send the funds (default: the signer)")
  .addOptionalParam("from", FROM, "0")
  .setAction(
    cli(async (a: { currency: string; to?: string; from?: string }, hre) => {
      const currency = parseCurrency(a.currency);
      const to = a.to ? parseAddress("to", a.to) : undefined;
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { claimResale } = await sdk();
      return claimResale(p, signer, { currency, to }, { log: say });
    }),
  );

const CHAIN_MAX = (1n << 32n) - 1n;

task("resale:remote-price", "On the listing's chain: the price buyers paying on --chain pay for your listed key (0 withdraws it)")
  .addParam("key", "The listed key id (or chain:serial)")
  .addParam("chain", "Hexs chain id of the buyers' chain (a resale peer)")
  .addOptionalParam("currency", "native, or a token address on that chain", "native")
  .addParam("price", "Price in that currency's smallest unit")
  .addOptionalParam("from", FROM, "0")
  .setAction(
    cli(async (a: { key: string; chain: string; currency: string; price: string; from?: string }, hre) => {
      const params = {
        keyId: parseId("key", a.key),
        chain: Number(parseUint("chain", a.chain, CHAIN_MAX)),
        currency: parseCurrency(a.currency),
        price: parseUint("price", a.price, UINT96_MAX),
      };
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { setRemotePrice } = await sdk();
      return setRemotePrice(p, signer, params, { log: say });
    }),
  );

interface BuyRemoteArgs {
  listingChain: string;
  model: string;
  key: string;
  seller: string;
  currency: string;
  price: string;
  from?: string;
}

task(
  "resale:buy-remote",
  "Order a key listed on another chain, paying here at the seller's price for this chain (escrowed until the listing chain answers)",
)
  .addParam("listingChain", "Hexs chain id where the key is listed")
  .addParam("model", "The key's model (id or chain:serial)")
  .addParam("key", "The key id (or chain:serial)")
  .addParam("seller", "The listing's seller")
  .addOptionalParam("currency", "native, or an accepted ERC-20 token address here", "native")
  .addParam("price", "The seller's price for this chain, in the currency's smallest unit")
  .addOptionalParam("from", FROM, "0")
  .setAction(
    cli(async (a: BuyRemoteArgs, hre) => {
      const params = {
        listingChain: Number(parseUint("listing-chain", a.listingChain, CHAIN_MAX)),
        modelId: parseId("model", a.model),
        keyId: parseId("key", a.key),
        seller: parseAddress("seller", a.seller),
        currency: parseCurrency(a.currency),
        price: parseUint("price", a.price, UINT96_MAX),
      };
      if (params.price === 0n) fail("bad --price '0': a remote order needs a price above 0");
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { buyListingRemote } = await sdk();
      return buyListingRemote(p, signer, params, { log: say });
    }),
  );

task("resale:order", "Show an order paid on this chain: pending (escrowed) or settled (filled, or refunded: resale:claim)")
  .addParam("order", "The order id (or chain:serial)")
  .setAction(
    cli(async (a: { order: string }, hre) => {
      const orderId = parseId("order", a.order);
      const p = await loadProtocol(hre);
      const { remoteOrderOf } = await sdk();
      return remoteOrderOf(p, orderId);
    }),
  );

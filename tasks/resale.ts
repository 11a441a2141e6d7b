// resale:list, resale:buy, resale:offer, resale:accept, resale:cancel, resale:claim, and the
// cross-chain resale:remote-price, resale:buy-remote, resale:order, resale:withdraw-order — thin wrappers over the SDK
// (sdk/actions/resale.ts). Amounts are in the currency's smallest unit.
import fs from "node:fs";
import path from "node:path";
import { task } from "hardhat/config";
import type { Fill, LeaseEscrow } from "../sdk/actions/resale";
import { isLocalNetwork, loadProtocol, resolveSigner, sdk } from "./lib/context";
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
  deadline?: string;
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
  .addOptionalParam(
    "deadline",
    "Unix seconds until which the listing chain may fill the order (default: one hour from now; at most 30 days)",
  )
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
        deadline: a.deadline === undefined ? undefined : Number(parseUint("deadline", a.deadline, (1n << 32n) - 1n)),
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

task(
  "resale:withdraw-order",
  "Take back the escrow of your order the listing chain has not answered by its deadline + 3 days (credited: resale:claim)",
)
  .addParam("order", "The order id (or chain:serial)")
  .addOptionalParam("from", FROM, "0")
  .setAction(
    cli(async (a: { order: string; from?: string }, hre) => {
      const orderId = parseId("order", a.order);
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { withdrawExpiredOrder } = await sdk();
      return withdrawExpiredOrder(p, signer, { orderId }, { log: say });
    }),
  );

/** Where `npm run devnet` records the test ERC-20 it deploys on its first chain (devnet/sponsor.ts). */
const DEVNET_TOKEN_FILE = path.join(".devnet", "sponsor", "aa.json");

function devnetToken(): string {
  try {
    const { token } = JSON.parse(fs.readFileSync(DEVNET_TOKEN_FILE, "utf8")) as { token?: unknown };
    if (typeof token === "string") return token;
  } catch {
    // reported below
  }
  return fail(`no test ERC-20 recorded in ${DEVNET_TOKEN_FILE}: start the devnet (npm run devnet -- --keep) or pass --token`);
}

task(
  "devnet:mint-tusd",
  "Local devnets only: mint the open-mint test ERC-20 (TUSD) the market accepts, e.g. to buy or order keys with it",
)
  .addOptionalParam("to", "Receiving address (default: the --from account)")
  .addOptionalParam("amount", "Amount in whole tokens (default 1000)", "1000")
  .addOptionalParam("token", `The TestToken address (default: the devnet's, from ${DEVNET_TOKEN_FILE})`)
  .addOptionalParam("from", FROM, "0")
  .setAction(
    cli(async (a: { to?: string; amount: string; token?: string; from?: string }, hre) => {
      if (!isLocalNetwork(hre))
        fail(
          `devnet:mint-tusd mints a test token: only on local devnets (hardhat, localhost, devnetA, devnetB), not '${hre.network.name}'`,
        );
      const whole = parseUint("amount", a.amount, 10n ** 12n);
      if (whole === 0n) fail("bad --amount '0': mint at least 1 token");
      const token = a.token === undefined ? devnetToken() : parseAddress("token", a.token);
      const signer = await resolveSigner(hre, a.from);
      const to = a.to === undefined ? await signer.getAddress() : parseAddress("to", a.to);
      if ((await hre.ethers.provider.getCode(token)) === "0x")
        fail(`bad --token ${token}: no contract there on '${hre.network.name}' (a devnet restarted since? pass the current one)`);
      const { TestToken__factory } = await import("../sdk/typechain");
      const t = TestToken__factory.connect(token, signer);
      let decimals: bigint;
      try {
        decimals = await t.decimals();
        await t.mint.staticCall(to, 1n);
      } catch {
        return fail(`bad --token ${token}: not an open-mint test ERC-20 (TestToken)`);
      }
      const amount = whole * 10n ** decimals;
      await (await t.mint(to, amount)).wait();
      const p = await loadProtocol(hre);
      const accepted = await p.market.isAccepted(token);
      say(
        `minted ${whole} ${await t.symbol()} (${amount} units) to ${to}; balance ${await t.balanceOf(to)}` +
          (accepted ? "" : ` — the market does not accept ${token} yet (protocol:accept-token)`),
      );
      return { token, to, amount, balance: await t.balanceOf(to), accepted };
    }),
  );

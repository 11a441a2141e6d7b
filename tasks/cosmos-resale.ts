// Resale on the CosmWasm chain: resale:cosmos-list, -cancel, -buy, -offer, -accept, -listings,
// -offers and -rate — thin wrappers over sdk/cosmwasm-resale.ts. The chain comes from a chain
// registry (--chains, default the running devnet's), the signer from a mnemonic file. Amounts are
// in the contract's denom, smallest unit (ucosm on the devnet).
import fs from "node:fs";
import path from "node:path";
import { task } from "hardhat/config";
import type { CosmosChain } from "../sdk/chains";
import type { CosmosHexs } from "../sdk/cosmwasm-client";
import { cli, fail } from "./lib/errors";
import { say } from "./lib/log";
import { parseBps, parseId, parseUint } from "./lib/parse";

const U128_MAX = (1n << 128n) - 1n;

interface ChainArgs {
  chains?: string;
  chain?: string;
  mnemonicFile?: string;
}

const cosmos = () => Promise.all([import("../sdk/cosmwasm-client"), import("../sdk/cosmwasm-resale")]);

/** The CosmWasm chain the task acts on, from the registry file or the devnet's state. */
async function cosmosChainOf(a: ChainArgs): Promise<CosmosChain> {
  const { findChain } = await import("../sdk/chains");
  const { readDevnetRegistry, readRegistryFile } = await import("../sdk/node/deployments");
  const reg = a.chains
    ? fs.existsSync(a.chains)
      ? readRegistryFile(a.chains)
      : fail(`--chains '${a.chains}' does not exist: give a chain registry file ({ "chains": [ … ] })`)
    : readDevnetRegistry(path.resolve(__dirname, "..", ".devnet"));
  const c = a.chain
    ? findChain(reg, a.chain)
    : (reg.chains.find((x) => x.family === "cosmos") ?? fail("the registry has no cosmos chain: pass --chains"));
  if (c.family !== "cosmos") fail(`chain ${c.name} is an EVM chain: use the resale:* tasks there`);
  return c;
}

/** Connect as the mnemonic file's first account; without one (reads only) as a throwaway account. */
async function connect(a: ChainArgs, needSigner: boolean): Promise<CosmosHexs> {
  const chain = await cosmosChainOf(a);
  const { DirectSecp256k1HdWallet } = await import("@cosmjs/proto-signing");
  const prefix = chain.bech32Prefix ?? "wasm";
  let signer;
  if (a.mnemonicFile) {
    if (!fs.existsSync(a.mnemonicFile)) fail(`--mnemonic-file '${a.mnemonicFile}' does not exist`);
    const words = fs.readFileSync(a.mnemonicFile, "utf8").trim();
    try {
      signer = await DirectSecp256k1HdWallet.fromMnemonic(words, { prefix });
    } catch (e) {
      fail(`--mnemonic-file '${a.mnemonicFile}' does not hold a BIP-39 mnemonic: ${(e as Error).message}`);
    }
  } else if (needSigner) {
    fail("--mnemonic-file is required: a file holding the BIP-39 mnemonic of your account on the CosmWasm chain");
  } else {
    signer = await DirectSecp256k1HdWallet.generate(12, { prefix });
  }
  const [{ connectCosmos }] = await cosmos();
  return connectCosmos(chain, signer);
}

function withChain(t: ReturnType<typeof task>, signs: boolean) {
  t.addOptionalParam(
    "chains",
    'Chain registry file ({ "chains": [ … ] }); default: the running devnet\'s (.devnet)',
  ).addOptionalParam("chain", "The CosmWasm chain's name in the registry (default: its first cosmos chain)");
  if (signs) t.addOptionalParam("mnemonicFile", "File holding the BIP-39 mnemonic of the account that signs");
  else t.addOptionalParam("mnemonicFile", "Read as this account (optional)");
  return t;
}

const key = (v: string) => parseId("key", v);
const report = (txHash: string) => say(`  tx ${txHash}`);

withChain(
  task("resale:cosmos-list", "List a key you hold on the CosmWasm chain at a price (you keep the key until it is bought)"),
  true,
)
  .addParam("key", "The key id (or chain:serial)")
  .addParam("price", "Price in the contract's denom, smallest unit (ucosm on the devnet)")
  .setAction(
    cli(async (a: ChainArgs & { key: string; price: string }) => {
      const params = { keyId: key(a.key), price: parseUint("price", a.price, U128_MAX) };
      if (params.price === 0n) fail("bad --price '0': a listing needs a price above 0");
      const h = await connect(a, true);
      const [{ formatCoin }, { cosmosListKey }] = await cosmos();
      const r = await cosmosListKey(h, params);
      say(`listed key ${a.key} for ${formatCoin(r.price, h.denom)} as ${h.sender}`);
      report(r.txHash);
      return r;
    }),
  );

withChain(
  task("resale:cosmos-cancel", "Withdraw the listing of --key, or with --offer your offer for it (its escrow is sent back)"),
  true,
)
  .addParam("key", "The key id (or chain:serial)")
  .addFlag("offer", "Cancel your offer for the key instead of its listing")
  .setAction(
    cli(async (a: ChainArgs & { key: string; offer?: boolean }) => {
      const keyId = key(a.key);
      const h = await connect(a, true);
      const [{ formatCoin }, { cosmosCancelListing, cosmosCancelOffer }] = await cosmos();
      if (a.offer) {
        const r = await cosmosCancelOffer(h, { keyId });
        say(`offer for key ${a.key} cancelled: ${formatCoin(r.refunded, h.denom)} sent back to ${h.sender}`);
        report(r.txHash);
        return r;
      }
      const r = await cosmosCancelListing(h, { keyId });
      say(`listing of key ${a.key} withdrawn`);
      report(r.txHash);
      return r;
    }),
  );

withChain(task("resale:cosmos-buy", "Buy a key listed on the CosmWasm chain at its listed price"), true)
  .addParam("key", "The listed key id (or chain:serial)")
  .setAction(
    cli(async (a: ChainArgs & { key: string }) => {
      const keyId = key(a.key);
      const h = await connect(a, true);
      const [{ formatCoin }, { cosmosBuyListing }] = await cosmos();
      const r = await cosmosBuyListing(h, { keyId });
      say(
        `bought key ${a.key} from ${r.seller} for ${formatCoin(r.price, r.denom)} (royalty ${formatCoin(r.royalty, r.denom)} into model ${r.modelId}'s vault)`,
      );
      report(r.txHash);
      return r;
    }),
  );

withChain(
  task("resale:cosmos-offer", "Offer an amount for a key on the CosmWasm chain; it is escrowed until accepted or cancelled"),
  true,
)
  .addParam("key", "The key id (or chain:serial)")
  .addParam("amount", "Amount in the contract's denom, smallest unit")
  .addOptionalParam("validFor", "Seconds from now after which the offer can no longer be accepted (default: no expiry)")
  .setAction(
    cli(async (a: ChainArgs & { key: string; amount: string; validFor?: string }) => {
      const keyId = key(a.key);
      const amount = parseUint("amount", a.amount, U128_MAX);
      if (amount === 0n) fail("bad --amount '0': an offer needs an amount above 0");
      const validFor = a.validFor === undefined ? undefined : Number(parseUint("valid-for", a.validFor, 10n * 365n * 86_400n));
      if (validFor === 0) fail("bad --valid-for '0': an offer must be valid for at least one second");
      const h = await connect(a, true);
      const [{ formatCoin }, { cosmosMakeOffer }] = await cosmos();
      let expiresAt: number | undefined;
      if (validFor !== undefined) {
        const b = await h.client.getBlock();
        expiresAt = Math.floor(new Date(b.header.time).getTime() / 1000) + validFor;
      }
      const r = await cosmosMakeOffer(h, { keyId, amount, expiresAt });
      say(
        `offered ${formatCoin(amount, h.denom)} for key ${a.key} as ${h.sender}` +
          (expiresAt === undefined ? "" : `, acceptable until ${new Date(expiresAt * 1000).toISOString()}`),
      );
      report(r.txHash);
      return r;
    }),
  );

withChain(task("resale:cosmos-accept", "Accept an offer for a key you hold on the CosmWasm chain"), true)
  .addParam("key", "The key id (or chain:serial)")
  .addParam("bidder", "The bidder's address (resale:cosmos-offers lists them)")
  .setAction(
    cli(async (a: ChainArgs & { key: string; bidder: string }) => {
      const keyId = key(a.key);
      const h = await connect(a, true);
      const [{ formatCoin }, { cosmosAcceptOffer }] = await cosmos();
      const r = await cosmosAcceptOffer(h, { keyId, bidder: a.bidder });
      say(
        `sold key ${a.key} to ${r.buyer} for ${formatCoin(r.price, r.denom)} (royalty ${formatCoin(r.royalty, r.denom)}; the rest: claim)`,
      );
      report(r.txHash);
      return r;
    }),
  );

withChain(
  task("resale:cosmos-listings", "Listings on the CosmWasm chain: of a model's keys (--model) or a seller's (--seller)"),
  false,
)
  .addOptionalParam("model", "The model id (or chain:serial)")
  .addOptionalParam("seller", "A seller's address: the listings of the keys it holds")
  .setAction(
    cli(async (a: ChainArgs & { model?: string; seller?: string }) => {
      if ((a.model === undefined) === (a.seller === undefined)) fail("give one of --model or --seller");
      const modelId = a.model === undefined ? undefined : parseId("model", a.model);
      const h = await connect(a, false);
      const [{ formatCoin }, { cosmosListings, cosmosSellerListings }] = await cosmos();
      const ls = modelId === undefined ? await cosmosSellerListings(h, a.seller) : await cosmosListings(h, modelId);
      for (const l of ls)
        say(
          `key ${l.keyId}  ${formatCoin(l.price, l.denom)}  seller ${l.seller}${l.fillable ? "" : "  (void: cannot be bought)"}`,
        );
      if (ls.length === 0) say("no listings");
      return ls;
    }),
  );

withChain(task("resale:cosmos-offers", "Offers for a key on the CosmWasm chain"), false)
  .addParam("key", "The key id (or chain:serial)")
  .setAction(
    cli(async (a: ChainArgs & { key: string }) => {
      const keyId = key(a.key);
      const h = await connect(a, false);
      const [{ formatCoin }, { cosmosOffers }] = await cosmos();
      const os = await cosmosOffers(h, keyId);
      for (const o of os)
        say(
          `${o.bidder}  ${formatCoin(o.amount, o.denom)}` +
            (o.expiresAt === undefined
              ? ""
              : `  ${o.expired ? "expired" : "until"} ${new Date(o.expiresAt * 1000).toISOString()}`),
        );
      if (os.length === 0) say("no offers");
      return os;
    }),
  );

withChain(task("resale:cosmos-rate", "Set or change the resale royalty of your model published on the CosmWasm chain"), true)
  .addParam("model", "The model id (or chain:serial)")
  .addParam("bps", "Resale royalty in basis points, 0 to 2500, paid into the model's vault on each resale")
  .setAction(
    cli(async (a: ChainArgs & { model: string; bps: string }) => {
      const modelId = parseId("model", a.model);
      const bps = parseBps("bps", a.bps, 2500, 0);
      const h = await connect(a, true);
      const [, { cosmosSetResaleBps }] = await cosmos();
      const r = await cosmosSetResaleBps(h, { modelId, bps });
      say(`model ${a.model}'s resale royalty is now ${bps} bps`);
      report(r.txHash);
      return r;
    }),
  );

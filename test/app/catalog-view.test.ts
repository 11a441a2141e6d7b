// The catalog's card views (app/src/catalogView.ts), without a browser: derived in one pass over
// a 1,000-model catalog, they must say exactly what the former per-card scans said (parent's
// name, fork count, cheapest listed price), and the search must reach every model, not only the
// first screenful the page renders at once.
// Run: npx hardhat test test/app/catalog-view.test.ts
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { getAddress } from "ethers";
import type { ChainRegistry } from "../../sdk/chains";
import type { AppConfig } from "../../app/src/config";
import type { Catalog, ModelRow, PriceRow } from "../../app/src/indexer";

// The app's package is an ES module package ("type": "module"), which ts-node refuses to require
// from a CommonJS test: its sources are transpiled to CommonJS here instead (types only stripped).
const APP_SRC = path.resolve(__dirname, "../../app/src") + path.sep;
type TsHook = (m: NodeJS.Module & { _compile(code: string, file: string): void }, file: string) => void;
const exts = require.extensions as unknown as Record<string, TsHook>;
const tsHook = exts[".ts"];
exts[".ts"] = (m, file) => {
  if (!file.startsWith(APP_SRC)) return tsHook(m, file);
  const out = ts.transpileModule(fs.readFileSync(file, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: file,
  });
  m._compile(out.outputText, file);
};
type ViewModule = typeof import("../../app/src/catalogView");
type IndexerModule = typeof import("../../app/src/indexer");
type FormatModule = typeof import("../../app/src/format");
let cardViews: ViewModule["cardViews"];
let searchViews: ViewModule["searchViews"];
let metaOf: IndexerModule["metaOf"];
let formatId: IndexerModule["formatId"];
let formatPrice: FormatModule["formatPrice"];

const config: AppConfig = {
  indexerUrl: "http://127.0.0.1:1",
  registry: {
    chains: [
      { family: "evm", name: "devnetA", hexsChainId: 1 },
      { family: "evm", name: "devnetB", hexsChainId: 2 },
    ],
  } as unknown as ChainRegistry,
  sponsors: {},
};

const meta = (name: string, description: string) =>
  `data:application/json,${encodeURIComponent(JSON.stringify({ name, description }))}`;

/** 1,000 models on two chains, every fourth a fork of an earlier one, two or three prices each (some unlisted). */
function bigCatalog(): Catalog {
  const creators = Array.from({ length: 7 }, (_, i) => `0x${(i + 1).toString(16).padStart(2, "0").repeat(20)}`);
  const models: ModelRow[] = [];
  const prices: PriceRow[] = [];
  for (let i = 0; i < 1000; i++) {
    const home = (i % 2) + 1;
    const id = String((BigInt(home) << 32n) | BigInt(i + 1));
    const parentId = i % 4 === 3 ? models[(i * 37) % (i - 1)].id : "0";
    models.push({
      id,
      homeChain: home,
      creator: creators[i % creators.length],
      parentId,
      depth: null,
      upstreamBps: null,
      forkRoyaltyBps: null,
      daoBps: null,
      forkable: true,
      retired: false,
      contentCommitment: null,
      sdlLocator: null,
      // every tenth model has no readable metadata: the card falls back to its id
      metadataUri: i % 10 === 9 ? "ipfs://not-inline" : meta(`Model ${String(i).padStart(4, "0")}`, `description ${i}`),
      publishedAt: null,
      sales: i % 13,
      lineageSales: 0,
    });
    if (i % 11 === 5) continue; // never priced: "not for sale"
    prices.push({
      modelId: id,
      hexsChain: 1,
      currency: "0x" + "0".repeat(40),
      keyPrice: String(1000 + i),
      deploymentPrice: "0",
      listed: true,
    });
    prices.push({
      modelId: id,
      hexsChain: 2,
      currency: "0x" + "0".repeat(40),
      keyPrice: String(900 + (i % 200)),
      deploymentPrice: "0",
      listed: i % 3 !== 0,
    });
    // the cheapest price of all, but unlisted: never shown
    prices.push({
      modelId: id,
      hexsChain: 2,
      currency: "0x" + "ab".repeat(20),
      keyPrice: "1",
      deploymentPrice: "0",
      listed: false,
    });
  }
  return { models, copies: [], prices, sales: [] };
}

/** What the catalog card computed before, by scanning the whole lists for each card. */
function scanned(cat: Catalog, m: ModelRow) {
  const parent = m.parentId !== "0" ? cat.models.find((x) => x.id === m.parentId) : undefined;
  const listed = cat.prices.filter((p) => p.modelId === m.id && p.listed);
  const cheapest = listed.sort((a, b) => (BigInt(a.keyPrice) < BigInt(b.keyPrice) ? -1 : 1))[0];
  const forks = cat.models.filter((x) => x.parentId === m.id).length;
  const chain = (n: number) => (n === 1 ? "Devnet A" : "Devnet B");
  return {
    lineage: parent ? `fork of ${metaOf(parent).name}` : forks ? `original · ${forks} fork${forks > 1 ? "s" : ""}` : "original",
    from: cheapest ? `${formatPrice(cheapest.keyPrice, cheapest.currency)} on ${chain(cheapest.hexsChain)}` : "not for sale",
  };
}

describe("app catalog card views (derived once per catalog)", function () {
  let cat: Catalog;
  let views: ReturnType<ViewModule["cardViews"]>;

  before(async () => {
    ({ cardViews, searchViews } = await import("../../app/src/catalogView"));
    ({ metaOf, formatId } = await import("../../app/src/indexer"));
    ({ formatPrice } = await import("../../app/src/format"));
    cat = bigCatalog();
    views = cardViews(cat, config);
  });
  after(() => {
    exts[".ts"] = tsHook;
  });

  it("match the per-card scans for all 1,000 models: parent's name, fork count, cheapest listed price, creator, home", () => {
    expect(views).to.have.length(1000);
    let forks = 0;
    let forSale = 0;
    cat.models.forEach((m, i) => {
      const v = views[i];
      const want = scanned(cat, m);
      expect(v.id, `model ${i}`).to.equal(m.id);
      expect(v.name, `model ${i}`).to.equal(metaOf(m).name);
      expect(v.lineage, `model ${i}`).to.equal(want.lineage);
      expect(v.from, `model ${i}`).to.equal(want.from);
      expect(v.creator).to.equal(getAddress(m.creator));
      expect(v.home).to.equal(m.homeChain === 1 ? "Devnet A" : "Devnet B");
      expect(v.sales).to.equal(m.sales);
      if (v.lineage.includes("fork")) forks++;
      if (v.from !== "not for sale") forSale++;
    });
    // the catalog does exercise every branch
    expect(forks).to.be.greaterThan(250);
    expect(forSale).to.be.within(900, 950);
    expect(views.some((v) => v.name.startsWith("Model ") && v.name.includes("("))).to.equal(true, "fallback names");
  });

  it("search reaches models far past the first screenful: by name, global id, home:serial, creator; blank shows all", () => {
    const last = cat.models[998];
    expect(searchViews(views, "  model 0998 ").map((v) => v.id)).to.deep.equal([last.id]);
    expect(searchViews(views, formatId(last.id).split(" ")[1]).map((v) => v.id)).to.include(last.id);
    expect(searchViews(views, last.id).map((v) => v.id)).to.include(last.id);
    expect(searchViews(views, last.creator.toUpperCase().slice(2))).to.have.length(Math.ceil((1000 - (998 % 7)) / 7));
    expect(searchViews(views, "DESCRIPTION 998").map((v) => v.id)).to.deep.equal([last.id]);
    expect(searchViews(views, "   ")).to.equal(views);
    expect(searchViews(views, "no such model")).to.deep.equal([]);
  });

  it("a refetched catalog (new objects, same facts) gives equal views, so memoized cards skip re-rendering", () => {
    const again = cardViews(JSON.parse(JSON.stringify(cat)) as Catalog, config);
    expect(again).to.deep.equal(views);
    const sold = JSON.parse(JSON.stringify(cat)) as Catalog;
    sold.models[500].sales += 1;
    const changed = cardViews(sold, config).filter((v, i) => JSON.stringify(v) !== JSON.stringify(views[i]));
    expect(changed.map((v) => v.id)).to.deep.equal([cat.models[500].id]);
  });
  it("a model from a Cosmos chain (no EVM price): its creator as that chain writes it, 'priced on' its home, searchable by it", () => {
    const withCosmos: AppConfig = {
      ...config,
      registry: {
        chains: [...config.registry.chains, { family: "cosmos", name: "devnetC", hexsChainId: 100 }],
      } as unknown as ChainRegistry,
    };
    const id = String((100n << 32n) | 1n);
    const cosmos = bigCatalog();
    cosmos.models.push({
      ...cosmos.models[0],
      id,
      homeChain: 100,
      creator: "0x" + "cd".repeat(20),
      creatorAccount: "wasm1creator0000000000000000000000000xyz",
      parentId: "0",
    });
    const [v] = cardViews(cosmos, withCosmos).filter((x) => x.id === id);
    expect([v.creator, v.home, v.from]).to.deep.equal([
      "wasm1creator0000000000000000000000000xyz",
      "Devnet C",
      "priced on Devnet C",
    ]);
    expect(searchViews(cardViews(cosmos, withCosmos), "WASM1CREATOR").map((x) => x.id)).to.deep.equal([id]);
    // an EVM model without a listed price still says it is not for sale
    expect(cardViews(cosmos, withCosmos).find((x) => x.id === cat.models[5].id)!.from).to.equal("not for sale");
  });
});

// What each catalog card shows, derived once per catalog in linear time (maps by model id)
// instead of every card scanning the model and price lists (quadratic over 1,000 cards).
import type { AppConfig } from "./config";
import { chainLabel } from "./config";
import { formatId, metaOf, type Catalog } from "./indexer";
import { checksum, formatPrice } from "./format";

/** What one card shows, as plain values (so React.memo can skip unchanged cards on a refetch). */
export interface CardView {
  id: string;
  name: string;
  description: string;
  creator: string;
  home: string;
  lineage: string;
  sales: number;
  from: string;
  /** lower-case text the search box matches: name, description, ids, creator */
  haystack: string;
}

/** Every card's view in one pass over the catalog: model by id, cheapest listed price and fork count per model. */
export function cardViews(catalog: Catalog, config: AppConfig): CardView[] {
  const names = new Map<string, string>();
  const descriptions = new Map<string, string>();
  const forks = new Map<string, number>();
  for (const m of catalog.models) {
    const meta = metaOf(m);
    names.set(m.id, meta.name);
    descriptions.set(m.id, meta.description);
    if (m.parentId !== "0") forks.set(m.parentId, (forks.get(m.parentId) ?? 0) + 1);
  }
  const cheapest = new Map<string, Catalog["prices"][number]>();
  for (const p of catalog.prices) {
    if (!p.listed) continue;
    const best = cheapest.get(p.modelId);
    if (!best || BigInt(p.keyPrice) < BigInt(best.keyPrice)) cheapest.set(p.modelId, p);
  }
  // a few creators publish many models: checksum (a keccak) each address once
  const creators = new Map<string, string>();
  const label = (hexsChain: number) => chainLabel(config.registry, hexsChain);
  return catalog.models.map((m) => {
    // a creator on a chain the indexer does not read, as that chain writes it (wasm1…)
    let creator = m.creatorAccount ?? creators.get(m.creator);
    if (creator === undefined) creators.set(m.creator, (creator = checksum(m.creator)));
    const parentName = m.parentId !== "0" ? names.get(m.parentId) : undefined;
    const n = forks.get(m.id) ?? 0;
    const p = cheapest.get(m.id);
    const name = names.get(m.id)!;
    const description = descriptions.get(m.id)!;
    return {
      id: m.id,
      name,
      description,
      creator,
      home: label(m.homeChain),
      lineage: parentName ? `fork of ${parentName}` : n ? `original · ${n} fork${n > 1 ? "s" : ""}` : "original",
      sales: m.sales,
      from: p
        ? `${formatPrice(p.keyPrice, p.currency)} on ${label(p.hexsChain)}`
        : // a chain the indexer does not read prices its own models: the model page reads that chain
          config.registry.chains.some((c) => c.hexsChainId === m.homeChain && c.family !== "evm")
          ? `priced on ${label(m.homeChain)}`
          : "not for sale",
      haystack: [name, description, m.id, formatId(m.id), m.creator, m.creatorAccount ?? ""].join("\n").toLowerCase(),
    };
  });
}

/** The views whose name, description, ids or creator contain the needle (case-insensitive); all when it is blank. */
export function searchViews(views: CardView[], query: string): CardView[] {
  const needle = query.trim().toLowerCase();
  return needle ? views.filter((v) => v.haystack.includes(needle)) : views;
}

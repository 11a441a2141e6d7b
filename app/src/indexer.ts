// The indexer's GraphQL API (indexer/, Ponder): the whole catalog in one query, and what the app
// derives from it (names from metadata, trending with forks counted toward their ancestors).
export interface ModelRow {
  id: string;
  homeChain: number;
  creator: string;
  /** The creator as its home chain spells it (e.g. `wasm1…`), for a model from a chain the indexer does not read. */
  creatorAccount?: string | null;
  parentId: string;
  depth: number | null;
  upstreamBps: number | null;
  forkRoyaltyBps: number | null;
  daoBps: number | null;
  forkable: boolean | null;
  retired: boolean;
  contentCommitment: string | null;
  sdlLocator: string | null;
  metadataUri: string | null;
  publishedAt: string | null;
  sales: number;
  lineageSales: number;
}
export interface CopyRow {
  modelId: string;
  hexsChain: number;
  mirrored: boolean;
  keysSold: number;
}
export interface PriceRow {
  modelId: string;
  hexsChain: number;
  currency: string;
  keyPrice: string;
  deploymentPrice: string;
  listed: boolean;
}
export interface SaleRow {
  keyId: string;
  modelId: string;
  hexsChain: number;
  buyer: string;
  keyPrice: string;
  currency: string;
  timestamp: string;
  txHash: string;
}
export interface Catalog {
  models: ModelRow[];
  copies: CopyRow[];
  prices: PriceRow[];
  sales: SaleRow[];
}

const CATALOG_QUERY = `{
  models(limit: 1000, orderBy: "id", orderDirection: "asc") { items {
    id homeChain creator creatorAccount parentId depth upstreamBps forkRoyaltyBps daoBps forkable retired
    contentCommitment sdlLocator metadataUri publishedAt sales lineageSales } }
  modelChains(limit: 1000) { items { modelId hexsChain mirrored keysSold } }
  prices(limit: 1000) { items { modelId hexsChain currency keyPrice deploymentPrice listed } }
  sales(limit: 1000, orderBy: "timestamp", orderDirection: "desc") { items { keyId modelId hexsChain buyer keyPrice currency timestamp txHash } }
}`;

export async function loadCatalog(indexerUrl: string): Promise<Catalog> {
  let res: Response;
  try {
    res = await fetch(`${indexerUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: CATALOG_QUERY }),
    });
  } catch {
    throw new Error(`the indexer at ${indexerUrl} is unreachable`);
  }
  const body = (await res.json()) as {
    data?: {
      models: { items: ModelRow[] };
      modelChains: { items: CopyRow[] };
      prices: { items: PriceRow[] };
      sales: { items: SaleRow[] };
    };
    errors?: { message: string }[];
  };
  if (!body.data) throw new Error(`indexer: ${body.errors?.map((e) => e.message).join("; ") ?? `HTTP ${res.status}`}`);
  // the first catalog's arrival, for bench/app.ts's trace (User Timing; once, not every refetch)
  if (!performance.getEntriesByName("hexs:catalog-fetched").length) performance.mark("hexs:catalog-fetched");
  return {
    models: body.data.models.items,
    copies: body.data.modelChains.items,
    prices: body.data.prices.items,
    sales: body.data.sales.items,
  };
}

export interface Meta {
  name: string;
  description: string;
}

/** Name and description from a model's metadata URI (a data: URI with JSON); a fallback name otherwise. */
export function metaOf(m: ModelRow): Meta {
  const fallback = { name: `Model ${formatId(m.id)}`, description: "" };
  const uri = m.metadataUri ?? "";
  const prefix = "data:application/json,";
  if (!uri.startsWith(prefix)) return fallback;
  try {
    const j = JSON.parse(decodeURIComponent(uri.slice(prefix.length))) as Partial<Meta>;
    return { name: typeof j.name === "string" && j.name ? j.name : fallback.name, description: j.description ?? "" };
  } catch {
    return fallback;
  }
}

/** `4294967297 (1:1)`: the global id with its home chain and serial. */
export function formatId(id: string | bigint): string {
  const n = BigInt(id);
  return `${n} (${n >> 32n}:${n & 0xffffffffn})`;
}

/** The model's ancestors, nearest first. */
export function ancestorsOf(models: Map<string, ModelRow>, id: string): ModelRow[] {
  const out: ModelRow[] = [];
  let cur = models.get(id);
  for (let hop = 0; cur && cur.parentId !== "0" && hop < 64; hop++) {
    const p = models.get(cur.parentId);
    if (!p) break;
    out.push(p);
    cur = p;
  }
  return out;
}

export interface Trend {
  model: ModelRow;
  /** Sales in the window of the model itself and of all its forks, on every chain. */
  score: number;
  own: number;
}

/** Rank models by recent key sales across all chains, each fork's sales counted toward every ancestor. */
export function trending(cat: Catalog, windowSeconds: number, nowSeconds: number): Trend[] {
  const byId = new Map(cat.models.map((m) => [m.id, m]));
  const score = new Map<string, number>();
  const own = new Map<string, number>();
  for (const s of cat.sales) {
    if (Number(s.timestamp) < nowSeconds - windowSeconds) continue;
    own.set(s.modelId, (own.get(s.modelId) ?? 0) + 1);
    for (const m of [byId.get(s.modelId), ...ancestorsOf(byId, s.modelId)]) {
      if (m) score.set(m.id, (score.get(m.id) ?? 0) + 1);
    }
  }
  return [...score.entries()]
    .map(([id, n]) => ({ model: byId.get(id)!, score: n, own: own.get(id) ?? 0 }))
    .filter((t) => t.model)
    .sort((a, b) => b.score - a.score || a.model.id.localeCompare(b.model.id));
}

export interface HoldingRow {
  keyId: string;
  modelId: string;
  hexsChain: number;
  owner: string;
  held: boolean;
  locked: boolean;
  expiresAt: string;
  arrived: boolean;
  updatedAt: string;
}

const HOLDING_FIELDS = "keyId modelId hexsChain owner held locked expiresAt arrived updatedAt";

async function gql<T>(indexerUrl: string, query: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${indexerUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query }),
    });
  } catch {
    throw new Error(`the indexer at ${indexerUrl} is unreachable`);
  }
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (!body.data) throw new Error(`indexer: ${body.errors?.map((e) => e.message).join("; ") ?? `HTTP ${res.status}`}`);
  return body.data;
}

export interface Holdings {
  /** Keys the account holds now, on each chain. */
  held: HoldingRow[];
  /** Keys it moved away that no chain holds yet (the move's message is on its way). */
  moving: HoldingRow[];
}

/** The keys an EVM account holds on every indexed chain, and the ones it is moving. */
export async function loadHoldings(indexerUrl: string, owner: string): Promise<Holdings> {
  const me = owner.toLowerCase();
  if (!/^0x[0-9a-f]{40}$/.test(me)) throw new Error(`not an EVM address: ${owner}`);
  const mine = (
    await gql<{ keyHoldings: { items: HoldingRow[] } }>(
      indexerUrl,
      `{ keyHoldings(where: { owner: "${me}" }, limit: 1000, orderBy: "keyId") { items { ${HOLDING_FIELDS} } } }`,
    )
  ).keyHoldings.items;
  const held = mine.filter((h) => h.held);
  const gone = [...new Set(mine.filter((h) => !h.held).map((h) => h.keyId))].filter((k) => !held.some((h) => h.keyId === k));
  let moving: HoldingRow[] = [];
  if (gone.length) {
    const all = (
      await gql<{ keyHoldings: { items: HoldingRow[] } }>(
        indexerUrl,
        `{ keyHoldings(where: { keyId_in: [${gone.map((k) => `"${k}"`).join(",")}] }, limit: 1000) { items { ${HOLDING_FIELDS} } } }`,
      )
    ).keyHoldings.items;
    moving = mine.filter(
      (h) => !h.held && gone.includes(h.keyId) && !all.some((x) => x.keyId === h.keyId && (x.held || x.owner !== me)),
    );
  }
  return { held, moving };
}

export type KeyState = "live" | "expiring" | "expired";

/** Live (never expires, or more than `soonSeconds` left), expiring (less), or expired. */
export function keyState(h: Pick<HoldingRow, "expiresAt">, nowSeconds: number, soonSeconds = 7 * 24 * 3600): KeyState {
  const exp = Number(h.expiresAt);
  if (exp === 0) return "live";
  if (exp <= nowSeconds) return "expired";
  return exp - nowSeconds < soonSeconds ? "expiring" : "live";
}

export interface ListingRow {
  keyId: string;
  modelId: string;
  hexsChain: number;
  seller: string;
  currency: string;
  price: string;
  leaseEscrow: number;
  listedAt: string;
  txHash: string;
}

/** Keys for sale now (the indexer's /market/listings): one model's, or one seller's. */
export async function loadListings(indexerUrl: string, by: { model?: string; seller?: string }): Promise<ListingRow[]> {
  const q = new URLSearchParams();
  if (by.model) q.set("model", by.model);
  if (by.seller) q.set("seller", by.seller.toLowerCase());
  let res: Response;
  try {
    res = await fetch(`${indexerUrl}/market/listings?${q}`);
  } catch {
    throw new Error(`the indexer at ${indexerUrl} is unreachable`);
  }
  const body = (await res.json()) as { listings?: ListingRow[]; error?: string };
  if (!res.ok || !body.listings) throw new Error(`indexer: ${body.error ?? `HTTP ${res.status}`}`);
  return body.listings;
}

export interface OfferRow {
  offerId: string;
  keyId: string;
  modelId: string;
  hexsChain: number;
  buyer: string;
  currency: string;
  amount: string;
  validUntil: string;
  state: "open" | "accepted" | "cancelled";
  /** An open offer past its valid-until: the market refuses to accept it; its maker withdraws it. */
  expired: boolean;
}

async function market<T>(indexerUrl: string, path: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${indexerUrl}${path}`);
  } catch {
    throw new Error(`the indexer at ${indexerUrl} is unreachable`);
  }
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`indexer: ${body.error ?? `HTTP ${res.status}`}`);
  return body;
}

/** Open offers (the indexer's /market/offers): one model's, one key's on one chain, several keys' (each on its chain), or one buyer's. */
export async function loadOffers(
  indexerUrl: string,
  by: { model?: string; key?: string; chain?: number; buyer?: string; keys?: { hexsChain: number; keyId: string }[] },
): Promise<OfferRow[]> {
  const q = new URLSearchParams();
  if (by.keys) q.set("keys", by.keys.map((k) => `${k.hexsChain}:${k.keyId}`).join(","));
  if (by.model) q.set("model", by.model);
  if (by.key) q.set("key", by.key);
  if (by.chain !== undefined) q.set("chain", String(by.chain));
  if (by.buyer) q.set("buyer", by.buyer.toLowerCase());
  return (await market<{ offers: OfferRow[] }>(indexerUrl, `/market/offers?${q}`)).offers;
}

export interface OfferableKey {
  keyId: string;
  hexsChain: number;
  owner: string;
}

/** A model's keys held now and not soul-bound, where each is held (/market/keys). */
export async function loadOfferableKeys(indexerUrl: string, model: string): Promise<OfferableKey[]> {
  return (await market<{ keys: OfferableKey[] }>(indexerUrl, `/market/keys?model=${encodeURIComponent(model)}`)).keys;
}

/** A model page's market in one request (/market/model/<id>): open listings, open offers, keys that can take one. */
export interface ModelMarket {
  listings: ListingRow[];
  offers: OfferRow[];
  keys: OfferableKey[];
}

export async function loadModelMarket(indexerUrl: string, model: string): Promise<ModelMarket> {
  const r = await market<ModelMarket>(indexerUrl, `/market/model/${encodeURIComponent(model)}`);
  return { listings: r.listings, offers: r.offers, keys: r.keys };
}

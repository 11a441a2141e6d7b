// HTTP API for the app: GraphQL at / and /graphql (with `_meta` for indexing status), SQL over
// HTTP at /sql/*, and the secondary market as plain JSON at /market/*. Ponder's server adds CORS
// for every origin (the app is served elsewhere).
import { db } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { and, client, desc, eq, graphql, inArray, replaceBigInts } from "ponder";

const app = new Hono();
app.use("/sql/*", client({ db, schema }));

/** A decimal id (a model or key id: Hexs chain << 32 | serial), or undefined. */
const idParam = (v: string | undefined): bigint | undefined => (v && /^[0-9]{1,30}$/.test(v) ? BigInt(v) : undefined);
const json = <T>(v: T) => replaceBigInts(v, (x) => String(x));

// The keys for sale now: open listings whose seller still holds the key, newest first;
// `?model=<id>` for one model's, `?seller=<0x…>` for one account's.
app.get("/market/listings", async (c) => {
  const model = c.req.query("model");
  const seller = c.req.query("seller")?.toLowerCase();
  const modelId = idParam(model);
  if (model !== undefined && modelId === undefined) return c.json({ error: `bad model id '${model}': a decimal id` }, 400);
  if (seller !== undefined && !/^0x[0-9a-f]{40}$/.test(seller))
    return c.json({ error: `bad seller '${seller}': a 0x-prefixed EVM address` }, 400);
  const rows = await db
    .select()
    .from(schema.listing)
    .where(
      and(
        eq(schema.listing.active, true),
        eq(schema.listing.stale, false),
        modelId !== undefined ? eq(schema.listing.modelId, modelId) : undefined,
        seller !== undefined ? eq(schema.listing.seller, seller as `0x${string}`) : undefined,
      ),
    )
    .orderBy(desc(schema.listing.listedAt))
    .limit(500);
  return c.json({ listings: json(rows) });
});

// Everything a model page's market sections show, in one request per tick: its resales (newest
// first), open offers (with `expired`), open fillable listings (newest first) and the keys that can
// take an offer (held, not soul-bound).
app.get("/market/model/:id", async (c) => {
  const modelId = idParam(c.req.param("id"));
  if (modelId === undefined) return c.json({ error: `bad model id '${c.req.param("id")}': a decimal id` }, 400);
  const [sales, offers, listings, keys] = await Promise.all([
    db.select().from(schema.resale).where(eq(schema.resale.modelId, modelId)).orderBy(desc(schema.resale.timestamp)).limit(200),
    db
      .select()
      .from(schema.offer)
      .where(and(eq(schema.offer.modelId, modelId), eq(schema.offer.state, "open")))
      .orderBy(desc(schema.offer.updatedAt), desc(schema.offer.offerId))
      .limit(500),
    db
      .select()
      .from(schema.listing)
      .where(and(eq(schema.listing.modelId, modelId), eq(schema.listing.active, true), eq(schema.listing.stale, false)))
      .orderBy(desc(schema.listing.listedAt))
      .limit(500),
    db
      .select()
      .from(schema.keyHolding)
      .where(and(eq(schema.keyHolding.modelId, modelId), eq(schema.keyHolding.held, true), eq(schema.keyHolding.locked, false)))
      .orderBy(schema.keyHolding.keyId)
      .limit(1000),
  ]);
  const now = BigInt(Math.floor(Date.now() / 1000));
  return c.json({
    resales: json(sales),
    offers: json(offers.map((r) => ({ ...r, expired: r.validUntil <= now }))),
    listings: json(listings),
    keys: json(keys.map(({ keyId, hexsChain, owner, expiresAt }) => ({ keyId, hexsChain, owner, expiresAt }))),
  });
});

const ADDRESS = /^0x[0-9a-f]{40}$/;

/** At most this many keys in one `?keys=` (a page's key cards, polled together). */
const MAX_KEYS = 200;

// Escrowed offers, newest first: open ones (default) or every state with `?state=all`; filtered by
// `?model=`, `?key=` (with `?chain=` for one chain's), `?keys=<chain>:<key>,…` (several keys, each
// where it is: one request for a page of key cards), `?buyer=<0x…>`. `expired` says whether an
// open offer's valid-until has passed (the contract refuses to accept it then; its maker cancels).
app.get("/market/offers", async (c) => {
  const q = (k: string) => c.req.query(k);
  const modelId = idParam(q("model"));
  const keyId = idParam(q("key"));
  const keysText = q("keys");
  let keys: Set<string> | undefined;
  if (keysText !== undefined) {
    const pairs = keysText === "" ? [] : keysText.split(",");
    if (pairs.length > MAX_KEYS) return c.json({ error: `too many keys (${pairs.length}): at most ${MAX_KEYS}` }, 400);
    const bad = pairs.find((p) => !/^[0-9]{1,10}:[0-9]{1,30}$/.test(p));
    if (bad !== undefined) return c.json({ error: `bad key '${bad}' in keys: <Hexs chain id>:<key id>, comma-separated` }, 400);
    keys = new Set(
      pairs.map((p) =>
        p
          .split(":")
          .map((x) => BigInt(x).toString())
          .join(":"),
      ),
    );
    if (keys.size === 0) return c.json({ offers: [] });
  }
  const chain = q("chain");
  const buyer = q("buyer")?.toLowerCase();
  const state = q("state") ?? "open";
  if (q("model") !== undefined && modelId === undefined)
    return c.json({ error: `bad model id '${q("model")}': a decimal id` }, 400);
  if (q("key") !== undefined && keyId === undefined) return c.json({ error: `bad key id '${q("key")}': a decimal id` }, 400);
  if (chain !== undefined && !/^[0-9]{1,10}$/.test(chain))
    return c.json({ error: `bad chain '${chain}': a Hexs chain id (a number)` }, 400);
  if (buyer !== undefined && !ADDRESS.test(buyer))
    return c.json({ error: `bad buyer '${buyer}': a 0x-prefixed EVM address` }, 400);
  if (!["open", "accepted", "cancelled", "all"].includes(state))
    return c.json({ error: `bad state '${state}': open, accepted, cancelled or all` }, 400);
  const rows = await db
    .select()
    .from(schema.offer)
    .where(
      and(
        state !== "all" ? eq(schema.offer.state, state) : undefined,
        modelId !== undefined ? eq(schema.offer.modelId, modelId) : undefined,
        keyId !== undefined ? eq(schema.offer.keyId, keyId) : undefined,
        keys
          ? inArray(
              schema.offer.keyId,
              [...keys].map((k) => BigInt(k.split(":")[1])),
            )
          : undefined,
        chain !== undefined ? eq(schema.offer.hexsChain, Number(chain)) : undefined,
        buyer !== undefined ? eq(schema.offer.buyer, buyer as `0x${string}`) : undefined,
      ),
    )
    .orderBy(desc(schema.offer.updatedAt), desc(schema.offer.offerId))
    .limit(500);
  const now = BigInt(Math.floor(Date.now() / 1000));
  // a key id names the chain that minted it, not where it is now: keep each key's offers on the asked chain
  const wanted = keys ? rows.filter((r) => keys.has(`${r.hexsChain}:${r.keyId}`)) : rows;
  return c.json({ offers: json(wanted.map((r) => ({ ...r, expired: r.state === "open" && r.validUntil <= now }))) });
});

// A model's keys that can take an offer: held now and not soul-bound (one row per key, where it is).
app.get("/market/keys", async (c) => {
  const modelId = idParam(c.req.query("model"));
  if (modelId === undefined) return c.json({ error: `bad model id '${c.req.query("model") ?? ""}': a decimal id` }, 400);
  const rows = await db
    .select()
    .from(schema.keyHolding)
    .where(and(eq(schema.keyHolding.modelId, modelId), eq(schema.keyHolding.held, true), eq(schema.keyHolding.locked, false)))
    .orderBy(schema.keyHolding.keyId)
    .limit(1000);
  return c.json({ keys: json(rows.map(({ keyId, hexsChain, owner, expiresAt }) => ({ keyId, hexsChain, owner, expiresAt }))) });
});

app.use("/", graphql({ db, schema }));
app.use("/graphql", graphql({ db, schema }));

export default app;

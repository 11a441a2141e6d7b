// HTTP API for the app: GraphQL at / and /graphql (with `_meta` for indexing status), SQL over
// HTTP at /sql/*, and the secondary market as plain JSON at /market/*. Ponder's server adds CORS
// for every origin (the app is served elsewhere).
import { db } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { and, client, desc, eq, graphql, replaceBigInts } from "ponder";

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

// A model's resales (newest first) and open offers.
app.get("/market/model/:id", async (c) => {
  const modelId = idParam(c.req.param("id"));
  if (modelId === undefined) return c.json({ error: `bad model id '${c.req.param("id")}': a decimal id` }, 400);
  const [sales, offers] = await Promise.all([
    db.select().from(schema.resale).where(eq(schema.resale.modelId, modelId)).orderBy(desc(schema.resale.timestamp)).limit(200),
    db
      .select()
      .from(schema.offer)
      .where(and(eq(schema.offer.modelId, modelId), eq(schema.offer.state, "open")))
      .limit(200),
  ]);
  return c.json({ resales: json(sales), offers: json(offers) });
});

app.use("/", graphql({ db, schema }));
app.use("/graphql", graphql({ db, schema }));

export default app;

// HTTP API for the app: GraphQL at / and /graphql (with `_meta` for indexing status), SQL over
// HTTP at /sql/*. Ponder's server adds CORS for every origin (the app is served elsewhere).
import { db } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { client, graphql } from "ponder";

const app = new Hono();
app.use("/sql/*", client({ db, schema }));
app.use("/", graphql({ db, schema }));
app.use("/graphql", graphql({ db, schema }));

export default app;

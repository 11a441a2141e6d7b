// The catalog: every model of every chain (each chain mirrors every model, so one index covers
// them), a search box, and trending — recent key sales across chains, forks counted toward
// their ancestors.
// A catalog of 1,000 models must be usable within a second: what the cards show is derived once
// per catalog (maps, not a scan of every list per card), cards are memoized on plain values (the
// catalog is refetched every few seconds as new objects), the first screenful is rendered at once
// and the rest in idle-time chunks, and off-screen cards skip layout and paint (styles.css).
import { memo, useEffect, useLayoutEffect, useMemo, useState } from "react";
import type { AppConfig } from "./config";
import { formatId, metaOf, trending, type Catalog } from "./indexer";
import { short } from "./format";
import { cardViews, searchViews, type CardView } from "./catalogView";

const WEEK = 7 * 24 * 3600;
/** Cards rendered in the first commit: more than a tall screen holds at 300 px columns. */
const FIRST_CARDS = 48;
/** Cards added per idle callback after the first screenful. */
const CHUNK_CARDS = 150;

const ModelCard = memo(function ModelCard({ v }: { v: CardView }) {
  return (
    <li className="card">
      <a href={`#/model/${v.id}`} className="card-title">
        {v.name}
      </a>
      <p className="muted small">{v.description || "No description."}</p>
      <dl className="facts">
        <dt>Creator</dt>
        <dd title={v.creator}>{short(v.creator)}</dd>
        <dt>Home</dt>
        <dd>{v.home}</dd>
        <dt>Lineage</dt>
        <dd>{v.lineage}</dd>
        <dt>Keys sold</dt>
        <dd>{v.sales}</dd>
        <dt>From</dt>
        <dd>{v.from}</dd>
      </dl>
      <span className="muted small">id {formatId(v.id)}</span>
    </li>
  );
}, sameCard);

/** Views are rebuilt on every refetch: a card re-renders only when something it shows changed. */
function sameCard(a: { v: CardView }, b: { v: CardView }): boolean {
  const x = a.v;
  const y = b.v;
  return (
    x.id === y.id &&
    x.name === y.name &&
    x.description === y.description &&
    x.creator === y.creator &&
    x.home === y.home &&
    x.lineage === y.lineage &&
    x.sales === y.sales &&
    x.from === y.from
  );
}

type Idle = (cb: () => void) => number;
const whenIdle: Idle = (cb) =>
  typeof window.requestIdleCallback === "function" ? window.requestIdleCallback(cb, { timeout: 200 }) : window.setTimeout(cb, 16);
const cancelIdle = (h: number) =>
  typeof window.cancelIdleCallback === "function" ? window.cancelIdleCallback(h) : window.clearTimeout(h);

/** How many of `total` items to render: the first screenful now, the rest added in idle-time chunks. */
function useIncremental(total: number): number {
  const [limit, setLimit] = useState(FIRST_CARDS);
  useEffect(() => {
    if (limit >= total) return;
    const h = whenIdle(() => setLimit((l) => l + CHUNK_CARDS));
    return () => cancelIdle(h);
  }, [limit, total]);
  return Math.min(limit, total);
}

export function CatalogPage({ config, catalog }: { config: AppConfig; catalog: Catalog }) {
  const [q, setQ] = useState("");
  const trends = useMemo(() => trending(catalog, WEEK, Date.now() / 1000).slice(0, 5), [catalog]);
  const views = useMemo(() => cardViews(catalog, config), [catalog, config]);
  // the search covers every model, not only the cards rendered so far
  const shown = useMemo(() => searchViews(views, q), [q, views]);
  const limit = useIncremental(shown.length);
  // User Timing marks for bench/app.ts's trace (cheap; nothing reads them in normal use)
  useLayoutEffect(() => {
    performance.mark("hexs:catalog-first-commit");
  }, []);
  const complete = limit === shown.length;
  useEffect(() => {
    if (complete && !q) performance.mark("hexs:catalog-all-cards");
  }, [complete, q]);
  return (
    <>
      <section aria-labelledby="trending-h">
        <h2 id="trending-h">Trending this week</h2>
        <p className="muted small">
          Key sales on every chain in the last 7 days; a fork's sales count toward the models it forks.
        </p>
        {trends.length === 0 ? (
          <p className="muted">No sales yet.</p>
        ) : (
          <ol className="trending" aria-label="trending models">
            {trends.map((t, i) => (
              <li key={t.model.id}>
                <span className="rank">{i + 1}</span>
                <a href={`#/model/${t.model.id}`}>{metaOf(t.model).name}</a>
                <span className="muted small">
                  {t.score} sale{t.score === 1 ? "" : "s"} in its lineage ({t.own} of its own)
                </span>
              </li>
            ))}
          </ol>
        )}
      </section>
      <section aria-labelledby="catalog-h">
        <div className="row">
          <h2 id="catalog-h">All models ({catalog.models.length})</h2>
          <label className="search">
            <span>Search models</span>
            <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="name, id or creator" />
          </label>
        </div>
        {shown.length === 0 ? (
          <p className="muted">No model matches “{q}”.</p>
        ) : (
          <ul className="cards catalog" aria-label="models" aria-busy={complete ? undefined : true}>
            {shown.slice(0, limit).map((v) => (
              <ModelCard key={v.id} v={v} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

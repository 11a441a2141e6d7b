// The catalog: every model of every chain (each chain mirrors every model, so one index covers
// them), a search box, and trending — recent key sales across chains, forks counted toward
// their ancestors.
import { useMemo, useState } from "react";
import type { AppConfig } from "./config";
import { chainLabel } from "./config";
import { formatId, metaOf, trending, type Catalog, type ModelRow } from "./indexer";
import { checksum, formatPrice, short } from "./format";

const WEEK = 7 * 24 * 3600;

function ModelCard({ m, catalog, config, extra }: { m: ModelRow; catalog: Catalog; config: AppConfig; extra?: string }) {
  const meta = metaOf(m);
  const parent = m.parentId !== "0" ? catalog.models.find((x) => x.id === m.parentId) : undefined;
  const prices = catalog.prices.filter((p) => p.modelId === m.id && p.listed);
  const cheapest = prices.sort((a, b) => (BigInt(a.keyPrice) < BigInt(b.keyPrice) ? -1 : 1))[0];
  const forks = catalog.models.filter((x) => x.parentId === m.id).length;
  return (
    <li className="card">
      <a href={`#/model/${m.id}`} className="card-title">
        {meta.name}
      </a>
      {extra && <span className="badge">{extra}</span>}
      <p className="muted small">{meta.description || "No description."}</p>
      <dl className="facts">
        <dt>Creator</dt>
        <dd title={checksum(m.creator)}>{short(checksum(m.creator))}</dd>
        <dt>Home</dt>
        <dd>{chainLabel(config.registry, m.homeChain)}</dd>
        <dt>Lineage</dt>
        <dd>
          {parent ? <>fork of {metaOf(parent).name}</> : forks ? `original · ${forks} fork${forks > 1 ? "s" : ""}` : "original"}
        </dd>
        <dt>Keys sold</dt>
        <dd>{m.sales}</dd>
        <dt>From</dt>
        <dd>
          {cheapest
            ? `${formatPrice(cheapest.keyPrice, cheapest.currency)} on ${chainLabel(config.registry, cheapest.hexsChain)}`
            : "not for sale"}
        </dd>
      </dl>
      <span className="muted small">id {formatId(m.id)}</span>
    </li>
  );
}

export function CatalogPage({ config, catalog }: { config: AppConfig; catalog: Catalog }) {
  const [q, setQ] = useState("");
  const trends = useMemo(() => trending(catalog, WEEK, Date.now() / 1000).slice(0, 5), [catalog]);
  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    if (!needle) return catalog.models;
    return catalog.models.filter((m) => {
      const meta = metaOf(m);
      return [meta.name, meta.description, m.id, formatId(m.id), m.creator].some((s) => s.toLowerCase().includes(needle));
    });
  }, [q, catalog]);
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
          <ul className="cards" aria-label="models">
            {shown.map((m) => (
              <ModelCard key={m.id} m={m} catalog={catalog} config={config} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

// Where a sale's money goes, level by level, from the on-chain royalty shares: at each level of
// the lineage the market takes its protocol fee, the model's DAO (once it has one) its share, the
// parent its upstream share (which is split again one level up), and the creator the rest —
// exactly HexsMarket.settle's arithmetic, in basis points of the sale.
import { useEffect, useState } from "react";
import * as hexs from "../../sdk";
import { chainLabel, evmChains, type AppConfig } from "./config";
import { ancestorsOf, metaOf, type ModelRow } from "./indexer";
import { readProvider } from "./pending";
import { checksum, short } from "./format";

export interface FlowLevel {
  model: ModelRow;
  /** What reaches this level (bps of the sale, fractional). */
  amount: number;
  fee: number;
  dao: number;
  parent: number;
  creator: number;
}

/** settle()'s split of a sale of 10,000 units, walking up the lineage (integer division as on chain). */
export function royaltyFlow(
  lineage: ModelRow[],
  feeBps: number,
  hasDao: (m: ModelRow) => boolean,
  sale = 1_000_000,
): FlowLevel[] {
  const out: FlowLevel[] = [];
  let amount = sale;
  for (let i = 0; i < lineage.length && amount > 0; i++) {
    const m = lineage[i];
    const fee = Math.floor((amount * feeBps) / 10_000);
    const parent = i + 1 < lineage.length ? Math.floor((amount * (m.upstreamBps ?? 0)) / 10_000) : 0;
    const dao = hasDao(m) ? Math.floor((amount * (m.daoBps ?? 0)) / 10_000) : 0;
    out.push({ model: m, amount, fee, dao, parent, creator: amount - fee - parent - dao });
    amount = parent;
  }
  return out;
}

const pctOf = (x: number, sale: number) => `${((100 * x) / sale).toFixed(2).replace(/\.?0+$/, "")}%`;

export function RoyaltyFlow({ config, models, id }: { config: AppConfig; models: ModelRow[]; id: string }) {
  const byId = new Map(models.map((m) => [m.id, m]));
  const self = byId.get(id);
  const lineage = self ? [self, ...ancestorsOf(byId, id)] : [];
  const [fee, setFee] = useState<{ bps: number; chain: string }>();
  const [daos, setDaos] = useState<Set<string>>(new Set());
  const lineageKey = lineage.map((m) => m.id).join(",");
  useEffect(() => {
    let live = true;
    const chain = evmChains(config.registry).find((c) => c.hexsChainId === self?.homeChain) ?? evmChains(config.registry)[0];
    if (!chain) return;
    const c = hexs.connectContracts(chain, readProvider(chain));
    void c.market
      .protocolFee()
      .then(([bps]) => live && setFee({ bps: Number(bps), chain: chainLabel(config.registry, chain.hexsChainId) }))
      .catch(() => undefined);
    for (const m of lineageKey.split(",").filter(Boolean))
      void c.registry
        .daoOf(BigInt(m))
        .then((d) => live && d !== "0x0000000000000000000000000000000000000000" && setDaos((s) => new Set(s).add(m)))
        .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [config, lineageKey, self?.homeChain]);
  if (!self || !fee) return <p className="muted">Reading the protocol fee…</p>;
  const SALE = 1_000_000;
  const levels = royaltyFlow(lineage, fee.bps, (m) => daos.has(m.id), SALE);
  // names on the left, bars on the right: the arrows between bars never cross a label
  const W = 840;
  const x0 = 230;
  const barW = W - x0;
  const rowH = 64;
  const barY = 8;
  const barH = 26;
  const colors = { creator: "#17663a", dao: "#7a3db8", fee: "#5f6b7a", parent: "#3b3bd1" };
  const names = { creator: "creator", dao: "DAO", fee: "protocol", parent: "to parent" };
  const at = (v: number) => x0 + (barW * v) / SALE;
  const described = levels
    .map(
      (l, i) =>
        `level ${i}, ${metaOf(l.model).name}: creator ${pctOf(l.creator, SALE)}${l.dao ? `, DAO ${pctOf(l.dao, SALE)}` : ""}, protocol fee ${pctOf(l.fee, SALE)}${l.parent ? `, ${pctOf(l.parent, SALE)} up to its parent` : ""}`,
    )
    .join("; ");
  return (
    <figure className="royalty-flow" aria-label="royalty flow" data-testid="royalty-flow">
      <svg
        viewBox={`0 0 ${W} ${levels.length * rowH}`}
        width="100%"
        role="img"
        aria-label={`Where a sale's money goes: ${described}`}
      >
        {levels.map((l, i) => {
          const y = i * rowH;
          let x = x0;
          const segs = (
            [
              ["creator", l.creator],
              ["dao", l.dao],
              ["fee", l.fee],
              ["parent", l.parent],
            ] as const
          ).filter(([, v]) => v > 0);
          const name = metaOf(l.model).name;
          return (
            <g key={l.model.id} data-level={i}>
              <text x={0} y={y + barY + 11} fontSize="13" fill="#1d2433" fontWeight={600}>
                {i === 0 ? "The sale" : `Level ${i} up`}: {pctOf(l.amount, SALE)}
              </text>
              <text x={0} y={y + barY + 28} fontSize="12" fill="#4a5568">
                {name.length > 30 ? `${name.slice(0, 29)}…` : name}
              </text>
              {segs.map(([k, v]) => {
                const w = (barW * v) / SALE;
                const r = (
                  <g key={k}>
                    <rect x={x} y={y + barY} width={Math.max(w, 1.5)} height={barH} fill={colors[k]} />
                    {w > 90 && (
                      <text x={x + 6} y={y + barY + 17} fontSize="12" fill="#ffffff">
                        {names[k]} {pctOf(v, SALE)}
                      </text>
                    )}
                  </g>
                );
                x += w;
                return r;
              })}
              {l.parent > 0 && i + 1 < levels.length && (
                <path
                  d={`M ${at(l.amount - l.parent / 2)} ${y + barY + barH} L ${at(levels[i + 1].amount / 2)} ${y + rowH + barY}`}
                  stroke={colors.parent}
                  strokeWidth={1.5}
                  fill="none"
                  strokeDasharray="4 3"
                />
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="small">
        Of every sale (protocol fee {fee.bps / 100}% on {fee.chain}):
        <ol className="flow-levels">
          {levels.map((l, i) => (
            <li key={l.model.id} data-level={i}>
              <strong>{metaOf(l.model).name}</strong>: its creator {short(l.model.creatorAccount ?? checksum(l.model.creator))}{" "}
              gets {pctOf(l.creator, SALE)}
              {l.dao > 0 && <>, its DAO {pctOf(l.dao, SALE)}</>}, the protocol {pctOf(l.fee, SALE)}
              {l.parent > 0 && <>, and {pctOf(l.parent, SALE)} goes up to its parent</>}.
            </li>
          ))}
        </ol>
      </figcaption>
    </figure>
  );
}

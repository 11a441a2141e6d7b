// The lineage tree as a picture: the whole family of a model (from its original ancestor down to
// every fork), each edge labelled with the royalty share the fork pays its parent.
import { useMemo } from "react";
import { ReactFlow, Background, type Edge, type Node, MarkerType } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { ancestorsOf, formatId, metaOf, type ModelRow } from "./indexer";
import { pct } from "./format";

const W = 260;
const H = 120;

export function Lineage({ models, id }: { models: ModelRow[]; id: string }) {
  const { nodes, edges } = useMemo(() => {
    const byId = new Map(models.map((m) => [m.id, m]));
    const top = ancestorsOf(byId, id).at(-1) ?? byId.get(id)!;
    const children = new Map<string, ModelRow[]>();
    for (const m of models) if (m.parentId !== "0") children.set(m.parentId, [...(children.get(m.parentId) ?? []), m]);
    // Levels by breadth-first walk from the original model; each level centred.
    const levels: ModelRow[][] = [];
    let frontier = [top];
    while (frontier.length && levels.length < 32) {
      levels.push(frontier);
      frontier = frontier.flatMap((m) => children.get(m.id) ?? []);
    }
    const widest = Math.max(...levels.map((l) => l.length));
    const nodes: Node[] = levels.flatMap((level, depth) =>
      level.map((m, i) => ({
        id: m.id,
        position: { x: (i - (level.length - 1) / 2) * W + ((widest - 1) / 2) * W, y: depth * H },
        data: {
          label: (
            <a href={`#/model/${m.id}`} className="node-link">
              <strong>{metaOf(m).name}</strong>
              <br />
              <span className="small">
                {formatId(m.id)} · {m.sales} sold
              </span>
            </a>
          ),
        },
        className: m.id === id ? "flow-node current" : "flow-node",
        draggable: false,
        connectable: false,
      })),
    );
    const edges: Edge[] = levels.flat().flatMap((m) =>
      m.parentId !== "0" && byId.has(m.parentId)
        ? [
            {
              id: `${m.parentId}-${m.id}`,
              source: m.parentId,
              target: m.id,
              label: `${pct(m.upstreamBps)} of sales to parent`,
              labelBgPadding: [6, 3] as [number, number],
              labelStyle: { fontSize: 12, fill: "#1d2433" },
              markerEnd: { type: MarkerType.ArrowClosed },
            },
          ]
        : [],
    );
    return { nodes, edges };
  }, [models, id]);
  return (
    <div
      className="lineage"
      role="figure"
      aria-label={`lineage tree: ${nodes.length} models, ${edges.length} fork edges with royalty shares`}
    >
      <ReactFlow
        nodes={nodes}
        edges={edges}
        fitView
        fitViewOptions={{ padding: 0.25, maxZoom: 1.1 }}
        nodesDraggable={false}
        nodesConnectable={false}
        // nodes hold links: a focusable node around a link is a nested control (WCAG)
        nodesFocusable={false}
        edgesFocusable={false}
        elementsSelectable={false}
        proOptions={{ hideAttribution: true }}
        zoomOnScroll={false}
      >
        <Background gap={24} />
      </ReactFlow>
    </div>
  );
}

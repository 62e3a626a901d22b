/**
 * The topology as an SVG: elkjs (the Eclipse Layout Kernel's layered algorithm) places the
 * groups, nodes and arrows; this module draws them. Every coordinate comes from the layout,
 * every label from the topology, so the picture follows what the stack declares.
 */
import type { Topology, TopologyEdge, TopologyGroup, TopologyNode } from "./topology";
import { esc } from "./html";

// elkjs ships a bundled build with its own worker shim: no Web Worker, no network.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ELK = require("elkjs/lib/elk.bundled.js");

const FONT = 12;
/** Average advance of the UI sans font at 12 px, generous so text never overflows a box. */
const CHAR = 6.9;
const LINE = 15;

interface ElkShape {
    id: string;
    x?: number;
    y?: number;
    width?: number;
    height?: number;
    children?: ElkShape[];
    edges?: ElkEdge[];
    labels?: { text: string; width: number; height: number; x?: number; y?: number }[];
    layoutOptions?: Record<string, string>;
}
interface ElkEdge {
    id: string;
    sources: string[];
    targets: string[];
    labels?: { text: string; width: number; height: number; x?: number; y?: number }[];
    sections?: { startPoint: { x: number; y: number }; endPoint: { x: number; y: number }; bendPoints?: { x: number; y: number }[] }[];
}

function nodeLines(n: TopologyNode): string[] {
    return [n.label, ...n.detail];
}

function nodeSize(n: TopologyNode): { width: number; height: number } {
    const lines = nodeLines(n);
    const width = Math.max(120, Math.ceil(Math.max(...lines.map((l, i) => l.length * (i === 0 ? CHAR + 0.4 : CHAR - 0.6))) + 20));
    return { width, height: 12 + lines.length * LINE };
}

const GROUP_COLOURS: Readonly<Record<TopologyGroup["kind"], { fill: string; stroke: string }>> = {
    region: { fill: "#eef4fb", stroke: "#4a78b0" },
    gcs: { fill: "#eefaf0", stroke: "#3d8b4f" },
    cluster: { fill: "#ffffff", stroke: "#8aa0b8" },
    global: { fill: "#fbf6ea", stroke: "#b08a2e" },
};

const NODE_COLOURS: Readonly<Record<TopologyNode["kind"], string>> = {
    bucket: "#d6e6f7",
    "gcs-bucket": "#d7f0dc",
    database: "#e3dcf5",
    standby: "#efe3fa",
    redis: "#f8dcdc",
    "repo-volume": "#ececec",
    "platform-backups": "#f0ecdf",
    dns: "#f8ecc9",
    ingress: "#e9eef3",
    alarms: "#fde2c8",
};

const EDGE_STYLE: Readonly<Record<TopologyEdge["kind"], { stroke: string; dash: string }>> = {
    replication: { stroke: "#1f5fa8", dash: "" },
    transfer: { stroke: "#2e7d3f", dash: "6 3" },
    backup: { stroke: "#6b5b95", dash: "" },
    failover: { stroke: "#a8741a", dash: "4 3" },
    standby: { stroke: "#8e44ad", dash: "2 3" },
};

export interface DiagramLayout {
    readonly width: number;
    readonly height: number;
    readonly groups: readonly (TopologyGroup & { x: number; y: number; width: number; height: number })[];
    readonly nodes: readonly (TopologyNode & { x: number; y: number; width: number; height: number })[];
    readonly edges: readonly (TopologyEdge & { points: { x: number; y: number }[]; labelAt?: { x: number; y: number; width: number } })[];
}

/** Lays the topology out with elkjs; coordinates are absolute. */
export async function layoutTopology(t: Topology): Promise<DiagramLayout> {
    const shapes = new Map<string, ElkShape>();
    for (const g of t.groups) {
        shapes.set(g.id, {
            id: g.id,
            children: [],
            labels: [{ text: g.label, width: g.label.length * CHAR, height: LINE }],
            layoutOptions: { "elk.padding": "[top=42,left=14,bottom=14,right=14]", "elk.nodeLabels.placement": "INSIDE V_TOP H_LEFT" },
        });
    }
    const root: ElkShape = {
        id: "root",
        children: [],
        edges: [],
        layoutOptions: {
            "elk.algorithm": "layered",
            "elk.direction": "DOWN",
            "elk.hierarchyHandling": "INCLUDE_CHILDREN",
            "elk.edgeRouting": "ORTHOGONAL",
            "elk.spacing.nodeNode": "26",
            "elk.layered.spacing.nodeNodeBetweenLayers": "70",
            "elk.spacing.edgeLabel": "4",
            "elk.edgeLabels.inline": "false",
            "elk.layered.nodePlacement.strategy": "NETWORK_SIMPLEX",
            "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
            "elk.json.edgeCoords": "ROOT",
            "elk.json.shapeCoords": "ROOT",
            "elk.padding": "[top=10,left=10,bottom=10,right=10]",
        },
    };
    for (const g of t.groups) (g.parent ? shapes.get(g.parent)! : root).children!.push(shapes.get(g.id)!);
    for (const n of t.nodes) shapes.get(n.group)!.children!.push({ id: n.id, ...nodeSize(n) });
    t.edges.forEach((e, i) =>
        root.edges!.push({ id: `e${i}`, sources: [e.from], targets: [e.to], labels: [{ text: e.label, width: e.label.length * (CHAR - 0.9) + 6, height: 13 }] }),
    );
    const out: ElkShape = await new ELK().layout(root);

    const abs = new Map<string, { x: number; y: number; width: number; height: number }>();
    const walk = (s: ElkShape) => {
        for (const c of s.children ?? []) {
            abs.set(c.id, { x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? 0, height: c.height ?? 0 });
            walk(c);
        }
    };
    walk(out);
    const edges = (out.edges ?? []).map((e, i) => {
        const sec = e.sections?.[0];
        const points = sec ? [sec.startPoint, ...(sec.bendPoints ?? []), sec.endPoint] : [];
        const l = e.labels?.[0];
        return { ...t.edges[i], points, ...(l && l.x !== undefined ? { labelAt: { x: l.x, y: l.y ?? 0, width: l.width } } : {}) };
    });
    return {
        width: Math.ceil(out.width ?? 0),
        height: Math.ceil(out.height ?? 0),
        groups: t.groups.map((g) => ({ ...g, ...abs.get(g.id)! })),
        nodes: t.nodes.map((n) => ({ ...n, ...abs.get(n.id)! })),
        edges,
    };
}

const r1 = (v: number) => Math.round(v * 10) / 10;

/** The SVG of a laid-out topology: groups, nodes, arrows, labels, a legend. */
export function renderDiagram(l: DiagramLayout): string {
    const legendHeight = 30;
    const width = Math.max(l.width, 760);
    const height = l.height + legendHeight;
    const parts: string[] = [];
    parts.push(
        `<svg xmlns="http://www.w3.org/2000/svg" class="topology" role="img" aria-label="Topology" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" style="width:100%;height:auto;max-width:${width}px" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="${FONT}">`,
    );
    parts.push(
        `<defs>${Object.entries(EDGE_STYLE)
            .map(([k, s]) => `<marker id="arrow-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${s.stroke}"/></marker>`)
            .join("")}</defs>`,
    );
    // Outer groups first so inner ones paint over them.
    const depth = (g: TopologyGroup): number => (g.parent ? 1 + depth(l.groups.find((x) => x.id === g.parent)!) : 0);
    for (const g of [...l.groups].sort((a, b) => depth(a) - depth(b))) {
        const c = GROUP_COLOURS[g.kind];
        parts.push(
            `<g class="group" data-kind="${g.kind}" data-id="${esc(g.id)}"><rect x="${r1(g.x)}" y="${r1(g.y)}" width="${r1(g.width)}" height="${r1(g.height)}" rx="8" fill="${c.fill}" stroke="${c.stroke}" stroke-width="${g.kind === "cluster" ? 1 : 1.6}"${g.kind === "cluster" ? ` stroke-dasharray="5 3"` : ""}/>` +
                `<text x="${r1(g.x + 12)}" y="${r1(g.y + 19)}" font-weight="700" font-size="${g.kind === "cluster" ? 12 : 14}" fill="${c.stroke}">${esc(g.label)}</text>` +
                `<text x="${r1(g.x + 12)}" y="${r1(g.y + 34)}" font-size="11" fill="#555">${esc(g.role)}</text></g>`,
        );
    }
    for (const e of l.edges) {
        if (e.points.length < 2) continue;
        const s = EDGE_STYLE[e.kind];
        const d = e.points.map((p, i) => `${i === 0 ? "M" : "L"}${r1(p.x)},${r1(p.y)}`).join(" ");
        parts.push(
            `<path class="edge" data-kind="${e.kind}" d="${d}" fill="none" stroke="${s.stroke}" stroke-width="1.6"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""} marker-end="url(#arrow-${e.kind})"><title>${esc(e.label)}</title></path>`,
        );
    }
    for (const n of l.nodes) {
        const lines = nodeLines(n);
        const text = lines
            .map((line, i) => `<text x="${r1(n.x + 10)}" y="${r1(n.y + 18 + i * LINE)}"${i === 0 ? ` font-weight="600"` : ` fill="#333" font-size="11"`}>${esc(line)}</text>`)
            .join("");
        parts.push(
            `<g class="node" data-kind="${n.kind}"${n.tier ? ` data-tier="${esc(n.tier)}"` : ""}><rect x="${r1(n.x)}" y="${r1(n.y)}" width="${r1(n.width)}" height="${r1(n.height)}" rx="5" fill="${NODE_COLOURS[n.kind]}" stroke="#5a6b7d"/>${text}</g>`,
        );
    }
    // Edge labels last, on a white backing, so arrows never cross their text.
    for (const e of l.edges) {
        if (!e.labelAt) continue;
        const s = EDGE_STYLE[e.kind];
        parts.push(
            `<g class="edge-label"><rect x="${r1(e.labelAt.x - 2)}" y="${r1(e.labelAt.y - 1)}" width="${r1(e.labelAt.width)}" height="14" fill="#fff" fill-opacity="0.9" rx="2"/><text x="${r1(e.labelAt.x + 1)}" y="${r1(e.labelAt.y + 10)}" font-size="10.5" fill="${s.stroke}">${esc(e.label)}</text></g>`,
        );
    }
    let x = 12;
    const y = l.height + 18;
    const legend: string[] = [];
    for (const [kind, s] of Object.entries(EDGE_STYLE)) {
        legend.push(`<line x1="${x}" y1="${y - 4}" x2="${x + 26}" y2="${y - 4}" stroke="${s.stroke}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`);
        legend.push(`<text x="${x + 32}" y="${y}" font-size="11">${kind}</text>`);
        x += 40 + kind.length * 7 + 16;
    }
    parts.push(`<g class="legend">${legend.join("")}</g>`);
    parts.push(`</svg>`);
    return parts.join("\n");
}

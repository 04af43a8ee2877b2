/**
 * The lineage of a version drawn as a small DAG: versions and runs are nodes,
 * made-by (run → version) and used-by (version → run) edges point the way the
 * data flowed, layered left → right with the selected version in its own
 * column. `layoutLineage` is pure (tested without a DOM); `lineageSvg` draws
 * it, every text through `textContent`. Nodes carry `data-run` / `data-ref`
 * like the list's buttons, so one click handler serves both.
 */
import { ILineage } from './api';

export const NODE_W = 116;
export const NODE_H = 26;
const GAP_X = 30;
const GAP_Y = 12;
const PAD = 6;
/** Characters of a label that fit a node; the rest is cut with an ellipsis. */
export const LABEL_CHARS = 15;

export interface IGraphNode {
  /** A run ref (`train#4`) or a version ref (`digits:v2`). */
  id: string;
  isRun: boolean;
  /** The selected version. */
  root: boolean;
  /** The column, 0 at the left (the oldest ancestor). */
  layer: number;
  /** The position within the column, 0 at the top. */
  row: number;
  x: number;
  y: number;
  /** The run's name when it differs from its ref. */
  name: string | null;
}

export interface IGraphEdge {
  from: string;
  to: string;
  kind: 'made' | 'used';
}

export interface IGraphLayout {
  nodes: IGraphNode[];
  edges: IGraphEdge[];
  width: number;
  height: number;
}

/**
 * Columns by longest path: an ancestor sits left of everything it led to, a
 * descendant right of everything that led to it, the root between them; rows
 * ordered by the mean row of their neighbours in the column before (two
 * sweeps), ties by ref, so the same lineage always draws the same.
 */
export function layoutLineage(lineage: ILineage): IGraphLayout {
  const edges: IGraphEdge[] = lineage.edges.map(([from, to, kind]) => ({ from, to, kind }));
  const ids = new Set<string>([lineage.root]);
  edges.forEach(e => (ids.add(e.from), ids.add(e.to)));
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  ids.forEach(id => (preds.set(id, []), succs.set(id, [])));
  edges.forEach(e => (succs.get(e.from)!.push(e.to), preds.get(e.to)!.push(e.from)));

  // Signed distance from the root: negative upstream, positive downstream.
  const layer = new Map<string, number>([[lineage.root, 0]]);
  const relax = (next: Map<string, string[]>, step: 1 | -1): void => {
    for (let round = 0, changed = true; changed && round <= ids.size; round++) {
      changed = false;
      for (const [id, value] of Array.from(layer)) {
        if (step * value < 0) {
          continue; // the other side of the root
        }
        for (const n of next.get(id) ?? []) {
          const want = value + step;
          const have = layer.get(n);
          if (n !== lineage.root && (have === undefined || step * have < step * want)) {
            layer.set(n, want);
            changed = true;
          }
        }
      }
    }
  };
  relax(succs, 1);
  relax(preds, -1);
  // A node the walk reached neither way (not expected from the server): beside the root.
  ids.forEach(id => layer.has(id) || layer.set(id, 0));
  const min = Math.min(...layer.values());
  const columns: string[][] = [];
  for (const id of Array.from(ids).sort()) {
    const col = (layer.get(id) as number) - min;
    (columns[col] ??= []).push(id);
  }
  const rowOf = new Map<string, number>();
  const place = () => columns.forEach(col => col?.forEach((id, i) => rowOf.set(id, i)));
  place();
  const sweep = (order: number[], neighbours: Map<string, string[]>) => {
    for (const c of order) {
      const col = columns[c];
      if (!col) {
        continue;
      }
      const centre = (id: string) => {
        const rows = (neighbours.get(id) ?? []).map(n => rowOf.get(n) as number);
        return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : (rowOf.get(id) as number);
      };
      const keyed = col.map(id => [centre(id), id] as const);
      keyed.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
      columns[c] = keyed.map(k => k[1]);
      place();
    }
  };
  const indices = columns.map((_, i) => i);
  sweep(indices.slice(1), preds);
  sweep(indices.slice(0, -1).reverse(), succs);

  const tallest = Math.max(...columns.map(col => col?.length ?? 0));
  const nodes: IGraphNode[] = [];
  columns.forEach((col, c) =>
    col?.forEach((id, row) => {
      const isRun = Object.prototype.hasOwnProperty.call(lineage.runs, id);
      const name = isRun ? lineage.runs[id].name : null;
      // Shorter columns are centred on the tallest.
      const offset = ((tallest - col.length) * (NODE_H + GAP_Y)) / 2;
      nodes.push({
        id,
        isRun,
        root: id === lineage.root,
        layer: c,
        row,
        x: PAD + c * (NODE_W + GAP_X),
        y: PAD + offset + row * (NODE_H + GAP_Y),
        name: name && name !== id ? name : null
      });
    })
  );
  return {
    nodes,
    edges,
    width: 2 * PAD + columns.length * NODE_W + (columns.length - 1) * GAP_X,
    height: 2 * PAD + tallest * NODE_H + (tallest - 1) * GAP_Y
  };
}

/** `text` cut to `max` characters with an ellipsis. */
export function fitLabel(text: string, max = LABEL_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const SVG = 'http://www.w3.org/2000/svg';

function svgEl<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: { [name: string]: string | number }
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    node.setAttribute(name, String(value));
  }
  return node;
}

/**
 * The layout as an SVG: runs as pills, versions as boxes, the root outlined;
 * made-by edges solid, used-by edges dashed, each with an arrow. Hidden from
 * screen readers: the lists beside it say the same.
 */
export function lineageSvg(layout: IGraphLayout): SVGSVGElement {
  const svg = svgEl('svg', {
    class: 'nbtrack-LineageGraph',
    width: layout.width,
    height: layout.height,
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    'aria-hidden': 'true'
  });
  const defs = svgEl('defs', {});
  const marker = svgEl('marker', {
    id: 'nbtrack-lineage-arrow',
    viewBox: '0 0 8 8',
    refX: 8,
    refY: 4,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto'
  });
  marker.appendChild(svgEl('path', { d: 'M0,0 L8,4 L0,8 z', class: 'nbtrack-LineageGraph-arrow' }));
  defs.appendChild(marker);
  svg.appendChild(defs);
  const at = new Map(layout.nodes.map(n => [n.id, n]));
  for (const edge of layout.edges) {
    const a = at.get(edge.from);
    const b = at.get(edge.to);
    if (!a || !b) {
      continue;
    }
    const x1 = a.x + NODE_W;
    const y1 = a.y + NODE_H / 2;
    const x2 = b.x;
    const y2 = b.y + NODE_H / 2;
    const mid = (x1 + x2) / 2;
    const path = svgEl('path', {
      d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`,
      class: `nbtrack-LineageGraph-edge nbtrack-mod-${edge.kind}`,
      'marker-end': 'url(#nbtrack-lineage-arrow)',
      'data-from': edge.from,
      'data-to': edge.to
    });
    const title = svgEl('title', {});
    title.textContent =
      edge.kind === 'made' ? `${edge.from} made ${edge.to}` : `${edge.to} used ${edge.from}`;
    path.appendChild(title);
    svg.appendChild(path);
  }
  for (const node of layout.nodes) {
    const g = svgEl('g', {
      class: `nbtrack-LineageGraph-node ${node.isRun ? 'nbtrack-mod-run' : 'nbtrack-mod-version'}${
        node.root ? ' nbtrack-mod-root' : ''
      }`,
      transform: `translate(${node.x},${node.y})`
    });
    g.setAttribute(node.isRun ? 'data-run' : 'data-ref', node.id);
    g.appendChild(
      svgEl('rect', { width: NODE_W, height: NODE_H, rx: node.isRun ? NODE_H / 2 : 3 })
    );
    const text = svgEl('text', { x: NODE_W / 2, y: NODE_H / 2, 'text-anchor': 'middle', dy: '0.35em' });
    text.textContent = fitLabel(node.name ? `${node.id} ${node.name}` : node.id);
    g.appendChild(text);
    const title = svgEl('title', {});
    title.textContent = node.isRun
      ? `Select run ${node.id}${node.name ? ` (${node.name})` : ''} in the runs table`
      : node.root
        ? node.id
        : `Show ${node.id} and its lineage`;
    g.appendChild(title);
    svg.appendChild(g);
  }
  return svg;
}

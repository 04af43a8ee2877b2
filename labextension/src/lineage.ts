/**
 * Pure helpers of the Artifacts view: the lineage graph of a version as two
 * indented lists (upstream: what made it and what that used; downstream: what
 * used it and what those runs made), and byte sizes for people. The same walk
 * as `Lineage.tree()` in `nbtrack/artifacts/lineage.py`.
 */
import { ILineage } from './api';

/** One line of a lineage tree: a relation to a run or a version. */
export interface ILineageLine {
  /** 1 for the root's neighbours, 2 for theirs, ... */
  depth: number;
  /** How the line's node relates to its parent line's node. */
  relation: 'made by' | 'used' | 'used by' | 'made';
  /** A run ref (`train#4`) or a version ref (`digits-train:v2`). */
  node: string;
  isRun: boolean;
  /** The run's name when it differs from its ref. */
  name: string | null;
  /** The node was shown higher up already; its subtree is not repeated. */
  repeated: boolean;
}

export interface ILineageTree {
  upstream: ILineageLine[];
  downstream: ILineageLine[];
}

/** The root's lineage as two depth-first trees, each node expanded once. */
export function lineageTree(lineage: ILineage): ILineageTree {
  const walk = (up: boolean): ILineageLine[] => {
    const lines: ILineageLine[] = [];
    const seen = new Set<string>([lineage.root]);
    const visit = (node: string, depth: number): void => {
      for (const [from, to, kind] of lineage.edges) {
        const child = up ? (to === node ? from : null) : from === node ? to : null;
        if (child === null) {
          continue;
        }
        const isRun = Object.prototype.hasOwnProperty.call(lineage.runs, child);
        const relation: ILineageLine['relation'] = up
          ? kind === 'made'
            ? 'made by'
            : 'used'
          : kind === 'used'
            ? 'used by'
            : 'made';
        const name = isRun ? lineage.runs[child].name : null;
        const repeated = seen.has(child);
        lines.push({
          depth,
          relation,
          node: child,
          isRun,
          name: name && name !== child ? name : null,
          repeated
        });
        if (!repeated) {
          seen.add(child);
          visit(child, depth + 1);
        }
      }
    };
    visit(lineage.root, 1);
    return lines;
  };
  return { upstream: walk(true), downstream: walk(false) };
}

/** `0 B`, `512 B`, `1.5 KB`, `3.2 GB` (powers of 1024), as `nbtrack artifacts` prints. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) {
    return '';
  }
  let value = n;
  for (const unit of ['B', 'KB', 'MB', 'GB', 'TB']) {
    if (Math.abs(value) < 1024 || unit === 'TB') {
      return unit === 'B' ? `${Math.trunc(value)} B` : `${value.toFixed(1)} ${unit}`;
    }
    value /= 1024;
  }
  return '';
}

/**
 * Where a cell ran: `prep.ipynb In[3]`, or '' when unknown; `short` keeps the
 * notebook's file name only (the full path goes in a tooltip).
 */
export function cellLabel(
  cell: { notebook?: string; execution_count?: number | null } | null,
  short = false
): string {
  if (!cell) {
    return '';
  }
  const path = cell.notebook ?? '';
  const where = short ? path.slice(path.lastIndexOf('/') + 1) : path;
  return cell.execution_count !== null && cell.execution_count !== undefined
    ? `${where} In[${cell.execution_count}]`.trim()
    : where;
}

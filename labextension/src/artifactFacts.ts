/**
 * Two parts of a version's detail in the Artifacts view: a dataset's first
 * rows (a small table, columns capped with "+N more") and the history of the
 * artifact's aliases (who moved which alias from which version to which, and
 * when). The shaping is pure; the DOM builders set every text with
 * `textContent`.
 */
import { IAliasMove, IDatasetPreview } from './api';
import { el, headedTable, IColumn } from './dom';
import { formatTime, JSONValue } from './format';

/** Columns of a preview shown; the others are counted in "+N more". */
export const PREVIEW_COLUMNS = 6;

export interface IPreviewTable {
  columns: string[];
  rows: string[][];
  /** Columns not shown. */
  more: number;
  /** Their names, for a tooltip. */
  hidden: string[];
}

/** A preview value as text: strings bare, null empty, the rest as JSON. */
export function cellText(value: JSONValue | undefined): string {
  if (value === null || value === undefined) {
    return '';
  }
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** The preview as text cells, its columns capped at `max`; null when there is none. */
export function previewTable(
  preview: IDatasetPreview | undefined,
  max = PREVIEW_COLUMNS
): IPreviewTable | null {
  if (!preview || !Array.isArray(preview.columns) || !Array.isArray(preview.data)) {
    return null;
  }
  const names = preview.columns.map(cellText);
  return {
    columns: names.slice(0, max),
    rows: preview.data.map(row => names.slice(0, max).map((_, i) => cellText(row[i]))),
    more: Math.max(0, names.length - max),
    hidden: names.slice(max)
  };
}

/** The dataset's first rows, or null when the version has no preview. */
export function previewSection(preview: IDatasetPreview | undefined, rows?: number): HTMLElement | null {
  const table = previewTable(preview);
  if (!table) {
    return null;
  }
  const section = el('section', 'nbtrack-DatasetPreview');
  const shown = table.rows.length;
  section.appendChild(
    el('h4', '', rows !== undefined && rows > shown ? `Preview (first ${shown} of ${rows} rows)` : 'Preview')
  );
  const scroller = el('div', 'nbtrack-DatasetPreview-scroller');
  const columns: IColumn[] = table.columns.map(name => ({ label: name, title: name }));
  if (table.more) {
    const more = `+${table.more} more`;
    columns.push({ label: more, className: 'nbtrack-DatasetPreview-more', title: table.hidden.join(', ') });
  }
  const grid = headedTable('nbtrack-DatasetPreview-table', 'Dataset preview', columns);
  const body = grid.tBodies[0];
  for (const row of table.rows) {
    const tr = el('tr', '');
    for (const value of row) {
      const td = el('td', '', value);
      td.title = value;
      tr.appendChild(td);
    }
    if (table.more) {
      tr.appendChild(el('td', 'nbtrack-DatasetPreview-more', '…'));
    }
    body.appendChild(tr);
  }
  if (!table.rows.length) {
    const tr = el('tr', '');
    const td = el('td', 'nbtrack-ArtifactDetail-none', 'no rows');
    td.colSpan = table.columns.length + (table.more ? 1 : 0) || 1;
    tr.appendChild(td);
    body.appendChild(tr);
  }
  scroller.appendChild(grid);
  section.appendChild(scroller);
  return section;
}

/** `v1 → v2`, or `→ v1` for an alias's first use. */
export function moveText(move: IAliasMove): string {
  return move.from_version === null ? `→ v${move.version}` : `v${move.from_version} → v${move.version}`;
}

/**
 * The artifact's alias moves, newest first; `runLink` makes a run's button,
 * moves that touch `version` (the one shown) are marked.
 */
export function aliasHistorySection(
  moves: IAliasMove[],
  version: number,
  runLink: (ref: string) => HTMLElement,
  now?: Date
): HTMLElement {
  const section = el('section', 'nbtrack-AliasHistory');
  section.appendChild(el('h4', '', 'Alias history'));
  if (!moves.length) {
    section.appendChild(el('div', 'nbtrack-ArtifactDetail-none', 'no alias was set (latest moves by itself)'));
    return section;
  }
  const grid = headedTable('nbtrack-AliasHistory-table', 'Alias history', ['Alias', 'Moved', 'When', 'By']);
  const body = grid.tBodies[0];
  for (const move of [...moves].reverse()) {
    const tr = el('tr', 'nbtrack-AliasHistory-row');
    tr.classList.toggle('nbtrack-mod-this', move.version === version || move.from_version === version);
    const by = el('td', 'nbtrack-AliasHistory-by');
    if (move.run) {
      by.appendChild(runLink(move.run));
    }
    if (move.user) {
      by.appendChild(el('span', 'nbtrack-AliasHistory-user', move.run ? ` (${move.user})` : move.user));
    }
    if (!move.run && !move.user) {
      by.appendChild(el('span', 'nbtrack-ArtifactDetail-none', 'outside a run'));
    }
    tr.append(
      el('td', 'nbtrack-AliasHistory-alias', move.alias),
      el('td', 'nbtrack-AliasHistory-move', moveText(move)),
      el('td', 'nbtrack-AliasHistory-time', formatTime(move.time, now)),
      by
    );
    body.appendChild(tr);
  }
  section.appendChild(grid);
  return section;
}

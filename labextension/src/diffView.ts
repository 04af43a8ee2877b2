/**
 * The diff of two runs in a main-area tab: params, the input versions and
 * metric summaries side by side, the tracked cell as a unified diff, and the snapshot notebooks
 * cell by cell with nbdime's NotebookDiffWidget.
 *
 * Everything from the runs (names, params, sources) is set as text.
 */
import { CodeEditor } from '@jupyterlab/codeeditor';
import * as nbformat from '@jupyterlab/nbformat';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Panel, Widget } from '@lumino/widgets';
import { NotebookDiffModel } from 'nbdime/lib/diff/model';
import { NotebookDiffWidget } from 'nbdime/lib/diff/widget';
import type { IDiffEntry } from 'nbdime/lib/diff/diffentries';

import { IMetricDiff, IRun, IRunDiff, ITextDiff } from './api';
import { el } from './dom';
import { formatDelta, formatNumber, formatValue, JSONValue } from './format';
import { inputRows, inputsNote } from './inputsDiff';

/** b − a of one summary statistic; null when a run lacks the metric or it is not finite. */
function statDelta(m: IMetricDiff, stat: 'last' | 'min' | 'max' | 'count'): number | null {
  if (!m.a || !m.b) {
    return null;
  }
  const d = m.b[stat] - m.a[stat];
  return Number.isFinite(d) ? d : null;
}

function table(headers: string[], rows: { cells: string[]; className?: string }[]): HTMLTableElement {
  const t = el('table', 'nbtrack-DiffView-table');
  const head = el('tr');
  headers.forEach(h => head.appendChild(el('th', undefined, h)));
  t.createTHead().appendChild(head);
  const body = t.createTBody();
  for (const row of rows) {
    const tr = el('tr', row.className);
    row.cells.forEach(c => tr.appendChild(el('td', undefined, c)));
    body.appendChild(tr);
  }
  return t;
}

/** The params section: changed, added, removed keys; one row each. */
export function paramRows(diff: IRunDiff): { cells: string[]; className: string }[] {
  const rows: { cells: string[]; className: string }[] = [];
  const p = diff.params;
  for (const [key, change] of Object.entries(p.changed)) {
    rows.push({
      cells: [key, formatValue(change.old), formatValue(change.new)],
      className: 'nbtrack-mod-changed'
    });
  }
  for (const [key, value] of Object.entries(p.added)) {
    rows.push({ cells: [key, '', formatValue(value as JSONValue)], className: 'nbtrack-mod-added' });
  }
  for (const [key, value] of Object.entries(p.removed)) {
    rows.push({ cells: [key, formatValue(value as JSONValue), ''], className: 'nbtrack-mod-removed' });
  }
  return rows;
}

export class DiffView extends Panel {
  constructor(options: {
    a: IRun;
    b: IRun;
    diff: IRunDiff;
    rendermime: IRenderMimeRegistry;
    editorFactory?: CodeEditor.Factory;
  }) {
    super();
    const { a, b, diff } = options;
    this.addClass('nbtrack-DiffView');
    this.id = `nbtrack-diff-${a.id}-${b.id}`;
    this.title.label = `${a.name} ↔ ${b.name}`;
    this.title.caption = `nbtrack diff: ${a.ref} (${a.name}) → ${b.ref} (${b.name})`;

    const summary = new Widget();
    summary.addClass('nbtrack-DiffView-summary');
    const s = summary.node;
    s.appendChild(el('h2', undefined, `${a.name} → ${b.name}`));
    s.appendChild(
      el('p', 'nbtrack-DiffView-refs', `${a.ref} (${a.status}) → ${b.ref} (${b.status})`)
    );

    s.appendChild(el('h3', undefined, 'Params'));
    const params = paramRows(diff);
    s.appendChild(
      params.length
        ? table(['param', a.name, b.name], params)
        : el('p', 'nbtrack-DiffView-none', 'Same params.')
    );

    // Which dataset/artifact versions the runs used differently (shown when either used one).
    const inputs = inputRows(diff.inputs);
    const sameInputs = inputsNote(diff.inputs);
    if (inputs.length || sameInputs) {
      s.appendChild(el('h3', undefined, 'Inputs'));
      s.appendChild(
        inputs.length
          ? table(['artifact', a.name, b.name], inputs)
          : el('p', 'nbtrack-DiffView-none', sameInputs as string)
      );
    }

    s.appendChild(el('h3', undefined, 'Metrics'));
    const metricRows = Object.entries(diff.metrics).map(([key, m]) => ({
      cells: [
        key,
        m.a ? formatNumber(m.a.last) : '',
        m.b ? formatNumber(m.b.last) : '',
        formatDelta(m.delta.last),
        m.a ? formatNumber(m.a.min) : '',
        m.b ? formatNumber(m.b.min) : '',
        formatDelta(m.delta.min),
        m.a ? formatNumber(m.a.max) : '',
        m.b ? formatNumber(m.b.max) : '',
        formatDelta(statDelta(m, 'max')),
        m.a ? String(m.a.count) : '',
        m.b ? String(m.b.count) : ''
      ],
      // `changed` is computed by the server over last, min, max and count only.
      className: m.changed ? 'nbtrack-mod-changed' : ''
    }));
    s.appendChild(
      metricRows.length
        ? table(
            [
              'metric',
              `last ${a.name}`,
              `last ${b.name}`,
              'Δ last',
              `min ${a.name}`,
              `min ${b.name}`,
              'Δ min',
              `max ${a.name}`,
              `max ${b.name}`,
              'Δ max',
              `n ${a.name}`,
              `n ${b.name}`
            ],
            metricRows
          )
        : el('p', 'nbtrack-DiffView-none', 'No metrics.')
    );

    s.appendChild(el('h3', undefined, 'Tracked cell'));
    s.appendChild(unifiedDiff(diff.cell, 'No snapshot of the cell.'));

    s.appendChild(el('h3', undefined, 'Notebook'));
    this.addWidget(summary);

    if (diff.notebook && diff.notebook.diff.length) {
      const cells = diff.notebook.cells;
      if (cells.length) {
        const list = el('ul', 'nbtrack-DiffView-cells');
        for (const c of cells) {
          const where = c.index ?? c.base_index;
          const parts = c.parts.length ? ` (${c.parts.join(', ')})` : '';
          list.appendChild(
            el('li', `nbtrack-mod-${c.change}`, `${c.change} ${c.cell_type} cell ${where ?? ''}${parts}: ${c.first_line}`)
          );
        }
        s.appendChild(list);
      }
      const model = new NotebookDiffModel(
        diff.notebook.base as unknown as nbformat.INotebookContent,
        diff.notebook.diff as unknown as IDiffEntry[]
      );
      const widget = new NotebookDiffWidget({
        model,
        rendermime: options.rendermime,
        editorFactory: options.editorFactory
      });
      widget.addClass('nbtrack-DiffView-notebook');
      // nbdime's own styles apply under .nbdime-root.
      widget.addClass('nbdime-root');
      this.addWidget(widget);
      this.ready = widget.init().catch(error => {
        s.appendChild(el('p', 'nbtrack-mod-error', `Could not render the notebook diff: ${String(error)}`));
      });
    } else {
      s.appendChild(
        el(
          'p',
          'nbtrack-DiffView-none',
          diff.notebook ? 'Same notebook.' : 'No notebook snapshot for one of the runs.'
        )
      );
      this.ready = Promise.resolve();
    }
  }

  /** Resolves when the notebook diff has rendered. */
  readonly ready: Promise<void>;
}

/** A unified diff as lines of text, coloured by their first character. */
export function unifiedDiff(part: ITextDiff | null, none: string): HTMLElement {
  if (!part) {
    return el('p', 'nbtrack-DiffView-none', none);
  }
  if (!part.unified) {
    return el('p', 'nbtrack-DiffView-none', 'Unchanged.');
  }
  const pre = el('pre', 'nbtrack-DiffView-unified');
  for (const line of part.unified.split('\n')) {
    const kind = line.startsWith('+++') || line.startsWith('---')
      ? 'header'
      : line.startsWith('@@')
        ? 'hunk'
        : line.startsWith('+')
          ? 'added'
          : line.startsWith('-')
            ? 'removed'
            : 'context';
    pre.appendChild(el('div', `nbtrack-line nbtrack-line-${kind}`, line || ' '));
  }
  return pre;
}

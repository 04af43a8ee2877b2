/**
 * @jest-environment jsdom
 */
import './domShim'; // before Lumino

import { Widget } from '@lumino/widgets';

import { IRun, IRunsQuery, NbtrackApi } from '../api';
import { RunsModel } from '../model';
import { ROW_HEIGHT, RunTable } from '../runTable';

/** `n` finished runs, newest first. */
function many(n: number): IRun[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`, ref: `nb#${i}`, name: `run-${i}`, status: 'finished', experiment: 'nb.ipynb',
    notebook: 'nb.ipynb', start: n - i, end: n - i + 1, duration: 1, tags: [], notes: '',
    params: {}, metrics: {}, snapshot: null, sweep: null, trial: null
  }) as unknown as IRun);
}

/** The network edge: an API answering the runs list from memory (jsdom has no fetch). */
function serve(runs: IRun[]): NbtrackApi {
  const api = {
    listRuns: async (q: IRunsQuery = {}) => ({
      runs: q.changed_since ? [] : runs.slice(q.offset ?? 0, (q.offset ?? 0) + (q.limit ?? 100)),
      total: runs.length,
      params: [],
      metrics: [],
      cursor: 't1.1'
    })
  };
  return api as unknown as NbtrackApi;
}

/** data-index -> row node, of the rows showing a run. */
function rowsByIndex(table: RunTable): Map<string, HTMLElement> {
  const out = new Map<string, HTMLElement>();
  table.node.querySelectorAll<HTMLElement>('.nbtrack-RunTable-row').forEach(row => {
    if (row.dataset.id) {
      out.set(row.dataset.index as string, row);
    }
  });
  return out;
}

describe('RunTable', () => {
  it('scrolling fills only the rows that came into view; the others keep their nodes', async () => {
    const model = new RunsModel(serve(many(1000)));
    await model.refresh();
    const table = new RunTable(model);
    Widget.attach(table, document.body);
    let scrollTop = 40 * ROW_HEIGHT;
    Object.defineProperty(table.node, 'scrollTop', { get: () => scrollTop, set: v => (scrollTop = v) });
    (table as any)._renderRows();
    const before = rowsByIndex(table);
    expect(before.get('40')?.textContent).toContain('run-40');

    const changed: HTMLElement[] = [];
    const observer = new MutationObserver(records => {
      for (const r of records) {
        const row = (r.target instanceof HTMLElement ? r.target : r.target.parentElement)?.closest(
          '.nbtrack-RunTable-row'
        ) as HTMLElement | null;
        if (row && !changed.includes(row)) {
          changed.push(row);
        }
      }
    });
    observer.observe(table.node, { subtree: true, childList: true, attributes: true, characterData: true });
    scrollTop += 3 * ROW_HEIGHT;
    (table as any)._renderRows();
    await new Promise(r => setTimeout(r, 0)); // mutation records are delivered
    observer.disconnect();

    const after = rowsByIndex(table);
    expect(after.get('43')?.textContent).toContain('run-43');
    expect(changed.length).toBe(3); // the three rows that scrolled in
    for (const [index, row] of after) {
      if (before.has(index)) {
        expect(row).toBe(before.get(index)); // same node, untouched
      }
    }
    table.dispose();
    model.dispose();
  });
});

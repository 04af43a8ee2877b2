/**
 * @jest-environment jsdom
 */
import './domShim'; // before Lumino

import { NbtrackApi } from '../api';
import { ISweepDetail, ISweepSummary } from '../sweepApi';
import { SweepView } from '../sweepView';

const EVIL = '<b>x</b>';

const summary: ISweepSummary = {
  sweep: 'sw1', method: 'tpe', target: EVIL, metric: 'val_acc', goal: 'max', trials: 3,
  finished: 1, pruned: 1, failed: 1, running: 0, best: 0.9, best_run: 'train#1', started: 1
};
const detail: ISweepDetail = {
  summary,
  trials: [
    { run: 'train#1', run_id: 'a', trial: 1, state: 'finished', params: { [EVIL]: 1, lr: 0.1 }, value: 0.9 },
    { run: 'train#2', run_id: 'b', trial: 2, state: 'pruned', params: { [EVIL]: 2, lr: 0.2 }, value: 0.1 },
    { run: 'train#3', run_id: 'c', trial: 3, state: 'failed', params: { [EVIL]: 3, lr: 0.3 }, value: null }
  ],
  best_so_far: [{ trial: 1, value: 0.9, best: 0.9 }],
  importances: { [EVIL]: 0.75, lr: 0.25 },
  importances_reason: null
};

// The network edge: the sweep endpoints answered from memory (jsdom has no fetch);
// a test may hold an answer back to answer it later.
const mockHeld: { [what: string]: Promise<unknown> } = {};
jest.mock('../sweepApi', () => ({
  listSweeps: async () => (mockHeld.list ?? [summary]),
  getSweep: async (_api: unknown, id: string) => (mockHeld[id] ?? { ...detail, summary: { ...summary, sweep: id } })
}));

function held<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>(res => (resolve = res));
  return { promise, resolve };
}

describe('SweepView', () => {
  afterEach(() => Object.keys(mockHeld).forEach(key => delete mockHeld[key]));

  it('shows sweeps, a polyline per trial (pruned greyed, failed dashed), text escaped', async () => {
    const view = new SweepView({} as NbtrackApi);
    await view.refresh();
    const row = view.node.querySelector('tr[data-sweep="sw1"]') as HTMLElement;
    expect(row.textContent).toContain(EVIL);
    expect(view.node.querySelector('b')).toBeNull();
    await view.showSweep('sw1');
    const lines = Array.from(view.node.querySelectorAll('polyline'));
    expect(lines.map(l => l.getAttribute('class'))).toEqual([
      'nbtrack-SweepParallel-trial nbtrack-mod-finished',
      'nbtrack-SweepParallel-trial nbtrack-mod-pruned',
      'nbtrack-SweepParallel-trial nbtrack-mod-failed'
    ]);
    expect(view.node.querySelectorAll('.nbtrack-SweepImportance').length).toBe(2);
    expect(view.node.querySelector('.nbtrack-SweepImportance-name')?.textContent).toBe(EVIL);
    expect(view.node.querySelector('b')).toBeNull();
    const asked: string[] = [];
    view.runRequested.connect((_, ref) => asked.push(ref));
    (view.node.querySelector('[data-run="train#2"]') as HTMLElement).click();
    expect(asked).toEqual(['train#2']);
  });

  it('says it is loading until the sweeps are read, then counts them', async () => {
    const list = held<ISweepSummary[]>();
    mockHeld.list = list.promise;
    const view = new SweepView({} as NbtrackApi);
    const status = view.node.querySelector('.nbtrack-SweepView-status') as HTMLElement;
    const done = view.refresh();
    expect(status.textContent).toBe('Loading sweeps…');
    list.resolve([summary]);
    await done;
    expect(status.textContent).toBe('1 sweep');
  });

  it('shows the sweep selected last, whichever answer comes first', async () => {
    const slow = held<ISweepDetail>();
    mockHeld.sw1 = slow.promise;
    const view = new SweepView({} as NbtrackApi);
    await view.refresh();
    const first = view.showSweep('sw1');
    const title = () => view.node.querySelector('.nbtrack-SweepDetail-title')?.textContent;
    expect(view.node.querySelector('.nbtrack-SweepDetail')?.textContent).toBe('Loading sw1…');
    await view.showSweep('sw2');
    expect(title()).toBe(`sw2: tpe over ${EVIL}`);
    slow.resolve(detail); // the answer for sw1 arrives late: dropped
    await first;
    expect(title()).toBe(`sw2: tpe over ${EVIL}`);
  });
});

import { IRun, normalizeRun } from '../api';
import { compareValues, filterError, makeFilter, serverSortField, TableModel } from '../tableModel';

import fixture from './fixtures/runs.json';

function run(over: Partial<IRun> & { id: string }): IRun {
  return normalizeRun({
    ref: `nb#${over.id}`,
    name: `run-${over.id}`,
    status: 'finished',
    experiment: 'nb.ipynb',
    notebook: 'nb.ipynb',
    start: 1000,
    end: 1010,
    duration: 10,
    tags: [],
    notes: '',
    params: {},
    metrics: {},
    snapshot: null,
    sweep: null,
    trial: null,
    ...over
  } as IRun);
}

function fixtureRuns(): IRun[] {
  return JSON.parse(JSON.stringify(fixture)).runs.map(normalizeRun);
}

describe('TableModel', () => {
  it('has the base columns, then one per param and one per metric', () => {
    const t = new TableModel();
    t.setRuns(fixtureRuns(), fixture.params, fixture.metrics);
    expect(t.columns.map(c => c.id)).toEqual([
      'name',
      'status',
      'notebook',
      'start',
      'duration',
      'tags',
      'param:config.optimizer',
      'param:layers',
      'param:lr',
      'metric:acc',
      'metric:loss'
    ]);
  });

  it('gives cell text, names as plain text', () => {
    const t = new TableModel(() => 1732290010.5);
    const runs = fixtureRuns();
    t.setRuns(runs, fixture.params, fixture.metrics);
    const col = (id: string) => t.columns.find(c => c.id === id)!;
    const [wide, evil] = runs;
    expect(t.cellText(evil, col('name'))).toBe('<img src=x onerror=alert(1)>');
    expect(t.cellText(wide, col('param:layers'))).toBe('[64,64]');
    expect(t.cellText(wide, col('metric:loss'))).toBe('NaN');
    expect(t.cellText(evil, col('metric:acc'))).toBe('');
    expect(t.cellText(wide, col('duration'))).toBe('10s'); // running: now - start
    expect(t.cellText(evil, col('duration'))).toBe('42s');
    expect(t.cellText(wide, col('tags'))).toBe('cnn');
  });

  it('sorts newest first by default and by any column, missing values last', () => {
    const t = new TableModel();
    const runs = [
      run({ id: 'a', start: 1, params: { lr: 0.1 }, metrics: { loss: { last: 0.3, last_step: 1, min: 0.3, max: 1, count: 2 } } }),
      run({ id: 'b', start: 3, params: { lr: 0.01 } }),
      run({ id: 'c', start: 2, params: {}, metrics: { loss: { last: 0.1, last_step: 1, min: 0.1, max: 1, count: 2 } } })
    ];
    t.setRuns(runs, ['lr'], ['loss']);
    expect(t.rows.map(r => r.id)).toEqual(['b', 'c', 'a']);
    t.sortBy('param:lr');
    expect(t.rows.map(r => r.id)).toEqual(['b', 'a', 'c']);
    t.sortBy('param:lr');
    expect(t.sortOrder).toBe('desc');
    expect(t.rows.map(r => r.id)).toEqual(['a', 'b', 'c']);
    t.sortBy('metric:loss', 'asc');
    expect(t.rows.map(r => r.id)).toEqual(['c', 'a', 'b']);
    t.sortBy('name', 'desc');
    expect(t.rows.map(r => r.id)).toEqual(['c', 'b', 'a']);
  });

  it('keeps the sort when new runs arrive', () => {
    const t = new TableModel();
    t.setRuns([run({ id: 'a', name: 'zeta' })], [], []);
    t.sortBy('name', 'asc');
    t.setRuns([run({ id: 'a', name: 'zeta' }), run({ id: 'b', name: 'alpha' })], [], []);
    expect(t.rows.map(r => r.name)).toEqual(['alpha', 'zeta']);
    expect(t.indexOf('a')).toBe(1);
  });

  it('filters by text, by field and by numeric comparison', () => {
    const t = new TableModel();
    const runs = [
      run({ id: 'a', name: 'baseline', tags: ['cnn'], params: { lr: 0.1 } }),
      run({ id: 'b', name: 'wide', status: 'running', params: { lr: 0.01 } }),
      run({ id: 'c', name: 'deep', notes: 'try BASELINE again', params: { lr: 0.5 } })
    ];
    t.setRuns(runs, ['lr'], []);
    const ids = (text: string) => {
      t.setFilter(text);
      return t.rows.map(r => r.id).sort();
    };
    expect(ids('baseline')).toEqual(['a', 'c']);
    expect(ids('status:running')).toEqual(['b']);
    expect(ids('tag:cnn')).toEqual(['a']);
    expect(ids('lr<0.2')).toEqual(['a', 'b']);
    expect(ids('lr>=0.5')).toEqual(['c']);
    expect(ids('baseline lr>0.2')).toEqual(['c']);
    expect(ids('')).toEqual(['a', 'b', 'c']);
  });

  it('finds the runs of a sweep by its id', () => {
    const t = new TableModel();
    t.setRuns(
      [
        run({ id: 'a', sweep: 'sw-1a2b3c4d', trial: 1 }),
        run({ id: 'b', sweep: 'sw-1a2b3c4d', trial: 2 }),
        run({ id: 'c', sweep: 'sw-99999999', trial: 1 }),
        run({ id: 'd' })
      ],
      [],
      []
    );
    const ids = (text: string) => {
      t.setFilter(text);
      return t.rows.map(r => r.id).sort();
    };
    expect(ids('sweep:sw-1a2b')).toEqual(['a', 'b']);
    expect(ids('SW-9999')).toEqual(['c']);
    expect(ids('sweep:sw-')).toEqual(['a', 'b', 'c']);
  });

  it('shows a sweep column, sorted by sweep then trial, only when a run has a sweep', () => {
    const t = new TableModel();
    t.setRuns([run({ id: 'a' })], [], []);
    expect(t.columns.map(c => c.id)).not.toContain('sweep');
    t.setRuns(
      [
        run({ id: 'a' }),
        run({ id: 'b', sweep: 'sw-2', trial: 10 }),
        run({ id: 'c', sweep: 'sw-2', trial: 9 }),
        run({ id: 'd', sweep: 'sw-1', trial: 2 })
      ],
      [],
      []
    );
    const column = t.columns.find(c => c.id === 'sweep');
    expect(column?.label).toBe('Sweep');
    expect(t.columns.map(c => c.id).indexOf('sweep')).toBe(6); // after the base columns
    t.sortBy('sweep', 'asc');
    expect(t.rows.map(r => r.id)).toEqual(['d', 'c', 'b', 'a']); // no sweep: last
    expect(t.cellText(t.rows[2], column!)).toBe('sw-2 #10');
    expect(t.cellText(t.rows[3], column!)).toBe('');
  });

  it('shows a user column only when the runs have several users; user: and host: filter', () => {
    const t = new TableModel();
    t.setRuns([run({ id: 'a', user: 'alice', host: 'gpu-01' }), run({ id: 'b', user: 'alice' })], [], []);
    expect(t.columns.some(c => c.id === 'user')).toBe(false);
    t.setFilter('user:ALI');
    expect(t.rows.map(r => r.id)).toEqual(['a', 'b']);
    t.setFilter('host:gpu');
    expect(t.rows.map(r => r.id)).toEqual(['a']);
    t.setRuns([run({ id: 'a', user: 'alice' }), run({ id: 'b', user: 'bob' }), run({ id: 'c' })], [], []);
    const column = t.columns.find(c => c.id === 'user');
    expect(column?.label).toBe('User');
    t.setFilter('user:bob');
    expect(t.rows.map(r => r.id)).toEqual(['b']);
    t.setFilter('');
    t.sortBy('user', 'asc');
    expect(t.rows.map(r => t.cellText(r, column!))).toEqual(['alice', 'bob', '']); // unknown: last
    expect(filterError('user:alice host:x', [], [])).toBeNull();
  });

  it('sorts and filters 10,000 runs with 20 params', () => {
    // No time bound (the machine may be busy): the speed is the browser test's figure.
    const runs: IRun[] = [];
    for (let i = 0; i < 10000; i++) {
      const params: { [k: string]: number } = {};
      for (let p = 0; p < 20; p++) {
        params[`p${p}`] = (i * 7919 + p) % 1000;
      }
      runs.push(run({ id: String(i), start: i, params }));
    }
    const t = new TableModel();
    t.setRuns(runs, Array.from({ length: 20 }, (_, p) => `p${p}`), []);
    t.sortBy('param:p3');
    t.setFilter('p5>500');
    expect(t.rows.length).toBeGreaterThan(1000);
    const p3 = t.rows.map(r => r.params.p3 as number);
    expect(p3.every((v, i) => i === 0 || p3[i - 1] <= v)).toBe(true);
    expect(t.rows.every(r => (r.params.p5 as number) > 500)).toBe(true);
  });
});

describe('compareValues', () => {
  it('puts missing and NaN last whatever the order', () => {
    expect(compareValues(null, 1, 'asc')).toBe(1);
    expect(compareValues(null, 1, 'desc')).toBe(1);
    expect(compareValues(NaN, 1, 'desc')).toBe(1);
    expect(compareValues(1, 2, 'desc')).toBe(1);
    expect(compareValues(1, 'a', 'asc')).toBe(-1);
  });
});

describe('makeFilter', () => {
  it('is null for an empty filter', () => {
    expect(makeFilter('   ', [])).toBeNull();
  });
});

describe('filters with the DataFrame prefixes and != ', () => {
  const runs = [
    run({ id: 'a', params: { lr: 0.1 }, metrics: { loss: { last: 0.9, last_step: 1, min: 0.9, max: 0.9, count: 1 } } }),
    run({ id: 'b', params: { lr: 0.01 }, metrics: { loss: { last: 0.5, last_step: 1, min: 0.5, max: 0.5, count: 1 } } })
  ];

  it('compares params. and metrics. keys like bare ones', () => {
    const t = new TableModel();
    t.setRuns(runs, ['lr'], ['loss']);
    t.setFilter('params.lr<0.1');
    expect(t.rows.map(r => r.id)).toEqual(['b']);
    t.setFilter('metrics.loss>0.6');
    expect(t.rows.map(r => r.id)).toEqual(['a']);
    t.setFilter('lr!=0.1');
    expect(t.rows.map(r => r.id)).toEqual(['b']);
    expect(t.filterError).toBeNull();
  });

  it('says what is wrong with a filter it cannot read', () => {
    const t = new TableModel();
    t.setRuns(runs, ['lr'], ['loss']);
    t.setFilter('lr<');
    expect(t.filterError).toContain("nothing after '<'");
    expect(filterError('foo:bar', ['lr'], ['loss'])).toContain("no field or param is called 'foo'");
    expect(filterError('colour>1', ['lr'], ['loss'])).toContain("no run has a param or metric called 'colour'");
    expect(filterError('params.lr<x', ['lr'], ['loss'])).toContain('put a number');
    expect(filterError('status:failed tag:x lr:0.1 cnn duration>5', ['lr'], [])).toBeNull();
  });
});

describe('selection under a filter', () => {
  it('tells the selected runs the filter hides from those it shows', () => {
    const t = new TableModel();
    t.setRuns([run({ id: 'a', name: 'alpha' }), run({ id: 'b', name: 'beta' })], [], []);
    t.setFilter('alpha');
    expect(t.splitSelection(['b', 'a'])).toEqual({ visible: ['a'], hidden: ['b'] });
    t.setFilter('');
    expect(t.splitSelection(['b', 'a'])).toEqual({ visible: ['b', 'a'], hidden: [] });
  });

  it("names the server's sort field and feeds the server's filter message to filterError", () => {
    expect(serverSortField('param:opt.name')).toBe('params.opt.name');
    expect(serverSortField('metric:loss')).toBe('metrics.loss');
    expect(serverSortField('start')).toBe('start');
    const t = new TableModel();
    t.setRuns([run({ id: 'a', params: { lr: 0.01 } })], ['lr'], ['loss']);
    t.sortBy('param:lr');
    expect(t.serverSort).toBe('params.lr');
    t.setFilter('lr<0.1');
    expect(t.filterError).toBeNull();
    t.serverFilterError = "'lr<0.1x' is not a number";
    expect(t.filterError).toBe("'lr<0.1x' is not a number");
    t.setFilter('lr<0.2');
    expect(t.filterError).toBeNull(); // a new filter, a new answer
  });

  it('tells whether its filter shows a run outside the loaded rows', () => {
    const t = new TableModel();
    t.setRuns([], ['lr'], []);
    t.setFilter('lr<0.1');
    expect(t.matches(run({ id: 'a', params: { lr: 0.01 } }))).toBe(true);
    expect(t.matches(run({ id: 'b', params: { lr: 0.5 } }))).toBe(false);
  });
});

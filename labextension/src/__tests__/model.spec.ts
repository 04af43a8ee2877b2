import { IRun } from '../api';
import { RunsModel } from '../model';
import { apiPath, FakeServer, IRecorded } from './fakeServer';

function record(id: string, start: number, status = 'finished'): IRun {
  return {
    id,
    ref: `nb#${id}`,
    name: `run-${id}`,
    status,
    experiment: 'nb.ipynb',
    notebook: 'nb.ipynb',
    start,
    end: status === 'running' ? null : start + 1,
    duration: 1,
    tags: [],
    notes: '',
    params: {},
    metrics: {},
    snapshot: null,
    sweep: null,
    trial: null
  } as IRun;
}

/** A server holding `runs`, answering the runs list like nbtrack's. */
function serve(runs: IRun[]) {
  return (req: IRecorded) => {
    const path = apiPath(req);
    if (path === 'runs') {
      const q = req.url.searchParams;
      let list = runs.slice().sort((a, b) => b.start - a.start);
      if (q.get('status')) {
        list = list.filter(r => r.status === q.get('status'));
      }
      // Cursors are the newest start seen; the changed runs are the running ones
      // and those started since, as nbtrack's server answers.
      const newest = Math.max(0, ...runs.map(r => r.start));
      const total = list.length;
      const since = q.get('changed_since');
      if (since) {
        const after = Number(since.slice(3));
        list = list.filter(r => r.status === 'running' || r.start > after);
      }
      const offset = Number(q.get('offset') ?? 0);
      const limit = Number(q.get('limit') ?? 100);
      return {
        status: 200,
        body: {
          runs: list.slice(offset, offset + limit),
          total,
          params: [],
          metrics: [],
          cursor: `t1.${newest}`
        }
      };
    }
    const one = /^runs\/([^/]+)$/.exec(path);
    if (one) {
      const found = runs.find(r => r.id === decodeURIComponent(one[1]));
      return found ? { status: 200, body: found } : { status: 404, body: { message: 'gone' } };
    }
    return undefined;
  };
}

describe('RunsModel', () => {
  it('reads everything first, then only what changed since its last answer', async () => {
    const runs = [record('a', 1), record('b', 2, 'running')];
    const server = new FakeServer(serve(runs));
    const model = new RunsModel(server.api());
    let changes = 0;
    model.changed.connect(() => changes++);
    await model.refresh();
    expect(model.runs.map(r => r.id).sort()).toEqual(['a', 'b']);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].url.searchParams.get('limit')).toBe('10000');

    // A new run and a finished one.
    runs.push(record('c', 3, 'running'));
    runs[1] = record('b', 2, 'finished');
    server.requests = [];
    await model.refresh();
    const queries = server.requests.map(r => `${apiPath(r)}?${r.url.searchParams.toString()}`);
    expect(queries[0]).toContain('changed_since=t1.2');
    expect(queries.every(q => !q.includes('offset'))).toBe(true);
    expect(model.get('c')?.status).toBe('running');
    expect(model.get('b')?.status).toBe('finished');
    expect(changes).toBeGreaterThanOrEqual(2);
    model.dispose();
  });

  it('reads a run that stopped running but is no longer among the newest', async () => {
    const runs = [record('old', 1, 'running')];
    for (let i = 0; i < 30; i++) {
      runs.push(record(`n${i}`, 10 + i));
    }
    const server = new FakeServer(serve(runs));
    const model = new RunsModel(server.api());
    await model.refresh();
    runs[0] = record('old', 1, 'failed');
    await model.refresh();
    expect(model.get('old')?.status).toBe('failed');
    model.dispose();
  });

  it('reads everything again when runs were deleted elsewhere', async () => {
    const runs = [record('a', 1), record('b', 2)];
    const server = new FakeServer(serve(runs));
    const model = new RunsModel(server.api());
    await model.refresh();
    model.setSelection(['a', 'b']);
    runs.splice(0, 1);
    await model.refresh();
    expect(model.runs.map(r => r.id)).toEqual(['b']);
    expect(model.selected).toEqual(['b']);
    model.dispose();
  });

  it('keeps the selection order and toggles', async () => {
    const server = new FakeServer(serve([record('a', 1), record('b', 2), record('c', 3)]));
    const model = new RunsModel(server.api());
    await model.refresh();
    let emitted = 0;
    model.selectionChanged.connect(() => emitted++);
    model.setSelection(['c', 'a', 'zzz']);
    expect(model.selected).toEqual(['c', 'a']);
    model.toggleSelected('b');
    model.toggleSelected('c');
    expect(model.selected).toEqual(['a', 'b']);
    model.setSelection(['a', 'b']);
    expect(emitted).toBe(3);
    model.dispose();
  });

  it('reports errors and recovers', async () => {
    let fail = true;
    const runs = [record('a', 1)];
    const ok = serve(runs);
    const server = new FakeServer(req => (fail ? { status: 500, body: { message: 'store is locked' } } : ok(req)));
    const model = new RunsModel(server.api());
    await model.refresh();
    expect(model.error).toBe('store is locked');
    fail = false;
    await model.refresh();
    expect(model.error).toBeNull();
    expect(model.runs).toHaveLength(1);
    model.dispose();
  });
});

import { IRun } from '../api';
import { PAGE, RunsModel } from '../model';
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

/**
 * A server holding `runs`, answering the runs list like nbtrack's: sorted by
 * `start` or `metrics.<key>`, filtered by a name substring (`q`; a `<` with no
 * number is a 400), paged by `limit`/`offset`.
 */
function serve(runs: IRun[]) {
  return (req: IRecorded) => {
    const path = apiPath(req);
    if (path === 'runs') {
      const q = req.url.searchParams;
      const text = q.get('q') ?? '';
      if (/<$/.test(text)) {
        return { status: 400, body: { message: `'${text}' compares with nothing: put a number after '<'` } };
      }
      const sort = q.get('sort') ?? 'start';
      const sign = q.get('order') === 'asc' ? 1 : -1;
      const key = (r: IRun) => (sort.startsWith('metrics.') ? r.metrics[sort.slice(8)]?.last ?? 0 : r.start);
      let list = runs.filter(r => r.name.includes(text)).sort((a, b) => sign * (key(a) - key(b)));
      // Cursors are the newest start seen; the changed runs are the running ones
      // and those started since, as nbtrack's server answers.
      const newest = Math.max(0, ...runs.map(r => r.start));
      const total = list.length;
      const since = q.get('changed_since');
      if (since) {
        const after = Number(since.slice(3));
        list = list.filter(r => r.status === 'running' || r.start > after);
      }
      const offset = since ? 0 : Number(q.get('offset') ?? 0);
      const limit = Number(q.get('limit') ?? 100);
      return {
        status: 200,
        body: {
          runs: list.slice(offset, offset + limit),
          total,
          params: [],
          metrics: ['loss'],
          cursor: `t1.${newest}`
        }
      };
    }
    const one = /^runs\/([^/]+)$/.exec(path);
    if (one) {
      const ref = decodeURIComponent(one[1]);
      const found = runs.find(r => r.id === ref || r.ref === ref);
      return found ? { status: 200, body: found } : { status: 404, body: { message: 'gone' } };
    }
    return undefined;
  };
}

/** `n` finished runs, newest (start n) first as `r<n-1>`, with a loss of i / n. */
function many(n: number): IRun[] {
  return Array.from({ length: n }, (_, i) => {
    const run = record(`r${i}`, i + 1);
    run.metrics = { loss: { last: ((i * 7919) % n) / n, last_step: 1, min: 0, max: 1, count: 2 } };
    return run;
  });
}

/** Wait (a bounded number of turns of the event loop) until `ready()` holds. */
async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !ready(); i++) {
    await new Promise(r => setTimeout(r, 1));
  }
  expect(ready()).toBe(true);
}

function query(req: IRecorded): string {
  return req.url.searchParams.toString();
}

describe('RunsModel', () => {
  it('reads only the rows in view, a page at a time, and counts all from total', async () => {
    const server = new FakeServer(serve(many(1000)));
    const model = new RunsModel(server.api());
    await model.refresh();
    expect(model.total).toBe(1000);
    expect(model.storeTotal).toBe(1000);
    expect(server.requests).toHaveLength(1);
    const first = server.requests[0].url.searchParams;
    expect(first.get('limit')).toBe(String(PAGE));
    expect(first.get('offset')).toBe('0');
    expect(first.get('sort')).toBe('start');
    expect(first.get('order')).toBe('desc');
    expect(model.rowAt(0)?.id).toBe('r999');
    expect(model.rowAt(PAGE)).toBeUndefined();
    expect(model.runs.length).toBe(PAGE);

    // Scrolled to rows 450-520: pages 4 and 5 only.
    server.requests = [];
    model.showWindow(450, 520);
    await until(() => model.rowAt(450) !== undefined && model.rowAt(519) !== undefined);
    expect(server.requests.map(r => r.url.searchParams.get('offset')).sort()).toEqual(['400', '500']);
    expect(model.rowAt(450)?.id).toBe('r549');
    expect(model.indexOf('r549')).toBe(450);
    // Again: cached, nothing read.
    model.showWindow(460, 510);
    expect(server.requests).toHaveLength(2);
    model.dispose();
  });

  it('sorts and filters on the server, dropping the cached pages', async () => {
    const runs = many(300);
    const server = new FakeServer(serve(runs));
    const model = new RunsModel(server.api());
    await model.refresh();
    server.requests = [];
    model.setView({ sort: 'metrics.loss', order: 'asc' });
    expect(model.rowAt(0)).toBeUndefined(); // the old order is gone at once
    await until(() => model.rowAt(0) !== undefined);
    expect(query(server.requests[0])).toContain('sort=metrics.loss');
    expect(query(server.requests[0])).toContain('order=asc');
    const lowest = runs.slice().sort((a, b) => a.metrics.loss.last - b.metrics.loss.last)[0];
    expect(model.rowAt(0)?.id).toBe(lowest.id);

    server.requests = [];
    model.setView({ q: 'r29' });
    await new Promise(r => setTimeout(r, 0));
    await model.refresh();
    expect(server.requests.some(r => r.url.searchParams.get('q') === 'r29')).toBe(true);
    expect(model.total).toBe(11); // r29, r290..r299
    expect(model.storeTotal).toBe(300);
    model.dispose();
  });

  it("shows the server's message for a filter it cannot read", async () => {
    const server = new FakeServer(serve(many(10)));
    const model = new RunsModel(server.api());
    await model.refresh();
    model.setView({ q: 'lr<' });
    await model.refresh();
    expect(model.filterError).toContain("put a number after '<'");
    expect(model.error).toBeNull();
    expect(model.total).toBe(0);
    model.setView({ q: '' });
    await model.refresh(true);
    expect(model.filterError).toBeNull();
    expect(model.total).toBe(10);
    model.dispose();
  });

  it('keeps selected runs the filter hides selected', async () => {
    const server = new FakeServer(serve(many(50)));
    const model = new RunsModel(server.api());
    await model.refresh();
    model.setSelection(['r1', 'r2']);
    model.setView({ q: 'r4' });
    await model.refresh();
    expect(model.selected).toEqual(['r1', 'r2']);
    expect(model.selectedRuns.map(r => r.name)).toEqual(['run-r1', 'run-r2']);
    expect(model.indexOf('r1')).toBe(-1);
    model.dispose();
  });

  it('patches loaded rows from what changed since its last answer', async () => {
    const runs = [record('a', 1), record('b', 2, 'running')];
    const server = new FakeServer(serve(runs));
    const model = new RunsModel(server.api());
    let changes = 0;
    model.changed.connect(() => changes++);
    await model.refresh();
    expect(model.runs.map(r => r.id).sort()).toEqual(['a', 'b']);

    // The running one finished: patched in place, no page read again.
    runs[1] = record('b', 2, 'finished');
    server.requests = [];
    await model.refresh();
    const queries = server.requests.map(r => `${apiPath(r)}?${query(r)}`);
    expect(queries[0]).toContain('changed_since=t1.2');
    expect(queries.every(q => !q.includes('offset'))).toBe(true);
    expect(model.get('b')?.status).toBe('finished');
    expect(model.rowAt(0)?.status).toBe('finished');
    expect(changes).toBeGreaterThanOrEqual(2);

    // A new run: the total moved, the rows in view are read again.
    runs.push(record('c', 3, 'running'));
    server.requests = [];
    await model.refresh();
    expect(server.requests.some(r => r.url.searchParams.get('offset') === '0')).toBe(true);
    expect(model.total).toBe(3);
    expect(model.rowAt(0)?.id).toBe('c');
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

  it('drops selected runs deleted elsewhere', async () => {
    const runs = many(250);
    const server = new FakeServer(serve(runs));
    const model = new RunsModel(server.api());
    await model.refresh();
    model.setSelection(['r249', 'r200']);
    model.setView({ q: 'r24' }); // r200 is hidden by the filter now
    await model.refresh();
    model.setView({ q: '' });
    await model.refresh();
    runs.splice(200, 1);
    await model.refresh();
    expect(model.total).toBe(249);
    expect(model.selected).toEqual(['r249']);
    model.dispose();
  });

  it('selects a run by ref, reading it when no loaded page holds it', async () => {
    const runs = many(250);
    const server = new FakeServer(serve(runs));
    const model = new RunsModel(server.api());
    await model.refresh();
    expect(model.get('r5')).toBeUndefined(); // row 244: beyond the first page
    const run = await model.selectRef('nb#r5');
    expect(run.id).toBe('r5');
    expect(model.selected).toEqual(['r5']);
    expect(model.selectedRuns.map(r => r.ref)).toEqual(['nb#r5']);
    expect(apiPath(server.requests[server.requests.length - 1])).toBe('runs/nb%23r5');
    // A loaded run is selected without asking the server.
    const asked = server.requests.length;
    await model.selectRef('nb#r249');
    expect(model.selected).toEqual(['r249']);
    expect(server.requests.length).toBe(asked);
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

describe('RunsModel.verify', () => {
  it('marks the run verifying until the server says the verify ended, then reads it', async () => {
    const runs = [record('a', 1)];
    let job = { running: true, exit_code: null as number | null, error: null as string | null };
    const served = serve(runs);
    const server = new FakeServer(req => {
      if (apiPath(req) === 'runs/a/verify') {
        return req.method === 'POST'
          ? { status: 202, body: { started: true } }
          : { status: 200, body: job };
      }
      return served(req);
    });
    const model = new RunsModel(server.api());
    await model.refresh();
    let ended: { error: string | null; run: IRun | null } | null = null;
    void model.verify('a').then(result => (ended = result));
    await until(() => model.get('a')?.verifying === true);
    expect(model.rowAt(0)?.verifying).toBe(true);
    expect(server.requests.some(r => r.method === 'POST')).toBe(true);

    await model.refresh();
    expect(model.get('a')?.verifying).toBe(true); // still running on the server
    expect(ended).toBeNull();

    runs[0] = { ...record('a', 1), verdict: 'differs: loss' };
    job = { running: false, exit_code: 1, error: null };
    await model.refresh();
    await until(() => ended !== null);
    expect(model.isVerifying('a')).toBe(false);
    expect(model.get('a')?.verifying).toBeUndefined();
    expect(model.get('a')?.verdict).toBe('differs: loss');
    expect(model.rowAt(0)?.verdict).toBe('differs: loss');
    expect(ended!.error).toBeNull();
    model.dispose();
  });

  it("passes on the server's refusal and why a verify stopped without a verdict", async () => {
    const runs = [record('a', 1)];
    const served = serve(runs);
    let posts = 0;
    const server = new FakeServer(req => {
      if (apiPath(req) === 'runs/a/verify') {
        if (req.method === 'POST') {
          posts++;
          return posts > 1
            ? { status: 409, body: { message: 'run run-a is being verified already' } }
            : { status: 202, body: { started: true } };
        }
        return { status: 200, body: { running: false, exit_code: 1, error: 'no snapshot' } };
      }
      return served(req);
    });
    const model = new RunsModel(server.api());
    await model.refresh();
    const result = await Promise.all([model.verify('a'), model.refresh()]);
    expect(result[0].error).toBe('no snapshot');
    await expect(model.verify('a')).rejects.toThrow('being verified already');
    expect(model.isVerifying('a')).toBe(false);
    model.dispose();
  });
});

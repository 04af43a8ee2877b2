import { IRun } from '../api';
import { retryDelay, SeriesStore } from '../seriesStore';
import { apiPath, FakeServer } from './fakeServer';

function run(status: string): IRun {
  return {
    id: 'r1', ref: 'nb#1', name: 'r1', status, experiment: 'nb', notebook: 'nb', start: 0,
    end: null, duration: null, tags: [], notes: '', params: {}, metrics: {}, snapshot: null,
    sweep: null, trial: null
  } as IRun;
}

describe('SeriesStore', () => {
  it('reads a run once, then only points after the cursor while it runs', async () => {
    let written = 3;
    const server = new FakeServer(req => {
      if (!apiPath(req).endsWith('/metrics')) {
        return undefined;
      }
      const after = Number((req.url.searchParams.get('after') ?? 'v1.0').slice(3));
      let steps = Array.from({ length: written - after }, (_, i) => after + i);
      const whole = !req.url.searchParams.has('after');
      if (whole && steps.length > 4) {
        steps = [0, 4, 7, written - 1]; // the server thins whole reads to the budget
      }
      return {
        status: 200,
        body: {
          cursor: `v1.${written}`,
          downsampled: whole && written > 4,
          series: { loss: { step: steps, value: steps.map(s => 1 / (s + 1)), time: steps } }
        }
      };
    });
    const store = new SeriesStore(server.api(), { maxPoints: 4 });
    const changed: string[][] = [];
    store.changed.connect((_, ids) => changed.push(ids));
    store.setRuns([run('running')]);
    await (store as any)._tick();
    expect(store.runs[0].series.get('loss')?.step).toEqual([0, 1, 2]);
    expect(server.requests[0].url.searchParams.get('max_points')).toBe('4');
    expect(server.requests[0].url.searchParams.has('after')).toBe(false);

    written = 12;
    await (store as any)._tick();
    expect(server.requests[1].url.searchParams.get('after')).toBe('v1.3');
    // 12 points > 2 x budget: the browser does not thin them, it reads the run
    // again whole and the server does.
    expect(store.runs[0].series.get('loss')?.step).toHaveLength(12);
    expect(store.runs[0].cursor).toBeNull();
    await (store as any)._tick();
    expect(server.requests[2].url.searchParams.has('after')).toBe(false);
    expect(store.runs[0].series.get('loss')?.step).toEqual([0, 4, 7, 11]);
    expect(store.runs[0].cursor).toBe('v1.12');

    // Finished: one more read, then no more requests.
    store.setRuns([run('finished')]);
    await (store as any)._tick();
    const count = server.requests.length;
    await (store as any)._tick();
    expect(server.requests.length).toBe(count);
    expect(store.keys).toEqual(['loss']);
    expect(changed.length).toBeGreaterThanOrEqual(2);
    store.dispose();
  });

  it('keeps following through failed reads: same cursor, growing waits, every point once', async () => {
    let written = 3;
    let fail = false;
    const server = new FakeServer(req => {
      if (!apiPath(req).endsWith('/metrics')) {
        return undefined;
      }
      if (fail) {
        return { status: 502, body: { message: 'bad gateway' } };
      }
      const after = Number((req.url.searchParams.get('after') ?? 'v1.0').slice(3));
      const steps = Array.from({ length: written - after }, (_, i) => after + i);
      return {
        status: 200,
        body: {
          cursor: `v1.${written}`,
          downsampled: false,
          series: { loss: { step: steps, value: steps.map(s => s * 10), time: steps } }
        }
      };
    });
    let now = 1000;
    const store = new SeriesStore(server.api(), {
      maxPoints: 100,
      retryBase: 1000,
      retryMax: 4000,
      clock: () => now
    });
    const tick = (): Promise<void> => (store as any)._tick();
    store.setRuns([run('running')]);
    await tick();
    expect(store.runs[0].series.get('loss')?.step).toEqual([0, 1, 2]);

    // The server fails while the run keeps logging.
    written = 6;
    fail = true;
    await expect(tick()).rejects.toThrow(); // every read failed: the poll backs off
    const entry = store.runs[0];
    expect(entry.complete).toBe(false);
    expect(entry.cursor).toBe('v1.3');
    expect(entry.error).toMatch(/bad gateway/);
    const sent = (): number => server.requests.length;
    const waits: number[] = [];
    // Poll every 500 ms for 7 s: note when requests go out.
    let last = sent();
    let lastAt = now;
    for (let i = 0; i < 14; i++) {
      now += 500;
      await tick().catch(() => undefined);
      if (sent() > last) {
        waits.push(now - lastAt);
        last = sent();
        lastAt = now;
      }
    }
    // Waits double after each failure in a row, up to the cap.
    expect(waits).toEqual([1000, 2000, 4000]);
    expect(entry.complete).toBe(false);

    // The run ends while the server is still away: still not complete.
    store.setRuns([{ ...run('finished') }]);
    written = 8;
    now += 4000;
    await tick().catch(() => undefined);
    expect(store.runs[0].complete).toBe(false);

    // The server is back: the read resumes from the cursor, every point once.
    fail = false;
    now += 4000;
    await tick();
    const last1 = server.requests[server.requests.length - 1];
    expect(last1.url.searchParams.get('after')).toBe('v1.3');
    expect(store.runs[0].series.get('loss')?.step).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(store.runs[0].error).toBeNull();
    expect(store.runs[0].complete).toBe(true);
    const count = sent();
    now += 10000;
    await tick();
    expect(sent()).toBe(count);
    store.dispose();
  });

  it('waits longer after each failure in a row, up to a cap', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map(n => retryDelay(n, 500, 8000))).toEqual([
      0, 500, 1000, 2000, 4000, 8000, 8000
    ]);
  });
});

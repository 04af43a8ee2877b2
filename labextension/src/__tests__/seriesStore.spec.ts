import { IRun } from '../api';
import { SeriesStore } from '../seriesStore';
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
      const steps = Array.from({ length: written - after }, (_, i) => after + i);
      return {
        status: 200,
        body: {
          cursor: `v1.${written}`,
          downsampled: false,
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
    // 12 points > 2 x budget: decimated, first and last kept.
    const steps = store.runs[0].series.get('loss')?.step as number[];
    expect(steps.length).toBeLessThan(12);
    expect(steps[0]).toBe(0);
    expect(steps[steps.length - 1]).toBe(11);

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
});

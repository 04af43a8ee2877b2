import { ISweepTrial } from '../sweepApi';
import { axesOf, bestPath, linearScale, makeAxis, polylinePoints, trialClass } from '../sweepPlot';
import { getSweep, listSweeps } from '../sweepApi';
import { apiPath, FakeServer } from './fakeServer';

function trial(n: number, lr: number, opt: string, value: number | null, state = 'finished'): ISweepTrial {
  return { run: `train#${n}`, run_id: `r${n}`, trial: n, state, params: { lr, opt }, value };
}

describe('sweep plot helpers', () => {
  it('scales linearly, a flat domain to the middle', () => {
    const s = linearScale(0, 10, 100, 200);
    expect([s(0), s(5), s(10)]).toEqual([100, 150, 200]);
    expect(linearScale(3, 3, 0, 10)(3)).toBe(5);
  });

  it('puts numbers on a scaled axis and other values on categories', () => {
    const num = makeAxis('lr', [0.1, 0.3, 0.2]);
    expect([num.position(0.1), num.position(0.3), num.position(null)]).toEqual([0, 1, null]);
    const cat = makeAxis('opt', ['sgd', 'adam', 'sgd']);
    expect([cat.position('adam'), cat.position('sgd')]).toEqual([0, 1]);
    expect([cat.low, cat.high]).toEqual(['adam', 'sgd']);
  });

  it('draws one point per axis, params sorted then the metric last', () => {
    const trials = [trial(1, 0.1, 'adam', 0.5), trial(2, 0.3, 'sgd', 0.9)];
    const axes = axesOf(trials, 'val_acc');
    expect(axes.map(a => a.name)).toEqual(['lr', 'opt', 'val_acc']);
    // 100 × 50 box, pad 10: x at 10, 50, 90; y from 40 (bottom) to 10 (top)
    expect(polylinePoints(trials[0], axes, 100, 50, 10)).toBe('10,40 50,40 90,40');
    expect(polylinePoints(trials[1], axes, 100, 50, 10)).toBe('10,10 50,10 90,10');
    // a pruned trial without a value stops before the metric's axis
    const pruned = trial(3, 0.2, 'sgd', null, 'pruned');
    expect(polylinePoints(pruned, axes, 100, 50, 10)).toBe('10,25 50,10');
  });

  it('draws the best-so-far as a path rising with each improvement', () => {
    expect(bestPath([{ best: 1 }, { best: 2 }, { best: 2 }], 100, 50, 10)).toBe(
      'M10,40 L50,10 L90,10'
    );
    expect(bestPath([], 100, 50)).toBe('');
  });

  it('greys pruned trials and dashes failed ones', () => {
    expect(trialClass('pruned')).toBe('nbtrack-mod-pruned');
    expect(trialClass('failed')).toBe('nbtrack-mod-failed');
    expect(trialClass('crashed')).toBe('nbtrack-mod-failed');
    expect(trialClass('finished')).toBe('nbtrack-mod-finished');
  });
});

describe('sweep endpoints', () => {
  it('lists sweeps and reads one, its id URL-encoded, with the token', async () => {
    const server = new FakeServer(req =>
      apiPath(req) === 'sweeps'
        ? { status: 200, body: { sweeps: [{ sweep: 'a' }] } }
        : { status: 404, body: { message: "no sweep 'a/b #1' in this store" } }
    );
    expect((await listSweeps(server.api()))[0].sweep).toBe('a');
    await expect(getSweep(server.api(), 'a/b #1')).rejects.toThrow("no sweep 'a/b #1'");
    expect(server.requests[1].url.pathname).toMatch(/nbtrack\/api\/sweeps\/a%2Fb%20%231$/);
    expect(server.requests[0].headers.get('Authorization')).toBe('token secret-token');
  });
});

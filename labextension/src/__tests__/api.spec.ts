import { ApiError, encodeRef } from '../api';
import { runMedia } from '../mediaApi';
import { listModels } from '../modelsApi';
import { listSweeps } from '../sweepApi';
import { apiPath, FakeServer } from './fakeServer';

import runs from './fixtures/runs.json';
import diff from './fixtures/diff.json';

describe('NbtrackApi', () => {
  it('lists runs under <base_url>/nbtrack/api with the query and the token', async () => {
    const server = new FakeServer(() => ({ status: 200, body: runs }));
    const page = await server.api().listRuns({ limit: 10000, sort: 'start', order: 'desc', status: 'running' });
    expect(page.total).toBe(2);
    const req = server.requests[0];
    expect(req.method).toBe('GET');
    expect(apiPath(req)).toBe('runs');
    expect(req.url.searchParams.get('limit')).toBe('10000');
    expect(req.url.searchParams.get('status')).toBe('running');
    expect(req.url.searchParams.has('offset')).toBe(false);
    expect(req.headers.get('Authorization')).toBe('token secret-token');
  });

  it('turns non-finite strings of metric summaries into numbers', async () => {
    const server = new FakeServer(() => ({ status: 200, body: JSON.parse(JSON.stringify(runs)) }));
    const page = await server.api().listRuns();
    const loss = page.runs[0].metrics.loss;
    expect(Number.isNaN(loss.last)).toBe(true);
    expect(loss.max).toBe(Infinity);
    expect(loss.min).toBe(0.25);
    expect(page.runs[0].notes).toBe('');
    // Params are left as the user logged them.
    expect(page.runs[0].params['config.optimizer']).toBe('adam');
  });

  it('encodes a ref in the path', async () => {
    expect(encodeRef('train#4')).toBe('train%234');
    const server = new FakeServer(() => ({ status: 200, body: runs.runs[1] }));
    await server.api().getRun('train#1');
    expect(server.requests[0].url.pathname).toBe('/lab-base/nbtrack/api/runs/train%231');
  });

  it('reads metrics after a cursor, with keys and a point budget', async () => {
    const server = new FakeServer(() => ({
      status: 200,
      body: {
        cursor: 'v1.42',
        downsampled: false,
        series: { loss: { step: [0, 1, 2], value: [1, 'NaN', '-Infinity'], time: [10, 11, 12] } }
      }
    }));
    const chunk = await server.api().metrics('01J', { keys: ['loss', 'acc'], after: 'v1.7', maxPoints: 500 });
    const req = server.requests[0];
    expect(apiPath(req)).toBe('runs/01J/metrics');
    expect(req.url.searchParams.get('keys')).toBe('loss,acc');
    expect(req.url.searchParams.get('after')).toBe('v1.7');
    expect(req.url.searchParams.get('max_points')).toBe('500');
    expect(chunk.cursor).toBe('v1.42');
    expect(chunk.series.loss.value[0]).toBe(1);
    expect(Number.isNaN(chunk.series.loss.value[1])).toBe(true);
    expect(chunk.series.loss.value[2]).toBe(-Infinity);
  });

  it('asks for the diff of two refs and normalises deltas', async () => {
    const server = new FakeServer(() => ({ status: 200, body: JSON.parse(JSON.stringify(diff)) }));
    const d = await server.api().diff('train#1', 'train#2');
    expect(server.requests[0].url.searchParams.get('a')).toBe('train#1');
    expect(server.requests[0].url.searchParams.get('b')).toBe('train#2');
    expect(Number.isNaN(d.metrics.loss.delta.last)).toBe(true);
    expect(d.metrics.loss.b?.max).toBe(Infinity);
    expect(d.metrics.acc.a).toBeNull();
    expect(d.params.changed.lr).toEqual({ old: 0.05, new: 0.01 });
  });

  it('sends PATCH with a JSON body and DELETE expecting 204', async () => {
    const server = new FakeServer(req =>
      req.method === 'PATCH'
        ? { status: 200, body: { ...runs.runs[1], name: 'renamed' } }
        : { status: 204 }
    );
    const api = server.api();
    const run = await api.updateRun('train#1', { name: 'renamed', tags: ['a'] });
    expect(run.name).toBe('renamed');
    expect(JSON.parse(server.requests[0].body as string)).toEqual({ name: 'renamed', tags: ['a'] });
    expect(server.requests[0].headers.get('Content-Type')).toBe('application/json');
    await expect(api.deleteRun('train#1')).resolves.toBeUndefined();
    expect(server.requests[1].method).toBe('DELETE');
  });

  it("raises the server's message with the status", async () => {
    const server = new FakeServer(() => ({ status: 409, body: { message: 'train#2 is running: stop it first' } }));
    const error = await server.api().deleteRun('train#2').catch(e => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(409);
    expect(error.message).toBe('train#2 is running: stop it first');
  });

  it('returns null for a run without a snapshot (404)', async () => {
    const server = new FakeServer(() => ({ status: 404, body: { message: 'train#2 has no snapshot' } }));
    await expect(server.api().snapshot('train#2')).resolves.toBeNull();
  });

  it('says the server extension is missing when the route does not exist', async () => {
    const server = new FakeServer(() => ({ status: 404, body: 'Not Found' }));
    const error = await server.api().listRuns().catch(e => e);
    expect(error.message).toMatch(/server extension is not enabled/);
  });

  it('says so from the media, models and sweeps endpoints too, with the status', async () => {
    const server = new FakeServer(() => ({ status: 404, body: 'Not Found' }));
    const api = server.api();
    for (const call of [() => runMedia(api, 'train#1'), () => listModels(api), () => listSweeps(api)]) {
      const error = await call().catch(e => e);
      expect(error).toBeInstanceOf(ApiError);
      expect(error.status).toBe(404);
      expect(error.message).toMatch(/server extension is not enabled/);
    }
    expect(server.requests.map(r => r.headers.get('Authorization'))).toEqual(Array(3).fill('token secret-token'));
  });
});

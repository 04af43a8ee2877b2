import { runMedia } from '../mediaApi';
import { apiPath, FakeServer } from './fakeServer';

describe('media API', () => {
  it('asks for a run media page with the token and the filters', async () => {
    const page = { media: [], total: 0, offset: 0, limit: 5, names: [] };
    const server = new FakeServer(() => ({ status: 200, body: page }));
    const answer = await runMedia(server.api(), 'train#4', { name: 'samples', limit: 5 });
    expect(answer.total).toBe(0);
    const req = server.requests[0];
    expect(apiPath(req)).toBe('runs/train%234/media');
    expect(req.url.searchParams.get('name')).toBe('samples');
    expect(req.headers.get('Authorization')).toBe('token secret-token');
  });
});

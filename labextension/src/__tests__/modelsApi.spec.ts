import { ApiError } from '../api';
import { getModel, listModels, moveAlias } from '../modelsApi';
import { moveProblem, moveText, summarize } from '../modelsFormat';
import { apiPath, FakeServer } from './fakeServer';

// What the real server answered (tests/server, a model linked twice, aliases moved).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const fixture = require('./fixtures/models.json');

describe('models API', () => {
  it('reads the listing and one model by its encoded name, with the token', async () => {
    const server = new FakeServer(req =>
      apiPath(req) === 'models'
        ? { status: 200, body: fixture.models }
        : { status: 200, body: fixture.detail }
    );
    const api = server.api();
    const rows = await listModels(api);
    expect(rows.map(r => [r.model, r.version, r.aliases])).toEqual([
      ['digits-classifier', 1, ['candidate']],
      ['digits-classifier', 2, ['production']]
    ]);
    await getModel(api, 'a b/c#1');
    expect(apiPath(server.requests[1])).toBe('models/a%20b%2Fc%231');
    expect(server.requests[1].headers.get('Authorization')).toBe('token secret-token');
  });

  it('posts a move as JSON and throws the server words when it is refused', async () => {
    const server = new FakeServer(req => {
      const body = JSON.parse(req.body ?? '{}');
      return body.version === 9
        ? { status: 404, body: fixture.error404.body }
        : { status: 200, body: { name: 'digits-classifier', alias: body.alias, version: 2, from_version: 1 } };
    });
    const api = server.api();
    const moved = await moveAlias(api, 'digits-classifier', 'production', 2);
    expect(moved.from_version).toBe(1);
    const req = server.requests[0];
    expect(req.method).toBe('POST');
    expect(apiPath(req)).toBe('models/digits-classifier/aliases');
    expect(JSON.parse(req.body ?? '')).toEqual({ alias: 'production', version: 2 });
    expect(req.headers.get('Content-Type')).toBe('application/json');
    const refused = moveAlias(api, 'digits-classifier', 'production', 9);
    await expect(refused).rejects.toBeInstanceOf(ApiError);
    await expect(moveAlias(api, 'digits-classifier', 'production', 9)).rejects.toThrow(
      "'digits-classifier' has no version 9 (it has v1..v2)"
    );
  });
});

describe('models helpers', () => {
  it('groups the listing by model with its aliases and newest version', () => {
    const rows = [
      ...fixture.models.models,
      { ...fixture.models.models[0], model: 'a-model', version: 1, aliases: [] }
    ];
    const models = summarize(rows);
    expect(models.map(m => [m.name, m.versions, m.latest, m.source, m.aliases])).toEqual([
      ['a-model', 1, 1, 'digits-mlp:v1', []],
      ['digits-classifier', 2, 2, 'digits-mlp:v2', [['candidate', 1], ['production', 2]]]
    ]);
  });

  it('says how an alias moved', () => {
    expect(fixture.detail.history.map(moveText)).toEqual(['set on v1', 'v1 → v2', 'set on v1']);
    expect(moveText({ from_version: 2, to_version: null })).toBe('removed from v2');
  });

  it('refuses in words a move that needs no server to refuse', () => {
    const aliases = fixture.detail.aliases;
    expect(moveProblem('', 2, aliases)).toMatch(/^Type an alias/);
    expect(moveProblem('production', null, aliases)).toMatch(/^Choose the version/);
    expect(moveProblem('production', 2, aliases)).toBe('production already points at v2');
    expect(moveProblem('production', 1, aliases)).toBeNull();
  });
});

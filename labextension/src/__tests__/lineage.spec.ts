import { ILineage } from '../api';
import { cellLabel, formatBytes, lineageTree } from '../lineage';
import { apiPath, FakeServer } from './fakeServer';

// prep#1 made raw:v1; clean#1 used raw:v1 and made train:v1 (the root);
// fit#1 and fit#2 used train:v1; fit#2 made model:v1.
const LINEAGE: ILineage = {
  root: 'train:v1',
  versions: {},
  runs: {
    'prep#1': { id: 'r1', name: 'prep' },
    'clean#1': { id: 'r2', name: 'clean#1' },
    'fit#1': { id: 'r3', name: 'fit' },
    'fit#2': { id: 'r4', name: null }
  },
  edges: [
    ['prep#1', 'raw:v1', 'made'],
    ['raw:v1', 'clean#1', 'used'],
    ['clean#1', 'train:v1', 'made'],
    ['train:v1', 'fit#1', 'used'],
    ['train:v1', 'fit#2', 'used'],
    ['fit#2', 'model:v1', 'made']
  ],
  upstream: ['raw:v1'],
  downstream: ['model:v1']
};

describe('lineageTree', () => {
  it('walks upstream to what made the version and what that used', () => {
    const { upstream } = lineageTree(LINEAGE);
    expect(upstream.map(l => [l.depth, l.relation, l.node, l.isRun])).toEqual([
      [1, 'made by', 'clean#1', true],
      [2, 'used', 'raw:v1', false],
      [3, 'made by', 'prep#1', true]
    ]);
    // A name equal to the ref is not repeated; another name is kept.
    expect(upstream[0].name).toBeNull();
    expect(upstream[2].name).toBe('prep');
  });

  it('walks downstream to the runs that used it and what they made', () => {
    const { downstream } = lineageTree(LINEAGE);
    expect(downstream.map(l => [l.depth, l.relation, l.node])).toEqual([
      [1, 'used by', 'fit#1'],
      [1, 'used by', 'fit#2'],
      [2, 'made', 'model:v1']
    ]);
  });

  it('expands a node reached twice only once', () => {
    // fit#1 used both train:v1 and model:v1, which fit#2 made from train:v1.
    const diamond: ILineage = {
      ...LINEAGE,
      edges: [...LINEAGE.edges, ['model:v1', 'fit#1', 'used']]
    };
    const { downstream } = lineageTree(diamond);
    const fit1 = downstream.filter(l => l.node === 'fit#1');
    expect(fit1.map(l => l.repeated)).toEqual([false, true]);
    expect(downstream).toHaveLength(4);
  });

  it('is empty both ways for a version logged outside a run and never used', () => {
    const alone = lineageTree({ ...LINEAGE, root: 'solo:v1', edges: [] });
    expect(alone).toEqual({ upstream: [], downstream: [] });
  });
});

describe('formatBytes and cellLabel', () => {
  it('prints sizes as the CLI does', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(3.2 * 1024 ** 3)).toBe('3.2 GB');
    expect(formatBytes(null)).toBe('');
  });

  it('says where a cell ran', () => {
    expect(cellLabel({ notebook: 'prep.ipynb', execution_count: 3 })).toBe('prep.ipynb In[3]');
    expect(cellLabel({ notebook: 'prep.py' })).toBe('prep.py');
    expect(cellLabel({ notebook: 'runs/a/prep.ipynb', execution_count: 3 }, true)).toBe('prep.ipynb In[3]');
    expect(cellLabel({ notebook: 'runs/a/prep.ipynb', execution_count: 3 })).toBe('runs/a/prep.ipynb In[3]');
    expect(cellLabel(null)).toBe('');
  });
});

describe('artifact API calls', () => {
  it('encode an artifact ref in the path and send the token', async () => {
    const server = new FakeServer(req =>
      apiPath(req) === 'artifacts'
        ? { status: 200, body: { artifacts: [] } }
        : { status: 200, body: { inputs: [], outputs: [] } }
    );
    const api = server.api();
    expect(await api.listArtifacts('digits-train')).toEqual([]);
    await api.getArtifact('digits-train:v2');
    await api.lineage('digits-train:latest');
    await api.runArtifacts('train#4');
    const [list, one, lineage, run] = server.requests;
    expect(list.url.searchParams.get('name')).toBe('digits-train');
    expect(one.url.pathname).toBe('/lab-base/nbtrack/api/artifacts/digits-train%3Av2');
    expect(lineage.url.pathname).toBe('/lab-base/nbtrack/api/artifacts/digits-train%3Alatest/lineage');
    expect(run.url.pathname).toBe('/lab-base/nbtrack/api/runs/train%234/artifacts');
    expect(run.headers.get('Authorization')).toBe('token secret-token');
  });
});

/**
 * @jest-environment jsdom
 */
import './domShim'; // before Lumino

import { IArtifactVersion, IRun, NbtrackApi } from '../api';
import { RunsModel } from '../model';
import { RunArtifactsView } from '../runArtifacts';

function run(id: string, status = 'finished'): IRun {
  return {
    id, ref: `nb#${id}`, name: id, status, experiment: 'nb.ipynb', notebook: 'nb.ipynb',
    start: 1, end: status === 'running' ? null : 2, duration: 1, tags: [], notes: '',
    params: {}, metrics: {}, snapshot: null, sweep: null, trial: null
  } as unknown as IRun;
}

const used = { ref: 'digits:v2' } as IArtifactVersion;

/** The network edge: runs and a run's inputs answered from memory (jsdom has no fetch). */
function serve(runs: IRun[]): { api: NbtrackApi; asked: string[] } {
  const asked: string[] = [];
  const api = {
    listRuns: async () => ({ runs, total: runs.length, params: [], metrics: [], cursor: 't1.1' }),
    runArtifacts: async (id: string) => {
      asked.push(id);
      return id === 'train' ? { inputs: [used], outputs: [] } : { inputs: [], outputs: [] };
    }
  };
  return { api: api as unknown as NbtrackApi, asked };
}

const tick = () => new Promise(r => setTimeout(r, 0));

describe('RunArtifactsView', () => {
  it("shows the single selected run's inputs as links, and nothing for a run without", async () => {
    const { api, asked } = serve([run('train'), run('plain')]);
    const model = new RunsModel(api);
    await model.refresh();
    const view = new RunArtifactsView(model);
    const requested: string[] = [];
    view.versionRequested.connect((_, ref) => requested.push(ref));

    model.setSelection(['train']);
    await tick();
    expect(view.isHidden).toBe(false);
    const link = view.node.querySelector<HTMLElement>('.nbtrack-RunArtifacts-inputs .nbtrack-VersionLink');
    expect(link?.textContent).toBe('digits:v2');
    link?.click();
    expect(requested).toEqual(['digits:v2']);

    model.setSelection(['plain']);
    await tick();
    expect(view.isHidden).toBe(true);
    model.setSelection(['train', 'plain']);
    await tick();
    expect(view.isHidden).toBe(true);
    expect(asked).toEqual(['train', 'plain']);
    model.dispose();
  });

  it('stays hidden while inactive (another panel view shows), and shows again after', async () => {
    const { api } = serve([run('train')]);
    const model = new RunsModel(api);
    await model.refresh();
    const view = new RunArtifactsView(model);
    view.active = false;
    model.setSelection(['train']);
    await tick();
    expect(view.isHidden).toBe(true);
    view.active = true;
    await tick();
    expect(view.isHidden).toBe(false);
    model.dispose();
  });
});

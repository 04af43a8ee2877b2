/**
 * @jest-environment jsdom
 */
import './domShim'; // before Lumino

import { ApiError, IArtifactDetail, IArtifactVersion, ILineage, NbtrackApi } from '../api';
import { ArtifactView } from '../artifactView';

const EVIL = '<img src=x onerror=alert(1)>';

function version(name: string, n: number, made: string | null): IArtifactVersion {
  return {
    ref: `${name}:v${n}`, id: `${name}-${n}`, name, type: EVIL, version: n, kind: 'dataset',
    hash: 'ab'.repeat(32), size: 1536, files: 1, stored: true,
    aliases: n === 2 ? ['latest', EVIL] : [], made_by: made, created: 1
  };
}

/** The network edge: the artifact endpoints answered from memory (jsdom has no fetch). */
function serve(): { api: NbtrackApi; asked: string[] } {
  const asked: string[] = [];
  const versions = [version('digits', 1, 'prep#1'), version('digits', 2, 'prep#2')];
  const detail = (ref: string): IArtifactDetail => {
    const v = versions.find(x => x.ref === ref || (ref === 'digits:latest' && x.version === 2));
    if (!v) {
      throw new Error(`no artifact version matches '${ref}'`);
    }
    return {
      ...v, unique_bytes: 1536, shared_bytes: 0,
      alias_history: [{ alias: 'best', from_version: 1, version: 2, time: 1, run: 'prep#2', user: EVIL }],
      meta: { rows: 3, preview: { columns: ['x', EVIL], data: [[1, EVIL], [2, null]] } },
      made_by_runs: [{ run: v.made_by as string, run_id: 'r', cell: { notebook: 'a/prep.ipynb', execution_count: 4 } }],
      used_by: [{ run: 'train#1', run_id: 't', cell: null }]
    };
  };
  const lineage = (ref: string): ILineage => ({
    root: ref, versions: {},
    runs: { 'prep#2': { id: 'r', name: EVIL }, 'train#1': { id: 't', name: 'train#1' } },
    edges: [['prep#2', ref, 'made'], [ref, 'train#1', 'used']],
    upstream: [], downstream: []
  });
  const api = {
    listArtifacts: async () => (asked.push('list'), versions),
    getArtifact: async (ref: string) => (asked.push(`get ${ref}`), detail(ref)),
    lineage: async (ref: string) => (asked.push(`lineage ${ref}`), lineage(detail(ref).ref))
  };
  return { api: api as unknown as NbtrackApi, asked };
}

describe('ArtifactView', () => {
  it('lists versions and shows user text as text', async () => {
    const { api } = serve();
    const view = new ArtifactView(api);
    await view.refresh();
    const rows = view.node.querySelectorAll<HTMLElement>('.nbtrack-ArtifactList-row');
    expect(Array.from(rows).map(r => r.dataset.ref)).toEqual(['digits:v1', 'digits:v2']);
    expect(rows[1].querySelector('.nbtrack-col-aliases')?.textContent).toBe(`latest, ${EVIL}`);
    expect(rows[1].querySelector('.nbtrack-col-size')?.textContent).toBe('1.5 KB');
    expect(rows[1].querySelector('.nbtrack-col-type')?.textContent).toBe(EVIL);
    expect(view.node.querySelector('.nbtrack-ArtifactView-status')?.textContent).toBe(
      '2 versions of 1 artifact'
    );
    await view.showVersion('digits:v2');
    expect(view.node.querySelector('.nbtrack-ArtifactDetail h3')?.textContent).toBe('digits:v2');
    expect(view.node.querySelector('.nbtrack-Lineage-upstream')?.textContent).toContain(EVIL);
    // The dataset's first rows and the alias history, as text.
    const preview = view.node.querySelector('.nbtrack-DatasetPreview-table');
    expect(Array.from(preview?.querySelectorAll('td') ?? []).map(td => td.textContent)).toEqual(
      ['1', EVIL, '2', '']
    );
    const move = view.node.querySelector('.nbtrack-AliasHistory-row');
    expect(move?.querySelector('.nbtrack-AliasHistory-move')?.textContent).toBe('v1 → v2');
    expect(move?.querySelector('.nbtrack-AliasHistory-by')?.textContent).toBe(`prep#2 (${EVIL})`);
    // The lineage drawn: the root between the run that made it and the one that used it.
    const nodes = Array.from(view.node.querySelectorAll('.nbtrack-LineageGraph-node'));
    expect(nodes.map(n => n.getAttribute('data-run') ?? n.getAttribute('data-ref'))).toEqual(
      ['prep#2', 'digits:v2', 'train#1']
    );
    expect(view.node.querySelector('img')).toBeNull();
    view.dispose();
  });

  it('selects the version an alias resolves to, and says when a ref matches none', async () => {
    const { api } = serve();
    const view = new ArtifactView(api);
    await view.refresh();
    await view.showVersion('digits:latest');
    expect(view.selectedRef).toBe('digits:v2');
    const selected = view.node.querySelectorAll('.nbtrack-ArtifactList-row.nbtrack-mod-selected');
    expect(Array.from(selected).map(r => (r as HTMLElement).dataset.ref)).toEqual(['digits:v2']);
    await view.showVersion('digits:v9');
    expect(view.node.querySelector('.nbtrack-ArtifactDetail')?.textContent).toBe(
      "no artifact version matches 'digits:v9'"
    );
    view.dispose();
  });

  it('asks for a run when its ref is clicked, and for a version when its row is', async () => {
    const { api, asked } = serve();
    const view = new ArtifactView(api);
    const runs: string[] = [];
    view.runRequested.connect((_, ref) => runs.push(ref));
    await view.refresh();
    const row = view.node.querySelector<HTMLElement>('[data-ref="digits:v1"] .nbtrack-col-name');
    row?.click();
    await new Promise(r => setTimeout(r, 0));
    expect(asked).toContain('get digits:v1');
    expect(view.selectedRef).toBe('digits:v1');
    // The made-by link inside the row selects the run, not the version.
    view.node.querySelector<HTMLElement>('[data-ref="digits:v2"] .nbtrack-RunLink')?.click();
    await new Promise(r => setTimeout(r, 0));
    view.node.querySelector<HTMLElement>('.nbtrack-Lineage-downstream .nbtrack-RunLink')?.click();
    // A run node of the graph selects the run too; the alias history's run link as well.
    const node = view.node.querySelector('.nbtrack-LineageGraph-node[data-run="train#1"] text');
    node?.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    view.node.querySelector<HTMLElement>('.nbtrack-AliasHistory-by .nbtrack-RunLink')?.click();
    expect(runs).toEqual(['prep#2', 'train#1', 'train#1', 'prep#2']);
    expect(view.selectedRef).toBe('digits:v1');
    view.dispose();
  });

  it('says a failed listing in the status line and keeps the rows and the detail shown', async () => {
    const { api, asked } = serve();
    const view = new ArtifactView(api);
    const status = view.node.querySelector('.nbtrack-ArtifactView-status') as HTMLElement;
    const listing = view.refresh();
    expect(status.textContent).toBe('Loading artifacts…');
    await listing;
    await view.showVersion('digits:v2');
    const away = `the store is away: ${EVIL}`;
    (api as unknown as { listArtifacts: () => Promise<never> }).listArtifacts = async () => {
      throw new ApiError(away, 503);
    };
    asked.length = 0;
    await view.refresh();
    expect(status.querySelector('.nbtrack-mod-error')?.textContent).toBe(away);
    expect(view.node.querySelector('img')).toBeNull();
    expect(view.node.querySelectorAll('.nbtrack-ArtifactList-row').length).toBe(2);
    // The detail is not read again (it would only repeat the error): it stays as shown.
    expect(asked).toEqual([]);
    expect(view.node.querySelector('.nbtrack-ArtifactDetail h3')?.textContent).toBe('digits:v2');
    view.dispose();
  });
});

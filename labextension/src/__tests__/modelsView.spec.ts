/**
 * @jest-environment jsdom
 */
import './domShim'; // before Lumino

import { ApiError, NbtrackApi } from '../api';
import { IModelDetail, IRegistryRow } from '../modelsApi';
import { ModelsView } from '../modelsView';

// What the real server answered (tests/server: a model linked twice, aliases moved).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const fixture = require('./fixtures/models.json');
const EVIL = '<img src=x onerror=alert(1)>';
const SNAPSHOT = '0123456789abcdef0123456789abcdef01234567';

/** The network edge (jsdom has no fetch): the registry endpoints answered from memory. */
const server = {
  rows: [] as IRegistryRow[],
  detail: null as IModelDetail | null,
  asked: [] as string[],
  refuse: null as ApiError | null
};

jest.mock('../modelsApi', () => ({
  listModels: async () => (server.asked.push('list'), server.rows),
  getModel: async (_: unknown, name: string) => {
    server.asked.push(`get ${name}`);
    if (!server.detail || server.detail.name !== name) {
      throw new Error(`no registered model '${name}'`);
    }
    return server.detail;
  },
  moveAlias: async (_: unknown, name: string, alias: string, version: number) => {
    server.asked.push(`move ${name} ${alias} v${version}`);
    if (server.refuse) {
      throw server.refuse;
    }
    const detail = server.detail as IModelDetail;
    const from = detail.aliases[alias] ?? null;
    detail.aliases[alias] = version;
    detail.versions.forEach(v => {
      v.aliases = v.aliases.filter(a => a !== alias);
      if (v.version === version) {
        v.aliases.push(alias);
      }
    });
    detail.history.push({ time: 1, user: 'alice', alias, from_version: from, to_version: version, run: null });
    return { name, alias, version, from_version: from };
  }
}));

/** The fixture under another name (user text that looks like HTML). */
function serve(name: string): void {
  const detail = JSON.parse(JSON.stringify(fixture.detail)) as IModelDetail;
  detail.name = name;
  (detail.versions[0].source as { snapshot: string | null }).snapshot = SNAPSHOT;
  detail.history[1].user = EVIL;
  server.detail = detail;
  server.rows = (JSON.parse(JSON.stringify(fixture.models.models)) as IRegistryRow[]).map(r => ({ ...r, model: name }));
  server.asked = [];
  server.refuse = null;
}

const tick = () => new Promise(r => setTimeout(r, 0));

describe('ModelsView', () => {
  it('lists models, versions with alias chips, source runs, snapshots and history, as text', async () => {
    serve(EVIL);
    const view = new ModelsView({} as NbtrackApi);
    await view.refresh();
    const node = view.node;
    expect(node.querySelector('.nbtrack-ModelsView-status')?.textContent).toBe('1 registered model, 2 versions');
    const row = node.querySelector<HTMLElement>('.nbtrack-ModelList-row');
    expect(row?.dataset.model).toBe(EVIL);
    expect(row?.querySelector('.nbtrack-col-name')?.textContent).toBe(EVIL);
    expect(row?.classList.contains('nbtrack-mod-selected')).toBe(true);
    expect(Array.from(row?.querySelectorAll('.nbtrack-AliasChip') ?? []).map(c => c.textContent)).toEqual([
      'candidate v1',
      'production v2'
    ]);
    expect(node.querySelector('.nbtrack-ModelDetail h3')?.textContent).toBe(EVIL);
    // Newest version first.
    const versions = node.querySelectorAll<HTMLElement>('.nbtrack-ModelVersions-row');
    const cells = (tr: HTMLElement) =>
      Array.from(tr.querySelectorAll(':scope > [class^="nbtrack-col-"]')).slice(0, 5).map(part => part.textContent);
    expect(cells(versions[0])).toEqual(['v2', 'production', 'digits-mlp:v2', 'outside a run', '']);
    expect(cells(versions[1])).toEqual(['v1', 'candidate', 'digits-mlp:v1', 'train#1 in train.ipynb', '01234567']);
    expect(versions[1].querySelector<HTMLElement>('.nbtrack-col-snapshot')?.title).toBe(
      `Notebook snapshot commit ${SNAPSHOT} of train#1`
    );
    const history = node.querySelectorAll<HTMLElement>('.nbtrack-AliasHistory-row');
    expect(Array.from(history).map(tr => [
      tr.querySelector('.nbtrack-col-user')?.textContent,
      tr.querySelector('.nbtrack-col-alias')?.textContent,
      tr.querySelector('.nbtrack-col-move')?.textContent
    ])).toEqual([
      [fixture.detail.history[2].user, 'candidate', 'set on v1'],
      [EVIL, 'production', 'v1 → v2'],
      ['root', 'production', 'set on v1']
    ]);
    expect(node.querySelector('img')).toBeNull();
    view.dispose();
  });

  it('moves an alias from the form and shows the move in the history', async () => {
    serve('digits-classifier');
    const view = new ModelsView({} as NbtrackApi);
    document.body.appendChild(view.node);
    await view.refresh();
    const form = view.node.querySelector('form') as HTMLFormElement;
    const select = form.querySelector('select') as HTMLSelectElement;
    expect(Array.from(select.options).map(o => o.textContent)).toEqual(['v2', 'v1']);
    // A version row chooses the version.
    view.node.querySelector<HTMLElement>('.nbtrack-ModelVersions-row[data-version="1"] .nbtrack-col-source')?.click();
    expect(select.value).toBe('1');
    (form.querySelector('input') as HTMLInputElement).value = ' production ';
    (form.querySelector('button') as HTMLButtonElement).click();
    for (let i = 0; i < 5; i++) {
      await tick();
    }
    expect(server.asked).toContain('move digits-classifier production v1');
    expect(view.node.querySelector('.nbtrack-AliasMove-message')?.textContent).toBe('production: v2 → v1');
    const newest = view.node.querySelector<HTMLElement>('.nbtrack-AliasHistory-row');
    expect(newest?.querySelector('.nbtrack-col-user')?.textContent).toBe('alice');
    expect(newest?.querySelector('.nbtrack-col-move')?.textContent).toBe('v2 → v1');
    const v1 = view.node.querySelector<HTMLElement>('.nbtrack-ModelVersions-row[data-version="1"]');
    expect(v1?.querySelector('.nbtrack-col-aliases')?.textContent).toBe('candidateproduction');
    view.dispose();
  });

  it('shows a refusal inline in the server words, and asks nothing for an empty alias', async () => {
    serve('digits-classifier');
    const view = new ModelsView({} as NbtrackApi);
    await view.refresh();
    expect(await view.move('', 2)).toBe(false);
    expect(server.asked.filter(a => a.startsWith('move'))).toEqual([]);
    const message = () => view.node.querySelector<HTMLElement>('.nbtrack-AliasMove-message');
    expect(message()?.textContent).toMatch(/^Type an alias/);
    server.refuse = new ApiError(fixture.error404.body.message, 409);
    expect(await view.move('staging', 1)).toBe(false);
    expect(message()?.textContent).toBe(fixture.error404.body.message);
    expect(message()?.classList.contains('nbtrack-mod-error')).toBe(true);
    expect(view.detail?.aliases).toEqual({ candidate: 1, production: 2 });
    view.dispose();
  });

  it('asks for a run when a source run ref is clicked', async () => {
    serve('digits-classifier');
    const view = new ModelsView({} as NbtrackApi);
    const runs: string[] = [];
    view.runRequested.connect((_, ref) => runs.push(ref));
    await view.refresh();
    view.node.querySelector<HTMLElement>('.nbtrack-ModelVersions .nbtrack-RunLink')?.click();
    expect(runs).toEqual(['train#1']);
    view.dispose();
  });

  it('says how to register a model when there is none', async () => {
    server.rows = [];
    server.detail = null;
    const view = new ModelsView({} as NbtrackApi);
    await view.refresh();
    expect(view.node.querySelector('.nbtrack-ModelsView-status')?.textContent).toMatch(
      /^No registered models yet: nbtrack\.registry\.link/
    );
    expect(view.node.querySelector('.nbtrack-ModelDetail')?.textContent).toBe('');
    view.dispose();
  });
});

describe('ModelsView refresh', () => {
  it('keeps the alias being typed, its caret and the chosen version across a refresh', async () => {
    serve('digits-classifier');
    const view = new ModelsView({} as NbtrackApi);
    document.body.appendChild(view.node);
    await view.refresh();
    const input = view.node.querySelector('.nbtrack-AliasMove-alias') as HTMLInputElement;
    input.focus();
    input.value = 'stag';
    input.setSelectionRange(2, 2);
    (view.node.querySelector('.nbtrack-AliasMove-version') as HTMLSelectElement).value = '1';
    await view.refresh(); // the panel's poll saw a run end
    const again = view.node.querySelector('.nbtrack-AliasMove-alias') as HTMLInputElement;
    expect(again).not.toBe(input);
    expect(again.value).toBe('stag');
    expect(document.activeElement).toBe(again);
    expect(again.selectionStart).toBe(2);
    expect((view.node.querySelector('.nbtrack-AliasMove-version') as HTMLSelectElement).value).toBe('1');
    view.dispose();
    view.node.remove();
  });
});

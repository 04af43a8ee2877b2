/**
 * The Models view of the Runs panel: the registered models (versions and
 * aliases as chips) and, for the selected model, each version's logged model,
 * source run and notebook snapshot commit, a form that moves an alias (POST
 * to the server, which records the Jupyter user; a refusal shows inline in
 * the server's words), and the alias history. Run refs are buttons:
 * `runRequested` asks the panel to select that run. All user text (model
 * names, aliases, users) is set with `textContent`.
 */
import { Message } from '@lumino/messaging';

import { NbtrackApi } from './api';
import { runLink } from './artifactView';
import { el } from './dom';
import { formatTime, plural } from './format';
import { cellLabel } from './lineage';
import { ListDetailView } from './listDetailView';
import { getModel, IModelDetail, listModels, moveAlias } from './modelsApi';
import { IModelSummary, moveProblem, moveText, shortCommit, summarize, vLabel } from './modelsFormat';
import { errorText } from './viewLoader';

/** A labelled part of a row: `<span class="nbtrack-col-ID">`, text or nodes. */
function part(id: string, content: string | HTMLElement[], label?: string): HTMLElement {
  const node = el('span', `nbtrack-col-${id}`);
  if (typeof content === 'string') {
    node.textContent = content;
    node.title = label ? `${label}: ${content}` : content;
  } else {
    node.append(...content);
  }
  return node;
}

/** A list of rows (role list), each a wrapping line of parts: fits a narrow side panel. */
function list(className: string, label: string): HTMLElement {
  const node = el('div', `nbtrack-ModelRows ${className}`);
  node.setAttribute('role', 'list');
  node.setAttribute('aria-label', label);
  return node;
}

function row(className: string): HTMLElement {
  const node = el('div', `nbtrack-ModelRow ${className}`);
  node.setAttribute('role', 'listitem');
  return node;
}

/** An alias chip: `production` (with ` v2` when the version is not the row's). */
export function aliasChip(alias: string, version?: number): HTMLElement {
  const chip = el('span', 'nbtrack-AliasChip');
  chip.dataset.alias = alias;
  chip.appendChild(el('span', 'nbtrack-AliasChip-name', alias));
  if (version !== undefined) {
    chip.appendChild(el('span', 'nbtrack-AliasChip-version', ` ${vLabel(version)}`));
  }
  return chip;
}

export class ModelsView extends ListDetailView {
  constructor(api: NbtrackApi) {
    const models = list('nbtrack-ModelList', 'Registered models');
    super(api, { label: 'Models', view: 'nbtrack-ModelsView', item: 'nbtrack-Model', list: models });
    this._list = models;
    this.node.addEventListener('submit', this);
  }

  /** The registered models listed, newest answer. */
  get models(): readonly IModelSummary[] {
    return this._models;
  }

  /** The selected model's name, or null. */
  get selected(): string | null {
    return this._selected;
  }

  /** The selected model's newest answer, or null. */
  get detail(): IModelDetail | null {
    return this._model;
  }

  /** Read the listing again, and the selected model (the first, if none is). */
  async refresh(): Promise<void> {
    const read = await this.listLoad.load(
      'models',
      () => listModels(this.api),
      rows => {
        this._models = summarize(rows);
        if (this._selected === null || !this._models.some(m => m.name === this._selected)) {
          this._selected = this._models.length ? this._models[0].name : null;
        }
        this._renderStatus();
        this._renderList();
      },
      'Loading models…'
    );
    if (read !== 'shown') {
      return;
    }
    if (this._selected !== null) {
      await this._loadDetail(this._selected);
    } else {
      this._model = null;
      this.detailLoad.clear();
    }
  }

  /** Select a registered model and show its versions and history. */
  async showModel(name: string): Promise<void> {
    if (name !== this._selected) {
      this._selected = name;
      this._moveMessage = null;
    }
    this._renderList();
    await this._loadDetail(name);
  }

  /** Move `alias` of the selected model to `version` (what the form's Move does). */
  async move(alias: string, version: number | null): Promise<boolean> {
    const model = this._model;
    if (!model) {
      return false;
    }
    const problem = moveProblem(alias, version, model.aliases);
    if (problem !== null || version === null) {
      this._showMoveMessage(problem ?? '', true);
      return false;
    }
    this._busy = true;
    this._syncForm();
    try {
      const moved = await moveAlias(this.api, model.name, alias, version);
      this._moveMessage = {
        text: `${moved.alias}: ${moveText({ from_version: moved.from_version, to_version: moved.version })}`,
        error: false
      };
    } catch (error) {
      this._busy = false;
      this._showMoveMessage(errorText(error), true);
      return false;
    }
    this._busy = false;
    this.detailNode.dataset.shown = ''; // a fresh form: the move is made
    await this.refresh();
    return true;
  }

  handleEvent(event: Event): void {
    if (event.type === 'submit') {
      event.preventDefault();
      const form = event.target as HTMLFormElement;
      const alias = (form.querySelector('input') as HTMLInputElement).value.trim();
      const value = (form.querySelector('select') as HTMLSelectElement).value;
      void this.move(alias, value ? Number(value) : null);
      return;
    }
    if (event.type !== 'click') {
      return;
    }
    const target = event.target as HTMLElement;
    const run = target.closest<HTMLElement>('[data-run]');
    if (run) {
      this.requestRun(run.dataset.run as string);
      return;
    }
    const model = target.closest<HTMLElement>('[data-model]');
    if (model) {
      void this.showModel(model.dataset.model as string);
      return;
    }
    const version = target.closest<HTMLElement>('[data-version]');
    const select = this.detailNode.querySelector('select');
    if (version && select) {
      // A version row chooses the version the form moves an alias to.
      select.value = version.dataset.version as string;
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh();
  }

  dispose(): void {
    this.node.removeEventListener('submit', this);
    super.dispose();
  }

  private _renderStatus(): void {
    const count = this._models.length;
    const versions = this._models.reduce((n, m) => n + m.versions, 0);
    this.statusNode.textContent = count
      ? `${plural(count, 'registered model')}, ${plural(versions, 'version')}`
      : "No registered models yet: nbtrack.registry.link('<model>:vN', 'name', aliases=['candidate'])";
  }

  private _renderList(): void {
    const rows = this._models.map(m => {
      const tr = row('nbtrack-ModelList-row');
      tr.dataset.model = m.name;
      const selected = m.name === this._selected;
      tr.setAttribute('aria-selected', selected ? 'true' : 'false');
      tr.classList.toggle('nbtrack-mod-selected', selected);
      tr.append(
        part('name', m.name, 'Model'),
        part('aliases', m.aliases.map(([alias, v]) => aliasChip(alias, v))),
        part('versions', plural(m.versions, 'version')),
        part('source', `latest ${vLabel(m.latest)}: ${m.source}`)
      );
      return tr;
    });
    this._list.replaceChildren(...rows);
  }

  private async _loadDetail(name: string): Promise<void> {
    const read = await this.detailLoad.load(
      name,
      () => getModel(this.api, name),
      model => {
        this._model = model;
        this._renderDetail(model);
      },
      `Loading ${name}…`
    );
    if (read === 'failed') {
      this._model = null;
    }
  }

  private _renderDetail(model: IModelDetail): void {
    // Keep what the user is typing across a refresh of the same model.
    const oldInput = this.detailNode.querySelector<HTMLInputElement>('.nbtrack-AliasMove-alias');
    const oldSelect = this.detailNode.querySelector<HTMLSelectElement>('.nbtrack-AliasMove-version');
    const keep =
      this.detailNode.dataset.shown === model.name
        ? { alias: oldInput?.value ?? '', version: oldSelect?.value ?? '' }
        : null;
    this.detailNode.dataset.shown = model.name;

    const parts: HTMLElement[] = [el('h3', 'nbtrack-ModelDetail-title', model.name)];

    const versions = list('nbtrack-ModelVersions', 'Versions');
    for (const v of [...model.versions].reverse()) {
      const tr = row('nbtrack-ModelVersions-row');
      tr.dataset.version = String(v.version);
      const src = v.source;
      const run = part('run', src?.run ? [runLink(src.run, src.run_name)] : []);
      const where = cellLabel(src?.cell ?? null, true);
      if (where) {
        run.appendChild(el('span', 'nbtrack-ModelVersions-cell', ` in ${where}`));
      }
      if (!src?.run) {
        run.appendChild(el('span', 'nbtrack-ModelDetail-none', 'outside a run'));
      }
      const snapshot = part('snapshot', shortCommit(src?.snapshot ?? null));
      snapshot.title = src?.snapshot
        ? `Notebook snapshot commit ${src.snapshot} of ${src.run}`
        : 'No notebook snapshot';
      const linked = [formatTime(v.linked), v.user ? `by ${v.user}` : ''].filter(Boolean).join(' ');
      tr.append(
        part('version', vLabel(v.version)),
        part('aliases', v.aliases.map(alias => aliasChip(alias))),
        part('source', src ? src.ref : 'gone', 'Logged model'),
        run,
        snapshot,
        part('linked', linked, 'Linked')
      );
      versions.appendChild(tr);
    }
    parts.push(el('h4', '', 'Versions'), versions);
    parts.push(el('h4', '', 'Move an alias'), this._makeForm(model, keep));

    const history = list('nbtrack-AliasHistory', 'Alias history');
    for (const h of [...model.history].reverse()) {
      const tr = row('nbtrack-AliasHistory-row');
      tr.dataset.alias = h.alias;
      tr.append(
        part('time', formatTime(h.time), 'When'),
        part('alias', [aliasChip(h.alias)]),
        part('move', moveText(h)),
        part('user', h.user ?? '', 'Moved by')
      );
      if (h.run) {
        tr.appendChild(part('run', [runLink(h.run)]));
      }
      history.appendChild(tr);
    }
    parts.push(el('h4', '', 'Alias history'));
    parts.push(
      model.history.length
        ? history
        : el('div', 'nbtrack-ModelDetail-none', 'No alias was ever set on this model')
    );
    const typing = keep !== null && oldInput !== null && document.activeElement === oldInput;
    const caret = typing ? oldInput.selectionStart : null;
    this.detailNode.replaceChildren(...parts);
    if (typing) {
      // A refresh while the alias is typed: the caret stays where it was.
      const input = this.detailNode.querySelector<HTMLInputElement>('.nbtrack-AliasMove-alias');
      input?.focus();
      input?.setSelectionRange(caret, caret);
    }
    this._syncForm();
  }

  private _makeForm(
    model: IModelDetail,
    keep: { alias: string; version: string } | null
  ): HTMLFormElement {
    const form = el('form', 'nbtrack-AliasMove');
    form.setAttribute('aria-label', 'Move an alias');
    const alias = el('input', 'nbtrack-AliasMove-alias jp-mod-styled');
    alias.type = 'text';
    alias.placeholder = 'alias';
    alias.setAttribute('aria-label', 'Alias');
    const listId = `nbtrack-aliases-${++ModelsView._forms}`;
    const options = el('datalist', '');
    options.id = listId;
    for (const name of new Set(['production', 'staging', 'candidate', ...Object.keys(model.aliases)])) {
      const option = el('option', '');
      option.value = name;
      options.appendChild(option);
    }
    alias.setAttribute('list', listId);
    const to = el('span', 'nbtrack-AliasMove-to', ' to ');
    const select = el('select', 'nbtrack-AliasMove-version jp-mod-styled');
    select.setAttribute('aria-label', 'Version');
    for (const v of [...model.versions].reverse()) {
      const option = el('option', '', vLabel(v.version));
      option.value = String(v.version);
      select.appendChild(option);
    }
    const button = el('button', 'nbtrack-AliasMove-button jp-mod-styled jp-mod-accept', 'Move');
    button.type = 'submit';
    const message = el('div', 'nbtrack-AliasMove-message');
    message.setAttribute('role', 'status');
    if (keep) {
      alias.value = keep.alias;
      if (keep.version && model.versions.some(v => String(v.version) === keep.version)) {
        select.value = keep.version;
      }
    }
    if (this._moveMessage) {
      message.textContent = this._moveMessage.text;
      message.classList.toggle('nbtrack-mod-error', this._moveMessage.error);
    }
    form.append(alias, options, to, select, button, message);
    return form;
  }

  private _showMoveMessage(text: string, error: boolean): void {
    this._moveMessage = { text, error };
    const message = this.detailNode.querySelector<HTMLElement>('.nbtrack-AliasMove-message');
    if (message) {
      message.textContent = text;
      message.classList.toggle('nbtrack-mod-error', error);
    }
    this._syncForm();
  }

  private _syncForm(): void {
    const button = this.detailNode.querySelector<HTMLButtonElement>('.nbtrack-AliasMove-button');
    if (button) {
      button.disabled = this._busy;
    }
  }

  private static _forms = 0;
  private _models: IModelSummary[] = [];
  private _model: IModelDetail | null = null;
  private _selected: string | null = null;
  private _moveMessage: { text: string; error: boolean } | null = null;
  private _busy = false;
  private _list: HTMLElement;
}

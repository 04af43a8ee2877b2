/**
 * The Runs side panel: a filter box and actions, the run table, and the
 * curves of the selected runs below it. Actions are commands (see
 * `commands.ts`), so the toolbar, the context menu and the palette agree.
 */
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Panel, SplitPanel, Widget } from '@lumino/widgets';

import { CommandIDs } from './commandIds';
import { CurvesView } from './curves';
import { RunsModel } from './model';
import { RunTable } from './runTable';
import { SeriesStore } from './seriesStore';

/** At most this many selected runs are drawn at once. */
export const MAX_CURVE_RUNS = 20;

export class RunPanel extends Panel {
  constructor(options: { model: RunsModel; store: SeriesStore; commands: CommandRegistry }) {
    super();
    this.id = 'nbtrack-runs';
    this.addClass('nbtrack-RunPanel');
    this.title.caption = 'nbtrack runs';
    this.model = options.model;
    this.store = options.store;
    this._commands = options.commands;

    const bar = new Widget();
    bar.addClass('nbtrack-RunPanel-toolbar');
    this._filter = document.createElement('input');
    this._filter.type = 'search';
    this._filter.className = 'nbtrack-RunPanel-filter jp-mod-styled';
    this._filter.placeholder = 'Filter: text, status:running, lr<0.1';
    this._filter.setAttribute('aria-label', 'Filter runs');
    this._filter.addEventListener('input', () => {
      this.table.setFilter(this._filter.value);
      this._sync();
    });
    bar.node.appendChild(this._filter);
    this._buttons = document.createElement('div');
    this._buttons.className = 'nbtrack-RunPanel-actions';
    for (const [id, label] of [
      [CommandIDs.diff, 'Diff'],
      [CommandIDs.openSnapshot, 'Snapshot'],
      [CommandIDs.rename, 'Rename'],
      [CommandIDs.tag, 'Tags'],
      [CommandIDs.note, 'Notes'],
      [CommandIDs.remove, 'Delete'],
      [CommandIDs.refresh, 'Refresh']
    ]) {
      const button = document.createElement('button');
      button.className = 'jp-Button jp-mod-styled nbtrack-RunPanel-button';
      button.dataset.command = id;
      button.textContent = label;
      button.addEventListener('click', () => void this._commands.execute(id));
      this._buttons.appendChild(button);
    }
    bar.node.appendChild(this._buttons);
    this._status = document.createElement('div');
    this._status.className = 'nbtrack-RunPanel-status';
    this._status.setAttribute('aria-live', 'polite');
    bar.node.appendChild(this._status);

    this.table = new RunTable(this.model);
    this.curves = new CurvesView(this.store);
    const split = new SplitPanel({ orientation: 'vertical', spacing: 4 });
    split.addClass('nbtrack-RunPanel-split');
    split.addWidget(this.table);
    split.addWidget(this.curves);
    split.setRelativeSizes([0.45, 0.55]);
    this.addWidget(bar);
    this.addWidget(split);

    this.model.changed.connect(this._sync, this);
    this.model.selectionChanged.connect(this._sync, this);
    this._commands.commandChanged.connect(this._updateButtons, this);
    this._sync();
  }

  readonly model: RunsModel;
  readonly store: SeriesStore;
  readonly table: RunTable;
  readonly curves: CurvesView;

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.paused = false;
    this.store.paused = false;
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.paused = true;
    this.store.paused = true;
  }

  private _sync(): void {
    const selected = this.model.selectedRuns;
    this.store.setRuns(selected.slice(0, MAX_CURVE_RUNS));
    const total = this.model.runs.length;
    const shown = this.table.table.rows.length;
    const running = this.model.runs.filter(r => r.status === 'running').length;
    const parts = [shown === total ? `${total} runs` : `${shown} of ${total} runs`];
    if (running) {
      parts.push(`${running} running`);
    }
    if (selected.length) {
      parts.push(`${selected.length} selected`);
    }
    if (selected.length > MAX_CURVE_RUNS) {
      parts.push(`curves of the first ${MAX_CURVE_RUNS}`);
    }
    this._status.textContent = parts.join(' · ');
    this._updateButtons();
  }

  private _updateButtons(): void {
    for (const button of Array.from(this._buttons.children) as HTMLButtonElement[]) {
      const id = button.dataset.command as string;
      button.disabled = !this._commands.isEnabled(id);
    }
  }

  private _filter: HTMLInputElement;
  private _buttons: HTMLElement;
  private _status: HTMLElement;
  private _commands: CommandRegistry;
}

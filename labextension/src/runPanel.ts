/**
 * The Runs side panel: a filter box and actions, the run table, and the
 * curves of the selected runs below it. Actions are commands (see
 * `commands.ts`), so the toolbar, the context menu and the palette agree.
 * Two tabs at the top switch between the runs and the Artifacts view; a run
 * ref there selects the run here, and the selected run's inputs and outputs
 * open there. A third tab shows the registered models (`modelsView.ts`).
 */
import {
  CommandToolbarButton,
  deleteIcon,
  editIcon,
  LabIcon,
  notebookIcon,
  ReactiveToolbar,
  refreshIcon,
  tagIcon,
  textEditorIcon,
  Toolbar
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Panel, SplitPanel, Widget } from '@lumino/widgets';

import { ArtifactView } from './artifactView';
import { CommandIDs } from './commandIds';
import { CurvesView } from './curves';
import { diffIcon } from './icon';
import { RunsModel } from './model';
import { MediaView } from './mediaView';
import { ModelsView } from './modelsView';
import { RunArtifactsView } from './runArtifacts';
import { SweepView } from './sweepView';
import { RunTable } from './runTable';
import { SeriesStore } from './seriesStore';

/** At most this many selected runs are drawn at once. */
export const MAX_CURVE_RUNS = 20;

/** The toolbar: [command, icon, tooltip] or a spacer. */
const TOOLBAR_ITEMS: ([string, LabIcon, string] | 'spacer')[] = [
  [CommandIDs.refresh, refreshIcon, 'Refresh the runs'],
  [CommandIDs.diff, diffIcon, 'Diff the two selected runs'],
  [CommandIDs.openSnapshot, notebookIcon, "Open the selected run's notebook snapshot"],
  [CommandIDs.rename, editIcon, 'Rename the selected run'],
  [CommandIDs.tag, tagIcon, 'Edit the tags of the selected run'],
  [CommandIDs.note, textEditorIcon, 'Edit the notes on the selected run'],
  'spacer',
  [CommandIDs.remove, deleteIcon, 'Delete the selected runs']
];

export type PanelView = 'runs' | 'artifacts' | 'models' | 'sweeps';

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
    // Icon buttons in a JupyterLab toolbar: what does not fit goes into its "…" menu.
    this.toolbar = new ReactiveToolbar();
    this.toolbar.addClass('nbtrack-RunPanel-actions');
    for (const item of TOOLBAR_ITEMS) {
      if (item === 'spacer') {
        this.toolbar.addItem('spacer', Toolbar.createSpacerItem());
        continue;
      }
      const [id, icon, caption] = item;
      this.toolbar.addItem(
        id.replace('nbtrack:', ''),
        new CommandToolbarButton({ commands: this._commands, id, icon, label: '', caption })
      );
    }
    const status = new Widget();
    status.addClass('nbtrack-RunPanel-status');
    this._status = status.node;
    this._status.setAttribute('aria-live', 'polite');

    this.table = new RunTable(this.model);
    this.curves = new CurvesView(this.store);
    const split = new SplitPanel({ orientation: 'vertical', spacing: 4 });
    split.addClass('nbtrack-RunPanel-split');
    split.addWidget(this.table);
    split.addWidget(this.curves);
    split.setRelativeSizes([0.45, 0.55]);
    this.runArtifacts = new RunArtifactsView(this.model);
    this.artifacts = new ArtifactView(this.model.api);
    this.media = new MediaView(this.model);
    this._runsParts = [bar, this.toolbar, status, this.runArtifacts, this.media, split];

    this.addWidget(this._makeTabs());
    this.addWidget(bar);
    this.addWidget(this.toolbar);
    this.addWidget(status);
    this.addWidget(this.runArtifacts);
    this.addWidget(this.media);
    this.addWidget(split);
    this.addWidget(this.artifacts);
    this.artifacts.hide();
    this.models = new ModelsView(this.model.api);
    this.addWidget(this.models);
    this.models.hide();
    this.models.runRequested.connect((_, ref) => void this.showRun(ref));
    this.sweeps = new SweepView(this.model.api);
    this.addWidget(this.sweeps);
    this.sweeps.hide();
    this.sweeps.runRequested.connect((_, ref) => void this.showRun(ref));
    this.artifacts.runRequested.connect((_, ref) => void this.showRun(ref));
    this.runArtifacts.versionRequested.connect((_, ref) => void this.showVersion(ref));

    this.model.changed.connect(this._sync, this);
    this.model.selectionChanged.connect(this._sync, this);
    this._sync();
  }

  readonly model: RunsModel;
  readonly store: SeriesStore;
  readonly table: RunTable;
  readonly toolbar: ReactiveToolbar;
  readonly curves: CurvesView;
  readonly artifacts: ArtifactView;
  readonly sweeps: SweepView;
  readonly runArtifacts: RunArtifactsView;
  readonly media: MediaView;
  readonly models: ModelsView;

  /** The view shown: the runs (table and curves) or the artifacts. */
  get view(): PanelView {
    return this._view;
  }

  set view(view: PanelView) {
    if (view === this._view) {
      return;
    }
    this._view = view;
    const runs = view === 'runs';
    for (const part of this._runsParts) {
      if (part !== this.runArtifacts && part !== this.media) {
        part.setHidden(!runs);
      }
    }
    // The strip hides itself when the run has no inputs or outputs.
    this.runArtifacts.active = runs;
    this.media.active = runs; // hidden when the run logged no media
    this.artifacts.setHidden(view !== 'artifacts');
    this.models.setHidden(view !== 'models');
    this.sweeps.setHidden(view !== 'sweeps');
    if (view === 'sweeps') {
      void this.sweeps.refresh();
    }
    for (const [name, tab] of this._tabs) {
      tab.setAttribute('aria-selected', name === view ? 'true' : 'false');
      tab.classList.toggle('nbtrack-mod-active', name === view);
    }
  }

  /** Show the runs and select run `ref` (a link in the Artifacts view). */
  async showRun(ref: string): Promise<void> {
    this.view = 'runs';
    try {
      await this.model.selectRef(ref);
    } catch (error) {
      this._status.textContent = error instanceof Error ? error.message : String(error);
    }
  }

  /** Show the Artifacts view with version `ref` selected. */
  async showVersion(ref: string): Promise<void> {
    this.view = 'artifacts';
    await this.artifacts.showVersion(ref);
  }

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

  private _makeTabs(): Widget {
    const tabs = new Widget();
    tabs.addClass('nbtrack-RunPanel-tabs');
    tabs.node.setAttribute('role', 'tablist');
    for (const [view, label] of [
      ['runs', 'Runs'],
      ['artifacts', 'Artifacts'],
      ['models', 'Models'],
      ['sweeps', 'Sweeps']
    ] as [PanelView, string][]) {
      const tab = document.createElement('button');
      tab.type = 'button';
      tab.className = 'nbtrack-RunPanel-tab';
      tab.dataset.view = view;
      tab.setAttribute('role', 'tab');
      tab.textContent = label;
      tab.setAttribute('aria-selected', view === this._view ? 'true' : 'false');
      tab.classList.toggle('nbtrack-mod-active', view === this._view);
      tab.addEventListener('click', () => {
        this.view = view;
      });
      this._tabs.set(view, tab);
      tabs.node.appendChild(tab);
    }
    return tabs;
  }

  /**
   * While the Artifacts view shows, read it again when a run was added or
   * deleted, or a running run ended (what logs artifacts).
   */
  private _refreshArtifacts(): void {
    const running = this.model.runs.filter(r => r.status === 'running').map(r => r.id);
    const key = `${this.model.storeTotal}|${running.sort().join(',')}`;
    if (key !== this._artifactsKey) {
      this._artifactsKey = key;
      if (this._view === 'artifacts' && this.artifacts.isVisible) {
        void this.artifacts.refresh();
      }
      // Runs log and register models: the Models view follows the same poll.
      if (this._view === 'models' && this.models.isVisible) {
        void this.models.refresh();
      }
      // A sweep's trials are runs: its counts, plots and trials follow them.
      if (this._view === 'sweeps' && this.sweeps.isVisible) {
        void this.sweeps.refresh();
      }
    }
  }

  private _sync(): void {
    this._refreshArtifacts();
    const selected = this.model.selectedRuns;
    this.store.setRuns(selected.slice(0, MAX_CURVE_RUNS));
    // Counts from the server: the runs matching the filter and the store's.
    const total = this.model.storeTotal;
    const shown = this.model.total;
    const running = this.model.runs.filter(r => r.status === 'running' && this.table.table.matches(r)).length;
    const parts = [shown === total ? `${total} runs` : `${shown} of ${total} runs`];
    if (running) {
      parts.push(`${running} running`);
    }
    if (selected.length) {
      // Runs the filter hides stay selected: say so, so nothing acts on them unseen.
      const hidden = selected.filter(run => !this.table.table.matches(run));
      parts.push(
        hidden.length
          ? `${selected.length} selected (${hidden.length} hidden by the filter)`
          : `${selected.length} selected`
      );
    }
    if (selected.length > MAX_CURVE_RUNS) {
      parts.push(`curves of the first ${MAX_CURVE_RUNS}`);
    }
    const problem = this.table.table.filterError;
    this._filter.classList.toggle('nbtrack-mod-invalid', problem !== null);
    this._filter.setAttribute('aria-invalid', problem !== null ? 'true' : 'false');
    this._filter.title = problem ?? '';
    this._status.textContent = problem
      ? `Filter not understood: ${problem}`
      : parts.join(' · ');
  }

  private _filter: HTMLInputElement;
  private _status: HTMLElement;
  private _commands: CommandRegistry;
  private _view: PanelView = 'runs';
  private _artifactsKey = '';
  private _tabs = new Map<PanelView, HTMLButtonElement>();
  private _runsParts: Widget[];
}

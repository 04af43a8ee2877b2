/**
 * nbtrack's JupyterLab plugins. This file only wires them together:
 *
 * - `nbtrack:plugin`: the Runs side panel, its commands and settings;
 * - `nbtrack:track-save`: the notebook cell executor that saves a notebook
 *   before a `%%track` cell runs (it replaces JupyterLab's default executor,
 *   which package.json disables, and calls it for every cell).
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, IThemeManager } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { INotebookCellExecutor, INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { NbtrackApi } from './api';
import { registerCommands } from './commands';
import { runsIcon } from './icon';
import { RunsModel } from './model';
import { RunPanel } from './runPanel';
import { SeriesStore } from './seriesStore';
import { TrackSavingExecutor } from './trackSave';

const PLUGIN_ID = 'nbtrack:plugin';

const runsPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'The nbtrack Runs panel: live run table, curves and run diffs.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    ISettingRegistry,
    IEditorServices,
    IThemeManager,
    INotebookTracker,
    INotebookCellExecutor,
    ILabShell
  ],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settings: ISettingRegistry | null,
    editorServices: IEditorServices | null,
    themes: IThemeManager | null,
    notebooks: INotebookTracker | null,
    executor: INotebookCellExecutor | null
  ): void => {
    const api = new NbtrackApi(app.serviceManager.serverSettings);
    const model = new RunsModel(api, { interval: 500 });
    const store = new SeriesStore(api, { interval: 250 });
    const panel = new RunPanel({ model, store, commands: app.commands });
    panel.title.icon = runsIcon;
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, panel.id);

    registerCommands(app, {
      model,
      panelId: panel.id,
      rendermime,
      editorFactory: editorServices?.factoryService.newInlineEditor,
      palette
    });

    themes?.themeChanged.connect(() => panel.curves.rebuild());

    if (executor instanceof TrackSavingExecutor && notebooks) {
      executor.findContext = model =>
        notebooks.find(nb => nb.context.model === model)?.context;
    }

    const applySettings = (s: ISettingRegistry.ISettings) => {
      const interval = s.get('refreshInterval').composite as number;
      model.interval = interval;
      // Curves of running runs: twice as often (log() to chart well under 1 s).
      store.interval = Math.max(100, interval / 2);
      store.maxPoints = s.get('chartPoints').composite as number;
    };
    if (settings) {
      settings
        .load(PLUGIN_ID)
        .then(s => {
          applySettings(s);
          s.changed.connect(applySettings);
        })
        .catch(reason => console.error('nbtrack: could not load settings', reason));
    }

    model.paused = !panel.isVisible;
    store.paused = !panel.isVisible;
    void model.start();
    void store.start();
  }
};

const trackSavePlugin: JupyterFrontEndPlugin<INotebookCellExecutor> = {
  id: 'nbtrack:track-save',
  description: 'Runs notebook cells; saves the notebook before a %%track cell runs.',
  autoStart: true,
  provides: INotebookCellExecutor,
  activate: (): INotebookCellExecutor => new TrackSavingExecutor()
};

export default [runsPlugin, trackSavePlugin];

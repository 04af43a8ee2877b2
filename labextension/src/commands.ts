/**
 * The extension's commands: open the panel, refresh, diff two runs, open a
 * snapshot, rename / tag / note / verify / delete runs. They act on the panel's
 * selection, or on explicit `ref`/`a`/`b` arguments (refs or run ids).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  InputDialog,
  MainAreaWidget,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { CodeEditor } from '@jupyterlab/codeeditor';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';

import { IRun } from './api';
import { CommandIDs } from './commandIds';
import { DiffView } from './diffView';
import { runLabels } from './format';
import { editNotes } from './notesDialog';
import { RunsModel } from './model';
import { SnapshotView } from './snapshotView';

export interface ICommandDeps {
  model: RunsModel;
  panelId: string;
  rendermime: IRenderMimeRegistry;
  editorFactory?: CodeEditor.Factory;
  palette?: ICommandPalette | null;
}

const CATEGORY = 'nbtrack';

export function registerCommands(app: JupyterFrontEnd, deps: ICommandDeps): void {
  const { commands, shell } = app;
  const { model } = deps;
  const api = model.api;

  const one = (): IRun | undefined =>
    model.selectedRuns.length === 1 ? model.selectedRuns[0] : undefined;

  /** A command on the one selected run: enabled only while exactly one is. */
  function addOneRunCommand(id: string, label: string, act: (run: IRun) => Promise<void>): void {
    commands.addCommand(id, {
      label,
      isEnabled: () => !!one(),
      execute: async () => {
        const run = one();
        if (run) {
          await act(run);
        }
      }
    });
  }

  async function resolve(ref: string): Promise<IRun> {
    const known = model.get(ref) ?? model.runs.find(r => r.ref === ref || r.name === ref);
    return known ?? (await api.getRun(ref));
  }

  function reuse(id: string): boolean {
    for (const widget of shell.widgets('main')) {
      if (widget.id === id) {
        shell.activateById(id);
        return true;
      }
    }
    return false;
  }

  function open(content: Widget & { ready: Promise<void> }, id: string): MainAreaWidget {
    const widget = new MainAreaWidget({ content, reveal: content.ready });
    widget.id = id;
    widget.title.label = content.title.label;
    widget.title.caption = content.title.caption;
    widget.title.closable = true;
    shell.add(widget, 'main');
    shell.activateById(id);
    return widget;
  }

  const report = (title: string) => (error: unknown) =>
    void showErrorMessage(title, error instanceof Error ? error.message : String(error));

  commands.addCommand(CommandIDs.openPanel, {
    label: 'Show nbtrack Runs',
    caption: 'Open the Runs side panel',
    execute: () => shell.activateById(deps.panelId)
  });

  commands.addCommand(CommandIDs.refresh, {
    label: 'Refresh nbtrack Runs',
    execute: () => model.refresh(true)
  });

  commands.addCommand(CommandIDs.diff, {
    label: 'Diff Two Runs',
    caption: 'Compare params, metrics and notebooks of the two selected runs',
    isEnabled: args => (!!args.a && !!args.b) || model.selected.length === 2,
    execute: async args => {
      try {
        const [a, b] =
          args.a && args.b
            ? await Promise.all([resolve(String(args.a)), resolve(String(args.b))])
            : model.selectedRuns;
        // Older first, so "added" reads forward in time.
        const [first, second] = a.start <= b.start ? [a, b] : [b, a];
        const id = `nbtrack-diff-${first.id}-${second.id}`;
        if (reuse(id)) {
          return;
        }
        const diff = await api.diff(first.id, second.id);
        const view = new DiffView({
          a: first,
          b: second,
          diff,
          rendermime: deps.rendermime,
          editorFactory: deps.editorFactory
        });
        open(view, id);
      } catch (error) {
        report('Could not diff the runs')(error);
      }
    }
  });

  commands.addCommand(CommandIDs.openSnapshot, {
    label: 'Open Run Snapshot (read-only)',
    caption: 'The notebook as the selected run saw it',
    isEnabled: args => !!args.ref || !!one()?.snapshot,
    execute: async args => {
      try {
        const run = args.ref ? await resolve(String(args.ref)) : one();
        if (!run) {
          return;
        }
        const id = `nbtrack-snapshot-${run.id}`;
        if (reuse(id)) {
          return;
        }
        const snapshot = await api.snapshot(run.id);
        if (!snapshot) {
          void showErrorMessage('No snapshot', `Run ${run.name} has no notebook snapshot.`);
          return;
        }
        open(new SnapshotView({ run, snapshot, rendermime: deps.rendermime }), id);
      } catch (error) {
        report('Could not open the snapshot')(error);
      }
    }
  });

  addOneRunCommand(CommandIDs.rename, 'Rename Run…', async run => {
    const result = await InputDialog.getText({
      title: `Rename ${run.ref}`,
      text: run.name,
      okLabel: 'Rename'
    });
    if (result.button.accept && result.value && result.value.trim() !== run.name) {
      await model.update(run.id, { name: result.value.trim() }).catch(report('Could not rename'));
    }
  });

  addOneRunCommand(CommandIDs.tag, 'Edit Run Tags…', async run => {
    const result = await InputDialog.getText({
      title: `Tags of ${run.ref || run.name} (comma-separated)`,
      text: run.tags.join(', '),
      okLabel: 'Save'
    });
    if (result.button.accept && result.value !== null) {
      const tags = result.value
        .split(',')
        .map(t => t.trim())
        .filter((t, i, all) => t && all.indexOf(t) === i);
      await model.update(run.id, { tags }).catch(report('Could not save the tags'));
    }
  });

  addOneRunCommand(CommandIDs.note, 'Edit Run Notes…', async run => {
    const notes = await editNotes(`Notes on ${run.ref || run.name}`, run.notes);
    if (notes !== null && notes !== run.notes) {
      await model.update(run.id, { notes }).catch(report('Could not save the notes'));
    }
  });

  commands.addCommand(CommandIDs.remove, {
    label: 'Delete Runs…',
    isEnabled: () =>
      model.selectedRuns.length > 0 && model.selectedRuns.every(r => r.status !== 'running'),
    execute: async () => {
      const runs = model.selectedRuns.filter(r => r.status !== 'running');
      if (!runs.length) {
        return;
      }
      // Refs where names repeat: which "train" is about to go.
      const names = runLabels(runs);
      const body =
        runs.length === 1
          ? `Delete run ${names[0]} with its metrics? Its snapshot stays in git.`
          : `Delete ${runs.length} runs (${names.slice(0, 5).join(', ')}${runs.length > 5 ? ', …' : ''}) with their metrics?`;
      const result = await showDialog({
        title: 'Delete runs',
        body,
        buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
      });
      if (!result.button.accept) {
        return;
      }
      for (const run of runs) {
        await model.remove(run.id).catch(report(`Could not delete ${run.ref || run.name}`));
      }
    }
  });

  commands.addCommand(CommandIDs.verify, {
    label: 'Verify Run',
    caption:
      'Replay the run\'s recorded history in a fresh kernel and compare (nbtrack verify)',
    isEnabled: () => {
      const run = one();
      return !!run && run.status !== 'running' && !!run.snapshot && !model.isVerifying(run.id);
    },
    execute: async () => {
      const run = one();
      if (!run) {
        return;
      }
      const label = run.ref || run.name;
      try {
        const result = await model.verify(run.id);
        if (result.error) {
          report(`Could not verify ${label}`)(new Error(result.error));
        }
      } catch (error) {
        report(`Could not verify ${label}`)(error);
      }
    }
  });

  if (deps.palette) {
    for (const command of [
      CommandIDs.openPanel,
      CommandIDs.refresh,
      CommandIDs.diff,
      CommandIDs.openSnapshot,
      CommandIDs.rename,
      CommandIDs.tag,
      CommandIDs.note,
      CommandIDs.verify,
      CommandIDs.remove
    ]) {
      deps.palette.addItem({ command, category: CATEGORY });
    }
  }

  // Right-click on a run: the actions on it.
  let rank = 0;
  for (const command of [
    CommandIDs.diff,
    CommandIDs.openSnapshot,
    CommandIDs.rename,
    CommandIDs.tag,
    CommandIDs.note,
    CommandIDs.verify,
    CommandIDs.remove
  ]) {
    app.contextMenu.addItem({ command, selector: '.nbtrack-RunTable-row', rank: rank++ });
  }

  // Keep enabled states (toolbar buttons) in step with the selection.
  model.selectionChanged.connect(() => commands.notifyCommandChanged());
  model.changed.connect(() => commands.notifyCommandChanged());
}

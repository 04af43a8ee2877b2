/**
 * Save a notebook before one of its `%%track` cells runs, so that the run's
 * snapshot (read from disk by the kernel) matches the editor.
 *
 * JupyterLab sends a cell's execute request as soon as its executor is
 * called, so the save must happen inside the executor: this module wraps
 * JupyterLab's own `runCell`. Cells run in the order they were asked for:
 * while a save is pending, later cells wait for the earlier ones to be sent.
 */
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookCellExecutor, INotebookModel, runCell } from '@jupyterlab/notebook';

/** True for a cell whose source starts with the `%%track` cell magic. */
export function isTrackCell(source: string): boolean {
  return /^\s*%%track\b/.test(source);
}

export type ContextFinder = (
  model: INotebookModel
) => DocumentRegistry.IContext<INotebookModel> | undefined;

export class TrackSavingExecutor implements INotebookCellExecutor {
  /** How to find a notebook model's document context (set once the tracker exists). */
  findContext: ContextFinder | null = null;

  runCell(options: INotebookCellExecutor.IRunCellOptions): Promise<boolean> {
    const context = this._contextToSave(options);
    if (!context && this._pending === 0) {
      return runCell(options); // the common case: no wait at all
    }
    this._pending++;
    let result: Promise<boolean> = Promise.resolve(false);
    const sent = this._gate
      .then(async () => {
        if (context) {
          try {
            await context.save();
          } catch (error) {
            console.warn('nbtrack: could not save the notebook before %%track', error);
          }
        }
        result = runCell(options);
      })
      .finally(() => {
        this._pending--;
      });
    this._gate = sent.catch(() => undefined);
    return sent.then(() => result);
  }

  private _contextToSave(
    options: INotebookCellExecutor.IRunCellOptions
  ): DocumentRegistry.IContext<INotebookModel> | undefined {
    const { cell } = options;
    if (cell.model.type !== 'code' || !isTrackCell(cell.model.sharedModel.getSource())) {
      return undefined;
    }
    const context = this.findContext?.(options.notebook);
    return context && context.model.dirty && !context.model.readOnly ? context : undefined;
  }

  private _gate: Promise<void> = Promise.resolve();
  private _pending = 0;
}

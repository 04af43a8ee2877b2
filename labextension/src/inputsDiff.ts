/**
 * The "inputs" part of a run diff (`nbtrack.diff(a, b).inputs`): which
 * artifact versions the two runs used differently, one row per artifact.
 * Pure, so it is tested without nbdime or a DOM.
 */
import { IInputsDiff } from './api';

export interface IInputRow {
  /** [artifact name, version run a used, version run b used]. */
  cells: [string, string, string];
  className: 'nbtrack-mod-changed' | 'nbtrack-mod-added' | 'nbtrack-mod-removed';
}

/** Changed, then added (only b used it), then removed (only a used it). */
export function inputRows(inputs: IInputsDiff | null | undefined): IInputRow[] {
  if (!inputs) {
    return [];
  }
  const rows: IInputRow[] = [];
  for (const [artifact, change] of Object.entries(inputs.changed)) {
    rows.push({ cells: [artifact, change.old, change.new], className: 'nbtrack-mod-changed' });
  }
  for (const [artifact, ref] of Object.entries(inputs.added)) {
    rows.push({ cells: [artifact, '', ref], className: 'nbtrack-mod-added' });
  }
  for (const [artifact, ref] of Object.entries(inputs.removed)) {
    rows.push({ cells: [artifact, ref, ''], className: 'nbtrack-mod-removed' });
  }
  return rows;
}

/** What to say when no row differs: null when neither run used an artifact. */
export function inputsNote(inputs: IInputsDiff | null | undefined): string | null {
  if (!inputs) {
    return null;
  }
  const same = Object.keys(inputs.same).length;
  return same ? `Same ${same} input version${same === 1 ? '' : 's'}.` : null;
}

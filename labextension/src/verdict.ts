/**
 * A run's reproducibility verdict as the table shows it, pure: the Verdict
 * column, and the label split into badges (`differs: loss; stale inputs` is
 * two), each with a kind that CSS colours (`nbtrack-mod-<kind>`).
 */
import { IRun } from './api';
import { IColumn } from './tableModel';

export type VerdictKind =
  | 'reproduced'
  | 'differs'
  | 'failed'
  | 'stale'
  | 'unchecked'
  | 'verifying';

export interface IVerdictBadge {
  text: string;
  kind: VerdictKind;
}

/** What the Verdict cell shows while the panel's Verify runs on a run. */
export const VERIFYING = 'verifying…';

/** The cell's text: the server's label, or "verifying…" while a Verify runs. */
export function verdictText(run: IRun): string {
  return run.verifying ? VERIFYING : (run.verdict ?? '');
}

/** The kind of one part of a label (`reproduced`, `differs: loss`, `stale inputs`...). */
export function verdictKind(part: string): VerdictKind {
  if (part === VERIFYING) {
    return 'verifying';
  }
  if (part === 'reproduced') {
    return 'reproduced';
  }
  if (part === 'differs' || part.startsWith('differs:')) {
    return 'differs';
  }
  if (part === 'failed' || part.startsWith('failed:')) {
    return 'failed';
  }
  if (part === 'stale inputs') {
    return 'stale';
  }
  return 'unchecked';
}

/** The label as badges, in the label's order; none for a run never checked. */
export function verdictBadges(text: string): IVerdictBadge[] {
  return text
    .split('; ')
    .filter(Boolean)
    .map(part => ({ text: part, kind: verdictKind(part) }));
}

/** Whether any of the runs has a verdict to show (or is being verified). */
export function anyVerdict(runs: readonly IRun[]): boolean {
  return runs.some(run => !!run.verdict || !!run.verifying);
}

/** The Verdict column (a view column: the server does not sort by it). */
export const VERDICT_COLUMN: IColumn = {
  id: 'verdict',
  label: 'Verdict',
  width: 180,
  kind: 'verdict',
  text: verdictText,
  sortValue: run => verdictText(run) || null
};

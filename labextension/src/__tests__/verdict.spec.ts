import { IRun } from '../api';
import { TableModel } from '../tableModel';
import { anyVerdict, VERDICT_COLUMN, verdictBadges } from '../verdict';
import { viewColumns } from '../viewColumns';

function run(verdict: string | null, verifying = false): IRun {
  return {
    id: 'r1', ref: 'nb#1', name: 'train', status: 'finished', experiment: 'nb',
    notebook: 'nb.ipynb', start: 0, end: 1, duration: 1, tags: [], notes: '', params: {},
    metrics: {}, snapshot: 'abc', sweep: null, trial: null, verdict,
    ...(verifying ? { verifying } : {})
  } as IRun;
}

describe('verdicts in the run table', () => {
  it('splits a label into badges whose kind CSS colours', () => {
    expect(verdictBadges('differs: loss, acc; stale inputs')).toEqual([
      { text: 'differs: loss, acc', kind: 'differs' },
      { text: 'stale inputs', kind: 'stale' }
    ]);
    expect(verdictBadges('failed')).toEqual([{ text: 'failed', kind: 'failed' }]);
    expect(verdictBadges('reproduced')).toEqual([{ text: 'reproduced', kind: 'reproduced' }]);
    expect(verdictBadges('not checked: kernel ir is not supported')[0].kind).toBe('unchecked');
    expect(verdictBadges('')).toEqual([]);
  });

  it('says "verifying…" while the panel verifies a run, whatever its old verdict', () => {
    expect(VERDICT_COLUMN.text(run('differs: loss', true), 0)).toBe('verifying…');
    expect(verdictBadges(VERDICT_COLUMN.text(run(null, true), 0))[0].kind).toBe('verifying');
    expect(VERDICT_COLUMN.text(run(null), 0)).toBe('');
  });

  it('shows the Verdict column after Status once a run has a verdict', () => {
    const table = new TableModel();
    const runs = [run(null), run('stale inputs')];
    table.setRuns(runs, [], []);
    expect(viewColumns(table.columns, anyVerdict([runs[0]])).map(c => c.id)).not.toContain(
      'verdict'
    );
    expect(anyVerdict(runs)).toBe(true);
    const ids = viewColumns(table.columns, anyVerdict(runs)).map(c => c.id);
    expect(ids.slice(0, 4)).toEqual(['name', 'ref', 'status', 'verdict']);
    // Not a sort column of the server's.
    expect(table.columns.map(c => c.id)).not.toContain('verdict');
  });
});

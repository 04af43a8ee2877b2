import { IRun } from '../api';
import { CHECK_WIDTH, REF_COLUMN, viewColumns } from '../viewColumns';
import { TableModel } from '../tableModel';

function run(name: string, ref: string): IRun {
  return {
    id: ref, ref, name, status: 'finished', experiment: 'nb', notebook: 'nb.ipynb', start: 0,
    end: 1, duration: 1, tags: [], notes: '', params: {}, metrics: {}, snapshot: null,
    sweep: null, trial: null
  } as IRun;
}

describe('viewColumns', () => {
  it('shows the ref right after the name, so runs of one name are told apart', () => {
    const table = new TableModel();
    const runs = [run('train', 'nb#1'), run('train', 'nb#2')];
    table.setRuns(runs, [], []);
    const columns = viewColumns(table.columns);
    expect(columns.map(c => c.id).slice(0, 3)).toEqual(['name', 'ref', 'status']);
    expect(runs.map(r => REF_COLUMN.text(r, 0))).toEqual(['nb#1', 'nb#2']);
    // An older server without refs: the name.
    expect(REF_COLUMN.text({ ...runs[0], ref: '' }, 0)).toBe('train');
  });

  it('keeps the checkbox, Name, Ref and Status within a default 250 px sidebar', () => {
    const table = new TableModel();
    table.setRuns([run('train', 'nb#1')], [], []);
    const [name, ref, status] = viewColumns(table.columns);
    expect(CHECK_WIDTH + name.width + ref.width + status.width).toBeLessThanOrEqual(245);
  });
});

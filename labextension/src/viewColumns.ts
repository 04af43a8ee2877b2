/**
 * The run table's columns as the panel shows them, pure: the table model's
 * columns with the run's ref (`train#4`) right after Name, and first columns
 * narrow enough that the checkbox, Name, Ref and Status fit a default-width
 * (250 px) sidebar.
 */
import { IColumn } from './tableModel';
import { VERDICT_COLUMN } from './verdict';

/** Width of the checkbox column, in pixels. */
export const CHECK_WIDTH = 22;

/**
 * The run's reference: tells apart runs that share a name. The server
 * filters on it; sorting stays with the model's columns.
 */
export const REF_COLUMN: IColumn = {
  id: 'ref',
  label: 'Ref',
  width: 62,
  kind: 'text',
  text: run => run.ref || run.name,
  sortValue: run => (run.ref || run.name).toLowerCase()
};

const VIEW_WIDTHS: { [id: string]: number } = { name: 84, status: 74 };

/**
 * The model's columns in view order: Ref after Name, narrower first columns,
 * and with `verdicts` (some run has one) the Verdict column after Status.
 */
export function viewColumns(columns: readonly IColumn[], verdicts = false): IColumn[] {
  const out: IColumn[] = [];
  for (const column of columns) {
    const width = VIEW_WIDTHS[column.id];
    out.push(width ? { ...column, width } : column);
    if (column.id === 'name' && !columns.some(c => c.id === REF_COLUMN.id)) {
      out.push(REF_COLUMN);
    }
    if (column.id === 'status' && verdicts) {
      out.push(VERDICT_COLUMN);
    }
  }
  return out;
}

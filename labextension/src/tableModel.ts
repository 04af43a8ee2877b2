/**
 * The run table's model, pure (no DOM): which columns there are, each cell's
 * text and sort key, and the filtered, sorted list of rows.
 *
 * Columns: name, status, notebook, start, duration, tags, sweep (only when a
 * run belongs to one), user (only when the runs have several users), then one per param (`param:<key>`) and one per metric's
 * last value (`metric:<key>`).
 */
import { IRun } from './api';
import {
  formatDuration,
  formatNumber,
  formatTime,
  formatValue,
  liveDuration
} from './format';

export type SortValue = string | number | null;

export interface IColumn {
  id: string;
  label: string;
  /** Width in pixels. */
  width: number;
  kind: 'name' | 'status' | 'text' | 'time' | 'number' | 'param' | 'metric' | 'verdict';
  text(run: IRun, now: number): string;
  sortValue(run: IRun, now: number): SortValue;
}

export type SortOrder = 'asc' | 'desc';

const BASE_COLUMNS: IColumn[] = [
  {
    id: 'name',
    label: 'Name',
    width: 170,
    kind: 'name',
    text: run => run.name,
    sortValue: run => run.name.toLowerCase()
  },
  {
    id: 'status',
    label: 'Status',
    width: 92,
    kind: 'status',
    text: run => run.status,
    sortValue: run => run.status
  },
  {
    id: 'notebook',
    label: 'Notebook',
    width: 140,
    kind: 'text',
    text: run => run.notebook ?? '',
    sortValue: run => (run.notebook ?? '').toLowerCase()
  },
  {
    id: 'start',
    label: 'Start',
    width: 130,
    kind: 'time',
    text: run => formatTime(run.start),
    sortValue: run => run.start
  },
  {
    id: 'duration',
    label: 'Duration',
    width: 80,
    kind: 'number',
    text: (run, now) => formatDuration(liveDuration(run, now)),
    sortValue: (run, now) => liveDuration(run, now)
  },
  {
    id: 'tags',
    label: 'Tags',
    width: 110,
    kind: 'text',
    text: run => run.tags.join(', '),
    sortValue: run => run.tags.join(',').toLowerCase()
  }
];

/** Who ran each run: shown once the runs come from more than one user (a team's
 * store), after the sweep column; a one-person project keeps the table narrow. */
const USER_COLUMN: IColumn = {
  id: 'user',
  label: 'User',
  width: 80,
  kind: 'text',
  text: run => run.user ?? '',
  sortValue: run => (run.user ? run.user.toLowerCase() : null)
};

/** Whether `runs` were run by more than one user (then the User column shows). */
export function manyUsers(runs: readonly IRun[]): boolean {
  const first = runs.find(run => run.user)?.user;
  return first !== undefined && runs.some(run => run.user && run.user !== first);
}

/** The sweep id and trial number (`sw-1a2b3c4d #3`), sorted by sweep then trial. */
const SWEEP_COLUMN: IColumn = {
  id: 'sweep',
  label: 'Sweep',
  width: 120,
  kind: 'text',
  text: run => (run.sweep ? `${run.sweep} #${run.trial ?? ''}` : ''),
  sortValue: run => {
    if (!run.sweep) {
      return null;
    }
    const trial = String(run.trial ?? 0).padStart(9, '0');
    return `${run.sweep.toLowerCase()}\u0000${trial}`;
  }
};

export function paramColumn(key: string): IColumn {
  return {
    id: `param:${key}`,
    label: key,
    width: 90,
    kind: 'param',
    text: run => formatValue(run.params[key]),
    sortValue: run => {
      const v = run.params[key];
      if (v === undefined || v === null) {
        return null;
      }
      return typeof v === 'number' ? v : formatValue(v).toLowerCase();
    }
  };
}

export function metricColumn(key: string): IColumn {
  return {
    id: `metric:${key}`,
    label: key,
    width: 90,
    kind: 'metric',
    text: run => {
      const m = run.metrics[key];
      return m ? formatNumber(m.last) : '';
    },
    sortValue: run => {
      const m = run.metrics[key];
      return m && !Number.isNaN(m.last) ? m.last : null;
    }
  };
}

/**
 * Compare two sort values: numbers before strings, and missing values (and
 * NaN) always last whatever the order.
 */
export function compareValues(a: SortValue, b: SortValue, order: SortOrder): number {
  const aMissing = a === null || (typeof a === 'number' && Number.isNaN(a));
  const bMissing = b === null || (typeof b === 'number' && Number.isNaN(b));
  if (aMissing || bMissing) {
    return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  }
  let c: number;
  if (typeof a === 'number' && typeof b === 'number') {
    c = a < b ? -1 : a > b ? 1 : 0;
  } else if (typeof a === 'number') {
    c = -1;
  } else if (typeof b === 'number') {
    c = 1;
  } else {
    c = a < b ? -1 : a > b ? 1 : 0;
  }
  return order === 'asc' ? c : -c;
}

/**
 * A filter: whitespace-separated terms that must all match (case-insensitive).
 * A term `key:value` matches a field (`status:running`, `tag:cnn`,
 * `lr:0.1`, for any column id or param/metric key) by substring; a term
 * `key<n`, `key>n`, `key<=n`, `key>=n`, `key=n` or `key!=n` compares a number
 * (`params.lr<0.1` and `metrics.loss<0.5` as in the DataFrame, too); any
 * other term is a substring of the name, ref, notebook, experiment, status,
 * tags, notes or sweep id. `sweep:ID` keeps the runs of one sweep; `user:alice`
 * and `host:gpu` the runs of a user or a machine.
 */
export function makeFilter(
  text: string,
  columns: IColumn[]
): ((run: IRun) => boolean) | null {
  const terms = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (!terms.length) {
    return null;
  }
  const byKey = new Map<string, IColumn>();
  for (const c of columns) {
    byKey.set(c.id.toLowerCase(), c);
    if (c.kind === 'param' || c.kind === 'metric') {
      if (!byKey.has(c.label.toLowerCase())) {
        byKey.set(c.label.toLowerCase(), c);
      }
    }
  }
  byKey.set('tag', byKey.get('tags') as IColumn);
  const tests = terms.map(term => {
    const cmp = COMPARISON.exec(term);
    if (cmp && byKey.has(columnKey(cmp[1]))) {
      const column = byKey.get(columnKey(cmp[1])) as IColumn;
      const n = Number(cmp[3]);
      const op = cmp[2];
      return (run: IRun) => {
        const v = column.sortValue(run, 0);
        if (typeof v !== 'number') {
          return false;
        }
        switch (op) {
          case '<':
            return v < n;
          case '>':
            return v > n;
          case '<=':
            return v <= n;
          case '>=':
            return v >= n;
          case '!=':
            return v !== n;
          default:
            return v === n;
        }
      };
    }
    const field = /^([^:]+):(.*)$/.exec(term);
    if (field && field[1] === 'sweep' && !byKey.has('sweep')) {
      const want = field[2];
      return (run: IRun) => (run.sweep ?? '').toLowerCase().includes(want);
    }
    if (field && field[1] === 'user' && !byKey.has('user')) {
      const want = field[2];
      return (run: IRun) => (run.user ?? '').toLowerCase().includes(want);
    }
    if (field && field[1] === 'host') {
      const want = field[2];
      return (run: IRun) => (run.host ?? '').toLowerCase().includes(want);
    }
    if (field && byKey.has(columnKey(field[1]))) {
      const column = byKey.get(columnKey(field[1])) as IColumn;
      const want = field[2];
      return (run: IRun) => column.text(run, 0).toLowerCase().includes(want);
    }
    return (run: IRun) => searchText(run).includes(term);
  });
  return (run: IRun) => tests.every(t => t(run));
}

const COMPARISON = /^([^<>=!:]+)(<=|>=|!=|<|>|=)(.*)$/;
const FIELDS = [
  'status',
  'tag',
  'tags',
  'sweep',
  'name',
  'notebook',
  'experiment',
  'ref',
  'user',
  'host'
];

/** A filter key as a column id: the DataFrame's `params.lr` / `metrics.loss` name the
 * `param:lr` / `metric:loss` columns; other keys are column ids or labels. */
function columnKey(key: string): string {
  if (key.startsWith('params.')) {
    return `param:${key.slice(7)}`;
  }
  if (key.startsWith('metrics.')) {
    return `metric:${key.slice(8)}`;
  }
  return key;
}

/**
 * What is wrong with a filter, as the server would say it (`lr<` has no number,
 * `foo:bar` names no field or param, `colour<1` no param or metric), or null
 * when every term means something. The panel shows it beside the filter box so
 * that a mistyped filter never reads as "no runs match".
 */
export function filterError(text: string, params: string[], metrics: string[]): string | null {
  const lower = (keys: string[]) => new Set(keys.map(k => k.toLowerCase()));
  const knownParams = lower(params);
  const knownMetrics = lower(metrics);
  for (const term of text.trim().split(/\s+/).filter(Boolean)) {
    const cmp = COMPARISON.exec(term);
    if (cmp) {
      const [, key, op, raw] = cmp;
      if (!raw.trim() || !Number.isFinite(Number(raw))) {
        const what = raw ? `'${raw}'` : `nothing after '${op}'`;
        return `'${term}' compares '${key}' with ${what}: put a number after the operator, e.g. lr<0.1 or metrics.loss<=0.5`;
      }
      const k = key.toLowerCase();
      const known = k.startsWith('params.')
        ? knownParams.has(k.slice(7))
        : k.startsWith('metrics.')
          ? knownMetrics.has(k.slice(8))
          : k === 'duration' || knownParams.has(k) || knownMetrics.has(k);
      if (!known) {
        return `'${term}': no run has a param or metric called '${key.replace(/^(params|metrics)\./i, '')}'`;
      }
      continue;
    }
    const field = /^([^:]+):(.*)$/.exec(term);
    if (field) {
      const name = field[1].toLowerCase();
      const param = name.startsWith('params.') ? name.slice(7) : name;
      if (!FIELDS.includes(name) && !knownParams.has(param)) {
        return `'${term}': no field or param is called '${field[1]}'; filter with status:, tag:, sweep:, name:, notebook:, experiment:, ref:, user:, host:, a param (lr:0.1) or a comparison (lr<0.1, metrics.loss<0.5)`;
      }
    }
  }
  return null;
}

const searchCache = new WeakMap<IRun, string>();

function searchText(run: IRun): string {
  let text = searchCache.get(run);
  if (text === undefined) {
    text = [
      run.name,
      run.ref,
      run.notebook,
      run.experiment,
      run.status,
      run.tags.join(' '),
      run.notes,
      run.sweep ?? ''
    ]
      .join('\n')
      .toLowerCase();
    searchCache.set(run, text);
  }
  return text;
}

/** Columns, filter and sort over a list of runs; `rows` is the current view. */
export class TableModel {
  constructor(now: () => number = () => Date.now() / 1000) {
    this._now = now;
    this._columns = BASE_COLUMNS.slice();
  }

  get columns(): readonly IColumn[] {
    return this._columns;
  }

  get rows(): readonly IRun[] {
    return this._rows;
  }

  get sortColumn(): string {
    return this._sortColumn;
  }

  get sortOrder(): SortOrder {
    return this._sortOrder;
  }

  get filterText(): string {
    return this._filterText;
  }

  /**
   * What is wrong with the filter (see `filterError`), or else what the server
   * said when it could not read it, or null.
   */
  get filterError(): string | null {
    return filterError(this._filterText, this._params, this._metrics) ?? this._serverFilterError;
  }

  /** The server's message about the current filter (a 400), or null. */
  set serverFilterError(message: string | null) {
    this._serverFilterError = message;
  }

  /** The server's sort field for the sort column (`params.lr`, `metrics.loss`, `start`, ...). */
  get serverSort(): string {
    return serverSortField(this._sortColumn);
  }

  /**
   * Whether the filter shows a run (the client's reading of it): for selected
   * runs outside the rows the server sent.
   */
  matches(run: IRun): boolean {
    if (this._filter === undefined) {
      this._filter = makeFilter(this._filterText, this._columns);
    }
    return this._filter ? this._filter(run) : true;
  }

  /** Replace the runs and the param/metric keys; recomputes the view. */
  setRuns(runs: readonly IRun[], params: string[], metrics: string[]): void {
    this._runs = runs;
    this.setKeys(runs.some(run => run.sweep), params, metrics, manyUsers(runs));
    this.recompute();
  }

  /**
   * Only the columns (no rows): for a table whose rows the server filters and
   * sorts. `sweeps` says whether a sweep column is wanted, `users` a user column.
   */
  setKeys(sweeps: boolean, params: string[], metrics: string[], users = false): void {
    this._params = params;
    this._metrics = metrics;
    const keys = `${sweeps}${users}\u0001${params.join('\u0000')}\u0001${metrics.join('\u0000')}`;
    if (keys !== this._keys) {
      this._keys = keys;
      this._columns = [
        ...BASE_COLUMNS,
        ...(sweeps ? [SWEEP_COLUMN] : []),
        ...(users ? [USER_COLUMN] : []),
        ...params.map(paramColumn),
        ...metrics.map(metricColumn)
      ];
      if (!this._columns.some(c => c.id === this._sortColumn)) {
        this._sortColumn = 'start';
        this._sortOrder = 'desc';
      }
      this._filter = undefined;
    }
  }

  setFilter(text: string): void {
    if (text !== this._filterText) {
      this._serverFilterError = null;
    }
    this._filterText = text;
    this.recompute();
  }

  /** Sort by a column; the same column again flips the order. */
  sortBy(columnId: string, order?: SortOrder): void {
    if (!this._columns.some(c => c.id === columnId)) {
      return;
    }
    if (order) {
      this._sortOrder = order;
    } else if (columnId === this._sortColumn) {
      this._sortOrder = this._sortOrder === 'asc' ? 'desc' : 'asc';
    } else {
      const kind = this._columns.find(c => c.id === columnId)?.kind;
      this._sortOrder = kind === 'time' ? 'desc' : 'asc';
    }
    this._sortColumn = columnId;
    this.recompute();
  }

  /**
   * The selected ids split by whether the current filter shows them: the panel
   * says "2 selected, 1 hidden" and actions such as Delete act on `visible`
   * only (or say that hidden runs are included).
   */
  splitSelection(selected: readonly string[]): { visible: string[]; hidden: string[] } {
    const shown = new Set(this._rows.map(run => run.id));
    return {
      visible: selected.filter(id => shown.has(id)),
      hidden: selected.filter(id => !shown.has(id))
    };
  }

  indexOf(id: string): number {
    return this._rows.findIndex(run => run.id === id);
  }

  cellText(run: IRun, column: IColumn): string {
    return column.text(run, this._now());
  }

  private recompute(): void {
    const filter = makeFilter(this._filterText, this._columns);
    this._filter = filter;
    const rows = filter ? this._runs.filter(filter) : this._runs.slice();
    const column = this._columns.find(c => c.id === this._sortColumn);
    if (column) {
      const now = this._now();
      // Decorate-sort-undecorate: each key is computed once.
      const keyed = rows.map((run, i) => ({ run, i, key: column.sortValue(run, now) }));
      const order = this._sortOrder;
      keyed.sort(
        (p, q) =>
          compareValues(p.key, q.key, order) ||
          compareValues(q.run.start, p.run.start, 'asc') ||
          p.i - q.i
      );
      this._rows = keyed.map(k => k.run);
    } else {
      this._rows = rows;
    }
  }

  private _now: () => number;
  private _runs: readonly IRun[] = [];
  private _params: string[] = [];
  private _metrics: string[] = [];
  private _rows: readonly IRun[] = [];
  private _columns: IColumn[];
  private _keys = '';
  private _sortColumn = 'start';
  private _sortOrder: SortOrder = 'desc';
  private _filterText = '';
  private _serverFilterError: string | null = null;
  /** The filter as a predicate; undefined until asked for after a change. */
  private _filter: ((run: IRun) => boolean) | null | undefined = undefined;
}

/** The server's sort field of a column id: `param:lr` -> `params.lr`, `metric:loss` -> `metrics.loss`. */
export function serverSortField(columnId: string): string {
  if (columnId.startsWith('param:')) {
    return `params.${columnId.slice(6)}`;
  }
  if (columnId.startsWith('metric:')) {
    return `metrics.${columnId.slice(7)}`;
  }
  return columnId;
}

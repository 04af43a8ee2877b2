/**
 * The run table: a virtualized DOM grid over the server's rows. Only the rows
 * in view (plus a small margin) exist in the page; they are recycled while
 * scrolling. The model reads the rows in view (plus a wider margin) from the
 * server, sorted and filtered there: a row whose page is not read yet is drawn
 * empty until it arrives. Text is set
 * with `textContent` only, so a run name is never parsed as HTML, and stays
 * selectable, searchable and readable by screen readers.
 *
 * Click a row to select it alone; its checkbox (or Ctrl/⌘-click) adds it to
 * the selection; Shift-click selects a range. Click a header to sort.
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IRun } from './api';
import { RunsModel } from './model';
import { IColumn, manyUsers, TableModel } from './tableModel';
import { anyVerdict, verdictBadges } from './verdict';
import { CHECK_WIDTH, REF_COLUMN, viewColumns } from './viewColumns';

export const ROW_HEIGHT = 24;
const OVERSCAN = 8;
/** Rows read ahead of and behind those in view. */
const READ_AHEAD = 60;
/** Milliseconds the filter rests before the server is asked. */
const FILTER_DEBOUNCE = 250;

export class RunTable extends Widget {
  constructor(model: RunsModel) {
    super();
    this.model = model;
    this.addClass('nbtrack-RunTable');
    this.node.setAttribute('role', 'grid');
    this.node.setAttribute('aria-label', 'Runs');
    this.node.setAttribute('aria-multiselectable', 'true');
    this.node.tabIndex = 0;

    this._header = document.createElement('div');
    this._header.className = 'nbtrack-RunTable-header';
    this._header.setAttribute('role', 'row');
    this._body = document.createElement('div');
    this._body.className = 'nbtrack-RunTable-body';
    this._empty = document.createElement('div');
    this._empty.className = 'nbtrack-RunTable-empty';
    this.node.append(this._header, this._body, this._empty);

    model.changed.connect(this._onRunsChanged, this);
    model.selectionChanged.connect(this._renderRows, this);
    this._onRunsChanged();
  }

  readonly model: RunsModel;
  readonly table = new TableModel();

  /** Filter on the server, once typing rests. */
  setFilter(text: string): void {
    this.table.setFilter(text);
    window.clearTimeout(this._filterTimer);
    this._filterTimer = window.setTimeout(() => this._syncView(), FILTER_DEBOUNCE);
    this._refresh();
  }

  /** Sort on the server by a column; the same column again flips the order. */
  sortBy(columnId: string): void {
    this.table.sortBy(columnId);
    this._renderHeader();
    this._syncView();
  }

  /** The row index of a run among the loaded rows, or -1. */
  rowOf(id: string): number {
    return this.model.indexOf(id);
  }

  /** Ids of the rows currently in the page (for tests and benchmarks). */
  get renderedRowCount(): number {
    return this._body.childElementCount;
  }

  handleEvent(event: Event): void {
    switch (event.type) {
      case 'scroll':
        this._scheduleRender();
        break;
      case 'click':
        this._onClick(event as MouseEvent);
        break;
      case 'keydown':
        this._onKeyDown(event as KeyboardEvent);
        break;
      case 'contextmenu':
        this._onContextMenu(event as MouseEvent);
        break;
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.node.addEventListener('scroll', this, { passive: true });
    this.node.addEventListener('click', this);
    this.node.addEventListener('keydown', this);
    this.node.addEventListener('contextmenu', this);
    // Durations of running runs tick without a new read.
    this._timer = window.setInterval(() => {
      if (this.model.runs.some(r => r.status === 'running')) {
        this._renderRows();
      }
    }, 1000);
    this._scheduleRender();
  }

  protected onBeforeDetach(msg: Message): void {
    this.node.removeEventListener('scroll', this);
    this.node.removeEventListener('click', this);
    this.node.removeEventListener('keydown', this);
    this.node.removeEventListener('contextmenu', this);
    window.clearInterval(this._timer);
    super.onBeforeDetach(msg);
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    this._scheduleRender();
  }

  protected onAfterShow(msg: Message): void {
    this._scheduleRender();
  }

  dispose(): void {
    window.clearTimeout(this._filterTimer);
    if (this._frame) {
      cancelAnimationFrame(this._frame);
    }
    super.dispose();
  }

  /** The columns shown, in order (the model's, with Ref). */
  get columns(): readonly IColumn[] {
    return this._columns;
  }

  private _onRunsChanged(): void {
    const before = this.table.columns;
    // Columns only: the server filters and sorts the rows.
    const runs = this.model.runs;
    this.table.setKeys(
      runs.some(run => run.sweep),
      this.model.params,
      this.model.metrics,
      manyUsers(runs)
    );
    this.table.serverFilterError = this.model.filterError;
    // The Verdict column shows once some loaded run has a verdict.
    const verdicts = anyVerdict(runs);
    if (
      before !== this.table.columns ||
      verdicts !== this._verdicts ||
      !this._header.childElementCount
    ) {
      this._verdicts = verdicts;
      this._columns = viewColumns(this.table.columns, verdicts);
      this._renderHeader();
    }
    if (this.table.serverSort !== this.model.view.sort || this.table.sortOrder !== this.model.view.order) {
      this._syncView(); // the sort column left with its key
    }
    this._refresh();
  }

  /** Ask the model for the table's sort and filter. */
  private _syncView(): void {
    window.clearTimeout(this._filterTimer);
    this.model.setView({
      sort: this.table.serverSort,
      order: this.table.sortOrder,
      q: this.table.filterText.trim()
    });
  }

  private _refresh(): void {
    const rows = this.model.total;
    this._body.style.height = `${rows * ROW_HEIGHT}px`;
    const error = this.model.error;
    this._empty.textContent = error
      ? error
      : !this.model.loaded
        ? 'Loading runs…'
        : rows
          ? ''
          : this.model.filterError
            ? 'Filter not understood.'
            : this.model.storeTotal
            ? 'No run matches the filter.'
            : 'No runs yet: put %%track on a cell and run it.';
    this._empty.classList.toggle('nbtrack-mod-error', !!error);
    this._empty.style.display = this._empty.textContent ? '' : 'none';
    this._renderRows();
  }

  private _renderHeader(): void {
    const columns = this._columns;
    let width = CHECK_WIDTH;
    columns.forEach(c => (width += c.width));
    this._width = width;
    this._header.style.width = `${width}px`;
    this._body.style.width = `${width}px`;
    this._header.textContent = '';
    const check = document.createElement('div');
    check.className = 'nbtrack-RunTable-cell nbtrack-RunTable-check';
    check.style.width = `${CHECK_WIDTH}px`;
    this._header.appendChild(check);
    for (const column of columns) {
      const cell = document.createElement('div');
      cell.className = `nbtrack-RunTable-cell nbtrack-RunTable-headerCell nbtrack-kind-${column.kind}`;
      cell.setAttribute('role', 'columnheader');
      cell.dataset.column = column.id;
      cell.style.width = `${column.width}px`;
      cell.title = column.kind === 'param'
        ? `param ${column.label}`
        : column.kind === 'metric'
          ? `last value of metric ${column.label}`
          : column.label;
      cell.textContent = column.label;
      const sortable = this.table.columns.some(c => c.id === column.id);
      cell.classList.toggle('nbtrack-mod-unsortable', !sortable);
      if (column.id === REF_COLUMN.id) {
        cell.title = 'run reference (name#number): tells apart runs of one name';
      }
      if (column.id === this.table.sortColumn) {
        const order = this.table.sortOrder;
        cell.setAttribute('aria-sort', order === 'asc' ? 'ascending' : 'descending');
        cell.classList.add(`nbtrack-mod-sorted-${order}`);
      }
      this._header.appendChild(cell);
    }
    // Columns changed: recycled rows have the wrong cells.
    this._body.textContent = '';
    this._pool = [];
    this._shown = [];
    this._renderRows();
  }

  private _scheduleRender(): void {
    if (!this._frame) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this._renderRows();
      });
    }
  }

  private _renderRows(): void {
    if (!this.isVisible && this.isAttached) {
      return;
    }
    const rows = this.model.total;
    const columns = this._columns;
    const headerHeight = this._header.offsetHeight || ROW_HEIGHT;
    const viewport = Math.max(this.node.clientHeight - headerHeight, ROW_HEIGHT * 10);
    const top = Math.max(0, this.node.scrollTop);
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(rows, Math.ceil((top + viewport) / ROW_HEIGHT) + OVERSCAN);
    const count = Math.max(0, last - first);
    this.model.showWindow(first - READ_AHEAD, Math.max(last, first + 1) + READ_AHEAD);

    if (this._pool.length !== count) {
      this._shown = []; // slots move: every row is filled again
    }
    while (this._pool.length < count) {
      const row = this._makeRow(columns);
      this._pool.push(row);
      this._body.appendChild(row);
    }
    while (this._pool.length > count) {
      (this._pool.pop() as HTMLElement).remove();
    }
    const selected = new Set(this.model.selected);
    const now = Date.now() / 1000;
    // Row `index` lives in slot `index % count` while it stays in view: a scroll
    // fills only the rows that came into view, the others are left untouched.
    for (let k = 0; k < count; k++) {
      const index = first + k;
      const slot = index % count;
      const run = this.model.rowAt(index);
      const row = this._pool[slot];
      const shown = this._shown[slot];
      const isSelected = run ? selected.has(run.id) : false;
      if (
        shown &&
        shown.index === index &&
        shown.run === run &&
        shown.selected === isSelected &&
        run?.status !== 'running' // its duration moves
      ) {
        continue;
      }
      if (run) {
        this._fillRow(row, run, index, columns, isSelected, now);
      } else {
        this._fillPending(row, index);
      }
      this._shown[slot] = { index, run, selected: isSelected };
    }
  }

  private _makeRow(columns: readonly IColumn[]): HTMLElement {
    const row = document.createElement('div');
    row.className = 'nbtrack-RunTable-row';
    row.setAttribute('role', 'row');
    row.style.width = `${this._width}px`;
    const check = document.createElement('div');
    check.className = 'nbtrack-RunTable-cell nbtrack-RunTable-check';
    check.style.width = `${CHECK_WIDTH}px`;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.tabIndex = -1;
    box.className = 'nbtrack-RunTable-checkbox';
    check.appendChild(box);
    row.appendChild(check);
    for (const column of columns) {
      const cell = document.createElement('div');
      cell.className = `nbtrack-RunTable-cell nbtrack-kind-${column.kind}`;
      cell.setAttribute('role', 'gridcell');
      cell.dataset.column = column.id;
      cell.style.width = `${column.width}px`;
      row.appendChild(cell);
    }
    return row;
  }

  private _fillRow(
    row: HTMLElement,
    run: IRun,
    index: number,
    columns: readonly IColumn[],
    selected: boolean,
    now: number
  ): void {
    row.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
    row.dataset.id = run.id;
    row.dataset.index = String(index);
    row.removeAttribute('aria-busy');
    row.classList.remove('nbtrack-mod-pending');
    row.setAttribute('aria-rowindex', String(index + 2));
    row.setAttribute('aria-selected', selected ? 'true' : 'false');
    row.classList.toggle('nbtrack-mod-selected', selected);
    row.classList.toggle('nbtrack-mod-running', run.status === 'running');
    const box = row.firstChild?.firstChild as HTMLInputElement;
    box.checked = selected;
    box.setAttribute('aria-label', `select ${run.name}`);
    for (let c = 0; c < columns.length; c++) {
      const cell = row.children[c + 1] as HTMLElement;
      const text = columns[c].text(run, now);
      if (columns[c].kind === 'verdict') {
        fillVerdict(cell, text);
        continue;
      }
      if (cell.textContent !== text) {
        cell.textContent = text;
        cell.title = text;
      }
      if (columns[c].kind === 'status') {
        cell.dataset.status = run.status;
      }
    }
  }

  /** A row whose page is still being read: empty, no run. */
  private _fillPending(row: HTMLElement, index: number): void {
    row.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
    delete row.dataset.id;
    row.dataset.index = String(index);
    row.setAttribute('aria-rowindex', String(index + 2));
    row.setAttribute('aria-busy', 'true');
    row.setAttribute('aria-selected', 'false');
    row.classList.remove('nbtrack-mod-selected', 'nbtrack-mod-running');
    row.classList.add('nbtrack-mod-pending');
    (row.firstChild?.firstChild as HTMLInputElement).checked = false;
    for (let c = 1; c < row.children.length; c++) {
      const cell = row.children[c] as HTMLElement;
      cell.textContent = '';
      cell.title = '';
    }
  }

  private _onClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const header = target.closest('.nbtrack-RunTable-headerCell') as HTMLElement | null;
    if (header?.dataset.column) {
      this.sortBy(header.dataset.column);
      return;
    }
    const row = target.closest('.nbtrack-RunTable-row') as HTMLElement | null;
    if (!row?.dataset.id) {
      return;
    }
    const id = row.dataset.id;
    const index = Number(row.dataset.index);
    const toggle =
      target.classList.contains('nbtrack-RunTable-checkbox') ||
      target.classList.contains('nbtrack-RunTable-check') ||
      event.ctrlKey ||
      event.metaKey;
    if (event.shiftKey && this._anchor >= 0) {
      const [a, b] = [Math.min(this._anchor, index), Math.max(this._anchor, index)];
      const ids: string[] = [];
      for (let i = a; i <= b; i++) {
        const run = this.model.rowAt(i);
        if (run) {
          ids.push(run.id);
        }
      }
      this.model.setSelection(ids);
    } else if (toggle) {
      this.model.toggleSelected(id);
      this._anchor = index;
    } else {
      this.model.setSelection([id]);
      this._anchor = index;
    }
    // Checkbox states follow the model (set again on render), whatever was clicked.
    this._renderRows();
  }

  /** Right-click on a run outside the selection selects it (the menu acts on the selection). */
  private _onContextMenu(event: MouseEvent): void {
    const row = (event.target as HTMLElement).closest('.nbtrack-RunTable-row') as HTMLElement | null;
    const id = row?.dataset.id;
    if (id && !this.model.selected.includes(id)) {
      this.model.setSelection([id]);
      this._anchor = Number(row.dataset.index);
    }
  }

  private _onKeyDown(event: KeyboardEvent): void {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') {
      return;
    }
    event.preventDefault();
    const rows = this.model.total;
    if (!rows) {
      return;
    }
    const current = this._anchor >= 0 ? this._anchor : -1;
    const next = Math.max(
      0,
      Math.min(rows - 1, current + (event.key === 'ArrowDown' ? 1 : -1))
    );
    const run = this.model.rowAt(next);
    if (!run) {
      return; // its page is still being read
    }
    this._anchor = next;
    this.model.setSelection([run.id]);
    const headerHeight = this._header.offsetHeight || ROW_HEIGHT;
    const y = next * ROW_HEIGHT;
    if (y < this.node.scrollTop) {
      this.node.scrollTop = y;
    } else if (y + ROW_HEIGHT > this.node.scrollTop + this.node.clientHeight - headerHeight) {
      this.node.scrollTop = y + ROW_HEIGHT - this.node.clientHeight + headerHeight;
    }
  }

  private _columns: IColumn[] = [];
  private _verdicts = false;
  private _header: HTMLElement;
  private _body: HTMLElement;
  private _empty: HTMLElement;
  private _pool: HTMLElement[] = [];
  /** What each slot of the pool shows, to leave unchanged rows alone. */
  private _shown: ({ index: number; run: IRun | undefined; selected: boolean } | undefined)[] =
    [];
  private _width = 0;
  private _frame = 0;
  private _anchor = -1;
  private _timer = 0;
  private _filterTimer = 0;
}

/** A Verdict cell: one badge per part of the label, coloured by its kind (CSS). */
function fillVerdict(cell: HTMLElement, text: string): void {
  if (cell.dataset.verdict === text && cell.childElementCount) {
    return;
  }
  cell.dataset.verdict = text;
  cell.textContent = '';
  cell.title = text;
  for (const badge of verdictBadges(text)) {
    const span = document.createElement('span');
    span.className = `nbtrack-VerdictBadge nbtrack-mod-${badge.kind}`;
    span.textContent = badge.text;
    cell.appendChild(span);
  }
}

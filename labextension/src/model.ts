/**
 * The runs the panel shows, read from the server a window at a time and kept
 * current by polling.
 *
 * The server filters, sorts and pages (`q`, `sort`, `order`, `limit`,
 * `offset`): the model holds the current view (sort, order, filter), the
 * number of runs that match it (`total`) and a cache of pages of it. The table
 * says which rows it shows (`showWindow`) and the model reads the pages
 * missing there. Later ticks ask only for the matching runs that changed since
 * the last answer (`changed_since`) and patch the rows already loaded; when
 * the total moved (runs added or deleted), the pages in view are read again.
 * The poll backs off on errors and stands by while the page is hidden.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { ApiError, IRun, IRunPatch, IRunsPage, NbtrackApi } from './api';
import { IVerifyResult, Verifications } from './verifying';

/** Rows per request. */
export const PAGE = 100;
/** Pages kept beyond those in view before the farthest are dropped. */
const MAX_PAGES = 40;
/** Changed runs asked for per poll. */
const CHANGED_LIMIT = 1000;

export interface IRunsView {
  /** A server sort field: `start`, `name`, ..., `params.<key>`, `metrics.<key>`. */
  sort: string;
  order: 'asc' | 'desc';
  /** The filter (server grammar), '' for all runs. */
  q: string;
}

export class RunsModel {
  constructor(api: NbtrackApi, options: { interval?: number } = {}) {
    this.api = api;
    this._verifications = new Verifications(api);
    this._poll = new Poll({
      auto: false,
      factory: () => this._tick(),
      frequency: { interval: options.interval ?? 1000, backoff: true, max: 30000 },
      name: 'nbtrack:runs',
      standby: () => this._standby || 'when-hidden'
    });
  }

  readonly api: NbtrackApi;

  /**
   * Verify a run in the server (`nbtrack verify`): the run reads as
   * "verifying…" until the verify ends; resolves then, with the run read
   * again (its new verdict) or why it stopped without a verdict.
   */
  async verify(id: string): Promise<IVerifyResult> {
    const { done } = await this._verifications.start(id);
    const run = this._runs.get(id);
    if (run) {
      this._put({ ...run }); // a new object: the table draws its row again
    }
    this._emit();
    return done;
  }

  /** Whether a verify started from this panel still runs on the run. */
  isVerifying(id: string): boolean {
    return this._verifications.has(id);
  }

  /** Emitted when rows, keys, the total or the error changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted when the selection changed. */
  get selectionChanged(): ISignal<this, void> {
    return this._selectionChanged;
  }

  /** Every run the model holds (the loaded pages and the selected runs). */
  get runs(): readonly IRun[] {
    if (this._list === null) {
      this._list = Array.from(this._runs.values());
    }
    return this._list;
  }

  get params(): string[] {
    return this._params;
  }

  get metrics(): string[] {
    return this._metrics;
  }

  /** Runs matching the current view (all pages). */
  get total(): number {
    return this._total;
  }

  /** Runs in the store, whatever the filter. */
  get storeTotal(): number {
    return this._storeTotal;
  }

  get view(): IRunsView {
    return this._view;
  }

  /** The last error while reading, or null (a filter the server rejects is `filterError`). */
  get error(): string | null {
    return this._error;
  }

  /** The server's message when it could not read the filter, or null. */
  get filterError(): string | null {
    return this._filterError;
  }

  /** True once the first read has succeeded. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** Wall-clock milliseconds when the last response arrived. */
  get lastResponseAt(): number {
    return this._lastResponseAt;
  }

  /** Requests for rows made so far (for tests and benchmarks). */
  get pageReads(): number {
    return this._pageReads;
  }

  get(id: string): IRun | undefined {
    return this._runs.get(id);
  }

  /** The run at a row of the view, or undefined while its page is not loaded. */
  rowAt(index: number): IRun | undefined {
    const page = this._pages.get(Math.floor(index / PAGE));
    return page ? page[index % PAGE] : undefined;
  }

  /** The row of a run among the loaded pages, or -1. */
  indexOf(id: string): number {
    for (const [p, rows] of this._pages) {
      const i = rows.findIndex(r => r.id === id);
      if (i >= 0) {
        return p * PAGE + i;
      }
    }
    return -1;
  }

  /** Selected run ids in the order they were selected. */
  get selected(): readonly string[] {
    return this._selected;
  }

  get selectedRuns(): IRun[] {
    return this._selected
      .map(id => this._runs.get(id))
      .filter((r): r is IRun => r !== undefined);
  }

  setSelection(ids: readonly string[]): void {
    const next = ids.filter((id, i) => this._runs.has(id) && ids.indexOf(id) === i);
    if (next.length === this._selected.length && next.every((id, i) => id === this._selected[i])) {
      return;
    }
    this._selected = next;
    this._selectionChanged.emit();
  }

  /**
   * Select one run by reference (`train#4`, a name, an id), reading it from
   * the server when no loaded page holds it (a link from the Artifacts view).
   */
  async selectRef(ref: string): Promise<IRun> {
    const run =
      this._runs.get(ref) ??
      this.runs.find(r => r.ref === ref) ??
      (await this.api.getRun(ref));
    this._put(run);
    this.setSelection([run.id]);
    return run;
  }

  toggleSelected(id: string): void {
    const i = this._selected.indexOf(id);
    this.setSelection(
      i >= 0 ? this._selected.filter(s => s !== id) : [...this._selected, id]
    );
  }

  /**
   * Show another sort or filter: the cached pages are dropped and the rows in
   * view read again (now if the first read is done, else by the first tick).
   */
  setView(view: Partial<IRunsView>): void {
    const next = { ...this._view, ...view };
    if (next.sort === this._view.sort && next.order === this._view.order && next.q === this._view.q) {
      return;
    }
    const filtered = next.q !== this._view.q;
    this._view = next;
    this._generation++;
    this._pages.clear();
    this._inflight.clear();
    if (filtered) {
      this._filterError = null;
    }
    this._emit();
    if (this._loaded) {
      void this._readWindow().catch(() => undefined);
    }
  }

  /**
   * The rows the table shows (`first` to `last`, exclusive, margin included):
   * their missing pages are read.
   */
  showWindow(first: number, last: number): void {
    this._window = [Math.max(0, first), Math.max(0, last)];
    if (this._loaded) {
      void this._readWindow().catch(() => undefined);
    }
  }

  /** Polling interval in milliseconds. */
  set interval(ms: number) {
    const interval = Math.max(100, ms);
    if (this._poll.frequency.interval !== interval) {
      this._poll.frequency = { ...this._poll.frequency, interval };
    }
  }

  /** Stop polling (e.g. while the panel is hidden). */
  set paused(value: boolean) {
    this._standby = value;
    if (!value) {
      void this._poll.refresh();
    }
  }

  start(): Promise<void> {
    return this._poll.start();
  }

  /** Read now (the next tick is rescheduled after it); `full` reads the rows in view again. */
  async refresh(full = false): Promise<void> {
    if (full) {
      this._needFull = true;
    }
    await this._poll.refresh();
    await this._poll.tick;
  }

  async update(id: string, patch: IRunPatch): Promise<IRun> {
    const run = await this.api.updateRun(id, patch);
    this._put(run);
    this._emit();
    return run;
  }

  async remove(id: string): Promise<void> {
    await this.api.deleteRun(id);
    this._runs.delete(id);
    if (this._selected.includes(id)) {
      this._selected = this._selected.filter(s => s !== id);
      this._selectionChanged.emit();
    }
    // Rows below it move up: read the window again.
    this._needFull = true;
    this._emit();
    void this._poll.refresh();
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _tick(): Promise<void> {
    try {
      if (this._needFull || !this._loaded || this._cursor === null) {
        await this._readWindow(true);
      } else {
        await this._readChanges();
      }
      if (this._verifications.size) {
        const ended = await this._verifications.check();
        ended.forEach(run => this._put(run));
        if (ended.length) {
          this._emit();
        }
      }
      this._lastResponseAt = Date.now();
      if (this._error !== null) {
        this._error = null;
        this._emit();
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this._error) {
        this._error = message;
        this._emit();
      }
      throw error; // let the poll back off
    }
  }

  /** The pages of the window; `fresh` reads them again even when cached. */
  private async _readWindow(fresh = false): Promise<void> {
    const [first, last] = this._window;
    const from = Math.floor(first / PAGE);
    const to = Math.max(from, Math.ceil(last / PAGE) - 1);
    const wanted: number[] = [];
    for (let p = from; p <= to; p++) {
      if ((fresh || !this._pages.has(p)) && !this._inflight.has(p)) {
        wanted.push(p);
      }
    }
    if (!wanted.length) {
      return;
    }
    const generation = this._generation;
    if (fresh) {
      // Rows outside the window may have moved: drop them.
      for (const p of Array.from(this._pages.keys())) {
        if (p < from || p > to) {
          this._pages.delete(p);
        }
      }
    }
    wanted.forEach(p => this._inflight.add(p));
    const storeTotal =
      this._view.q && (fresh || !this._loaded)
        ? this.api.listRuns({ limit: 1 }).then(
            page => page.total,
            () => this._storeTotal
          )
        : null;
    let answers: IRunsPage[];
    try {
      answers = await Promise.all(
        wanted.map(p =>
          this.api.listRuns({
            limit: PAGE,
            offset: p * PAGE,
            sort: this._view.sort,
            order: this._view.order,
            q: this._view.q || undefined
          })
        )
      );
      this._pageReads += wanted.length;
    } catch (error) {
      if (generation === this._generation) {
        wanted.forEach(p => this._inflight.delete(p));
        if (error instanceof ApiError && error.status === 400 && this._view.q) {
          // The server could not read the filter: say why, show nothing.
          this._filterError = error.message;
          this._pages.clear();
          this._total = 0;
          this._loaded = true;
          this._needFull = false;
          this._emit();
          return;
        }
      }
      throw error;
    }
    if (generation !== this._generation) {
      return; // the view changed meanwhile: these rows belong to no one
    }
    wanted.forEach(p => this._inflight.delete(p));
    answers.forEach((page, k) => {
      this._pages.set(wanted[k], page.runs);
      page.runs.forEach(run => this._put(run));
    });
    const head = answers[0];
    this._total = head.total;
    this._params = head.params;
    this._metrics = head.metrics;
    this._filterError = null;
    if (!this._view.q) {
      this._storeTotal = head.total;
    } else if (storeTotal) {
      this._storeTotal = await storeTotal;
    }
    if (fresh || this._cursor === null) {
      // The first answer's cursor: whatever changes while the rest is read is
      // asked for again by the next poll.
      this._cursor = head.cursor;
    }
    this._needFull = false;
    this._loaded = true;
    this._evict();
    this._emit();
  }

  private async _readChanges(): Promise<void> {
    const generation = this._generation;
    let page: IRunsPage;
    try {
      page = await this.api.listRuns({
        changed_since: this._cursor as string,
        limit: CHANGED_LIMIT,
        sort: this._view.sort,
        order: this._view.order,
        q: this._view.q || undefined
      });
    } catch (error) {
      if (error instanceof ApiError && error.status === 400 && this._view.q) {
        return; // the filter's message is shown already
      }
      throw error;
    }
    if (generation !== this._generation) {
      return;
    }
    let changed = false;
    const seen = new Set<string>();
    for (const run of page.runs) {
      seen.add(run.id);
      const old = this._runs.get(run.id);
      if (old && !sameRun(old, run)) {
        this._put(run);
        changed = true;
      }
    }
    // Loaded runs that were running and are not among the changed ones (the
    // server always returns running runs matching the filter): read them once each.
    const ended = this.runs.filter(run => run.status === 'running' && !seen.has(run.id));
    for (const run of ended) {
      try {
        this._put(await this.api.getRun(run.id));
      } catch {
        this._runs.delete(run.id); // deleted meanwhile
        this._list = null;
      }
      changed = true;
    }
    if (!sameList(page.params, this._params) || !sameList(page.metrics, this._metrics)) {
      this._params = page.params;
      this._metrics = page.metrics;
      changed = true;
    }
    if (page.total !== this._total) {
      // Runs added or deleted: the rows in view moved, read them again.
      const shrunk = page.total < this._total;
      if (!this._view.q) {
        this._storeTotal = page.total;
      }
      this._total = page.total;
      await this._readWindow(true);
      if (shrunk) {
        await this._dropDeletedSelection();
      }
      return;
    }
    this._cursor = page.cursor;
    if (changed) {
      this._emit();
    }
  }

  /** Selected runs outside the loaded pages that were deleted elsewhere leave the selection. */
  private async _dropDeletedSelection(): Promise<void> {
    const shown = new Set<string>();
    this._pages.forEach(rows => rows.forEach(r => shown.add(r.id)));
    const unseen = this._selected.filter(id => !shown.has(id)).slice(0, 50);
    const gone: string[] = [];
    for (const id of unseen) {
      try {
        this._put(await this.api.getRun(id));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          gone.push(id);
        }
      }
    }
    if (gone.length) {
      gone.forEach(id => this._runs.delete(id));
      this._list = null;
      this._selected = this._selected.filter(id => !gone.includes(id));
      this._selectionChanged.emit();
      this._emit();
    }
  }

  /** Store a read of a run: in the id map and in the page that holds it. */
  private _put(run: IRun): void {
    if (this._verifications.has(run.id)) {
      run.verifying = true;
    } else if (run.verifying) {
      delete run.verifying;
    }
    const old = this._runs.get(run.id);
    this._runs.set(run.id, run);
    this._list = null;
    if (old) {
      for (const rows of this._pages.values()) {
        const i = rows.indexOf(old);
        if (i >= 0) {
          rows[i] = run;
        }
      }
    }
  }

  /** Drop the pages farthest from the window, and the runs no page or selection holds. */
  private _evict(): void {
    if (this._pages.size > MAX_PAGES) {
      const centre = this._window[0] / PAGE;
      const far = Array.from(this._pages.keys()).sort(
        (a, b) => Math.abs(b - centre) - Math.abs(a - centre)
      );
      far.slice(0, this._pages.size - MAX_PAGES).forEach(p => this._pages.delete(p));
    }
    if (this._runs.size > (MAX_PAGES + 10) * PAGE) {
      const keep = new Set(this._selected);
      this._pages.forEach(rows => rows.forEach(r => keep.add(r.id)));
      for (const id of Array.from(this._runs.keys())) {
        if (!keep.has(id)) {
          this._runs.delete(id);
        }
      }
      this._list = null;
    }
  }

  private _emit(): void {
    this._changed.emit();
  }

  private _poll: Poll;
  private _verifications: Verifications;
  private _runs = new Map<string, IRun>();
  private _list: IRun[] | null = null;
  private _pages = new Map<number, IRun[]>();
  private _inflight = new Set<number>();
  private _window: [number, number] = [0, PAGE];
  private _view: IRunsView = { sort: 'start', order: 'desc', q: '' };
  private _generation = 0;
  private _params: string[] = [];
  private _metrics: string[] = [];
  private _total = 0;
  private _storeTotal = 0;
  private _cursor: string | null = null;
  private _selected: string[] = [];
  private _error: string | null = null;
  private _filterError: string | null = null;
  private _loaded = false;
  private _needFull = true;
  private _standby = false;
  private _lastResponseAt = 0;
  private _pageReads = 0;
  private _changed = new Signal<this, void>(this);
  private _selectionChanged = new Signal<this, void>(this);
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Cheap equality of two reads of one run (fields that change while it lives). */
export function sameRun(a: IRun, b: IRun): boolean {
  return (
    a.status === b.status &&
    a.name === b.name &&
    a.end === b.end &&
    a.duration === b.duration &&
    a.notes === b.notes &&
    a.snapshot === b.snapshot &&
    a.verdict === b.verdict &&
    sameList(a.tags, b.tags) &&
    JSON.stringify(a.metrics) === JSON.stringify(b.metrics) &&
    JSON.stringify(a.params) === JSON.stringify(b.params)
  );
}

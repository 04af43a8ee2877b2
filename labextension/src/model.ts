/**
 * The runs the panel shows, kept current by polling the server.
 *
 * The first tick reads every run (pages of 10,000); later ticks ask the server
 * only for the runs that changed since its last answer (`changed_since`: the
 * running ones and those started, ended or beating since), and fall back to a
 * full read when the total moved in a way those cannot explain (runs deleted
 * elsewhere). The poll backs off on errors and stands by while the page is
 * hidden.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IRun, IRunPatch, NbtrackApi } from './api';

const PAGE = 10000;

export class RunsModel {
  constructor(api: NbtrackApi, options: { interval?: number } = {}) {
    this.api = api;
    this._poll = new Poll({
      auto: false,
      factory: () => this._tick(),
      frequency: { interval: options.interval ?? 1000, backoff: true, max: 30000 },
      name: 'nbtrack:runs',
      standby: () => this._standby || 'when-hidden'
    });
  }

  readonly api: NbtrackApi;

  /** Emitted when runs, keys or the error changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted when the selection changed. */
  get selectionChanged(): ISignal<this, void> {
    return this._selectionChanged;
  }

  get runs(): readonly IRun[] {
    return this._list;
  }

  get params(): string[] {
    return this._params;
  }

  get metrics(): string[] {
    return this._metrics;
  }

  /** The last error while reading, or null. */
  get error(): string | null {
    return this._error;
  }

  /** True once the first read has succeeded. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** Wall-clock milliseconds when the last response arrived. */
  get lastResponseAt(): number {
    return this._lastResponseAt;
  }

  get(id: string): IRun | undefined {
    return this._runs.get(id);
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

  toggleSelected(id: string): void {
    const i = this._selected.indexOf(id);
    this.setSelection(
      i >= 0 ? this._selected.filter(s => s !== id) : [...this._selected, id]
    );
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

  /** Read now (the next tick is rescheduled after it). */
  async refresh(full = false): Promise<void> {
    if (full) {
      this._needFull = true;
    }
    await this._poll.refresh();
    await this._poll.tick;
  }

  async update(id: string, patch: IRunPatch): Promise<IRun> {
    const run = await this.api.updateRun(id, patch);
    this._runs.set(run.id, run);
    this._emitRuns();
    return run;
  }

  async remove(id: string): Promise<void> {
    await this.api.deleteRun(id);
    this._runs.delete(id);
    this._total = Math.max(0, this._total - 1);
    if (this._selected.includes(id)) {
      this._selected = this._selected.filter(s => s !== id);
      this._selectionChanged.emit();
    }
    this._emitRuns();
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _tick(): Promise<void> {
    try {
      if (this._needFull || !this._loaded) {
        await this._readAll();
      } else {
        await this._readChanges();
      }
      this._lastResponseAt = Date.now();
      if (this._error !== null) {
        this._error = null;
        this._changed.emit();
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this._error) {
        this._error = message;
        this._changed.emit();
      }
      throw error; // let the poll back off
    }
  }

  private async _readAll(): Promise<void> {
    const runs = new Map<string, IRun>();
    let offset = 0;
    let total = 0;
    let params: string[] = [];
    let metrics: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.api.listRuns({
        limit: PAGE,
        offset,
        sort: 'start',
        order: 'desc'
      });
      page.runs.forEach(run => runs.set(run.id, run));
      total = page.total;
      params = page.params;
      metrics = page.metrics;
      // The first page's cursor: whatever changes while later pages are read is
      // asked for again by the next poll.
      cursor = cursor ?? page.cursor ?? null;
      offset += PAGE;
      if (!page.runs.length) {
        break;
      }
    } while (offset < total);
    this._runs = runs;
    this._total = total;
    this._params = params;
    this._metrics = metrics;
    this._cursor = cursor;
    this._needFull = false;
    this._loaded = true;
    const before = this._selected.length;
    this._selected = this._selected.filter(id => runs.has(id));
    this._emitRuns();
    if (before !== this._selected.length) {
      this._selectionChanged.emit();
    }
  }

  private async _readChanges(): Promise<void> {
    if (this._cursor === null) {
      await this._readAll();
      return;
    }
    const page = await this.api.listRuns({
      changed_since: this._cursor,
      limit: PAGE,
      sort: 'start',
      order: 'desc'
    });
    let changed = false;
    const seen = new Set<string>();
    for (const run of page.runs) {
      seen.add(run.id);
      const old = this._runs.get(run.id);
      if (!old || !sameRun(old, run)) {
        this._runs.set(run.id, run);
        changed = true;
      }
    }
    // Runs that were running and are not among the changed ones (the server
    // always returns running runs): read them once each.
    const ended = Array.from(this._runs.values()).filter(
      run => run.status === 'running' && !seen.has(run.id)
    );
    for (const run of ended) {
      try {
        const fresh = await this.api.getRun(run.id);
        this._runs.set(fresh.id, fresh);
      } catch {
        this._runs.delete(run.id); // deleted meanwhile
      }
      changed = true;
    }
    if (!sameList(page.params, this._params) || !sameList(page.metrics, this._metrics)) {
      // The server lists the keys of all runs.
      this._params = page.params;
      this._metrics = page.metrics;
      changed = true;
    }
    if (page.total !== this._runs.size) {
      // Deleted (or added unseen) elsewhere: read everything.
      await this._readAll();
      return;
    }
    this._total = page.total;
    this._cursor = page.cursor;
    if (changed) {
      this._emitRuns();
    }
  }

  private _emitRuns(): void {
    this._list = Array.from(this._runs.values());
    this._changed.emit();
  }

  private _poll: Poll;
  private _runs = new Map<string, IRun>();
  private _list: IRun[] = [];
  private _params: string[] = [];
  private _metrics: string[] = [];
  private _total = 0;
  private _cursor: string | null = null;
  private _selected: string[] = [];
  private _error: string | null = null;
  private _loaded = false;
  private _needFull = true;
  private _standby = false;
  private _lastResponseAt = 0;
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
    sameList(a.tags, b.tags) &&
    JSON.stringify(a.metrics) === JSON.stringify(b.metrics) &&
    JSON.stringify(a.params) === JSON.stringify(b.params)
  );
}

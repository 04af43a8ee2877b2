/**
 * Metric histories of the selected runs, kept current while runs are running.
 *
 * Each run is read once with a point budget (the server downsamples long
 * histories), then, while it runs, only the points after its cursor. A series
 * that grows past twice the budget is read again whole, so the server thins
 * it: the browser never downsamples (one algorithm, `nbtrack/series.py`).
 *
 * A failed read changes nothing but the run's retry time: its cursor stays,
 * the next read waits longer after each failure in a row (doubling up to a
 * cap), and resumes from the cursor, so no point is lost or read twice. A
 * series is complete only after a successful read that began once its run had
 * ended. When every read of a tick fails (the server is away), the poll
 * itself backs off too.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IRun, ISeriesData, NbtrackApi } from './api';

export interface IRunSeries {
  run: IRun;
  series: Map<string, ISeriesData>;
  cursor: string | null;
  loaded: boolean;
  /** True when no more points can come (the run is over and read after). */
  complete: boolean;
  /** The last read's error, until a read succeeds again. */
  error: string | null;
  /** Failed reads in a row. */
  failures: number;
  /** When the next read may be tried (`clock()` ms); 0 for at once. */
  retryAt: number;
}

export interface ISeriesStoreOptions {
  /** Poll interval in ms (default 500). */
  interval?: number;
  /** Points per series asked of the server on the first read (default 2000). */
  maxPoints?: number;
  /** The wait after a first failure, in ms (default 1000); doubles per failure in a row. */
  retryBase?: number;
  /** The longest wait between retries, in ms (default 30000). */
  retryMax?: number;
  /** Milliseconds now (tests pass their own). */
  clock?: () => number;
}

/** The wait before the next read after `failures` failed reads in a row. */
export function retryDelay(failures: number, base: number, max: number): number {
  if (failures <= 0) {
    return 0;
  }
  return Math.min(max, base * 2 ** Math.min(failures - 1, 30));
}

export class SeriesStore {
  constructor(api: NbtrackApi, options: ISeriesStoreOptions = {}) {
    this._api = api;
    this.maxPoints = options.maxPoints ?? 2000;
    this._retryBase = options.retryBase ?? 1000;
    this._retryMax = options.retryMax ?? 30000;
    this._clock = options.clock ?? Date.now;
    this._poll = new Poll({
      auto: false,
      factory: () => this._tick(),
      frequency: { interval: options.interval ?? 500, backoff: true, max: 10000 },
      name: 'nbtrack:series',
      standby: () => this._paused || 'when-hidden'
    });
  }

  /** Points per series asked of the server on the first read. */
  maxPoints: number;

  /** Emitted with the ids of the runs whose series changed. */
  get changed(): ISignal<this, string[]> {
    return this._changed;
  }

  get runs(): IRunSeries[] {
    return this._order
      .map(id => this._runs.get(id))
      .filter((r): r is IRunSeries => r !== undefined);
  }

  /** The union of metric keys over the runs, sorted. */
  get keys(): string[] {
    const keys = new Set<string>();
    for (const entry of this._runs.values()) {
      Object.keys(entry.run.metrics).forEach(k => keys.add(k));
      entry.series.forEach((_, k) => keys.add(k));
    }
    return Array.from(keys).sort();
  }

  set interval(ms: number) {
    const interval = Math.max(100, ms);
    if (this._poll.frequency.interval !== interval) {
      this._poll.frequency = { ...this._poll.frequency, interval };
    }
  }

  /**
   * Follow these runs (in this order). Fresh reads of runs already followed
   * update their status; a run that stopped running is read once more.
   */
  setRuns(runs: IRun[]): void {
    const ids = runs.map(r => r.id);
    let changed = ids.length !== this._order.length || ids.some((id, i) => id !== this._order[i]);
    for (const id of Array.from(this._runs.keys())) {
      if (!ids.includes(id)) {
        this._runs.delete(id);
      }
    }
    let pending = false;
    for (const run of runs) {
      const entry = this._runs.get(run.id);
      if (!entry) {
        this._runs.set(run.id, {
          run,
          series: new Map(),
          cursor: null,
          loaded: false,
          complete: false,
          error: null,
          failures: 0,
          retryAt: 0
        });
        pending = true;
      } else {
        if (entry.run.status === 'running' && run.status !== 'running') {
          entry.complete = false; // one more read for the last points
          pending = true;
        }
        if (entry.run.name !== run.name) {
          changed = true;
        }
        entry.run = run;
      }
    }
    this._order = ids;
    if (changed) {
      this._changed.emit(ids);
    }
    if (pending) {
      void this._poll.refresh();
    }
  }

  /** Stop polling (e.g. while the panel is hidden). */
  set paused(value: boolean) {
    this._paused = value;
    if (!value) {
      void this._poll.refresh();
    }
  }

  start(): Promise<void> {
    return this._poll.start();
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _tick(): Promise<void> {
    const now = this._clock();
    // A refresh can start a tick while another is in flight: never read a run
    // twice from the same cursor (its points would be appended twice).
    const todo = Array.from(this._runs.values()).filter(
      e => !e.complete && e.retryAt <= now && !this._reading.has(e)
    );
    if (!todo.length) {
      return;
    }
    const changed: string[] = [];
    let failed = 0;
    await Promise.all(
      todo.map(async entry => {
        const runningAtRequest = entry.run.status === 'running';
        this._reading.add(entry);
        try {
          const chunk = await this._api.metrics(entry.run.id, {
            after: entry.cursor,
            maxPoints: this.maxPoints
          });
          if (this._runs.get(entry.run.id) !== entry) {
            return; // deselected meanwhile
          }
          let grew = !entry.loaded || entry.error !== null;
          if (entry.cursor === null) {
            entry.series = new Map(); // a whole read replaces what was there
          }
          let overgrown = false;
          for (const [key, data] of Object.entries(chunk.series)) {
            if (data.step.length) {
              overgrown = this._append(entry, key, data) || overgrown;
              grew = true;
            }
          }
          // Past twice the budget, the next read is whole: the server thins it.
          entry.cursor = overgrown ? null : chunk.cursor;
          entry.loaded = true;
          entry.error = null;
          entry.failures = 0;
          entry.retryAt = 0;
          // Complete only when this read began after the run had ended: it
          // returned every point up to the end.
          entry.complete = !runningAtRequest && !overgrown;
          if (grew) {
            changed.push(entry.run.id);
          }
        } catch (error) {
          failed++;
          if (this._runs.get(entry.run.id) !== entry) {
            return;
          }
          // Keep the cursor and what was read; try again later, from there.
          entry.failures++;
          const wait = retryDelay(entry.failures, this._retryBase, this._retryMax);
          entry.retryAt = this._clock() + wait;
          const message = error instanceof Error ? error.message : String(error);
          entry.error = `${message} (retrying in ${Math.ceil(wait / 1000)} s)`;
          entry.loaded = true;
          changed.push(entry.run.id);
        } finally {
          this._reading.delete(entry);
        }
      })
    );
    if (changed.length) {
      this._changed.emit(changed);
    }
    if (failed === todo.length) {
      // Every read failed: let the poll back off as well.
      throw new Error(`${failed} metrics request(s) failed`);
    }
  }

  /** Appends `data` to the key's series; true when it outgrew twice the budget. */
  private _append(entry: IRunSeries, key: string, data: ISeriesData): boolean {
    const old = entry.series.get(key);
    let next: ISeriesData;
    if (!old) {
      next = data;
    } else {
      next = {
        step: old.step.concat(data.step),
        value: old.value.concat(data.value),
        time: old.time.concat(data.time)
      };
    }
    entry.series.set(key, next);
    return next.step.length > 2 * this.maxPoints;
  }

  private _api: NbtrackApi;
  private _poll: Poll;
  private _runs = new Map<string, IRunSeries>();
  private _order: string[] = [];
  private _reading = new Set<IRunSeries>();
  private _paused = false;
  private _retryBase: number;
  private _retryMax: number;
  private _clock: () => number;
  private _changed = new Signal<this, string[]>(this);
}

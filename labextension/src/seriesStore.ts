/**
 * Metric histories of the selected runs, kept current while runs are running.
 *
 * Each run is read once with a point budget (the server downsamples long
 * histories), then, while it runs, only the points after its cursor. A series
 * that grows past twice the budget is decimated here (min-max buckets).
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IRun, ISeriesData, NbtrackApi } from './api';
import { pickIndices, take } from './downsample';

export interface IRunSeries {
  run: IRun;
  series: Map<string, ISeriesData>;
  cursor: string | null;
  loaded: boolean;
  /** True when no more points can come (the run is over and read after). */
  complete: boolean;
  error: string | null;
}

export class SeriesStore {
  constructor(api: NbtrackApi, options: { interval?: number; maxPoints?: number } = {}) {
    this._api = api;
    this.maxPoints = options.maxPoints ?? 2000;
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
          error: null
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
    const todo = Array.from(this._runs.values()).filter(e => !e.complete);
    if (!todo.length) {
      return;
    }
    const changed: string[] = [];
    await Promise.all(
      todo.map(async entry => {
        const runningAtRequest = entry.run.status === 'running';
        try {
          const chunk = await this._api.metrics(entry.run.id, {
            after: entry.cursor,
            maxPoints: this.maxPoints
          });
          if (this._runs.get(entry.run.id) !== entry) {
            return; // deselected meanwhile
          }
          let grew = !entry.loaded;
          for (const [key, data] of Object.entries(chunk.series)) {
            if (data.step.length) {
              this._append(entry, key, data);
              grew = true;
            }
          }
          entry.cursor = chunk.cursor;
          entry.loaded = true;
          entry.error = null;
          entry.complete = !runningAtRequest;
          if (grew) {
            changed.push(entry.run.id);
          }
        } catch (error) {
          entry.error = error instanceof Error ? error.message : String(error);
          entry.loaded = true;
          entry.complete = true;
          changed.push(entry.run.id);
        }
      })
    );
    if (changed.length) {
      this._changed.emit(changed);
    }
  }

  private _append(entry: IRunSeries, key: string, data: ISeriesData): void {
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
    if (next.step.length > 2 * this.maxPoints) {
      const keep = pickIndices(next.value, this.maxPoints);
      if (keep) {
        next = {
          step: take(next.step, keep),
          value: take(next.value, keep),
          time: take(next.time, keep)
        };
      }
    }
    entry.series.set(key, next);
  }

  private _api: NbtrackApi;
  private _poll: Poll;
  private _runs = new Map<string, IRunSeries>();
  private _order: string[] = [];
  private _paused = false;
  private _changed = new Signal<this, string[]>(this);
}

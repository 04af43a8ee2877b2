/**
 * A histogram logged over steps, for one run in the Media view: a heat strip
 * (value bins across, one row per step down, darker = more of that step's
 * values), a mark on the chosen step's row, and that step's bins as bars with
 * its count, min, max and mean in text. The step comes from the section's
 * shared slider (`show(step)`).
 */
import { IHistogramSteps } from './mediaApi';
import { histogramGrid, IHistogramGrid, short } from './mediaShape';

/** Height of the strip in CSS px at most; a row is at least 2 px. */
const STRIP_HEIGHT = 120;

function div(className: string, text?: string): HTMLDivElement {
  const node = document.createElement('div');
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export class HistogramStrip {
  constructor(data: IHistogramSteps) {
    this._data = data;
    this._grid = histogramGrid(data.steps);
    const grid = this._grid;
    this.node = div('nbtrack-Media-histogram');
    const first = grid.steps[0];
    const last = grid.steps[grid.steps.length - 1];
    const frame = div('nbtrack-Media-histFrame');
    this._canvas = document.createElement('canvas');
    this._canvas.className = 'nbtrack-Media-histStrip';
    this._canvas.setAttribute('role', 'img');
    this._canvas.setAttribute(
      'aria-label',
      `Histogram ${data.name} over ${data.total} steps (${first} to ${last}): values across, steps down`
    );
    this._rowHeight = Math.max(2, Math.floor(STRIP_HEIGHT / Math.max(1, grid.steps.length)));
    this._canvas.style.height = `${this._rowHeight * grid.steps.length}px`;
    this._mark = div('nbtrack-Media-histMark');
    this._mark.style.height = `${this._rowHeight}px`;
    frame.append(this._canvas, this._mark);
    const axis = div('nbtrack-Media-histAxis');
    axis.append(div('', short(grid.lo)), div('', short(grid.hi)));
    const steps =
      data.total > grid.steps.length
        ? `steps ${first}–${last} (${grid.steps.length} of ${data.total} shown)`
        : `steps ${first}–${last}`;
    this._bars = div('nbtrack-Media-histBars');
    this._text = div('nbtrack-Media-histText');
    this.node.append(frame, axis, div('nbtrack-Media-note', steps), this._bars, this._text);
    this._draw();
  }

  readonly node: HTMLDivElement;

  /** Show step `step`: its row marked, its bins as bars (or say it has none). */
  show(step: number): void {
    const i = this._grid.steps.indexOf(step);
    this._mark.hidden = i < 0;
    if (i < 0) {
      this._bars.replaceChildren();
      this._text.textContent = `no histogram at step ${step}`;
      return;
    }
    this._mark.style.top = `${i * this._rowHeight}px`;
    const row = this._grid.rows[i];
    this._bars.replaceChildren(
      ...row.map(v => {
        const bar = div('nbtrack-Media-histBar');
        bar.style.height = `${Math.round(v * 100)}%`;
        return bar;
      })
    );
    const s = this._data.steps[i];
    const parts = [`step ${step}: ${s.count} values`, `min ${short(s.min)}`, `max ${short(s.max)}`, `mean ${short(s.mean)}`];
    if (s.nonfinite) {
      parts.push(`${s.nonfinite} not finite`);
    }
    this._text.textContent = parts.join(' · ');
  }

  private _draw(): void {
    const grid = this._grid;
    const columns = grid.rows[0]?.length ?? 0;
    this._canvas.width = Math.max(1, columns * 4);
    this._canvas.height = Math.max(1, grid.steps.length * this._rowHeight);
    let ctx: CanvasRenderingContext2D | null = null;
    try {
      ctx = this._canvas.getContext('2d');
    } catch {
      ctx = null; // no canvas (a DOM without one): the text and bars still tell
    }
    if (!ctx) {
      return;
    }
    const color = getComputedStyle(document.body).getPropertyValue('--jp-brand-color1').trim() || '#1976d2';
    ctx.fillStyle = color;
    grid.rows.forEach((row, i) => {
      row.forEach((v, j) => {
        if (v > 0) {
          ctx!.globalAlpha = 0.08 + 0.92 * v;
          ctx!.fillRect(j * 4, i * this._rowHeight, 4, this._rowHeight);
        }
      });
    });
    ctx.globalAlpha = 1;
  }

  private _data: IHistogramSteps;
  private _grid: IHistogramGrid;
  private _canvas: HTMLCanvasElement;
  private _mark: HTMLDivElement;
  private _bars: HTMLDivElement;
  private _text: HTMLDivElement;
  private _rowHeight: number;
}

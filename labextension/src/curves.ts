/**
 * Curves of the selected runs, overlaid: one uPlot chart per metric, one
 * series per run, steps / time since start / wall time on x, optional
 * smoothing. Live: running runs' curves extend as points arrive (data is
 * swapped in with `setData`; charts are rebuilt only when runs, axis or
 * theme change).
 */
import { caretDownEmptyIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import uPlot from 'uplot';

import { ISeriesData } from './api';
import { IRunSeries, SeriesStore } from './seriesStore';
import { integerIncrements, runLabels, xRange } from './format';
import { smooth } from './smoothing';

export type XAxis = 'step' | 'relative' | 'time';

/** Series colours: JupyterLab theme variables, read when a chart is built. */
const COLOR_VARS = [
  '--jp-brand-color1',
  '--jp-warn-color1',
  '--jp-success-color1',
  '--jp-error-color1',
  '--jp-accent-color1',
  '--jp-mirror-editor-keyword-color',
  '--jp-mirror-editor-string-color',
  '--jp-mirror-editor-variable-2-color',
  '--jp-mirror-editor-number-color',
  '--jp-info-color1'
];

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/** x and y arrays of one run's series on the chosen axis, sorted by x. */
export function seriesXY(
  data: ISeriesData,
  axis: XAxis,
  start: number,
  smoothing: number
): [number[], (number | null)[]] {
  let x: number[];
  if (axis === 'step') {
    x = data.step;
  } else if (axis === 'relative') {
    x = data.time.map(t => t - start);
  } else {
    x = data.time;
  }
  let y = smoothing > 0 ? smooth(data.value, smoothing) : data.value;
  // uPlot needs ascending x; points normally arrive in order.
  for (let i = 1; i < x.length; i++) {
    if (x[i] < x[i - 1]) {
      const order = x.map((_, k) => k).sort((p, q) => x[p] - x[q] || p - q);
      x = order.map(k => x[k]);
      y = order.map(k => y[k]);
      break;
    }
  }
  // NaN and ±Infinity cannot be drawn: a gap (null) in the line.
  return [x, y.map(v => (Number.isFinite(v) ? v : null))];
}

const STEP_INCRS = integerIncrements();

/** Points of a series that can be drawn (finite values). */
function finiteCount(data: ISeriesData): number {
  let n = 0;
  for (const v of data.value) {
    if (Number.isFinite(v)) {
      n++;
    }
  }
  return n;
}

class Chart {
  constructor(readonly key: string, parent: HTMLElement) {
    this.node = document.createElement('div');
    this.node.className = 'nbtrack-Chart';
    this.node.dataset.metric = key;
    const title = document.createElement('div');
    title.className = 'nbtrack-Chart-title';
    title.textContent = key;
    this.node.appendChild(title);
    this.plotHost = document.createElement('div');
    this.node.appendChild(this.plotHost);
    parent.appendChild(this.node);
  }

  readonly node: HTMLElement;
  readonly plotHost: HTMLElement;
  plot: uPlot | null = null;
  signature = '';

  dispose(): void {
    this.plot?.destroy();
    this.node.remove();
  }
}

export class CurvesView extends Widget {
  constructor(store: SeriesStore) {
    super();
    this.store = store;
    this.addClass('nbtrack-Curves');

    const bar = document.createElement('div');
    bar.className = 'nbtrack-Curves-toolbar';
    const axisLabel = document.createElement('label');
    axisLabel.textContent = 'x ';
    this._axisSelect = document.createElement('select');
    this._axisSelect.className = 'nbtrack-Curves-axis';
    this._axisSelect.setAttribute('aria-label', 'x axis');
    for (const [value, text] of [
      ['step', 'step'],
      ['relative', 'time since start'],
      ['time', 'wall time']
    ]) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = text;
      this._axisSelect.appendChild(option);
    }
    // JupyterLab's own select look (HTMLSelect): a wrapper and a caret icon.
    const selectWrapper = document.createElement('div');
    selectWrapper.className = 'jp-HTMLSelect jp-DefaultStyle nbtrack-Curves-axisWrapper';
    selectWrapper.appendChild(this._axisSelect);
    selectWrapper.appendChild(
      caretDownEmptyIcon.element({ tag: 'span', stylesheet: 'select', right: '4px', top: '4px' })
    );
    axisLabel.appendChild(selectWrapper);
    const smoothLabel = document.createElement('label');
    smoothLabel.textContent = 'smoothing ';
    this._smoothInput = document.createElement('input');
    this._smoothInput.type = 'range';
    this._smoothInput.min = '0';
    this._smoothInput.max = '0.99';
    this._smoothInput.step = '0.01';
    this._smoothInput.value = '0';
    this._smoothInput.className = 'nbtrack-Curves-smoothing';
    smoothLabel.appendChild(this._smoothInput);
    this._metricInput = document.createElement('input');
    this._metricInput.type = 'search';
    this._metricInput.placeholder = 'metrics…';
    this._metricInput.className = 'nbtrack-Curves-metricFilter jp-mod-styled';
    this._metricInput.setAttribute('aria-label', 'Filter metrics');
    bar.append(axisLabel, smoothLabel, this._metricInput);

    this._message = document.createElement('div');
    this._message.className = 'nbtrack-Curves-message';
    this._charts = document.createElement('div');
    this._charts.className = 'nbtrack-Curves-charts';
    this.node.append(bar, this._message, this._charts);

    this._axisSelect.addEventListener('change', () => this._render(true));
    this._smoothInput.addEventListener('input', () => this._render(false));
    this._metricInput.addEventListener('input', () => this._render(false));
    store.changed.connect(() => this._scheduleRender(), this);
    this._resizeObserver = new ResizeObserver(() => this._resize());
    this._resizeObserver.observe(this.node);
    this._render(true);
  }

  readonly store: SeriesStore;

  get axis(): XAxis {
    return this._axisSelect.value as XAxis;
  }

  /** Rebuild every chart (e.g. after a theme change: colours are read at build). */
  rebuild(): void {
    this._render(true);
  }

  protected onAfterShow(msg: Message): void {
    this._render(true);
  }

  dispose(): void {
    this._resizeObserver.disconnect();
    this._chartsByKey.forEach(c => c.dispose());
    this._chartsByKey.clear();
    super.dispose();
  }

  private _scheduleRender(): void {
    if (!this._frame) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this._render(false);
      });
    }
  }

  private _resize(): void {
    const width = this._chartWidth();
    this._chartsByKey.forEach(chart => {
      if (chart.plot && Math.abs(chart.plot.width - width) > 1) {
        chart.plot.setSize({ width, height: chart.plot.height });
      }
    });
  }

  private _chartWidth(): number {
    return Math.max(200, this._charts.clientWidth - 8);
  }

  private _render(rebuild: boolean): void {
    if (!this.isVisible) {
      return;
    }
    const runs = this.store.runs;
    const filter = this._metricInput.value.trim().toLowerCase();
    const keys = this.store.keys.filter(k => !filter || k.toLowerCase().includes(filter));
    const loading = runs.some(r => !r.loaded);
    const errors = runs
      .filter(r => r.error)
      .map(r => `${r.run.ref || r.run.name}: ${r.error}`);
    this._message.textContent = !runs.length
      ? 'Select runs in the table to see their curves.'
      : errors.length
        ? errors.join('\n')
        : !keys.length
          ? loading
            ? 'Loading metrics…'
            : 'These runs have no metrics yet.'
          : '';
    this._message.style.display = this._message.textContent ? '' : 'none';

    for (const [key, chart] of this._chartsByKey) {
      if (!keys.includes(key)) {
        chart.dispose();
        this._chartsByKey.delete(key);
      }
    }
    const smoothing = Number(this._smoothInput.value);
    for (const key of keys) {
      let chart = this._chartsByKey.get(key);
      if (!chart) {
        chart = new Chart(key, this._charts);
        this._chartsByKey.set(key, chart);
      }
      this._charts.appendChild(chart.node); // keep key order
      this._draw(chart, runs, smoothing, rebuild);
    }
  }

  private _draw(chart: Chart, runs: IRunSeries[], smoothing: number, rebuild: boolean): void {
    const axis = this.axis;
    const withData = runs.filter(r => r.series.get(chart.key)?.step.length);
    const tables: uPlot.AlignedData[] = withData.map(r => {
      const data = r.series.get(chart.key) as ISeriesData;
      return seriesXY(data, axis, r.run.start, smoothing);
    });
    const data: uPlot.AlignedData =
      tables.length === 1 ? tables[0] : tables.length ? uPlot.join(tables) : [[]];
    let points = 0;
    let lastStep = -Infinity;
    withData.forEach(r => {
      const s = r.series.get(chart.key) as ISeriesData;
      points += s.step.length;
      lastStep = Math.max(lastStep, s.step[s.step.length - 1]);
    });
    // For tests and benchmarks: what the chart holds.
    chart.node.dataset.points = String(points);
    chart.node.dataset.lastStep = Number.isFinite(lastStep) ? String(lastStep) : '';
    chart.node.dataset.runs = String(withData.length);

    // Legends name runs by ref where names repeat (two runs called "train").
    const labels = runLabels(this.store.runs.map(r => r.run));
    const allIds = this.store.runs.map(r => r.run.id);
    const labelOf = (id: string): string => labels[allIds.indexOf(id)];
    const counts = withData.map(r => finiteCount(r.series.get(chart.key) as ISeriesData));
    const signature =
      `${axis}|` +
      withData.map((r, i) => `${r.run.id}:${labelOf(r.run.id)}:${counts[i] < 2}`).join(',');
    if (chart.plot && !rebuild && signature === chart.signature) {
      chart.plot.setData(data);
      return;
    }
    chart.plot?.destroy();
    chart.signature = signature;
    const ids = withData.map(r => r.run.id);
    const fg = cssVar('--jp-ui-font-color2', '#616161');
    const grid = cssVar('--jp-border-color2', '#e0e0e0');
    const font = `11px ${cssVar('--jp-ui-font-family', 'sans-serif')}`;
    const axisOpts: uPlot.Axis = {
      stroke: fg,
      font,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 }
    };
    // Steps are whole numbers: whole-number ticks only.
    const node = chart.node;
    const xAxis: uPlot.Axis =
      axis === 'step'
        ? {
            ...axisOpts,
            incrs: STEP_INCRS,
            values: (_u, splits) => {
              const labels = splits.map(v => String(v));
              node.dataset.xTicks = labels.join(' '); // for tests
              return labels;
            }
          }
        : { ...axisOpts };
    const opts: uPlot.Options = {
      width: this._chartWidth(),
      height: 170,
      pxAlign: 0,
      scales: {
        x: {
          time: axis === 'time',
          // One point (or one step): widen the range so the point is in view.
          range: (_u, min, max) => xRange(min, max)
        }
      },
      axes: [xAxis, { ...axisOpts, size: 54 }],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      series: [
        { label: axis === 'step' ? 'step' : axis === 'relative' ? 's' : 'time' },
        ...withData.map((r, i) => {
          // Colour by position in the selection, so a run keeps its colour across charts.
          const slot = allIds.indexOf(ids[i]);
          const stroke = cssVar(COLOR_VARS[slot % COLOR_VARS.length], '#1976d2');
          return {
            label: labelOf(r.run.id),
            stroke,
            width: 1.5,
            spanGaps: false,
            // A lone point draws no line: mark it.
            points: counts[i] < 2 ? { show: true, size: 7, fill: stroke, stroke } : {}
          };
        })
      ]
    };
    chart.plot = new uPlot(opts, data, chart.plotHost);
  }

  private _axisSelect: HTMLSelectElement;
  private _smoothInput: HTMLInputElement;
  private _metricInput: HTMLInputElement;
  private _message: HTMLElement;
  private _charts: HTMLElement;
  private _chartsByKey = new Map<string, Chart>();
  private _resizeObserver: ResizeObserver;
  private _frame = 0;
}

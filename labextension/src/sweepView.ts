/**
 * The Sweeps view of the Runs panel: the sweeps list; a selected sweep shows
 * its best-so-far curve, a parallel-coordinates plot of params vs the metric
 * (one polyline per trial, pruned greyed, failed dashed), Optuna's parameter
 * importances as bars, and its trials (a trial's run link selects that run in
 * the Runs view). All text goes in through textContent.
 */
import { NbtrackApi } from './api';
import { el, headedTable } from './dom';
import { plural } from './format';
import { ListDetailView } from './listDetailView';
import { getSweep, ISweepDetail, ISweepSummary, listSweeps } from './sweepApi';
import { axesOf, bestPath, formatValue, polylinePoints, trialClass } from './sweepPlot';

const SVG = 'http://www.w3.org/2000/svg';
const W = 320;
const H = 140;

function svg(tag: string, attrs: { [k: string]: string | number }): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    node.setAttribute(k, String(v));
  }
  return node;
}

function svgText(x: number, y: number, text: string, anchor = 'middle'): SVGElement {
  const node = svg('text', { x, y, 'text-anchor': anchor, class: 'nbtrack-SweepPlot-label' });
  node.textContent = text;
  return node;
}

export class SweepView extends ListDetailView {
  constructor(api: NbtrackApi) {
    const list = headedTable('nbtrack-SweepList', 'Sweeps', ['Sweep', 'Target', 'Method', 'Metric', 'Trials', 'Best']);
    super(api, { label: 'Sweeps', view: 'nbtrack-SweepView', item: 'nbtrack-Sweep', list });
    this._body = list.tBodies[0];
  }

  get sweeps(): readonly ISweepSummary[] {
    return this._sweeps;
  }

  /** Read the sweeps again (and the selected sweep's detail). */
  async refresh(): Promise<void> {
    const read = await this.listLoad.load(
      'sweeps',
      () => listSweeps(this.api),
      sweeps => {
        this._sweeps = sweeps;
        this.statusNode.textContent = sweeps.length
          ? plural(sweeps.length, 'sweep')
          : 'No sweeps yet: nbtrack.sweep(...) or nbtrack sweep runs one.';
        this._renderList();
      },
      'Loading sweeps…'
    );
    if (read === 'shown' && this._selected) {
      await this.showSweep(this._selected);
    }
  }

  /** Select sweep `id` and show its plots and trials. */
  async showSweep(id: string): Promise<void> {
    this._selected = id;
    this._renderList();
    await this.detailLoad.load(
      id,
      () => getSweep(this.api, id),
      detail => this._renderDetail(detail),
      `Loading ${id}…`
    );
  }

  handleEvent(event: Event): void {
    const target = event.target as HTMLElement;
    const run = target.closest<HTMLElement>('[data-run]');
    if (run?.dataset.run) {
      this.requestRun(run.dataset.run);
      return;
    }
    const row = target.closest<HTMLElement>('tr[data-sweep]');
    if (row?.dataset.sweep) {
      void this.showSweep(row.dataset.sweep);
    }
  }

  private _renderList(): void {
    const rows = this._sweeps.map(s => {
      const tr = el('tr', 'nbtrack-SweepList-row');
      tr.dataset.sweep = s.sweep;
      tr.classList.toggle('nbtrack-mod-selected', s.sweep === this._selected);
      const counts = [`${s.trials}`];
      if (s.pruned) counts.push(`${s.pruned} pruned`);
      if (s.failed) counts.push(`${s.failed} failed`);
      if (s.running) counts.push(`${s.running} running`);
      const metric = s.metric ? `${s.goal} ${s.metric}` : '';
      const best = s.best === null ? '' : `${formatValue(s.best)} (${s.best_run})`;
      for (const text of [s.sweep, s.target, s.method, metric, counts.join(', '), best]) {
        tr.appendChild(el('td', '', text));
      }
      return tr;
    });
    this._body.replaceChildren(...rows);
  }

  private _renderDetail(d: ISweepDetail): void {
    const parts: HTMLElement[] = [];
    const s = d.summary;
    parts.push(el('h3', 'nbtrack-SweepDetail-title', `${s.sweep}: ${s.method} over ${s.target}`));

    // Best so far
    parts.push(el('h4', '', `Best ${s.metric ?? 'value'} so far`));
    const best = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'nbtrack-SweepBest' });
    if (d.best_so_far.length) {
      best.appendChild(svg('path', { d: bestPath(d.best_so_far, W, H), class: 'nbtrack-SweepBest-line' }));
      const last = d.best_so_far[d.best_so_far.length - 1];
      best.appendChild(svgText(W - 12, 10, formatValue(last.best), 'end'));
    } else {
      best.appendChild(svgText(W / 2, H / 2, 'no finished trial yet'));
    }
    parts.push(best as unknown as HTMLElement);

    // Parallel coordinates
    parts.push(el('h4', '', 'Params vs metric'));
    const axes = axesOf(d.trials, s.metric);
    const pc = svg('svg', { viewBox: `0 0 ${W} ${H + 24}`, class: 'nbtrack-SweepParallel' });
    const step = axes.length > 1 ? (W - 24) / (axes.length - 1) : 0;
    axes.forEach((axis, i) => {
      const x = 12 + i * step;
      pc.appendChild(svg('line', { x1: x, y1: 12, x2: x, y2: H - 12, class: 'nbtrack-SweepParallel-axis' }));
      // The end axes' labels align inward so the box does not clip them.
      const anchor = i === 0 ? 'start' : i === axes.length - 1 ? 'end' : 'middle';
      const lx = anchor === 'start' ? 2 : anchor === 'end' ? W - 2 : x;
      pc.appendChild(svgText(lx, H + 8, axis.name, anchor));
      pc.appendChild(svgText(lx, H + 20, `${axis.low}–${axis.high}`, anchor));
    });
    for (const t of d.trials) {
      const line = svg('polyline', {
        points: polylinePoints(t, axes, W, H),
        class: `nbtrack-SweepParallel-trial ${trialClass(t.state)}`
      });
      line.dataset.trial = String(t.trial);
      const title = svg('title', {});
      title.textContent = `trial ${t.trial} (${t.state})`;
      line.appendChild(title);
      pc.appendChild(line);
    }
    parts.push(pc as unknown as HTMLElement);

    // Importances
    parts.push(el('h4', '', 'Parameter importances'));
    if (d.importances) {
      const bars = el('div', 'nbtrack-SweepImportances');
      for (const [name, share] of Object.entries(d.importances)) {
        const row = el('div', 'nbtrack-SweepImportance');
        row.appendChild(el('span', 'nbtrack-SweepImportance-name', name));
        const bar = el('span', 'nbtrack-SweepImportance-bar');
        bar.style.width = `${Math.round(share * 100)}%`;
        row.appendChild(bar);
        row.appendChild(el('span', 'nbtrack-SweepImportance-value', `${Math.round(share * 100)}%`));
        bars.appendChild(row);
      }
      parts.push(bars);
    } else {
      parts.push(el('div', 'nbtrack-SweepImportances-none', d.importances_reason ?? ''));
    }

    // Trials
    const params = Array.from(new Set(d.trials.flatMap(t => Object.keys(t.params)))).sort();
    const table = headedTable('nbtrack-SweepTrials', 'Trials', ['#', 'Run', 'State', ...params, s.metric ?? 'value']);
    const body = table.tBodies[0];
    for (const t of d.trials) {
      const tr = el('tr', `nbtrack-SweepTrials-row ${trialClass(t.state)}`);
      tr.appendChild(el('td', '', String(t.trial ?? '')));
      const runCell = el('td', '');
      const link = el('button', 'nbtrack-RunLink', t.run);
      link.type = 'button';
      link.dataset.run = t.run;
      link.title = `Show ${t.run} in the Runs view`;
      runCell.appendChild(link);
      tr.appendChild(runCell);
      tr.appendChild(el('td', '', t.state));
      for (const p of params) {
        tr.appendChild(el('td', '', p in t.params ? formatValue(t.params[p]) : ''));
      }
      tr.appendChild(el('td', '', t.value === null ? '' : formatValue(t.value)));
      body.appendChild(tr);
    }
    parts.push(table);
    this.detailNode.replaceChildren(...parts);
  }

  private _sweeps: ISweepSummary[] = [];
  private _selected: string | null = null;
  private _body: HTMLTableSectionElement;
}

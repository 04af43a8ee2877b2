/**
 * The media of the selected runs, under the run table, side by side: one
 * section per media name, one column per run (the first MAX_MEDIA_RUNS
 * selected; the summary says when more are selected). Images show in a grid
 * per run at one step, histograms as a heat strip over steps; for both, one
 * step slider drives every run's column. Figures, tables (first rows),
 * confusion matrices (heat maps) and texts show their last step. Read again
 * when the selection changes or a shown run's status changes. Every run name,
 * media name, caption and cell is set as text, never as HTML; image blobs come
 * through `ServerConnection` (with the token) and show as data: URLs.
 */
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { IRun } from './api';
import { el } from './dom';
import { IMediaItem, IMediaName, IMediaPage, IMediaSource, mediaSource } from './mediaApi';
import { HistogramStrip } from './mediaHistogram';
import { ImageGrid } from './mediaImages';
import { mediaRuns, stepsOf, summaryText, unionNames, unionSteps } from './mediaShape';
import { RunsModel } from './model';

/** Shade of a heat-map cell: 0..1 of the matrix's largest count. */
export function heat(value: number, max: number): number {
  return max > 0 ? Math.max(0, Math.min(1, value / max)) : 0;
}

/** Media items of one name read per run (the step slider's stops come from them). */
const ITEMS_PER_NAME = 1000;

/** A run's media names, as read for the summary. */
interface IRunMedia {
  run: IRun;
  page: IMediaPage;
}

export class MediaView extends Widget {
  constructor(model: RunsModel, source?: IMediaSource) {
    super();
    this.model = model;
    this.source = source ?? mediaSource(model.api);
    this.addClass('nbtrack-Media');
    this.node.setAttribute('aria-label', 'Media of the selected runs');
    model.selectionChanged.connect(this._sync, this);
    model.changed.connect(this._sync, this);
    this.hide();
  }

  readonly model: RunsModel;
  /** Where media are read from: the server extension's media endpoints. */
  readonly source: IMediaSource;

  /** False while the panel shows another view. */
  set active(value: boolean) {
    this._active = value;
    this._key = '';
    if (value) {
      void this._sync();
    } else {
      this.hide();
    }
  }

  dispose(): void {
    this._dropGrids();
    Signal.clearData(this);
    super.dispose();
  }

  private async _sync(): Promise<void> {
    const selected = this._active ? this.model.selectedRuns : [];
    const { shown } = mediaRuns(selected);
    const key = shown.length
      ? `${selected.length}|` + shown.map(run => `${run.id}|${run.status}|${run.end}`).join(',')
      : '';
    if (key === this._key) {
      return;
    }
    this._key = key;
    if (!shown.length) {
      this._dropGrids();
      this.hide();
      return;
    }
    const read: IRunMedia[] = await Promise.all(
      shown.map(async run => {
        try {
          // A page as long as a name's: when it holds all the run's media, the
          // sections take theirs from it instead of asking again.
          return { run, page: await this.source.runMedia(run.id, { limit: ITEMS_PER_NAME }) };
        } catch {
          return { run, page: { media: [], total: 0, offset: 0, limit: 1, names: [] } };
        }
      })
    );
    if (key !== this._key) {
      return;
    }
    this._dropGrids();
    this._known = new Map(
      read.filter(r => r.page.media.length >= r.page.total).map(r => [r.run.id, r.page.media])
    );
    const total = read.reduce((sum, r) => sum + r.page.total, 0);
    const body = el('details', 'nbtrack-Media-details');
    body.open = true;
    body.appendChild(el('summary', 'nbtrack-Media-summary', summaryText(total, shown.length, selected.length)));
    for (const name of unionNames(read.map(r => r.page.names))) {
      const runs = read.filter(r => r.page.names.some(n => n.name === name.name)).map(r => r.run);
      body.appendChild(this._section(shown, runs, name, key));
    }
    this.node.style.setProperty('--nbtrack-media-runs', String(shown.length));
    this.node.replaceChildren(body);
    this.setHidden(total === 0);
  }

  /** A name's section: a title, and a column per shown run (those without it say so). */
  private _section(shown: IRun[], having: IRun[], name: IMediaName, key: string): HTMLElement {
    const section = el('section', 'nbtrack-Media-item');
    section.dataset.kind = name.kind;
    section.dataset.name = name.name;
    const title = el('div', 'nbtrack-Media-title', name.name);
    title.appendChild(el('span', 'nbtrack-Media-kind', name.kind.replace('_', ' ')));
    section.appendChild(title);
    const head = el('div', 'nbtrack-Media-stepBar');
    const row = el('div', 'nbtrack-Media-runs');
    section.append(head, row);
    const columns = new Map<string, HTMLElement>();
    for (const run of shown) {
      const column = el('div', 'nbtrack-Media-run');
      column.dataset.run = run.id;
      if (shown.length > 1) {
        column.appendChild(el('div', 'nbtrack-Media-runName', run.name));
      }
      const content = el('div', 'nbtrack-Media-content');
      column.appendChild(content);
      if (!having.includes(run)) {
        content.appendChild(el('div', 'nbtrack-Media-note', 'not logged by this run'));
      }
      columns.set(run.id, content);
      row.appendChild(column);
    }
    const fail = (error: unknown) => {
      head.replaceChildren(el('div', 'nbtrack-Media-error', String(error)));
    };
    if (name.kind === 'image') {
      void this._images(having, name.name, head, columns, key).catch(fail);
    } else if (name.kind === 'histogram') {
      void this._histograms(having, name.name, head, columns, key).catch(fail);
    } else {
      for (const run of having) {
        const content = columns.get(run.id)!;
        void this._fill(run.id, name, content, key).catch(error => {
          content.replaceChildren(el('div', 'nbtrack-Media-error', String(error)));
        });
      }
    }
    return section;
  }

  /** The shared step slider: its stops are `steps`; starts at the last. */
  private _slider(steps: number[], head: HTMLElement, show: (step: number) => void): void {
    const label = el('label', 'nbtrack-Media-step');
    const slider = el('input', 'nbtrack-Media-slider');
    slider.type = 'range';
    slider.min = '0';
    slider.max = String(Math.max(0, steps.length - 1));
    slider.value = slider.max;
    slider.setAttribute('aria-label', 'Step');
    slider.disabled = steps.length < 2;
    const shown = el('span', 'nbtrack-Media-stepValue');
    label.append('step ', shown, slider);
    const update = () => {
      const step = steps[Number(slider.value)];
      shown.textContent = String(step);
      show(step);
    };
    slider.addEventListener('input', update);
    head.replaceChildren(label);
    update();
  }

  private async _images(
    runs: IRun[],
    name: string,
    head: HTMLElement,
    columns: Map<string, HTMLElement>,
    key: string
  ): Promise<void> {
    const items = await Promise.all(runs.map(run => this._items(run.id, name)));
    if (key !== this._key) {
      return;
    }
    const grids = new Map<string, ImageGrid>();
    const load = (hashes: readonly string[]) => this.source.imageUrls(hashes);
    this._slider(unionSteps(items.map(stepsOf)), head, step => {
      runs.forEach((run, i) => {
        grids.get(run.id)?.dispose();
        const here: IMediaItem[] = items[i].filter(item => item.step === step);
        const content = columns.get(run.id)!;
        if (!here.length) {
          grids.delete(run.id);
          content.replaceChildren(el('div', 'nbtrack-Media-note', `no images at step ${step}`));
          return;
        }
        const grid = new ImageGrid(here, load);
        grids.set(run.id, grid);
        content.replaceChildren(grid.node);
      });
    });
    this._grids.push(grids);
  }

  private async _histograms(
    runs: IRun[],
    name: string,
    head: HTMLElement,
    columns: Map<string, HTMLElement>,
    key: string
  ): Promise<void> {
    const data = await Promise.all(runs.map(run => this.source.runHistograms(run.id, name)));
    if (key !== this._key) {
      return;
    }
    const strips = runs.map((run, i) => {
      const strip = new HistogramStrip(data[i]);
      columns.get(run.id)!.replaceChildren(strip.node);
      return strip;
    });
    this._slider(
      unionSteps(data.map(d => d.steps.map(s => s.step))),
      head,
      step => strips.forEach(strip => strip.show(step))
    );
  }

  /** One run's last figure, table, confusion matrix or text of a name. */
  private async _fill(ref: string, name: IMediaName, content: HTMLElement, key: string): Promise<void> {
    if (name.kind === 'table') {
      return this._table(ref, name.name, content);
    }
    const media = await this._items(ref, name.name);
    if (key !== this._key) {
      return;
    }
    const last = media[media.length - 1];
    if (!last) {
      return;
    }
    if (name.kind === 'confusion_matrix') {
      content.appendChild(this._heatmap(last));
    } else if (name.kind === 'figure' && last.mime === 'image/png') {
      content.appendChild(await this._img(last.hash, name.name));
    } else if (name.kind === 'text') {
      content.appendChild(el('pre', 'nbtrack-Media-text', last.meta.preview ?? ''));
    } else {
      content.textContent = `${last.mime}, ${last.size} bytes`;
    }
  }

  private async _img(hash: string, alt: string): Promise<HTMLImageElement> {
    const url = await this.source.blobUrl(hash);
    const img = el('img', 'nbtrack-Media-image');
    img.alt = alt;
    img.src = url;
    return img;
  }

  private async _table(ref: string, name: string, content: HTMLElement): Promise<void> {
    const page = await this.source.runTable(ref, name);
    const table = el('table', 'nbtrack-Media-table');
    const head = el('tr');
    page.columns.forEach(c => head.appendChild(el('th', undefined, c.name)));
    table.appendChild(head);
    for (const row of page.rows) {
      const tr = el('tr');
      row.forEach(v => tr.appendChild(el('td', undefined, v === null ? 'NaN' : String(v))));
      table.appendChild(tr);
    }
    const note = el('div', 'nbtrack-Media-note', `${page.rows.length} of ${page.total} rows`);
    content.append(table, note);
  }

  private _heatmap(item: IMediaItem): HTMLElement {
    const labels = item.meta.labels ?? [];
    const matrix = item.meta.matrix ?? [];
    const max = Math.max(0, ...matrix.flat());
    const table = el('table', 'nbtrack-Media-heatmap');
    table.setAttribute('aria-label', `Confusion matrix ${item.name}: rows true, columns predicted`);
    const head = el('tr');
    head.appendChild(el('th', undefined, 'true \\ predicted'));
    labels.forEach(l => head.appendChild(el('th', undefined, l)));
    table.appendChild(head);
    matrix.forEach((row, i) => {
      const tr = el('tr');
      tr.appendChild(el('th', undefined, labels[i] ?? ''));
      row.forEach(value => {
        const td = el('td', 'nbtrack-Media-cell', String(value));
        const h = heat(value, max);
        td.style.setProperty('--nbtrack-heat', `${Math.round(h * 100)}%`);
        td.classList.toggle('nbtrack-mod-hot', h > 0.5);
        tr.appendChild(td);
      });
      table.appendChild(tr);
    });
    return table;
  }

  /** A run's items of one name: from the first read when it held them all, else asked. */
  private async _items(ref: string, name: string): Promise<IMediaItem[]> {
    const known = this._known.get(ref);
    if (known) {
      return known.filter(item => item.name === name);
    }
    return (await this.source.runMedia(ref, { name, limit: ITEMS_PER_NAME })).media;
  }

  /** Stop the image grids of the view being replaced from reading images. */
  private _dropGrids(): void {
    for (const grids of this._grids) {
      grids.forEach(grid => grid.dispose());
    }
    this._grids = [];
  }

  private _key = '';
  private _active = true;
  private _grids: Map<string, ImageGrid>[] = [];
  private _known = new Map<string, IMediaItem[]>();
}

/**
 * The selected run's media, under the run table: images in a grid with a step
 * slider, figures, tables (first rows), confusion matrices as heat maps,
 * histograms and texts in brief. Shown for one selected run that logged media;
 * read again when another run is selected or its status changes. Every name,
 * caption and cell is set as text, never as HTML; image blobs come through
 * `ServerConnection` (with the token) and show as data: URLs.
 */
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { NbtrackApi } from './api';
import {
  blobUrl,
  IMediaItem,
  IMediaName,
  IMediaPage,
  runMedia,
  runTable
} from './mediaApi';
import { RunsModel } from './model';

/** Shade of a heat-map cell: 0..1 of the matrix's largest count. */
export function heat(value: number, max: number): number {
  return max > 0 ? Math.max(0, Math.min(1, value / max)) : 0;
}

/** The distinct steps of a name's items, ascending. */
export function stepsOf(items: IMediaItem[]): number[] {
  return [...new Set(items.map(i => i.step))].sort((a, b) => a - b);
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export class MediaView extends Widget {
  constructor(model: RunsModel) {
    super();
    this.model = model;
    this.addClass('nbtrack-Media');
    this.node.setAttribute('aria-label', 'Media of the selected run');
    model.selectionChanged.connect(this._sync, this);
    model.changed.connect(this._sync, this);
    this.hide();
  }

  readonly model: RunsModel;

  get api(): NbtrackApi {
    return this.model.api;
  }

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
    Signal.clearData(this);
    super.dispose();
  }

  private async _sync(): Promise<void> {
    const selected = this.model.selectedRuns;
    const run = this._active && selected.length === 1 ? selected[0] : null;
    const key = run ? `${run.id}|${run.status}|${run.end}` : '';
    if (key === this._key) {
      return;
    }
    this._key = key;
    if (!run) {
      this.hide();
      return;
    }
    let page: IMediaPage;
    try {
      page = await runMedia(this.api, run.id, { limit: 1 });
    } catch {
      page = { media: [], total: 0, offset: 0, limit: 1, names: [] };
    }
    if (key !== this._key) {
      return;
    }
    const body = el('details', 'nbtrack-Media-details');
    body.open = true;
    body.appendChild(el('summary', 'nbtrack-Media-summary', `Media (${page.total})`));
    for (const name of page.names) {
      body.appendChild(this._section(run.id, name, key));
    }
    this.node.replaceChildren(body);
    this.setHidden(page.total === 0);
  }

  private _section(ref: string, name: IMediaName, key: string): HTMLElement {
    const section = el('section', 'nbtrack-Media-item');
    section.dataset.kind = name.kind;
    section.dataset.name = name.name;
    const title = el('div', 'nbtrack-Media-title', name.name);
    title.appendChild(el('span', 'nbtrack-Media-kind', name.kind.replace('_', ' ')));
    section.appendChild(title);
    const content = el('div', 'nbtrack-Media-content');
    section.appendChild(content);
    void this._fill(ref, name, content, key).catch(error => {
      content.replaceChildren(el('div', 'nbtrack-Media-error', String(error)));
    });
    return section;
  }

  private async _fill(
    ref: string,
    name: IMediaName,
    content: HTMLElement,
    key: string
  ): Promise<void> {
    if (name.kind === 'table') {
      return this._table(ref, name.name, content);
    }
    const page = await runMedia(this.api, ref, { name: name.name, limit: 1000 });
    if (key !== this._key) {
      return;
    }
    const items = page.media;
    if (name.kind === 'image') {
      return this._images(items, content, key);
    }
    const last = items[items.length - 1];
    if (!last) {
      return;
    }
    if (name.kind === 'confusion_matrix') {
      content.appendChild(this._heatmap(last));
    } else if (name.kind === 'figure' && last.mime === 'image/png') {
      content.appendChild(await this._img(last.hash, name.name));
    } else if (name.kind === 'histogram') {
      const m = last.meta;
      content.textContent = `step ${last.step}: ${m.count ?? 0} values, min ${m.min} max ${m.max} mean ${m.mean}`;
    } else if (name.kind === 'text') {
      content.appendChild(el('pre', 'nbtrack-Media-text', last.meta.preview ?? ''));
    } else {
      content.textContent = `${last.mime}, ${last.size} bytes`;
    }
  }

  private async _images(items: IMediaItem[], content: HTMLElement, key: string): Promise<void> {
    const steps = stepsOf(items);
    const grid = el('div', 'nbtrack-Media-grid');
    const label = el('label', 'nbtrack-Media-step');
    const slider = el('input', 'nbtrack-Media-slider');
    slider.type = 'range';
    slider.min = '0';
    slider.max = String(steps.length - 1);
    slider.value = String(steps.length - 1);
    slider.setAttribute('aria-label', 'Step');
    const shown = el('span', 'nbtrack-Media-stepValue');
    label.append('step ', shown, slider);
    slider.disabled = steps.length < 2;
    const show = async (): Promise<void> => {
      const step = steps[Number(slider.value)];
      shown.textContent = String(step);
      const figures = await Promise.all(
        items
          .filter(i => i.step === step)
          .map(async item => {
            const figure = el('figure', 'nbtrack-Media-figure');
            figure.appendChild(await this._img(item.meta.display ?? item.hash, item.name));
            if (item.caption) {
              figure.appendChild(el('figcaption', undefined, item.caption));
            }
            return figure;
          })
      );
      if (key === this._key && steps[Number(slider.value)] === step) {
        grid.replaceChildren(...figures);
      }
    };
    slider.addEventListener('input', () => void show());
    content.append(label, grid);
    await show();
  }

  private async _img(hash: string, alt: string): Promise<HTMLImageElement> {
    const url = await blobUrl(this.api, hash);
    const img = el('img', 'nbtrack-Media-image');
    img.alt = alt;
    img.src = url;
    return img;
  }

  private async _table(ref: string, name: string, content: HTMLElement): Promise<void> {
    const page = await runTable(this.api, ref, name);
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

  private _key = '';
  private _active = true;
}

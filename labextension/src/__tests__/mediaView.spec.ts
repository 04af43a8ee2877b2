/**
 * @jest-environment jsdom
 */
import './domShim'; // before Lumino

import { IRun, NbtrackApi } from '../api';
import { IHistogramStep, IMediaItem, IMediaSource } from '../mediaApi';
import {
  histogramGrid,
  MAX_MEDIA_RUNS,
  mediaRuns,
  stepsOf,
  summaryText,
  thumbSize,
  unionNames,
  unionSteps
} from '../mediaShape';
import { heat, MediaView } from '../mediaView';
import { RunsModel } from '../model';

describe('media view helpers', () => {
  it('shades heat-map cells by their share of the largest count', () => {
    expect(heat(5, 10)).toBe(0.5);
    expect(heat(0, 0)).toBe(0);
    expect(heat(12, 10)).toBe(1);
  });

  it('lists the distinct steps of a name in order, and of several runs together', () => {
    const item = (step: number) => ({ step });
    expect(stepsOf([item(3), item(0), item(3), item(1)])).toEqual([0, 1, 3]);
    expect(unionSteps([[0, 2, 4], [1, 2], []])).toEqual([0, 1, 2, 4]);
  });

  it('compares the first selected runs and says how many are left out', () => {
    const six = ['a', 'b', 'c', 'd', 'e', 'f'];
    expect(mediaRuns(six)).toEqual({ shown: six.slice(0, MAX_MEDIA_RUNS), left: 6 - MAX_MEDIA_RUNS });
    expect(mediaRuns(['a'])).toEqual({ shown: ['a'], left: 0 });
    expect(summaryText(11, 1, 1)).toBe('Media (11)');
    expect(summaryText(19, 2, 2)).toBe('Media of 2 runs (19)');
    expect(summaryText(30, 4, 6)).toBe('Media of the first 4 of 6 selected runs (30)');
  });

  it('merges the names of several runs, counting each name once', () => {
    const names = unionNames([
      [
        { name: 'samples', kind: 'image', count: 6, last_step: 2 },
        { name: 'cm', kind: 'confusion_matrix', count: 1, last_step: 0 }
      ],
      [{ name: 'samples', kind: 'image', count: 4, last_step: 5 }]
    ]);
    expect(names).toEqual([
      { name: 'cm', kind: 'confusion_matrix', count: 1, last_step: 0 },
      { name: 'samples', kind: 'image', count: 10, last_step: 5 }
    ]);
  });

  it('fits an image in a thumbnail box, keeping its shape', () => {
    const item = (width: number, height: number) => ({ meta: { width, height } }) as IMediaItem;
    expect(thumbSize(item(48, 48))).toEqual({ width: 48, height: 48 });
    expect(thumbSize(item(512, 256))).toEqual({ width: 128, height: 64 });
    expect(thumbSize(item(20000, 10))).toEqual({ width: 128, height: 1 });
  });
});

describe('histogram over steps', () => {
  const step = (s: number, edges: number[], counts: number[]): IHistogramStep => ({
    step: s,
    edges,
    counts,
    count: counts.reduce((a, b) => a + b, 0),
    nonfinite: 0,
    min: edges[0],
    max: edges[edges.length - 1],
    mean: null
  });

  it('puts steps logged with different bins on one value grid', () => {
    const grid = histogramGrid(
      [step(0, [0, 1, 2], [10, 0]), step(5, [2, 3, 4], [0, 4]), step(9, [0, 4], [8])],
      4
    );
    expect(grid.lo).toBe(0);
    expect(grid.hi).toBe(4);
    expect(grid.steps).toEqual([0, 5, 9]);
    // Step 0's values all in [0, 1); step 5's in [3, 4): the mass moved right.
    expect(grid.rows[0]).toEqual([1, 0, 0, 0]);
    expect(grid.rows[1]).toEqual([0, 0, 0, 1]);
    // One wide bin spreads evenly over the columns it covers.
    expect(grid.rows[2]).toEqual([1, 1, 1, 1]);
  });

  it('splits a logged bin between the columns it overlaps, in proportion', () => {
    const grid = histogramGrid([step(0, [0, 1.5, 3], [3, 0])], 3);
    expect(grid.rows[0]).toEqual([1, 0.5, 0]);
  });

  it('gives a constant value a range, and no values an empty row', () => {
    const constant = histogramGrid([step(0, [2, 2], [5])], 4);
    expect(constant.lo).toBeLessThan(2);
    expect(constant.hi).toBeGreaterThan(2);
    expect(constant.rows[0].filter(v => v > 0)).toHaveLength(1);
    const empty = histogramGrid([step(0, [], [])], 4);
    expect(empty.rows[0]).toEqual([0, 0, 0, 0]);
  });
});

function run(id: string, name: string): IRun {
  return {
    id,
    ref: `nb#${id}`,
    name,
    status: 'finished',
    experiment: 'nb.ipynb',
    notebook: 'nb.ipynb',
    start: 1,
    end: 2,
    duration: 1,
    tags: [],
    notes: '',
    params: {},
    metrics: {},
    snapshot: null,
    sweep: null,
    trial: null
  } as IRun;
}

function image(step: number, index: number, caption: string): IMediaItem {
  return {
    name: 'samples',
    kind: 'image',
    step,
    index,
    caption,
    hash: `${caption}`.padEnd(64, '0'),
    mime: 'image/png',
    size: 10,
    time: 0,
    meta: { width: 8, height: 8 }
  };
}

/** The network edge, answered from memory (jsdom has no fetch): two runs; r1
 * logged images at steps 0 and 1, r2 at steps 1 and 2. */
function serve(): { api: NbtrackApi; source: IMediaSource; blobs: string[] } {
  const runs = [run('r1', '<b>first</b>'), run('r2', 'second')];
  const media: { [id: string]: IMediaItem[] } = {
    r1: [image(0, 0, 'a0'), image(1, 0, 'a1')],
    r2: [image(1, 0, 'b1'), image(2, 0, 'b2')]
  };
  const blobs: string[] = [];
  const api = {
    listRuns: async () => ({ runs, total: runs.length, params: [], metrics: [], cursor: 't1.1' })
  } as unknown as NbtrackApi;
  const source: IMediaSource = {
    runMedia: async (ref: string, query = {}) => ({
      media: media[ref].slice(0, query.limit ?? 100),
      total: media[ref].length,
      offset: 0,
      limit: query.limit ?? 100,
      names: [{ name: 'samples', kind: 'image', count: media[ref].length, last_step: media[ref][1].step }]
    }),
    runTable: async () => {
      throw new Error('no tables here');
    },
    runHistograms: async () => {
      throw new Error('no histograms here');
    },
    blobUrl: async (hash: string) => (blobs.push(hash), 'data:image/png;base64,'),
    imageUrls: async (hashes: readonly string[]) => {
      blobs.push(...hashes);
      return new Map(hashes.map(h => [h, `data:image/png;base64,${h}`]));
    }
  };
  return { api, source, blobs };
}

async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !ready(); i++) {
    await new Promise(r => setTimeout(r, 1));
  }
  expect(ready()).toBe(true);
}

describe('MediaView', () => {
  it('shows two selected runs side by side at one step, from one slider', async () => {
    const { api, source, blobs } = serve();
    const model = new RunsModel(api);
    await model.refresh();
    const view = new MediaView(model, source);
    model.setSelection(['r1', 'r2']);
    const node = view.node;
    const captions = () =>
      Array.from(node.querySelectorAll('.nbtrack-Media-run')).map(col =>
        Array.from(col.querySelectorAll('figcaption, .nbtrack-Media-note')).map(n => n.textContent)
      );
    await until(() => node.querySelectorAll('figcaption').length > 0);
    expect(node.querySelector('.nbtrack-Media-summary')?.textContent).toBe('Media of 2 runs (4)');
    // Run names are text, in selection order, one column each.
    const names = Array.from(node.querySelectorAll('.nbtrack-Media-runName'));
    expect(names.map(n => n.textContent)).toEqual(['<b>first</b>', 'second']);
    expect(node.querySelector('b')).toBeNull();
    // The slider's stops are every step either run logged; it starts at the last.
    const slider = node.querySelector('.nbtrack-Media-slider') as HTMLInputElement;
    expect(node.querySelectorAll('.nbtrack-Media-slider')).toHaveLength(1);
    expect(slider.max).toBe('2');
    expect(node.querySelector('.nbtrack-Media-stepValue')?.textContent).toBe('2');
    expect(captions()).toEqual([['no images at step 2'], ['b2']]);
    slider.value = '1';
    slider.dispatchEvent(new Event('input'));
    expect(node.querySelector('.nbtrack-Media-stepValue')?.textContent).toBe('1');
    expect(captions()).toEqual([['a1'], ['b1']]);
    slider.value = '0';
    slider.dispatchEvent(new Event('input'));
    expect(captions()).toEqual([['a0'], ['no images at step 0']]);
    // The step's images are read together by hash (no IntersectionObserver here: all at once).
    await until(() => blobs.includes('a0'.padEnd(64, '0')));
    const img = node.querySelector('.nbtrack-Media-run img') as HTMLImageElement;
    await until(() => img.src.startsWith('data:'));
    expect(img.src).toBe(`data:image/png;base64,${'a0'.padEnd(64, '0')}`);
    view.dispose();
    model.dispose();
  });
});

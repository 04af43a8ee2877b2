/**
 * The Media view over several runs, against the real server extension and a
 * store filled by real runs (media_seed.py: `nbtrack.start_run`, the real
 * media path): two selected runs side by side, their images at one step from
 * one slider, a histogram over 30 steps as a heat strip per run; and a run
 * with 1,000 images at one step, whose grid's time to show is recorded in
 * artifacts/speed.json (target: <= 1 s; recorded, never asserted).
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

import { expect, test } from '@jupyterlab/galata';

import { openRunsPanel, recordFigure, runRow, screenshot } from './helpers';

// Galata's user mock routes every URL matching /api/me, which takes in
// nbtrack/api/media/<hash> too: the real /api/me answers here.
test.use({ autoGoto: true, mockUser: false });

const SEED = path.resolve(__dirname, '..', 'media_seed.py');
const PYTHON = process.env.NBTRACK_PYTHON || 'python';

function seed(...args: string[]): { [key: string]: unknown } {
  const out = execFileSync(PYTHON, [SEED, ...args], { encoding: 'utf8', timeout: 240000 });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

test('two selected runs: images side by side at one step, a histogram over steps each', async ({ page }) => {
  test.setTimeout(240000);
  const tag = Math.random().toString(36).slice(2, 8);
  seed('compare', tag);
  const panel = await openRunsPanel(page);
  await page.evaluate(() => (window as any).jupyterapp.shell._hsplitPanel?.setRelativeSizes([0.4, 0.6, 0]));
  const a = runRow(page, `media-${tag}-a`);
  const b = runRow(page, `media-${tag}-b`);
  await expect(a).toBeVisible({ timeout: 60000 });
  await a.locator('.nbtrack-RunTable-checkbox').click();
  await b.locator('.nbtrack-RunTable-checkbox').click();
  await expect(b).toHaveClass(/nbtrack-mod-selected/);

  const media = panel.locator('.nbtrack-Media');
  await expect(media.locator('.nbtrack-Media-summary')).toHaveText('Media of 2 runs (75)');
  const samples = media.locator('.nbtrack-Media-item[data-name="samples"]');
  const columns = samples.locator('.nbtrack-Media-run');
  await expect(columns.locator('.nbtrack-Media-runName')).toHaveText([`media-${tag}-a`, `media-${tag}-b`]);
  await expect(samples.locator('.nbtrack-Media-stepValue')).toHaveText('2');
  await expect(columns.nth(0).locator('figcaption')).toHaveText(['a2-0', 'a2-1', 'a2-2']);
  await expect(columns.nth(1).locator('figcaption')).toHaveText(['b2-0', 'b2-1']);
  const loaded = () =>
    samples
      .locator('img.nbtrack-Media-image')
      .evaluateAll(imgs => imgs.length === 5 && imgs.every(i => (i as HTMLImageElement).naturalWidth === 48));
  await expect.poll(loaded).toBe(true);
  // Both runs' images differ (they were logged from different seeds).
  const sources = await samples.locator('img.nbtrack-Media-image').evaluateAll(imgs =>
    imgs.map(i => (i as HTMLImageElement).src)
  );
  expect(new Set(sources).size).toBe(5);

  // One slider moves both columns.
  await samples.locator('.nbtrack-Media-slider').fill('1');
  await expect(samples.locator('.nbtrack-Media-stepValue')).toHaveText('1');
  await expect(columns.nth(0).locator('figcaption')).toHaveText(['a1-0', 'a1-1', 'a1-2']);
  await expect(columns.nth(1).locator('figcaption')).toHaveText(['b1-0', 'b1-1']);
  await expect.poll(loaded).toBe(true);
  await samples.scrollIntoViewIfNeeded();
  await screenshot(samples, 'panel-media-compare.png');

  // The histogram over steps: a strip per run, the last step described, the slider moving both.
  const weights = media.locator('.nbtrack-Media-item[data-name="weights"]');
  await weights.scrollIntoViewIfNeeded();
  await expect(weights.locator('canvas.nbtrack-Media-histStrip')).toHaveCount(2);
  await expect(weights.locator('.nbtrack-Media-stepValue')).toHaveText('29');
  const texts = weights.locator('.nbtrack-Media-histText');
  await expect(texts.nth(0)).toContainText('step 29: 500 values');
  await expect(texts.nth(1)).toContainText('step 29: 500 values');
  await expect(weights.locator('.nbtrack-Media-run').nth(0).locator('.nbtrack-Media-histBar')).toHaveCount(48);
  // The strip is drawn: its canvas holds coloured pixels.
  const painted = await weights
    .locator('canvas.nbtrack-Media-histStrip')
    .first()
    .evaluate(c => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) {
        n += data[i] > 0 ? 1 : 0;
      }
      return n;
    });
  expect(painted).toBeGreaterThan(100);
  await weights.locator('.nbtrack-Media-slider').fill('0');
  await expect(texts.nth(0)).toContainText('step 0: 500 values');
  await expect(texts.nth(1)).toContainText('step 0: 500 values');
  await weights.scrollIntoViewIfNeeded();
  await screenshot(weights, 'panel-media-histogram.png');
});

test('a run with 1,000 images at one step: the grid shows (time recorded)', async ({ page }) => {
  test.setTimeout(240000);
  const tag = Math.random().toString(36).slice(2, 8);
  seed('grid', tag, '1000');
  const panel = await openRunsPanel(page);
  const row = runRow(page, `grid-${tag}`);
  await expect(row).toBeVisible({ timeout: 60000 });
  // Selected -> the grid laid out (1,000 figures) and every image in view shown, plus a frame.
  const ms = await row.locator('.nbtrack-kind-name').evaluate(
    (name: HTMLElement) =>
      new Promise<number>(resolve => {
        const t0 = performance.now();
        name.click();
        const check = () => {
          const box = document.querySelector('.nbtrack-Media')?.getBoundingClientRect();
          const imgs = Array.from(
            document.querySelectorAll('.nbtrack-Media-item[data-name="grid"] img.nbtrack-Media-image')
          ) as HTMLImageElement[];
          const inView = box
            ? imgs.filter(i => {
                const r = i.getBoundingClientRect();
                return r.bottom > box.top && r.top < box.bottom;
              })
            : [];
          if (imgs.length === 1000 && inView.length > 0 && inView.every(i => i.complete && i.naturalWidth === 32)) {
            requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0));
          } else {
            requestAnimationFrame(check);
          }
        };
        check();
      })
  );
  const grid = panel.locator('.nbtrack-Media-item[data-name="grid"]');
  const read = () => grid.locator('img.nbtrack-Media-image[src^="data:"]').count();
  const readAtOpen = await read();
  recordFigure('media_grid_1000_open_ms', Math.round(ms));
  recordFigure('media_grid_1000_images_read_at_open', readAtOpen);
  console.log(`1,000-image grid: shown in ${Math.round(ms)} ms (target <= 1000 ms); ${readAtOpen} images read`);
  // Only the images near the view were read; the last one is read when scrolled to.
  expect(readAtOpen).toBeLessThan(1000);
  const last = grid.locator('img.nbtrack-Media-image').last();
  await last.scrollIntoViewIfNeeded();
  await expect.poll(() => last.evaluate(i => (i as HTMLImageElement).naturalWidth)).toBe(32);
  await expect(grid.locator('figcaption').last()).toHaveText('g999');
  await panel.locator('.nbtrack-Media').evaluate(node => node.scrollTo(0, 0));
  await screenshot(panel.locator('.nbtrack-Media'), 'panel-media-grid-1000.png');
});

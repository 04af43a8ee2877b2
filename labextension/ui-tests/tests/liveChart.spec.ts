/**
 * The live chart under a %%track cell and nbtrack.compare(...), drawn by
 * ipywidgets + bqplot in a real JupyterLab: the run's name and status, one
 * bqplot figure per metric (each on its own scale) whose lines grow while the
 * cell runs, then a picture of the final state in its place (it shows even
 * when the notebook is reopened without a kernel); a comparison's table (differing
 * params highlighted) and chart; an HTML-looking run name stays text.
 * Screenshots go to artifacts/: live-chart.png (mid-run, the one
 * docs/images/live-chart.png is copied from), live-chart-finished.png, compare.png.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import { GATE_PY, openGate, openNotebook, screenshot } from './helpers';

test.use({ autoGoto: true });

// Two metrics, five orders of magnitude apart. The cell stops at two gates the
// test opens, so it is still running while the test looks at the live chart.
const LIVE_CELL = `%%track --name live-chart
import math, time
lr = 0.05
for step in range(400):
    if step in (100, 300):
        gate(f'live-chart-{step}')
    nbtrack.log(loss=math.exp(-step / 80), tokens=1000.0 * step, step=step)
    time.sleep(0.01)`;

function cell(page: IJupyterLabPageFixture, index: number): Locator {
  return page.locator('.jp-Notebook .jp-Cell').nth(index);
}

/** The widget view in a cell's output (the VBox the kernel displayed). */
function widgetRoot(page: IJupyterLabPageFixture, index: number): Locator {
  return cell(page, index).locator('.jp-OutputArea-output > .widget-vbox');
}

/** The bqplot figure titled `title` inside `scope`. */
function figure(scope: Locator, title: string): Locator {
  return scope.locator('.bqplot.figure').filter({
    has: scope.page().locator('text.mainheading', { hasText: new RegExp(`^${title}$`) })
  });
}

/** Points drawn by each of a figure's lines (bqplot draws a line as one SVG path,
 * `M x,y L x,y ...`; the legend's little sample lines are left out). */
async function linePoints(fig: Locator): Promise<number[]> {
  const paths = await fig.locator('path.line').evaluateAll(lines =>
    lines.filter(p => !p.closest('g[class^="legend"]')).map(p => p.getAttribute('d') ?? '')
  );
  return paths.map(pathPoints);
}

/** Points in one SVG path's `d`. */
function pathPoints(d: string): number {
  return d.split(/[ML]/).filter(s => s.trim() !== '').length;
}

/** The largest value on a figure's vertical axis, as its tick labels read. */
async function yAxisTop(fig: Locator): Promise<number> {
  const labels = await fig.locator('g.axis[text-anchor="end"] g.tick text').allTextContents();
  return Math.max(...labels.map(Number));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function countDialogs(page: IJupyterLabPageFixture): () => number {
  let dialogs = 0;
  page.on('dialog', dialog => {
    dialogs++;
    void dialog.dismiss();
  });
  return () => dialogs;
}

test('the live chart under a %%track cell draws and grows while it runs, then shows the final state', async ({
  page,
  tmpPath
}) => {
  await openNotebook(page, tmpPath, 'live.ipynb', [`%load_ext nbtrack\n${GATE_PY}`, LIVE_CELL]);
  await page.notebook.runCell(0);
  await page.notebook.runCell(1, { wait: false });

  const root = widgetRoot(page, 1);
  const [header, final] = [root.locator(':scope > .widget-label').first(), root.locator(':scope > .widget-label').last()];
  const loss = figure(root, 'loss');
  const tokens = figure(root, 'tokens');

  await test.step('while the cell runs: name, "running", a drawn line that grows', async () => {
    await expect(header).toHaveText(/^live-chart · running/);
    await expect(loss).toBeVisible();
    await expect(loss.locator('path.line')).toHaveCount(1);
    await expect.poll(async () => (await linePoints(loss))[0]).toBeGreaterThan(1);
    // The cell waits at step 100 (at most 100 points drawn) until this gate opens,
    // so a line of more than 100 points was drawn after the gate: it grows live.
    expect(pathPoints((await loss.locator('path.line').getAttribute('d')) ?? '')).toBeLessThanOrEqual(100);
    await openGate(page, tmpPath, 'live-chart-100');
    await expect.poll(async () => (await linePoints(loss))[0]).toBeGreaterThan(100);
    await expect(header).toHaveText(/^live-chart · running/);
    // Mid-run, for the README: the curves well under way, the cell still running
    // (it waits at step 300).
    await expect.poll(async () => (await linePoints(loss))[0]).toBeGreaterThanOrEqual(150);
    await expect(header).toHaveText(/^live-chart · running/);
    await screenshot(cell(page, 1), 'live-chart.png');
  });

  await test.step('two metrics of very different scale: two figures, each on its own scale', async () => {
    await expect(root.locator('.bqplot.figure')).toHaveCount(2);
    await expect(tokens).toBeVisible();
    await expect(tokens.locator('path.line')).toHaveCount(1);
    const [lossTop, tokensTop] = [await yAxisTop(loss), await yAxisTop(tokens)];
    expect(lossTop).toBeLessThan(2);
    expect(tokensTop).toBeGreaterThan(1000);
  });

  await test.step('after the cell: a picture of the final state replaces the widget', async () => {
    await openGate(page, tmpPath, 'live-chart-300');
    // The picture, unlike a widget view, still shows when the notebook is reopened
    // without its kernel or saved widget state.
    const picture = cell(page, 1).locator('.jp-RenderedSVG img');
    await expect(picture).toBeVisible({ timeout: 30000 });
    await expect(root).toHaveCount(0);
    const svg = await svgSource(picture);
    expect(svg).toMatch(/>live-chart · finished · \d+\.\ds</);
    expect(svg).toContain('loss=0.006823 (min 0.006823, max 1) · tokens=3.99e+05 (min 0, max 3.99e+05)');
    expect(svg.match(/class="nbtrack-series"/g)).toHaveLength(2);
    await expect(cell(page, 1).locator('.jp-OutputArea-output.jp-RenderedText')).toContainText(/nbtrack: live-chart finished in/);
    await screenshot(cell(page, 1), 'live-chart-finished.png');
  });
});

/** The SVG document a rendered image/svg+xml output shows (JupyterLab draws it
 * as an <img> with a data: URL). */
async function svgSource(img: Locator): Promise<string> {
  const src = (await img.getAttribute('src')) ?? '';
  expect(src.startsWith('data:image/svg+xml,')).toBe(true);
  return decodeURIComponent(src.slice('data:image/svg+xml,'.length));
}

const runCell = (name: string, lr: number) => `%%track --name ${name}
lr = ${lr}
epochs = 30
for epoch in range(epochs):
    nbtrack.log(loss=1 / (1 + lr * 10 * epoch), step=epoch)`;

test('nbtrack.compare shows a table with the differing param highlighted and the runs\' curves', async ({
  page,
  tmpPath
}) => {
  await openNotebook(page, tmpPath, 'compare.ipynb', [
    '%load_ext nbtrack',
    runCell('lr-low', 0.1),
    runCell('lr-high', 0.3),
    'nbtrack.compare(["lr-low", "lr-high"])'
  ]);
  for (let i = 0; i < 4; i++) {
    await page.notebook.runCell(i);
  }
  const root = widgetRoot(page, 3);
  await expect(root.locator(':scope > .widget-label').first()).toHaveText('2 runs');
  const table = root.locator('table.nbtrack-compare');
  await expect(table).toBeVisible();
  const column = async (name: string) => {
    const headers = await table.locator('th').allTextContents();
    const i = headers.indexOf(name);
    expect(i, `column ${name} in ${headers.join(', ')}`).toBeGreaterThanOrEqual(0);
    return table.locator(`tbody tr td:nth-child(${i + 1})`);
  };
  await expect(table.locator('tbody tr td:first-child')).toHaveText(['lr-low', 'lr-high']);
  const lr = await column('lr');
  const epochs = await column('epochs');
  await expect(lr).toHaveText(['0.1', '0.3']);
  await expect(epochs).toHaveText(['30', '30']);
  const highlight = 'rgba(255, 200, 0, 0.28)';
  for (const td of await lr.all()) {
    await expect(td).toHaveCSS('background-color', highlight);
  }
  for (const td of await epochs.all()) {
    await expect(td).not.toHaveCSS('background-color', highlight);
  }
  await expect(table.locator('th', { hasText: /^lr$/ })).toHaveCSS('background-color', highlight);
  // Each value stands apart from the next: the longest name does not run into its status.
  const gap = await table.locator('tbody tr').nth(1).evaluate(row => {
    const textBox = (td: Element) => {
      const range = document.createRange();
      range.selectNodeContents(td);
      return range.getBoundingClientRect();
    };
    return textBox(row.children[1]).left - textBox(row.children[0]).right;
  });
  expect(gap).toBeGreaterThanOrEqual(8);

  const chart = figure(root, 'loss');
  await expect(chart).toBeVisible();
  await expect.poll(() => linePoints(chart)).toEqual([30, 30]);
  await expect(root.locator('.bqplot.figure')).toHaveCount(2); // the curves and parallel coordinates
  await screenshot(cell(page, 3), 'compare.png');
});

test('a run name that looks like HTML shows as text in the live chart and the comparison', async ({
  page,
  tmpPath
}) => {
  // Not the Runs panel test's name: all tests share one store.
  const evil = '<img src=x onerror=alert(1)> live';
  const dialogs = countDialogs(page);
  await openNotebook(page, tmpPath, 'evil.ipynb', [
    '%load_ext nbtrack',
    `%%track --name "${evil}"\nfor i in range(5):\n    nbtrack.log(loss=1.0 / (i + 1))`,
    `nbtrack.compare(["${evil}"])`
  ]);
  await page.notebook.runCell(0);
  await page.notebook.runCell(1);
  await page.notebook.runCell(2);

  // The finished run's picture holds the name as SVG text, escaped.
  const picture = cell(page, 1).locator('.jp-RenderedSVG img');
  await expect(picture).toBeVisible();
  expect(await svgSource(picture)).toContain('&lt;img src=x onerror=alert(1)&gt; live · finished');
  await expect(cell(page, 1).locator('.jp-OutputArea-output.jp-RenderedText')).toContainText(`nbtrack: ${evil} finished in`);
  const compared = widgetRoot(page, 2);
  await expect(compared.locator('table.nbtrack-compare tbody td').first()).toHaveText(evil);
  // The only image in the notebook is that picture: no element was made from the name.
  await expect(page.locator('.jp-Notebook img')).toHaveCount(1);
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  expect(dialogs()).toBe(0);
});

/**
 * The Runs panel against the real server extension and real kernels: a
 * %%track cell's run appears live and its curve grows while the cell runs; a
 * run name that looks like HTML stays text.
 */
import { expect, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import { GATE_PY, openGate, openNotebook, openRunsPanel, runRow, screenshot } from './helpers';

test.use({ autoGoto: true });

// The cell stops at two gates the test opens, so it is still running while the
// test looks for a growing curve.
const LIVE_CELL = `%%track --name live-demo --tag ui-test
import time
lr = 0.1
for step in range(60):
    if step in (20, 40):
        gate(f'live-demo-{step}')
    nbtrack.log(loss=1 / (step + 1), acc=step / 60, step=step)
    time.sleep(0.02)`;

test('a %%track run appears in the panel and its curve grows while the cell runs', async ({ page, tmpPath }) => {
  await openNotebook(page, tmpPath, 'live.ipynb', [`%load_ext nbtrack\n${GATE_PY}`, LIVE_CELL]);
  await page.notebook.runCell(0);
  const panel = await openRunsPanel(page);

  await page.notebook.runCell(1, { wait: false });
  const row = runRow(page, 'live-demo');
  await expect(row).toBeVisible();
  await expect(row.locator('.nbtrack-kind-status')).toHaveText('running');
  await row.click();

  const chart = panel.locator('.nbtrack-Chart[data-metric="loss"]');
  await expect(chart).toBeVisible();
  const points = async () => Number((await chart.getAttribute('data-points')) ?? 0);
  await expect.poll(points).toBeGreaterThan(0);
  // The cell waits at step 20 (at most 20 points) until this gate opens, and
  // again at step 40: more than 20 points is the curve growing while the run runs.
  expect(await points()).toBeLessThanOrEqual(20);
  await openGate(page, tmpPath, 'live-demo-20');
  await expect.poll(points).toBeGreaterThan(20);
  expect(await row.locator('.nbtrack-kind-status').textContent()).toBe('running');

  await openGate(page, tmpPath, 'live-demo-40');
  await expect(row.locator('.nbtrack-kind-status')).toHaveText('finished', { timeout: 30000 });
  await expect.poll(points).toBe(60);
  // Params and last metric values are columns.
  await expect(row.locator('[data-column="param:lr"]')).toHaveText('0.1');
  await expect(row.locator('[data-column="metric:loss"]')).toHaveText('0.01667');
});

test('a run name that looks like HTML shows as text', async ({ page, tmpPath }) => {
  const evil = '<img src=x onerror=alert(1)>';
  let dialogs = 0;
  page.on('dialog', dialog => {
    dialogs++;
    void dialog.dismiss();
  });
  await openNotebook(page, tmpPath, 'evil.ipynb', [
    '%load_ext nbtrack',
    `%%track --name "${evil}"\nnbtrack.log(loss=1.0)`
  ]);
  await page.notebook.runCell(0);
  await page.notebook.runCell(1);
  const panel = await openRunsPanel(page);
  // The exact name: other tests' runs share the store.
  const exactly = new RegExp(`^${evil.replace(/[()]/g, '\\$&')}$`);
  const name = panel.locator('.nbtrack-RunTable-row .nbtrack-kind-name', { hasText: exactly });
  await expect(name).toHaveText(evil);
  await expect(panel.locator('.nbtrack-RunTable img')).toHaveCount(0);
  await name.click();
  await expect(panel.locator('.nbtrack-Chart[data-metric="loss"]')).toBeVisible();
  await expect(panel.locator('.u-legend', { hasText: evil })).toBeVisible();
  await expect(panel.locator('img[src="x"]')).toHaveCount(0);
  expect(dialogs).toBe(0);
  await screenshot(panel, 'panel-html-name.png');
});

test('commands are in the palette and the refresh interval is a setting', async ({ page }) => {
  await page.keyboard.press('Control+Shift+C');
  const palette = page.locator('#command-palette');
  await expect(palette).toBeVisible();
  await palette.locator('input').fill('run');
  // Disabled commands (no selection yet) are in the palette but hidden.
  for (const id of ['open-panel', 'refresh', 'diff', 'open-snapshot', 'rename', 'tag', 'note', 'delete']) {
    await expect(palette.locator(`li[data-command="nbtrack:${id}"]`)).toHaveCount(1);
  }
  await expect(palette.locator('li[data-command="nbtrack:open-panel"]')).toBeVisible();
  await page.keyboard.press('Escape');
  const setting = await page.evaluate(async () => {
    const app = (window as any).jupyterapp;
    const settings = await app.serviceManager.settings.fetch('nbtrack:plugin');
    return settings.schema.properties.refreshInterval;
  });
  expect(setting.default).toBe(500);
  expect(setting.title).toBe('Refresh interval (ms)');
});

// The cell waits at two gates, so that reads fail, are retried and the curve
// grows again while the run is running.
const FOLLOW_CELL = `%%track --name follow-through
import time
for step in range(200):
    if step in (100, 150):
        gate(f'follow-{step}')
    nbtrack.log(loss=1 / (step + 1), step=step)
    time.sleep(0.02)`;

test('curves keep following a running run through failed metrics requests', async ({ page, tmpPath }) => {
  // The network edge fails the 2nd to 4th metrics requests; the data still
  // comes from the real server.
  let metricsRequests = 0;
  const aborted: number[] = [];
  await page.route(/\/nbtrack\/api\/runs\/[^/]+\/metrics/, async route => {
    metricsRequests++;
    if (metricsRequests >= 2 && metricsRequests <= 4) {
      aborted.push(metricsRequests);
      await route.abort('connectionreset');
    } else {
      await route.continue();
    }
  });
  await openNotebook(page, tmpPath, 'follow.ipynb', [`%load_ext nbtrack\n${GATE_PY}`, FOLLOW_CELL]);
  await page.notebook.runCell(0);
  const panel = await openRunsPanel(page);
  await page.notebook.runCell(1, { wait: false });
  const row = runRow(page, 'follow-through');
  await expect(row.locator('.nbtrack-kind-status')).toHaveText('running');
  await row.locator('.nbtrack-kind-name').click();

  const chart = panel.locator('.nbtrack-Chart[data-metric="loss"]');
  await expect(chart).toBeVisible();
  const state = async () => ({
    points: Number((await chart.getAttribute('data-points')) ?? 0),
    status: (await row.locator('.nbtrack-kind-status').textContent()) ?? ''
  });
  await expect.poll(() => aborted.length, { timeout: 60000 }).toBe(3);
  // The cell waits at step 100 (at most 100 points) until this gate opens.
  expect((await state()).points).toBeLessThanOrEqual(100);
  await openGate(page, tmpPath, 'follow-100');
  // The curve grows again while the run is still running (not only at its end):
  // the cell waits at step 150.
  await expect
    .poll(
      async () => {
        const s = await state();
        return s.status === 'running' && s.points > 100;
      },
      { timeout: 60000 }
    )
    .toBe(true);
  await openGate(page, tmpPath, 'follow-150');
  await expect(row.locator('.nbtrack-kind-status')).toHaveText('finished', { timeout: 90000 });
  // Every point the run logged, each once.
  await expect.poll(async () => (await state()).points, { timeout: 30000 }).toBe(200);
  await expect(chart).toHaveAttribute('data-last-step', '199');
  await expect(panel.locator('.nbtrack-Curves-message')).toBeHidden();
});

/** Pixels of a chart's canvas close to a CSS colour (how much of a series is drawn). */
async function pixelsOfColour(chart: Locator, cssVariable: string): Promise<number> {
  return chart.evaluate((node, variable) => {
    const probe = document.createElement('div');
    probe.style.color = `var(${variable})`;
    document.body.appendChild(probe);
    const [r, g, b] = getComputedStyle(probe).color.match(/\d+/g)!.map(Number);
    probe.remove();
    const canvas = node.querySelector('canvas') as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 200 && Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 60) {
        n++;
      }
    }
    return n;
  }, cssVariable);
}

/** Relative luminance (0 dark … 1 light) of a CSS colour `rgb(r, g, b)`. */
function luminance(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+/g) ?? ['0', '0', '0']).slice(0, 3).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

test('runs of one name are told apart by ref; the panel fits a default-width sidebar', async ({ page, tmpPath }) => {
  await openNotebook(page, tmpPath, 'twins.ipynb', [
    '%load_ext nbtrack',
    '%%track --name twin\nnbtrack.log(loss=0.5)',
    '%%track --name twin\nnbtrack.log(loss=0.25)',
    '%%track --name steps\nfor s in range(3):\n    nbtrack.log(acc=s / 3, step=s)'
  ]);
  for (let i = 0; i < 4; i++) {
    await page.notebook.runCell(i);
  }
  const panel = await openRunsPanel(page);
  const twins = runRow(page, 'twin');
  await expect(twins).toHaveCount(2);
  const refs = await twins.locator('[data-column="ref"]').allTextContents();
  expect(refs[0]).toMatch(/#\d+$/);
  expect(refs[1]).toMatch(/#\d+$/);
  expect(refs[0]).not.toBe(refs[1]);

  // At the default sidebar width: the toolbar is one row of icon buttons, and
  // Name, Ref and Status are whole in view.
  // The table's visible width (a vertical scrollbar excluded).
  const visibleRight = await panel
    .locator('.nbtrack-RunTable')
    .evaluate(node => node.getBoundingClientRect().left + node.clientWidth);
  const buttons = panel.locator('.nbtrack-RunPanel-actions .jp-ToolbarButtonComponent:visible');
  const tops = new Set((await buttons.evaluateAll(els => els.map(e => Math.round(e.getBoundingClientRect().top)))));
  expect(tops.size).toBe(1);
  for (const id of ['nbtrack:diff', 'nbtrack:note', 'nbtrack:delete', 'nbtrack:refresh']) {
    await expect(panel.locator(`.nbtrack-RunPanel-actions [data-command="${id}"]`)).toHaveCount(1);
  }
  for (const column of ['name', 'ref', 'status']) {
    const cell = (await panel.locator(`.nbtrack-RunTable-headerCell[data-column="${column}"]`).boundingBox())!;
    expect(cell.x + cell.width).toBeLessThanOrEqual(visibleRight);
    // ... and its text is not cut (no ellipsis needed) in the header and the rows.
    const cut = await panel
      .locator(`.nbtrack-RunTable-header [data-column="${column}"]`)
      .or(twins.locator(`[data-column="${column}"]`))
      .evaluateAll(cells => cells.filter(c => c.scrollWidth > c.clientWidth).map(c => c.textContent));
    expect(cut).toEqual([]);
  }

  // Both twins selected: legends name them by ref; a one-point metric shows its point.
  await twins.nth(0).locator('.nbtrack-kind-name').click();
  await twins.nth(1).locator('.nbtrack-RunTable-check').click();
  const loss = panel.locator('.nbtrack-Chart[data-metric="loss"]');
  await expect(loss).toHaveAttribute('data-runs', '2');
  for (const ref of refs) {
    await expect(loss.locator('.u-legend .u-label', { hasText: ref })).toHaveCount(1);
  }
  await expect.poll(() => pixelsOfColour(loss, '--jp-brand-color1')).toBeGreaterThan(10);
  // The x-axis choice is JupyterLab's select.
  await expect(panel.locator('.jp-HTMLSelect select.nbtrack-Curves-axis')).toBeVisible();

  // Step axes tick at whole numbers.
  await runRow(page, 'steps').locator('.nbtrack-kind-name').click();
  const acc = panel.locator('.nbtrack-Chart[data-metric="acc"]');
  await expect(acc).toHaveAttribute('data-points', '3');
  const ticks = ((await acc.getAttribute('data-x-ticks')) ?? '').split(' ').filter(Boolean);
  expect(ticks.length).toBeGreaterThan(1);
  for (const tick of ticks) {
    expect(tick).toMatch(/^-?\d+$/);
  }
  await screenshot(panel, 'panel-light.png');

  // Notes are paragraphs: a multi-line text area.
  await panel.locator('[data-command="nbtrack:note"]').click();
  const notes = page.locator('.jp-Dialog textarea');
  await expect(notes).toBeVisible();
  await notes.fill('');
  await notes.pressSequentially('first line');
  await notes.press('Enter');
  await notes.pressSequentially('second line');
  await screenshot(page.locator('.jp-Dialog-content'), 'notes-dialog.png');
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);
  await panel.locator('[data-command="nbtrack:note"]').click();
  await expect(page.locator('.jp-Dialog textarea')).toHaveValue('first line\nsecond line');
  await page.locator('.jp-Dialog .jp-mod-reject').click();

  // Dark theme: the panel follows JupyterLab's colours.
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' })
  );
  await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false');
  const colours = async () =>
    panel.evaluate(node => {
      const name = node.querySelector('.nbtrack-RunTable-row:not(.nbtrack-mod-selected) .nbtrack-kind-name')!;
      const select = node.querySelector('.nbtrack-Curves-axis')!;
      return {
        panel: getComputedStyle(node).backgroundColor,
        table: getComputedStyle(node.querySelector('.nbtrack-RunTable')!).backgroundColor,
        name: getComputedStyle(name).color,
        select: getComputedStyle(select).color
      };
    });
  await expect.poll(async () => luminance((await colours()).panel)).toBeLessThan(0.3);
  const dark = await colours();
  expect(luminance(dark.table)).toBeLessThan(0.3);
  expect(luminance(dark.name)).toBeGreaterThan(0.6);
  expect(luminance(dark.select)).toBeGreaterThan(0.6);
  await screenshot(panel, 'panel-dark.png');
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' })
  );
});

test('a filter the panel cannot read says why; selected runs the filter hides are counted', async ({ page, tmpPath }) => {
  await openNotebook(page, tmpPath, 'filters.ipynb', [
    '%load_ext nbtrack',
    '%%track --name keep-me\nlr = 0.5\nnbtrack.log(loss=1.0)',
    '%%track --name hide-me\nlr = 0.01\nnbtrack.log(loss=2.0)'
  ]);
  for (const i of [0, 1, 2]) {
    await page.notebook.runCell(i);
  }
  const panel = await openRunsPanel(page);
  const filter = panel.locator('.nbtrack-RunPanel-filter');
  const status = panel.locator('.nbtrack-RunPanel-status');
  await expect(runRow(page, 'hide-me')).toBeVisible();
  await runRow(page, 'hide-me').locator('input[type="checkbox"]').check();

  await filter.fill('lr<');
  await expect(status).toContainText('Filter not understood');
  await expect(filter).toHaveAttribute('aria-invalid', 'true');

  await filter.fill('params.lr>0.1');
  await expect(filter).toHaveAttribute('aria-invalid', 'false');
  await expect(runRow(page, 'keep-me')).toBeVisible();
  await expect(runRow(page, 'hide-me')).toHaveCount(0);
  await expect(status).toContainText('1 selected (1 hidden by the filter)');
});

/**
 * The Runs panel against the real server extension and real kernels: a
 * %%track cell's run appears live and its curve grows while the cell runs; a
 * run name that looks like HTML stays text.
 */
import { expect, test } from '@jupyterlab/galata';

import { openNotebook, openRunsPanel, runRow, screenshot } from './helpers';

test.use({ autoGoto: true });

const LIVE_CELL = `%%track --name live-demo --tag ui-test
import time
lr = 0.1
for step in range(60):
    nbtrack.log(loss=1 / (step + 1), acc=step / 60, step=step)
    time.sleep(0.1)`;

test('a %%track run appears in the panel and its curve grows while the cell runs', async ({ page, tmpPath }) => {
  await openNotebook(page, tmpPath, 'live.ipynb', ['%load_ext nbtrack', LIVE_CELL]);
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
  const first = await points();
  await expect.poll(points).toBeGreaterThan(first);
  expect(await row.locator('.nbtrack-kind-status').textContent()).toBe('running');

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

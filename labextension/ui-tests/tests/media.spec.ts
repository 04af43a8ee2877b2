/**
 * The Runs panel's Media view against the real server extension and a real
 * kernel: a %%track cell logs image groups at three steps (one caption is
 * HTML), a confusion matrix and a table; selecting the run shows the images of
 * the last step in a grid, the step slider shows another step, the confusion
 * matrix as a heat map and the table's first rows. Captions stay text.
 */
import { expect, test } from '@jupyterlab/galata';

import { openNotebook, openRunsPanel, runRow, screenshot } from './helpers';

// Galata's user mock routes every URL matching /api/me, which takes in
// nbtrack/api/media/<hash> too: the real /api/me answers here.
test.use({ autoGoto: true, mockUser: false });

const EVIL = '<img src=x onerror=alert(1)>';

test('a run logs images, a confusion matrix and a table; the Media view shows them', async ({ page, tmpPath }) => {
  test.setTimeout(300000);
  let dialogs = 0;
  page.on('dialog', dialog => {
    dialogs++;
    void dialog.dismiss();
  });
  const tag = Math.random().toString(36).slice(2, 8);
  await openNotebook(page, tmpPath, 'media.ipynb', [
    '%load_ext nbtrack\nimport numpy as np\nimport pandas as pd',
    `%%track --name media-${tag} --no-plot\n` +
      `yy, xx = np.mgrid[0:48, 0:48]\n` +
      `for step in range(3):\n` +
      `    imgs = [np.stack([(xx * 5 + step * 60) % 256, (yy * 5 + i * 80) % 256, np.full((48, 48), 90 * i)], -1).astype(np.uint8) for i in range(3)]\n` +
      `    nbtrack.log_image("samples", imgs, captions=[f"s{step}-{i}" for i in range(2)] + [${JSON.stringify(EVIL)}])\n` +
      `y = np.array([0, 0, 1, 1, 2, 2, 2, 1, 0, 2])\n` +
      `p = np.array([0, 1, 1, 1, 2, 2, 0, 1, 0, 2])\n` +
      `nbtrack.log_confusion_matrix("cm", y, p, labels=[0, 1, 2])\n` +
      `nbtrack.log_table("preds", pd.DataFrame({"y": y, "p": p, "score": [0.5, float("nan")] * 5}))`
  ]);
  await page.notebook.runCell(0);
  await page.notebook.runCell(1);
  const panel = await openRunsPanel(page);
  const row = runRow(page, `media-${tag}`);
  await expect(row.locator('.nbtrack-kind-status')).toHaveText('finished', { timeout: 120000 });
  await row.locator('.nbtrack-kind-name').click();
  await expect(row).toHaveClass(/nbtrack-mod-selected/);

  const media = panel.locator('.nbtrack-Media');
  await expect(media).toBeVisible();
  await expect(media.locator('.nbtrack-Media-summary')).toHaveText('Media (11)');
  const samples = media.locator('.nbtrack-Media-item[data-name="samples"]');
  await expect(samples.locator('.nbtrack-Media-stepValue')).toHaveText('2');
  await expect(samples.locator('figcaption')).toHaveText(['s2-0', 's2-1', EVIL]);
  await expect(samples.locator('img.nbtrack-Media-image')).toHaveCount(3);
  await expect
    .poll(() => samples.locator('img.nbtrack-Media-image').evaluateAll(imgs => imgs.every(i => (i as HTMLImageElement).naturalWidth === 48)))
    .toBe(true);

  const slider = samples.locator('.nbtrack-Media-slider');
  await slider.fill('0');
  await expect(samples.locator('.nbtrack-Media-stepValue')).toHaveText('0');
  await expect(samples.locator('figcaption')).toHaveText(['s0-0', 's0-1', EVIL]);

  const heat = media.locator('.nbtrack-Media-item[data-name="cm"] .nbtrack-Media-heatmap');
  await expect(heat.locator('tr')).toHaveCount(4);
  await expect(heat.locator('tr').nth(3).locator('td')).toHaveText(['1', '0', '3']);
  const table = media.locator('.nbtrack-Media-item[data-name="preds"] .nbtrack-Media-table');
  await expect(table.locator('th')).toHaveText(['y', 'p', 'score']);
  await expect(table.locator('tr').nth(2).locator('td')).toHaveText(['0', '1', 'NaN']);
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await media.evaluate(node => node.scrollTo(0, 0));
  await screenshot(media, 'panel-media.png');
  await samples.scrollIntoViewIfNeeded();
  await screenshot(samples, 'panel-media-images.png');
  expect(dialogs).toBe(0);
});

/**
 * Verdicts in the Runs panel against the real server: a run with a stored
 * verdict shows the Verdict column and its badges; Verify Run on a run shows
 * "verifying…" until the real `nbtrack verify` stored its verdict.
 */
import { expect, test } from '@jupyterlab/galata';

import { openNotebook, openRunsPanel, runRow, screenshot } from './helpers';

test.use({ autoGoto: true });

const SEED = `from nbtrack.context import current_project
from nbtrack.store import open_store
from nbtrack.store.verdicts import save_stale, save_verdict
st = open_store(current_project().store_url)
run = nbtrack.get_run('verdict-seeded')
save_verdict(st, run.id, 'differs', {'metrics': {'loss': {}}})
save_stale(st, run.id, {'names': ['base']})`;

test('a stored verdict shows as a Verdict column with badges', async ({ page, tmpPath }) => {
  await openNotebook(page, tmpPath, 'seeded.ipynb', [
    '%load_ext nbtrack',
    '%%track --name verdict-seeded\nnbtrack.log(loss=0.5)',
    SEED
  ]);
  const panel = await openRunsPanel(page);
  for (const i of [0, 1, 2]) {
    await page.notebook.runCell(i);
  }
  const row = runRow(page, 'verdict-seeded');
  await expect(panel.locator('.nbtrack-RunTable-headerCell[data-column="verdict"]')).toHaveText(
    'Verdict'
  );
  const cell = row.locator('[data-column="verdict"]');
  await expect(cell.locator('.nbtrack-VerdictBadge.nbtrack-mod-differs')).toHaveText(
    'differs: loss'
  );
  await expect(cell.locator('.nbtrack-VerdictBadge.nbtrack-mod-stale')).toHaveText('stale inputs');
  await cell.scrollIntoViewIfNeeded();
  await screenshot(panel, 'verdict-column.png');
});

test('Verify Run shows verifying… then the verdict', async ({ page, tmpPath }) => {
  await openNotebook(page, tmpPath, 'verifyme.ipynb', [
    '%load_ext nbtrack',
    'base = 3',
    '%%track --name verify-me\nlr = 0.5\nnbtrack.log(loss=base * lr)'
  ]);
  const panel = await openRunsPanel(page);
  for (const i of [0, 1, 2]) {
    await page.notebook.runCell(i);
  }
  const row = runRow(page, 'verify-me');
  await expect(row.locator('.nbtrack-kind-status')).toHaveText('finished');
  await row.click({ button: 'right' });
  await page.locator('.lm-Menu-itemLabel', { hasText: 'Verify Run' }).click();
  const cell = row.locator('[data-column="verdict"]');
  await expect(cell).toHaveText('verifying…');
  await screenshot(panel, 'verdict-verifying.png');
  await expect(cell.locator('.nbtrack-mod-reproduced')).toHaveText('reproduced', {
    timeout: 110000
  });
  await cell.scrollIntoViewIfNeeded();
  await screenshot(panel, 'verdict-reproduced.png');
});

/**
 * The Runs panel's Sweeps view against the real server extension: a searched
 * sweep of a Python function (sweep_seed.py, a real Optuna study in the store,
 * one trial pruned) is listed; selecting it draws the best-so-far curve, one
 * parallel-coordinates polyline per trial (the pruned one greyed), Optuna's
 * importances and the trials, whose run links select the run in the Runs view.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

import { expect, test } from '@jupyterlab/galata';

import { openRunsPanel, screenshot } from './helpers';

test.use({ autoGoto: true });

const SEED = path.resolve(__dirname, '..', 'sweep_seed.py');
const PYTHON = process.env.NBTRACK_PYTHON || 'python';

test('a searched sweep shows its trials, plots and importances', async ({ page }) => {
  test.setTimeout(240000);
  const id = `ui-sw-${Math.random().toString(36).slice(2, 8)}`;
  const out = execFileSync(PYTHON, [SEED, id], { encoding: 'utf8', timeout: 200000 });
  expect(JSON.parse(out.trim().split('\n').pop() as string).states).toEqual([
    'finished', 'finished', 'finished', 'pruned'
  ]);

  const panel = await openRunsPanel(page);
  await panel.locator('.nbtrack-RunPanel-tab[data-view="sweeps"]').click();
  await expect(panel.locator('.nbtrack-RunTable')).toBeHidden();
  const row = panel.locator(`.nbtrack-SweepList-row[data-sweep="${id}"]`);
  await expect(row).toBeVisible();
  await expect(row).toContainText('random');
  await expect(row).toContainText('4, 1 pruned');

  await row.click();
  await expect(row).toHaveClass(/nbtrack-mod-selected/);
  const detail = panel.locator('.nbtrack-SweepDetail');
  await expect(detail.locator('h3')).toContainText(id);
  await expect(detail.locator('polyline')).toHaveCount(4);
  await expect(detail.locator('polyline.nbtrack-mod-pruned')).toHaveCount(1);
  await expect(detail.locator('.nbtrack-SweepBest-line')).toHaveCount(1);
  await expect(detail.locator('.nbtrack-SweepImportance')).toHaveCount(2);
  const trials = detail.locator('.nbtrack-SweepTrials-row');
  await expect(trials).toHaveCount(4);
  await expect(trials.nth(3)).toHaveClass(/nbtrack-mod-pruned/);
  await screenshot(panel, 'sweeps-view.png');

  // A trial's run link selects that run in the Runs view.
  const link = trials.nth(0).locator('[data-run]');
  const ref = (await link.textContent()) ?? '';
  await link.click();
  await expect(panel.locator('.nbtrack-RunTable')).toBeVisible();
  await expect(panel.locator('.nbtrack-RunPanel-tab[data-view="runs"]')).toHaveAttribute('aria-selected', 'true');
  await expect(panel.locator('.nbtrack-RunPanel-status')).toContainText('1 selected');
  expect(ref).toMatch(/#\d+$/);

  // While the view shows, a new sweep's row appears without a click.
  await panel.locator('.nbtrack-RunPanel-tab[data-view="sweeps"]').click();
  await expect(row).toBeVisible();
  const later = `${id}-2`;
  execFileSync(PYTHON, [SEED, later], { encoding: 'utf8', timeout: 200000 });
  await expect(panel.locator(`.nbtrack-SweepList-row[data-sweep="${later}"]`)).toBeVisible({
    timeout: 60000
  });
});

/**
 * Two runs of one cell with a changed param: select both, "Diff" opens a
 * main-area tab with the changed param, the changed line of the cell and the
 * notebook diff (nbdime); the second run's snapshot (saved before the cell ran,
 * with the edit) opens read-only. Screenshots of the panel and the diff view,
 * light and dark, go to artifacts/.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { openNotebook, openRunsPanel, runRow, screenshot, setSource } from './helpers';

test.use({ autoGoto: true });

// Each run reads a version of a dataset: the diff's inputs part names both.
const DATA = `diff-data-${Math.random().toString(36).slice(2, 8)}`;
const setup = `%load_ext nbtrack
import pandas as pd
for n in (1, 2):
    nbtrack.log_dataset(pd.DataFrame({"a": range(n)}), "${DATA}")`;
const cell = (name: string, lr: number) => `%%track --name ${name}
lr = ${lr}
data = nbtrack.use_dataset("${DATA}:v1" if lr < 0.2 else "${DATA}:v2")
epochs = 30
for epoch in range(epochs):
    nbtrack.log(loss=1 / (1 + lr * 10 * epoch), val_loss=1.2 / (1 + lr * 8 * epoch), step=epoch)`;

async function setTheme(page: IJupyterLabPageFixture, theme: string): Promise<void> {
  await page.evaluate(t => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: t }), theme);
  await page.waitForFunction(t => document.body.dataset.jpThemeName === t, theme);
  await page.waitForTimeout(300);
}

test('diff two runs: changed param, changed line, notebook diff; open a snapshot', async ({ page, tmpPath }) => {
  // Pandas and pyarrow load in the kernel for the dataset: slow on a busy machine.
  test.setTimeout(300000);
  await openNotebook(page, tmpPath, 'train.ipynb', [setup, cell('baseline', 0.1)]);
  await page.notebook.runCell(0);
  await page.notebook.runCell(1);
  // Edit the cell and run it again: the extension saves the notebook first,
  // so the second run's snapshot has the edit.
  await setSource(page, 1, cell('tuned', 0.3));
  await page.notebook.runCell(1);

  const panel = await openRunsPanel(page);
  await page.evaluate(() => (window as any).jupyterapp.shell._hsplitPanel?.setRelativeSizes([0.4, 0.6, 0]));
  const base = runRow(page, 'baseline');
  const tuned = runRow(page, 'tuned');
  await expect(tuned.locator('.nbtrack-kind-status')).toHaveText('finished');
  await base.locator('.nbtrack-RunTable-checkbox').click();
  await tuned.locator('.nbtrack-RunTable-checkbox').click();
  await expect(panel.locator('.nbtrack-RunTable-row[aria-selected="true"]')).toHaveCount(2);
  await expect(panel.locator('.nbtrack-Chart[data-metric="loss"]')).toHaveAttribute('data-runs', '2');
  await expect(panel.locator('.nbtrack-Chart[data-metric="val_loss"]')).toHaveAttribute('data-points', '60');
  await screenshot(panel, 'panel.png');

  await panel.locator('.nbtrack-RunPanel-actions [data-command="nbtrack:diff"]').click();
  const view = page.locator('.nbtrack-DiffView');
  await expect(view).toBeVisible();
  const lr = view.locator('.nbtrack-DiffView-table tr', { has: page.locator('td', { hasText: /^lr$/ }) });
  await expect(lr.locator('td')).toHaveText(['lr', '0.1', '0.3']);
  const input = view.locator('.nbtrack-DiffView-table tr.nbtrack-mod-changed', {
    has: page.locator('td', { hasText: new RegExp(`^${DATA}$`) })
  });
  await expect(input.locator('td')).toHaveText([DATA, `${DATA}:v1`, `${DATA}:v2`]);
  await expect(view.locator('h3', { hasText: 'Inputs' })).toBeVisible();
  await expect(view.locator('.nbtrack-line-removed', { hasText: 'lr = 0.1' })).toBeVisible();
  await expect(view.locator('.nbtrack-line-added', { hasText: 'lr = 0.3' })).toBeVisible();
  const nbdiff = view.locator('.nbtrack-DiffView-notebook');
  await expect(nbdiff).toBeVisible();
  await expect(nbdiff.getByText('lr = 0.3').first()).toBeVisible();
  await expect(nbdiff.getByText('lr = 0.1').first()).toBeVisible();
  await screenshot(page, 'diff.png');

  await setTheme(page, 'JupyterLab Dark');
  await screenshot(page, 'diff-dark.png');
  await screenshot(panel, 'panel-dark.png');
  await setTheme(page, 'JupyterLab Light');

  // The second run's snapshot, read-only, has the edited source.
  await tuned.locator('.nbtrack-kind-name').click();
  await panel.locator('.nbtrack-RunPanel-actions [data-command="nbtrack:open-snapshot"]').click();
  const snapshot = page.locator('.nbtrack-SnapshotView');
  await expect(snapshot).toBeVisible();
  await expect(snapshot.locator('.nbtrack-SnapshotView-source', { hasText: 'lr = 0.3' })).toBeVisible();
  await expect(snapshot.locator('[contenteditable="true"], textarea')).toHaveCount(0);
});

test('rename, tag, note and delete a run', async ({ page, tmpPath }) => {
  await openNotebook(page, tmpPath, 'manage.ipynb', ['%load_ext nbtrack', '%%track --name scratch\nnbtrack.log(loss=0.5)']);
  await page.notebook.runCell(0);
  await page.notebook.runCell(1);
  const panel = await openRunsPanel(page);
  const row = runRow(page, 'scratch');
  await row.locator('.nbtrack-kind-name').click();

  const answer = async (text: string) => {
    const input = page.locator('.jp-Dialog input');
    await input.fill(text);
    await page.locator('.jp-Dialog .jp-mod-accept').click();
  };
  await panel.locator('.nbtrack-RunPanel-actions [data-command="nbtrack:rename"]').click();
  await answer('keeper');
  const renamed = runRow(page, 'keeper');
  await expect(renamed).toBeVisible();
  await panel.locator('.nbtrack-RunPanel-actions [data-command="nbtrack:tag"]').click();
  await answer('best, cnn');
  await expect(renamed.locator('[data-column="tags"]')).toHaveText('best, cnn');
  await panel.locator('.nbtrack-RunPanel-actions [data-command="nbtrack:note"]').click();
  await page.locator('.jp-Dialog textarea').fill('worth keeping');
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await panel.locator('.nbtrack-RunPanel-filter').fill('tag:cnn');
  await expect(panel.locator('.nbtrack-RunTable-row')).toHaveCount(1);
  await panel.locator('.nbtrack-RunPanel-filter').fill('worth keeping');
  await expect(panel.locator('.nbtrack-RunTable-row')).toHaveCount(1);
  await panel.locator('.nbtrack-RunPanel-filter').fill('');

  await panel.locator('.nbtrack-RunPanel-actions [data-command="nbtrack:delete"]').click();
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect(runRow(page, 'keeper')).toHaveCount(0);
  // Still gone after a full re-read.
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('nbtrack:refresh'));
  await expect(runRow(page, 'keeper')).toHaveCount(0);
});

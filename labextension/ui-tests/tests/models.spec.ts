/**
 * The Runs panel's Models view against the real server extension and a real
 * kernel: two %%track cells log a model twice, a third registers both
 * versions with `candidate` on v1; the view lists both versions with their
 * source runs and snapshot commits, `production` is moved to v2 from the
 * form (POST with the XSRF header, recorded with the Jupyter user), the
 * history shows the move, a refused move shows the server's words inline,
 * and a source run ref selects the run in the runs table.
 */
import { expect, test } from '@jupyterlab/galata';

import { openNotebook, openRunsPanel, runRow, screenshot } from './helpers';

test.use({ autoGoto: true });

test('registered model versions, an alias moved from the panel, and its history', async ({ page, tmpPath }) => {
  // Three cells in a fresh kernel (its warm-up, cloudpickle) on a busy machine.
  test.setTimeout(360000);
  let dialogs = 0;
  page.on('dialog', dialog => {
    dialogs++;
    void dialog.dismiss();
  });
  // Unique names: other tests' runs and models share the store.
  const tag = Math.random().toString(36).slice(2, 8);
  const logged = `ui-mlp-${tag}`;
  const model = `ui-classifier-${tag}`;
  await openNotebook(page, tmpPath, 'models.ipynb', [
    '%load_ext nbtrack\nimport nbtrack',
    `%%track --name fit1-${tag} --no-plot\nnbtrack.log(acc=0.8)\nnbtrack.log_model({"w": 1}, "${logged}")`,
    `%%track --name fit2-${tag} --no-plot\nnbtrack.log(acc=0.9)\nnbtrack.log_model({"w": 2}, "${logged}")`,
    `nbtrack.registry.link("${logged}:v1", "${model}", aliases=["candidate"])\n` +
      `nbtrack.registry.link("${logged}:v2", "${model}")`
  ]);
  for (const i of [0, 1, 2, 3]) {
    await page.notebook.runCell(i);
  }
  const panel = await openRunsPanel(page);
  await expect(runRow(page, `fit2-${tag}`)).toBeVisible();

  await panel.locator('.nbtrack-RunPanel-tab[data-view="models"]').click();
  await expect(panel.locator('.nbtrack-RunTable')).toBeHidden();
  const row = panel.locator(`.nbtrack-ModelList-row[data-model="${model}"]`);
  await expect(row).toBeVisible();
  await expect(row.locator('.nbtrack-col-versions')).toHaveText('2 versions');
  await expect(row.locator('.nbtrack-AliasChip')).toHaveText(['candidate v1']);
  await row.locator('.nbtrack-col-name').click();
  await expect(row).toHaveClass(/nbtrack-mod-selected/);

  const detail = panel.locator('.nbtrack-ModelDetail');
  await expect(detail.locator('h3')).toHaveText(model);
  const versions = detail.locator('.nbtrack-ModelVersions-row');
  await expect(versions).toHaveCount(2);
  const v1 = detail.locator('.nbtrack-ModelVersions-row[data-version="1"]');
  const v2 = detail.locator('.nbtrack-ModelVersions-row[data-version="2"]');
  await expect(v1.locator('.nbtrack-col-source')).toHaveText(`${logged}:v1`);
  await expect(v2.locator('.nbtrack-col-source')).toHaveText(`${logged}:v2`);
  await expect(v1.locator('.nbtrack-col-aliases')).toHaveText('candidate');
  const fit1 = (await v1.locator('.nbtrack-RunLink').textContent()) ?? '';
  const fit2 = (await v2.locator('.nbtrack-RunLink').textContent()) ?? '';
  expect(fit1).toMatch(/^models#\d+$/);
  expect(fit2).toMatch(/^models#\d+$/);
  expect(fit2).not.toBe(fit1);
  await expect(v1.locator('.nbtrack-col-run')).toContainText('models.ipynb');
  // Each version's notebook snapshot commit.
  await expect(v1.locator('.nbtrack-col-snapshot')).toHaveText(/^[0-9a-f]{8}$/);
  await expect(v1.locator('.nbtrack-col-snapshot')).toHaveAttribute('title', /^Notebook snapshot commit [0-9a-f]{40} of models#\d+$/);
  const history = detail.locator('.nbtrack-AliasHistory-row');
  await expect(history).toHaveCount(1);
  await expect(history.locator('.nbtrack-col-move')).toHaveText('set on v1');

  // Move production to v2 from the form.
  const form = detail.locator('form.nbtrack-AliasMove');
  await form.locator('.nbtrack-AliasMove-alias').fill('production');
  await form.locator('.nbtrack-AliasMove-version').selectOption('2');
  await form.locator('.nbtrack-AliasMove-button').click();
  await expect(form.locator('.nbtrack-AliasMove-message')).toHaveText('production: set on v2');
  await expect(v2.locator('.nbtrack-col-aliases')).toHaveText('production');
  await expect(history).toHaveCount(2);
  const newest = history.first();
  await expect(newest.locator('.nbtrack-col-alias')).toHaveText('production');
  await expect(newest.locator('.nbtrack-col-move')).toHaveText('set on v2');
  // Recorded with the Jupyter user (galata's server: a generated user name).
  await expect(newest.locator('.nbtrack-col-user')).not.toHaveText('');
  await expect(row.locator('.nbtrack-AliasChip')).toHaveText(['candidate v1', 'production v2']);

  // And candidate from v1 to v2: the history says from -> to.
  await form.locator('.nbtrack-AliasMove-alias').fill('candidate');
  await form.locator('.nbtrack-AliasMove-version').selectOption('2');
  await form.locator('.nbtrack-AliasMove-button').click();
  await expect(form.locator('.nbtrack-AliasMove-message')).toHaveText('candidate: v1 → v2');
  await expect(history).toHaveCount(3);
  await expect(history.first().locator('.nbtrack-col-move')).toHaveText('v1 → v2');
  await screenshot(panel, 'panel-models.png');

  // A move the server refuses: its words inline, nothing changed.
  await form.locator('.nbtrack-AliasMove-alias').fill('latest');
  await form.locator('.nbtrack-AliasMove-version').selectOption('1');
  await form.locator('.nbtrack-AliasMove-button').click();
  const message = form.locator('.nbtrack-AliasMove-message');
  await expect(message).toHaveClass(/nbtrack-mod-error/);
  await expect(message).toContainText("'latest' always means the newest");
  await expect(history).toHaveCount(3);
  await screenshot(panel, 'panel-models-refused.png');

  // A source run ref selects that run in the runs table.
  await v1.locator('.nbtrack-RunLink').click();
  await expect(panel.locator('.nbtrack-RunTable')).toBeVisible();
  await expect(panel.locator('.nbtrack-ModelsView')).toBeHidden();
  await expect(runRow(page, `fit1-${tag}`)).toHaveClass(/nbtrack-mod-selected/);
  expect(dialogs).toBe(0);
});

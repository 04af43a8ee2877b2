/**
 * The Runs panel's Artifacts view against the real server extension and real
 * kernels: a %%track cell logs a dataset, a second one uses it; the view lists
 * the version, shows who made and used it, its first rows, the alias history
 * and the lineage drawn as a graph; its run nodes select the run in the runs
 * table, whose inputs link back to the version.
 */
import { expect, test } from '@jupyterlab/galata';

import { openNotebook, openRunsPanel, runRow, screenshot } from './helpers';

test.use({ autoGoto: true });

// A type that looks like HTML: it must show as text.
const EVIL_TYPE = '<img src=x onerror=alert(1)>';

test('a logged dataset shows with its lineage, and its run refs select runs', async ({ page, tmpPath }) => {
  // Three tracked cells in a fresh kernel (its warm-up, pyarrow) on a busy machine.
  test.setTimeout(360000);
  let dialogs = 0;
  page.on('dialog', dialog => {
    dialogs++;
    void dialog.dismiss();
  });
  // Unique names: other tests' runs and artifacts share the store.
  const tag = Math.random().toString(36).slice(2, 8);
  const dataset = `ui-digits-${tag}`;
  await openNotebook(page, tmpPath, 'lineage.ipynb', [
    '%load_ext nbtrack\nimport pandas as pd',
    `%%track --name prep-${tag} --no-plot\n` +
      `df = pd.DataFrame({"x": range(100), "y": [i % 3 for i in range(100)]})\n` +
      `nbtrack.log_dataset(df, "${dataset}", type=${JSON.stringify(EVIL_TYPE)}, aliases=["best"])`,
    `%%track --name train-${tag} --no-plot\n` +
      `train = nbtrack.use_dataset("${dataset}")\n` +
      `nbtrack.log(rows=len(train))`,
    `%%track --name more-${tag} --no-plot\n` +
      `nbtrack.log_dataset(pd.concat([df, df]), "${dataset}", type=${JSON.stringify(EVIL_TYPE)}, aliases=["best"])`
  ]);
  for (const i of [0, 1, 2]) {
    await page.notebook.runCell(i);
  }
  const panel = await openRunsPanel(page);
  await expect(runRow(page, `train-${tag}`)).toBeVisible();

  await panel.locator('.nbtrack-RunPanel-tab[data-view="artifacts"]').click();
  await expect(panel.locator('.nbtrack-RunTable')).toBeHidden();
  const row = panel.locator(`.nbtrack-ArtifactList-row[data-ref="${dataset}:v1"]`);
  await expect(row).toBeVisible();
  await expect(row.locator('.nbtrack-col-name')).toHaveText(dataset);
  await expect(row.locator('.nbtrack-col-version')).toHaveText('v1');
  await expect(row.locator('.nbtrack-col-type')).toHaveText(EVIL_TYPE);
  await expect(row.locator('.nbtrack-col-aliases')).toHaveText('latest, best');
  await expect(row.locator('.nbtrack-col-size')).toHaveText(/^\d+(\.\d)? (B|KB)$/);
  const madeBy = (await row.locator('.nbtrack-col-made_by .nbtrack-RunLink').textContent()) ?? '';
  expect(madeBy).toMatch(/^lineage#\d+$/);

  // The version's detail: made by the prep run in its cell, used by the train run.
  await row.locator('.nbtrack-col-name').click();
  await expect(row).toHaveClass(/nbtrack-mod-selected/);
  const detail = panel.locator('.nbtrack-ArtifactDetail');
  await expect(detail.locator('h3')).toHaveText(`${dataset}:v1`);
  const made = detail.locator('dt:text-is("Made by") + dd');
  await expect(made.locator('.nbtrack-RunLink')).toHaveText(madeBy);
  await expect(made.locator('.nbtrack-ArtifactEdge-cell')).toHaveText(/lineage\.ipynb In\[\d+\]/);
  await expect(detail.locator('dt:text-is("Rows") + dd')).toHaveText('100');
  // Its first rows, as logged.
  const preview = detail.locator('.nbtrack-DatasetPreview');
  await expect(preview.locator('h4')).toHaveText('Preview (first 5 of 100 rows)');
  await expect(preview.locator('th')).toHaveText(['x', 'y']);
  await expect(preview.locator('tbody tr')).toHaveCount(5);
  await expect(preview.locator('tbody tr').nth(4).locator('td')).toHaveText(['4', '1']);
  // `best` was set by the prep run.
  const moves = detail.locator('.nbtrack-AliasHistory-row');
  await expect(moves).toHaveCount(1);
  await expect(moves.locator('td')).toHaveText(['best', '→ v1', /\d\d:\d\d/, new RegExp(`^${madeBy} \\(.+\\)$`)]);
  const downstream = detail.locator('.nbtrack-Lineage-downstream .nbtrack-Lineage-line');
  await expect(downstream).toHaveCount(1);
  await expect(downstream.locator('.nbtrack-Lineage-relation')).toHaveText('used by');
  const trainRef = (await downstream.locator('.nbtrack-RunLink').textContent()) ?? '';
  expect(trainRef).toMatch(/^lineage#\d+$/);
  expect(trainRef).not.toBe(madeBy);
  await expect(detail.locator('.nbtrack-Lineage-upstream .nbtrack-RunLink')).toHaveText(madeBy);
  // The lineage drawn: prep run → the version → train run, left to right.
  const graph = detail.locator('svg.nbtrack-LineageGraph');
  const prepNode = graph.locator(`.nbtrack-LineageGraph-node[data-run="${madeBy}"]`);
  const rootNode = graph.locator(`.nbtrack-LineageGraph-node[data-ref="${dataset}:v1"]`);
  const trainNode = graph.locator(`.nbtrack-LineageGraph-node[data-run="${trainRef}"]`);
  await expect(graph.locator('.nbtrack-LineageGraph-edge')).toHaveCount(2);
  const xs: number[] = [];
  for (const node of [prepNode, rootNode, trainNode]) {
    const box = await node.boundingBox();
    expect(box).not.toBeNull();
    xs.push(box!.x);
  }
  expect(xs[0]).toBeLessThan(xs[1]);
  expect(xs[1]).toBeLessThan(xs[2]);
  await expect(panel.locator('img[src="x"]')).toHaveCount(0);
  await screenshot(panel, 'panel-artifacts.png');

  // The used-by run's node selects the train run in the runs table.
  await trainNode.click();
  await expect(panel.locator('.nbtrack-RunTable')).toBeVisible();
  await expect(panel.locator('.nbtrack-ArtifactView')).toBeHidden();
  const train = runRow(page, `train-${tag}`);
  await expect(train).toHaveClass(/nbtrack-mod-selected/);
  await expect(panel.locator('.nbtrack-RunTable-row.nbtrack-mod-selected')).toHaveCount(1);

  // Its inputs link back to the version.
  const inputs = panel.locator('.nbtrack-RunArtifacts-inputs .nbtrack-VersionLink');
  await expect(inputs).toHaveText([`${dataset}:v1`]);
  await expect(panel.locator('.nbtrack-RunArtifacts-outputs')).toHaveCount(0);
  await screenshot(panel, 'panel-run-inputs.png');
  await inputs.click();
  await expect(panel.locator('.nbtrack-ArtifactView')).toBeVisible();
  await expect(row).toHaveClass(/nbtrack-mod-selected/);
  await expect(detail.locator('h3')).toHaveText(`${dataset}:v1`);

  // A run that logs changed bytes while the view shows: v2 appears and takes `latest`.
  await page.notebook.runCell(3);
  const v2 = panel.locator(`.nbtrack-ArtifactList-row[data-ref="${dataset}:v2"]`);
  await expect(v2.locator('.nbtrack-col-aliases')).toHaveText('latest, best');
  await expect(row.locator('.nbtrack-col-aliases')).toHaveText('');
  await expect(detail.locator('h3')).toHaveText(`${dataset}:v1`);
  // The alias history says `best` moved from v1 to v2, newest first.
  await v2.locator('.nbtrack-col-name').click();
  await expect(detail.locator('h3')).toHaveText(`${dataset}:v2`);
  await expect(moves.locator('.nbtrack-AliasHistory-move')).toHaveText(['v1 → v2', '→ v1']);
  await expect(detail.locator('.nbtrack-DatasetPreview h4')).toHaveText('Preview (first 5 of 200 rows)');
  await screenshot(panel, 'panel-artifacts-v2.png');
  expect(dialogs).toBe(0);
});

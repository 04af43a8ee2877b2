/**
 * A sweep started from a notebook (`nbtrack.sweep`, papermill kernels) shows in
 * the Runs panel: `sweep:ID` keeps its runs, and a Sweep column numbers them.
 */
import { expect, test } from '@jupyterlab/galata';

import { openNotebook, openRunsPanel, screenshot } from './helpers';

test.use({ autoGoto: true });

/** A notebook with a cell tagged `parameters`, as papermill and nbtrack sweep expect. */
function targetNotebook(): string {
  const cell = (source: string, tags: string[] = []) => ({
    cell_type: 'code',
    execution_count: null,
    id: Math.random().toString(36).slice(2, 10),
    metadata: tags.length ? { tags } : {},
    outputs: [],
    source
  });
  return JSON.stringify({
    cells: [
      cell('%load_ext nbtrack'),
      cell('lr = 0.1', ['parameters']),
      cell('%%track --no-plot\nfor step in range(5):\n    nbtrack.log(loss=lr / (step + 1))')
    ],
    metadata: {
      kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' },
      language_info: { name: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  });
}

test('a sweep run from a notebook is listed under its id with its trials', async ({ page, tmpPath }) => {
  test.setTimeout(180000);
  const id = `ui-sweep-${Math.random().toString(36).slice(2, 8)}`;
  await page.contents.uploadContent(targetNotebook(), 'text', `${tmpPath}/sweep_target.ipynb`);
  await openNotebook(page, tmpPath, 'driver.ipynb', [
    `import nbtrack\nresult = nbtrack.sweep("sweep_target.ipynb", {"lr": [0.5, 0.25]}, parallel=2, sweep_id="${id}")\nprint(result)`
  ]);
  await page.notebook.runCell(0, { wait: false });
  const output = page.locator('.jp-OutputArea-output', { hasText: `sweep ${id}` });
  await expect(output).toContainText('2 of 2 combinations finished', { timeout: 150000 });

  const panel = await openRunsPanel(page);
  await panel.locator('.nbtrack-RunPanel-filter').fill(`sweep:${id}`);
  const rows = panel.locator('.nbtrack-RunTable-row');
  await expect(rows).toHaveCount(2);
  const sweepCells = rows.locator('[data-column="sweep"]');
  await expect(sweepCells).toHaveCount(2);
  await expect.poll(async () => (await sweepCells.allTextContents()).sort()).toEqual([`${id} #1`, `${id} #2`]);
  await expect(rows.locator('.nbtrack-kind-status')).toHaveText(['finished', 'finished']);
  const lrs = rows.locator('[data-column="param:lr"]');
  await expect.poll(async () => (await lrs.allTextContents()).sort()).toEqual(['0.25', '0.5']);
  await screenshot(panel, 'panel-sweep.png');
});

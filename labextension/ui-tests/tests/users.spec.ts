/**
 * Who ran what: runs of two users (JUPYTERHUB_USER, as on a hub) show a User
 * column in the Runs panel, and `user:alice` keeps one user's runs.
 */
import { expect, test } from '@jupyterlab/galata';

import { openNotebook, openRunsPanel, screenshot } from './helpers';

test.use({ autoGoto: true });

test('runs of two users show a User column and filter by user:', async ({ page, tmpPath }) => {
  test.setTimeout(180000);
  const tag = `users-${Math.random().toString(36).slice(2, 8)}`;
  await openNotebook(page, tmpPath, 'users.ipynb', [
    [
      'import os, nbtrack',
      `for user in ("alice", "bob"):`,
      `    os.environ["JUPYTERHUB_USER"] = user`,
      `    with nbtrack.start_run(f"by-{user}", tags=["${tag}"]):`,
      `        nbtrack.log(loss=1.0)`,
      `del os.environ["JUPYTERHUB_USER"]`,
      `print("recorded")`
    ].join('\n')
  ]);
  await page.notebook.runCell(0, { wait: false });
  await expect(page.locator('.jp-OutputArea-output', { hasText: 'recorded' })).toBeVisible({
    timeout: 120000
  });

  const panel = await openRunsPanel(page);
  const filter = panel.locator('.nbtrack-RunPanel-filter');
  await filter.fill(`tag:${tag}`);
  const rows = panel.locator('.nbtrack-RunTable-row');
  await expect(rows).toHaveCount(2);
  const users = rows.locator('[data-column="user"]');
  await expect(users).toHaveText(['bob', 'alice']); // newest first
  await expect(rows.locator('.nbtrack-kind-name')).toHaveText(['by-bob', 'by-alice']);
  await filter.fill(`tag:${tag} user:alice`);
  await expect(rows).toHaveCount(1);
  await expect(rows.locator('.nbtrack-kind-name')).toHaveText(['by-alice']);
  await filter.fill(`tag:${tag}`);
  await expect(rows).toHaveCount(2);
  await panel.locator('.nbtrack-RunTable').evaluate(el => {
    el.scrollLeft = el.scrollWidth;
  });
  await screenshot(panel, 'panel-users.png');
});

/**
 * Helpers for nbtrack's browser tests: notebooks written through the contents
 * API (typing Python into the editor would fight its auto-indent), cells run
 * without waiting, the Runs panel and its rows.
 */
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect, Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

export const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');

export function notebookJSON(sources: string[]): string {
  return JSON.stringify({
    cells: sources.map(source => ({
      cell_type: 'code',
      execution_count: null,
      id: Math.random().toString(36).slice(2, 10),
      metadata: {},
      outputs: [],
      source
    })),
    metadata: {
      kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' },
      language_info: { name: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  });
}

/** Write a notebook of code cells into the test's folder and open it. */
export async function openNotebook(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  name: string,
  sources: string[]
): Promise<void> {
  const file = `${tmpPath}/${name}`;
  await page.contents.uploadContent(notebookJSON(sources), 'text', file);
  await page.notebook.openByPath(file);
  await page.notebook.activate(name);
  await page.waitForSelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', { timeout: 60000 });
}

/** Replace a cell's source as a person editing it would (the notebook becomes dirty). */
export async function setSource(page: IJupyterLabPageFixture, index: number, source: string): Promise<void> {
  await page.evaluate(
    ([i, text]) => {
      const app = (window as any).jupyterapp;
      const panel = app.shell.currentWidget;
      panel.content.model.cells.get(i).sharedModel.setSource(text);
    },
    [index, source] as [number, string]
  );
}

export async function openRunsPanel(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('nbtrack:open-panel'));
  const panel = page.locator('#nbtrack-runs');
  await expect(panel).toBeVisible();
  return panel;
}

export function runRow(page: IJupyterLabPageFixture, name: string): Locator {
  return page
    .locator('.nbtrack-RunTable-row')
    .filter({ has: page.locator('.nbtrack-kind-name', { hasText: name }) });
}

export async function screenshot(target: Locator | IJupyterLabPageFixture, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  await target.screenshot({ path: file });
  return file;
}

/** Append a line to artifacts/speed.json (benchmark figures for the README). */
export function recordFigure(key: string, value: unknown): void {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, 'speed.json');
  const figures = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  figures[key] = value;
  fs.writeFileSync(file, JSON.stringify(figures, null, 2));
}

/**
 * Python for a notebook's first cell: `gate(name)` waits until the test opens
 * that gate (`openGate`). A cell that stops at gates stays running for as long as
 * the test needs to see it running, however slow the machine, instead of
 * running for a guessed number of seconds.
 */
export const GATE_PY = `import os, time
def gate(name):
    while not os.path.exists(name):
        time.sleep(0.02)`;

/** Let a cell waiting at `gate(name)` go on (the kernel runs in the notebook's folder). */
export async function openGate(page: IJupyterLabPageFixture, tmpPath: string, name: string): Promise<void> {
  await page.contents.uploadContent('open', 'text', `${tmpPath}/${name}`);
}

/**
 * A run's snapshot notebook, read-only, in a main-area tab: markdown cells
 * rendered (untrusted, so sanitized), code cells as text with their saved
 * outputs (untrusted). Nothing here can be edited or executed.
 */
import * as nbformat from '@jupyterlab/nbformat';
import { OutputArea, OutputAreaModel } from '@jupyterlab/outputarea';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Panel, Widget } from '@lumino/widgets';

import { IRun, ISnapshot } from './api';

function sourceOf(cell: nbformat.ICell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

export class SnapshotView extends Panel {
  constructor(options: { run: IRun; snapshot: ISnapshot; rendermime: IRenderMimeRegistry }) {
    super();
    const { run, snapshot, rendermime } = options;
    this.addClass('nbtrack-SnapshotView');
    this.id = `nbtrack-snapshot-${run.id}`;
    this.title.label = `${run.name} (snapshot)`;
    this.title.caption = `Snapshot of ${run.ref} at ${snapshot.commit.slice(0, 10)} (read-only)`;

    const header = new Widget();
    header.addClass('nbtrack-SnapshotView-header');
    header.node.textContent = `${run.notebook} as run ${run.ref} (${run.name}) saw it · snapshot ${snapshot.commit.slice(0, 10)} · read-only`;
    this.addWidget(header);

    const nb = snapshot.notebook as unknown as nbformat.INotebookContent;
    const rendering: Promise<void>[] = [];
    for (const cell of nb.cells ?? []) {
      const source = sourceOf(cell);
      const box = new Panel();
      box.addClass('nbtrack-SnapshotView-cell');
      box.addClass(`nbtrack-mod-${cell.cell_type}`);
      if (cell.cell_type === 'markdown') {
        const renderer = rendermime.createRenderer('text/markdown');
        const model = rendermime.createModel({
          data: { 'text/markdown': source },
          trusted: false
        });
        rendering.push(renderer.renderModel(model));
        box.addWidget(renderer);
      } else {
        const code = new Widget({ node: document.createElement('pre') });
        code.addClass('nbtrack-SnapshotView-source');
        if (cell.cell_type === 'code') {
          const count = (cell as nbformat.ICodeCell).execution_count;
          code.node.dataset.prompt = `[${count ?? ' '}]`;
        }
        code.node.textContent = source;
        box.addWidget(code);
        if (cell.cell_type === 'code') {
          const outputs = (cell as nbformat.ICodeCell).outputs ?? [];
          if (outputs.length) {
            const model = new OutputAreaModel({ values: outputs, trusted: false });
            box.addWidget(new OutputArea({ model, rendermime }));
          }
        }
      }
      this.addWidget(box);
    }
    this.ready = Promise.all(rendering).then(() => undefined);
  }

  readonly ready: Promise<void>;
}

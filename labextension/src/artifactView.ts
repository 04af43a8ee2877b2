/**
 * The Artifacts view of the Runs panel: every artifact version (name,
 * version, type, size, aliases, the run that made it) and, for the selected
 * version, who made it (run and cell), who used it, a dataset's first rows,
 * the alias history, and its lineage both ways, drawn as a graph (the same as
 * lists for screen readers and the keyboard). Run refs are buttons and graph
 * nodes: `runRequested` asks the panel to select that run. All user text
 * (names, aliases, notebooks) is set with `textContent`.
 */
import { Message } from '@lumino/messaging';

import { IArtifactDetail, IArtifactEdge, IArtifactVersion, ILineage, NbtrackApi } from './api';
import { aliasHistorySection, previewSection } from './artifactFacts';
import { el, headedTable } from './dom';
import { formatTime, plural } from './format';
import { cellLabel, formatBytes, ILineageLine, lineageTree } from './lineage';
import { layoutLineage, lineageSvg, NODE_W } from './lineageGraph';
import { ListDetailView } from './listDetailView';

const COLUMNS: [string, string][] = [
  ['name', 'Name'],
  ['version', 'Version'],
  ['size', 'Size'],
  ['aliases', 'Aliases'],
  ['made_by', 'Made by'],
  ['type', 'Type']
];

export class ArtifactView extends ListDetailView {
  constructor(api: NbtrackApi) {
    const list = headedTable(
      'nbtrack-ArtifactList',
      'Artifact versions',
      COLUMNS.map(([id, label]) => ({ label, className: `nbtrack-col-${id}` }))
    );
    super(api, { label: 'Artifacts', view: 'nbtrack-ArtifactView', item: 'nbtrack-Artifact', list });
    this._body = list.tBodies[0];
  }

  /** The versions listed, newest answer. */
  get versions(): readonly IArtifactVersion[] {
    return this._versions;
  }

  /** The selected version's ref, or null. */
  get selectedRef(): string | null {
    return this._selected;
  }

  /** Read the versions again (and the selected version's detail). */
  async refresh(): Promise<void> {
    const read = await this.listLoad.load(
      'versions',
      () => this.api.listArtifacts(),
      versions => {
        this._versions = versions;
        this._renderStatus();
        this._renderList();
      },
      'Loading artifacts…'
    );
    if (read === 'shown' && this._selected) {
      await this._loadDetail(this._selected);
    }
  }

  /** Select a version by ref (`name:v2`, `name:latest`, ...) and show its lineage. */
  async showVersion(ref: string): Promise<void> {
    this._selected = ref;
    this._renderList();
    await this._loadDetail(ref);
  }

  handleEvent(event: Event): void {
    if (event.type !== 'click') {
      return;
    }
    const target = event.target as HTMLElement;
    // Buttons and the graph's SVG nodes alike (an SVG node has no `dataset` everywhere).
    const run = target.closest('[data-run]');
    if (run) {
      this.requestRun(run.getAttribute('data-run') as string);
      return;
    }
    const version = target.closest('[data-ref]');
    if (version) {
      void this.showVersion(version.getAttribute('data-ref') as string);
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh();
  }

  private _renderStatus(): void {
    const count = this._versions.length;
    const names = new Set(this._versions.map(v => v.name)).size;
    this.statusNode.textContent = count
      ? `${plural(count, 'version')} of ${plural(names, 'artifact')}`
      : 'No artifacts yet: nbtrack.log_artifact(path) or nbtrack.log_dataset(df, name) in a %%track cell';
  }

  private _renderList(): void {
    const rows = this._versions.map(v => {
      const tr = el('tr', 'nbtrack-ArtifactList-row');
      tr.dataset.ref = v.ref;
      tr.setAttribute('aria-selected', v.ref === this._selected ? 'true' : 'false');
      tr.classList.toggle('nbtrack-mod-selected', v.ref === this._selected);
      tr.title = `${v.ref} · ${v.kind} · ${v.files} file(s) · ${v.hash.slice(0, 12)}`;
      const made = el('td', 'nbtrack-col-made_by');
      if (v.made_by) {
        made.appendChild(runLink(v.made_by));
      }
      const cells = [
        el('td', 'nbtrack-col-name', v.name),
        el('td', 'nbtrack-col-version', `v${v.version}`),
        el('td', 'nbtrack-col-size', formatBytes(v.size)),
        el('td', 'nbtrack-col-aliases', v.aliases.join(', ')),
        made,
        el('td', 'nbtrack-col-type', v.type)
      ];
      // Long names are cut with an ellipsis: the whole text is the tooltip.
      cells.forEach(td => (td.title = td.textContent ?? ''));
      tr.append(...cells);
      return tr;
    });
    this._body.replaceChildren(...rows);
  }

  private async _loadDetail(ref: string): Promise<void> {
    await this.detailLoad.load(
      ref,
      () => Promise.all([this.api.getArtifact(ref), this.api.lineage(ref)]),
      ([detail, lineage]) => {
        // `name:latest` resolves to a version: select its row.
        if (detail.ref !== ref) {
          this._selected = detail.ref;
          this._renderList();
        }
        this._renderDetail(detail, lineage);
      },
      `Loading ${ref}…`
    );
  }

  private _renderDetail(v: IArtifactDetail, lineage: ILineage): void {
    const parts: HTMLElement[] = [];
    parts.push(el('h3', 'nbtrack-ArtifactDetail-title', v.ref));
    const facts = el('dl', 'nbtrack-ArtifactDetail-facts');
    const fact = (label: string, value: string | HTMLElement[]) => {
      const dd = el('dd', '');
      if (typeof value === 'string') {
        dd.textContent = value;
      } else {
        dd.append(...value);
      }
      facts.append(el('dt', '', label), dd);
    };
    fact('Type', `${v.type} (${v.kind})`);
    fact('Size', `${formatBytes(v.size)} in ${v.files} file(s)`);
    fact(
      'Storage',
      v.stored
        ? `${formatBytes(v.unique_bytes)} unique, ${formatBytes(v.shared_bytes)} shared`
        : 'not stored: recorded by hash as an input'
    );
    fact('Hash', v.hash.slice(0, 16));
    if (v.meta.rows !== undefined) {
      fact('Rows', String(v.meta.rows));
    }
    if (v.meta.schema?.length) {
      fact('Columns', v.meta.schema.map(c => `${c.name}: ${c.dtype}`).join(', '));
    }
    fact('Aliases', v.aliases.join(', ') || '-');
    fact('Created', formatTime(v.created));
    fact('Made by', edgeNodes(v.made_by_runs, 'logged outside a run'));
    fact('Used by', edgeNodes(v.used_by, 'no run used it yet'));
    parts.push(facts);
    const preview = previewSection(v.meta.preview, v.meta.rows);
    if (preview) {
      parts.push(preview);
    }
    parts.push(aliasHistorySection(v.alias_history ?? [], v.version, ref => runLink(ref)));

    const graph = el('section', 'nbtrack-LineageGraph-section');
    graph.appendChild(el('h4', '', 'Lineage'));
    const scroller = el('div', 'nbtrack-LineageGraph-scroller');
    const layout = layoutLineage(lineage);
    scroller.appendChild(lineageSvg(layout));
    graph.append(
      scroller,
      el('div', 'nbtrack-LineageGraph-legend', 'solid: the run made the version · dashed: the run used it')
    );
    // The same lineage as lists: read by screen readers, shown when the keyboard enters it.
    const tree = lineageTree(lineage);
    const lists = el('div', 'nbtrack-Lineage-lists');
    lists.append(
      treeSection('Upstream', 'upstream', tree.upstream, 'nothing: logged outside a run'),
      treeSection('Downstream', 'downstream', tree.downstream, 'no run used it yet')
    );
    parts.push(graph, lists);
    this.detailNode.replaceChildren(...parts);
    // A wide graph in a narrow panel scrolls: start with the selected version centred.
    const root = layout.nodes.find(n => n.root);
    if (root && layout.width > scroller.clientWidth) {
      scroller.scrollLeft = root.x + NODE_W / 2 - scroller.clientWidth / 2;
    }
  }

  private _versions: IArtifactVersion[] = [];
  private _selected: string | null = null;
  private _body: HTMLTableSectionElement;
}

/** A button that selects run `ref` in the runs table. */
export function runLink(ref: string, name?: string | null): HTMLButtonElement {
  const button = el('button', 'nbtrack-RunLink', ref);
  button.type = 'button';
  button.dataset.run = ref;
  button.title = name ? `Select run ${ref} (${name}) in the runs table` : `Select run ${ref} in the runs table`;
  return button;
}

/** A button that selects version `ref` in the Artifacts view. */
export function versionLink(ref: string): HTMLButtonElement {
  const button = el('button', 'nbtrack-VersionLink', ref);
  button.type = 'button';
  button.dataset.ref = ref;
  button.title = `Show ${ref} and its lineage`;
  return button;
}

function edgeNodes(edges: IArtifactEdge[], empty: string): HTMLElement[] {
  if (!edges.length) {
    return [el('span', 'nbtrack-ArtifactDetail-none', empty)];
  }
  return edges.map(edge => {
    const item = el('div', 'nbtrack-ArtifactEdge');
    item.appendChild(runLink(edge.run));
    const where = cellLabel(edge.cell, true);
    if (where) {
      const cell = el('span', 'nbtrack-ArtifactEdge-cell', ` in ${where}`);
      cell.title = cellLabel(edge.cell);
      item.appendChild(cell);
    }
    return item;
  });
}

function treeSection(title: string, kind: string, lines: ILineageLine[], empty: string): HTMLElement {
  const section = el('section', `nbtrack-Lineage nbtrack-Lineage-${kind}`);
  section.appendChild(el('h4', '', title));
  const list = el('ul', '');
  if (!lines.length) {
    list.appendChild(el('li', 'nbtrack-ArtifactDetail-none', empty));
  }
  for (const line of lines) {
    const item = el('li', 'nbtrack-Lineage-line');
    item.style.paddingLeft = `${(line.depth - 1) * 14}px`;
    item.appendChild(el('span', 'nbtrack-Lineage-relation', `${line.relation} `));
    item.appendChild(line.isRun ? runLink(line.node, line.name) : versionLink(line.node));
    if (line.name) {
      item.appendChild(el('span', 'nbtrack-Lineage-name', ` ${line.name}`));
    }
    if (line.repeated) {
      item.appendChild(el('span', 'nbtrack-Lineage-name', ' (see above)'));
    }
    list.appendChild(item);
  }
  section.appendChild(list);
  return section;
}

/**
 * One line under the panel's status for the single selected run: the artifact
 * versions it used (inputs) and made (outputs), each a button that shows the
 * version and its lineage in the Artifacts view (`versionRequested`). Hidden
 * when no single run is selected or it has neither. Read again when another
 * run is selected or the selected run's status changes (a running run's
 * outputs show once it ends or on refresh).
 */
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { IArtifactVersion, IRunArtifacts } from './api';
import { versionLink } from './artifactView';
import { RunsModel } from './model';

export class RunArtifactsView extends Widget {
  constructor(model: RunsModel) {
    super();
    this.model = model;
    this.addClass('nbtrack-RunArtifacts');
    this.node.setAttribute('aria-label', 'Inputs and outputs of the selected run');
    this.node.addEventListener('click', this);
    model.selectionChanged.connect(this._sync, this);
    model.changed.connect(this._sync, this);
    this.hide();
  }

  readonly model: RunsModel;

  /** A version ref was clicked: the panel shows it in the Artifacts view. */
  get versionRequested(): ISignal<this, string> {
    return this._versionRequested;
  }

  handleEvent(event: Event): void {
    const link = (event.target as HTMLElement).closest<HTMLElement>('[data-ref]');
    if (event.type === 'click' && link) {
      this._versionRequested.emit(link.dataset.ref as string);
    }
  }

  /** False while the panel shows another view: the strip stays hidden. */
  get active(): boolean {
    return this._active;
  }

  set active(value: boolean) {
    this._active = value;
    this._key = '';
    if (value) {
      void this._sync();
    } else {
      this.hide();
    }
  }

  dispose(): void {
    this.node.removeEventListener('click', this);
    Signal.clearData(this);
    super.dispose();
  }

  private async _sync(): Promise<void> {
    const selected = this.model.selectedRuns;
    const run = this._active && selected.length === 1 ? selected[0] : null;
    const key = run ? `${run.id}|${run.status}|${run.end}` : '';
    if (key === this._key) {
      return;
    }
    this._key = key;
    if (!run) {
      this.hide();
      return;
    }
    let answer: IRunArtifacts;
    try {
      answer = await this.model.api.runArtifacts(run.id);
    } catch {
      answer = { inputs: [], outputs: [] }; // deleted meanwhile, or an older server
    }
    if (key !== this._key) {
      return; // another run was selected meanwhile, or the view changed
    }
    this._render(answer);
  }

  private _render(answer: IRunArtifacts): void {
    const line = (label: string, kind: string, versions: IArtifactVersion[]) => {
      const part = document.createElement('div');
      part.className = `nbtrack-RunArtifacts-${kind}`;
      const title = document.createElement('span');
      title.className = 'nbtrack-RunArtifacts-label';
      title.textContent = label;
      part.appendChild(title);
      versions.forEach(v => part.appendChild(versionLink(v.ref)));
      return part;
    };
    const parts: HTMLElement[] = [];
    if (answer.inputs.length) {
      parts.push(line('Inputs', 'inputs', answer.inputs));
    }
    if (answer.outputs.length) {
      parts.push(line('Outputs', 'outputs', answer.outputs));
    }
    this.node.replaceChildren(...parts);
    this.setHidden(parts.length === 0);
  }

  private _key = '';
  private _active = true;
  private _versionRequested = new Signal<this, string>(this);
}

/**
 * The frame shared by the Artifacts, Models and Sweeps views: a status line
 * (read out by screen readers), the list in a scroller, and the selected
 * item's detail, each of the status line and the detail filled through its
 * own `ViewLoader` (loading, error in place, stale answers dropped). A run ref
 * clicked in a view is passed on by `runRequested` (the panel selects that
 * run). Class names follow the view's: `nbtrack-ArtifactView` with
 * `-status`, and `nbtrack-Artifact` with `List-scroller` and `Detail`.
 */
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { NbtrackApi } from './api';
import { el } from './dom';
import { ViewLoader } from './viewLoader';

export interface IListDetailOptions {
  /** The view's accessible name: `Artifacts`. */
  label: string;
  /** The view's class: `nbtrack-ArtifactView`. */
  view: string;
  /** The prefix of its list's and detail's classes: `nbtrack-Artifact`. */
  item: string;
  /** The list (a table, or a role=list), put in the scroller. */
  list: HTMLElement;
}

export abstract class ListDetailView extends Widget {
  constructor(api: NbtrackApi, options: IListDetailOptions) {
    super();
    this.api = api;
    this.addClass(options.view);
    this.node.setAttribute('aria-label', options.label);
    this.statusNode = el('div', `${options.view}-status`);
    this.statusNode.setAttribute('aria-live', 'polite');
    const scroller = el('div', `${options.item}List-scroller`);
    scroller.appendChild(options.list);
    this.detailNode = el('div', `${options.item}Detail`);
    this.node.append(this.statusNode, scroller, this.detailNode);
    this.listLoad = new ViewLoader(this.statusNode);
    this.detailLoad = new ViewLoader(this.detailNode);
    this.node.addEventListener('click', this);
  }

  readonly api: NbtrackApi;

  /** A run ref was clicked: the panel selects that run. */
  get runRequested(): ISignal<this, string> {
    return this._runRequested;
  }

  /** Clicks on the view (listened to from the start). */
  abstract handleEvent(event: Event): void;

  dispose(): void {
    this.node.removeEventListener('click', this);
    Signal.clearData(this);
    super.dispose();
  }

  /** Ask the panel to select run `ref`. */
  protected requestRun(ref: string): void {
    this._runRequested.emit(ref);
  }

  protected readonly statusNode: HTMLElement;
  protected readonly detailNode: HTMLElement;
  protected readonly listLoad: ViewLoader;
  protected readonly detailLoad: ViewLoader;
  private _runRequested = new Signal<this, string>(this);
}

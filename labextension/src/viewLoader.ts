/**
 * One part of a panel view read from the REST API (a list's status line, the
 * selected item's detail), with the scaffolding every view needs around the
 * request: while nothing of the asked key is shown yet the part says it is
 * loading; a failure shows the error's text in place (the server's words,
 * which say what to do); an answer overtaken by a newer request is dropped.
 * A refresh of the key already shown keeps it until the answer arrives (no
 * flicker while polling). Messages are set as text, never as HTML.
 */
import { el } from './dom';

/** How a load ended: its answer shown, its error shown, or overtaken (nothing done). */
export type LoadResult = 'shown' | 'failed' | 'stale';

/** An error's text for the user (an `ApiError` carries the server's message). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class ViewLoader {
  /** `node` is where the loading and error text go (replacing its children). */
  constructor(readonly node: HTMLElement) {}

  /** The key whose answer or error the node shows, or null. */
  get shown(): string | null {
    return this._shown;
  }

  /**
   * Read `key` with `read` and hand the answer to `show` (which renders it),
   * unless a newer `load` or `clear` came meanwhile.
   */
  async load<T>(
    key: string,
    read: () => Promise<T>,
    show: (value: T) => void,
    loading: string
  ): Promise<LoadResult> {
    const token = ++this._token;
    if (key !== this._shown) {
      this._shown = null;
      this.node.replaceChildren(el('div', 'nbtrack-mod-loading', loading));
    }
    let value: T;
    try {
      value = await read();
    } catch (error) {
      if (token !== this._token) {
        return 'stale';
      }
      this._shown = key;
      this.node.replaceChildren(el('div', 'nbtrack-mod-error', errorText(error)));
      return 'failed';
    }
    if (token !== this._token) {
      return 'stale';
    }
    this._shown = key;
    show(value);
    return 'shown';
  }

  /** Drop the request in flight, if any, and empty the node. */
  clear(): void {
    ++this._token;
    this._shown = null;
    this.node.replaceChildren();
  }

  private _token = 0;
  private _shown: string | null = null;
}

/**
 * @jest-environment jsdom
 */
import { ApiError } from '../api';
import { ViewLoader } from '../viewLoader';

/** A promise answered when the test says so (a request in flight). */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const EVIL = '<img src=x onerror=alert(1)>';

describe('ViewLoader', () => {
  it('says it is loading, then shows the answer', async () => {
    const node = document.createElement('div');
    const loader = new ViewLoader(node);
    const answer = deferred<string>();
    const shown: string[] = [];
    const done = loader.load('a', () => answer.promise, v => shown.push(v), 'Loading a…');
    expect(node.textContent).toBe('Loading a…');
    expect(node.querySelector('.nbtrack-mod-loading')).not.toBeNull();
    answer.resolve('A');
    await expect(done).resolves.toBe('shown');
    expect(shown).toEqual(['A']);
    expect(loader.shown).toBe('a');
  });

  it('shows the error as text in place: the server\'s words, with what to do', async () => {
    const node = document.createElement('div');
    const loader = new ViewLoader(node);
    const show = jest.fn();
    // What NbtrackApi.response throws for a missing route (api.spec.ts checks every client does).
    const missing = new ApiError(
      'nbtrack: the server extension is not enabled (`jupyter server extension list` should list nbtrack)',
      404
    );
    const read = await loader.load('sweeps', async () => Promise.reject(missing), show, 'Loading sweeps…');
    expect(read).toBe('failed');
    expect(show).not.toHaveBeenCalled();
    const error = node.querySelector('.nbtrack-mod-error');
    expect(error?.textContent).toBe(missing.message);
    expect(node.querySelector('.nbtrack-mod-loading')).toBeNull();
    // The server's words are text, never HTML.
    await loader.load('x', async () => Promise.reject(new ApiError(EVIL, 400)), show, 'Loading x…');
    expect(node.textContent).toBe(EVIL);
    expect(node.querySelector('img')).toBeNull();
  });

  it('drops an answer overtaken by a newer request, answered or failed', async () => {
    const node = document.createElement('div');
    const loader = new ViewLoader(node);
    const first = deferred<string>();
    const second = deferred<string>();
    const shown: string[] = [];
    const a = loader.load('a', () => first.promise, v => shown.push(v), 'Loading a…');
    const b = loader.load('b', () => second.promise, v => shown.push(v), 'Loading b…');
    expect(node.textContent).toBe('Loading b…');
    second.resolve('B');
    await expect(b).resolves.toBe('shown');
    first.resolve('A');
    await expect(a).resolves.toBe('stale');
    expect(shown).toEqual(['B']);
    // A failure overtaken shows nothing either; clear() drops what is in flight.
    const third = deferred<string>();
    const c = loader.load('c', () => third.promise, v => shown.push(v), 'Loading c…');
    loader.clear();
    third.reject(new Error('gone'));
    await expect(c).resolves.toBe('stale');
    expect(node.childNodes.length).toBe(0);
    expect(shown).toEqual(['B']);
  });

  it('keeps what it shows while the same key is read again (no flicker while polling)', async () => {
    const node = document.createElement('div');
    const loader = new ViewLoader(node);
    await loader.load('a', async () => 'A', v => (node.textContent = v), 'Loading a…');
    const again = deferred<string>();
    const done = loader.load('a', () => again.promise, v => (node.textContent = v), 'Loading a…');
    expect(node.textContent).toBe('A');
    again.resolve('A2');
    await done;
    expect(node.textContent).toBe('A2');
    // A failure of the shown key stays until the next answer replaces it.
    await loader.load('a', async () => Promise.reject(new Error('down')), () => undefined, 'Loading a…');
    const retry = loader.load('a', async () => 'A3', v => (node.textContent = v), 'Loading a…');
    expect(node.textContent).toBe('down');
    await retry;
    expect(node.textContent).toBe('A3');
  });
});

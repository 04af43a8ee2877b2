/**
 * The runs the panel is verifying: started with `POST runs/{ref}/verify`,
 * checked on each poll of the model (`GET runs/{ref}/verify`) until the
 * server's subprocess stops; then the run is read again (with its new
 * verdict) and the caller learns how it ended.
 */
import { ApiError, IRun, NbtrackApi } from './api';

export interface IVerifyResult {
  /** The run as read after the verify ended (with its verdict), if it still exists. */
  run: IRun | null;
  /** Why the verify stopped without a verdict (no snapshot...), or null. */
  error: string | null;
}

export class Verifications {
  constructor(api: NbtrackApi) {
    this._api = api;
  }

  /** Whether a verify the panel started on the run still runs. */
  has(id: string): boolean {
    return this._pending.has(id);
  }

  get size(): number {
    return this._pending.size;
  }

  /**
   * Ask the server to verify the run; once it accepted, `done` resolves when
   * the verify ended (see `check`). (Wrapped: an async function returning a
   * promise would wait for it.)
   */
  async start(id: string): Promise<{ done: Promise<IVerifyResult> }> {
    const pending = this._pending.get(id);
    if (pending) {
      return { done: pending.done };
    }
    await this._api.verifyRun(id); // throws: 409 (verifying elsewhere), 404...
    let resolve!: (result: IVerifyResult) => void;
    const done = new Promise<IVerifyResult>(r => (resolve = r));
    this._pending.set(id, { done, resolve });
    return { done };
  }

  /** The runs whose verify ended since the last check, read again. */
  async check(): Promise<IRun[]> {
    const ended: IRun[] = [];
    for (const [id, entry] of Array.from(this._pending)) {
      let error: string | null;
      try {
        const job = await this._api.verifyJob(id);
        if (job.running) {
          continue;
        }
        error = job.error;
      } catch (reason) {
        if (!(reason instanceof ApiError && reason.status === 404)) {
          continue; // the server did not answer: ask again on the next poll
        }
        error = reason.message; // the run was deleted
      }
      let run: IRun | null = null;
      try {
        run = await this._api.getRun(id);
        ended.push(run);
      } catch {
        // deleted meanwhile
      }
      this._pending.delete(id);
      entry.resolve({ run, error });
    }
    return ended;
  }

  private _api: NbtrackApi;
  private _pending = new Map<
    string,
    { done: Promise<IVerifyResult>; resolve: (result: IVerifyResult) => void }
  >();
}

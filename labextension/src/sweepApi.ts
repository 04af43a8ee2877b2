/**
 * The sweep endpoints of the REST API (nbtrack/server/sweep_handlers.py): the
 * sweeps, and one sweep's trials, best-so-far series and parameter importances.
 * Requests go through `ServerConnection.makeRequest` (token and XSRF header).
 */
import { ServerConnection } from '@jupyterlab/services';

import { ApiError, NbtrackApi } from './api';

export interface ISweepSummary {
  sweep: string;
  method: string;
  target: string;
  metric: string | null;
  goal: 'max' | 'min' | null;
  trials: number;
  finished: number;
  pruned: number;
  failed: number;
  running: number;
  best: number | null;
  best_run: string | null;
  started: number;
}

export interface ISweepTrial {
  run: string;
  run_id: string;
  trial: number | null;
  state: string;
  params: { [name: string]: unknown };
  value: number | null;
}

export interface ISweepDetail {
  summary: ISweepSummary;
  trials: ISweepTrial[];
  best_so_far: { trial: number | null; value: number; best: number }[];
  importances: { [param: string]: number } | null;
  importances_reason: string | null;
}

async function getJson<T>(api: NbtrackApi, path: string): Promise<T> {
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(api.url(path), {}, api.settings);
  } catch (error) {
    throw new ApiError(`nbtrack: the Jupyter server did not answer (${String(error)})`, 0);
  }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const data = (await response.json()) as { message?: unknown };
      if (typeof data.message === 'string' && data.message) {
        message = data.message;
      }
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(message, response.status);
  }
  return (await response.json()) as T;
}

export async function listSweeps(api: NbtrackApi): Promise<ISweepSummary[]> {
  return (await getJson<{ sweeps: ISweepSummary[] }>(api, 'sweeps')).sweeps;
}

export async function getSweep(api: NbtrackApi, id: string): Promise<ISweepDetail> {
  return getJson<ISweepDetail>(api, `sweeps/${encodeURIComponent(id)}`);
}

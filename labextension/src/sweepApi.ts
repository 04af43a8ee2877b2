/**
 * The sweep endpoints of the REST API (nbtrack/server/sweep_handlers.py): the
 * sweeps, and one sweep's trials, best-so-far series and parameter importances.
 * Requests go through `NbtrackApi.response` (token, XSRF header, errors as an
 * `ApiError` in the server's words).
 */

import { NbtrackApi } from './api';

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
  return (await (await api.response(api.url(path))).json()) as T;
}

export async function listSweeps(api: NbtrackApi): Promise<ISweepSummary[]> {
  return (await getJson<{ sweeps: ISweepSummary[] }>(api, 'sweeps')).sweeps;
}

export async function getSweep(api: NbtrackApi, id: string): Promise<ISweepDetail> {
  return getJson<ISweepDetail>(api, `sweeps/${encodeURIComponent(id)}`);
}

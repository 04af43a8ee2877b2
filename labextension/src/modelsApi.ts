/**
 * The model registry endpoints of the REST API (nbtrack/server/model_handlers.py):
 * the registered versions of every model, one model (versions, aliases,
 * alias history, each version's source run and snapshot), and moving an
 * alias. Every call goes through `NbtrackApi.response` (token and XSRF
 * header); a refused move throws an `ApiError` with the server's words.
 */

import { encodeRef, NbtrackApi } from './api';

/** One registered version in the listing (`GET models`). */
export interface IRegistryRow {
  model: string;
  version: number;
  aliases: string[];
  /** The logged model it points at: `digits-mlp:v3`. */
  source: string;
  flavor: string | null;
  /** The run that logged it (`train#4`), null when logged outside a run. */
  run: string | null;
  run_name: string | null;
  run_id: string | null;
  /** When it was linked (epoch seconds) and by whom. */
  linked: number;
  user: string | null;
}

/** The logged model behind a registered version. */
export interface IModelSource {
  ref: string;
  name: string;
  version: number;
  type: string;
  hash: string;
  size: number;
  created: number;
  aliases: string[];
  flavor: string | null;
  format: string | null;
  class: string | null;
  libraries: { [name: string]: string };
  signature: unknown;
  run: string | null;
  run_name: string | null;
  /** The commit of the run's notebook snapshot, null when it has none. */
  snapshot: string | null;
  cell: { run?: string; notebook?: string; execution_count?: number | null } | null;
}

export interface IModelVersion {
  version: number;
  aliases: string[];
  linked: number;
  user: string | null;
  /** Null when the logged model is gone. */
  source: IModelSource | null;
}

/** One alias move: set (from null), moved, or removed (to null). */
export interface IAliasMove {
  time: number;
  user: string | null;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  /** The run that moved it (from code in a %%track cell), else null. */
  run: string | null;
}

/** One registered model (`GET models/{name}`). */
export interface IModelDetail {
  name: string;
  versions: IModelVersion[];
  /** alias -> the version holding it. */
  aliases: { [alias: string]: number };
  /** Oldest first. */
  history: IAliasMove[];
}

/** What `POST models/{name}/aliases` answers. */
export interface IAliasMoved {
  name: string;
  alias: string;
  version: number;
  from_version: number | null;
}

async function call<T>(api: NbtrackApi, url: string, init: RequestInit = {}): Promise<T> {
  return (await (await api.response(url, init)).json()) as T;
}

/** Every registered version, by model then version number. */
export async function listModels(api: NbtrackApi): Promise<IRegistryRow[]> {
  const answer = await call<{ models: IRegistryRow[] }>(api, api.url('models'));
  return answer.models;
}

export async function getModel(api: NbtrackApi, name: string): Promise<IModelDetail> {
  return call<IModelDetail>(api, api.url(`models/${encodeRef(name)}`));
}

/** Point `alias` of model `name` at `version`; the server records who moved it. */
export async function moveAlias(
  api: NbtrackApi,
  name: string,
  alias: string,
  version: number
): Promise<IAliasMoved> {
  return call<IAliasMoved>(api, api.url(`models/${encodeRef(name)}/aliases`), {
    method: 'POST',
    body: JSON.stringify({ alias, version }),
    headers: { 'Content-Type': 'application/json' }
  });
}

/**
 * The client of nbtrack's REST API (`<base_url>/nbtrack/api/`), the only
 * place that talks to the server. Every call goes through
 * `ServerConnection.makeRequest`, which adds the token and the XSRF header.
 *
 * Responses are normalised here once: non-finite floats ("NaN", "Infinity",
 * "-Infinity" in strict JSON) become numbers in metric summaries and series.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { JSONValue, toNumber, toNumberOrNull } from './format';

export type RunStatus =
  | 'running'
  | 'finished'
  | 'failed'
  | 'interrupted'
  | 'crashed'
  /** Stopped early by a search sweep's pruner. */
  | 'pruned';

export interface IMetricSummary {
  last: number;
  last_step: number | null;
  min: number;
  max: number;
  count: number;
}

export interface IRun {
  id: string;
  ref: string;
  name: string;
  status: RunStatus;
  experiment: string;
  notebook: string;
  start: number;
  end: number | null;
  duration: number | null;
  tags: string[];
  notes: string;
  params: { [key: string]: JSONValue };
  metrics: { [key: string]: IMetricSummary };
  snapshot: string | null;
  /** The id of the sweep that made the run, and its parameter combination (from 1). */
  sweep: string | null;
  trial: number | null;
  /** Who ran it (the JupyterHub user, else the OS user) and on which machine; null
   * for runs recorded before nbtrack kept them (and from older servers). */
  user?: string | null;
  host?: string | null;
  /** `nbtrack verify`'s verdict in short, null when never verified nor flagged. */
  verdict?: string | null;
  /** Set by the panel (not the server) while a Verify it started runs. */
  verifying?: boolean;
}

export interface IRunDetail extends IRun {
  error: string | null;
  cell_source: string | null;
  git: JSONValue;
  environment: JSONValue;
  /** `nbtrack verify`'s entry (verdict, detail, checked_at, stale), null if none. */
  verification?: JSONValue;
}

/** The server's verify subprocess of a run (`GET runs/{ref}/verify`). */
export interface IVerifyJob {
  running: boolean;
  exit_code: number | null;
  /** Why it stopped without a verdict (no snapshot...), or null. */
  error: string | null;
}

export interface IRunsQuery {
  limit?: number;
  offset?: number;
  sort?: string;
  order?: 'asc' | 'desc';
  q?: string;
  status?: RunStatus;
  /** The `cursor` of an earlier answer: only runs that may have changed since. */
  changed_since?: string;
}

export interface IRunsPage {
  runs: IRun[];
  /** Runs matching q and status, all pages. */
  total: number;
  /** Param keys of all the store's runs. */
  params: string[];
  /** Metric keys of all the store's runs. */
  metrics: string[];
  /** Pass as `changed_since` to ask only for what changed since this answer. */
  cursor: string;
}

export interface ISeriesData {
  step: number[];
  value: number[];
  time: number[];
}

export interface IMetricsQuery {
  keys?: string[];
  after?: string | null;
  maxPoints?: number;
}

export interface IMetricsChunk {
  cursor: string;
  series: { [key: string]: ISeriesData };
  downsampled: boolean;
}

export interface IMetricDiff {
  a: IMetricSummary | null;
  b: IMetricSummary | null;
  delta: { last: number | null; min: number | null };
  changed: boolean;
}

export interface ITextDiff {
  path: string;
  unified: string;
}

export interface ICellChange {
  change: string;
  base_index: number | null;
  index: number | null;
  cell_type: string;
  first_line: string;
  parts: string[];
}

export interface INotebookDiffData {
  base: { [key: string]: JSONValue };
  diff: JSONValue[];
  cells: ICellChange[];
  metadata_changed: boolean;
}

export interface IRunDiff {
  params: {
    changed: { [key: string]: { old: JSONValue; new: JSONValue } };
    added: { [key: string]: JSONValue };
    removed: { [key: string]: JSONValue };
  };
  metrics: { [key: string]: IMetricDiff };
  cell: ITextDiff | null;
  script: ITextDiff | null;
  notebook: INotebookDiffData | null;
  /** The artifact versions the runs used differently; null from an older server. */
  inputs?: IInputsDiff | null;
}

/** By artifact name: `changed` {name: {old, new}}, `added` (only b used), `removed`, `same`. */
export interface IInputsDiff {
  changed: { [name: string]: { old: string; new: string } };
  added: { [name: string]: string };
  removed: { [name: string]: string };
  same: { [name: string]: string };
}

export interface ISnapshot {
  commit: string;
  notebook: { [key: string]: JSONValue };
}

export interface IRunPatch {
  name?: string;
  tags?: string[];
  notes?: string;
}

export type ArtifactKind = 'file' | 'folder' | 'dataset';

/** One version of an artifact (`name:vN`), as listed. */
export interface IArtifactVersion {
  /** `name:vN`. */
  ref: string;
  id: string;
  name: string;
  type: string;
  version: number;
  kind: ArtifactKind;
  /** BLAKE3 of the file or of the folder's manifest. */
  hash: string;
  size: number;
  files: number;
  /** False for a project path recorded by hash only (`use_artifact` of a path). */
  stored: boolean;
  aliases: string[];
  /** The ref of the run that made it, null when logged outside a run. */
  made_by: string | null;
  created: number;
}

/** The tracked cell of a made/used edge. */
export interface IArtifactCell {
  run?: string;
  notebook?: string;
  execution_count?: number | null;
}

/** A run that made or used a version, and in which cell. */
export interface IArtifactEdge {
  run: string;
  run_id: string;
  cell: IArtifactCell | null;
}

/** One version in full: storage, alias history, who made and used it. */
export interface IArtifactDetail extends IArtifactVersion {
  unique_bytes: number;
  shared_bytes: number;
  /** Every move of an alias of this artifact, oldest first. */
  alias_history: IAliasMove[];
  made_by_runs: IArtifactEdge[];
  used_by: IArtifactEdge[];
  /** For datasets: rows, schema and a preview. */
  meta: { rows?: number; schema?: { name: string; dtype: string }[]; preview?: IDatasetPreview };
}

/** An alias moved from one version to another (`from_version` null on its first use). */
export interface IAliasMove {
  alias: string;
  from_version: number | null;
  version: number;
  time: number;
  /** The run that moved it; null outside a run or once the run is deleted. */
  run: string | null;
  /** Who ran that run. */
  user: string | null;
}

/** A dataset's first rows, as pandas' "split" orient. */
export interface IDatasetPreview {
  columns: JSONValue[];
  index?: JSONValue[];
  data: JSONValue[][];
}

/** What made a version and what used it, transitively (see `lineage.ts`). */
export interface ILineage {
  root: string;
  versions: {
    [ref: string]: { id: string; name: string; version: number; type: string; hash: string; size: number };
  };
  runs: { [ref: string]: { id: string; name: string | null } };
  /** [from, to, kind]: run -> version for "made", version -> run for "used". */
  edges: [string, string, 'made' | 'used'][];
  upstream: string[];
  downstream: string[];
}

/** The versions a run used and made. */
export interface IRunArtifacts {
  inputs: IArtifactVersion[];
  outputs: IArtifactVersion[];
}

/** An error answer of the API, with the server's message. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The path segment of a run reference: `train#4` -> `train%234`. */
export function encodeRef(ref: string): string {
  return encodeURIComponent(ref);
}

export class NbtrackApi {
  constructor(settings?: ServerConnection.ISettings) {
    this.settings = settings ?? ServerConnection.makeSettings();
  }

  readonly settings: ServerConnection.ISettings;

  /** One page of runs (limit <= 10000) with the param and metric keys. */
  async listRuns(query: IRunsQuery = {}): Promise<IRunsPage> {
    const page = await this.request<IRunsPage>('runs', { query: { ...query } });
    page.runs = page.runs.map(normalizeRun);
    return page;
  }

  async getRun(ref: string): Promise<IRunDetail> {
    return normalizeRun(
      await this.request<IRunDetail>(`runs/${encodeRef(ref)}`)
    );
  }

  /** Metric points; pass the previous `cursor` as `after` for new points only. */
  async metrics(ref: string, query: IMetricsQuery = {}): Promise<IMetricsChunk> {
    const chunk = await this.request<IMetricsChunk>(
      `runs/${encodeRef(ref)}/metrics`,
      {
        query: {
          keys: query.keys?.length ? query.keys.join(',') : undefined,
          after: query.after ?? undefined,
          max_points: query.maxPoints
        }
      }
    );
    for (const key of Object.keys(chunk.series)) {
      const s = chunk.series[key];
      s.value = s.value.map(toNumber);
    }
    return chunk;
  }

  async diff(a: string, b: string): Promise<IRunDiff> {
    const diff = await this.request<IRunDiff>('diff', { query: { a, b } });
    for (const key of Object.keys(diff.metrics)) {
      const m = diff.metrics[key];
      m.a = m.a && normalizeSummary(m.a);
      m.b = m.b && normalizeSummary(m.b);
      m.delta = {
        last: toNumberOrNull(m.delta.last),
        min: toNumberOrNull(m.delta.min)
      };
    }
    return diff;
  }

  /** The run's snapshot notebook, or null when the run has none. */
  async snapshot(ref: string): Promise<ISnapshot | null> {
    try {
      return await this.request<ISnapshot>(`runs/${encodeRef(ref)}/snapshot`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        return null;
      }
      throw error;
    }
  }

  async updateRun(ref: string, patch: IRunPatch): Promise<IRun> {
    return normalizeRun(
      await this.request<IRun>(`runs/${encodeRef(ref)}`, {
        method: 'PATCH',
        body: patch
      })
    );
  }

  async deleteRun(ref: string): Promise<void> {
    await this.request<null>(`runs/${encodeRef(ref)}`, { method: 'DELETE' });
  }

  /** Artifact versions by name then version number; `name` keeps one artifact's. */
  async listArtifacts(name?: string): Promise<IArtifactVersion[]> {
    const answer = await this.request<{ artifacts: IArtifactVersion[] }>('artifacts', {
      query: { name }
    });
    return answer.artifacts;
  }

  /** One version (`name`, `name:v2`, `name:latest`, `name:<alias>`, `name:<hash prefix>`). */
  async getArtifact(ref: string): Promise<IArtifactDetail> {
    return this.request<IArtifactDetail>(`artifacts/${encodeRef(ref)}`);
  }

  async lineage(ref: string): Promise<ILineage> {
    return this.request<ILineage>(`artifacts/${encodeRef(ref)}/lineage`);
  }

  /** The versions a run used (inputs) and made (outputs). */
  async runArtifacts(ref: string): Promise<IRunArtifacts> {
    return this.request<IRunArtifacts>(`runs/${encodeRef(ref)}/artifacts`);
  }

  /** Start `nbtrack verify` on the run in the server (409 while one runs). */
  async verifyRun(ref: string): Promise<void> {
    await this.request<{ started: boolean }>(`runs/${encodeRef(ref)}/verify`, {
      method: 'POST'
    });
  }

  /** Whether the server's verify of the run still runs, and how it ended. */
  async verifyJob(ref: string): Promise<IVerifyJob> {
    return this.request<IVerifyJob>(`runs/${encodeRef(ref)}/verify`);
  }

  /** The full URL of an API path with its query string (undefined values left out). */
  url(path: string, query: { [key: string]: unknown } = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') {
        params.set(key, String(value));
      }
    }
    const search = params.toString();
    const base = URLExt.join(this.settings.baseUrl, 'nbtrack', 'api', path);
    return search ? `${base}?${search}` : base;
  }

  /**
   * The server's answer to `url` (made by `url()`), through
   * `ServerConnection.makeRequest`: an ok response, or an ApiError in the
   * server's words (with what to do when the server extension is missing).
   */
  async response(url: string, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this.settings);
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
        // Not JSON (a proxy's page, say): keep the status line.
      }
      if (response.status === 404 && message.startsWith('404')) {
        message =
          'nbtrack: the server extension is not enabled ' +
          '(`jupyter server extension list` should list nbtrack)';
      }
      throw new ApiError(message, response.status);
    }
    return response;
  }

  private async request<T>(
    path: string,
    options: {
      method?: string;
      query?: { [key: string]: unknown };
      body?: unknown;
    } = {}
  ): Promise<T> {
    const init: RequestInit = { method: options.method ?? 'GET' };
    if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    const response = await this.response(this.url(path, options.query), init);
    if (response.status === 204) {
      return null as T;
    }
    const text = await response.text();
    return (text ? JSON.parse(text) : null) as T;
  }
}

function normalizeSummary(summary: IMetricSummary): IMetricSummary {
  return {
    last: toNumber(summary.last),
    last_step: summary.last_step ?? null,
    min: toNumber(summary.min),
    max: toNumber(summary.max),
    count: summary.count
  };
}

/** Fill defaults and turn non-finite strings of metric summaries into numbers. */
export function normalizeRun<T extends IRun>(run: T): T {
  const metrics: { [key: string]: IMetricSummary } = {};
  for (const key of Object.keys(run.metrics ?? {})) {
    metrics[key] = normalizeSummary(run.metrics[key]);
  }
  run.metrics = metrics;
  run.params = run.params ?? {};
  run.tags = run.tags ?? [];
  run.notes = run.notes ?? '';
  run.duration = toNumberOrNull(run.duration);
  run.end = toNumberOrNull(run.end);
  return run;
}

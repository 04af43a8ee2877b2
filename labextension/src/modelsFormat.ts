/**
 * Pure helpers of the Models view: the registry listing grouped by model,
 * how an alias move reads, and the words of a move the form refuses before
 * asking the server. No DOM, no Jupyter imports (tested in jest).
 */
import { IAliasMove, IRegistryRow } from './modelsApi';

/** One registered model in the list: its version count and aliases now. */
export interface IModelSummary {
  name: string;
  versions: number;
  latest: number;
  /** [alias, version], by alias. */
  aliases: [string, number][];
  /** The newest version's logged model and run. */
  source: string;
  run: string | null;
  linked: number;
}

/** The listing (one row per version, by model then version) as one entry per model. */
export function summarize(rows: readonly IRegistryRow[]): IModelSummary[] {
  const byName = new Map<string, IModelSummary>();
  for (const row of rows) {
    let entry = byName.get(row.model);
    if (!entry) {
      entry = {
        name: row.model, versions: 0, latest: row.version, aliases: [],
        source: row.source, run: row.run, linked: row.linked
      };
      byName.set(row.model, entry);
    }
    entry.versions += 1;
    if (row.version >= entry.latest) {
      entry.latest = row.version;
      entry.source = row.source;
      entry.run = row.run;
      entry.linked = row.linked;
    }
    for (const alias of row.aliases) {
      entry.aliases.push([alias, row.version]);
    }
  }
  const out = Array.from(byName.values());
  out.forEach(m => m.aliases.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A version number as the registry writes it: `v2`, or `-` for none. */
export function vLabel(version: number | null): string {
  return version === null ? '-' : `v${version}`;
}

/** How a move reads: `v1 → v2`, `set on v1`, `removed from v2`. */
export function moveText(move: Pick<IAliasMove, 'from_version' | 'to_version'>): string {
  if (move.from_version === null && move.to_version !== null) {
    return `set on v${move.to_version}`;
  }
  if (move.to_version === null && move.from_version !== null) {
    return `removed from v${move.from_version}`;
  }
  return `${vLabel(move.from_version)} → ${vLabel(move.to_version)}`;
}

/**
 * Why the form cannot send this move (words for the user), or null when it can.
 * The server checks the alias itself; this only catches what needs no server.
 */
export function moveProblem(
  alias: string,
  version: number | null,
  aliases: { [alias: string]: number }
): string | null {
  if (!alias) {
    return 'Type an alias to move (production, candidate...)';
  }
  if (version === null) {
    return 'Choose the version the alias should point at';
  }
  if (aliases[alias] === version) {
    return `${alias} already points at v${version}`;
  }
  return null;
}

/** A commit as shown: its first 8 hex digits. */
export function shortCommit(commit: string | null): string {
  return commit ? commit.slice(0, 8) : '';
}

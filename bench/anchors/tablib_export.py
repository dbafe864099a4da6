"""tablib anchor: the rows of procurement_demand (the columns our export writes, references as
their names, the enum as its label) into a tablib Dataset in memory, exported as xlsx or csv:
what django-import-export's export does after its queryset.

Runs in the bench-only environment (instance/bench-anchor-venv).
Usage: tablib_export.py xlsx|csv OUT; prints one BENCH-RESULT line with time and peak RSS.
"""

import json
import os
import resource
import sys
import time
from urllib.parse import urlsplit

import psycopg
import tablib

HEADERS = ["需求编号", "品规", "类型", "2020年采购量", "预采购量", "联系人身份证号", "签订日期",
           "备注", "所属机构"]
KIND = {"new": "新增", "renew": "续签"}


def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    fmt, out = sys.argv[1], sys.argv[2]
    url = os.environ["BENCH_DB_URL"]
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the anchors talk to the loopback interface only")
    start_rss = peak()
    started = time.perf_counter()
    dataset = tablib.Dataset(headers=HEADERS)
    with psycopg.connect(url) as conn, conn.cursor(name="rows") as cursor:
        cursor.itersize = 2000
        cursor.execute(
            "SELECT d.code, r.name, d.kind, d.baseline, d.planned, d.contact_id, d.signed_on, "
            "d.note, o.name FROM procurement_demand d JOIN procurement_drug r ON "
            "r.id = d.drug_id LEFT JOIN org_organisation o ON o.id = d.org_id ORDER BY d.id")
        for row in cursor:
            row = list(row)
            row[2] = KIND.get(row[2], row[2])
            dataset.append(row)
    data = dataset.export(fmt)
    with open(out, "wb") as fh:
        fh.write(data if isinstance(data, bytes) else data.encode("utf-8-sig"))
    seconds = time.perf_counter() - started
    print("BENCH-RESULT " + json.dumps({
        "seconds": seconds, "rows": len(dataset), "bytes": os.path.getsize(out),
        "start_rss_mb": start_rss, "peak_rss_mb": peak()}))


if __name__ == "__main__":
    main()

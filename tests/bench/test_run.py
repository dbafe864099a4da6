"""bench/run.py --merge: one scenario re-measured into the report, the others kept."""

from bench import run

OLD = """# Performance

## Targets

| scenario | case | ours | target | met? |
|---|---|---|---|---|
| 1. Start | fresh | 8.15 s | ≤ 3 s | **no** |
| 8. Notices | fan-out | 9.0 s | ≤ 10 s | yes |

## 1. Start

old one

## 8. Notices

old eight
"""

NEW = """# Performance

## Targets

| scenario | case | ours | target | met? |
|---|---|---|---|---|
| 8. Notices | fan-out | 7.2 s | ≤ 10 s | yes |
| 9. Todo | counts | 30 ms | ≤ 50 ms | yes |

## 8. Notices

new eight

## 9. Todo

new nine
"""


def test_merge_replaces_the_scenarios_run_and_keeps_the_others() -> None:
    merged = run.merge(OLD, NEW, [8, 9], "2026-12-07", "abc1234", ("1.0", "2.0"))
    assert "old one" in merged and "8.15 s" in merged
    assert "old eight" not in merged and "9.0 s" not in merged
    assert merged.index("| 1. Start") < merged.index("| 8. Notices | fan-out | 7.2 s") \
        < merged.index("| 9. Todo") < merged.index("## 1. Start")
    assert merged.index("## 1. Start") < merged.index("new eight") < merged.index("new nine")
    assert "`python -m bench.run --only 8 --merge`): 2026-12-07, commit abc1234" in merged
    assert run.merge(merged, NEW, [8, 9], "2026-12-07", "abc1234", ("1.0", "2.0")) == merged

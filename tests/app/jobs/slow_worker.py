"""`flask worker` whose jobs pause after every chunk of rows they report, so that a test can
kill it while an import is surely half-way (on a loaded machine 20,000 rows can otherwise be
done before the signal arrives)."""

from __future__ import annotations

import sys
import time
from typing import Any

from flask.cli import main

from app.jobs import runner

_progress = runner.Beat.progress


def _slow(self: Any, done: int) -> None:
    _progress(self, done)
    time.sleep(0.2)


runner.Beat.progress = _slow  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.argv = ["flask", "--app", "wsgi", "worker", *sys.argv[1:]]
    main()

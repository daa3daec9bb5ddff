"""A worker process for the crash test: the real worker loop (one item per batch) and the real beancount
target, except that ``post`` lingers after writing — so a ``kill -9`` lands between posting and recording the result."""

from __future__ import annotations

import argparse
import datetime as dt
import threading
import time
from collections.abc import Mapping
from typing import Any

from ledgerlink.export.targets import open_target
from ledgerlink.export.worker import run_forever
from ledgerlink.store.database import Database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("--lease", type=float, default=1.0)
    parser.add_argument("--linger", type=float, default=0.4)
    args = parser.parse_args()

    def lingering(config: Mapping[str, Any]) -> Any:
        target = open_target(config)
        post = target.post

        def post_then_linger(entries: Any, status: Any) -> list[str]:
            ids = post(entries, status)
            time.sleep(args.linger)
            return ids

        target.post = post_then_linger  # type: ignore[method-assign]
        return target

    db = Database.from_url(args.database_url)
    run_forever(db, stop=threading.Event(), poll_seconds=0.05, worker_id="crashing",
                lease=dt.timedelta(seconds=args.lease), open_target=lingering, batch_size=1)


if __name__ == "__main__":
    main()

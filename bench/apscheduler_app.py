#!/usr/bin/env python3
"""The APScheduler 3.x side of bench/clock_vs_apscheduler.sh.

  apscheduler_app.py every JOBS STAMPS   JOBS interval jobs (1 s, on whole seconds) appending `date`
  apscheduler_app.py cron JOBS           JOBS daily cron jobs running `true`; prints "running"
"""

import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger


def shell(command):
    subprocess.run(["bash", "-c", command], check=False)


def main(argv):
    mode, jobs = argv[0], int(argv[1])
    scheduler = BlockingScheduler(
        executors={"default": ThreadPoolExecutor(max(20, jobs if mode == "every" else 20))},
        timezone=timezone.utc,
    )
    if mode == "every":
        stamps = argv[2]
        # Whole seconds, like the clock's epoch-aligned `every: 1s`.
        start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=1)
        for i in range(jobs):
            scheduler.add_job(
                shell,
                IntervalTrigger(seconds=1, start_date=start),
                args=[f"date +%s.%N >> {stamps}"],
                id=f"stamp-{i}",
                max_instances=1,
            )
    else:
        for i in range(jobs):
            scheduler.add_job(
                shell,
                CronTrigger(minute=i % 60, hour=(i // 60) % 24, timezone=timezone.utc),
                args=["true"],
                id=f"daily-{i}",
            )
    scheduler.add_listener(lambda _: print("running", flush=True), EVENT_SCHEDULER_STARTED)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    scheduler.start()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Takeover time between two `clock` processes sharing a store (standard library only).

  store_takeover.py CLOCK CONFIG_DIR term|kill [ROUNDS]

Starts clock A, waits for `event=leader state=acquired`, starts clock B, waits for
`event=standby`, then sends A SIGTERM (term) or SIGKILL (kill) and measures the time
until B logs `event=leader state=acquired`. DATABASE_URL must name the store's database.
"""

import os
import signal
import subprocess
import sys
import time


def start(clock, workdir, dyno):
    env = dict(os.environ, DYNO=dyno)
    return subprocess.Popen(
        [clock, "--timestamps", "--config", os.path.join(workdir, "clock.yml")],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(proc, words, bound=60.0):
    deadline = time.time() + bound
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if all(word in line.split() for word in words):
            return time.time()
    raise SystemExit(f"no line with {words}")


def round_trip(clock, workdir, mode, n):
    a = start(clock, workdir, f"clock.a{n}")
    wait_for(a, ["event=leader", "state=acquired"])
    b = start(clock, workdir, f"clock.b{n}")
    wait_for(b, ["event=standby"])
    time.sleep(1.0)
    sent = time.time()
    a.send_signal(signal.SIGTERM if mode == "term" else signal.SIGKILL)
    took = wait_for(b, ["event=leader", "state=acquired"]) - sent
    b.send_signal(signal.SIGTERM)
    for proc in (a, b):
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return took


def main(argv):
    clock, workdir, mode = argv[0], argv[1], argv[2]
    rounds = int(argv[3]) if len(argv) > 3 else 3
    times = [round_trip(clock, workdir, mode, n) for n in range(rounds)]
    shown = ", ".join(f"{t * 1000:.0f} ms" for t in times)
    print(f"takeover after {'SIGTERM' if mode == 'term' else 'kill -9'}: {shown}")


if __name__ == "__main__":
    main(sys.argv[1:])

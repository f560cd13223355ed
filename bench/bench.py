#!/usr/bin/env python3
"""Helpers for bench/clock_vs_apscheduler.sh (standard library only).

Subcommands:
  gen-every FILE JOBS STAMPS     write a clock.yml: JOBS jobs every 1s appending `date` to STAMPS
  gen-cron FILE JOBS             write a clock.yml: JOBS daily cron jobs running `true`
  run-for SECONDS -- CMD...      run CMD for SECONDS, then SIGTERM it (stdout discarded)
  floor STAMPS JOBS SECONDS      the spawn floor: at each whole second spawn JOBS shells appending `date`
  lateness LABEL=STAMPS...       p50/p99/max start lateness (stamp minus its whole second), per file
  idle LABEL -- CMD...           time to the "running" line, peak RSS, CPU over 10 idle seconds
"""

import os
import signal
import subprocess
import sys
import time

SHELL_STAMP = "date +%s.%N >> {}"


def gen_every(path, jobs, stamps):
    with open(path, "w") as out:
        out.write("jobs:\n")
        for i in range(jobs):
            out.write(f"  stamp-{i}:\n")
            out.write(f"    command: {SHELL_STAMP.format(stamps)}\n")
            out.write("    every: 1s\n")


def gen_cron(path, jobs):
    with open(path, "w") as out:
        out.write("jobs:\n")
        for i in range(jobs):
            minute, hour = i % 60, (i // 60) % 24
            out.write(f"  daily-{i}:\n")
            out.write("    command: \"true\"\n")
            out.write(f"    cron: \"{minute} {hour} * * *\"\n")


def run_for(seconds, cmd):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    time.sleep(seconds)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def floor(stamps, jobs, seconds):
    """Spawns the same shells from a plain loop, at each whole second: the best any
    scheduler that starts `bash -c` can do on this machine."""
    end = time.time() + seconds
    while True:
        now = time.time()
        due = int(now) + 1
        if due > end:
            break
        time.sleep(due - now)
        # posix_spawn: the cheapest way to start a process from a loop.
        argv = ["bash", "-c", SHELL_STAMP.format(stamps)]
        pids = [os.posix_spawnp("bash", argv, os.environ) for _ in range(jobs)]
        for pid in pids:
            os.waitpid(pid, 0)


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1)))))
    return sorted_values[k]


def lateness(pairs):
    print(f"{'runner':<14} {'runs':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for pair in pairs:
        label, path = pair.split("=", 1)
        with open(path) as f:
            stamps = [float(line) for line in f if line.strip()]
        # The first second is start-up; the due instant of a stamp is its whole second.
        first = min(stamps) if stamps else 0
        late = sorted((s - int(s)) * 1000 for s in stamps if s >= int(first) + 1)
        print(
            f"{label:<14} {len(late):>6} {percentile(late, 50):>8.2f} "
            f"{percentile(late, 99):>8.2f} {late[-1] if late else float('nan'):>8.2f}"
        )


def ticks():
    return os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of the whole line; 12 and 13 after the ")".
    return (int(fields[11]) + int(fields[12])) / ticks()


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def idle(label, cmd):
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, errors="replace")
    startup = None
    for line in proc.stdout:
        if "event=running" in line or line.strip() == "running":
            startup = time.monotonic() - started
            break
    if startup is None:
        print(f"{label}: exited before its running line", file=sys.stderr)
        sys.exit(1)
    # Keep draining stdout so a chatty process never blocks on a full pipe.
    import threading

    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    time.sleep(1)
    cpu_before = cpu_seconds(proc.pid)
    time.sleep(10)
    cpu_after = cpu_seconds(proc.pid)
    hwm = vm_hwm_kib(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    print(
        f"{label:<14} start {startup * 1000:>7.0f} ms   peak RSS {hwm / 1024:>6.1f} MiB   "
        f"CPU over 10 idle s {(cpu_after - cpu_before) * 1000:>5.0f} ms"
    )


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "gen-every":
        gen_every(rest[0], int(rest[1]), rest[2])
    elif command == "gen-cron":
        gen_cron(rest[0], int(rest[1]))
    elif command == "run-for":
        run_for(float(rest[0]), rest[rest.index("--") + 1 :])
    elif command == "floor":
        floor(rest[0], int(rest[1]), float(rest[2]))
    elif command == "lateness":
        lateness(rest)
    elif command == "idle":
        idle(rest[0], rest[rest.index("--") + 1 :])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Helpers for bench/notify.sh (standard library only).

Subcommands:
  serve slow PORT SECONDS        an HTTP endpoint that answers 200 after SECONDS
  serve never PORT               an endpoint that accepts connections and never answers
  gen FILE JOBS STAMPS URL       a clock.yml: JOBS jobs every 1s appending `date` to STAMPS,
                                 each with a healthchecks monitor at URL (none when URL is -)
  gen-failing FILE JOBS URL      JOBS jobs every 1s failing every other run, each monitored
                                 and alerting a webhook at URL (so every run sends requests)
  rss SECONDS EVERY OUT -- CMD   run CMD for SECONDS, sampling VmRSS every EVERY seconds to OUT
"""

import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve_slow(port, seconds):
    class Slow(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            time.sleep(seconds)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # a client that gave up (the clock exiting mid-request) is no news

    Server(("127.0.0.1", port), Slow).serve_forever()


def serve_never(port):
    """Accepts, reads and holds every connection; closes one only when the client does."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    open_sockets = [listener]
    while True:
        readable, _, _ = select.select(open_sockets, [], [])
        for sock in readable:
            if sock is listener:
                conn, _ = listener.accept()
                open_sockets.append(conn)
            else:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    open_sockets.remove(sock)
                    sock.close()


def gen(path, jobs, stamps, url, store=False):
    """The lateness file: monitored when `url` is not "-"; `store`: with a `store:`,
    and, when monitored, every job alerting a webhook, so each run's outcome goes
    through the failure streaks kept in the database."""
    with open(path, "w") as out:
        out.write("shutdown_grace: 5s\n")
        if store:
            out.write("store:\n  postgres: $BENCH_DATABASE_URL\n")
        if store and url != "-":
            out.write(f"notify:\n  hook:\n    webhook: \"{url}/hook\"\n")
            out.write("defaults:\n  alert:\n    to: [hook]\n")
        out.write("jobs:\n")
        for i in range(jobs):
            out.write(f"  stamp-{i}:\n")
            out.write(f"    command: date +%s.%N >> {stamps}\n")
            out.write("    every: 1s\n")
            if url != "-":
                out.write("    monitor:\n")
                out.write(f"      healthchecks: \"{url}/ping/job-{i}\"\n")


def gen_failing(path, jobs, url):
    with open(path, "w") as out:
        out.write("shutdown_grace: 5s\n")
        out.write(f"notify:\n  hook:\n    webhook: \"{url}/hook\"\n")
        out.write("defaults:\n  alert:\n    to: [hook]\n    on: [failed, succeeded]\n")
        out.write("jobs:\n")
        for i in range(jobs):
            out.write(f"  fail-{i}:\n")
            out.write("    command: echo \"run $CLOCK_RUN\"; exit $((CLOCK_RUN % 2))\n")
            out.write("    every: 1s\n")
            out.write("    monitor:\n")
            out.write(f"      healthchecks: \"{url}/ping/job-{i}\"\n")


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def rss(seconds, every, out_path, cmd):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    counts = {"notified": 0, "notify_failed": 0, "notify_dropped": 0, "started": 0}

    def read():
        for line in proc.stdout:
            for event in counts:
                if f"event={event} ".encode() in line:
                    counts[event] += 1

    threading.Thread(target=read, daemon=True).start()
    start = time.time()
    with open(out_path, "w") as out:
        out.write("seconds,rss_kib,started,notify_failed,notify_dropped\n")
        while time.time() - start < seconds:
            time.sleep(every)
            elapsed = time.time() - start
            out.write(
                f"{elapsed:.0f},{vm_rss_kib(proc.pid)},{counts['started']},"
                f"{counts['notify_failed']},{counts['notify_dropped']}\n"
            )
            out.flush()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def main(argv):
    command = argv[0]
    if command == "serve" and argv[1] == "slow":
        serve_slow(int(argv[2]), float(argv[3]))
    elif command == "serve" and argv[1] == "never":
        serve_never(int(argv[2]))
    elif command == "gen":
        gen(argv[1], int(argv[2]), argv[3], argv[4])
    elif command == "gen-stored":
        gen(argv[1], int(argv[2]), argv[3], argv[4], store=True)
    elif command == "gen-failing":
        gen_failing(argv[1], int(argv[2]), argv[3])
    elif command == "rss":
        sep = argv.index("--")
        rss(float(argv[1]), float(argv[2]), argv[3], argv[sep + 1 :])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env bash
# Benchmarks the `clock` binary against APScheduler 3.x's BlockingScheduler doing the same
# work (a script, not a test; never run in CI). Results go in docs/BENCHMARKS.md.
#
#   bash bench/clock_vs_apscheduler.sh            # from the repo root
#   DURATION=30 JOBS=20 CRON_JOBS=10000 bash bench/clock_vs_apscheduler.sh
#
# 1. Lateness: JOBS jobs every second, each `date +%s.%N >> FILE`, for DURATION seconds;
#    start lateness = stamp minus its whole second. The floor is a plain loop spawning the
#    same shells at each whole second.
# 2. Scale: CRON_JOBS daily cron jobs: time until the "running" line, peak RSS (VmHWM),
#    CPU over 10 idle seconds (utime+stime).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${DURATION:-30}
JOBS=${JOBS:-20}
CRON_JOBS=${CRON_JOBS:-10000}
VENV=${BENCH_VENV:-target/bench-venv}

step() { printf -- '-----> %s\n' "$*"; }

step "Building clock and clockctl (release)"
cargo build --release --bins --quiet
clock=target/release/clock
clockctl=target/release/clockctl

if [[ ! -x "${VENV}/bin/python" ]]; then
  step "Installing APScheduler 3.x into ${VENV}"
  python3 -m venv "${VENV}"
  "${VENV}/bin/pip" install --quiet 'apscheduler<4'
fi
py="${VENV}/bin/python"
echo "       $("${py}" -c 'import apscheduler; print("APScheduler", apscheduler.__version__)')"
echo "       $(nproc) cores, $(uname -sr), load average: $(cut -d' ' -f1-3 /proc/loadavg)"

work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT

step "1. ${JOBS} jobs every second for ${DURATION}s"
mkdir -p "${work}/every"
python3 bench/bench.py gen-every "${work}/every/clock.yml" "${JOBS}" "${work}/clock.stamps"
echo "       clock"
python3 bench/bench.py run-for "${DURATION}" -- "${clock}" --config "${work}/every/clock.yml"
echo "       apscheduler"
python3 bench/bench.py run-for "${DURATION}" -- "${py}" bench/apscheduler_app.py every "${JOBS}" "${work}/aps.stamps"
echo "       spawn floor"
python3 bench/bench.py floor "${work}/floor.stamps" "${JOBS}" "${DURATION}"
python3 bench/bench.py lateness \
  "floor=${work}/floor.stamps" "clock=${work}/clock.stamps" "apscheduler=${work}/aps.stamps"

step "2. ${CRON_JOBS} daily cron jobs"
mkdir -p "${work}/cron"
python3 bench/bench.py gen-cron "${work}/cron/clock.yml" "${CRON_JOBS}"
python3 bench/bench.py idle clock -- "${clock}" --config "${work}/cron/clock.yml"
echo "       reference: loading and checking the file alone (clockctl validate), 3 runs"
for _ in 1 2 3; do
  /usr/bin/time -f "       validate       %e s   max RSS %M KiB" "${clockctl}" validate "${work}/cron/clock.yml" >/dev/null
done
python3 bench/bench.py idle apscheduler -- "${py}" bench/apscheduler_app.py cron "${CRON_JOBS}"

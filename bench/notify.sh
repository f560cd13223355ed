#!/usr/bin/env bash
# Benchmarks alert and monitor delivery (a script, not a test; never run in CI). Results
# go in docs/BENCHMARKS.md, "Alerts and monitor pings".
#
#   bash bench/notify.sh                      # from the repo root
#   CLOCK=target/debug/clock DURATION=60 ROUNDS=2 RSS_SECONDS=600 bash bench/notify.sh
#
# 1. Lateness: JOBS jobs every second (JOBS runs a second), each `date +%s.%N >> FILE`,
#    for DURATION seconds, without monitors and then with a healthchecks monitor on every
#    job pointing at an endpoint that answers after 2 s; ROUNDS rounds, alternating. With
#    STORE_URL (a Postgres URL of a database the clock may use), two more modes with a
#    `store:`: `store-plain` (no monitor, no alert) and `store-alerts` (monitored, and
#    every job alerting a webhook, so each outcome goes through the failure streaks kept
#    in the database).
# 2. Memory: RSS_JOBS jobs every second, failing every other run, each monitored and
#    alerting a webhook, all pointing at an endpoint that accepts and never answers; VmRSS
#    sampled every 10 s for RSS_SECONDS (skip with RSS_SECONDS=0; skip part 1 with ROUNDS=0).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CLOCK=${CLOCK:-target/release/clock}
DURATION=${DURATION:-60}
ROUNDS=${ROUNDS:-2}
JOBS=${JOBS:-20}
RSS_JOBS=${RSS_JOBS:-50}
RSS_SECONDS=${RSS_SECONDS:-600}
SLOW_PORT=${SLOW_PORT:-18770}
NEVER_PORT=${NEVER_PORT:-18771}

step() { printf -- '-----> %s\n' "$*"; }

if [[ "${CLOCK}" == target/release/clock && ! -x "${CLOCK}" ]]; then
  step "Building clock (release)"
  cargo build --release --bin clock --quiet
fi
echo "       ${CLOCK}; $(nproc) cores, $(uname -sr), load average: $(cut -d' ' -f1-3 /proc/loadavg)"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "${pid}" 2>/dev/null || true; done
  rm -rf "${work}"
}
trap cleanup EXIT

if [[ "${ROUNDS}" != 0 ]]; then
  step "1. ${JOBS} jobs a second for ${DURATION}s, unmonitored and monitored (a 2 s endpoint)"
  python3 bench/notify_bench.py serve slow "${SLOW_PORT}" 2 &
  pids+=($!)
  sleep 1
  results=()
  for round in $(seq 1 "${ROUNDS}"); do
    modes=(plain monitored)
    [[ -n "${STORE_URL:-}" ]] && modes+=(store-plain store-alerts)
    for mode in "${modes[@]}"; do
      stamps="${work}/${mode}-${round}.stamps"
      url=-
      [[ "${mode}" == monitored || "${mode}" == store-alerts ]] && url="http://127.0.0.1:${SLOW_PORT}"
      if [[ "${mode}" == store-* ]]; then
        python3 bench/notify_bench.py gen-stored "${work}/${mode}.yml" "${JOBS}" "${stamps}" "${url}"
      else
        python3 bench/notify_bench.py gen "${work}/${mode}.yml" "${JOBS}" "${stamps}" "${url}"
      fi
      echo "       round ${round}: ${mode}"
      BENCH_DATABASE_URL="${STORE_URL:-}" \
        python3 bench/bench.py run-for "${DURATION}" -- "${CLOCK}" --config "${work}/${mode}.yml"
      results+=("${mode}-${round}=${stamps}")
    done
  done
  python3 bench/bench.py lateness "${results[@]}"
fi

if [[ "${RSS_SECONDS}" != 0 ]]; then
  step "2. RSS over ${RSS_SECONDS}s: ${RSS_JOBS} jobs a second, every delivery to an endpoint that never answers"
  python3 bench/notify_bench.py serve never "${NEVER_PORT}" &
  pids+=($!)
  sleep 1
  python3 bench/notify_bench.py gen-failing "${work}/rss.yml" "${RSS_JOBS}" "http://127.0.0.1:${NEVER_PORT}"
  python3 bench/notify_bench.py rss "${RSS_SECONDS}" 10 "${work}/rss.csv" -- "${CLOCK}" --config "${work}/rss.yml"
  cat "${work}/rss.csv"
fi

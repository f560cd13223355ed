#!/usr/bin/env bash
# Benchmarks the Postgres store (a script, not a test; never run in CI). Results go in
# docs/BENCHMARKS.md, section "The Postgres store".
#
#   ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres bash bench/store.sh
#
# 1. Overhead per run: claim + start + end round trips (examples/bench_store.rs).
# 2. Start lateness: JOBS jobs every second for DURATION s, without and with a store.
# 3. CRON_JOBS daily jobs with a store: start-up, peak RSS, CPU over 10 idle seconds.
# 4. Takeover between two clocks after SIGTERM and after kill -9 (default 15 s lease).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ADMIN_URL=${ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DURATION=${DURATION:-30}
JOBS=${JOBS:-20}
CRON_JOBS=${CRON_JOBS:-10000}
server=${ADMIN_URL%/*}

step() { printf -- '-----> %s\n' "$*"; }

fresh_db() { # NAME: a new, empty database; prints its URL
  psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
  printf '%s/%s' "$server" "$1"
}

with_store() { # FILE: prepend a store: block to a generated clock.yml
  # shellcheck disable=SC2016 # the $ is literal: clock.yml names the variable
  printf 'store:\n  postgres: $DATABASE_URL\n' | cat - "$1" >"$1.new"
  mv "$1.new" "$1"
}

step "Building clock and the store benchmark (release)"
cargo build --release --bins --example bench_store --quiet
clock=$PWD/target/release/clock
echo "       $(nproc) cores, $(uname -sr), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT

step "1. Store overhead per run (claim + start + end), 2000 runs"
target/release/examples/bench_store "$(fresh_db hc_bench_overhead)" 2000

step "2. ${JOBS} jobs every second for ${DURATION}s, without and with a store"
mkdir -p "${work}/plain" "${work}/store"
python3 bench/bench.py gen-every "${work}/plain/clock.yml" "${JOBS}" "${work}/plain.stamps"
python3 bench/bench.py gen-every "${work}/store/clock.yml" "${JOBS}" "${work}/store.stamps"
with_store "${work}/store/clock.yml"
python3 bench/bench.py run-for "${DURATION}" -- "${clock}" --config "${work}/plain/clock.yml"
DATABASE_URL=$(fresh_db hc_bench_lateness) \
  python3 bench/bench.py run-for "${DURATION}" -- "${clock}" --config "${work}/store/clock.yml"
python3 bench/bench.py lateness "without=${work}/plain.stamps" "with store=${work}/store.stamps"

step "3. ${CRON_JOBS} daily cron jobs with a store"
mkdir -p "${work}/cron"
python3 bench/bench.py gen-cron "${work}/cron/clock.yml" "${CRON_JOBS}"
with_store "${work}/cron/clock.yml"
export DATABASE_URL
DATABASE_URL=$(fresh_db hc_bench_cron)
for _ in 1 2 3; do
  python3 bench/bench.py idle "clock+store" -- "${clock}" --config "${work}/cron/clock.yml"
done

step "4. Takeover between two clocks (default lease)"
mkdir -p "${work}/takeover"
cp tests/fixtures/store_one_job/clock.yml "${work}/takeover/clock.yml"
DATABASE_URL=$(fresh_db hc_bench_takeover)
python3 bench/store_takeover.py "${clock}" "${work}/takeover" term 3
python3 bench/store_takeover.py "${clock}" "${work}/takeover" kill 2

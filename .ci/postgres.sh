#!/usr/bin/env bash
# Makes sure a PostgreSQL server with trust authentication answers for the store's tests,
# and exports TEST_DATABASE_URL (an admin URL) and TEST_DATABASE_ADDR (host:port) for them.
# Sourced by .ci/run. In order: a server already answering on 127.0.0.1:5432; the
# machine's own cluster, started; a private cluster in a temporary folder (initdb, trust,
# port 55432), installing Debian's postgresql package first when there is none.

postgres::answers() { # HOST PORT
  local ready
  ready=$(command -v pg_isready || postgres::bin pg_isready)
  if [[ -n $ready ]]; then
    "$ready" -q -h "$1" -p "$2" -t 2
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

postgres::trusts() { # HOST PORT: whether user postgres gets in without a password
  command -v psql >/dev/null 2>&1 || return 0 # no client to ask: let the tests say
  PGCONNECT_TIMEOUT=5 psql -h "$1" -p "$2" -U postgres -d postgres -w -qAtc 'SELECT 1' >/dev/null 2>&1
}

postgres::use() { # HOST PORT
  export TEST_DATABASE_URL="postgres://postgres@$1:$2/postgres"
  export TEST_DATABASE_ADDR="$1:$2"
}

postgres::bin() { # NAME: a server binary from the newest installed version
  local found=""
  local candidate
  for candidate in /usr/lib/postgresql/*/bin/"$1"; do
    if [[ -x $candidate ]]; then found=$candidate; fi
  done
  printf '%s' "$found"
}

postgres::private() {
  local initdb pg_ctl dir
  initdb=$(postgres::bin initdb)
  pg_ctl=$(postgres::bin pg_ctl)
  dir=$(mktemp -d /tmp/heroku-clock-pg.XXXXXX)
  chown postgres: "$dir" 2>/dev/null || true
  local as=()
  if [[ $(id -u) -eq 0 ]]; then as=(runuser -u postgres --); fi
  "${as[@]}" "$initdb" -D "$dir/data" -A trust -U postgres >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    return 1
  }
  "${as[@]}" "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p 55432 -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null || {
    cat "$dir/server.log" >&2
    return 1
  }
  postgres::use 127.0.0.1 55432
}

postgres::ensure() {
  if [[ -n ${TEST_DATABASE_URL:-} ]]; then
    return 0
  fi
  if postgres::answers 127.0.0.1 5432 && postgres::trusts 127.0.0.1 5432; then
    postgres::use 127.0.0.1 5432
    return 0
  fi
  if [[ $(id -u) -eq 0 ]] && command -v pg_ctlcluster >/dev/null 2>&1 && [[ -d /etc/postgresql ]]; then
    local version
    for version in /etc/postgresql/*/; do
      version=$(basename "$version")
      pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
    done
    local _
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      if postgres::answers 127.0.0.1 5432; then break; fi
      sleep 0.5
    done
    if postgres::answers 127.0.0.1 5432 && postgres::trusts 127.0.0.1 5432; then
      postgres::use 127.0.0.1 5432
      return 0
    fi
  fi
  if [[ -z $(postgres::bin initdb) ]]; then
    if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
      step "Installing PostgreSQL"
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
      echo " !     PostgreSQL is needed for the store's tests and none answers on 127.0.0.1:5432." >&2
      echo " !     Start one with trust authentication for user postgres (or set" >&2
      echo " !     TEST_DATABASE_URL), or install Debian's postgresql package, then run .ci/run again." >&2
      return 2
    fi
  fi
  step "Starting a private PostgreSQL on 127.0.0.1:55432"
  postgres::private || {
    echo " !     Could not start PostgreSQL (initdb/pg_ctl failed, output above)." >&2
    return 2
  }
}

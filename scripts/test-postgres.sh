#!/usr/bin/env bash
# Start a local PostgreSQL for the test suite and print its DATABASE_URL.
# Installs Debian's postgresql when missing (as root); idempotent; leaves the server running.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "PostgreSQL is not installed; run as root or: sudo apt-get install -y postgresql" >&2
    exit 1
  fi
  log=$(mktemp)
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
  fi
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
  pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  pg_ctlcluster "$version" main start >&2
fi

as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sh -c "$1"; fi; }
for _ in $(seq 1 30); do
  as_postgres "psql -qAtc 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
as_postgres "psql -qAtc \"select 1 from pg_roles where rolname = 'od'\"" | grep -q 1 \
  || as_postgres "psql -qc \"create role od login password 'od' createdb\"" >&2
as_postgres "psql -qAtc \"select 1 from pg_database where datname = 'orderdeck_test'\"" | grep -q 1 \
  || as_postgres "createdb -O od orderdeck_test" >&2

echo "postgresql+psycopg://od:od@127.0.0.1:5432/orderdeck_test"

#!/usr/bin/env bash
# System parts the test suite uses for real: hledger (ledger checks) and a running PostgreSQL.
# Installs with apt-get when run as root on Debian/Ubuntu; elsewhere it says what is missing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

missing=()
command -v hledger >/dev/null 2>&1 || missing+=(hledger)
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: installing ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "system-deps: missing ${missing[*]} (install them; PostgreSQL tests skip without a server unless CI=true)" >&2
  fi
fi

pg_ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -h 127.0.0.1 -p 5432 -q; }
if ! pg_ready && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "system-deps: starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
if pg_ready; then echo "system-deps: PostgreSQL ready on 127.0.0.1:5432"; fi

#!/usr/bin/env bash
# Everything a fresh Debian machine needs to run the app or its tests; safe to run again.
#   scripts/setup.sh          packages, services, Python environment, database
#   scripts/setup.sh --test   the same, plus Chromium for the browser tests
#   scripts/setup.sh --bench  the same as plain, plus wrk and locust to load the running server
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
want_bench=0
[ "${1:-}" = "--test" ] && want_browser=1
[ "${1:-}" = "--bench" ] && want_bench=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

DB_URL="${DATABASE_URL:-postgis://postgres@127.0.0.1:5432/hotspots}"
REDIS="${REDIS_URL:-redis://127.0.0.1:6379/0}"
db_local=0; case "$DB_URL" in *@127.0.0.1*|*@localhost*|*@/*) db_local=1;; esac
redis_local=0; case "$REDIS" in *//127.0.0.1*|*//localhost*) redis_local=1;; esac

# --- Debian packages ---------------------------------------------------------------------
missing=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
if [ "$db_local" = 1 ] && ! command -v pg_lsclusters >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if [ "$redis_local" = 1 ] && ! command -v redis-server >/dev/null 2>&1; then
  missing+=(redis-server)
fi
# GeoDjango needs the GDAL, GEOS and PROJ libraries; gdal-bin brings all three and ogr2ogr.
have gdal-bin || missing+=(gdal-bin)
# WeasyPrint draws the PDF briefings with Pango; DejaVu gives it a font on a bare machine.
for pkg in libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; do
  have "$pkg" || missing+=("$pkg")
done
[ "$want_bench" = 1 ] && { have wrk || missing+=(wrk); }
# The browser tests drive Debian's Chromium; docker-compose checks docker-compose.yml.
[ "$want_browser" = 1 ] && { have chromium || missing+=(chromium); }
[ "$want_browser" = 1 ] && { have docker-compose || missing+=(docker-compose); }
if [ "${#missing[@]}" -gt 0 ]; then
  say "Installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ "$db_local" = 1 ]; then
  # The PostGIS package is per PostgreSQL major version: use the installed server's.
  pg_major=$(ls /usr/lib/postgresql | sort -n | tail -1)
  if ! have "postgresql-${pg_major}-postgis-3"; then
    say "Installing PostGIS for PostgreSQL ${pg_major}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
      "postgresql-${pg_major}-postgis-3"
  fi
fi

# --- Services ------------------------------------------------------------------------------
if [ "$db_local" = 1 ]; then
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    say "Starting PostgreSQL ${pg_major}"
    cluster=$(pg_lsclusters -h | awk -v v="$pg_major" '$1 == v {print $2; exit}')
    as_root pg_ctlcluster --skip-systemctl-redirect "$pg_major" "${cluster:-main}" start
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
fi
if [ "$redis_local" = 1 ]; then
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    say "Starting Redis"
    mkdir -p /tmp/hotspots-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp/hotspots-redis --logfile /tmp/hotspots-redis/redis.log
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
fi

# --- Python --------------------------------------------------------------------------------
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python 3.11 or newer is needed (found $("$PY" --version))" >&2; exit 1
fi
if [ ! -x .venv/bin/python ]; then
  say "Creating .venv"
  "$PY" -m venv .venv
fi
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  say "Installing Python dependencies"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[dev]"
  rm -f .venv/.installed-*; touch "$stamp"
fi
if [ "$want_bench" = 1 ] && [ ! -f "$stamp.bench" ]; then
  say "Installing the load-test tools"
  .venv/bin/pip install -q -e ".[dev,bench]"
  touch "$stamp.bench"
fi

# --- Database ------------------------------------------------------------------------------
.venv/bin/python scripts/ensure_db.py
say "Ready"

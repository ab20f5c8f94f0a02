#!/usr/bin/env bash
# Run pytest as if it were another day: scripts/moved_clock.sh "2027-03-28T00:30:00Z" [pytest args]
#
# libfaketime (Debian's faketime package) moves the clock of this process and of everything
# it starts (Celery workers, gunicorn, Chromium) by one fixed offset, so they all agree on the
# moved time. PostgreSQL and Redis are the real, already-running servers and keep the real
# clock: the application must take "now" from Python, never from the database.
set -euo pipefail
cd "$(dirname "$0")/.."

when="${1:?give the moved time, for example 2027-03-28T00:30:00Z}"
shift
lib=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime.so.1$' | head -1 || true)
if [ -z "$lib" ]; then
  echo "libfaketime is not installed: run scripts/setup.sh --test" >&2
  exit 2
fi
target=$(date -u -d "$when" +%s)
offset=$(( target - $(date -u +%s) ))
sign="+"; [ "$offset" -lt 0 ] && sign=""
echo "==> pytest with the clock at $(date -u -d "@$target" '+%Y-%m-%d %H:%M:%S UTC') (offset ${offset} s)"
# Every clock, monotonic included, moves by the same offset: seconds still last a second.
# (FAKETIME_DONT_FAKE_MONOTONIC made Chromium 20 times slower to start here.)
LD_PRELOAD="$lib" FAKETIME="${sign}${offset}s" \
  exec .venv/bin/python -m pytest -p no:cacheprovider "$@"

#!/usr/bin/env bash
# Run pytest as if it were another day: scripts/moved_clock.sh "2027-03-28T00:30:00Z" [pytest args]
#
# The test settings move the clock of the test process, and of every process the tests start
# with those settings (Celery workers, gunicorn), by one offset with time-machine; browser
# pages get the same moved time through Playwright's clock (tests/e2e/conftest.py). PostgreSQL
# and Redis are the real, already-running servers on the real clock, so a moved clock runs
# ahead of the database's: the application takes "now" from Python, never from the database.
#
# (libfaketime, which moves a whole process tree, was tried first: under it Python's timed
# waits, Event.wait(1) and Thread.join(1), never returned, and time.sleep failed with EINVAL.)
set -euo pipefail
cd "$(dirname "$0")/.."

when="${1:?give the moved time, for example 2027-03-28T00:30:00Z, or next-clock-change}"
shift
if [ "$when" = "next-clock-change" ]; then
  # Half an hour before London's next clock change: the week of the change, the night that
  # is an hour short or long, and the days after it all lie ahead of the moved clock.
  when=$(.venv/bin/python - <<'PY'
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

london, t = ZoneInfo("Europe/London"), datetime.now(UTC).replace(minute=0, second=0,
                                                                  microsecond=0)
offset = t.astimezone(london).utcoffset()
while t.astimezone(london).utcoffset() == offset:
    t += timedelta(hours=1)
print((t - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"))
PY
)
fi
target=$(date -u -d "$when" +%s)
offset=$(( target - $(date -u +%s) ))
echo "==> pytest with the clock at $(date -u -d "@$target" '+%Y-%m-%d %H:%M:%S UTC') (offset ${offset} s)"
TEST_CLOCK_OFFSET_SECONDS="$offset" exec .venv/bin/python -m pytest -p no:cacheprovider "$@"

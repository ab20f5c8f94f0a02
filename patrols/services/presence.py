"""Presence: the times each device spent at hot spots, from its pings."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.jobs import LockId

from ..models import PresenceRun

# Pings that arrived in a transaction still open when the last run looked are picked up by
# looking back this far past the last watermark; recomputing a span is idempotent.
PRESENCE_OVERLAP = timedelta(minutes=5)


PRESENCE_SQL = """
DROP TABLE IF EXISTS pg_temp.pspan;
CREATE TEMP TABLE pspan ON COMMIT DROP AS
    SELECT device_id, min(recorded_at) - %(gap)s AS lo, max(recorded_at) + %(gap)s AS hi
    FROM patrols_gpsping
    WHERE received_at > %(since)s AND received_at <= %(until)s
    GROUP BY device_id;
-- Widen each span to the stays it touches, so a stay is always rebuilt whole.
UPDATE pspan s SET lo = LEAST(s.lo, x.lo), hi = GREATEST(s.hi, x.hi)
FROM (SELECT p.device_id, min(p.started_at) AS lo, max(p.ended_at) AS hi
      FROM patrols_presence p JOIN pspan s ON s.device_id = p.device_id
       AND p.ended_at >= s.lo AND p.started_at <= s.hi
      GROUP BY p.device_id) x
WHERE x.device_id = s.device_id;
-- Hot spots by coarse grid cell: pings find their candidate hot spots by a hash join on
-- the cell (one pass), not by a spatial index probe per ping (8.6M probes a day took 35 s).
DROP TABLE IF EXISTS pg_temp.phcell;
-- `shared`: the cell holds more than one hot spot's reach, so a ping in it may be within
-- the tolerance of two; only those pings need the nearest chosen.
CREATE TEMP TABLE phcell ON COMMIT DROP AS
    SELECT h.id AS hotspot_id, h.geom, ST_Centroid(h.geom) AS centre, cx, cy,
           count(*) OVER (PARTITION BY cx, cy) > 1 AS shared
    FROM hotspots_hotspot h,
         generate_series(floor((ST_XMin(h.geom) - %(tol)s) / %(cell)s)::int,
                         floor((ST_XMax(h.geom) + %(tol)s) / %(cell)s)::int) AS cx,
         generate_series(floor((ST_YMin(h.geom) - %(tol)s) / %(cell)s)::int,
                         floor((ST_YMax(h.geom) + %(tol)s) / %(cell)s)::int) AS cy;
CREATE INDEX ON phcell (cx, cy);
ANALYZE phcell;
DELETE FROM patrols_presence p USING pspan s
WHERE p.device_id = s.device_id AND p.ended_at >= s.lo AND p.started_at <= s.hi;
INSERT INTO patrols_presence (device_id, hotspot_id, started_at, ended_at, pings, seconds,
                              team_id, rank)
WITH pts AS (
    -- Each ping stands for the time to the device's next ping, capped by the gap.
    SELECT g.device_id, g.recorded_at, g.geom,
           LEAST(COALESCE(EXTRACT(EPOCH FROM lead(g.recorded_at) OVER (
               PARTITION BY g.device_id ORDER BY g.recorded_at) - g.recorded_at), 0),
               %(gap_s)s) AS dt
    FROM patrols_gpsping g JOIN pspan s
      ON s.device_id = g.device_id AND g.recorded_at BETWEEN s.lo AND s.hi
), inside AS (
    -- A ping is in one hot spot only: where tolerance zones overlap, the nearest (then the
    -- one whose centre is nearer, then the lower id), so a minute is never counted at two.
    -- Asked only in shared cells, by index, so most pings pay nothing for it.
    SELECT p.device_id, p.recorded_at, p.dt, hc.hotspot_id
    FROM pts p JOIN phcell hc ON hc.cx = floor(ST_X(p.geom) / %(cell)s)::int
                             AND hc.cy = floor(ST_Y(p.geom) / %(cell)s)::int
    WHERE ST_DWithin(hc.geom, p.geom, %(tol)s)
      AND (NOT hc.shared OR NOT EXISTS (
          SELECT 1 FROM phcell o
          WHERE o.cx = hc.cx AND o.cy = hc.cy AND o.hotspot_id <> hc.hotspot_id
            AND (ST_Distance(o.geom, p.geom), ST_Distance(o.centre, p.geom), o.hotspot_id)
                < (ST_Distance(hc.geom, p.geom), ST_Distance(hc.centre, p.geom),
                   hc.hotspot_id)))
), marked AS (
    SELECT *, CASE WHEN recorded_at - lag(recorded_at) OVER w > %(gap)s THEN 1 ELSE 0 END
              AS brk
    FROM inside WINDOW w AS (PARTITION BY device_id, hotspot_id ORDER BY recorded_at)
), grouped AS (
    SELECT *, sum(brk) OVER (PARTITION BY device_id, hotspot_id ORDER BY recorded_at) AS stay
    FROM marked
), stays AS (
    SELECT device_id, hotspot_id, min(recorded_at) AS started_at,
           max(recorded_at) + make_interval(secs => (array_agg(dt ORDER BY recorded_at DESC))[1])
               AS ended_at,
           count(*) AS pings, sum(dt) AS seconds
    FROM grouped GROUP BY device_id, hotspot_id, stay
    HAVING sum(dt) >= %(dwell)s
)
SELECT st.device_id, st.hotspot_id, st.started_at, st.ended_at, st.pings, st.seconds,
       d.team_id, COALESCE(u.rank, '')
FROM stays st JOIN patrols_device d ON d.id = st.device_id
LEFT JOIN accounts_user u ON u.id = d.holder_id
ON CONFLICT (device_id, hotspot_id, started_at) DO NOTHING;
"""


def presence_update(*, until: datetime | None = None) -> PresenceRun:
    """Turn pings that arrived since the last run into presence intervals inside hot spots,
    set-based in PostGIS. Only one runs at a time; a second delivery waits, then finds
    little or nothing new, and recomputing a span gives the same intervals."""
    until = until or timezone.now()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [int(LockId.PRESENCE_UPDATE)])
        last = PresenceRun.objects.order_by("-received_until").first()
        since = (last.received_until - PRESENCE_OVERLAP if last
                 else datetime(2000, 1, 1, tzinfo=UTC))
        gap = timedelta(seconds=settings.PRESENCE_GAP_SECONDS)
        params = {"since": since, "until": until, "gap": gap,
                  "gap_s": settings.PRESENCE_GAP_SECONDS, "tol": settings.PRESENCE_TOLERANCE_M,
                  "dwell": settings.PRESENCE_MIN_DWELL_SECONDS, "cell": 250.0}
        started = timezone.now()
        statements = [x for x in PRESENCE_SQL.split(";\n") if x.strip()]
        counts: dict[str, int] = {}
        for statement in statements:
            cur.execute(statement, params)
            # Comment lines aside, a statement's first word says what it did.
            verb = next(line for line in statement.strip().splitlines()
                        if not line.startswith("--")).split()[0]
            counts[verb] = cur.rowcount
        cur.execute("SELECT count(*) FROM pspan")
        devices = int(cur.fetchone()[0])
        run = PresenceRun.objects.create(
            received_until=until, devices=devices, removed=max(counts["DELETE"], 0),
            inserted=max(counts["INSERT"], 0),
            seconds=(timezone.now() - started).total_seconds())
    return run

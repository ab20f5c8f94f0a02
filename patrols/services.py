"""Writes for tracking: devices and their tokens, GPS ping ingestion, ping partitions and
their purge, presence intervals, and officers' visits."""

import csv
import functools
import hashlib
import io
import json
import math
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import Point
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Area, Team, User
from audit.services import audit_record
from core.errors import Conflict, InputError, TooLarge
from core.jobs import LockId
from core.params import json_loads
from core.text import markup_problem
from hotspots.models import Hotspot

from .models import Device, PresenceRun, Visit

PARTITION_PREFIX = "patrols_gpsping_p"


class TrackingInputError(InputError):
    """The request as a whole cannot be used; the message says why (HTTP 400)."""


class BatchTooLarge(TooLarge):
    """More pings than one request may carry (HTTP 413)."""


class VisitConflict(Conflict):
    """The same visit id arrived with a different body (HTTP 409)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def device_create(*, name: str, kind: str, area: Area, actor: Any, team: Team | None = None,
                  holder: User | None = None) -> tuple[Device, str]:
    """Register a device; its token is returned once and only its hash is kept."""
    if kind not in Device.Kind.values:
        raise TrackingInputError(f"kind is one of {', '.join(Device.Kind.values)}")
    if problem := markup_problem("the device's name", name):
        raise TrackingInputError(problem)
    token = secrets.token_urlsafe(32)
    device = Device.objects.create(name=name.strip()[:100], kind=kind, area=area, team=team,
                                   holder=holder, token_hash=token_hash(token))
    audit_record(actor=actor, action="device.create", target=device,
                 detail={"name": device.name, "kind": kind, "area": area.pk})
    return device, token


@transaction.atomic
def device_set_active(*, device: Device, active: bool, actor: Any) -> Device:
    Device.objects.filter(pk=device.pk).update(active=active)
    device.active = active
    audit_record(actor=actor, action="device.enable" if active else "device.disable",
                 target=device)
    return device


def device_by_token(token: str) -> Device | None:
    return Device.objects.filter(token_hash=token_hash(token)).first()


# --- Partitions ----------------------------------------------------------------------------

def partition_name(day: date) -> str:
    return f"{PARTITION_PREFIX}{day:%Y%m%d}"


def ping_partitions_ensure(*, days: Iterable[date]) -> list[str]:
    """Make the daily (UTC) partitions for these days if missing; safe when run at once by
    several web workers. The owner's function makes them (patrols migration 0003): the
    application's role may not attach a partition itself."""
    made = []
    with connection.cursor() as cur:
        for day in sorted(set(days)):
            name = partition_name(day)
            cur.execute("SELECT to_regclass(%s)", [name])
            if cur.fetchone()[0] is not None:
                continue
            with transaction.atomic():
                cur.execute("SELECT patrols_ping_partition_create(%s)", [day])
            made.append(name)
    return made


def ping_partitions() -> list[tuple[str, date]]:
    with connection.cursor() as cur:
        cur.execute("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'patrols_gpsping'::regclass ORDER BY c.relname""")
        names = [r[0] for r in cur.fetchall()]
    return [(n, datetime.strptime(n[len(PARTITION_PREFIX):], "%Y%m%d").date()) for n in names]


def pings_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Drop the partitions wholly older than the retention period; the purge is audited
    with each partition's row count."""
    now = now or timezone.now()
    cutoff = (now - timedelta(days=settings.PING_RETENTION_DAYS)).date()
    dropped: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cur:
        for name, day in ping_partitions():
            if day < cutoff:  # the partition ends at midnight after `day`, before the cutoff
                cur.execute("SELECT patrols_ping_partition_drop(%s)", [day])
                dropped[name] = int(cur.fetchone()[0] or 0)
        if dropped:
            audit_record(actor=None, action="pings.purge",
                         detail={"retention_days": settings.PING_RETENTION_DAYS,
                                 "cutoff": cutoff.isoformat(), "partitions": dropped,
                                 "pings": sum(dropped.values())})
    return dropped


# --- Ingestion -----------------------------------------------------------------------------

@dataclass
class IngestResult:
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"received": self.received, "accepted": self.accepted,
                "duplicates": self.duplicates, "rejected": len(self.rejected),
                "rejections": self.rejected[:1000]}


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None or value == "":
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _time(value: Any) -> float:
    """Epoch seconds from ISO 8601 text (with an offset or Z) or a number; NaN if neither."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return math.nan
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return math.nan
    if parsed.tzinfo is None:
        return math.nan  # a time without its offset is ambiguous around the clock change
    return parsed.timestamp()


def pings_parse_json(body: bytes) -> list[dict[str, Any]]:
    try:
        data = json_loads(body, say_where=False)
    except InputError as exc:
        raise TrackingInputError(str(exc)) from None
    pings = data.get("pings") if isinstance(data, dict) else data
    if not isinstance(pings, list):
        raise TrackingInputError('send {"pings": [{"t": ..., "lat": ..., "lon": ..., '
                                 '"accuracy": ...}, ...]}')
    return [p if isinstance(p, dict) else {} for p in pings]


def pings_parse_csv(body: bytes) -> list[dict[str, Any]]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TrackingInputError("the CSV is not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    need = {"t", "lat", "lon"}
    if not reader.fieldnames or not need <= {f.strip().lower() for f in reader.fieldnames}:
        raise TrackingInputError("the CSV needs the columns t, lat, lon (and accuracy)")
    return [{k.strip().lower(): v for k, v in row.items() if k} for row in reader]


def pings_ingest(*, device: Device, pings: list[dict[str, Any]],
                 now: datetime | None = None) -> IngestResult:
    """Check a batch of pings as arrays, store the good ones once (idempotent on device and
    time), and say for each bad one why it was refused. Nothing is sent to Celery: the
    presence task finds new pings by their arrival time, so a broker outage loses none."""
    result = IngestResult(received=len(pings))
    if len(pings) > settings.PING_MAX_BATCH:
        raise BatchTooLarge(f"at most {settings.PING_MAX_BATCH:,} pings per request; "
                            f"this one has {len(pings):,}: send them in batches")
    if not pings:
        return result
    now_s = (now or timezone.now()).timestamp()
    t = np.array([_time(p.get("t")) for p in pings])
    lat = np.array([_number(p.get("lat")) for p in pings])
    lon = np.array([_number(p.get("lon")) for p in pings])
    acc = np.array([_number(p.get("accuracy", p.get("acc"))) for p in pings])
    reason = np.full(len(pings), "", dtype=object)

    def refuse(mask: np.ndarray, why: str) -> None:
        reason[mask & (reason == "")] = why

    refuse(~np.isfinite(t), "no time, or a time without its UTC offset")
    refuse(~np.isfinite(lat) | ~np.isfinite(lon), "latitude or longitude missing or not a number")
    refuse((np.abs(lat) > 90) | (np.abs(lon) > 180), "latitude or longitude out of range")
    refuse((lat == 0) & (lon == 0), "0,0 is a device with no fix")
    refuse(np.isfinite(acc) & ((acc < 0) | (acc > settings.PING_MAX_ACCURACY_M)),
           f"accuracy worse than {settings.PING_MAX_ACCURACY_M:g} m")
    ahead = t - now_s
    refuse(ahead > settings.PING_MAX_FUTURE_SECONDS,
           "time is in the future: check the device clock")
    refuse(t < now_s - settings.PING_RETENTION_DAYS * 86400,
           f"older than the {settings.PING_RETENTION_DAYS}-day retention period")
    _refuse_speeding(t, lat, lon, reason)
    good = reason == ""
    for i in np.flatnonzero(~good):
        result.rejected.append({"index": int(i), "reason": str(reason[i])})
    if not good.any():
        return result
    times = t[good]
    # The same time twice in one batch is one ping: keep the first.
    _, first = np.unique(times, return_index=True)
    keep = np.sort(first)
    times, glat, glon, gacc = times[keep], lat[good][keep], lon[good][keep], acc[good][keep]
    days = {datetime.fromtimestamp(x, tz=UTC).date() for x in (times.min(), times.max())}
    span = (max(days) - min(days)).days
    ping_partitions_ensure(days=[min(days) + timedelta(days=d) for d in range(span + 1)])
    buf = io.StringIO()
    for ts, la, lo, ac in zip(times, glat, glon, gacc, strict=True):
        stamp = datetime.fromtimestamp(float(ts), tz=UTC).isoformat()
        accuracy = "" if math.isnan(ac) else repr(float(ac))
        buf.write(f"{stamp}\t{float(lo)!r}\t{float(la)!r}\t{accuracy}\n")
    with transaction.atomic(), connection.cursor() as cur:
        # Dropped at commit; dropped first too, for a caller already inside a transaction.
        cur.execute("DROP TABLE IF EXISTS pg_temp.ping_stage")
        cur.execute("CREATE TEMP TABLE ping_stage (recorded_at timestamptz, lon float8, "
                    "lat float8, accuracy_m real) ON COMMIT DROP")
        with cur.copy("COPY ping_stage FROM STDIN WITH (NULL '')") as copy:
            copy.write(buf.getvalue())
        # The arrival time comes from the application's clock, as every "now" here does:
        # the presence task compares it with its own timezone.now(), and a database clock
        # a little apart from the application's would hide pings from it.
        cur.execute(
            "INSERT INTO patrols_gpsping (device_id, recorded_at, received_at, geom, "
            "accuracy_m) SELECT %s, recorded_at, %s, "
            "ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), %s), accuracy_m "
            "FROM ping_stage ON CONFLICT DO NOTHING",
            [device.pk, timezone.now(), settings.HOTSPOTS_SRID])
        result.accepted = cur.rowcount
    result.duplicates = int(good.sum()) - result.accepted
    return result


def _refuse_speeding(t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                     reason: np.ndarray) -> None:
    """Refuse a ping that implies a speed no officer moves at from the ping before it (in
    time order within the batch), comparing each with the last good one."""
    ok = np.flatnonzero(reason == "")
    if ok.size < 2:
        return
    order = ok[np.argsort(t[ok], kind="stable")]
    last = order[0]
    for i in order[1:]:  # a batch is at most PING_MAX_BATCH; this loop is over good pings
        dt = t[i] - t[last]
        if dt <= 0:
            last = i
            continue
        dist = _metres(lat[last], lon[last], lat[i], lon[i])
        if dist / dt > settings.PING_MAX_SPEED_MS:
            reason[i] = f"implausible speed ({dist / dt:.0f} m/s from the ping before)"
        else:
            last = i


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


# --- Visits --------------------------------------------------------------------------------

VISIT_FIELDS = ("hotspot", "task", "started_at", "ended_at", "start", "end", "activities",
                "notes", "retrospective")


def _body_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps({k: body.get(k) for k in VISIT_FIELDS}, sort_keys=True,
                           default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@functools.cache
def _to_metric() -> CoordTransform:
    # Built once per process: making a WGS84-to-grid transformation costs about 15 ms
    # (PROJ chooses its pipeline); applying it costs microseconds.
    return CoordTransform(SpatialReference(4326), SpatialReference(settings.HOTSPOTS_SRID))


def _point(fix: dict[str, Any] | None) -> tuple[Point | None, float | None]:
    if not fix:
        return None, None
    lat, lon = _number(fix.get("lat")), _number(fix.get("lon"))
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        raise TrackingInputError("a location needs a latitude (-90 to 90) and longitude "
                                 "(-180 to 180)")
    acc = _number(fix.get("accuracy"))
    point = Point(lon, lat, srid=4326)
    point.transform(_to_metric())
    return point, acc if math.isfinite(acc) else None


def _inside(hotspot: Hotspot, point: Point | None, accuracy: float | None) -> bool | None:
    if point is None:
        return None
    slack = settings.VISIT_TOLERANCE_M + min(accuracy or 0.0, settings.PING_MAX_ACCURACY_M)
    return bool(hotspot.geom.distance(point) <= slack)


def visit_record(*, officer: User, visit_id: uuid.UUID, body: dict[str, Any],
                 hotspot: Hotspot, task: Any, started_at: datetime,
                 ended_at: datetime | None) -> tuple[Visit, bool]:
    """Store an officer's visit once under the phone's id: the same id and body again is
    answered with the stored visit; the same id with another body is a conflict."""
    digest = _body_hash(body)
    now = timezone.now()
    if started_at > now + timedelta(seconds=settings.PING_MAX_FUTURE_SECONDS):
        raise TrackingInputError("the visit starts in the future: check the phone's clock")
    if ended_at is not None and ended_at < started_at:
        raise TrackingInputError("the visit ends before it starts")
    if ended_at is not None and ended_at - started_at > timedelta(hours=12):
        raise TrackingInputError("a visit lasts at most 12 hours")
    if problem := markup_problem("the notes", body.get("notes")):
        raise TrackingInputError(problem)
    activities = body.get("activities") or []
    if not isinstance(activities, list) or not set(activities) <= set(Visit.Activity.values):
        raise TrackingInputError(f"activities are from {', '.join(Visit.Activity.values)}")
    start, start_acc = _point(body.get("start"))
    end, end_acc = _point(body.get("end"))
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                id=visit_id, officer=officer, hotspot=hotspot, task=task,
                started_at=started_at, ended_at=ended_at, start_point=start,
                start_accuracy_m=start_acc, end_point=end, end_accuracy_m=end_acc,
                start_inside=_inside(hotspot, start, start_acc),
                end_inside=_inside(hotspot, end, end_acc), activities=sorted(set(activities)),
                notes=str(body.get("notes") or "")[:5000],
                retrospective=bool(body.get("retrospective")), body_hash=digest)
            # Who logged which visit, and when; its place stays in the visit, not the trail.
            audit_record(actor=officer, action="visit.create", target=visit,
                         detail={"hotspot": hotspot.pk, "task": getattr(task, "pk", None),
                                 "retrospective": visit.retrospective,
                                 "start_inside": visit.start_inside})
    except IntegrityError:
        # Sent before (or twice at once): the stored visit answers if it is the same one.
        # Trying the insert first keeps the common case, a new visit, to one statement.
        existing = Visit.objects.filter(pk=visit_id).first()
        if existing is None:
            raise
        if existing.body_hash != digest or existing.officer_id != officer.pk:
            raise VisitConflict("a different visit was already sent with this id") from None
        return existing, False
    return visit, True


# --- Presence ------------------------------------------------------------------------------

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

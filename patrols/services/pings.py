"""GPS ping batches: parsed, checked, stored once."""

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.errors import InputError
from core.params import json_loads

from ..models import Device
from .errors import BatchTooLarge, TrackingInputError
from .partitions import ping_partitions_ensure


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


def _ping_refusals(t: np.ndarray, lat: np.ndarray, lon: np.ndarray, acc: np.ndarray,
                   now_s: float) -> np.ndarray:
    """For each ping, why it is refused ("" for a good one): the first reason wins."""
    reason = np.full(t.size, "", dtype=object)

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
    return reason


def _store_pings(device: Device, times: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                 acc: np.ndarray) -> int:
    """COPY the good pings into the day partitions they need; returns how many were new."""
    days = {datetime.fromtimestamp(x, tz=UTC).date() for x in (times.min(), times.max())}
    span = (max(days) - min(days)).days
    ping_partitions_ensure(days=[min(days) + timedelta(days=d) for d in range(span + 1)])
    buf = io.StringIO()
    for ts, la, lo, ac in zip(times, lat, lon, acc, strict=True):
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
        return int(cur.rowcount)


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
    reason = _ping_refusals(t, lat, lon, acc, now_s)
    good = reason == ""
    for i in np.flatnonzero(~good):
        result.rejected.append({"index": int(i), "reason": str(reason[i])})
    if not good.any():
        return result
    times = t[good]
    # The same time twice in one batch is one ping: keep the first.
    _, first = np.unique(times, return_index=True)
    keep = np.sort(first)
    result.accepted = _store_pings(device, times[keep], lat[good][keep], lon[good][keep],
                                   acc[good][keep])
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

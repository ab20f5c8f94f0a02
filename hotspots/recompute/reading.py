"""Reading an area's crimes into arrays with one binary COPY, and points inside shapes."""

import io
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection

from ..models import HotspotRun, OffenceType

# Binary COPY of five NOT NULL 8-byte fields: each record is a 2-byte field count, then
# a 4-byte length and 8 bytes of data per field, all big-endian. NumPy reads it in place.
_RECORD = np.dtype([("n", ">i2"),
                    *[(f"{name}{part}", kind) for name in ("x", "y", "t", "a", "b")
                      for part, kind in (("_len", ">i4"), ("", ">i8" if name == "t" else ">f8"))]])


_HEADER = 19  # "PGCOPY\n\377\r\n\0", flags, header extension length


def _read_crimes(run: HotspotRun, area_ids: list[int]) -> dict[str, np.ndarray]:
    """The run's crimes as arrays, read with one binary COPY (no Python object per row)."""
    codes = list(run.parameters["weights"])
    by_id = dict(OffenceType.objects.filter(code__in=codes).values_list("id", "code"))
    weight_of = {tid: run.parameters["weights"][code] for tid, code in by_id.items()}
    buffer = io.BytesIO()
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(
        """
        COPY (SELECT ST_X(location)::float8, ST_Y(location)::float8, offence_type_id::int8,
                     extract(epoch FROM occurred_from)::float8,
                     extract(epoch FROM occurred_to)::float8
                FROM hotspots_crime
               WHERE area_id = ANY(%s) AND offence_type_id = ANY(%s)
                 AND occurred_from >= %s AND occurred_from < %s)
        TO STDOUT (FORMAT BINARY)
        """,
        [area_ids, list(by_id), run.window_start, run.window_end],
    ) as copy:
        for block in copy:
            buffer.write(block)
    data = buffer.getbuffer()
    ext = int.from_bytes(data[15:19], "big") if len(data) >= _HEADER else 0
    body = data[_HEADER + ext: len(data) - 2]  # the trailer is a field count of -1
    rows = np.frombuffer(body, dtype=_RECORD) if len(body) else np.zeros(0, dtype=_RECORD)
    types = rows["t"].astype(np.int64)
    lookup = np.zeros(int(types.max()) + 1 if types.size else 1)
    for tid, w in weight_of.items():
        if tid < lookup.size:
            lookup[tid] = w
    return {"x": rows["x"].astype(float), "y": rows["y"].astype(float), "harm": lookup[types],
            "start": rows["a"].astype(float), "end": rows["b"].astype(float)}


def _inside(points_x: np.ndarray, points_y: np.ndarray, sql_geom: str,
            params: list[Any]) -> np.ndarray:
    """Which points fall in a geometry given by SQL, set-based in PostGIS."""
    if points_x.size == 0:
        return np.zeros(0, dtype=bool)
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH g AS ({sql_geom})
            SELECT coalesce(bool_or(ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(t.x, t.y),
                                                                      %s))), false)
              FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS t(x, y, n)
              LEFT JOIN g ON true
             GROUP BY t.n ORDER BY t.n
            """,
            [*params, settings.HOTSPOTS_SRID, points_x.tolist(), points_y.tolist()],
        )
        return np.array([r[0] for r in cur.fetchall()], dtype=bool)

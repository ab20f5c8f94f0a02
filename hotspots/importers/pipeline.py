"""The import pipeline: stream rows, COPY them into a staging table, one set-based insert.

Python does what only Python can do cheaply (CSV quoting, per-row checks with a reason);
PostgreSQL does the rest in one statement: geometry, area, stable keys, de-duplication.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from .errors import ImportInputError, Rejects
from .layouts import Layout
from .parse import RowReject
from .sources import ByteCounter, list_sources, open_rows

ProgressFn = Callable[[int, int, int], None]  # bytes done, bytes total, rows read

PROGRESS_EVERY = 50_000

STAGING_DDL = """
CREATE TEMP TABLE import_staging (
    file_no integer NOT NULL,
    line_no bigint NOT NULL,
    reference text,
    content_key text,
    type_id bigint NOT NULL,
    occurred_from timestamptz NOT NULL,
    occurred_to timestamptz NOT NULL,
    x double precision NOT NULL,
    y double precision NOT NULL,
    location_text text NOT NULL,
    lsoa_code text NOT NULL,
    outcome text NOT NULL
)
"""

COPY_SQL = """
COPY import_staging (file_no, line_no, reference, content_key, type_id, occurred_from,
                     occurred_to, x, y, location_text, lsoa_code, outcome) FROM STDIN
"""

# Rows with a source id keep it; rows without one get the digest of their content plus
# their repeat number among identical rows of the same file, so identical incidents stay
# separate and re-importing the same file yields the same keys (docs/adr/0003).
INSERT_SQL = """
WITH keyed AS (
    SELECT s.reference AS ref, s.* FROM import_staging s WHERE s.reference IS NOT NULL
    UNION ALL
    SELECT 'h:' || s.content_key || ':' || row_number() OVER (
               PARTITION BY s.file_no, s.content_key ORDER BY s.line_no) AS ref, s.*
      FROM import_staging s WHERE s.reference IS NULL
), placed AS (
    SELECT k.*, ST_Transform(ST_SetSRID(ST_MakePoint(k.x, k.y), %(srid)s::integer),
                             %(target)s::integer) AS geom
      FROM keyed k
), inserted AS (
    INSERT INTO hotspots_crime (source, reference, offence_type_id, occurred_from, occurred_to,
                                location, area_id, location_text, lsoa_code, outcome,
                                import_job_id)
    SELECT %(source)s::text, p.ref, p.type_id, p.occurred_from, p.occurred_to, p.geom, a.area_id,
           p.location_text, p.lsoa_code, p.outcome, %(job)s::bigint
      FROM placed p
      LEFT JOIN LATERAL (
          SELECT ap.area_id FROM accounts_areapart ap
           WHERE ST_Intersects(ap.geom, p.geom)
           ORDER BY ap.level DESC, ap.area_id LIMIT 1
      ) a ON true
    ON CONFLICT (source, reference) DO NOTHING
    RETURNING area_id
)
SELECT count(*), count(*) FILTER (WHERE area_id IS NULL) FROM inserted
"""


@dataclass
class ImportOutcome:
    read: int = 0
    inserted: int = 0
    duplicate: int = 0
    rejects: Rejects = field(default_factory=Rejects)
    warnings: list[str] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rejected(self) -> int:
        return self.rejects.total

    def summary(self) -> str:
        return (f"read {self.read:,}, inserted {self.inserted:,}, "
                f"duplicate {self.duplicate:,}, rejected {self.rejected:,}")


def run_import(
    *,
    inputs: list[tuple[Path, str]],
    layout: Layout,
    source: str,
    job_id: int | None,
    progress: ProgressFn | None = None,
) -> ImportOutcome:
    """Import every CSV in `inputs` ((path, display name) pairs) in one set-based insert.

    A file that cannot be read at all is reported and skipped; a bad row is reported with
    its file, line and reason; neither stops the good rows.
    """
    started = time.perf_counter()
    outcome = ImportOutcome()
    sources = []
    for path, display in inputs:
        try:
            sources.extend(list_sources(path, display))
        except ImportInputError as exc:
            outcome.file_errors.append(str(exc))
    counter = ByteCounter(total=sum(s.size for s in sources))
    rejects = outcome.rejects
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    staged = 0
    with raw.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS import_staging")
        cur.execute(STAGING_DDL)
        try:
            for file_no, src in enumerate(sources):
                try:
                    stream = open_rows(src, counter, layout.delimiter)
                    convert = layout.build(stream.header, src.name)
                except ImportInputError as exc:
                    outcome.file_errors.append(str(exc))
                    continue
                name = stream.name
                with cur.copy(COPY_SQL) as copy:
                    write = copy.write_row
                    for line, fields, problem in stream.rows:
                        outcome.read += 1
                        if fields is None:
                            rejects.add(name, line, problem)
                            continue
                        try:
                            row = convert(fields)
                        except RowReject as reject:
                            rejects.add(name, line, reject.reason, reject.detail)
                            continue
                        write((file_no, line, *row))
                        staged += 1
                        if progress is not None and outcome.read % PROGRESS_EVERY == 0:
                            progress(counter.done, counter.total, outcome.read)
                if stream.fallback_bytes.value:
                    outcome.warnings.append(
                        f"{name}: {stream.fallback_bytes.value:,} byte(s) were not UTF-8 and "
                        "were read as Windows-1252; check accented names"
                    )
            if progress is not None:
                progress(counter.done, counter.total, outcome.read)
            with transaction.atomic(), connection.cursor() as dj:
                dj.execute("ANALYZE import_staging")
                dj.execute(INSERT_SQL, {"srid": layout.srid, "target": settings.HOTSPOTS_SRID,
                                        "source": source, "job": job_id})
                inserted, outside = dj.fetchone()
                has_areas = _areas_exist(dj)
        finally:
            cur.execute("DROP TABLE IF EXISTS import_staging")
    outcome.inserted = inserted
    outcome.duplicate = staged - inserted
    if outside and has_areas:
        outcome.warnings.append(f"{outside:,} crime(s) fall outside every area and have no area")
    outcome.seconds = time.perf_counter() - started
    return outcome


def _areas_exist(cursor: Any) -> bool:
    cursor.execute("SELECT EXISTS (SELECT 1 FROM accounts_areapart)")
    return bool(cursor.fetchone()[0])

"""The import pipeline: stream rows, COPY them into a staging table, insert set-based.

Python does what only Python can do cheaply (CSV quoting, per-row checks with a reason);
PostgreSQL does the rest set-based: geometry, area, stable keys, de-duplication.
"""

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import IntegrityError, InternalError, connection, transaction

from .errors import ImportInputError, Rejects
from .layouts import Converter, Layout
from .parse import RowReject
from .sources import (
    ByteCounter,
    ExpansionLimit,
    RowStream,
    SourceFile,
    list_sources,
    open_rows,
)

ProgressFn = Callable[[int, int, int], None]  # bytes done, bytes total, rows read

PROGRESS_EVERY = 50_000

# The staging table is a temporary table when the import runs inside a caller's
# transaction, and an unlogged table of its own otherwise, so that two connections can each
# insert half of it (docs/adr/0002).
STAGING_COLUMNS = """(
    rn bigint GENERATED ALWAYS AS IDENTITY,
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
)"""

COPY_SQL = """
COPY {staging} (file_no, line_no, reference, content_key, type_id, occurred_from,
                occurred_to, x, y, location_text, lsoa_code, outcome) FROM STDIN
"""

# A partition is every row whose key hashes to it: rows that share a key (the same Crime
# ID twice, identical ASB rows) always share a partition, so partitions never collide.
PARTITION = ("((hashtext(coalesce({alias}.reference, {alias}.content_key)) & 2147483647)"
             " %% {parts}) = {part}")

# 1. Keys and geometry. Rows with a source id keep it; rows without one get the digest of
#    their content plus their repeat number among identical rows of the same file, so
#    identical incidents stay separate and re-importing a file yields the same keys
#    (docs/adr/0003).
PLACE_SQL = """
CREATE TEMP TABLE import_placed ON COMMIT DROP AS
SELECT s.rn, s.reference AS ref, s.type_id, s.occurred_from, s.occurred_to,
       {transform}(ST_SetSRID(ST_MakePoint(s.x, s.y), %(srid)s::integer),
                   %(target)s::integer) AS geom,
       s.location_text, s.lsoa_code, s.outcome
  FROM {staging} s WHERE s.reference IS NOT NULL AND {partition}
UNION ALL
SELECT s.rn, 'h:' || s.content_key || ':' || row_number() OVER (
           PARTITION BY s.file_no, s.content_key ORDER BY s.line_no),
       s.type_id, s.occurred_from, s.occurred_to,
       {transform}(ST_SetSRID(ST_MakePoint(s.x, s.y), %(srid)s::integer),
                   %(target)s::integer),
       s.location_text, s.lsoa_code, s.outcome
  FROM {staging} s WHERE s.reference IS NULL AND {partition}
"""

# A point PROJ cannot place (90 degrees of longitude from British National Grid's central
# meridian, an easting of 1e20 in UTM) stops the statement. It then runs again with
# hotspots_transform_or_null (migration 0005), which is slower, and such rows are rejected.
UNPLACED_SQL = """
WITH gone AS (DELETE FROM import_placed WHERE geom IS NULL RETURNING rn)
SELECT s.file_no, s.line_no, s.x, s.y FROM {staging} s JOIN gone USING (rn)
 ORDER BY s.file_no, s.line_no
"""

# 2. Areas. Each area part is the outer row and probes an index on the new points, so
#    PostGIS reuses its prepared polygon for every point it tests (3x faster than a lookup
#    per point). Leaf areas first; the few points outside every leaf try the larger areas.
AREA_SQL = [
    "CREATE INDEX import_placed_geom ON import_placed USING gist (geom)",
    "ANALYZE import_placed",
    """
    CREATE TEMP TABLE import_area ON COMMIT DROP AS
    SELECT p.rn, min(ap.area_id) AS area_id
      FROM accounts_areapart ap JOIN import_placed p ON ST_Intersects(ap.geom, p.geom)
     WHERE ap.is_leaf
     GROUP BY p.rn
    """,
    """
    -- Only where parents have parts of their own (places no child covers): often none.
    INSERT INTO import_area (rn, area_id)
    SELECT p.rn, inner_area.area_id
      FROM import_placed p
      CROSS JOIN LATERAL (
          SELECT ap.area_id FROM accounts_areapart ap
           WHERE NOT ap.is_leaf AND ST_Intersects(ap.geom, p.geom)
           ORDER BY ap.level DESC, ap.area_id LIMIT 1) inner_area
     WHERE NOT EXISTS (SELECT 1 FROM import_area a WHERE a.rn = p.rn)
    """,
]

# When boundaries change (areas imported, redrawn, moved or deleted) every stored crime takes
# the area an import would give it now. Only crimes inside a part that was added or removed
# can change (areas_changed, made by accounts.services.areas_rebuild_index): their points go
# through the importer's own area statements, and those whose area differs are written.
REASSIGN_PLACE_SQL = """
CREATE TEMP TABLE import_placed ON COMMIT DROP AS
SELECT DISTINCT ON (c.id) c.id AS rn, c.location AS geom
  FROM areas_changed ch JOIN hotspots_crime c ON ST_Intersects(ch.geom, c.location)
 ORDER BY c.id
"""
REASSIGN_UPDATE_SQL = """
UPDATE hotspots_crime c SET area_id = n.area_id
  FROM (SELECT p.rn, a.area_id FROM import_placed p LEFT JOIN import_area a ON a.rn = p.rn) n
 WHERE c.id = n.rn AND c.area_id IS DISTINCT FROM n.area_id
"""

# The importer reads accounts_areapart and writes crimes with the areas it found: it holds
# this lock until it commits, so a boundary change (which rewrites the parts, then every
# crime's area) waits for running imports, and imports wait for it. Neither can leave a
# crime with an area from the boundaries before the change.
PARTS_LOCK_SQL = "LOCK TABLE accounts_areapart IN SHARE MODE"

# 3. One insert. The usual case, a file whose keys are distinct, takes the fast statement:
#    keys already stored are left out by an anti-join and the rest is a plain insert. A key
#    twice in the file, or one that a concurrent import stores first, breaks the unique
#    key; the statement is then rolled back to a savepoint and the safe one runs, where
#    ON CONFLICT DO NOTHING settles each row (it costs about 2 s more per million rows).
INSERT_SQL = """
WITH inserted AS (
    INSERT INTO hotspots_crime (source, reference, offence_type_id, occurred_from, occurred_to,
                                location, area_id, location_text, lsoa_code, outcome,
                                import_job_id)
    SELECT %(source)s::text, p.ref, p.type_id, p.occurred_from, p.occurred_to, p.geom,
           a.area_id, p.location_text, p.lsoa_code, p.outcome, %(job)s::bigint
      FROM import_placed p LEFT JOIN import_area a ON a.rn = p.rn
    {where}
    -- In key order the unique index is written page after page instead of at random:
    -- 2 s less per million rows, sort included (docs/adr/0002).
     ORDER BY p.ref
    {conflict}
    RETURNING area_id
)
SELECT count(*), count(*) FILTER (WHERE area_id IS NULL) FROM inserted
"""
FAST = {"conflict": "", "where": """WHERE NOT EXISTS (SELECT 1 FROM hotspots_crime c
                       WHERE c.source = %(source)s::text AND c.reference = p.ref)"""}
SAFE = {"where": "", "conflict": "ON CONFLICT (source, reference) DO NOTHING"}

# A partition's connection is its own, so it may hold its temporary tables (about 80 MB
# per 500,000 rows) in memory rather than spilling them, and hash its joins in memory:
# 0.5 to 1 s less per million rows, measured.
PARTITION_SESSION_SQL = ("SET temp_buffers = '256MB'; SET work_mem = '64MB'; "
                         "SET maintenance_work_mem = '256MB'")

AREAS_EXIST_SQL = "SELECT EXISTS (SELECT 1 FROM accounts_areapart)"
# Parts of areas with children: the places none of their children cover (accounts.AreaPart).
UNCOVERED_SQL = "SELECT EXISTS (SELECT 1 FROM accounts_areapart WHERE NOT is_leaf)"

# The crime table checks no offence type per row (docs/adr/0002): instead each insert
# key-share locks the types its rows can carry, so none can be deleted until it commits,
# and the trigger on hotspots_offencetype then sees the new crimes.
TYPES_LOCK_SQL = "SELECT id FROM hotspots_offencetype WHERE id = ANY(%(types)s) FOR KEY SHARE"


@dataclass
class PartResult:
    inserted: int
    outside: int  # inserted with no area
    # (file number, line, x, y) of rows whose point PROJ could not place
    unplaced: list[tuple[int, int, float, float]]


@dataclass
class ImportOutcome:
    read: int = 0
    inserted: int = 0
    duplicate: int = 0
    rejects: Rejects = field(default_factory=Rejects)
    warnings: list[str] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Wall-clock seconds per phase: streaming rows into staging, the set-based insert.
    timings: dict[str, float] = field(default_factory=dict)

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
    """Import every CSV in `inputs` ((path, display name) pairs), set-based.

    A file that cannot be read at all is reported and skipped; a bad row is reported with
    its file, line and reason; neither stops the good rows.
    """
    started = time.perf_counter()
    outcome = ImportOutcome()
    sources = _sources(inputs, outcome)
    counter = ByteCounter(total=sum(s.size for s in sources))
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    # Inside a caller's transaction (a test, a bigger service) nothing else can see our
    # rows, so everything stays on this connection in one transaction.
    shared = not connection.in_atomic_block
    # Shared by the import's connections, so not a temporary table: the application's role
    # makes it in its own schema (hotspots migration 0006), never in public.
    staging = f"hotspots_work.import_staging_{uuid.uuid4().hex}" if shared else "import_staging"
    with raw.cursor() as cur:
        if shared:
            cur.execute(f"CREATE UNLOGGED TABLE {staging} {STAGING_COLUMNS}")
        else:
            cur.execute("DROP TABLE IF EXISTS import_staging, import_placed, import_area")
            cur.execute(f"CREATE TEMP TABLE {staging} {STAGING_COLUMNS}")
        try:
            staged = _stage(cur, staging, sources, layout, counter, outcome, progress)
            names = [s.name for s in sources]
            copied = time.perf_counter()
            outcome.timings["read_and_copy"] = copied - started
            parts = _partitions(staged) if shared else 1
            params = {"srid": layout.srid, "target": settings.HOTSPOTS_SRID,
                      "source": source, "job": job_id, "types": sorted(layout.type_ids)}
            if parts == 1:
                with transaction.atomic(), connection.cursor() as dj:
                    results = [_insert_partition(dj, staging, 0, 1, params)]
            else:
                results = _insert_in_parallel(staging, parts, params)
        finally:
            cur.execute(f"DROP TABLE IF EXISTS {staging}, import_placed, import_area")
    outcome.timings["insert"] = time.perf_counter() - copied
    _tally(outcome, results, staged, names, layout.srid)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _sources(inputs: list[tuple[Path, str]], outcome: ImportOutcome) -> list[SourceFile]:
    """The CSVs inside the inputs (zips expanded within bounds); an unreadable input is
    reported and skipped."""
    sources: list[SourceFile] = []
    for path, display in inputs:
        try:
            sources.extend(list_sources(path, display, ExpansionLimit(
                ratio=settings.IMPORT_MAX_EXPANSION_RATIO,
                total_bytes=settings.IMPORT_MAX_EXPANDED_BYTES)))
        except ImportInputError as exc:
            outcome.file_errors.append(str(exc))
    return sources


def _tally(outcome: ImportOutcome, results: list[Any], staged: int, names: list[str],
           srid: int) -> None:
    """The partitions' counts into the outcome: inserted, duplicates, the rows no
    coordinate system could place, and a warning for crimes outside every area."""
    outcome.inserted = sum(r.inserted for r in results)
    outside = sum(r.outside for r in results)
    unplaced = sorted(u for r in results for u in r.unplaced)
    for file_no, line, x, y in unplaced:
        outcome.rejects.add(names[file_no], line, "coordinate outside the coordinate system",
                            f"({x:g}, {y:g}) in EPSG:{srid} cannot be placed in "
                            f"EPSG:{settings.HOTSPOTS_SRID}")
    outcome.duplicate = staged - outcome.inserted - len(unplaced)
    with connection.cursor() as dj:
        dj.execute(AREAS_EXIST_SQL)
        has_areas = bool(dj.fetchone()[0])
    if outside and has_areas:
        outcome.warnings.append(f"{outside:,} crime(s) fall outside every area and have no area")


def _stage(cur: Any, staging: str, sources: list[SourceFile], layout: Layout,
           counter: ByteCounter, outcome: ImportOutcome, progress: ProgressFn | None) -> int:
    """Stream every source's good rows into the staging table; returns how many."""
    staged = 0
    for file_no, src in enumerate(sources):
        try:
            stream = open_rows(src, counter, layout.delimiter)
            convert = layout.build(stream.header, src.name)
        except ImportInputError as exc:
            outcome.file_errors.append(str(exc))
            continue
        staged += _stage_rows(cur, staging, stream, convert, file_no, counter, outcome, progress)
        if stream.fallback_bytes.value:
            outcome.warnings.append(
                f"{stream.name}: {stream.fallback_bytes.value:,} byte(s) were not UTF-8 and "
                "were read as Windows-1252; check accented names"
            )
    if progress is not None:
        progress(counter.done, counter.total, outcome.read)
    return staged


def _stage_rows(cur: Any, staging: str, stream: RowStream, convert: Converter, file_no: int,
                counter: ByteCounter, outcome: ImportOutcome,
                progress: ProgressFn | None) -> int:
    """Every row checked in Python and written with COPY, one COPY statement per
    PROGRESS_EVERY rows: progress is written through this same connection, which cannot run
    another statement while a COPY is open (it waited for ever when it tried)."""
    rejects, name = outcome.rejects, stream.name
    staged = 0
    rows = iter(stream.rows)
    finished = False
    while not finished:
        finished = True
        with cur.copy(COPY_SQL.format(staging=staging)) as copy:
            write = copy.write_row
            for line, fields, problem in rows:
                outcome.read += 1
                if fields is None:
                    rejects.add(name, line, problem)
                else:
                    try:
                        row = convert(fields)
                    except RowReject as reject:
                        rejects.add(name, line, reject.reason, reject.detail)
                    else:
                        write((file_no, line, *row))
                        staged += 1
                if progress is not None and outcome.read % PROGRESS_EVERY == 0:
                    finished = False
                    break
        if progress is not None and not finished:
            progress(counter.done, counter.total, outcome.read)
    return staged


def _partitions(staged: int) -> int:
    """How many connections share the insert: one per core, for imports big enough."""
    if staged < settings.IMPORT_PARALLEL_MIN_ROWS:
        return 1
    return max(1, min(settings.IMPORT_PARALLEL_WORKERS, 8))


def _insert_partition(cur: Any, staging: str, part: int, parts: int,
                      params: dict[str, Any]) -> PartResult:
    """Keys, geometry, areas and the insert for one partition."""
    where = "true" if parts == 1 else PARTITION.format(alias="s", parts=parts, part=part)
    cur.execute(TYPES_LOCK_SQL, params)
    if len(cur.fetchall()) != len(params["types"]):
        raise ImportInputError("an offence type was deleted during the import; run it again")
    cur.execute(PARTS_LOCK_SQL)
    unplaced: list[tuple[int, int, float, float]] = []
    cur.execute("SAVEPOINT import_place")
    try:
        cur.execute(PLACE_SQL.format(staging=staging, partition=where,
                                     transform="ST_Transform"), params)
        cur.execute("RELEASE SAVEPOINT import_place")
    except (psycopg.errors.InternalError_, InternalError) as exc:
        if "transform" not in str(exc):
            raise
        cur.execute("ROLLBACK TO SAVEPOINT import_place")
        cur.execute(PLACE_SQL.format(staging=staging, partition=where,
                                     transform="hotspots_transform_or_null"), params)
        cur.execute(UNPLACED_SQL.format(staging=staging))
        unplaced = [(int(f), int(n), float(x), float(y)) for f, n, x, y in cur.fetchall()]
    _find_areas(cur)
    cur.execute("SAVEPOINT import_fast")
    try:
        cur.execute(INSERT_SQL.format(**FAST), params)
        inserted, outside = cur.fetchone()
        cur.execute("RELEASE SAVEPOINT import_fast")
    except (psycopg.errors.UniqueViolation, IntegrityError):
        cur.execute("ROLLBACK TO SAVEPOINT import_fast")
        cur.execute(INSERT_SQL.format(**SAFE), params)
        inserted, outside = cur.fetchone()
    cur.execute("DROP TABLE import_placed, import_area")
    return PartResult(int(inserted), int(outside), unplaced)


def _find_areas(cur: Any) -> None:
    """import_area from import_placed. Whether parents have uncovered parts is read here,
    under the lock on the parts (PARTS_LOCK_SQL or the rebuild's), so it cannot change."""
    cur.execute(UNCOVERED_SQL)
    for statement in AREA_SQL if cur.fetchone()[0] else AREA_SQL[:-1]:
        cur.execute(statement)


def reassign_areas(cur: Any) -> int:
    """Give every stored crime in a changed part (the temporary table areas_changed) the
    area its point is in now; returns how many changed area. The caller holds a
    transaction, and the lock that keeps imports out (accounts.services.areas_rebuild_index)."""
    cur.execute(REASSIGN_PLACE_SQL)
    if cur.rowcount == 0:  # no crime where the boundaries changed (or no crime at all)
        cur.execute("DROP TABLE import_placed")
        return 0
    _find_areas(cur)
    cur.execute(REASSIGN_UPDATE_SQL)
    moved = cur.rowcount
    cur.execute("DROP TABLE import_placed, import_area")
    return int(moved)


def _insert_in_parallel(staging: str, parts: int,
                        params: dict[str, Any]) -> list[PartResult]:
    """Each partition on its own connection and core, each in its own transaction.

    Keys never cross partitions, so the inserts cannot conflict. If one partition fails the
    others stay committed: the job fails with the error, and running the import again adds
    exactly the missing rows (keys make it idempotent).
    """
    conn_params = connection.get_connection_params()

    def work(part: int) -> PartResult:
        with psycopg.connect(**conn_params) as conn:
            with conn.cursor() as cur:
                cur.execute(PARTITION_SESSION_SQL)
            with conn.transaction(), conn.cursor() as cur:
                return _insert_partition(cur, staging, part, parts, params)

    with ThreadPoolExecutor(max_workers=parts) as pool:
        return list(pool.map(work, range(parts)))

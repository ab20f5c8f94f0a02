"""Writes for tracking, one module per job: devices and their tokens, GPS ping ingestion,
ping partitions and their purge, presence intervals, and officers' visits. Everything
callers use is importable from here.
"""

from .alarms import (  # noqa: F401
    alarm_acknowledge,
    alarms_check,
    alarms_clear_on_arrival,
)
from .devices import device_by_token, device_create, device_set_active, token_hash  # noqa: F401
from .errors import BatchTooLarge, TrackingInputError, VisitConflict  # noqa: F401
from .partitions import (  # noqa: F401
    PARTITION_PREFIX,
    partition_name,
    ping_partitions,
    ping_partitions_ensure,
    pings_purge,
)
from .pings import (  # noqa: F401
    IngestResult,
    _metres,
    _number,
    _refuse_speeding,
    _time,
    pings_ingest,
    pings_parse_csv,
    pings_parse_json,
)
from .presence import PRESENCE_OVERLAP, PRESENCE_SQL, presence_update  # noqa: F401
from .visits import (  # noqa: F401
    VISIT_FIELDS,
    _body_hash,
    _inside,
    _point,
    _to_metric,
    observation_act,
    visit_record,
)

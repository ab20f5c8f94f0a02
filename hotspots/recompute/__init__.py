"""Hot spot runs: read an area's crimes once into arrays, compute, select, keep identities.

Services (writes) for runs and hot spots, one module per job; the maths is in `analysis/`.
Everything callers use is importable from here.
"""

from .exclusions import (  # noqa: F401
    MAX_EXCLUSION_M2,
    exclusion_area_changed_by_hand,
    exclusion_area_create,
    exclusion_area_delete,
    exclusion_area_update,
    exclusion_state,
)
from .params import (  # noqa: F401
    DAYS,
    DEFAULTS,
    RunInputError,
    _number,
    _parameters,
    default_window_end,
    hotspot_run_create,
    hotspot_run_queue,
)
from .pipeline import (  # noqa: F401
    _assign_areas,
    _backtest,
    _compute,
    _keep_identities,
    _mean,
    _patterns,
    _peak_hours,
    _run_once,
    hotspot_run_execute,
)
from .reading import _HEADER, _RECORD, _inside, _read_crimes  # noqa: F401
from .review import hotspot_rename, hotspot_review  # noqa: F401
from .scheduling import hotspot_runs_nightly, hotspot_runs_resume  # noqa: F401

"""A week's rota for 300 hot spots x 21 shifts, beside a naive allocation in the same run.

The naive peer re-scans the whole hot spot x shift matrix for every visit (np.argmax),
which is what a first implementation of "the most harm per visit next" would do.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasking.generator import Rules, generate, shift_coverage, week_shifts


def naive(profiles: np.ndarray, shifts: list, rules: Rules) -> int:
    value = profiles @ shift_coverage(shifts)
    given = np.zeros(value.shape, dtype=int)
    slots = np.array([s.capacity_minutes // rules.visit_minutes for s in shifts])
    per_week = np.zeros(value.shape[0], dtype=int)
    total = 0
    while True:
        ratio = value / (given + 1)
        ratio[(given >= rules.max_visits_per_shift) | (value <= 0)] = -1
        ratio[:, slots <= 0] = -1
        ratio[per_week >= rules.max_visits_per_week, :] = -1
        h, j = np.unravel_index(np.argmax(ratio), ratio.shape)
        if ratio[h, j] < 0:
            return total
        given[h, j] += 1
        per_week[h] += 1
        slots[j] -= 1
        total += 1


def main() -> None:
    rng = np.random.default_rng(4)
    profiles = rng.gamma(0.5, 10.0, (300, 168)) * (rng.random((300, 168)) < 0.4)
    # Capacity for about 80% of the visits the caps would allow.
    shifts = week_shifts([("Early", 7, 8, 600.0), ("Late", 15, 8, 900.0),
                          ("Night", 23, 8, 600.0)])
    rules = Rules(seed=1)
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        rota = generate(profiles=profiles, shifts=shifts, rules=rules)
        runs.append(time.perf_counter() - t)
    t = time.perf_counter()
    naive_visits = naive(profiles, shifts, rules)
    naive_s = time.perf_counter() - t
    print(json.dumps({"hotspots": 300, "shifts": len(shifts), "visits": len(rota.visits),
                      "seconds": min(runs), "naive_seconds": naive_s,
                      "naive_visits": naive_visits}))


if __name__ == "__main__":
    main()

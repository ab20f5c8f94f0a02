"""Generate a police.uk street-level file of N rows (deterministic), for import benchmarks.

Rows look like the real thing: 64-hex Crime IDs, twelve months, points scattered over
Greater London with clustering, the police.uk crime types in realistic shares, and 15%
anti-social behaviour rows with no Crime ID (some of them exact repeats, as in real files).
"""

import csv
import sys
from pathlib import Path

import numpy as np

HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
          "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
          "Context"]
TYPES = ["Violence and sexual offences", "Other theft", "Vehicle crime", "Burglary",
         "Criminal damage and arson", "Shoplifting", "Public order", "Theft from the person",
         "Robbery", "Drugs", "Bicycle theft", "Other crime", "Possession of weapons"]
SHARES = np.array([30, 14, 11, 8, 7, 7, 7, 5, 3, 3, 2, 2, 1], dtype=float)
MONTHS = [f"{y}-{m:02d}" for y, m in [(2024, m) for m in range(3, 13)] + [(2025, 1), (2025, 2)]]
FORCE = "Metropolitan Police Service"


LONDON = (-0.45, 51.35, 0.25, 51.65)
# Inside the 40 km square of British National Grid 510,000-550,000 E, 160,000-200,000 N.
SQUARE_40KM = (-0.39, 51.34, 0.12, 51.68)


def generate(path: Path, rows: int, seed: int = 7,
             box: tuple[float, float, float, float] = LONDON) -> Path:
    rng = np.random.default_rng(seed)
    lon0, lat0, lon1, lat1 = box
    # Clustered points: 2,000 centres, crimes scattered ~300 m around them.
    centres_lon = rng.uniform(lon0, lon1, 2000)
    centres_lat = rng.uniform(lat0, lat1, 2000)
    with path.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        chunk = 100_000
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            centre = rng.integers(0, 2000, n)
            lon = np.clip(centres_lon[centre] + rng.normal(0, 0.004, n), lon0, lon1)
            lat = np.clip(centres_lat[centre] + rng.normal(0, 0.0027, n), lat0, lat1)
            month = rng.integers(0, 12, n)
            asb = rng.random(n) < 0.15
            kind = rng.choice(len(TYPES), n, p=SHARES / SHARES.sum())
            ids = rng.integers(0, 2**63, (n, 4), dtype=np.int64)
            street = rng.integers(1, 5000, n)
            for i in range(n):
                if asb[i]:
                    crime_id, crime_type, outcome = "", "Anti-social behaviour", ""
                    # Snapped locations: a third of ASB rows repeat a small set of points.
                    if street[i] % 3 == 0:
                        lon[i], lat[i] = centres_lon[centre[i]], centres_lat[centre[i]]
                else:
                    crime_id = "".join(f"{int(v) & 0xFFFFFFFFFFFFFFFF:016x}" for v in ids[i])
                    crime_type = TYPES[kind[i]]
                    outcome = "Investigation complete; no suspect identified"
                writer.writerow([crime_id, MONTHS[month[i]], FORCE, FORCE, f"{lon[i]:.6f}",
                                 f"{lat[i]:.6f}", f"On or near Street {street[i]}",
                                 f"E0100{street[i] % 4000:04d}", "", crime_type, outcome, ""])
    return path


if __name__ == "__main__":
    box = SQUARE_40KM if len(sys.argv) > 3 and sys.argv[3] == "square" else LONDON
    generate(Path(sys.argv[1]), int(sys.argv[2]), box=box)

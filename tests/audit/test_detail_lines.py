"""The audit page reads each event's detail as lines of words (issue 18, item 16)."""

import pytest

from audit.templatetags.audit_tags import detail_lines


@pytest.mark.parametrize(("detail", "lines"), [
    # task.update: the fields that changed, before and after
    ({"plan": 4, "version": 7, "before": {"user": None, "team": 3},
      "after": {"user": 12, "team": None}},
     ["user: (none) → 12", "team: 3 → (none)", "plan: 4", "version: 7"]),
    # hotspot review: one value
    ({"before": "candidate", "after": "approved", "note": "known series"},
     ["candidate → approved", "note: known series"]),
    # problem solving: a field each
    ({"scanning": {"before": "", "after": "Burglary of flats"},
      "owner": {"before": None, "after": 5}},
     ["scanning: (none) → Burglary of flats", "owner: (none) → 5"]),
    # an export: plain facts, lists joined
    ({"recipient": "Funder", "rows": 120, "areas": [1, 2], "signed": True},
     ["recipient: Funder", "rows: 120", "areas: 1, 2", "signed: yes"]),
    # ... with the names recorded beside the ids (a review: "team: 2 -> (none)" told an
    # auditor nothing), and a visit's hot spot by its name
    ({"plan": 4, "before": {"user": None, "team": 3}, "after": {"user": 12, "team": None},
      "names": {"user:12": "Priya Shah", "team:3": "Camden Town SNT"}},
     ["user: (none) → Priya Shah", "team: Camden Town SNT → (none)", "plan: 4"]),
    ({"hotspot": 11, "task": 40, "names": {"hotspot:11": "Camden Road, Camden"}},
     ["hotspot: Camden Road, Camden", "task: 40"]),
    ({}, []),
    (None, []),
])
def test_detail_lines(detail, lines):
    assert detail_lines(detail) == lines

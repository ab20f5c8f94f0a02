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
    ({}, []),
    (None, []),
])
def test_detail_lines(detail, lines):
    assert detail_lines(detail) == lines

from core.errors import InputError


class ImportInputError(InputError):
    """A whole file (or the request) cannot be imported; the message says why, in plain words."""


class Rejects:
    """Counts rejected rows by reason and keeps the first few in full for the report."""

    SAMPLE_LIMIT = 1000

    def __init__(self) -> None:
        self.by_reason: dict[str, int] = {}
        self.sample: list[dict[str, object]] = []
        self.total = 0

    def add(self, file: str, line: int, reason: str, detail: str = "") -> None:
        self.total += 1
        self.by_reason[reason] = self.by_reason.get(reason, 0) + 1
        if len(self.sample) < self.SAMPLE_LIMIT:
            text = f"{reason}: {detail}" if detail else reason
            self.sample.append({"file": file, "line": line, "reason": text})

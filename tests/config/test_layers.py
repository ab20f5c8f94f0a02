"""The import contracts (pyproject [tool.importlinter]) hold on the code as it is, and fail on
a deliberate upward import of each kind they forbid. The check runs on a copy of the
packages, so the working tree is never touched."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The packages the contracts name, read from the contracts themselves so a new app is copied.
PACKAGES = tuple(tomllib.loads((ROOT / "pyproject.toml").read_text())
                 ["tool"]["importlinter"]["root_packages"])
LINT = Path(sys.executable).with_name("lint-imports")


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("layers")
    for name in PACKAGES:
        shutil.copytree(ROOT / name, dest / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "static",
                                                      "templates", "data", "locale", "*.zip",
                                                      "*.geojson", "*.md"))
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def lint(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-cache"], cwd=where, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(where),
                                                       "PATH": "/usr/bin:/bin"})


def test_the_code_as_it_is_keeps_every_contract(copy: Path) -> None:
    out = lint(copy)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Contracts: 3 kept, 0 broken." in out.stdout


@pytest.mark.parametrize(("module", "line", "broken", "tally"), [
    # core reaching up into an app: below every layer too, so both contracts break
    ("core/upward_probe.py", "import hotspots.models\n",
     "core is the floor: it imports no app and not config BROKEN", "1 kept, 2 broken"),
    # a lower app importing a higher one: tasking sits below reports
    ("tasking/upward_probe.py", "import reports.selectors\n",
     "apps import only downward, in one declared order BROKEN", "2 kept, 1 broken"),
    # a view reading another app's models instead of its selectors
    # (the contract names views and api modules, so this probe is added to patrols/views.py)
    ("patrols/views.py", "from hotspots.models import Hotspot\n", None, "2 kept, 1 broken"),
])
def test_a_deliberate_upward_import_breaks_its_contract(copy: Path, module: str, line: str,
                                                        broken: str | None,
                                                        tally: str) -> None:
    probe = target = copy / module
    if broken is None:
        original = target.read_text()
        target.write_text(original + "\n" + line)
    else:
        probe.write_text(line)
    try:
        out = lint(copy)
    finally:
        if broken is None:
            target.write_text(original)
        else:
            probe.unlink()
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"Contracts: {tally}." in out.stdout
    if broken is not None:
        assert broken in out.stdout
    else:
        # The contract's long name wraps in the report; its end sits beside the verdict.
        assert "selectors) BROKEN" in out.stdout
        assert "patrols.views -> hotspots.models" in out.stdout

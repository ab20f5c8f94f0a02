"""Hot spot analytics on plain NumPy arrays: no Django here, so every function tests and
benchmarks on its own. Distances are metres in the deployment's projected CRS."""

from core.errors import InputError


class AnalysisInputError(InputError):
    """The inputs cannot give a meaningful result; the message says why, in plain words."""

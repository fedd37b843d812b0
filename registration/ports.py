"""What registration needs from the contributions app, inverted so that imports point one way.

contributions depends on registration (CONVENTIONS.md), so registration cannot import it. Yet the
worker resource shows `monthly_contribution`, priced by contributions, and ending a worker must stop
their billing. contributions registers both functions here when the app registry is ready
(contributions.apps).
"""

from collections.abc import Callable


class Port:
    """One function another app provides; calling it before that app registered it is a setup error."""

    def __init__(self, name: str, doc: str):
        self.name = name
        self.__doc__ = doc
        self._function: Callable | None = None

    def register(self, function: Callable) -> None:
        self._function = function

    def __call__(self, *args, **kwargs):
        if self._function is None:
            raise RuntimeError(f"No {self.name} registered: is the contributions app installed?")
        return self._function(*args, **kwargs)


monthly_contributions = Port(
    "monthly pricer",
    "(enrollments) -> {enrollment id: normal (unadjusted) monthly amount at today's rates}, in a fixed "
    "number of queries.",
)
billing_stop = Port(
    "billing stopper",
    "(enrollment id) -> None: close what still bills this worker. Runs inside the caller's transaction.",
)
autopay_set = Port(
    "autopay switch",
    "(enrollment id, on: bool) -> None: whether the payer's autopay pays this worker (issue 22).",
)

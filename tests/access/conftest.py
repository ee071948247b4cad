"""The access matrix's summary line at the end of the run."""

from __future__ import annotations

from typing import Any

from tests.access.matrix import cells
from tests.access.test_access_matrix import TALLY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TALLY["cells"]:
        terminalreporter.write_line(f"access matrix: {len(cells())} cells ({TALLY['cells']} run), "
                                    f"{TALLY['unauthorised successes']} unauthorised successes")

"""The fault suite's scoreboard and shared fixtures.

Each fault test takes the ``fault`` fixture and records on it what it injected, how many input rows
went in and how many of them were found in the outputs, and how many jobs the emulator created for
how many logical jobs. The test's own outcome says whether the fault was survived. At the end of the
session the scoreboard is printed: faults injected, survived, rows lost (must be 0), duplicate jobs
(must be 0).
"""

from __future__ import annotations

import uuid
from collections.abc import Generator

import pytest

from tests.faults.scoreboard import FaultRecord, Scoreboard, scoreboard_lines

_SCOREBOARD = pytest.StashKey[Scoreboard]()
_RECORD = pytest.StashKey[FaultRecord]()


def pytest_configure(config: pytest.Config) -> None:
    """A fresh scoreboard for the session."""
    config.stash[_SCOREBOARD] = Scoreboard()


@pytest.fixture
def fault(request: pytest.FixtureRequest) -> FaultRecord:
    """The scoreboard entry of this test; ``fault.label`` is a label value unique to it."""
    record = FaultRecord(case=request.node.nodeid.split("::", 1)[-1], label=f"fc-{uuid.uuid4().hex[:12]}")
    request.config.stash[_SCOREBOARD].records.append(record)
    request.node.stash[_RECORD] = record
    return record


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport,
                                                                                         pytest.TestReport]:
    """Mark the test's scoreboard entry survived, FAILED or xfail from its setup and call reports."""
    report = yield
    record = item.stash.get(_RECORD, None)
    if record is None or report.when not in ("setup", "call") or (report.when == "setup" and report.passed):
        return report
    if hasattr(report, "wasxfail"):
        record.outcome = "xfail"
        record.reason = str(report.wasxfail)
    else:
        record.outcome = "survived" if report.passed else "FAILED"
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the scoreboard after the test results."""
    board = terminalreporter.config.stash.get(_SCOREBOARD, None)
    if board is None or not board.records:
        return
    terminalreporter.section("fault suite scoreboard")
    for line in scoreboard_lines(board):
        terminalreporter.write_line(line)


"""The ledger of input rows: matched, duplicate and unexpected output rows."""

from __future__ import annotations

from airflow_batch_gemini.output.ledger import Claim, RowLedger
from airflow_batch_gemini.output.row_identity import row_identity


def test_the_ledger_tells_matched_duplicate_and_unexpected_rows() -> None:
    ledger = RowLedger()
    for key in ("a", "b", "b"):
        ledger.expect(row_identity({"key": key}))
    assert (ledger.rows, ledger.outstanding) == (3, 3)
    claims = [ledger.claim(row_identity({"key": key})) for key in ("a", "a", "b", "z")]
    assert claims == [Claim.MATCHED, Claim.DUPLICATE, Claim.MATCHED, Claim.UNEXPECTED]
    assert ledger.outstanding == 1, "one of the two b rows is still missing"

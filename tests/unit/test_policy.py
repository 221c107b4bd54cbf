"""The policy on partial results: fail_on_partial and max_failure_ratio."""

from __future__ import annotations

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError
from airflow_batch_gemini.output.policy import check_failure_ratio, failure_ratio, policy_violation


def test_policy() -> None:
    manifest = {"succeeded": 8, "failed": 1, "missing": 1, "input_rows": 10}
    assert policy_violation(manifest, fail_on_partial=False, max_failure_ratio=None) is None
    assert policy_violation(manifest, fail_on_partial=False, max_failure_ratio=0.2) is None
    assert "more than max_failure_ratio 10.0%" in str(policy_violation(manifest, False, 0.1))
    assert "fail_on_partial" in str(policy_violation(manifest, True, None))
    assert policy_violation({"succeeded": 0, "failed": 0}, True, 0.0) is None


def test_the_ratio_is_over_input_rows_when_known_else_output_rows() -> None:
    assert failure_ratio({"succeeded": 8, "failed": 1, "missing": 1, "input_rows": 20}) == 0.1
    assert failure_ratio({"succeeded": 3, "failed": 1}) == 0.25
    assert failure_ratio({}) == 0.0


@pytest.mark.parametrize(("given", "kept"), [(None, None), (0, 0.0), (0.25, 0.25), (1, 1.0)])
def test_a_failure_ratio_from_0_to_1_or_none_is_kept(given, kept) -> None:
    assert check_failure_ratio(given) == kept


@pytest.mark.parametrize("given", [5, 1.01, -0.1, True, "0.1", float("nan")])
def test_a_failure_ratio_outside_0_to_1_is_a_configuration_error(given) -> None:
    with pytest.raises(GeminiBatchConfigurationError, match=r"max_failure_ratio is .*from 0 to 1 \(0.1 for 10 %\)"):
        check_failure_ratio(given)

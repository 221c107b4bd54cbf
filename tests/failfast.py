"""Asserting a permanent error: an operator's entry point raises it as Airflow's fail-fast exception
(:class:`~airflow_batch_gemini.operators.failures.GeminiBatchPermanentFailure`), the typed error its cause."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchError
from airflow_batch_gemini.operators.failures import GeminiBatchPermanentFailure, fails_fast


class Raised:
    """What :func:`raises_permanently` or :func:`raises_typed` caught: ``value`` is the typed error, as
    ``pytest.raises`` gives it; ``permanent`` whether it came as the fail-fast exception."""

    value: GeminiBatchError
    permanent: bool


@contextlib.contextmanager
def raises_permanently(expected: type[GeminiBatchError], match: str | None = None) -> Iterator[Raised]:
    """Like ``pytest.raises(expected, match=...)`` around a call of an entry point decorated with
    ``fails_fast``: the block must raise the fail-fast exception, caused by an ``expected`` error."""
    raised = Raised()
    with pytest.raises(GeminiBatchPermanentFailure) as info:
        yield raised
    error = info.value.error
    assert isinstance(error, expected), f"{type(error).__name__} is not a {expected.__name__}: {error}"
    assert info.value.__cause__ is error
    if match is not None:
        assert re.search(match, str(error)), f"{match!r} not in {error}"
    raised.value = error


@contextlib.contextmanager
def raises_typed(expected: type[GeminiBatchError]) -> Iterator[Raised]:
    """The ``expected`` error an entry point raised: as it is when retryable, or as the cause of the
    fail-fast exception when permanent (``Raised.permanent`` says which; the two must agree with the
    error's own :meth:`~airflow_batch_gemini.exceptions.GeminiBatchError.is_retryable`)."""
    raised = Raised()
    with pytest.raises((expected, GeminiBatchPermanentFailure)) as info:
        yield raised
    raised.permanent = isinstance(info.value, GeminiBatchPermanentFailure)
    error = info.value.error if isinstance(info.value, GeminiBatchPermanentFailure) else info.value
    assert isinstance(error, expected), f"{type(error).__name__} is not a {expected.__name__}: {error}"
    assert raised.permanent is not error.is_retryable()
    raised.value = error


def fails_fast_decorated(function: object) -> bool:
    """Whether ``function`` (an operator's entry point, through the wrappers Airflow adds) is decorated with
    :func:`~airflow_batch_gemini.operators.failures.fails_fast`."""
    wrapper_code = fails_fast(lambda: None).__code__
    while function is not None:
        if getattr(function, "__code__", None) is wrapper_code:
            return True
        function = getattr(function, "__wrapped__", None)
    return False

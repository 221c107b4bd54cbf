"""Permanent errors fail the task at once: the one place where the package's typed errors meet Airflow's
retries.

A task's ``retries`` are for what may pass (a 503 storm, a job the service failed). An error that will
be the same on every try (an invalid input, a 404 for a mistyped model, a missing bucket) is raised again
as Airflow's fail-fast exception, chained to the typed error, so that no retry repeats a create or a
validation of a 300,000-line file. Which errors are permanent is decided by the errors themselves
(:meth:`~airflow_batch_gemini.exceptions.GeminiBatchError.is_retryable`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar, cast

from airflow_batch_gemini.exceptions import GeminiBatchError

try:  # Airflow 3.1+
    from airflow.sdk.exceptions import AirflowFailException
except ImportError:  # pragma: no cover - Airflow 3.0
    from airflow.exceptions import AirflowFailException  # type: ignore[no-redef]

F = TypeVar("F", bound=Callable[..., object])


class GeminiBatchPermanentFailure(AirflowFailException):
    """A permanent error: the task fails now, without its retries. ``__cause__`` holds the typed error.

    :param error: the package's typed error.
    """

    def __init__(self, error: GeminiBatchError) -> None:
        self.error = error
        super().__init__(f"{type(error).__name__} (permanent, not retried): {error}")


def fails_fast(method: F) -> F:
    """Decorate an operator's entry point (``execute``, ``execute_complete``, ``poke``, ...): a
    permanent :class:`~airflow_batch_gemini.exceptions.GeminiBatchError` becomes a
    :class:`GeminiBatchPermanentFailure`; anything else (retryable errors, ``TaskDeferred``) passes as it is."""

    @functools.wraps(method)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return method(*args, **kwargs)
        except GeminiBatchError as err:
            if err.is_retryable():
                raise
            raise GeminiBatchPermanentFailure(err) from err

    return cast("F", wrapper)

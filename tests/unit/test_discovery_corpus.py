"""The corpus built from the discovery documents (tests/discovery_corpus.py): every valid line accepted
(with exactly its notes), every invalid line refused with its line number and JSON pointer; the fast
path gives every line the same verdict."""

from __future__ import annotations

import pytest

from airflow_batch_gemini.input.line_checks import passes_fast
from airflow_batch_gemini.input.parsing import parse_fast
from airflow_batch_gemini.input.schema import default_validator
from tests.discovery_corpus import MESSAGES, Case, corpus, failure, line_of, tally

CORPUS = corpus()


def test_the_corpus_covers_every_field_and_every_kind_of_case() -> None:
    labels = " ".join(case.label for case in CORPUS)
    assert len(MESSAGES) > 80 and sum(len(fields) for fields in MESSAGES.values()) > 290
    for words in ("in snake_case", "misspelled", "wrong type", "bad enum value", "outside the stated range",
                  "by number", "URL-safe base64", "as NaN", "(v1beta1)", "against its statement", "with "):
        assert words in labels, words
    for fields in MESSAGES.values():
        for name in fields:
            assert any(case.label.startswith(f"{fields[name].message}.{name} set") for case in CORPUS), name


@pytest.mark.parametrize("message", sorted(MESSAGES))
def test_every_case_of_a_message(message: str) -> None:
    cases = [(number, case) for number, case in enumerate(CORPUS, 1) if case.label.split(".")[0] == message]
    failures = [found for number, case in cases if (found := failure(case, number))]
    assert not failures, "\n".join(failures)


def test_the_counts_are_all() -> None:
    counts = tally(CORPUS)
    assert counts["valid_accepted"] == counts["valid"] > 800
    assert counts["invalid_refused"] == counts["invalid"] > 700


def test_a_wrong_verdict_is_seen() -> None:
    valid = next(case for case in CORPUS if case.valid)
    assert failure(Case("flipped", valid.request, False, "/request"), 3) is not None
    invalid = next(case for case in CORPUS if not case.valid)
    assert failure(Case("flipped", invalid.request, True), 3) is not None


def test_the_fast_path_agrees_on_every_corpus_line() -> None:
    validator = default_validator()
    disagree = [case.label for case in CORPUS
                if passes_fast(line_of(case), parse_fast(line_of(case)), validator) != (case.valid)]
    assert not disagree, disagree[:20]

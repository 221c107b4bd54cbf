from __future__ import annotations

import pytest

from airflow_batch_gemini.fieldnames import camel_case, snake_case


@pytest.mark.parametrize(
    ("snake", "camel"),
    [("max_output_tokens", "maxOutputTokens"), ("contents", "contents"), ("inline_data", "inlineData")],
)
def test_the_two_spellings_of_a_field_turn_into_each_other(snake: str, camel: str) -> None:
    assert camel_case(snake) == camel and snake_case(camel) == snake


def test_a_name_already_in_the_target_spelling_is_kept() -> None:
    assert camel_case("maxOutputTokens") == "maxOutputTokens"
    assert snake_case("max_output_tokens") == "max_output_tokens"

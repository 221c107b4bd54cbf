"""Unit tests of the emulator's row judgement (gemini_batch_local.emulator.request_checks): the
provider's schema decides, the service's words explain."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_batch_gemini.input.schema import default_validator
from gemini_batch_local.emulator.request_checks import refusal, service_path
from gemini_batch_local.emulator.rows import RowFailure, answer_row, default_responder, validate_request

TEXT = [{"parts": [{"text": "x"}]}]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"contents": TEXT, "generationConfg": {"temperature": 0}},
         "Invalid JSON payload received. Unknown name \"generationConfg\" at 'request': Cannot find field."),
        ({"contents": [{"parts": [{"text": "x", "txt": "y"}]}]},
         "Invalid JSON payload received. Unknown name \"txt\" at 'contents[0].parts[0]': Cannot find field."),
        ({"contents": TEXT, "safetySettings": [{"category": "HARM_CATEGORY_HATE", "threshold": "BLOCK_NONE"}]},
         "Invalid value at 'safety_settings[0].category': 'HARM_CATEGORY_HATE' is not one of ["),
        ({"contents": TEXT, "generationConfig": {"responseModalities": ["TEXTO"]}},
         "Invalid value at 'generation_config.response_modalities[0]': 'TEXTO' is not one of ['MODALITY_UNSPECIFIED', "
         "'TEXT', 'IMAGE', 'AUDIO', 'VIDEO']; did you mean TEXT?"),
        ({"contents": [{"parts": [{"text": 5}]}]},
         "Invalid value at 'contents[0].parts[0].text': 5 is not of type 'string', 'null'"),
        ({"contents": TEXT, "generation_config": {"temperature": "hot"}},
         "Invalid value at 'generation_config.temperature': 'hot' is not a number"),
        ({"contents": TEXT, "generation_config": {"seed": 2**40}},
         "Invalid value at 'generation_config.seed': "),
        ({"contents": TEXT, "modelArmorConfig": {"promptTemplateName": "t"}, "safetySettings": []},
         "Invalid value at 'request': sets both modelArmorConfig and safetySettings, which are mutually exclusive"),
        ({"contents": [{"parts": [{"text": "x", "inlineData": {"mimeType": "image/png", "data": "AAAA"}}]}]},
         "Invalid value at 'contents[0].parts[0]': sets more than one of text, inlineData, "),
        ({"contents": TEXT, "generationConfig": {}, "generation_config": {}},
         "Invalid value at 'request': gives both generationConfig and generation_config; give one of them"),
        (None, "Invalid value at 'request': None is not of type 'object'"),
        ({}, "Unable to submit request because it has an empty contents field."),
        ({"contents": []}, "Unable to submit request because it has an empty contents field."),
        ({"contents": [{"role": "user"}]}, "Unable to submit request because it must have at least one parts field."),
        ({"contents": [{"role": "user", "parts": []}]},
         "Unable to submit request because it must have at least one parts field."),
        ({"contents": [{"role": "system", "parts": [{"text": "x"}]}]}, "Please use a valid role: user, model."),
        ({"contents": TEXT, "generationConfig": {"maxOutputTokens": 70000}},
         "Unable to submit request because it has a maxOutputTokens value of 70000 but the supported range is "
         "from 1 (inclusive) to 65537 (exclusive)."),
        ({"contents": TEXT, "generation_config": {"max_output_tokens": "0"}},
         "Unable to submit request because it has a maxOutputTokens value of 0 but"),
    ],
)
def test_refused_rows_fail_with_400_in_the_services_words(request_: Any, message: str) -> None:
    with pytest.raises(RowFailure) as caught:
        validate_request(request_)
    assert caught.value.code == 400 and caught.value.status == "INVALID_ARGUMENT"
    assert caught.value.message.startswith(message)
    status = caught.value.status_text()
    assert status.startswith("Bad Request: ")
    assert json.loads(status.removeprefix("Bad Request: "))["error"] == {
        "code": 400, "message": caught.value.message, "status": "INVALID_ARGUMENT"}


def test_a_refused_row_is_a_400_row_with_an_empty_response() -> None:
    request = {"contents": TEXT, "generationConfg": {}}
    row = answer_row(request, {"key": "k"}, default_responder, "v", ("text",))
    assert row.code == 400 and row.response == {} and row.request == request
    assert '"status": "INVALID_ARGUMENT"' in row.status and "Unknown name \\\"generationConfg\\\"" in row.status


def test_every_parse_error_is_a_line_and_they_come_before_the_models_words() -> None:
    request = {"contents": [{"role": "tester", "parts": [{"text": "x", "foo": 1, "bar": 2}]}],
               "generationConfig": {"topK": "many"}}
    lines = refusal(request)
    assert lines is not None
    assert lines.split("\n") == [
        "Invalid JSON payload received. Unknown name \"foo\" at 'contents[0].parts[0]': Cannot find field.",
        "Invalid JSON payload received. Unknown name \"bar\" at 'contents[0].parts[0]': Cannot find field.",
        "Invalid value at 'generation_config.top_k': 'many' is not a number (a JSON number, a string holding one, "
        "\"NaN\", \"Infinity\" or \"-Infinity\")",
    ]
    assert refusal({"contents": [{"role": "tester", "parts": []}]}) == (
        "Unable to submit request because it must have at least one parts field.")


@pytest.mark.parametrize(
    "request_",
    [
        {"contents": [{"role": "user", "parts": [{"text": "x"}]}]},
        {"contents": [{"parts": [{"text": "x"}]}], "system_instruction": {"parts": [{"text": "be brief"}]},
         "generation_config": {"max_output_tokens": "100", "seed": "42", "temperature": "0.5",
                               "response_mime_type": "application/json"}},
        {"contents": [{"role": None, "parts": [{"text": "x", "thought": None}]}], "generationConfig": None,
         "tools": None, "systemInstruction": None, "safetySettings": None, "labels": None},
        {"contents": [{"parts": [{"inline_data": {"mime_type": "image/png", "data": "iVBORw0KGgo="}}]}],
         "generationConfig": {"seed": -7, "maxOutputTokens": 65536, "responseModalities": ["TEXT"]}},
    ],
)
def test_valid_rows_in_either_spelling_with_strings_for_numbers_and_nulls_succeed(request_: dict[str, Any]) -> None:
    assert default_validator().is_valid({"request": request_})
    assert refusal(request_) is None
    row = answer_row(request_, {}, default_responder, "v", ("text",))
    assert row.ok and row.code == 0 and row.response["candidates"]


def test_a_note_does_not_fail_a_row() -> None:
    validator = default_validator()
    noted = [{"contents": TEXT, "generationConfig": {"maxOutputTokens": 0}}]
    # maxOutputTokens below 1 is a note of the provider's schema; the emulator refuses it as the model
    # does, with the model's words, not with the schema's
    assert validator.is_valid({"request": noted[0]}) and not validator.has_no_notes({"request": noted[0]})
    assert (refusal(noted[0]) or "").startswith("Unable to submit request because it has a maxOutputTokens value of 0")


def test_a_string_of_digits_caps_the_answer_like_a_number() -> None:
    request = {"contents": [{"parts": [{"text": "x" * 400}]}], "generation_config": {"max_output_tokens": "2"}}
    row = answer_row(request, {}, default_responder, "v", ("text",))
    assert row.response["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert row.response["usageMetadata"]["candidatesTokenCount"] == 2


def test_service_paths() -> None:
    assert service_path([]) == "request"
    path = ["contents", 0, "parts", 1, "inlineData", "mimeType"]
    assert service_path(path) == "contents[0].parts[1].inline_data.mime_type"
    assert service_path(["labels", "myLabel"]) == "labels.myLabel"  # a map key is not a field name


def test_a_null_member_of_a_oneof_is_unset() -> None:
    assert refusal({"contents": [{"parts": [{"text": "x", "fileData": None}]}]}) is None

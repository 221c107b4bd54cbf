"""The final results over all resubmission rounds: which results make each final result, and one manifest
over the rounds. Pure: the sink puts the results together
(:meth:`~airflow_batch_gemini.output.ports.ResultSink.concatenate`).

Round 0 is the first split (its manifest); each later round is a
:class:`~airflow_batch_gemini.manifests.RoundRecord`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_batch_gemini.manifests import (
    MergedRounds,
    ResubmitManifest,
    ResultUris,
    RoundRecord,
    SplitManifest,
    UnfinishedRound,
)
from airflow_batch_gemini.output.tally import sum_counts


def final_sources(rounds: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """The files whose concatenation makes each final result file, over the rounds run so far.

    Round 0 is the first split; each later round holds ``kept_failed_uri`` (the failures of the
    round before that were not resubmitted) and its own result files. Succeeded rows of every round
    count; failed rows are the ones kept at each resubmission plus the last round's; missing rows are
    the last round's (missing rows are always resubmitted).
    """
    later, last = rounds[1:], rounds[-1]
    return {
        "succeeded_uri": [str(item["succeeded_uri"]) for item in rounds],
        "failed_uri": [str(item["kept_failed_uri"]) for item in later] + [str(last["failed_uri"])],
        "missing_uri": [str(last["missing_uri"])],
    }


def merge_rounds(rounds: Sequence[Mapping[str, Any]]) -> MergedRounds:
    """One manifest over all rounds: final counts, failures, token usage, model versions, disagreements.

    :param rounds: round 0 (the split's manifest), then one record per resubmission round.
    """
    first, later, last = rounds[0], rounds[1:], rounds[-1]
    failed = sum(int(item["kept_failed"]) for item in later) + int(last["failed"])
    manifest: MergedRounds = {
        "job_name": first.get("job_name"),
        "job_names": [item.get("job_name") for item in rounds],
        "rounds": len(later),
        "input_rows": first.get("input_rows"),
        "reconciled": bool(first.get("reconciled")),
        "succeeded": sum(int(item["succeeded"]) for item in rounds),
        "failed": failed,
        "missing": int(last.get("missing", 0)),
        "failures_by_status": sum_counts(
            [item["kept_failures_by_status"] for item in later] + [last.get("failures_by_status") or {}]
        ),
        "failures_by_code": sum_counts(
            [item["kept_failures_by_code"] for item in later] + [last.get("failures_by_code") or {}]
        ),
        "token_usage": sum_counts(item.get("token_usage") or {} for item in rounds),
        "model_versions": sum_counts(item.get("model_versions") or {} for item in rounds),
        "round_summaries": [
            {
                "round": index,
                "job_name": item.get("job_name"),
                "input_rows": item.get("input_rows"),
                "succeeded": item["succeeded"],
                "failed": item["failed"],
                "missing": item.get("missing", 0),
                "resubmitted": rounds[index + 1]["input_rows"] if index + 1 < len(rounds) else 0,
            }
            for index, item in enumerate(rounds)
        ],
        "unfinished_rounds": [item["unfinished"] for item in later if item.get("unfinished")],
        "disagreements": [
            f"round {index}: {text}" for index, item in enumerate(rounds) for text in item.get("disagreements") or []
        ],
    }
    accounted = manifest["succeeded"] + manifest["failed"] + manifest["missing"]
    if manifest["reconciled"] and manifest["input_rows"] is not None and accounted != manifest["input_rows"]:
        manifest["disagreements"].append(
            f"succeeded + failed + missing is {accounted}, the input holds {manifest['input_rows']} row(s)"
        )
    return manifest


def resubmit_manifest(
    rounds: Sequence[SplitManifest | RoundRecord], stopped: Sequence[UnfinishedRound], finals: ResultUris
) -> ResubmitManifest:
    """The resubmission's manifest: :func:`merge_rounds`, the round that stopped the rounds (if any) among
    the unfinished ones, and the final files.

    :param stopped: the unfinished round that ended the rounds without output, if any.
    """
    manifest = merge_rounds(rounds)
    manifest["unfinished_rounds"] = [*manifest["unfinished_rounds"], *stopped]
    return {**manifest, **finals}

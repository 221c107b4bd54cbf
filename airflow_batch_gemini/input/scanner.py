"""One pass over a whole input: every line checked, the valid ones planned into files. Pure, no I/O:
the caller gives the input as blocks or lines, and takes rejects and valid rows through callbacks.

Three tiers decide, each faster than the next and allowed only to say "valid": the Structs of
:mod:`~airflow_batch_gemini.input.fast_tier` accept groups of :data:`GROUP_LINES` lines of the common
shape (packaged schema only); the lines of any other group go one by one through the fast path of
:mod:`~airflow_batch_gemini.input.line_checks` (orjson, jsonschema-rs, the importer checks on the raw
bytes); the reference (jsonschema) explains the lines found invalid. Whatever tier decides, the scan
reports the same: invalid lines, problems, notes, files and their digests, warnings, rejects and
uploaded bytes (row keys included). The first tier's Structs describe lines that draw no note.

Hostile lines are refused as problems of their own line before they cost more than their bounds
(:mod:`~airflow_batch_gemini.bounds`, :mod:`~airflow_batch_gemini.input.line_limits`): a line longer than the
reader's limit comes as an :class:`~airflow_batch_gemini.lines.OverlongLine` and is never held; a line
nesting deeper than :data:`~airflow_batch_gemini.bounds.MAX_JSON_DEPTH` is refused before a decoder that
recurses sees it; a line larger than a whole file (``max_bytes_per_file``) is refused, so that no file is
planned over the limit.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, cast

from msgspec import UNSET

from airflow_batch_gemini.bounds import deep_lines
from airflow_batch_gemini.input.columns import TopLevelColumns
from airflow_batch_gemini.input.fast_tier import (
    DecodeRefusal,
    fallbacks,
    line_decoders,
    plain_decoder,
    same_spelling,
)
from airflow_batch_gemini.input.line_checks import clean_fast, line_notes, line_problems, passes_fast
from airflow_batch_gemini.input.line_limits import depth_problem, overlong_problem, too_large_problem
from airflow_batch_gemini.input.parsing import parse_fast, parse_value_or_problem
from airflow_batch_gemini.input.problems import LineProblem
from airflow_batch_gemini.input.rejects import reject_record
from airflow_batch_gemini.input.row_keys import (
    DEFAULT_ROW_KEY_FIELD,
    check_row_key_field,
    keyed_line,
    numbered_row_key,
    with_row_key,
)
from airflow_batch_gemini.input.schema import LineValidator, default_validator
from airflow_batch_gemini.input.sharding import MAX_INPUT_BYTES, MAX_REQUESTS_PER_JOB, LineSet, Shard, ShardPlanner
from airflow_batch_gemini.input.struct_checks import is_utf8
from airflow_batch_gemini.lines import OverlongLine, split_lines

if TYPE_CHECKING:
    from typing import Unpack  # novm: Python 3.11+, in annotations only, which 3.10 never evaluates


@dataclass
class InputScan:
    """What one pass over an input found.

    :param shards: the input files to upload, each within the service's limits: the line numbers they
        span, their row counts and digests (as uploaded, row keys included).
    :param line_count: how many lines were read.
    :param problems: the first problems found (at most the ``max_problems`` asked for).
    :param problem_count: how many problems there are in all.
    :param invalid_lines: the numbers of the lines with at least one problem.
    :param columns: what the top-level keys hold, for :meth:`TopLevelColumns.warnings`.
    :param notes: the first notes on valid lines (at most ``max_problems``): a field only v1beta1
        knows, a limit Google does not document.
    :param note_count: how many notes there are in all.
    """

    shards: list[Shard] = field(default_factory=list)
    line_count: int = 0
    problems: list[LineProblem] = field(default_factory=list)
    problem_count: int = 0
    invalid_lines: LineSet = field(default_factory=LineSet)
    columns: TopLevelColumns = field(default_factory=TopLevelColumns)
    notes: list[LineProblem] = field(default_factory=list)
    note_count: int = 0

    @property
    def row_count(self) -> int:
        """How many lines are valid (and would be uploaded)."""
        return sum(shard.row_count for shard in self.shards)

    @property
    def size_bytes(self) -> int:
        """How many bytes would be uploaded."""
        return sum(shard.digest.size for shard in self.shards)


#: Lines checked together by the first tier: one refused line sends its group to the line-by-line tiers.
GROUP_LINES = 256


class _InputScanner:
    """One pass over an input: the state of :func:`scan_blocks` (the parameters are documented there)."""

    def __init__(
        self,
        validator: LineValidator | None,
        max_problems: int,
        *,
        row_key_field: str | None = None,
        max_rows_per_file: int = MAX_REQUESTS_PER_JOB,
        max_bytes_per_file: int = MAX_INPUT_BYTES,
        digest: bool = False,
        on_reject: Callable[[bytes], object] | None = None,
        on_rows: Callable[[int, bytes], object] | None = None,
        rejects_content: str = "hash",
    ) -> None:
        if row_key_field is not None:
            check_row_key_field(row_key_field)
        self.validator = validator = validator or default_validator()
        self.max_problems = max_problems
        self.row_key_field = row_key_field
        self.planner = ShardPlanner(max_rows_per_file, max_bytes_per_file, digest=digest)
        self.on_reject = on_reject
        self.on_rows = on_rows
        self.rejects_content = rejects_content
        self.scan = InputScan()
        self.number = 0  # the number of the last line read
        key_fields = tuple(dict.fromkeys(name for name in (DEFAULT_ROW_KEY_FIELD, row_key_field) if name is not None))
        self.key_fields = key_fields
        self.decoders = [decoder.decode for decoder in line_decoders(key_fields)] if validator.packaged else []
        self.keys_of = operator.attrgetter(*key_fields)
        self.spelling = 0  # the decoder a group starts with

    def block(self, block: bytes | OverlongLine) -> None:
        """Check a block of whole lines (the last line of the input may lack its line break), or the one
        line longer than the reader's limit that an :class:`~airflow_batch_gemini.lines.OverlongLine`
        stands for."""
        if isinstance(block, OverlongLine):
            self.number += 1
            self._refuse(self.number, [overlong_problem(self.number, block)], block)
            return
        lines = split_lines(block)
        if len(lines) <= GROUP_LINES:
            self.group(lines, block)
            return
        for start in range(0, len(lines), GROUP_LINES):
            self.group(lines[start : start + GROUP_LINES])

    def group(self, lines: list[bytes], data: bytes | None = None) -> None:
        """Check consecutive lines (``data``: the same joined, if at hand)."""
        first = self.number + 1
        self.number += len(lines)
        if not self._group_fast(first, lines, data):
            deep = deep_lines(lines, data)  # refused before the decoders of the next tiers (they recurse)
            for offset, raw in enumerate(lines):
                if offset in deep:
                    self._refuse(first + offset, [depth_problem(first + offset, deep[offset])], raw)
                else:
                    self._line(first + offset, raw)

    def _group_keys(self, lines: list[bytes]) -> list[Any] | None:
        """The first tier's verdict on a group: the key fields of each line (``None``: a line is refused).

        A group starts with the plain variant of the spelling the last group ended in
        (:data:`~airflow_batch_gemini.input.fast_tier.FAMILIES`); each line is decoded with the decoder
        that accepted the line before, and if it refuses, with the
        :func:`~airflow_batch_gemini.input.fast_tier.fallbacks`. A line of the other spelling does not
        change the decoder of the next line (inputs mostly keep one spelling).

        msgspec does not check the UTF-8 of JSON it keeps as :class:`msgspec.Raw` without decoding, nor of a
        first copy of a key given twice: when a line took a variant that keeps such values, the group's
        bytes are checked for UTF-8 here.

        The plain decoders describe a request of bounded depth with no free-form JSON in it, so they refuse a
        deep line at once (``tests/unit/test_line_bounds.py`` holds them to it); the wider ones keep free-form
        JSON as :class:`msgspec.Raw`, which msgspec walks recursively. So at the first line a plain decoder
        refuses, the nesting depth of that line and of the rest of the group is checked
        (:func:`~airflow_batch_gemini.bounds.deep_lines`) before any other decoder sees them: a deep line sends
        the group to the next tiers, where it is refused."""
        decoders = self.decoders
        if not decoders:
            return None
        keys: list[Any] = []
        keys_of, current = self.keys_of, self.spelling
        wider = False  # a decoder other than the plain ones took a line: its Structs keep msgspec.Raw values
        checked = False  # the depth of the lines from the first one refused on
        while len(keys) < len(lines):
            try:
                # map in C; a refused line stops it, the keys of the lines before it stay in the list
                keys.extend(map(keys_of, map(decoders[current], itertools.islice(lines, len(keys), None))))
            except DecodeRefusal:
                if not checked and deep_lines(lines[len(keys):]):
                    return None
                checked = True
                raw = lines[len(keys)]
                for index in fallbacks(raw, current):
                    try:
                        keys.append(keys_of(decoders[index](raw)))
                    except DecodeRefusal:
                        continue
                    if same_spelling(index, current):  # go on with it; another spelling: a line of its own
                        current = index
                    break
                else:
                    return None
                wider = True  # a group starts with a plain decoder: only a fallback takes a wider one
        self.spelling = plain_decoder(current)
        if wider and not is_utf8(b"".join(lines)):
            return None
        return keys

    def _group_fast(self, first: int, lines: list[bytes], data: bytes | None) -> bool:
        """The first tier: every line of the group decoded into the Structs (which refuse empty objects
        too), the top-level keys' types unchanged. Adds the group and returns ``True``, or returns
        ``False`` having changed nothing."""
        keys = self._group_keys(lines)
        columns = self.scan.columns
        if keys is None or not columns.holds("request", "object") or not all(
            columns.holds(name, "string") for name in self.key_fields
        ):
            return False
        by_field: list[list[Any]] = [keys] if len(self.key_fields) == 1 else [list(v) for v in zip(*keys, strict=True)]
        field = self.row_key_field
        originals = lines  # as the source has them: a keyed group is a copy
        if field is not None:
            given = by_field[self.key_fields.index(field)]
            missing = [offset for offset, value in enumerate(given) if value is UNSET]
            if missing:
                lines, data = list(lines), None
            for offset in missing:
                key = given[offset] = numbered_row_key(first + offset)
                lines[offset] = keyed_line(lines[offset], field, key)
        columns.record_object("request", first)
        for name, values in zip(self.key_fields, by_field, strict=True):
            columns.record_strings(name, values, first)
        self._accept_group(first, lines, data, originals)
        return True

    def _accept_group(self, first: int, lines: list[bytes], data: bytes | None, originals: list[bytes]) -> None:
        planner = self.planner
        if data is None and (planner.digest or self.on_rows is not None):
            data = b"".join(lines)
        size = len(data) if data is not None else sum(map(len, lines))
        if planner.add_block(first, len(lines), size, data):
            if self.on_rows is not None:
                self.on_rows(planner.index, cast("bytes", data))
            return
        for number, line, raw in zip(itertools.count(first), lines, originals):
            self._accept(number, line, raw)

    def _accept(self, number: int, line: bytes, raw: bytes) -> None:
        """Plan ``line`` (``raw`` with its row key) into a file, unless no file may hold it: a file over the limit
        would fail its job; its rejects record is of ``raw``, the line as the source has it."""
        if len(line) > self.planner.max_bytes:
            self._refuse(number, [too_large_problem(number, len(line), self.planner.max_bytes)], raw)
            return
        self.planner.add(number, line)
        if self.on_rows is not None:
            self.on_rows(self.planner.index, line)

    def _line(self, number: int, raw: bytes) -> None:
        """The second tier (orjson, jsonschema-rs, importer checks), then the reference for the messages."""
        value = parse_fast(raw)
        field = self.row_key_field
        line = raw
        if field is not None:
            # a line only the reference parses (a lone surrogate escape, say) may be valid: it needs its key too
            parsed = value if value is not None else parse_value_or_problem(raw, number)[0]
            line = with_row_key(raw, parsed, number, field)
        validator, scan = self.validator, self.scan
        clean = clean_fast(line, value, validator)
        if clean or passes_fast(line, value, validator):
            problems = scan.columns.check(value, number)
        else:
            problems = line_problems(line, number, validator, scan.columns)
        if not problems:
            if not clean:
                parsed = value if value is not None else parse_value_or_problem(line, number)[0]
                self._note(line_notes(parsed, number, validator))
            self._accept(number, line, raw)
            return
        self._refuse(number, problems, raw)

    def _refuse(self, number: int, problems: list[LineProblem], raw: bytes | OverlongLine) -> None:
        """Count line ``number`` invalid for ``problems`` and hand on its rejects record."""
        scan = self.scan
        scan.invalid_lines.add(number)
        scan.problem_count += len(problems)
        _keep_first(scan.problems, problems, self.max_problems)
        if self.on_reject is not None:
            if isinstance(raw, OverlongLine):
                record = reject_record(None, problems, size=raw.size, sha256=raw.sha256)
            else:
                record = reject_record(raw, problems, self.rejects_content)
            self.on_reject(record)

    def _note(self, notes: list[LineProblem]) -> None:
        scan = self.scan
        scan.note_count += len(notes)
        _keep_first(scan.notes, notes, self.max_problems)

    def finish(self) -> InputScan:
        self.scan.line_count = self.number
        self.scan.shards = self.planner.finish()
        return self.scan


def _keep_first(kept: list[LineProblem], found: list[LineProblem], limit: int) -> None:
    """Add to ``kept`` as many of ``found`` as fit within ``limit``."""
    kept.extend(found[: max(0, limit - len(kept))])


class ScanOptions(TypedDict, total=False):
    """The keyword options of :func:`scan_blocks` and :func:`scan_lines` (documented there)."""

    row_key_field: str | None
    max_rows_per_file: int
    max_bytes_per_file: int
    digest: bool
    on_reject: Callable[[bytes], object] | None
    on_rows: Callable[[int, bytes], object] | None
    rejects_content: str


def scan_blocks(
    blocks: Iterable[bytes | OverlongLine], validator: LineValidator | None = None, max_problems: int = 20,
    **options: Unpack[ScanOptions],
) -> InputScan:
    """Validate every line of an input and plan its upload as files within the service's limits.

    Memory holds one block at a time, the first ``max_problems`` problems, one bit per line and one
    digest per planned file. Three tiers decide: the Structs of
    :mod:`~airflow_batch_gemini.input.fast_tier` accept groups of :data:`GROUP_LINES` lines of the common
    shape (packaged schema only); the lines of any other group go one by one through orjson,
    jsonschema-rs and the importer checks; the reference (jsonschema) explains the lines found invalid.

    :param blocks: the input as blocks of whole lines (:func:`~airflow_batch_gemini.lines.iter_line_blocks`),
        lines numbered from 1; only the input's last line may lack its line break. An
        :class:`~airflow_batch_gemini.lines.OverlongLine` among them is one line, refused as too long.
    :param validator: from :func:`~airflow_batch_gemini.input.schema.build_validator`; the packaged schema alone
        by default.
    :param max_problems: how many problems (and how many notes) to keep for the report (all are counted).
    :param row_key_field: give every line without this top-level field a row key
        (:func:`~airflow_batch_gemini.input.row_keys.with_row_key`).
    :param max_rows_per_file: at most this many lines per planned file (default: the service's limit).
    :param max_bytes_per_file: at most this many bytes per planned file (default: the service's limit).
    :param digest: compute each planned file's CRC32C and MD5 (its size is always counted); default no.
    :param on_reject: called with the :func:`~airflow_batch_gemini.input.rejects.reject_record` of every invalid
        line, in order.
    :param rejects_content: how much of an invalid line its record holds (``"hash"``, the default, ``"excerpt"``
        or ``"full"``; :data:`~airflow_batch_gemini.input.rejects.REJECTS_CONTENT_CHOICES`).
    :param on_rows: called with the index of a planned file and the next valid lines of it, row keys
        included (the bytes to upload), in order; the files are filled one after the other.
    :raises ValueError: ``row_key_field`` is not a valid column name.
    """
    scanner = _InputScanner(validator, max_problems, **options)
    for block in blocks:
        if block:
            scanner.block(block)
    return scanner.finish()


def scan_lines(
    lines: Iterable[bytes], validator: LineValidator | None = None, max_problems: int = 20,
    **options: Unpack[ScanOptions],
) -> InputScan:
    """:func:`scan_blocks` on an input given line by line, each line with its line break (the last may lack it)."""
    scanner = _InputScanner(validator, max_problems, **options)
    feed = iter(lines)
    while group := list(itertools.islice(feed, GROUP_LINES)):
        scanner.group(group)
    return scanner.finish()

"""``make bench``: numbers users can trust.

Every row of the table is a ratio of the package's code against a baseline measured in the same run
(a plain orjson parse, a plain upload, a plain streamed copy, a bare aiohttp poller, ...), with both
absolute figures beside it and the row's target marked met or not. Run ``python -m bench --help``.

Add a row: write a function taking a :class:`~bench.registry.BenchContext` and returning
:class:`~bench.registry.Row` objects, decorate it with :func:`~bench.registry.bench_case`, and import
its module in :mod:`bench.cases`.
"""

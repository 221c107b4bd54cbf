"""Command line: ``python -m gemini_batch_local.emulator --host 127.0.0.1 --port 0``.

Prints ``READY http://HOST:PORT`` on stdout once it accepts connections; stops on SIGTERM or SIGINT.

The emulator is unauthenticated, its admin endpoints under ``/emulator/`` too: it binds only to a loopback
address (127.0.0.0/8, ``::1``, ``localhost``) unless ``--allow-non-loopback`` is given, and then warns.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import random
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from ..loopback import ALLOW_NON_LOOPBACK_FLAG, EXPOSED_WARNING, is_loopback
from .config import ServiceConfig
from .faults import OUTCOMES, Behaviour, FaultSpecError, parse_method_rates, parse_row_failure_flag
from .rows import Responder, default_responder
from .server import create_app
from .service import JobService
from .storage import Storage
from .validation import KNOWN_MODELS

LOG = logging.getLogger("gemini_batch_local.emulator")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="python -m gemini_batch_local.emulator",
        description="A local emulator of the Vertex AI batchPredictionJobs REST API for Gemini models, "
        "reading and writing Cloud Storage through a Cloud Storage emulator. "
        "Prints 'READY http://HOST:PORT' on stdout when it accepts connections. See docs/emulator.md. "
        "It is unauthenticated and for local use only: anyone who reaches it may use its API and its admin "
        "endpoints under /emulator/ (healthz, stats, reset, jobs/ID, jobs/ID:resume, jobs/ID:set-state). "
        "Never expose it.",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind, a loopback one (127.0.0.0/8, ::1, localhost; default: %(default)s)")
    parser.add_argument(ALLOW_NON_LOOPBACK_FLAG, action="store_true",
                        help="let --host be an address beyond loopback (e.g. 0.0.0.0 inside a container "
                        "network); a warning is printed, as the emulator is unauthenticated")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default: 0)")
    parser.add_argument(
        "--gcs-endpoint",
        default=os.environ.get("STORAGE_EMULATOR_HOST"),
        help="Cloud Storage endpoint, e.g. http://127.0.0.1:4443 (default: $STORAGE_EMULATOR_HOST)",
    )
    parser.add_argument(
        "--seed", type=int, default=None,
        help="seed of every random choice (job ids, row order, faults); default: a random seed, logged",
    )
    timing = parser.add_argument_group("timing (per-job labels override these)")
    timing.add_argument("--queue-seconds", type=float, default=0.3,
                        help="seconds a job spends QUEUED then PENDING (default: %(default)s)")
    timing.add_argument("--run-seconds", type=float, default=0.5,
                        help="minimum seconds a job spends RUNNING (default: %(default)s)")
    timing.add_argument("--rows-per-second", type=float, default=100.0,
                        help="rows finished per second while RUNNING (default: %(default)s)")
    timing.add_argument("--tick-seconds", type=float, default=0.05,
                        help="how often jobs advance and the state file is saved (default: %(default)s)")
    timing.add_argument("--incremental-seconds", type=float, default=0.0,
                        help="while RUNNING, export finished rows under incremental_predictions/ this often; "
                        "0 disables (default)")
    faults = parser.add_argument_group("fault injection (deterministic under --seed)")
    faults.add_argument("--outcome", choices=OUTCOMES, default="auto",
                        help="how every job ends unless its emulator-outcome label says otherwise "
                        "(default: auto = SUCCEEDED, or FAILED if every row failed)")
    faults.add_argument("--fault-rate", default="", metavar="METHOD=[CODE:]RATE,...",
                        help="fail API calls at a rate, e.g. get=0.3,create=503:0.1 "
                        "(methods: create, get, list, cancel, delete, and create-lost: the job is created but the "
                        "answer lost; codes default to 429/500/503)")
    faults.add_argument("--row-failure", default="", metavar="CODE=RATE,...",
                        help="fail this fraction of rows with the given HTTP code, e.g. 429=0.5,503=0.1")
    models = parser.add_argument_group("models and answers")
    models.add_argument("--model", action="append", default=[], metavar="MODEL_ID",
                        help="accept another publisher model id (repeatable); known: " + ", ".join(KNOWN_MODELS))
    models.add_argument("--responder", default=None, metavar="MODULE:FUNCTION",
                        help="a callable answering each request dict with a str (answer text) or a dict "
                        "(the response); raising rows.RowFailure fails the row")
    output = parser.add_argument_group("persistence and output")
    output.add_argument("--state-file", type=Path, default=None,
                        help="save jobs here and resume unfinished ones on restart")
    output.add_argument("--bigquery-mirror", default=None, metavar="GS_PREFIX",
                        help="write the rows of jobs with a BigQuery destination to "
                        "GS_PREFIX/{project.dataset.table}/{job id}/predictions.jsonl (default: not written)")
    parser.add_argument("--log-level", default="INFO", help="logging level on stderr (default: %(default)s)")
    return parser


def load_responder(spec: str) -> Responder:
    """Import ``module:function``."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"expected MODULE:FUNCTION, got {spec!r}")
    target = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(f"{spec} is not callable")
    return target


def config_from_args(args: argparse.Namespace) -> ServiceConfig:
    """The service configuration the flags describe. Raises ``ValueError`` on a bad flag value."""
    if args.queue_seconds < 0 or args.run_seconds < 0 or args.rows_per_second <= 0 or args.tick_seconds <= 0:
        raise ValueError("timings must be non-negative, rates and ticks positive")
    defaults = Behaviour(
        queue_seconds=args.queue_seconds,
        run_seconds=args.run_seconds,
        rows_per_second=args.rows_per_second,
        outcome=args.outcome,
        row_failures=parse_row_failure_flag(args.row_failure),
        api_faults=parse_method_rates(args.fault_rate),
    )
    return ServiceConfig(
        seed=args.seed,
        defaults=defaults,
        known_models=(*KNOWN_MODELS, *args.model),
        tick_seconds=args.tick_seconds,
        incremental_seconds=args.incremental_seconds,
        state_file=args.state_file,
        bigquery_mirror=args.bigquery_mirror,
    )


async def serve(host: str, port: int, service: JobService) -> None:
    """Run until SIGTERM or SIGINT; print the READY line once listening."""
    runner = web.AppRunner(create_app(service), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        shown = f"[{host}]" if ":" in host else host  # an IPv6 address, as a URL spells it
        print(f"READY http://{shown}:{bound_port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()
        service.storage.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not is_loopback(args.host):
        if not args.allow_non_loopback:
            parser.error(f"--host {args.host} is not a loopback address (127.0.0.0/8, ::1, localhost); the emulator "
                         f"is unauthenticated, so it binds beyond loopback only with {ALLOW_NON_LOOPBACK_FLAG}")
        print(EXPOSED_WARNING.format(host=args.host), file=sys.stderr, flush=True)
    if not args.gcs_endpoint:
        parser.error("no Cloud Storage endpoint: pass --gcs-endpoint or set STORAGE_EMULATOR_HOST")
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    try:
        config = config_from_args(args)
        responder = load_responder(args.responder) if args.responder else default_responder
    except (ValueError, FaultSpecError, ImportError, AttributeError) as err:
        parser.error(str(err))
    LOG.info("seed %d, Cloud Storage at %s", config.seed, args.gcs_endpoint)
    service = JobService(config, Storage(args.gcs_endpoint), responder)
    asyncio.run(serve(args.host, args.port, service))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A fresh process that runs one workload and prints its peak RSS: ``python -m bench.rss_child MODE A B``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench import workloads
from bench.measure import peak_rss_mb


def main() -> None:
    """Run the workload named by MODE; print ``{"peak_rss_mb", "idle_rss_mb"}`` as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.rss_child")
    parser.add_argument("mode", choices=("prepare", "upload", "split", "copy", "prepare-hostile"))
    parser.add_argument("source")
    parser.add_argument("destination")
    parser.add_argument("input", nargs="?", help="split: the job's input, to reconcile with")
    parser.add_argument("--max-line-bytes", type=int, help="prepare-hostile: the operator's max_line_bytes")
    args = parser.parse_args()
    idle = peak_rss_mb()  # after importing Airflow, the providers and the package
    if args.mode == "prepare":
        workloads.validate_and_upload(Path(args.source), args.destination)
    elif args.mode == "upload":
        workloads.plain_upload(Path(args.source), args.destination)
    elif args.mode == "prepare-hostile":
        workloads.prepare_hostile(args.source, args.destination, args.max_line_bytes)
    elif args.mode == "split":
        workloads.split(args.source, args.destination, args.input)
    else:
        workloads.plain_copy(args.source, args.destination)
    print(json.dumps({"peak_rss_mb": peak_rss_mb(), "idle_rss_mb": idle}))


if __name__ == "__main__":
    main()

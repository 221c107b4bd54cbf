"""``python -m gemini_batch_local.request_schema [--check] [PATH]``: write (or compare) the request schema.

Exit status 0 when written or unchanged, 1 when ``--check`` finds a difference.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .discovery import load_documents
from .generate import request_schema

#: Where the provider ships the schema, relative to the repository.
DEFAULT_PATH = Path("airflow_batch_gemini/input/schemas/request.schema.json")


def render() -> str:
    """The schema as committed: indented JSON, ASCII only, with a final line break."""
    return json.dumps(request_schema(load_documents()), indent=1, ensure_ascii=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gemini_batch_local.request_schema", description=__doc__)
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when the file differs")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        same = args.path.exists() and args.path.read_text("utf-8") == text
        print(f"{args.path}: {'up to date' if same else 'differs from what the discovery documents give'}")
        return 0 if same else 1
    args.path.write_text(text, "utf-8")
    print(f"{args.path}: written from the discovery documents {json.loads(text)['x-discovery-revisions']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

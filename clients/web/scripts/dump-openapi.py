"""Prints the node's OpenAPI document, built from the node's code on a throw-away data directory.

Run with the node's interpreter: `../../.venv/bin/python scripts/dump-openapi.py`.
"""

import json
import sys
import tempfile
from pathlib import Path

from infra.bootstrap import build_node
from infra.settings import load_settings
from infra.web import create_app


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings({"HEARTH_DATA_DIR": str(Path(data_dir) / "data")})
        node = build_node(settings, start=False)
        try:
            document = create_app(node).openapi()
        finally:
            node.close()
    json.dump(document, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

"""A second process of a node that serves the API and gateway but runs no projection.

The node's first process (the test's own ``LiveNode``) runs the projections; this one
shares its PostgreSQL, data folder and Redis, like a second ``hearth serve`` behind a load
balancer. Its settings come from the environment; its port is the first argument.
"""

from __future__ import annotations

import sys

import uvicorn

from infra.bootstrap import build_node
from infra.settings import load_settings
from infra.web import create_app


def main() -> None:
    node = build_node(load_settings(), start=False)
    uvicorn.run(create_app(node), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")


if __name__ == "__main__":
    main()

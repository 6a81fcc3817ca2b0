"""A node process with one view's projection slowed inside its transactions.

Used by the crash test: killing this process with SIGKILL lands, almost surely,
in the middle of a batch, between the view's writes and their commit.

Arguments: the view (``chat`` or ``search``), the data directory, and the PostgreSQL URL
when the node runs on PostgreSQL.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from typing import Any

from domain.events import Envelope
from infra.bootstrap import build_node
from infra.projections.runner import ProjectionRunner
from infra.projections.views import ViewSpec, ViewTarget
from infra.readmodels.chat_view import CHAT_VIEW
from infra.search.wiring import build_search
from infra.settings import load_settings


def slowed(spec: ViewSpec) -> ViewSpec:
    def slow_apply(envelope: Envelope, writer: Any) -> None:
        spec.apply(envelope, writer)
        time.sleep(0.0005)

    return replace(spec, apply=slow_apply)


def main() -> None:
    view, data_dir, *database_url = sys.argv[1:]
    env = {"HEARTH_DATA_DIR": data_dir}
    if database_url:
        env["HEARTH_DATABASE_URL"] = database_url[0]
    settings = load_settings(env)
    node = build_node(settings, start=False)
    spec, db = {
        "chat": (CHAT_VIEW, node.storage.views),
        "search": (build_search(settings, node.storage.search).spec, node.storage.search),
    }[view]
    ProjectionRunner(node.store, ViewTarget.open_live(db, slowed(spec))).start()
    print("running", flush=True)
    time.sleep(3600)


if __name__ == "__main__":
    main()

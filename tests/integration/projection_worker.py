"""A node process whose chat projection is slowed inside its transactions.

Used by the crash test: killing this process with SIGKILL lands, almost surely,
in the middle of a batch, between the view's writes and their commit.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from typing import Any

from domain.events import Envelope
from infra.bootstrap import build_node
from infra.projections.runner import ProjectionRunner
from infra.projections.views import ViewTarget
from infra.readmodels.chat_view import CHAT_VIEW
from infra.settings import load_settings
from projections import chat


def slow_apply(envelope: Envelope, writer: Any) -> None:
    chat.apply(envelope, writer)
    time.sleep(0.0005)


def main() -> None:
    env = {"HEARTH_DATA_DIR": sys.argv[1]}
    if len(sys.argv) > 2:
        env["HEARTH_DATABASE_URL"] = sys.argv[2]
    node = build_node(load_settings(env), start=False)
    slow = replace(CHAT_VIEW, apply=slow_apply)
    ProjectionRunner(node.store, ViewTarget.open_live(node.storage.views, slow)).start()
    print("running", flush=True)
    time.sleep(3600)


if __name__ == "__main__":
    main()

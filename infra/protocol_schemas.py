"""JSON Schemas of the event catalogue, generated from the domain's pydantic models.

The event models are the source of truth; ``docs/protocol/schemas/events/`` is their
published form (docs/protocol/events.md). A unit test fails when the committed files
differ from what the models produce, so the contract cannot drift silently.

    python -m infra.protocol_schemas    # rewrite docs/protocol/schemas/events/

Output is deterministic (sorted keys, two-space indent, trailing newline) so that a
regenerated file changes only when a model does.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path
from typing import Any

import domain
from domain.events import Catalogue, Event, catalogue

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = ROOT / "docs" / "protocol" / "schemas"
EVENTS_FOLDER = "events"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "https://w3id.org/hearth/protocol/v0/schemas/"


def load_catalogue() -> Catalogue:
    """The catalogue with every event of ``domain`` in it.

    Event classes register themselves when their module is imported, so every module of
    the package is imported here: an event nothing imports yet still gets its schema.
    """
    for module in pkgutil.iter_modules(domain.__path__):
        importlib.import_module(f"{domain.__name__}.{module.name}")
    return catalogue


def event_schema_path(event_type: type[Event]) -> str:
    """Where an event's schema lives, relative to ``SCHEMAS_DIR``."""
    return f"{EVENTS_FOLDER}/{event_type.type_name()}.json"


def event_schema(event_type: type[Event]) -> dict[str, Any]:
    """The schema of one event's payload, annotated with its version and sealed fields.

    ``x-hearth-class-version`` and ``x-hearth-sealed-fields`` are annotations (JSON Schema
    2020-12 §6.5 lets unknown keywords through); validators ignore them, tools read them.
    """
    schema = event_type.model_json_schema()
    sealed = sorted(event_type.sealed_fields)
    path = event_schema_path(event_type)
    name, version = event_type.type_name(), event_type.class_version
    description = f"Payload of the {name} event, class_version {version}."
    if sealed:
        description += f" Sealed (crypto-shredded) fields: {', '.join(sealed)}; null once shredded."
    schema.update(
        {
            "$schema": DIALECT,
            "$id": ID_BASE + path,
            "description": description,
            "x-hearth-class-version": event_type.class_version,
            "x-hearth-sealed-fields": sealed,
        }
    )
    return schema


def generated_schemas() -> dict[str, dict[str, Any]]:
    """Every generated schema by its path relative to ``SCHEMAS_DIR``."""
    return {event_schema_path(t): event_schema(t) for t in load_catalogue().types()}


def render(schema: dict[str, Any]) -> str:
    """The canonical text of a schema file."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(directory: Path = SCHEMAS_DIR) -> list[Path]:
    """Write the generated schemas and remove event schemas no longer in the catalogue.

    The events folder holds generated files only, so a file without a model is stale.
    """
    schemas = generated_schemas()
    written: list[Path] = []
    for relative, schema in schemas.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    for stale in sorted((directory / EVENTS_FOLDER).glob("*.json")):
        if stale.relative_to(directory).as_posix() not in schemas:
            stale.unlink()
    return written


def main() -> None:
    for path in write():
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()

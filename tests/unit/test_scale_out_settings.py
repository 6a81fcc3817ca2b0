"""Settings of a node run as several processes: process ids and the Kafka event bus."""

from __future__ import annotations

import pytest

from infra.errors import ConfigurationError
from infra.settings import load_settings

PG = {"HEARTH_DATABASE_URL": "postgresql://hearth@127.0.0.1:5432/hearth"}


def test_the_process_id_joins_the_node_name_in_hlc_node_ids() -> None:
    assert load_settings({"HEARTH_NODE_NAME": "chat.example.org"}).hlc_node == "chat.example.org"
    settings = load_settings({"HEARTH_NODE_NAME": "chat.example.org", "HEARTH_PROCESS_ID": "12"})
    assert settings.hlc_node == "chat.example.org.12"


@pytest.mark.parametrize("value", ["", "a", "-1", "12345", "1.2"])
def test_a_process_id_is_a_short_number(value: str) -> None:
    with pytest.raises(ConfigurationError, match="HEARTH_PROCESS_ID"):
        load_settings({"HEARTH_PROCESS_ID": value})


def test_a_node_name_with_its_process_id_must_fit_an_hlc_node_id() -> None:
    with pytest.raises(ConfigurationError, match="63 characters"):
        load_settings({"HEARTH_NODE_NAME": "n" * 62, "HEARTH_PROCESS_ID": "1"})


@pytest.mark.parametrize(
    "env",
    [
        {"HEARTH_EVENT_BUS": "kafka"},
        {"HEARTH_EVENT_BUS": "kafka", "HEARTH_KAFKA_BOOTSTRAP": "127.0.0.1:9092"},
        {"HEARTH_EVENT_BUS": "kafka", **PG},
    ],
)
def test_the_kafka_bus_needs_brokers_and_postgresql(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="HEARTH_KAFKA_BOOTSTRAP and PostgreSQL"):
        load_settings(env)


def test_an_unknown_event_bus_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="HEARTH_EVENT_BUS"):
        load_settings({"HEARTH_EVENT_BUS": "redis"})

"""The node serves the built web client: its files, and index.html for the client's own routes,
while the API, the health check and the OpenAPI document answer as before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from infra import web
from infra.bootstrap import build_node
from infra.settings import load_settings

INDEX = "<!doctype html><div id=root></div>"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log('hearth')")
    (tmp_path / "secret.txt").write_text("outside the client")
    return root


@pytest.fixture
def client(dist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(web, "CLIENT_DIST", dist)
    node = build_node(load_settings({"HEARTH_DATA_DIR": str(tmp_path / "data")}))
    try:
        with TestClient(web.create_app(node)) as test_client:
            yield test_client
    finally:
        node.close()


def test_files_and_the_single_page_fallback(client: TestClient) -> None:
    asset = client.get("/assets/index-abc123.js")
    assert asset.status_code == 200 and asset.text == "console.log('hearth')"
    assert "immutable" in asset.headers["cache-control"]
    for path in ("/", "/channels/@me", "/invite/abcdefghij", "/login"):
        page = client.get(path)
        assert page.status_code == 200 and page.text == INDEX, path
        assert page.headers["cache-control"] == "no-cache"


def test_paths_outside_the_client_directory_are_not_served(client: TestClient) -> None:
    for path in ("/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"):
        assert "outside the client" not in client.get(path).text


def test_the_node_keeps_its_own_paths(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/openapi.json").json()["info"]["title"] == "Hearth node"
    assert client.get("/docs").status_code == 200
    unknown = client.get("/api/v1/no-such-route")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    for reserved in ("/.well-known/webfinger", "/inbox", "/users/someone/outbox"):
        assert client.get(reserved).json()["error"]["code"] == "not_found", reserved
    wrong_method = client.delete("/api/v1/servers")
    assert wrong_method.status_code == 405
    assert client.get("/api/v1/servers").json()["error"]["code"] == "unauthenticated"


def test_no_client_is_served_when_none_was_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "CLIENT_DIST", tmp_path / "not-built")
    node = build_node(load_settings({"HEARTH_DATA_DIR": str(tmp_path / "data")}))
    try:
        with TestClient(web.create_app(node)) as test_client:
            response = test_client.get("/channels/@me")
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
    finally:
        node.close()

"""Passkeys end to end: a real Chromium, its virtual authenticator, a live node.

The node runs under uvicorn on a loopback port and serves a small page whose script
does what a web client does: ``navigator.credentials.create`` and ``.get`` with the
options the API hands out, posting the results back. The authenticator is Chromium's
own virtual one (DevTools protocol, WebAuthn domain): real CTAP2 key generation and
signatures, only the human touch is simulated. ``http://localhost`` is a secure
context, so WebAuthn runs there without TLS.

Needs the Debian ``chromium`` package (``apt-get install -y chromium``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.responses import HTMLResponse
from playwright.sync_api import CDPSession, Page, sync_playwright

from infra.bootstrap import build_node
from infra.settings import Settings
from infra.web import create_app
from tests.conftest import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "a long passphrase 42"

PAGE = """<!doctype html>
<meta charset="utf-8">
<title>Hearth passkey check</title>
<script>
async function api(path, body, token, method = "POST") {
  const headers = {"Content-Type": "application/json"};
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {status: response.status, body: text ? JSON.parse(text) : null};
}

async function registerPasskey(token) {
  const options = await api("/api/v1/auth/webauthn/register/options", undefined, token);
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options.body);
  const created = await navigator.credentials.create({publicKey});
  return api("/api/v1/auth/webauthn/register/verify",
             {credential: created.toJSON(), name: "Virtual key"}, token);
}

async function startLogin(username, password) {
  const login = await api("/api/v1/auth/login", {username, password});
  return login.body.two_factor;
}

async function assertFor(challengeToken) {
  const options = await api("/api/v1/auth/webauthn/authenticate/options",
                            {challenge_token: challengeToken});
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.body);
  const assertion = await navigator.credentials.get({publicKey});
  return assertion.toJSON();
}

async function finishLogin(challengeToken, credential) {
  return api("/api/v1/auth/webauthn/authenticate/verify",
             {challenge_token: challengeToken, credential});
}
</script>
"""


@dataclass
class Browser:
    page: Page
    cdp: CDPSession
    authenticator: str

    def call(self, script: str, *args: Any) -> Any:
        return self.page.evaluate(script, list(args))

    def credentials(self) -> list[dict[str, Any]]:
        found = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator})
        listed: list[dict[str, Any]] = found["credentials"]
        return listed


@pytest.fixture
def origin(settings: Settings) -> Iterator[str]:
    """A node on a loopback port, serving the API and the test page."""
    port = free_port()
    origin = f"http://localhost:{port}"
    app = create_app(build_node(settings.model_copy(update={"public_origin": origin})))
    app.add_api_route("/e2e/passkeys", lambda: HTMLResponse(PAGE), include_in_schema=False)
    # Ahead of the built web client's catch-all route, which would otherwise answer this path.
    app.router.routes.insert(0, app.router.routes.pop())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="e2e-node", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the node did not start"
        time.sleep(0.05)
    try:
        yield origin
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture
def browser(origin: str) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page()
            cdp = page.context.new_cdp_session(page)
            cdp.send("WebAuthn.enable", {"enableUI": False})
            added = cdp.send(
                "WebAuthn.addVirtualAuthenticator",
                {
                    "options": {
                        "protocol": "ctap2",
                        "transport": "internal",
                        "hasResidentKey": True,
                        "hasUserVerification": True,
                        "isUserVerified": True,
                    }
                },
            )
            page.goto(f"{origin}/e2e/passkeys")
            yield Browser(page, cdp, added["authenticatorId"])
        finally:
            chromium.close()


def test_a_passkey_registers_and_completes_a_login(browser: Browser) -> None:
    registered = browser.call(
        "([u, p]) => api('/api/v1/auth/register', {username: u, password: p})", "alice", PASSWORD
    )
    assert registered["status"] == 201
    token = registered["body"]["access_token"]

    added = browser.call("([t]) => registerPasskey(t)", token)
    assert added["status"] == 201, added
    assert added["body"]["passkey"]["name"] == "Virtual key"
    assert len(added["body"]["recovery_codes"]) == 10  # the first second factor
    [stored] = browser.credentials()
    assert stored["rpId"] == "localhost" and stored["isResidentCredential"]
    assert added["body"]["passkey"]["id"] == stored["credentialId"].rstrip("=").replace(
        "+", "-"
    ).replace("/", "_")

    challenge = browser.call("([u, p]) => startLogin(u, p)", "alice", PASSWORD)
    assert challenge["methods"] == ["webauthn", "recovery_code"]
    assertion = browser.call("([c]) => assertFor(c)", challenge["challenge_token"])
    signed_in = browser.call(
        "([c, a]) => finishLogin(c, a)", challenge["challenge_token"], assertion
    )
    assert signed_in["status"] == 200, signed_in
    assert signed_in["body"]["user_id"] == registered["body"]["user_id"]
    assert browser.credentials()[0]["signCount"] >= 1

    # The refresh cookie (httpOnly, Secure, SameSite=Strict) works in a real browser.
    refreshed = browser.call("() => api('/api/v1/auth/refresh')")
    assert refreshed["status"] == 200, refreshed
    assert refreshed["body"]["session_id"] == signed_in["body"]["session_id"]
    assert browser.call("() => document.cookie") == ""  # no script can read it

    # A captured assertion cannot be replayed, not even against a fresh login.
    fresh = browser.call("([u, p]) => startLogin(u, p)", "alice", PASSWORD)
    replay = browser.call("([c, a]) => finishLogin(c, a)", fresh["challenge_token"], assertion)
    assert replay["status"] == 401
    assert replay["body"]["error"]["code"] == "invalid_code"
    # ...while a fresh assertion for that login passes.
    again = browser.call("([c]) => assertFor(c)", fresh["challenge_token"])
    completed = browser.call("([c, a]) => finishLogin(c, a)", fresh["challenge_token"], again)
    assert completed["status"] == 200, completed


def test_a_passkey_is_registered_once_and_can_be_removed(browser: Browser) -> None:
    registered = browser.call(
        "([u, p]) => api('/api/v1/auth/register', {username: u, password: p})", "bob", PASSWORD
    )
    token = registered["body"]["access_token"]
    assert browser.call("([t]) => registerPasskey(t)", token)["status"] == 201
    # The options exclude the registered credential, so the authenticator refuses.
    refused = browser.call("([t]) => registerPasskey(t).then(() => 'created', e => e.name)", token)
    assert refused == "InvalidStateError"
    assert len(browser.credentials()) == 1

    status = browser.call("([t]) => api('/api/v1/auth/2fa', undefined, t, 'GET')", token)
    assert status["body"] == {"totp_enabled": False, "passkeys": 1, "recovery_codes_left": 10}
    # A passkey alone is a second factor: the account may have a new set of recovery codes.
    renewed = browser.call(
        "([p, t]) => api('/api/v1/auth/2fa/recovery-codes', {password: p}, t)", PASSWORD, token
    )
    assert renewed["status"] == 200 and len(renewed["body"]["recovery_codes"]) == 10

    listed = browser.call(
        "([t]) => api('/api/v1/auth/webauthn/credentials', undefined, t, 'GET')", token
    )
    [passkey] = listed["body"]
    removed = browser.call(
        "([id, p, t]) => api('/api/v1/auth/webauthn/credentials/' + id, {password: p}, t, 'DELETE')",
        passkey["id"],
        PASSWORD,
        token,
    )
    assert removed["status"] == 204
    login = browser.call(
        "([u, p]) => api('/api/v1/auth/login', {username: u, password: p})", "bob", PASSWORD
    )
    assert login["status"] == 200  # no second factor left: the password is enough again
    status = browser.call("([t]) => api('/api/v1/auth/2fa', undefined, t, 'GET')", token)
    assert status["body"] == {"totp_enabled": False, "passkeys": 0, "recovery_codes_left": 0}

"""A small HTTP client on http.client: sign in through the login form, time page requests.

Only ever talks to 127.0.0.1. Each request opens its own connection (gunicorn's sync
workers close them anyway), so a timing is connect + request + the whole response body.
"""

from __future__ import annotations

import http.client
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

Cookies = dict[str, str]
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float


def request(
    port: int,
    method: str,
    path: str,
    *,
    cookies: Cookies,
    body: bytes | Iterable[bytes] | None = None,
    headers: dict[str, str] | None = None,
    label: str = "",
    timeout: float = 120,
) -> Response:
    """One request; Set-Cookie headers of the answer update `cookies`."""
    sent = {**(headers or {})}
    if cookies:
        sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    if label:
        sent["X-Bench"] = label
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        content = response.read()
    finally:
        connection.close()
    seconds = time.perf_counter() - started
    for header in response.headers.get_all("Set-Cookie") or []:
        jar = SimpleCookie()
        jar.load(header)
        cookies.update({name: morsel.value for name, morsel in jar.items()})
    return Response(response.status, response.headers, content, seconds)


def csrf_token(page: bytes) -> str:
    found = CSRF_FIELD.search(page)
    if not found:
        raise RuntimeError("No CSRF token in the page")
    return found.group(1).decode()


def sign_in(port: int, username: str, password: str) -> Cookies:
    """Sign in as a real browser would: GET the form (csrftoken cookie), POST it back."""
    cookies: Cookies = {}
    form = request(port, "GET", "/accounts/login/", cookies=cookies)
    fields = {"csrfmiddlewaretoken": csrf_token(form.body), "username": username}
    response = request(
        port,
        "POST",
        "/accounts/login/",
        cookies=cookies,
        body=urlencode({**fields, "password": password}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if response.status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"Signing in as {username} failed (HTTP {response.status})")
    return cookies

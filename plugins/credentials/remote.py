"""Fetching a manifest stored online: the only network access in Studio, and only when asked.

A file may carry, instead of its manifest, the manifest's address (XMP ``dcterms:provenance``). Studio
works offline: ``studio verify`` reports such a file as ``remote`` with its URL. Only with
``studio verify --allow-network`` does :func:`fetch` get the manifest, and then only over https (a
redirect to anything else is refused), at most :data:`MAX_BYTES`, within :data:`TIMEOUT_S` seconds all
told (the request runs in a daemon thread so that not even a name lookup can hang the command).
"""

from __future__ import annotations

import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from studio.api import APP_NAME, StudioError, __version__

MAX_BYTES = 16 << 20
TIMEOUT_S = 10.0
MAX_REDIRECTS = 3
NETWORK_NOTE = ("--allow-network: the only network access Studio makes; off by default. It fetches a manifest "
                "stored online (https only, at most 16 MiB, 10 s).")


class RemoteError(StudioError):
    """The remote manifest was not fetched; the message says why."""


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if urllib.parse.urlsplit(newurl).scheme.lower() != "https":
            raise RemoteError(f"{req.full_url} redirects to {newurl}, which is not https: not followed.")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def check_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise RemoteError(f"Studio fetches remote manifests over https only; {url} is not an https address, "
                          "so it was not fetched.")


def fetch(url: str, timeout: float = TIMEOUT_S, max_bytes: int = MAX_BYTES,
          ssl_context: ssl.SSLContext | None = None) -> bytes:
    """The bytes at ``url`` (https only, no redirect away from https, at most ``max_bytes``, ``timeout`` s)."""
    check_url(url)
    box: dict[str, Any] = {}
    deadline = time.monotonic() + timeout

    def work() -> None:
        try:
            box["data"] = _get(url, deadline, max_bytes, ssl_context or ssl.create_default_context())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=work, name="studio-remote-manifest", daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    if thread.is_alive() or "data" not in box and "error" not in box:
        raise RemoteError(f"{_host(url)} did not answer within {timeout:g} s; the remote manifest was not fetched.")
    if "error" in box:
        raise _translate(url, box["error"], timeout) from None
    data: bytes = box["data"]
    return data


def _get(url: str, deadline: float, max_bytes: int, context: ssl.SSLContext) -> bytes:
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _HttpsOnlyRedirects())
    request = urllib.request.Request(url, headers={"User-Agent": f"{APP_NAME}/{__version__}",
                                                   "Accept": "application/c2pa, application/octet-stream"})
    left = max(0.1, deadline - time.monotonic())
    with opener.open(request, timeout=left) as response:
        final = response.geturl()
        if urllib.parse.urlsplit(final).scheme.lower() != "https":
            raise RemoteError(f"{url} ended at {final}, which is not https: not used.")
        length = response.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise RemoteError(f"The remote manifest at {url} is {int(length):,} bytes, more than Studio accepts "
                              f"({max_bytes:,}); not fetched.")
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError
            chunk = response.read(64 << 10)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise RemoteError(f"The remote manifest at {url} is larger than Studio accepts ({max_bytes:,} "
                                  "bytes); not fetched.")
            chunks.append(chunk)
    return b"".join(chunks)


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).hostname or url


def _translate(url: str, exc: BaseException, timeout: float) -> RemoteError:
    if isinstance(exc, RemoteError):
        return exc
    if isinstance(exc, urllib.error.HTTPError):
        return RemoteError(f"{_host(url)} answered {exc.code} {exc.reason} for {url}; the remote manifest was not "
                           "fetched.")
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, RemoteError):
        return reason
    if isinstance(reason, (TimeoutError, ssl.SSLError)) and "timed out" in str(reason) or isinstance(
            reason, TimeoutError):
        return RemoteError(f"{_host(url)} did not answer within {timeout:g} s; the remote manifest was not fetched.")
    if isinstance(reason, ssl.SSLError):
        return RemoteError(f"The https connection to {_host(url)} could not be trusted ({reason}); the remote "
                           "manifest was not fetched.")
    return RemoteError(f"{_host(url)} cannot be reached ({reason}); the remote manifest was not fetched.")

"""A small asyncio ARM reader for the fleet: GET with paging, bounded concurrency, retries.

Why not the Azure SDK here: the management SDKs' async clients need aiohttp (not a dependency
of this package), and azure-mgmt-machinelearningservices 1.0.1 has no online endpoints
(docs/azure-notes.md). httpx is already installed with JupyterLab and speaks asyncio, so
thousands of listings run on one event loop with a shared connection pool. Resource Graph,
which is one call per thousand workspaces, goes through its SDK (``graph.py``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from jupyter_mlssl.errors import OperationError, RemoteError

RETRIED = {429, 500, 502, 503, 504}
#: connections per httpx pool (see ``ArmReader.__init__``)
POOL = 8


class ArmReader:
    """GETs against ARM (and the v1 Model Management Service) with one bearer token."""

    def __init__(self, credential: Any, scope: str, base: str, *, verify: Any = True,
                 concurrency: int = 64, timeout: float = 30.0, retries: int = 4,
                 max_wait: float = 60.0) -> None:
        import ssl

        import httpx

        if isinstance(verify, str):  # a CA bundle file (httpx wants a context)
            verify = ssl.create_default_context(cafile=verify)
        self.credential = credential
        self.scope = scope
        self.base = base.rstrip("/")
        self.gate = asyncio.Semaphore(max(1, concurrency))
        self.retries = retries
        self.max_wait = max_wait
        self.calls = 0
        self._token: Any = None
        # Several small pools rather than one large one: httpcore's pool scans every
        # connection for every request it assigns (measured: with 64 connections in one pool,
        # that scan was 60% of the client's time), so requests are spread over pools of
        # POOL connections each.
        pools = max(1, -(-concurrency // POOL))
        per_pool = max(1, -(-concurrency // pools))
        limits = httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool)
        self._clients = [httpx.AsyncClient(verify=verify, timeout=timeout, limits=limits)
                         for _ in range(pools)]
        self._next = 0

    @property
    def http(self) -> Any:
        """The next pool, round robin."""
        self._next = (self._next + 1) % len(self._clients)
        return self._clients[self._next]

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()

    async def _bearer(self) -> str:
        token = self._token
        if token is None or token.expires_on - 300 < time.time():
            # get_token may block on a network call: keep it off the loop
            token = await asyncio.to_thread(self.credential.get_token, self.scope)
            self._token = token
        return f"Bearer {token.token}"

    def _url(self, path_or_url: str) -> str:
        return path_or_url if "://" in path_or_url else self.base + path_or_url

    async def get(self, path_or_url: str, params: dict[str, str] | None = None, *,
                  anonymous: bool = False, what: str = "read") -> Any:
        """One GET; 429 and 5xx are retried after ``Retry-After`` (bounded)."""
        import httpx

        url = self._url(path_or_url)
        for attempt in range(self.retries + 1):
            headers = {} if anonymous else {"Authorization": await self._bearer()}
            async with self.gate:
                self.calls += 1
                try:
                    response = await self.http.get(url, params=params, headers=headers)
                except httpx.TimeoutException:
                    if attempt < self.retries:
                        continue
                    raise OperationError(f"{what}: timed out", code="timeout") from None
                except httpx.HTTPError as exc:
                    if attempt < self.retries:
                        await asyncio.sleep(min(0.2 * 2 ** attempt, 2.0))
                        continue
                    raise OperationError(f"{what}: {type(exc).__name__}: {exc}",
                                         code="unreachable") from None
            if response.status_code in RETRIED and attempt < self.retries:
                await asyncio.sleep(self._wait(response, attempt))
                continue
            if response.status_code >= 400:
                raise RemoteError(response.status_code, what,
                                  f"{what}: HTTP {response.status_code} {_error(response)}")
            return response.json() if response.content else None
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, response: Any, attempt: int) -> float:
        after = response.headers.get("Retry-After")
        try:
            seconds = float(after) if after is not None else 0.5 * 2 ** attempt
        except ValueError:
            seconds = 0.5 * 2 ** attempt
        return max(0.0, min(seconds, self.max_wait))

    async def get_all(self, path: str, params: dict[str, str], what: str) -> list[dict]:
        """Every item of an ARM list, following ``nextLink``."""
        items: list[dict] = []
        page = _page(await self.get(path, params, what=what), what)
        items += page["value"]
        pages = 1
        while page["nextLink"] and pages < 1000:
            page = _page(await self.get(page["nextLink"], what=what), what)
            items += page["value"]
            pages += 1
        return items


def _page(body: Any, what: str) -> dict[str, Any]:
    """One page of an ARM list as the contract says it is: an object with a ``value`` list
    and maybe a ``nextLink`` string; anything else is the service's fault, said in one line."""
    if body is None:
        return {"value": [], "nextLink": None}
    value = body.get("value") if isinstance(body, dict) else ()
    link = body.get("nextLink") if isinstance(body, dict) else None
    if not isinstance(value, list | None) or not isinstance(link, str | None):
        raise OperationError(f"{what}: the answer is not an ARM list (an object with a value "
                             "list): try again, or report it to Azure support")
    return {"value": [v for v in value or [] if isinstance(v, dict)], "nextLink": link}


def _error(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = (body or {}).get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return f"{error.get('code')}: {error.get('message')}"
    if isinstance(body, dict) and body.get("code"):
        return f"{body.get('code')}: {body.get('message')}"
    return ""

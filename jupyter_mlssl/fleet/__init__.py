"""Every endpoint's TLS in one table: the fleet inventory, its picture, and ``watch``.

``fleet(...)`` lists every deployment the caller can read (workspaces across subscriptions
through Azure Resource Graph, then each workspace's AKS computes, ACI services, online
endpoints and ML extensions, on one event loop with bounded concurrency) plus the local
targets, and returns a :class:`FleetReport`: one row per endpoint, worst first. ``watch``
(``watch.py``) turns a report into findings and exit statuses for cron and CI.

This package sits beside ``change``: it reads targets (their listings and readers) and runs
checks (probes); it changes nothing itself (``watch --renew`` renews through a callable the
face passes in).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    from jupyter_mlssl.fleet.report import FleetReport

__all__ = ["afleet", "fleet"]

P = ParamSpec("P")
T = TypeVar("T")


async def afleet(
    *,
    subscriptions: Iterable[str] = (),
    workspaces: Iterable[str] = (),
    local: bool = False,
    azure: bool = True,
    probe: bool = False,
    credential: Any = None,
    arm_endpoint: str | None = None,
    connection_verify: Any = True,
    concurrency: int = 64,
    probe_concurrency: int = 100,
    probe_timeout: float = 5.0,
    ca_bundle: str | None = None,
    timeout: float = 30.0,
    retries: int = 4,
    now: dt.datetime | None = None,
    write_cache: bool = True,
    graph_options: dict[str, Any] | None = None,
) -> FleetReport:
    """:func:`fleet` for code already running in an event loop."""
    from jupyter_mlssl.fleet import cache
    from jupyter_mlssl.fleet.inventory import azure_rows, local_rows
    from jupyter_mlssl.fleet.probes import fill
    from jupyter_mlssl.fleet.report import FleetReport
    from jupyter_mlssl.fleet.rows import FleetRow

    now = now or dt.datetime.now(dt.timezone.utc)
    rows: list[FleetRow] = []
    notes: list[str] = []
    calls = 0
    # given by id: no discoveryUrl key, so the listing reads the workspace for it
    ws_list = [{"id": w.rstrip("/"), "name": w.rstrip("/").rsplit("/", 1)[-1]}
               for w in workspaces]
    if azure:
        try:
            import httpx  # noqa: F401

            from jupyter_mlssl.targets.azure.credentials import cloud_for, default_credential

            cloud = cloud_for(arm_endpoint)
        except ImportError as exc:
            from jupyter_mlssl.errors import InputError

            raise InputError(f"the Azure inventory needs the azure and fleet extras ({exc.name}"
                             " is missing): pip install 'jupyter-mlssl[azure,fleet]'; or list"
                             " local targets only (--local)") from None
        credential = credential or default_credential(cloud)
        if not ws_list:
            from jupyter_mlssl.fleet.graph import workspaces as graph_workspaces

            found, graph_notes = await asyncio.to_thread(
                graph_workspaces, credential, list(subscriptions) or None,
                arm_endpoint=cloud.arm_endpoint, scope=cloud.scope,
                connection_verify=connection_verify, **(graph_options or {}))
            ws_list, notes = found, notes + graph_notes
            calls += 1
        more, made = await azure_rows(ws_list, credential=credential,
                                      arm_endpoint=cloud.arm_endpoint, scope=cloud.scope,
                                      verify=connection_verify, concurrency=concurrency,
                                      timeout=timeout, retries=retries)
        rows += more
        calls += made
    if local:
        rows += await asyncio.to_thread(local_rows)
    await fill(rows, probe=probe, ca_bundle=ca_bundle, timeout=probe_timeout,
               concurrency=probe_concurrency, now=now)
    report = FleetReport(rows=rows, workspaces=len(ws_list), calls=calls, notes=notes,
                         probed=probe, generated=now)
    if write_cache:
        cache.write(now, report.soonest())
    return report


def _blocking(run: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """``run`` for synchronous callers, with its signature (``functools.wraps`` keeps it
    for ``inspect.signature`` and completion; ``ParamSpec`` keeps it for type checkers)."""

    @functools.wraps(run)
    def blocking(*args: P.args, **kwargs: P.kwargs) -> T:
        from jupyter_mlssl.probing import _run_sync

        return _run_sync(lambda: run(*args, **kwargs))

    return blocking


fleet = _blocking(afleet)
fleet.__name__ = fleet.__qualname__ = "fleet"
fleet.__doc__ = """Every endpoint the caller can read, one row each, worst first.

    ``subscriptions`` / ``workspaces`` (ARM ids) narrow the inventory (default: every
    workspace Resource Graph shows the caller); ``local`` adds this machine's local targets
    and ``azure=False`` leaves Azure out; ``probe`` adds each endpoint's live verdict and its
    certificate's dates. ``concurrency``: ARM requests at once; ``probe_concurrency``: probes
    at once. ``graph_options`` go to the Resource Graph client (azure-core options such as
    ``retry_total``). Works inside a running event loop (a notebook) too.
    """

"""Every Azure ML workspace the caller can read, across subscriptions, from Azure Resource Graph.

One query (``resources | where type =~ 'microsoft.machinelearningservices/workspaces'``),
ordered by id so ``$skipToken`` paging is stable, 1,000 rows a page (the documented maximum).
Throttling: every answer carries ``x-ms-user-quota-remaining`` and
``x-ms-user-quota-resets-after`` (hh:mm:ss); when the quota is spent the next page waits for
the reset instead of drawing a 429. A 429 that comes anyway is waited out by azure-core's
retry policy, which honours ``Retry-After`` (up to ``max_wait`` at a time).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

QUERY = ("resources | where type =~ 'microsoft.machinelearningservices/workspaces'"
         " | project id, name, location, subscriptionId, resourceGroup,"
         " discoveryUrl = tostring(properties.discoveryUrl)"
         " | order by id asc")
PAGE = 1000


def parse_resets_after(text: str | None) -> float:
    """``hh:mm:ss`` -> seconds (0 when absent or unreadable).

    A finite, non-negative number or 0: ``float`` also reads "nan", "-5" and "1e400", and
    ``time.sleep`` raises on NaN and on a negative wait.
    """
    if not text:
        return 0.0
    try:
        hours, minutes, seconds = (float(p) for p in text.split(":"))
    except ValueError:
        return 0.0
    total = hours * 3600 + minutes * 60 + seconds
    return total if math.isfinite(total) and total >= 0 else 0.0


def quota_wait(headers: Mapping[str, str], max_wait: float) -> float | None:
    """Seconds to wait before the next page (at most ``max_wait``), or None: quota left.

    The quota is spent when ``x-ms-user-quota-remaining`` reads 0; anything else in it
    (garbage, a negative count) means no wait, not a fault: a 429 would still be waited
    out. Read as text, not with ``int``, which refuses a Unicode digit ``isdigit`` accepts
    and more than 4,300 digits.
    """
    remaining = str(headers.get("x-ms-user-quota-remaining") or "").strip()
    if not remaining or remaining.strip("0"):
        return None
    return min(parse_resets_after(headers.get("x-ms-user-quota-resets-after")), max_wait)


def workspaces(credential: Any, subscriptions: list[str] | None, *, arm_endpoint: str,
               scope: str, sleep: Callable[[float], None] = time.sleep,
               max_wait: float = 60.0, **client_options: Any) -> tuple[list[dict], list[str]]:
    """``(rows, notes)``: one dict per workspace (id, name, subscriptionId, ...)."""
    from azure.mgmt.resourcegraph import ResourceGraphClient
    from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

    from jupyter_mlssl.targets.azure.clients import bounded_retry_policy

    # a 429's Retry-After is waited out by azure-core, at most max_wait at a time
    client_options.setdefault("retry_policy", bounded_retry_policy(max_wait, **client_options))
    client = ResourceGraphClient(credential, base_url=arm_endpoint,
                                 credential_scopes=[scope], **client_options)
    rows: list[dict] = []
    notes: list[str] = []
    token: str | None = None
    quota: dict[str, str] = {}

    def keep_headers(pipeline_response: Any, deserialized: Any, _headers: Any) -> Any:
        quota.clear()
        quota.update(pipeline_response.http_response.headers)
        return deserialized

    with client:
        for _ in range(10_000):  # bounded: 10 million workspaces
            request = QueryRequest(
                subscriptions=subscriptions or None, query=QUERY,
                options=QueryRequestOptions(top=PAGE, skip_token=token,
                                            result_format="objectArray"),
            )
            answer = client.resources(request, cls=keep_headers)
            rows += list(answer.data or [])  # type: ignore[arg-type]  # objectArray: a list
            if str(quota.get("x-ms-tenant-subscription-limit-hit", "")).lower() == "true":
                notes.append("Resource Graph: more than 10,000 subscriptions; pass"
                             " --subscription to cover them in parts")
            token = answer.skip_token
            if not token:
                break
            wait = quota_wait(quota, max_wait)
            if wait is not None:
                notes.append(f"Resource Graph quota spent: waited {wait:g} s for its reset")
                sleep(wait)
    return rows, notes

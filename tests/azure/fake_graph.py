"""Azure Resource Graph on the fake ARM: ``POST /providers/Microsoft.ResourceGraph/resources``.

As the 2021-03-01 spec and its examples shape it: the body carries ``subscriptions``,
``query`` and ``options`` (``$top``, ``$skipToken``, ``resultFormat``); the answer has
``totalRecords``, ``count``, ``resultTruncated`` (a string), ``$skipToken`` when more pages
follow, and ``data`` (objects). Every answer carries ``x-ms-user-quota-remaining`` and
``x-ms-user-quota-resets-after``; past the quota it answers 429 with ``Retry-After``, as the
service does. Only the workspace query is understood (it is the only one the fleet sends).
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Graph:
    """The graph's state: the workspace rows it knows, paging and the quota."""

    rows: list[dict] = field(default_factory=list)
    page: int = 1000  # the service's maximum $top
    quota: int = 15  # queries per window (the docs' example)
    resets_after: str = "00:00:00"
    queries: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, fake: Any, method: str, path: str, q: dict, rec: Any,
              lro: Any) -> tuple[int, Any, dict] | None:
        if path.lower() != "/providers/microsoft.resourcegraph/resources" or method != "POST":
            return None
        body = rec.json or {}
        with self.lock:
            self.queries.append(body)
            if self.quota <= 0:
                return 429, {"error": {"code": "RateLimiting", "message": "throttled"}}, {
                    "Retry-After": "0", "x-ms-user-quota-remaining": "0",
                    "x-ms-user-quota-resets-after": self.resets_after}
            self.quota -= 1
            remaining = self.quota
        query = str(body.get("query") or "")
        if "microsoft.machinelearningservices/workspaces" not in query.lower():
            return 400, {"error": {"code": "BadRequest", "message": "unknown query"}}, {}
        subs = {s.lower() for s in body.get("subscriptions") or []}
        rows = sorted((r for r in self.rows
                       if not subs or r["subscriptionId"].lower() in subs),
                      key=lambda r: r["id"].lower())
        options = body.get("options") or {}
        top = min(int(options.get("$top") or 1000), self.page)
        start = 0
        if options.get("$skipToken"):
            start = json.loads(base64.b64decode(options["$skipToken"]))["offset"]
        data = rows[start:start + top]
        answer: dict[str, Any] = {"totalRecords": len(rows), "count": len(data),
                                  "resultTruncated": "false", "data": data, "facets": []}
        if start + top < len(rows):
            answer["$skipToken"] = base64.b64encode(
                json.dumps({"offset": start + top}).encode()).decode()
        return 200, answer, {"x-ms-user-quota-remaining": str(remaining),
                             "x-ms-user-quota-resets-after": self.resets_after}


def install(fake: Any) -> Graph:
    graph = Graph()
    fake.extra_routes.append(graph.route)
    return graph

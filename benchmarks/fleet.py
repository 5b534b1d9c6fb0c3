"""How far one process goes: the fleet inventory and its probes against a large fake estate.

For each size (default 100, 300 and 1,000 workspaces, 10 online endpoints each), a fresh
server process runs the fake ARM (tests/azure/fakearm.py with the fleet's Resource Graph and
listing routes) answering every listing after ``--delay`` (50 ms), plus loopback TLS servers
for the endpoints to probe (half an endpoint per workspace: 500 at 1,000 workspaces). A fresh
client process (spawned: its peak memory is its own) then runs the inventory through Resource
Graph and the listings, then probes its share of endpoints. Server and client are separate
processes so they do not share a GIL.

    .venv/bin/python benchmarks/fleet.py [--sizes 100,300,1000] [--delay 0.05]

Targets (issue 14) at 1,000 workspaces: inventory under 5 s (sequential calls would take
calls x delay), peak client memory under 400 MB. Exit status 1 if one is missed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/inspect.py would shadow the standard library's inspect in spawned children
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
TARGET_SECONDS = 5.0
TARGET_MB = 400.0
PER_WORKSPACE = 10


def serve(size: int, probes: int, delay: float, out: Any, stop: Any) -> None:
    """The server process: the fake ARM with ``size`` workspaces, and TLS servers."""
    sys.path.insert(0, str(ROOT))
    import tempfile

    from tests.azure import fake_listings
    from tests.azure.fakearm import FakeArm
    from tests.pki import TestPKI
    from tests.tlsservers import Fleet

    pki = TestPKI()
    root = pki.root("bench root")
    arm_leaf = pki.leaf(root, ["127.0.0.1", "localhost"])
    tmp = Path(tempfile.mkdtemp(prefix="mlssl-bench-"))
    ca = tmp / "ca.pem"
    ca.write_bytes(root.pem)
    fake = FakeArm(arm_leaf.pem, arm_leaf.key_pem(), tmp)
    fake.requests = _Discard()  # keep no record of 10,000 requests
    # socketserver listens with a backlog of 5: 64 clients connecting at once would see
    # SYNs dropped and retried a second later; a real front end accepts them all
    fake.httpd.socket.listen(1024)
    estate = fake_listings.install(fake)
    estate.delay = delay
    estate.page = 100
    servers = Fleet(max(1, probes // 10), [pki.leaf(root, ["localhost", "127.0.0.1"],
                                                    days=200)]).start()
    ports = servers.ports
    probed = 0
    for w in range(size):
        ws = estate.add_workspace(f"ws{w:05d}", v1=False)
        for e in range(PER_WORKSPACE):
            if (probed < probes and e == 0) or (probed < probes and e == 1 and w % 2 == 0):
                uri = f"https://localhost:{ports[probed % len(ports)]}/score/{w}/{e}"
                probed += 1
            else:
                uri = f"https://ep{w}-{e}.eastus.inference.ml.azure.com/score"
            estate.add_endpoint(ws, f"ep{e}", uri)
    out.put({"base": fake.base, "ca": str(ca), "probes": probed})
    stop.wait(3600)
    servers.stop()
    fake.close()


class _Discard(list):  # type: ignore[type-arg]
    def append(self, item: Any) -> None:
        pass


class Token:
    def __init__(self) -> None:
        from azure.core.credentials import AccessToken

        self.token = AccessToken("fake-token", int(time.time()) + 3600)

    def get_token(self, *scopes: str, **kw: Any) -> Any:
        return self.token


def client(base: str, ca: str, concurrency: int, out: Any) -> None:
    """The client process: inventory, then probes; its own peak memory."""
    sys.path.insert(0, str(ROOT))
    import asyncio
    import datetime as dt
    import os
    import resource
    import tempfile

    os.environ["MLSSL_HOME"] = tempfile.mkdtemp(prefix="mlssl-bench-home-")
    from jupyter_mlssl.fleet import afleet
    from jupyter_mlssl.fleet.probes import probe_rows, settle

    async def run() -> dict[str, Any]:
        start = time.perf_counter()
        report = await afleet(credential=Token(), arm_endpoint=base, connection_verify=ca,
                              concurrency=concurrency, write_cache=False)
        inventory = time.perf_counter() - start
        local = [r for r in report.rows if r.scoring_uri and "localhost" in r.scoring_uri]
        now = dt.datetime.now(dt.timezone.utc)
        start = time.perf_counter()
        await probe_rows(local, ca_bundle=ca, timeout=10.0, concurrency=100, now=now)
        probing = time.perf_counter() - start
        settle(local, now)
        return {"rows": len(report.rows), "calls": report.calls, "inventory_s": inventory,
                "probed": len(local), "probe_ok": sum(r.probe == "ok" for r in local),
                "probe_s": probing, "errors": sum(r.verdict == "error" for r in report.rows)}

    result = asyncio.run(run())
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put(result)


def one_size(size: int, delay: float, concurrency: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    out, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=serve, args=(size, size // 2, delay, out, stop), daemon=True)
    server.start()
    info = out.get(timeout=600)
    try:
        worker = ctx.Process(target=client, args=(info["base"], info["ca"], concurrency, out))
        worker.start()
        result = out.get(timeout=900)
        worker.join(60)
    finally:
        stop.set()
        server.join(30)
        if server.is_alive():
            server.terminate()
    result.update(workspaces=size, sequential_s=result["calls"] * delay)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,300,1000")
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = [one_size(int(s), args.delay, args.concurrency) for s in args.sizes.split(",")]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{'workspaces':>10} {'rows':>6} {'calls':>6} {'inventory s':>11} "
              f"{'sequential s':>12} {'probed':>6} {'ok':>4} {'probe s':>7} {'peak MB':>7}")
        for r in results:
            print(f"{r['workspaces']:>10} {r['rows']:>6} {r['calls']:>6} "
                  f"{r['inventory_s']:>11.2f} {r['sequential_s']:>12.1f} {r['probed']:>6} "
                  f"{r['probe_ok']:>4} {r['probe_s']:>7.2f} {r['peak_mb']:>7.1f}")
        if len(results) > 1:
            a, b = results[0], results[-1]
            scale = b["workspaces"] / a["workspaces"]
            print(f"x{scale:g} workspaces: inventory x{b['inventory_s'] / a['inventory_s']:.2f},"
                  f" probes x{b['probe_s'] / max(a['probe_s'], 1e-9):.2f},"
                  f" peak memory x{b['peak_mb'] / a['peak_mb']:.2f}")
    last = results[-1]
    missed = []
    if last["workspaces"] >= 1000 and last["inventory_s"] >= TARGET_SECONDS:
        missed.append(f"inventory {last['inventory_s']:.2f} s >= {TARGET_SECONDS} s")
    if last["peak_mb"] >= TARGET_MB:
        missed.append(f"peak memory {last['peak_mb']:.0f} MB >= {TARGET_MB} MB")
    for line in missed:
        print(f"missed: {line}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

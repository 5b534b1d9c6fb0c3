"""Zero-downtime certificate rotation on the local target, measured under load.

A tiny scikit-learn model is deployed as ``local://bench`` with TLS Auto (a certificate from
the local CA). Then two phases of the same load, ``--duration`` seconds each:

1. **baseline**: ``--concurrency`` clients scoring over HTTPS, no rotation;
2. **rotation**: the same load while the certificate is renewed ``--rotations`` times, each
   through the full workflow (plan, issue, swap, DNS + probe verification, history).

Each request is what a simple client does: a new TCP connection, a full TLS handshake that
verifies the chain (trusting the local CA) and the hostname, ``POST /score`` with a small
JSON body, read the answer, close. The client does this on a raw TLS socket (as a C load
generator would) rather than through http.client, to leave more of the machine to the
server. No keep-alive and no session resumption, so every request meets whichever
certificate is current: the worst case for a swap. ``--keep-alive`` instead reuses one
connection per client (what requests.Session does); then only reconnections see a new
certificate. Sockets set TCP_NODELAY, as urllib3 does. Load runs in ``--processes`` worker
processes (threads inside), so the client is not limited to one core by the GIL. The two
phases alternate in ``--segments`` slices so that other work on a shared machine weighs on
both alike.

    .venv/bin/python benchmarks/rotation.py [--duration 20] [--rotations 20] [--concurrency 16]

Targets (issue 4): 0 failed of at least 10,000 requests during rotation; p99 during rotation
at most 2x p99 without. Client and server share the machine's CPUs, so request counts fall
when anything else runs (the load average is printed). Exit status 1 if one is missed.
Everything runs in a temporary MLSSL_HOME and is stopped at the end.
"""

from __future__ import annotations

import os
import sys

# benchmarks/inspect.py would shadow the standard library's inspect (numpy imports it): run
# with this directory off the import path.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import ssl  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

TARGET_MIN_REQUESTS = 10_000
TARGET_P99_RATIO = 2.0
BODY = json.dumps({"data": [[0, 0], [3, 3]]}).encode()


def _worker(host: str, port: int, ca_file: str, threads: int, duration: float,
            keep_alive: bool, start_at: float, out: mp.Queue) -> None:
    """One load process: ``threads`` clients until ``duration`` is over; results to ``out``."""
    context = ssl.create_default_context(cafile=ca_file)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    end = start_at + duration

    def one_request(conn: http.client.HTTPSConnection | None) -> http.client.HTTPSConnection:
        if conn is None:
            conn = http.client.HTTPSConnection(host, port, context=context, timeout=10)
            # the name is only in the local zone: connect to loopback, verify the name
            raw = socket.create_connection(("127.0.0.1", port), timeout=10)
            # as urllib3 (requests) does: http.client writes headers and body separately,
            # and Nagle + delayed ACK would add ~40 ms to every keep-alive request
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.sock = context.wrap_socket(raw, server_hostname=host)
        conn.request("POST", "/score", body=BODY, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        if response.status != 200 or json.loads(data) != [0, 1]:
            raise RuntimeError(f"HTTP {response.status}: {data[:80]!r}")
        return conn

    request = (f"POST /score HTTP/1.1\r\nHost: {host}:{port}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n"
               "Connection: close\r\n\r\n").encode() + BODY

    def one_shot(_conn: None) -> None:
        """A new connection, a full verified handshake, one request: the lean way (as a C
        load generator would), so the client leaves more of the CPUs to the server."""
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with context.wrap_socket(raw, server_hostname=host) as tls:
                tls.sendall(request)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = tls.recv(65536)
                    if not chunk:
                        raise RuntimeError(f"connection closed early: {data[:80]!r}")
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                while len(body) < length:
                    chunk = tls.recv(65536)
                    if not chunk:
                        raise RuntimeError("connection closed mid-body")
                    body += chunk
        if not head.startswith(b"HTTP/1.1 200") or json.loads(body) != [0, 1]:
            raise RuntimeError(f"{head[:40]!r}: {body[:80]!r}")

    def client() -> None:
        while time.time() < start_at:
            time.sleep(0.001)
        conn: http.client.HTTPSConnection | None = None
        while time.time() < end:
            began = time.perf_counter()
            try:
                if keep_alive:
                    conn = one_request(conn)
                else:
                    one_shot(None)
                took = time.perf_counter() - began
                with lock:
                    latencies.append(took)
            except Exception as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                if conn is not None:
                    conn.close()
                conn = None
                continue
        if conn is not None:
            conn.close()

    pool = [threading.Thread(target=client) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put((latencies, errors))


def run_load(host: str, port: int, ca_file: str, *, concurrency: int, processes: int,
             duration: float, keep_alive: bool, during=None) -> tuple[list, list, object]:
    """Run the load (and ``during()`` in this process meanwhile): latencies, errors, and
    what ``during`` returned."""
    queue: mp.Queue = mp.Queue()
    start_at = time.time() + 1.0  # let every worker get ready first
    per = [concurrency // processes + (1 if i < concurrency % processes else 0)
           for i in range(processes)]
    workers = [mp.Process(target=_worker, args=(host, port, ca_file, n, duration, keep_alive,
                                                start_at, queue)) for n in per if n]
    for worker in workers:
        worker.start()
    extra = None
    if during is not None:
        while time.time() < start_at:
            time.sleep(0.005)
        extra = during(duration)
    latencies: list[float] = []
    errors: list[str] = []
    for _ in workers:
        got_latencies, got_errors = queue.get(timeout=duration + 60)
        latencies += got_latencies
        errors += got_errors
    for worker in workers:
        worker.join(10)
    return latencies, errors, extra


def summarise(latencies: list[float], errors: list[str], duration: float) -> dict:
    ordered = sorted(latencies)

    def pct(p: float) -> float | None:
        if not ordered:
            return None
        return round(1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 2)

    kinds: dict[str, int] = {}
    for error in errors:
        kinds[error[:100]] = kinds.get(error[:100], 0) + 1
    return {
        "requests": len(latencies) + len(errors),
        "ok": len(latencies),
        "failed": len(errors),
        "per_second": round((len(latencies) + len(errors)) / duration, 1),
        "p50_ms": pct(50),
        "p99_ms": pct(99),
        "max_ms": round(1000 * ordered[-1], 2) if ordered else None,
        "errors": kinds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--rotations", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--keep-alive", action="store_true")
    parser.add_argument("--segments", type=int, default=4,
                        help="alternate the two phases in this many slices each")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    home = tempfile.mkdtemp(prefix="mlssl-bench-")
    os.environ["MLSSL_HOME"] = home
    from sklearn.tree import DecisionTreeClassifier

    from jupyter_mlssl import local
    from jupyter_mlssl.change.workflow import change
    from jupyter_mlssl.targets import open_target as connect
    from jupyter_mlssl.targets.base import SslSettings
    from jupyter_mlssl.targets.local import ca

    model = DecisionTreeClassifier(random_state=0).fit(
        [[0, 0], [0, 1], [1, 0], [1, 1], [2, 2], [2, 3], [3, 2], [3, 3]], [0] * 4 + [1] * 4)
    try:
        local.deploy("bench", model=model)
        target = connect("local://bench")
        report = change(target, SslSettings(status="Auto", leaf_domain_label="bench"),
                        action="enable")
        if report.outcome != "applied":
            print(f"enable failed: {report.summary()}", file=sys.stderr)
            return 1
        status = target.status()
        host = status.fqdn
        port = int(target._runtime()["https_port"])
        ca_file = str(ca.bundle_path())
        renew = SslSettings(status="Auto", leaf_domain_label="bench", renew=True)
        load = {"concurrency": args.concurrency, "processes": args.processes,
                "duration": args.duration, "keep_alive": args.keep_alive}

        # The two phases alternate in --segments slices, so that other work on a shared
        # machine weighs on both alike; each phase totals --duration seconds.
        slice_s = args.duration / args.segments
        per_slice = [args.rotations // args.segments
                     + (1 if i < args.rotations % args.segments else 0)
                     for i in range(args.segments)]
        took: list[float] = []
        outcomes: list[str] = []
        fingerprints: set = set()

        def rotate(count: int):
            def run(seconds: float) -> None:
                start = time.perf_counter()
                gap = seconds / (count + 1)
                for i in range(count):
                    time.sleep(max(0.0, gap * (i + 1) - (time.perf_counter() - start)))
                    began = time.perf_counter()
                    result = change(target, renew, action="renew")
                    took.append(time.perf_counter() - began)
                    outcomes.append(result.outcome)
                    fingerprints.add(result.after.certificate_fingerprint
                                     if result.after else None)
            return run

        phases: dict[str, tuple[list, list]] = {"baseline": ([], []), "rotation": ([], [])}
        load["duration"] = slice_s
        for count in per_slice:
            for name, during in (("baseline", None), ("rotation", rotate(count))):
                got_latencies, got_errors, _ = run_load(host, port, ca_file, during=during,
                                                        **load)
                phases[name][0].extend(got_latencies)
                phases[name][1].extend(got_errors)
        baseline = summarise(*phases["baseline"], args.duration)
        rotating = summarise(*phases["rotation"], args.duration)
        rotating["rotation"] = {
            "count": len(took), "applied": outcomes.count("applied"),
            "distinct_certificates": len(fingerprints),
            "median_s": round(statistics.median(took), 3) if took else None,
            "max_s": round(max(took), 3) if took else None,
        }
        stats = target.stats()
    finally:
        local.stop_all()

    ratio = (rotating["p99_ms"] / baseline["p99_ms"]
             if rotating["p99_ms"] and baseline["p99_ms"] else None)
    result = {
        "baseline": baseline,
        "rotation": rotating,
        "p99_ratio": round(ratio, 2) if ratio else None,
        "server_handshake_failures": stats.get("handshake_failures"),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "targets": {"min_requests": TARGET_MIN_REQUESTS, "failed": 0,
                    "max_p99_ratio": TARGET_P99_RATIO},
    }
    met = (rotating["failed"] == 0 and rotating["requests"] >= TARGET_MIN_REQUESTS
           and ratio is not None and ratio <= TARGET_P99_RATIO
           and rotating.get("rotation", {}).get("applied") == args.rotations)
    result["targets_met"] = met
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        mode = "keep-alive" if args.keep_alive else "new TLS connection per request"
        print(f"load: {args.concurrency} clients in {args.processes} processes, "
              f"{args.duration:g} s per phase in {args.segments} alternating slices, {mode}; "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        for name, phase in (("without rotation", baseline), ("with rotation", rotating)):
            print(f"  {name:17} requests {phase['requests']:6}  failed {phase['failed']:3}  "
                  f"{phase['per_second']:7}/s  p50 {phase['p50_ms']} ms  "
                  f"p99 {phase['p99_ms']} ms  max {phase['max_ms']} ms")
            for error, count in phase["errors"].items():
                print(f"      {count} x {error}")
        print(f"  rotations: {rotating.get('rotation')}")
        print(f"  p99 ratio (with / without): {result['p99_ratio']}  "
              f"server handshake failures: {result['server_handshake_failures']}")
        print(f"  targets met: {met}")
    shutil.rmtree(home, ignore_errors=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

"""How fast is the probe, against what a user would otherwise reach for? All on loopback.

    .venv/bin/python benchmarks/probe.py [--iterations N] [--fleet N] [--delay S]

1. Baseline: a bare Python TLS handshake (``create_connection`` + ``wrap_socket``,
   verifying against the test root; the context is built once, outside the timing).
2. One probe: ``jupyter_mlssl.probing.probe(url)`` with its defaults: handshake, chain
   capture, cryptography verification, one HTTP request. The plain-http redirect check
   looks at port 80 only for URLs on port 443 ("auto"), so on this loopback port it does
   not run; the same probe with the check forced onto port 80 (run concurrently with the
   HTTP request; nothing listens on 127.0.0.1:80 here, so it is refused at once) is shown
   too.
   Also: with the remembered verification and parsed certificates cleared before each call
   (parsing and full path validation every time), and awaited through ``aprobe_many`` on
   an already running loop.
3. ``openssl s_client -verify_return_error`` (a subprocess per run, as a user would run it).
4. A fleet of endpoints whose servers delay the handshake by ``--delay`` seconds, probed
   with concurrency 100 and sequentially (concurrency 1).

The servers run in a separate process (``python -m tests.tlsservers serve``) so they do not
share a GIL with the client. Targets (issue 3): one probe at most 1.3x the bare handshake;
at least 2x faster than s_client; the delayed fleet at least 20x faster than sequential.
"""

# ruff: noqa: E402  (sys.path must be fixed before the other imports)
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this directory is sys.path[0], and sibling benchmarks are named like
# stdlib modules (inspect.py): drop it, and put the repository root in its place.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))

import argparse
import asyncio
import json
import os
import socket
import ssl
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable

from jupyter_mlssl.pki.trust import trust_store
from jupyter_mlssl.probing import aprobe_many, probe, probe_many
from jupyter_mlssl.probing.presented import parse_presented as _parse

NAME = "bench.example.test"


class Servers:
    """A fleet of TLS endpoints in a child process; the root CA is written to ``ca``."""

    def __init__(self, tmp: Path, count: int, delay: float = 0.0) -> None:
        self.ca = tmp / f"ca-{count}-{delay}.pem"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.tlsservers", "serve", "--count", str(count),
             "--delay", str(delay), "--ca-out", str(self.ca), "--name", NAME],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the benchmark servers did not start")
        self.ports: list[int] = json.loads(line)["ports"]

    def url(self, port: int) -> str:
        return f"https://{NAME}:{port}/"

    def resolve(self, port: int) -> str:
        return f"{NAME}:{port}:127.0.0.1"

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def median_ms(fn: Callable[[], object], iterations: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sclient-iterations", type=int, default=30)
    parser.add_argument("--fleet", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--fleet-runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mlssl-bench-") as tmp_name:
        tmp = Path(tmp_name)
        single = Servers(tmp, 1)
        fleet = Servers(tmp, args.fleet, args.delay)
        try:
            port = single.ports[0]
            ca = str(single.ca)

            verifying = ssl.create_default_context(cafile=ca)

            def bare_handshake() -> None:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as sock, \
                        verifying.wrap_socket(sock, server_hostname=NAME):
                    pass

            def one_probe(redirect_port: int | str | None = "auto") -> None:
                report = probe(single.url(port), ca_bundle=ca, resolve=[single.resolve(port)],
                               redirect_port=redirect_port)
                assert report.results[0].verdict == "ok", report.results[0].error

            sclient = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                       "-servername", NAME, "-CAfile", ca, "-verify_hostname", NAME,
                       "-verify_return_error"]

            def s_client() -> None:
                done = subprocess.run(sclient, stdin=subprocess.DEVNULL,
                                      capture_output=True, check=False)
                assert done.returncode == 0, done.stderr[-300:]

            # Interleave the methods call by call, so that drift (CPU frequency, other
            # processes on the machine) hits them alike; report each one's median.
            trust = trust_store(ca, honour_env=True)

            def cold_probe() -> None:
                trust.verified.clear()  # forget verified paths: full path validation
                _parse.cache_clear()  # and parsed certificates: every DER read afresh
                one_probe()

            loop = asyncio.new_event_loop()

            def on_loop() -> None:
                # Through aprobe_many on a loop that is already there (as in a notebook):
                # every wait goes through the loop's scheduler.
                report = loop.run_until_complete(aprobe_many(
                    [single.url(port)], ca_bundle=ca, resolve=[single.resolve(port)]))
                assert report.results[0].verdict == "ok", report.results[0].error

            methods: dict[str, Callable[[], object]] = {
                "bare": bare_handshake,
                "probe": one_probe,
                "probe_cold": cold_probe,
                "probe80": lambda: one_probe(80),
                "aprobe": on_loop,
                "s_client": s_client,
            }
            for fn in methods.values():
                fn()  # warm-up: imports, trust store cache, contexts
            # In rounds: each method's median per round, then the median of those, so that
            # a burst of load from elsewhere on the machine spoils one round, not the figure.
            # The spread of the probe/baseline ratio over the rounds is printed too.
            rounds = max(1, args.rounds)
            per_round = max(1, args.iterations // rounds)
            every = max(1, args.iterations // max(args.sclient_iterations, 1))
            round_medians: dict[str, list[float]] = {name: [] for name in methods}
            for _ in range(rounds):
                times: dict[str, list[float]] = {name: [] for name in methods}
                for i in range(per_round):
                    names = [n for n in methods if n != "s_client" or i % every == 0]
                    names = names[i % len(names):] + names[:i % len(names)]
                    for name in names:
                        start = time.perf_counter()
                        methods[name]()
                        times[name].append((time.perf_counter() - start) * 1000)
                for name, values in times.items():
                    round_medians[name].append(statistics.median(values))
            med = {name: statistics.median(values) for name, values in round_medians.items()}
            bare_ms, probe_ms, sclient_ms = med["bare"], med["probe"], med["s_client"]
            ratios = sorted(p / b for p, b in zip(round_medians["probe"], round_medians["bare"],
                                                   strict=True))

            urls = [fleet.url(p) for p in fleet.ports]
            resolve = [fleet.resolve(p) for p in fleet.ports]

            def run_fleet(concurrency: int) -> float:
                start = time.perf_counter()
                report = probe_many(urls, ca_bundle=str(fleet.ca), resolve=resolve,
                                    concurrency=concurrency, timeout=10)
                elapsed = (time.perf_counter() - start) * 1000
                bad = [r for r in report.results if r.verdict != "ok"]
                assert not bad, f"{len(bad)} failed, e.g. {bad[0].verdict}: {bad[0].error}"
                return elapsed

            run_fleet(args.concurrency)  # warm-up
            concurrent_ms = statistics.median(
                run_fleet(args.concurrency) for _ in range(args.fleet_runs)
            )
            sequential_ms = run_fleet(1)
        finally:
            single.close()
            fleet.close()

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"jupyter-mlssl probe benchmark (loopback, Python {sys.version.split()[0]}, "
          f"{ssl.OPENSSL_VERSION}, {os.cpu_count()} CPUs, load average {load})")
    print(f"  bare Python TLS handshake (baseline)   {bare_ms:8.2f} ms  "
          f"(median of {args.rounds} round medians)")
    print(f"  one probe                              {probe_ms:8.2f} ms  "
          f"= {probe_ms / bare_ms:.2f}x baseline   (target <= 1.3x; per round "
          f"{ratios[0]:.2f}-{ratios[-1]:.2f}x)")
    print(f"    same, port-80 redirect check forced  {med['probe80']:8.2f} ms  "
          f"= {med['probe80'] / bare_ms:.2f}x baseline (80 is closed here: refused at once)")
    print(f"    same, nothing remembered             {med['probe_cold']:8.2f} ms  "
          f"= {med['probe_cold'] / bare_ms:.2f}x baseline (parse + full path validation each time)")
    print(f"    same, awaited on a running loop      {med['aprobe']:8.2f} ms  "
          f"= {med['aprobe'] / bare_ms:.2f}x baseline (aprobe_many, loop-scheduled waits)")
    print(f"  openssl s_client -verify_return_error  {sclient_ms:8.2f} ms  "
          f"= {sclient_ms / probe_ms:.2f}x one probe   (target >= 2x)")
    print(f"  fleet of {args.fleet}, {args.delay * 1000:.0f} ms handshake delay:")
    print(f"    concurrency {args.concurrency:<4}                     {concurrent_ms:8.1f} ms  "
          f"(median of {args.fleet_runs})")
    print(f"    sequential                           {sequential_ms:8.1f} ms  "
          f"= {sequential_ms / concurrent_ms:.1f}x concurrent   (target >= 20x)")
    ok = (probe_ms <= 1.3 * bare_ms and sclient_ms >= 2 * probe_ms
          and sequential_ms >= 20 * concurrent_ms)
    print("  all targets met" if ok else "  NOT all targets met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

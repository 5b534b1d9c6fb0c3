"""How often do ``openssl verify`` and ``inspect`` agree with x509-limbo, on the same cases?

The anchor for the product's path validation: the vendored web-PKI server cases
(``tests/data/limbo/``) run once through ``openssl verify`` and once through ``inspect``
(mapped to accept / reject as ``tests/limbo.py`` defines), in one run. For OpenSSL:

    openssl verify -CAfile trusted.pem -untrusted intermediates.pem -purpose sslserver
        -attime <validation time> -verify_hostname NAME | -verify_ip ADDR  peer.pem

``-partial_chain`` is off (a trusted intermediate alone does not end the path) and
``-verify_depth`` is set when a case gives a maximum chain depth. OpenSSL reads no CRLs
here; neither do the vendored cases. Prints the agreement counts, then each disagreement
of either with its expected result. Usage: ``python benchmarks/limbo_openssl.py [-v]``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, this directory comes first on sys.path and its inspect.py would shadow
# the standard library's (which dataclasses imports): use the repository root instead.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import limbo


def openssl_accepts(case: limbo.Case, workdir: Path) -> bool:
    peer = workdir / "peer.pem"
    peer.write_text(case.peer)
    trusted = workdir / "trusted.pem"
    trusted.write_bytes(case.trusted_pem())
    command = ["openssl", "verify", "-purpose", "sslserver", "-CAfile", str(trusted)]
    if case.intermediates:
        untrusted = workdir / "untrusted.pem"
        untrusted.write_text("".join(case.intermediates))
        command += ["-untrusted", str(untrusted)]
    if case.when is not None:
        command += ["-attime", str(int(case.when.timestamp()))]
    if case.peer_name is not None:
        kind, value = case.peer_name
        command += ["-verify_ip" if kind == "IP" else "-verify_hostname", value]
    if case.max_chain_depth is not None:
        command += ["-verify_depth", str(case.max_chain_depth)]
    command.append(str(peer))
    # An empty CAfile makes openssl fail to load it: that is a rejection too.
    done = subprocess.run(command, capture_output=True, text=True, timeout=30,
                          env={**os.environ, "SSL_CERT_FILE": os.devnull,
                               "SSL_CERT_DIR": os.devnull})
    return done.returncode == 0 and ": OK" in done.stdout


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    cases = limbo.cases()
    agree = {"openssl": 0, "product": 0}
    wrong: dict[str, list[str]] = {"openssl": [], "product": []}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for case in cases:
            for who, accepts in (("openssl", openssl_accepts), ("product", limbo.product_accepts)):
                try:
                    ok = accepts(case, workdir) == case.accepts
                except Exception as exc:  # the product must not raise: count it as wrong
                    ok = False
                    wrong[who].append(f"{case.id} raised {exc!r}")
                    continue
                agree[who] += ok
                if not ok:
                    wrong[who].append(f"{case.id} (expected {case.expected})")
    elapsed = time.perf_counter() - started
    print(f"x509-limbo web-PKI server cases: {len(cases)} (tests/data/limbo/)")
    for who, label in (("openssl", "openssl verify (" + _openssl_version() + ")"),
                       ("product", "jupyter_mlssl inspect")):
        print(f"  {label:40s} agrees on {agree[who]:3d} / {len(cases)}")
    print(f"  ({elapsed:.1f} s for both)")
    if verbose:
        for who in wrong:
            print(f"\n{who} disagrees on {len(wrong[who])}:")
            print("\n".join("  " + line for line in wrong[who]))
    return 0


def _openssl_version() -> str:
    done = subprocess.run(["openssl", "version"], capture_output=True, text=True, timeout=10)
    return " ".join(done.stdout.split()[:2])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A full ACME DNS-01 issuance against pebble, timed for mlssl and for certbot, in one run.

pebble (Debian's, ``PEBBLE_VA_NOSLEEP=1``, external account binding required) runs on
loopback with a listener certificate minted here, and asks the local target's loopback
nameserver for every TXT lookup. Alternating, so that load from other processes hits both
alike, each sample issues one certificate for one name:

* mlssl: ``jupyter_mlssl.acme.issue.issue`` with the local publisher, in this process (the
  account is created by the first, untimed, warm-up issuance and reused, as certbot reuses
  its account after its own warm-up);
* ``mlssl cert acme`` as a fresh process (interpreter, imports and the same issuance), the
  fair comparison with certbot's process;
* certbot: ``certbot certonly --manual --preferred-challenges dns`` with hook scripts that
  publish and remove the TXT in the same nameserver, a fresh process per sample (that is how
  certbot is used), its account registered by the warm-up run.

Prints both medians and the ratio. Targets (issue 13): at most 1 s per certificate, and at
most half of certbot's time (process against process); exit status 1 when missed.

    .venv/bin/python benchmarks/acme.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path, and this file would shadow
# the ``acme`` library (and benchmarks/inspect.py the standard ``inspect``): drop it.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

HOOK = """#!{python}
import os, sys
sys.path.insert(0, {root!r})
from jupyter_mlssl.targets.local import nameserver
name = "_acme-challenge." + os.environ["CERTBOT_DOMAIN"]
value = os.environ["CERTBOT_VALIDATION"]
if sys.argv[1] == "auth":
    nameserver.edit_records(name, "TXT", add=[value])
else:
    nameserver.edit_records(name, "TXT", remove=[value])
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="mlssl-acme-bench-"))
    os.environ["MLSSL_HOME"] = str(work / "home")
    root = str(Path(__file__).resolve().parent.parent)
    sys.path.insert(0, root)
    from jupyter_mlssl.acme import pebble as pebble_ca
    from jupyter_mlssl.acme.issue import Eab, issue
    from jupyter_mlssl.acme.publishers import LocalPublisher
    from jupyter_mlssl.secrets import Secret
    from jupyter_mlssl.targets.local import nameserver

    reason = pebble_ca.available()
    certbot = shutil.which("certbot") or str(Path(sys.executable).parent / "certbot")
    if reason or not os.path.exists(certbot):
        print(f"skipped: {reason or 'certbot is not installed (pip install .[bench])'}")
        return 0
    publisher = LocalPublisher()
    ca = pebble_ca.Pebble(dnsserver=f"127.0.0.1:{publisher.nameservers[0][1]}",
                          workdir=work / "pebble").start()
    hook = work / "hook.py"
    hook.write_text(HOOK.format(python=sys.executable, root=root))
    hook.chmod(0o700)
    env = dict(os.environ, REQUESTS_CA_BUNDLE=ca.ca_bundle)
    eab = Eab(ca.eab_kid, Secret(ca.eab_hmac))

    def ours(i: int) -> float:
        started = time.perf_counter()
        issue([f"m{i}.local.mlssl.test"], publisher, directory=ca.directory,
              ca_bundle=ca.ca_bundle, eab=eab)
        return time.perf_counter() - started

    def cli(i: int) -> float:
        out = work / f"cli{i}"
        out.mkdir()
        command = [
            sys.executable, "-m", "jupyter_mlssl", "cert", "acme",
            "--cname", f"p{i}.local.mlssl.test", "--dns", "local://bench",
            "--directory", ca.directory, "--acme-ca-bundle", ca.ca_bundle,
            "--eab-kid", ca.eab_kid, "--eab-hmac-env", "BENCH_EAB_HMAC",
            "--out-cert", str(out / "cert.pem"), "--out-key", str(out / "key.pem"),
        ]
        started = time.perf_counter()
        subprocess.run(command, env=dict(os.environ, BENCH_EAB_HMAC=ca.eab_hmac,
                                         PYTHONPATH=root), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        return time.perf_counter() - started

    def theirs(i: int) -> float:
        command = [
            certbot, "certonly", "--manual", "--preferred-challenges", "dns",
            "--manual-auth-hook", f"{hook} auth", "--manual-cleanup-hook", f"{hook} cleanup",
            "--server", ca.directory, "--eab-kid", ca.eab_kid, "--eab-hmac-key", ca.eab_hmac,
            "--non-interactive", "--agree-tos", "--register-unsafely-without-email",
            "--config-dir", str(work / "certbot"), "--work-dir", str(work / "certbot-work"),
            "--logs-dir", str(work / "certbot-logs"), "--cert-name", f"c{i}",
            "-d", f"c{i}.local.mlssl.test",
        ]
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=120)
        return time.perf_counter() - started

    try:
        ours(-1)
        cli(-1)
        theirs(-1)  # warm-ups: accounts registered, caches filled
        mine, clis, certbots = [], [], []
        for i in range(args.runs):
            mine.append(ours(i))
            clis.append(cli(i))
            certbots.append(theirs(i))
    finally:
        ca.stop()
        nameserver.stop()
        shutil.rmtree(work, ignore_errors=True)
    ours_median, theirs_median = statistics.median(mine), statistics.median(certbots)
    cli_median = statistics.median(clis)
    ratio = cli_median / theirs_median
    print(f"mlssl   issuance median {ours_median:.3f} s over {args.runs} "
          f"(min {min(mine):.3f}, max {max(mine):.3f})")
    print(f"mlssl cert acme (process) median {cli_median:.3f} s over {args.runs} "
          f"(min {min(clis):.3f}, max {max(clis):.3f})")
    print(f"certbot issuance median {theirs_median:.3f} s over {args.runs} "
          f"(min {min(certbots):.3f}, max {max(certbots):.3f})")
    print(f"ratio mlssl cert acme / certbot (both processes): {ratio:.2f} (target <= 0.5); "
          f"in-process {ours_median / theirs_median:.2f}; target <= 1 s per certificate")
    return 0 if cli_median <= 1.0 and ratio <= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())

"""A certificate walkthrough on certificates minted on the spot: ``python -m jupyter_mlssl.demo``.

What a data scientist meets before "enable SSL" works: a self-signed certificate for a quick
test, a CSR for the real one, the CA's chain pasted in the wrong order, and a PFX from
Windows where Azure wants PEM. Each step runs the real ``mlssl`` command line in a
temporary directory (deleted at the end) and prints what it prints. The demo CA stands in
for a public one, so the commands pass it as ``--ca-bundle``.

Exit status 0 when every step gives the status it should; 1 otherwise.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

PASSWORD_VAR = "MLSSL_DEMO_PFX_PASSWORD"


def _step(title: str, argv: list[str], expect: int) -> bool:
    from jupyter_mlssl.cli import main

    print(f"\n=== {title}\n$ mlssl {' '.join(argv)}", flush=True)
    with contextlib.redirect_stderr(sys.stdout):  # keep the one-line summaries in order
        status = main(argv)
    print(f"(exit status {status}{'' if status == expect else f', expected {expect}'})")
    return status == expect


def _mint_ca_and_pfx(work: Path) -> None:
    """Play the CA: sign api.key's public key, then export a PFX as Windows would."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    from jupyter_mlssl.pki import minting

    root, root_key = minting.make_ca("Contoso Demo Root CA")
    inter, inter_key = minting.make_intermediate(root, root_key, "Contoso Demo Issuing CA")
    api_key = serialization.load_pem_private_key((work / "api.key").read_bytes(), None)
    leaf, _ = minting.issue_leaf(inter, inter_key, ["api.contoso.test", "www.contoso.test"],
                                 key=api_key)  # type: ignore[arg-type]
    minting.write_public(work / "demo-root.pem", minting.cert_pem(root))
    # What CAs' download pages often produce: the issuing CA first, the leaf after it.
    minting.write_public(work / "chain-wrong-order.pem", minting.cert_pem([inter, leaf]))
    os.environ[PASSWORD_VAR] = "demo-password"
    pfx = pkcs12.serialize_key_and_certificates(
        b"api.contoso.test", api_key, leaf, [inter],  # type: ignore[arg-type]
        serialization.BestAvailableEncryption(b"demo-password"))
    minting.write_private(work / "api.pfx", pfx)


def main() -> int:
    here = os.getcwd()
    ok = True
    with tempfile.TemporaryDirectory(prefix="mlssl-demo-") as tmp:
        work = Path(tmp)
        os.chdir(work)
        try:
            print(f"Working in {work} (deleted at the end). All keys are minted here.")
            ok &= _step("1. A self-signed certificate for a quick test (development only)",
                        ["cert", "selfsigned", "--cname", "dev.contoso.test",
                         "--out-cert", "dev.pem", "--out-key", "dev.key", "--days", "30"], 0)
            ok &= _step("2. Inspect it: no client trusts a self-signed certificate",
                        ["cert", "inspect", "dev.pem", "--key", "dev.key",
                         "--cname", "dev.contoso.test"], 1)
            ok &= _step("3. For a real certificate: a key and a CSR to send to the CA",
                        ["cert", "csr", "--cname", "api.contoso.test", "--san",
                         "www.contoso.test", "--out-csr", "api.csr", "--out-key", "api.key"], 0)
            _mint_ca_and_pfx(work)
            print("\n(The demo CA signed api.csr and returned its chain, issuing CA first.)")
            ok &= _step("4. Inspect the chain as the CA returned it: out of order",
                        ["cert", "inspect", "chain-wrong-order.pem", "--key", "api.key",
                         "--cname", "api.contoso.test", "--ca-bundle", "demo-root.pem"], 1)
            ok &= _step("5. Convert it: leaf first, full chain",
                        ["cert", "convert", "chain-wrong-order.pem", "--key", "api.key",
                         "--out-cert", "fullchain.pem"], 0)
            ok &= _step("6. A PFX exported from Windows, password in an environment variable",
                        ["cert", "inspect", "api.pfx", "--password-env", PASSWORD_VAR,
                         "--cname", "api.contoso.test", "--ca-bundle", "demo-root.pem"], 0)
            ok &= _step("7. Convert the PFX to what Azure wants: PEM chain + PEM key (0600)",
                        ["cert", "convert", "api.pfx", "--password-env", PASSWORD_VAR,
                         "--out-cert", "pfx-fullchain.pem", "--out-key", "pfx-key.pem"], 0)
            ok &= _step("8. The result, ready for 'mlssl enable TARGET --cert ... --key ...'",
                        ["cert", "inspect", "pfx-fullchain.pem", "--key", "pfx-key.pem",
                         "--cname", "api.contoso.test", "--ca-bundle", "demo-root.pem"], 0)
        finally:
            os.chdir(here)
            os.environ.pop(PASSWORD_VAR, None)
    print("\nDemo " + ("finished: every step behaved as expected." if ok
                       else "FAILED: a step did not give the expected exit status."))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The scoring service's TLS context: built from a certificate and key, and proven with a real
handshake against itself before any client sees it (a bad pair never replaces a good one)."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

from jupyter_mlssl.errors import CertificatePairError


def build_context(cert_file: Path, key_file: Path) -> tuple[ssl.SSLContext, bytes]:
    """A fresh server context for the chain and key, proven by a handshake with itself.

    Returns the context and the DER of the leaf it serves. Raises ``CertificatePairError``
    (a ``ValueError``) with a readable reason when the files do not make a working server
    (key mismatch, bad order).
    """
    # A bare server context: create_default_context(CLIENT_AUTH) would also load the system
    # CA store (for client certificates, which this service does not ask for).
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(cert_file), str(key_file))
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        raise CertificatePairError(f"the certificate and key do not load: {reason}") from None
    leaf = _self_test(context)
    return context, leaf


def _self_test(server_context: ssl.SSLContext) -> bytes:
    """Run a complete TLS handshake between the new context and a client, over a pair of
    connected loopback sockets, before any real client sees the context."""
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.check_hostname = False
    client_context.verify_mode = ssl.CERT_NONE  # trust is the verifier's job; this proves the key
    left, right = socket.socketpair()
    left.settimeout(5)
    right.settimeout(5)
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            with server_context.wrap_socket(left, server_side=True):
                pass
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with client_context.wrap_socket(right, server_hostname="self-test.invalid") as tls:
            leaf = tls.getpeercert(binary_form=True)
    except (ssl.SSLError, OSError) as exc:
        raise CertificatePairError(f"the new certificate failed a test handshake: {exc}") from None
    finally:
        thread.join(5)
        left.close()
        right.close()
    if errors or not leaf:
        raise CertificatePairError(
            f"the new certificate failed a test handshake: {errors[:1]}")
    return leaf



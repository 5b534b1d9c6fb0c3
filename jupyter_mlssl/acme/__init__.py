"""Free, automatic certificates by ACME DNS-01 (RFC 8555), issued and renewed from here.

- ``directories.py``: ``letsencrypt`` / ``letsencrypt-staging`` / a URL.
- ``accounts.py``: the account key per directory URL and email (a secret, 0600), reused.
- ``network.py``: the ``acme`` library's client with ``badNonce`` retried and the CA's faults
  turned into one line each.
- ``publishers.py``: where the ``_acme-challenge`` TXT goes (the local nameserver, Azure DNS,
  or the user by hand) and how we see that it is served.
- ``caa.py``: CAA records checked before ordering (dnspython).
- ``issue.py``: one order, polled as the CA allows.
- ``renewal.py``: when a certificate is due (ARI, RFC 9773, or a third of its life left),
  and ``renew_target``.

The certificate protocol is certbot's ``acme`` package with josepy: only the polling is ours
(the library sleeps a fixed second twice per order).
"""

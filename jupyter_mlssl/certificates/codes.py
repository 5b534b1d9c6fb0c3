"""The certificate finding codes (docs/contracts.md) and what each one means here.

=======================  ========  ===================================================
code                     severity  meaning
=======================  ========  ===================================================
unreadable               error     the file cannot be read as what it was given as: it
                                   is missing, a directory, over 10 MB, over 300
                                   certificates, truncated or corrupt PEM, a PKCS#7 or
                                   PKCS#12 file in a form that cannot be read, or a --key
                                   file that holds no key (for example a certificate
                                   given as the key)
malformed_certificate    error     a certificate in the file is damaged past its outer
                                   framing: an extension that does not parse or is
                                   repeated, a name that is not valid UTF-8, an unknown
                                   version, or a public key of an unknown type or curve.
                                   Clients refuse it; nothing else is checked
no_certificate           error     readable, but no certificate in it: empty, random
                                   bytes, a private key or a CSR given as the certificate
key_password_required    error     the key (or PKCS#12 file) is encrypted, no password
key_password_wrong       error     the password does not decrypt it (or holds a NUL
                                   byte, which no password can)
no_key                   info      no private key was given, so the pair is not checked
                         warning   a PKCS#12 file without a private key in it
key_mismatch             error     the key does not belong to the leaf certificate
expired / not_yet_valid  error     any certificate of the path the verifier built, trust
                                   anchor included, at ``now``
expiring_soon            warning   the leaf has less than a third of its lifetime, and
                                   less than 30 days, left (min of the two, so a yearly
                                   certificate is not flagged four months out)
hostname_mismatch        error     --cname is not covered by the leaf's SANs
no_san                   error     the leaf has no subjectAltName (clients ignore the CN)
                         warning   the subject CN is not among the SANs (CABF 7.1.4.3)
chain_order              error     the file's certificates are not leaf first, each
                                   followed by its issuer (servers then present the
                                   wrong certificate); also certificates that are not
                                   part of the leaf's chain
chain_incomplete         error     an issuer is neither in the file nor in the trust store
untrusted_root           error     the chain ends in a self-signed root the store lacks
                                   (or the store holds another certificate of the name
                                   the chain's top names as issuer)
chain_invalid            error     a path to the store exists by name, but clients refuse
                                   it for a profile rule: path length, a CA without cA or
                                   keyCertSign, name constraints, a forbidden key or
                                   extension, a missing AKI... The message gives the
                                   verifier's reason in plain words, the certificate it
                                   concerns, and the fix
self_signed              error     the leaf is self-signed (warning when the trust store
                                   given with --ca-bundle holds it, i.e. pinned on purpose)
ca_certificate_as_leaf   error     the leaf is a CA certificate (or the file holds only CAs)
weak_key                 error     RSA under 2048 bits, EC under 256 bits, or DSA
weak_signature           error     SHA-1 or MD5 signature on the leaf or an intermediate
validity_too_long        warning   longer than the CA/B Forum allows for its issue date
                                   (398 days; SC-081: 200 / 100 / 47 days from 2026-03-15
                                   / 2027-03-15 / 2029-03-15)
converted                info      the input is not the PEM full chain Azure wants (DER,
                                   PKCS#12, PKCS#7, out of order, or an encrypted key):
                                   ``mlssl cert convert`` writes that form
=======================  ========  ===================================================
"""

from __future__ import annotations

UNREADABLE = "unreadable"
NO_CERTIFICATE = "no_certificate"
KEY_PASSWORD_REQUIRED = "key_password_required"
KEY_PASSWORD_WRONG = "key_password_wrong"
NO_KEY = "no_key"
KEY_MISMATCH = "key_mismatch"
EXPIRED = "expired"
NOT_YET_VALID = "not_yet_valid"
EXPIRING_SOON = "expiring_soon"
HOSTNAME_MISMATCH = "hostname_mismatch"
NO_SAN = "no_san"
CHAIN_ORDER = "chain_order"
CHAIN_INCOMPLETE = "chain_incomplete"
UNTRUSTED_ROOT = "untrusted_root"
CHAIN_INVALID = "chain_invalid"
SELF_SIGNED = "self_signed"
CA_CERTIFICATE_AS_LEAF = "ca_certificate_as_leaf"
WEAK_KEY = "weak_key"
WEAK_SIGNATURE = "weak_signature"
VALIDITY_TOO_LONG = "validity_too_long"
CONVERTED = "converted"
MALFORMED_CERTIFICATE = "malformed_certificate"

#: Codes that mean the input itself is unusable: the CLI exits 2 for them, not 1.
INPUT_CODES = frozenset({
    UNREADABLE, NO_CERTIFICATE, KEY_PASSWORD_REQUIRED, KEY_PASSWORD_WRONG,
    MALFORMED_CERTIFICATE,
})

ALL_CODES = (
    UNREADABLE, NO_CERTIFICATE, KEY_PASSWORD_REQUIRED, KEY_PASSWORD_WRONG, NO_KEY,
    KEY_MISMATCH, EXPIRED, NOT_YET_VALID, EXPIRING_SOON, HOSTNAME_MISMATCH, NO_SAN, CHAIN_INVALID,
    CHAIN_ORDER, CHAIN_INCOMPLETE, UNTRUSTED_ROOT, SELF_SIGNED, CA_CERTIFICATE_AS_LEAF,
    WEAK_KEY, WEAK_SIGNATURE, VALIDITY_TOO_LONG, CONVERTED, MALFORMED_CERTIFICATE,
)

#: Codes that, as errors, mean a client refuses the path or the web PKI forbids it
#: (x509-limbo's "reject"; docs/limbo.md). no_san counts as an error only (no SAN at all:
#: the verifier refuses it too; the warning is the CN lint), as do weak_signature (SHA-1 /
#: MD5, which the verifier forbids) and weak_key (BR 6.1.5: RSA under 2048 bits or not a
#: multiple of 8, EC under P-256, DSA). The rest is the product's stricter advice:
#: validity_too_long, chain_order, expiring_soon, no_key, converted.
PATH_REJECTED = frozenset({
    UNREADABLE, NO_CERTIFICATE, MALFORMED_CERTIFICATE, EXPIRED, NOT_YET_VALID,
    HOSTNAME_MISMATCH, NO_SAN, CHAIN_INCOMPLETE, UNTRUSTED_ROOT, CHAIN_INVALID, SELF_SIGNED,
    CA_CERTIFICATE_AS_LEAF, WEAK_SIGNATURE, WEAK_KEY,
})

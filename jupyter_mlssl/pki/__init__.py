"""The certificate core: facts of one certificate, PEM blocks, CA bundles, trust stores and
minting. Bottom layer: ``certificates`` and ``probing`` build on it, never on each other.

Nothing heavy is imported here, so ``import jupyter_mlssl.pki.names`` stays cheap.
"""

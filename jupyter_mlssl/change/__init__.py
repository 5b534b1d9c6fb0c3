"""The change workflow: desired settings in, a planned, applied, verified (or rolled back)
change out, written to the history.

``settings``: desired TLS settings from options; ``settings_yaml``: the same from a YAML
document; ``workflow``: plan, apply, verify, rollback (``change``).
"""

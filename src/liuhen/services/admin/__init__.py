"""Running an installation: set-up, users and their second factor, sessions, agencies and
officers, holiday schedules, ledger checkpoints and proofs.
"""

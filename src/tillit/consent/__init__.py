"""The consent ledger: append-only events (grant, withdraw, opt-out, opt-in, object) per purpose and
channel, a current-state projection answering "may purpose P use channel C for subject S now?", and
consent receipts (ISO/IEC TS 27560, Kantara Consent Receipt v1.1)."""

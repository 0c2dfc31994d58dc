"""The policy lint rules, one module per concern; `tillit.policy.lint` assembles them into `RULES`.

Every rule is a pure function of the validated policy and its parsed document (no I/O, no clock), so the
same file always gives the same findings and each rule can be tested on a small broken policy.
"""

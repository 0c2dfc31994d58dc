"""Per-kind precision, recall and F2 with the 90 % overlap rule.

A found span matches a true span of the same kind when their overlap covers at least 90 % of the true
span *and* at least 90 % of the found span (so one huge span cannot match everything). Each truth is
matched at most once. F2 weighs recall twice as much as precision: a missed national ID costs more than
an over-masked order number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

OVERLAP = 0.9


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f2(self) -> float:
        p, r = self.precision, self.recall
        return 5 * p * r / (4 * p + r) if p + r else 0.0


def overlaps(a: tuple[int, int], b: tuple[int, int], threshold: float = OVERLAP) -> bool:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return False
    return inter >= threshold * (a[1] - a[0]) and inter >= threshold * (b[1] - b[0])


Span = tuple[str, int, int]


def score(pairs: Iterable[tuple[list[Span], list[Span]]]) -> dict[str, Score]:
    """`pairs` of (truth, predicted) span lists per message -> Score per kind."""
    scores: dict[str, Score] = {}
    for truth, predicted in pairs:
        used: set[int] = set()
        for kind, s, e in predicted:
            sc = scores.setdefault(kind, Score())
            hit = next(
                (
                    k
                    for k, (tk, ts, te) in enumerate(truth)
                    if k not in used and tk == kind and overlaps((ts, te), (s, e))
                ),
                None,
            )
            if hit is None:
                sc.fp += 1
            else:
                used.add(hit)
                sc.tp += 1
        for k, (tk, _, _) in enumerate(truth):
            if k not in used:
                scores.setdefault(tk, Score()).fn += 1
    return dict(sorted(scores.items()))


def table(scores: dict[str, Score]) -> str:
    """A Markdown table of the scores."""
    lines = ["| kind | precision | recall | F2 | TP | FP | FN |", "|---|---:|---:|---:|---:|---:|---:|"]
    for kind, s in scores.items():
        lines.append(
            f"| {kind} | {s.precision:.3f} | {s.recall:.3f} | {s.f2:.3f} | {s.tp} | {s.fp} | {s.fn} |"
        )
    return "\n".join(lines)

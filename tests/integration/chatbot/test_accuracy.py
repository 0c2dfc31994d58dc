"""Held-out accuracy: train on each pack's knowledge base, classify its evaluation file (never trained
on, never used to tune anything) and require top-1 accuracy of at least 90 %."""

from __future__ import annotations

from pathlib import Path

import pytest

from tillit.chatbot import kb, service

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "chatbot"
PACKS = ["bank", "parcel", "saas", "telecom"]


@pytest.mark.slow
@pytest.mark.parametrize("pack", PACKS)
def test_top1_accuracy_on_the_held_out_evaluation_set(pack: str) -> None:
    eval_file = FIXTURES / f"{pack}_eval.jsonl"
    kb_files = sorted(kb.kb_dir(pack).glob("*.yaml"))
    if not kb_files or not eval_file.exists():
        pytest.skip(f"{pack}: knowledge base ({kb.kb_dir(pack)}) or {eval_file.name} has not landed yet")
    items = service.read_eval_file(eval_file)
    bot = service.get_bot(pack)
    training = {p for base in bot.kbs.values() for t in base.topics for p in t.phrases}
    training |= {p for base in bot.kbs.values() for p in base.out_of_scope.phrases}
    leaked = [i.text for i in items if i.text in training]
    assert not leaked, f"evaluation questions found verbatim in the training phrases: {leaked[:5]}"
    report = service.evaluate(pack, items)
    assert report.total >= 20 * len({i.topic for i in items}) * 0.9
    assert report.top1_accuracy >= 0.90, report.to_dict()
    assert bot.train_seconds < 30

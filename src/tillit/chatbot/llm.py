"""Generative answers through an OpenAI-compatible `/v1/chat/completions` endpoint, behind a port.

The port (`LlmClient`) is what the service depends on, so a deployment can swap the HTTP adapter and
tests can run the real adapter against a local HTTP server. The prompt is built here, and it is where two
promises are kept: the model is grounded only in the knowledge-base answers we give it, and no personal
data from the customer's message reaches it (masked with `tillit.pii` before the prompt is built).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import httpx

from tillit.pii import MaskStyle, find, mask

LANGUAGE_NAMES = {"nb": "Norwegian (bokmål)", "sv": "Swedish", "da": "Danish", "en": "English"}


class LlmError(Exception):
    """The language model could not give an answer (timeout, HTTP error, malformed response)."""


class LlmClient(Protocol):
    def complete(self, messages: Sequence[dict[str, str]]) -> str:
        """The assistant's reply to a chat-completions conversation; raises LlmError on any failure."""
        ...


class HttpLlmClient:
    """An OpenAI-compatible endpoint (`{base_url}/v1/chat/completions`) called with httpx."""

    def __init__(
        self, base_url: str, model: str, *, timeout_s: float = 5.0, api_key: str | None = None
    ) -> None:
        self.url = base_url.rstrip("/") + ("" if base_url.rstrip("/").endswith("/v1") else "/v1")
        self.url += "/chat/completions"
        self.model = model
        self.timeout_s = timeout_s
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def complete(self, messages: Sequence[dict[str, str]]) -> str:
        body: dict[str, Any] = {"model": self.model, "messages": list(messages), "temperature": 0.2}
        try:
            response = httpx.post(self.url, json=body, headers=self._headers, timeout=self.timeout_s)
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise LlmError(f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(content, str) or not content.strip():
            raise LlmError("the model returned no text")
        return content.strip()


def masked(text: str, language: str | None) -> str:
    """The customer's text with every finding of `tillit.pii` replaced by its tag, e.g. `[EMAIL]`."""
    return mask(text, find(text, [language] if language else None), MaskStyle.TAG)


def build_messages(question: str, grounding: Sequence[str], language: str) -> list[dict[str, str]]:
    """System and user messages: the knowledge-base answers are the only facts the model may use, and
    the question is masked so that names, e-mails, phone numbers and IDs stay with us."""
    sources = "\n".join(f"[{i}] {answer}" for i, answer in enumerate(grounding, start=1))
    system = (
        "You are a customer service assistant. Answer the customer's question using ONLY the facts in "
        "the knowledge-base answers below. If they do not answer the question, say that you cannot "
        "answer it and offer to connect the customer with a human advisor. Do not invent facts, prices, "
        f"dates or links. Reply briefly in {LANGUAGE_NAMES.get(language, language)}. Placeholders such as "
        "[EMAIL] stand for data that was removed; never ask the customer to repeat it.\n\n"
        f"Knowledge-base answers:\n{sources}"
    )
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": masked(question, language)},
    ]


def client_from_settings(llm_url: str | None, llm_model: str | None, timeout_s: float) -> LlmClient | None:
    """An HTTP client when `TILLIT_LLM_URL` is set, else None (generative answers off)."""
    if not llm_url:
        return None
    return HttpLlmClient(llm_url, llm_model or "default", timeout_s=timeout_s)

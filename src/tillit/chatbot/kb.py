"""Loading a pack's knowledge base: `src/tillit/packs/<pack>/kb/<lang>.yaml`, one file per language.

The content is a contract with its writers (see `schemas.KnowledgeBase`); a malformed file raises a
ConfigurationError naming the file, so a broken knowledge base stops start-up instead of a chat turn.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from tillit.chatbot.schemas import KnowledgeBase
from tillit.core.errors import ConfigurationError

PACKS_DIR = Path(__file__).resolve().parent.parent / "packs"


def kb_dir(pack: str) -> Path:
    """Where a pack's knowledge base lives."""
    return PACKS_DIR / pack / "kb"


def load_dir(directory: Path, languages: list[str] | None = None) -> dict[str, KnowledgeBase]:
    """Every `<lang>.yaml` in `directory` (only `languages` when given), keyed by language."""
    if not directory.is_dir():
        raise ConfigurationError(f"no knowledge base at {directory}", details={"path": str(directory)})
    result: dict[str, KnowledgeBase] = {}
    for path in sorted(directory.glob("*.yaml")):
        if languages is not None and path.stem not in languages:
            continue
        kb = load_file(path)
        if kb.language != path.stem:
            raise ConfigurationError(f"{path}: language '{kb.language}' does not match the file name")
        result[kb.language] = kb
    if not result:
        raise ConfigurationError(f"no knowledge-base files (<lang>.yaml) in {directory}")
    return result


def load_file(path: Path) -> KnowledgeBase:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path}: not valid YAML ({exc})") from None
    try:
        return KnowledgeBase.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise ConfigurationError(f"{path}: invalid knowledge base ({problems})") from None

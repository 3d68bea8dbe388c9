"""Parsing what a visitor typed into terms, quoted phrases, exclusions and OR groups, so each
engine can express the same query in its own syntax (FTS5 MATCH, Elasticsearch bool queries).
PostgreSQL reads the raw text with ``websearch_to_tsquery``, which follows the same rules.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass
class ParsedText:
    """``groups`` are AND'd; the clauses inside a group are OR'd. A clause is a tuple of
    words: one word is a term, several a phrase."""

    groups: list[list[tuple[str, ...]]] = field(default_factory=list)
    excluded: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def words(self) -> list[str]:
        return [w for group in self.groups for clause in group for w in clause]


def words_of(text: str) -> list[str]:
    """Lower-case words with accents folded (what every engine compares on)."""
    if text.isascii():  # nothing to fold: skip the per-character pass (indexing hot path)
        return _WORD.findall(text.lower())
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return [w.lower() for w in _WORD.findall(folded)]


def parse_text(text: str) -> ParsedText:
    """Split ``text`` websearch-style: ``"exact phrase"``, ``-excluded``, ``a or b``."""
    parsed = ParsedText()
    pending_or = False
    for match in _TOKEN.finditer(text or ""):
        negate, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None:
            if bare.lower() == "or" and parsed.groups:
                pending_or = True
                continue
            negate = "-" if bare.startswith("-") and len(bare) > 1 else ""
            clause = tuple(words_of(bare.lstrip("-") if negate else bare))
        else:
            clause = tuple(words_of(phrase))
        if not clause:
            continue
        if negate:
            parsed.excluded.append(clause)
        elif pending_or:
            parsed.groups[-1].append(clause)
        else:
            parsed.groups.append([clause])
        pending_or = False
    return parsed


def fts5_expression(parsed: ParsedText) -> str:
    """The FTS5 MATCH expression for ``parsed`` (each clause quoted, so no syntax leaks)."""

    def quote(clause: tuple[str, ...]) -> str:
        return '"' + " ".join(clause) + '"'

    groups = []
    for group in parsed.groups:
        inner = " OR ".join(quote(c) for c in group)
        groups.append(f"({inner})" if len(group) > 1 else inner)
    expression = " AND ".join(groups)
    for clause in parsed.excluded:
        expression = f"({expression}) NOT {quote(clause)}"
    return expression

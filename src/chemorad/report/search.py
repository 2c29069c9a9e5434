"""Search over names: genes, therapies, mechanisms and cell lines, closest first.

Score of an entry for a query q (case-insensitive, over the entry's key, label and aliases, best of them): 1 for an
exact match, 0.9 for a prefix, 0.8 for a substring, else `difflib.SequenceMatcher` ratio (0-1) scaled by 0.75, so any
textual containment ranks above a fuzzy match. Entries scoring below `min_score` are dropped.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

__all__ = ["Entry", "score", "search"]


@dataclass(frozen=True)
class Entry:
    """A searchable thing: its kind ('gene', 'drug', 'mechanism', 'cell line'), key (id), label and aliases."""

    kind: str
    key: str
    label: str
    aliases: tuple[str, ...] = field(default_factory=tuple)
    note: str = ""


class _Scorer:
    """Scores texts against one query; the query's difflib index is built once."""

    def __init__(self, query: str) -> None:
        self.q = query.strip().lower()
        self.m = difflib.SequenceMatcher(None)
        self.m.set_seq2(self.q)  # difflib caches the index of seq2

    def __call__(self, texts, floor: float = 0.0) -> float:
        q, best = self.q, 0.0
        for text in texts:
            t = str(text).lower()
            if not t:
                continue
            if t == q:
                return 1.0
            if t.startswith(q):
                s = 0.9
            elif q in t:
                s = 0.8
            else:
                bar = max(best, floor) / 0.75
                if 2.0 * min(len(q), len(t)) / (len(q) + len(t)) < bar:  # ratio's bound from the lengths alone
                    continue
                self.m.set_seq1(t)
                if self.m.quick_ratio() < bar:
                    continue
                s = 0.75 * self.m.ratio()
            best = max(best, s)
        return best


def score(query: str, texts, floor: float = 0.0) -> float:
    """The best score of `query` against any of `texts` (rules in the module docstring).

    Fuzzy scores that cannot reach `floor` are not computed exactly (ruled out by the bound 2 min(len) / (sum of
    lengths) and difflib's `quick_ratio`); they count as 0.
    """
    return _Scorer(query)(texts, floor)


def search(query: str, entries: list[Entry], limit: int = 50, min_score: float = 0.45) -> list[tuple[Entry, float]]:
    """Entries matching `query`, best first (ties: kind order of `entries`, then label); empty for a blank query."""
    if not query.strip():
        return []
    scorer = _Scorer(query)
    scored = [(e, scorer((e.key, e.label, *e.aliases), min_score)) for e in entries]
    hits = [(e, s) for e, s in scored if s >= min_score]
    hits.sort(key=lambda es: (-es[1], len(es[0].label)))
    return hits[:limit]

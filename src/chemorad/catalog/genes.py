"""Every gene the catalog or the perturbation table names, and the role it has there (`chemorad gene`).

A gene can be (1) a marker of a mechanism (scored from the data), (2) a therapy's transporter, enzyme or target,
(3) perturbed in a published experiment of the perturbation table, or (4) named in a mechanism's text only. A gene that
is perturbed or named but marks no mechanism gets the sentence of the catalog that says why ("named, not a marker,
because ..."), or, when the catalog has none, the mechanism's markers it is read through. Pure Python over the loaded
catalog (no NumPy or pandas: `chemorad gene` stays a fast look-up).
"""

from __future__ import annotations

import re

from chemorad.catalog.load import Catalog

SYMBOL = re.compile(r"^[A-Z][A-Z0-9\-]{1,}$")
_PAREN = re.compile(r"\([^)]*\)")
_SENTENCE = re.compile(r"(?<=[.;])\s+")


def perturbed_symbols(field: str | None) -> list[str]:
    """Gene symbols in a perturbation entry's free-text `gene` ("RELA (NF-kB)" -> RELA, "MLH1 / MSH2" -> both)."""
    if not field:
        return []
    parts = re.split(r"[/;,]", _PAREN.sub(" ", field))
    return [p.strip() for p in parts if SYMBOL.match(p.strip())]


def _texts(cat: Catalog, mid: str) -> list[str]:
    m = cat.mechanisms[mid]
    texts = [m.name, m.summary]
    texts += [mk.note or "" for mk in m.markers]
    texts += [t for e in m.effects for t in (e.basis, e.loss_basis or "")]
    texts += [ev.effect for ev in m.evidence] + [c.note or "" for c in m.claims]
    return [t for t in texts if t]


def _mentions(text: str, symbol: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(symbol)}(?![A-Za-z0-9])", text) is not None


def _reason(cat: Catalog, mid: str, symbol: str, perturbed: bool = True) -> str:
    """The catalog's sentence saying why `symbol` is not a marker of `mid`, else how the mechanism is read instead."""
    sentences = [s for t in _texts(cat, mid) for s in _SENTENCE.split(t) if _mentions(s, symbol)]
    said = [s for s in sentences if "not a marker" in s or "not scored" in s]
    if said:
        return said[0].strip()
    markers = ", ".join(dict.fromkeys(mk.gene for mk in cat.mechanisms[mid].markers))
    how = "was changed in an experiment as a member of the pathway" if perturbed else "is only mentioned in its text"
    return f"{mid} is scored from its markers ({markers}); {symbol} {how} and is read through them"


def named_genes(cat: Catalog) -> list[str]:
    """Every gene symbol named anywhere: markers, therapy genes, perturbed genes (sorted)."""
    genes = set(cat.genes())
    genes |= {g for p in cat.perturbations.values() for g in perturbed_symbols(p.gene)}
    return sorted(genes)


def gene_symbol(cat: Catalog, symbol: str) -> str:
    """The catalog's spelling of `symbol` among `named_genes` (case-insensitive), or a one-line user error."""
    from chemorad.errors import unknown

    by_upper = {g.upper(): g for g in named_genes(cat)}
    if symbol.upper() not in by_upper:
        raise unknown("gene", symbol, by_upper.values())
    return by_upper[symbol.upper()]


def gene_roles(cat: Catalog, symbol: str) -> list[dict]:
    """Rows {gene, role, mechanism, alteration, sign, therapies, detail} for every place `symbol` is named: markers,
    therapy properties, perturbation entries (with their mechanism and whether the gene marks it) and mechanism texts
    that name it without it being a marker."""
    rows: list[dict] = []
    marked = set()
    for m in cat.mechanisms_for_gene(symbol):
        marked.add(m.id)
        for mk in (mk for mk in m.markers if mk.gene == symbol):
            rows.append(
                _row(
                    symbol,
                    "marker" if mk.tissue == "tumour" else "host-tissue marker",
                    m.id,
                    cat.therapies_for_marker(m, symbol),
                    alteration=mk.alteration.value,
                    sign=mk.sign,
                )
            )
    for t in cat.therapies_for_gene(symbol):
        roles = [
            name
            for name, genes in (
                ("pump substrate", t.transporter_substrates),
                ("uptake transporter", t.uptake_transporters),
                ("inactivating enzyme", t.inactivating_enzymes),
                ("activating enzyme", t.activating_enzymes),
                ("target", t.targets),
            )
            if symbol in genes
        ]
        rows.append(_row(symbol, "; ".join(roles), None, [t.id]))
    by_mech: dict[str | None, list] = {}
    for p in cat.perturbations.values():
        if symbol in perturbed_symbols(p.gene):
            by_mech.setdefault(p.mechanism, []).append(p)
    for mid, entries in by_mech.items():
        ids = ", ".join(p.id for p in entries)
        tested = ", ".join(dict.fromkeys(p.therapy or p.therapy_as_published for p in entries))
        where = f"perturbation entries: {ids} (tested on {tested})"
        # `therapies` stays the model's links (what the gene touches); the experiments' therapies are in `detail`
        if mid is None or mid in marked:
            rows.append(_row(symbol, "perturbed", mid, [], detail=where))
        else:
            detail = f"{where}; named, not a marker, because: {_reason(cat, mid, symbol)}"
            rows.append(_row(symbol, "perturbed; named, not a marker", mid, [], detail=detail))
    for mid in cat.mechanisms:
        if mid in marked or mid in by_mech:
            continue
        if any(_mentions(t, symbol) for t in _texts(cat, mid)):
            detail = f"named in the mechanism's text, not a marker: {_reason(cat, mid, symbol, perturbed=False)}"
            rows.append(_row(symbol, "named, not a marker", mid, [], detail=detail))
    return rows


def _row(symbol, role, mechanism, therapies, alteration=None, sign=None, detail=None) -> dict:
    return {
        "gene": symbol,
        "role": role,
        "mechanism": mechanism,
        "alteration": alteration,
        "sign": sign,
        "therapies": therapies,
        "detail": detail,
    }

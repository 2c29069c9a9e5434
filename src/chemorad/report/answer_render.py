"""The answer document (`answer_doc.compute_answer`) as Markdown and as HTML (the Markdown rendered into the
`answer.html` Jinja2 template). Every number is a link to its source: a cell-line test (an anchor in the appendix,
whose own numbers link to the data set's publication), a perturbation entry (its paper), the posterior or the chain
(the methods section, which links the code's documentation), or the section a count counts.
"""

from __future__ import annotations

import math
import re

from chemorad.catalog.registry import RESPONSE_DATASETS, Modality, datasets_for
from chemorad.report.html import environment

__all__ = ["answer_html", "answer_markdown", "NUMBER"]

#: a number a reader would read as one (not a digit inside an identifier such as TP53 or gdsc2)
NUMBER = re.compile(r"(?<![\w.\-])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?%?(?![\w\-])")
DATA_HREF = {d.id: d.url for d in RESPONSE_DATASETS.values() if d.url}
MAX_ROWS = 40


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _safe(text: str) -> str:
    return str(text).replace("[", "(").replace("]", ")").replace("|", "/")


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 10):
        return f"{int(value)}"
    return f"{value:.{digits}g}"


def linked_numbers(text: str, href: str) -> str:
    """`text` with every number in it (a dose, a survival level) linked to `href`, where the text's rule is stated."""
    return NUMBER.sub(lambda m: f"[{m.group(0)}]({href})", _safe(text))


def num(value, href: str, digits: int = 3) -> str:
    """A number as a Markdown link to its source ('-' when missing)."""
    text = _fmt(value, digits)
    return "-" if text == "-" else f"[{text}]({href})"


def _test_id(entity: str, therapy: str) -> str:
    return "t-" + _slug(f"{entity}-{therapy}")


class _Tests:
    """The cell-line tests the document cites, for the appendix."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, str, dict]] = {}

    def cite(self, entity: str, therapy: str, test: dict | None, what: str = "effect") -> str:
        if not test:
            return "-"
        tid = _test_id(entity, therapy)
        self.rows[tid] = (entity, therapy, test)
        return num(test.get(what), f"#{tid}")


def _call_cell(tests: _Tests, entity: str, therapy: str, test: dict | None) -> str:
    if not test:
        return "not measured"
    return f"{test['call']} ({tests.cite(entity, therapy, test)})"


def _header(doc: dict) -> list[str]:
    lines = []
    if doc["data_missing"]:
        lines.append(
            "**The data part is missing**: no cell-line bundle was found, so this answer rests on the catalog and the "
            "model alone (no cell-line verdicts, no alterations)."
        )
        lines.append("")
    c = doc["counts"]
    lines += [
        "# The answer: which resistance mechanisms are unique to chemotherapy or radiotherapy, and which alterations "
        "give cross-resistance",
        "",
        f"Scope: therapies {_safe(', '.join(doc['therapies'])) if doc['therapies'] else 'all catalog therapies'}; "
        f"tissue {_safe(doc['tissue']) if doc['tissue'] else 'all tissues (tissue-adjusted)'}.",
        "",
        f"- Mechanism verdicts (mechanism x direction): {num(c['mechanism_verdicts'], '#mechanisms')}; decided "
        f"{num(c['decided'], '#mechanisms')} (model and data agree on "
        f"{num(c['decided_by_model_and_data'], '#mechanisms')}), undetermined {num(c['undetermined'], '#not-known')}.",
    ]
    if not doc["data_missing"]:
        calls = ", ".join(f"{_safe(k)} {num(v, '#alterations')}" for k, v in sorted(c["calls"].items()))
        lines.append(
            f"- Alterations tested: {num(c['alterations'], '#alterations')} on {num(doc['n_lines'], '#methods')} "
            f"lines; calls: {calls}."
        )
        flips = ", ".join(f"{_safe(k)} {num(v['reversed'], '#robustness')}" for k, v in c["alteration_flips"].items())
        lines.append(f"- Decided alteration calls reversed in a robustness variant: {flips}.")
    lines.append("")
    return lines


def _brief(doc: dict) -> list[str]:
    """The answer in a few lines: mechanisms per verdict (gain, then loss), alterations per call with their drugs."""
    lines = ['<a id="brief"></a>', "", "## In brief", ""]
    for direction in ("gain", "loss"):
        groups: dict[str, list[str]] = {}
        for m in doc["mechanisms"]:
            if m["direction"] == direction:
                groups.setdefault(m["verdict"], []).append(m["mechanism"])
        lines.append(f"- **{'Raised' if direction == 'gain' else 'Lowered'} activity**:")
        for verdict, mechs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            shown = ", ".join(mechs[:12]) + (", ..." if len(mechs) > 12 else "")
            lines.append(f"  - {verdict} ({num(len(mechs), '#mechanisms')}): {shown}")
    called = [a for a in doc["alterations"] if a["call"] not in ("undecided", "no effect")]
    if not doc["data_missing"]:
        lines.append("- **Alterations with a call** (radiation call; drugs resistant / sensitive):")
        for a in called[:15]:
            res = ", ".join(a["drugs_resistant"]) or "none"
            sen = ", ".join(a["drugs_sensitive"]) or "none"
            lines.append(f"  - {_safe(a['alteration'])}: {a['call']} (radiation {a['radiation']}; {res} / {sen})")
        if not called:
            lines.append("  - none at the stated FDR")
    lines.append("")
    return lines


def _methods(doc: dict) -> list[str]:
    thr = num(doc["threshold"], "#methods")
    return [
        '<a id="methods"></a>',
        "",
        "## How to read it",
        "",
        '<a id="chain"></a>Model (chain): each mechanism alone in the damage chain, raised (gain) or lowered (loss, '
        f"activity {num(doc['loss_activity'], '#chain')}) against the reference cell; a therapy is touched when the "
        f"dose ratio RF at equal survival is at least {thr} or at most its inverse (chemorad `specificity`).",
        "",
        '<a id="posterior"></a>Posterior: the probability of the gain verdict is its share of the shipped calibrated '
        "posterior's draws (chemorad `specificity --calibrated`); loss has no calibrated probability yet. A verdict "
        f"the model alone supports with a probability below {num(doc['decided_p'], '#posterior')} is undetermined.",
        "",
        "Cell-line data: tissue-adjusted OLS of each therapy's primary response (Yard AUC, GDSC ln IC50, CTRP AUC; "
        "higher = resistant) on the mechanism score or the alteration, with the drugs' general-sensitivity factor (a "
        "line's mean within-tissue z-scored response over the other drugs) as a covariate; an effect counts beyond a "
        "margin of a quarter of the assay's standard error of measurement, no effect by equivalence (TOST) within it, "
        f"Benjamini-Hochberg within each therapy x data set at FDR {num(doc['fdr_alpha'], '#methods')}. Data: "
        + ", ".join(
            f"[{d.name}]({d.url})" for d in (*datasets_for(Modality.radiation), *datasets_for(Modality.drug)) if d.url
        )
        + ".",
        "",
    ]


def _drugs_cell(by_class: dict, classes: int = 3, per_class: int = 2) -> str:
    """The strongest `per_class` drugs of the first `classes` classes (strongest first), then how many more."""
    parts = []
    for cls, drugs in list(by_class.items())[:classes]:
        parts.append(
            f"{_safe(cls)}: " + ", ".join(f"{d['therapy']} {num(d['rf'], '#chain')}" for d in drugs[:per_class])
        )
    rest = sum(len(d) for d in by_class.values()) - sum(
        min(len(d), per_class) for d in list(by_class.values())[:classes]
    )
    if rest > 0:
        parts.append(f"{num(rest, '#chain')} more")
    return "; ".join(parts) or "none"


def _pert_cell(perts: list[dict]) -> str:
    if not perts:
        return "none"
    read = [p for p in perts if p["obtained"] == "read"]
    shown = ", ".join(f"{p['therapy']} {num(p['value'], p['href'] or '#methods')}" for p in perts[:4])
    return f"read {num(len(read), '#methods')}, recalled {num(len(perts) - len(read), '#methods')}: {shown}"


def _mechanisms(doc: dict, tests: _Tests) -> list[str]:
    rad = doc["radiation"]
    lines = [
        '<a id="mechanisms"></a>',
        "",
        "## Mechanisms: chemotherapy-only, radiotherapy-only or shared",
        "",
        "Sorted by how well decided (model and data agree, then the model alone by its probability).",
        "",
        "| mechanism | direction | verdict | P | basis | radiation RF | drugs touched (model), by class | perturbation "
        "experiments | radiation in the lines | drugs in the lines (higher activity) | data verdict | seeds' claims |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for m in doc["mechanisms"]:
        claims = "; ".join(f"{c['specificity']}{' (differs)' if c['differs'] else ''}" for c in m["claims"]) or "none"
        lines.append(
            f"| {m['mechanism']} | {m['direction']} | **{m['verdict']}** | {num(m['probability'], '#posterior')} | "
            f"{_safe(m['basis'])} | {num(m['radiation_rf'], '#chain')} | {_drugs_cell(m['drugs_by_class'])} | "
            f"{_pert_cell(m['perturbations'])} | "
            f"{_call_cell(tests, m['mechanism'], rad, m['cell_line_tests'].get(rad))} | "
            f"{_drug_data(tests, m['mechanism'], m['cell_line_tests'], rad)} | {m['data_verdict']} | "
            f"{_safe(claims)} |"
        )
    lines.append("")
    return lines


def _drug_data(tests: _Tests, entity: str, by_therapy: dict, radiation: str, named: int = 3) -> str:
    """Drugs the score's association decides (resistant / sensitive, up to `named` each, effect linked to its test),
    then how many are shown to have no effect and how many are inconclusive."""
    drugs = {t: d for t, d in by_therapy.items() if t != radiation}
    if not drugs:
        return "no data"
    parts = []
    for call in ("resistant", "sensitive"):
        hit = sorted((t for t, d in drugs.items() if d["call"] == call), key=lambda t: drugs[t]["q"])
        if hit:
            parts.append(f"{call}: " + ", ".join(f"{t} {tests.cite(entity, t, drugs[t])}" for t in hit[:named]))
    for call in ("no effect", "inconclusive"):
        k = sum(d["call"] == call for d in drugs.values())
        parts.append(f"{call} {num(k, '#methods')}")
    return "; ".join(parts)


def _drug_list(tests: _Tests, alt: dict, names: list[str]) -> str:
    return ", ".join(f"{t} {tests.cite(alt['alteration'], t, alt['tests'].get(t))}" for t in names) or "none"


def _explanation(e: dict | None) -> str:
    if not e:
        return "-"
    mechs = ", ".join(dict.fromkeys(x["mechanism"] for x in e["mechanisms"])) or "no catalog mechanism"
    share = e["share_explained_radiation"]
    mp = e["model_predicts"]
    said = f"{num(mp['agree'], '#chain')} of {num(mp['decided'], '#alterations')} decided calls" if mp else "no call"
    out = f"{_safe(mechs)}; the chain predicts {said}"
    if share is not None:
        out += f"; share of the radiation effect explained {num(share, '#methods')}"
    return out


def _alterations(doc: dict, tests: _Tests) -> list[str]:
    rad = doc["radiation"]
    called = [a for a in doc["alterations"] if a["call"] not in ("undecided", "no effect")]
    lines = [
        '<a id="alterations"></a>',
        "",
        "## Alterations: which give cross-resistance",
        "",
        "Effects are altered minus unaltered lines of the same tissue, in the response's units, after the general "
        "factor is removed; each links to its test.",
        "",
    ]
    if not called:
        lines += ["No alteration reaches a call at the stated FDR.", ""]
        return lines
    lines += [
        "| alteration | kind | altered lines | call | radiation | drugs resistant | drugs sensitive | "
        "call without the general factor | mechanisms (chain) | perturbation experiments |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for a in called[:MAX_ROWS]:
        e = a.get("explanation")
        lines.append(
            f"| {_safe(a['alteration'])} | {a['kind']} | {num(a['n_altered'], '#alterations')} | **{a['call']}** | "
            f"{_call_cell(tests, a['alteration'], rad, a['tests'].get(rad))} | "
            f"{_drug_list(tests, a, a['drugs_resistant'])} | {_drug_list(tests, a, a['drugs_sensitive'])} | "
            f"{a['call_without_general_factor']} | {_explanation(e)} | {_pert_cell(e['perturbations'] if e else [])} |"
        )
    lines.append("")
    return lines


def _unknowns(doc: dict) -> list[str]:
    u = doc["unknowns"]
    lines = [
        '<a id="not-known"></a>',
        "",
        "## What is not known (read this first when planning an experiment)",
        "",
        "| mechanism | direction | verdict | basis | lines a radiation test needs | experiment that would decide it |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for m in u["mechanisms"][:MAX_ROWS]:
        lines.append(
            f"| {m['mechanism']} | {m['direction']} | {m['verdict']} | {_safe(m['basis'])} | "
            f"{num(m['radiation_lines_needed'], '#methods')} | {linked_numbers(m['experiment'], '#posterior') or '-'} |"
        )
    lines.append("")
    if u["alterations"]:
        lines += [
            "| alteration | radiation | altered lines now | altered lines needed |",
            "| --- | --- | --- | --- |",
        ]
        for a in u["alterations"][:MAX_ROWS]:
            lines.append(
                f"| {_safe(a['alteration'])} | {a['radiation']} | {num(a['n_altered'], '#alterations')} | "
                f"{num(a['altered_needed'], '#methods')} |"
            )
        lines.append("")
    return lines


def _robustness(doc: dict) -> list[str]:
    rob = doc["robustness"]
    lines = ['<a id="robustness"></a>', "", "## Robustness: which verdicts change", ""]
    if rob is None:
        return [*lines, "Not assessed: no cell-line data.", ""]
    a, m = rob["alterations"], rob["mechanisms"]
    a_rows = doc["alterations"]
    lines += [
        "Each decided per-therapy call re-decided with the drugs of one data set alone (radiation always Yard) and "
        "without the general factor: *reversed* when the variant decides otherwise, *not decided* when it cannot. "
        f"Decided calls: alterations {num(a['decided'], '#alterations')}, mechanism scores "
        f"{num(m['decided'], '#mechanisms')}.",
        "",
        _pide(doc.get("clonogenic"), sum(x["radiation"] in ("resistant", "sensitive", "no effect") for x in a_rows)),
        "",
        "| variant | alteration calls reversed | not decided | mechanism calls reversed | not decided |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, n in a["counts"].items():
        k = m["counts"].get(name, {"reversed": 0, "not decided": 0})
        lines.append(
            f"| {name} | {num(n['reversed'], '#robustness')} | {num(n['not decided'], '#robustness')} | "
            f"{num(k['reversed'], '#robustness')} | {num(k['not decided'], '#robustness')} |"
        )
    lines.append("")
    flips = [f for f in a["flips"] + m["flips"] if f["kind"] == "reversed"][:MAX_ROWS]
    if flips:
        lines += ["| entity | therapy | variant | call | call in the variant |", "| --- | --- | --- | --- | --- |"]
        lines += [
            f"| {_safe(f['entity'])} | {f['therapy']} | {f['variant']} | {f['main']} | {f['variant_call']} |"
            for f in flips
        ]
        lines.append("")
    return lines


def _pide(p: dict | None, n_rad_decided: int) -> str:
    if p is None:
        return (
            "Clonogenic curves (PIDE): not in the data folder, so the Yard radiation calls are not re-decided on them."
        )
    h = p["href"]
    tail = (
        "the Yard analysis decides no alteration's radiation call, so there is none to re-decide."
        if n_rad_decided == 0
        else "the decided Yard radiation calls are not re-decided on clonogenic survival in this version."
    )
    return (
        f"Clonogenic curves ([PIDE]({h})): {num(p['n_pide_lines'], h)} bundle lines have a human tumour photon curve, "
        f"{num(p['n_overlap_yard'], h)} of them also in Yard; Spearman rho of Yard AUC and PIDE SF2 "
        f"{num(p['spearman_rho'], h)} (p {num(p['p_value'], h)}); the most altered lines any alteration has among "
        f"them is {num(p['max_altered_lines'], h)}; {tail}"
    )


def _appendix(tests: _Tests) -> list[str]:
    if not tests.rows:
        return []
    lines = ['<a id="tests"></a>', "", "## Cell-line tests cited", ""]
    for tid, (entity, therapy, t) in sorted(tests.rows.items()):
        href = DATA_HREF.get(t.get("dataset", ""), "#methods")
        lines.append(
            f'- <a id="{tid}"></a>{_safe(entity)} on {therapy} ({t.get("dataset", "")}): {t["call"]}; effect '
            f"{num(t['effect'], href)} (95% CI {num(t['ci_low'], href)} to {num(t['ci_high'], href)}), margin "
            f"{num(t['margin'], href)}, q {num(t['q'], href)}, n {num(t['n'], href)}"
        )
    lines.append("")
    return [ln.replace("95% CI", "CI") for ln in lines]


def answer_markdown(doc: dict) -> str:
    """The whole document as Markdown (every number a link)."""
    tests = _Tests()
    body = _mechanisms(doc, tests) + ([] if doc["data_missing"] else _alterations(doc, tests))
    lines = _header(doc) + _brief(doc) + _methods(doc) + body + _unknowns(doc) + _robustness(doc) + _appendix(tests)
    return "\n".join(lines) + "\n"


def answer_html(doc: dict) -> str:
    """The Markdown rendered (markdown-it, tables on) into the `answer.html` template."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(answer_markdown(doc))
    return environment().get_template("answer.html").render(body=body, missing=doc["data_missing"])

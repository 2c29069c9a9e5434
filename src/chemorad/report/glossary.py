"""A short glossary of the quantities chemorad prints: each with its formula, units, and the source it is taken from
(a paper, or the chemorad module that defines it, whose docstring cites the paper)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GLOSSARY", "Term"]


@dataclass(frozen=True)
class Term:
    """A glossary entry: `key` (the anchor), the term, what it means, its formula and its source."""

    key: str
    term: str
    meaning: str
    formula: str
    source: str


GLOSSARY: tuple[Term, ...] = (
    Term(
        "rf",
        "RF (resistance factor)",
        "How much more dose a cell with one mechanism switched on needs for the same kill as the reference cell, "
        "in the damage chain. RF > 1 is resistance, RF < 1 sensitisation; a mechanism touches a therapy when "
        "RF >= 1.2 or RF <= 1/1.2 (a 20% dose change).",
        "RF = D_mechanism(SF*) / D_reference(SF*); SF* = 0.5 for drugs (the fold change in IC50), 0.1 for radiation "
        "(the dose-modifying factor at 10% survival)",
        "chemorad.chain.specificity (defined in this package)",
    ),
    Term(
        "dmf",
        "DMF (dose-modifying factor)",
        "A factor that divides the radiation dose: DMF > 1 protects (e.g. the oxygen enhancement ratio of a hypoxic "
        "cell), DMF < 1 sensitises. The hypoxic DMF of a prediction is D10 at the hypoxic pO2 over D10 at the oxic "
        "pO2.",
        "SF(D) = exp(-alpha (D/DMF) - G beta (D/DMF)^2), i.e. alpha -> alpha/DMF, beta -> beta/DMF^2",
        "Joiner & van der Kogel, Basic Clinical Radiobiology, ch. 4 and 15 (chemorad.chain.radiation)",
    ),
    Term(
        "tcp",
        "TCP (tumour control probability)",
        "The probability that no clonogenic cell survives a treatment. With N expected survivors and independent cell "
        "kill the number surviving is Poisson(N); a population TCP is the mean over virtual patients, with a Jeffreys "
        "interval.",
        "TCP = P(no survivor) = exp(-N)",
        "Munro & Gilbert 1961, Br J Radiol 34:246 (chemorad.dynamics.simulator)",
    ),
    Term(
        "fdr",
        "FDR (false discovery rate, Benjamini-Hochberg q)",
        "The expected share of false positives among the tests called significant. chemorad adjusts p-values within "
        "each family (one therapy x one data set) and concludes when q < 0.1.",
        "q_(i) = min over j >= i of min(1, m p_(j) / j), p-values sorted ascending, m tests",
        "Benjamini & Hochberg 1995, J R Stat Soc B 57:289 (chemorad.evidence.associations, chemorad.evidence.verdicts)",
    ),
    Term(
        "margin",
        "Equivalence margin (delta)",
        "The smallest effect that matters: an effect whose shift across the central 95% of lines (4 within-tissue SD "
        "of the mechanism score) is below one standard error of measurement of the assay cannot move any line by a "
        "distinguishable amount. 'No effect' is concluded by two one-sided tests against +-delta.",
        "delta = SEM / 4, SEM = SD(y) sqrt(1 - rho), rho = cross-protocol agreement of the assay (GDSC1 vs GDSC2; "
        "clonogenic vs proliferation for radiation); equivalence: p_eq = max(P(T >= (b + delta)/se), "
        "P(T <= (b - delta)/se))",
        "Wyrwich et al. 1999, J Clin Epidemiol 52:861 (one-SEM criterion); Schuirmann 1987, J Pharmacokinet Biopharm "
        "15:657 (TOST); chemorad.evidence.margins, chemorad.evidence.verdicts",
    ),
    Term(
        "sf2",
        "SF2 (surviving fraction at 2 Gy)",
        "The fraction of cells that survive a single 2 Gy dose, from the line's linear-quadratic fit; higher = more "
        "radioresistant.",
        "SF2 = exp(-2 alpha - 4 beta), alpha (Gy^-1), beta (Gy^-2) fitted to ln SF by non-negative least squares",
        "Yard et al. 2016, Nat Commun 7:11428 (data); fit as RadioGx, Manem et al. 2019, Cancer Res 79:6227 "
        "(chemorad.evidence.curves)",
    ),
    Term(
        "auc",
        "AUC (area under the curve)",
        "Radiation (Yard): the area under the surviving-fraction curve over 0-10 Gy, in Gy; higher = more "
        "radioresistant. Drugs (GDSC, CTRP): the area under the fitted dose-response (viability) curve over the tested "
        "concentration range, as a fraction of that range; higher = more resistant.",
        "AUC_radiation = integral from 0 to 10 Gy of SF(D) dD; AUC_drug = (1/range) integral of viability(c) "
        "over the tested log-concentration range",
        "Yard et al. 2016, Nat Commun 7:11428; Iorio et al. 2016, Cell 166:740 (GDSC); Seashore-Ludlow et al. 2015, "
        "Cancer Discov 5:1210 (CTRP); 'fraction of the tested range' as the data bundle describes GDSC AUC, the "
        "integration over log concentration recalled",
    ),
    Term(
        "ln-ic50",
        "ln IC50",
        "The natural logarithm of the drug concentration (in micromolar) at which the fitted dose-response curve "
        "gives 50% viability; higher = more resistant. GDSC1 and GDSC2 are kept apart (different protocols and dose "
        "ranges).",
        "ln IC50 = ln(c50 / 1 uM), viability(c50) = 0.5 on the fitted curve",
        "Yang et al. 2013, Nucleic Acids Res 41:D955; Iorio et al. 2016, Cell 166:740 (GDSC)",
    ),
    Term(
        "lq",
        "Linear-quadratic model (alpha, beta)",
        "Cell survival after a single acute radiation dose D.",
        "SF(D) = exp(-alpha D - beta D^2), alpha in Gy^-1, beta in Gy^-2",
        "Joiner & van der Kogel, Basic Clinical Radiobiology, ch. 4 (chemorad.chain.radiation, "
        "chemorad.evidence.curves)",
    ),
    Term(
        "percentile",
        "Percentile among tissue peers",
        "Where a line's response sits among lines of the same tissue; responses are oriented higher = more resistant, "
        "so 90 means more resistant than about 90% of its tissue.",
        "P = 100 (#{peers < v} + #{peers = v} / 2) / n, over the n lines of the tissue with a value "
        "(the line included)",
        "chemorad.report.line_view (defined in this package)",
    ),
    Term(
        "spearman",
        "Spearman's rho",
        "A rank correlation: the Pearson correlation of the ranks (average ranks for ties); its p-value is two-sided "
        "from the t distribution with n - 2 degrees of freedom. Not adjusted for tissue unless one tissue is chosen.",
        "rho = corr(rank(x), rank(y))",
        "scipy.stats.spearmanr (chemorad.report.scatter_view)",
    ),
)

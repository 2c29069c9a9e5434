"""The damage chain: delivery -> damage -> fixation -> repair -> death, one module per stage.

Building blocks (pure, vectorised functions of NumPy arrays): `radiation` (linear-quadratic survival, Lea-Catcheside
dose protraction, oxygen enhancement, BED/EQD2, radical scavenging), `pharmacokinetics` (analytic one- and
two-compartment plasma concentration and AUC), `microenvironment` (Krogh-cylinder oxygen profile, drug penetration,
cell distributions over pO2), and `validate` (argument checks that raise `ChemoradError`).
"""

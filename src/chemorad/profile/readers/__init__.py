"""Readers for one tumour's (or a few samples') molecular data, returned in the data bundle's shapes.

Every matrix is samples x features (a pandas DataFrame indexed by sample id, index name `sample`), exactly as the
bundle's loaders in `chemorad.bundle.datasets` return lines x genes, so the scoring code
(`chemorad.evidence.scores`) can use them unchanged:

| reader | input | returns (values) |
| --- | --- | --- |
| `read_maf` | GDC/TCGA MAF (tab-separated, '#' lines skipped, .gz ok) | `MafResult` (int8 0/1 per class) |
| `read_expression` | TSV/CSV/Parquet/GCT 1.2 matrix, either orientation | `ExpressionResult` (log2 or z) |
| `read_copy_number` | GISTIC thresholded calls -2..2, either orientation | `CopyNumberResult` (int8 -1/0/1) |
| `read_protein` | RPPA matrix, antibodies as in `ccle_rppa.csv` | `ProteinResult` (log2, median-centred) |
| `read_tissues` | table: sample, tissue | DataFrame (tissue harmonised to `names.TISSUES`) |
| `read_profiles_dir` | a directory with the bundle's file names (any subset) | `Profile` (as the bundle loaders) |
| `from_cell_line` | a cell-line name known to the bundle | `Profile` (as the bundle loaders) |

Sample ids are kept as given (whitespace stripped), with one exception: TCGA barcodes are cut to the sample level
(`TCGA-02-0003-01A-01D-1490-08` -> `TCGA-02-0003-01`, participant + sample type) because MAFs carry aliquot barcodes
while expression matrices usually carry sample barcodes. Each result keeps the ids as written in `source_ids`.

Variant classes (`Variant_Classification`, MAF specification of the GDC, https://docs.gdc.cancer.gov/Data/File_Formats/
MAF_Format/) map to three alteration classes:

| class | Variant_Classification |
| --- | --- |
| loss_of_function | Nonsense_Mutation, Frame_Shift_Del, Frame_Shift_Ins, Splice_Site, Translation_Start_Site, |
|                  | Nonstop_Mutation |
| missense_or_inframe | Missense_Mutation, In_Frame_Del, In_Frame_Ins |
| silent (ignored) | Silent, Intron, 3'UTR, 5'UTR, RNA, IGR, Flank, 3'Flank, 5'Flank, Splice_Region, Targeted_Region, |
|                  | De_novo_Start_InFrame, De_novo_Start_OutOfFrame |

loss_of_function feeds `loss_of_function_mutation` markers. missense_or_inframe can be activating or damaging: the
scorer reads it as the catalog's marker says (`activating_mutation` or `loss_of_function_mutation`).
`any_nonsilent` is the union of the first two classes; it is the analogue of the bundle's GDSC mutation calls.
Any other `Variant_Classification` is reported as a warning and ignored.

Warnings (unknown gene symbols, averaged duplicate genes, unknown variant classes or tissues, sample ids missing from a
file) are never fatal: each result keeps them in `.warnings` and they are also issued as `ProfileWarning`. User errors
(bad file, missing column, non-numeric value, duplicated sample) raise `ChemoradError` naming the file, the column or
row and what was expected.

One module per job (a new input format is one new module beside these, plus its line in `Profile.from_files`):

| module | job |
| --- | --- |
| `tables` | loading CSV/TSV/Parquet/GCT, separators, sample ids, orientation, numeric checks, warning helpers |
| `vocabulary` | the gene symbols and antibody names the readers recognise (`known_genes`, `known_antibodies`) |
| `maf`, `expression`, `copy_number`, `protein`, `tissues` | one reader per input format, independent of each other |
| `profile` | the frozen `Profile` container, `Profile.from_files` and the consistency check |
| `bundle`, `folder` | a `Profile` from a bundle cell line (`from_cell_line`) or a bundle-layout folder |
"""

from __future__ import annotations

from chemorad.bundle.names import canonical_name
from chemorad.profile.readers.bundle import from_cell_line
from chemorad.profile.readers.copy_number import CopyNumberResult, read_copy_number
from chemorad.profile.readers.expression import ExpressionResult, Scale, read_expression, standardise_to
from chemorad.profile.readers.folder import read_profiles_dir
from chemorad.profile.readers.maf import (
    ANY,
    CLASSES,
    LOF,
    MAF_KEPT,
    MAF_REQUIRED,
    MISSENSE,
    SILENT,
    VARIANT_CLASS,
    MafResult,
    read_maf,
)
from chemorad.profile.readers.profile import LAYERS, Profile
from chemorad.profile.readers.protein import ProteinResult, read_protein
from chemorad.profile.readers.tables import SAMPLE, Orientation, ProfileWarning, sample_id
from chemorad.profile.readers.tissues import TCGA_TISSUE, read_tissues, tissue_label
from chemorad.profile.readers.vocabulary import known_antibodies, known_genes

__all__ = [
    "ANY",
    "CLASSES",
    "LAYERS",
    "LOF",
    "MAF_KEPT",
    "MAF_REQUIRED",
    "MISSENSE",
    "SAMPLE",
    "SILENT",
    "TCGA_TISSUE",
    "VARIANT_CLASS",
    "CopyNumberResult",
    "ExpressionResult",
    "MafResult",
    "Orientation",
    "Profile",
    "ProfileWarning",
    "ProteinResult",
    "Scale",
    "canonical_name",
    "from_cell_line",
    "known_antibodies",
    "known_genes",
    "read_copy_number",
    "read_expression",
    "read_maf",
    "read_profiles_dir",
    "read_protein",
    "read_tissues",
    "sample_id",
    "standardise_to",
    "tissue_label",
]

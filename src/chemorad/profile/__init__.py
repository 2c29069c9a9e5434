"""One tumour or cell line: input readers (MAF, expression, copy number, protein, tissue), activities, prediction."""

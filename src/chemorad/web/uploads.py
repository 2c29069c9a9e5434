"""Uploaded files: size-limited, written only inside a temporary folder that is removed after the request."""

from __future__ import annotations

import re
from pathlib import Path

from chemorad.errors import ChemoradError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a MAF or expression matrix of one tumour is far smaller
CHUNK = 1 << 16


def safe_name(name: str, default: str) -> str:
    """A file name without folders or odd characters (the suffix is kept: readers dispatch on it)."""
    base = Path(name or default).name
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".") or default


async def save_upload(upload, folder: Path, field: str, limit: int = MAX_UPLOAD_BYTES) -> Path | None:
    """Write one `UploadFile` into `folder` (None when the field was left empty); too large is a one-line error."""
    if upload is None or not getattr(upload, "filename", ""):
        return None
    path = folder / f"{field}-{safe_name(upload.filename, field)}"
    size = 0
    with path.open("wb") as fh:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise ChemoradError(f"--{field} {upload.filename}: larger than the upload limit of {limit // 2**20} MB")
            fh.write(chunk)
    if size == 0:
        raise ChemoradError(f"--{field} {upload.filename}: the file is empty")
    return path

"""Uploaded files: size-limited, written only inside a temporary folder that is removed after the request.

A ``.gz`` upload is decompressed while it is received, and the decompression stops at `limits.MAX_INFLATED_BYTES`
(a few MB of gzip can inflate to gigabytes); other compressed formats are refused. Lines are counted on the way
(`limits.MAX_LINES`). Messages name the file as the user chose it and the form field in the page's words, never a
temporary path.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from chemorad.errors import ChemoradError
from chemorad.web import limits

MAX_UPLOAD_BYTES = limits.MAX_UPLOAD_BYTES
CHUNK = 1 << 16
#: the form fields as the pages name them
LABELS = {
    "maf": "mutations (MAF) file",
    "expression": "expression file",
    "copy-number": "copy-number file",
    "protein": "protein (RPPA) file",
    "tissues": "tissues file",
    "scenario": "scenario file",
}
REFUSED_SUFFIXES = (".bz2", ".xz", ".zip", ".zst", ".7z")


def safe_name(name: str, default: str) -> str:
    """A file name without folders or odd characters, at most `limits.MAX_NAME` characters (the suffix is kept:
    readers dispatch on it)."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name or default).name).lstrip(".") or default
    if len(base) > limits.MAX_NAME:
        suffix = "".join(Path(base).suffixes[-2:])[-20:]
        base = base[: limits.MAX_NAME - len(suffix)] + suffix
    return base


def shown_name(name: str | None) -> str:
    """The user's file name as quoted in a message (shortened)."""
    name = Path(name or "").name
    return name if len(name) <= 60 else name[:57] + "..."


class _Sink:
    """Counts bytes and lines written (after decompression) and refuses past the limits."""

    def __init__(self, fh, what: str, inflated_limit: int) -> None:
        self.fh, self.what, self.limit = fh, what, inflated_limit
        self.size = self.lines = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        self.lines += data.count(b"\n")
        if self.size > self.limit:
            raise ChemoradError(f"{self.what}: more than {self.limit // 2**20} MB once decompressed")
        if self.lines > limits.MAX_LINES:
            raise ChemoradError(f"{self.what}: more than {limits.MAX_LINES:,} lines")
        self.fh.write(data)


async def save_upload(
    upload, folder: Path, field: str, limit: int = MAX_UPLOAD_BYTES, inflated_limit: int | None = None
) -> Path | None:
    """Write one `UploadFile` into `folder` (None when the field was left empty), a ``.gz`` decompressed with a cap;
    too large, too many lines, empty or a refused compression is a one-line error."""
    if upload is None or not getattr(upload, "filename", ""):
        return None
    inflated_limit = limits.MAX_INFLATED_BYTES if inflated_limit is None else inflated_limit
    what = f"{LABELS.get(field, field)} {shown_name(upload.filename)!r}"
    name = safe_name(upload.filename, field)
    if name.lower().endswith(REFUSED_SUFFIXES):
        raise ChemoradError(f"{what}: compressed files are accepted as .gz only")
    gz = name.lower().endswith(".gz")
    path = folder / f"{field}-{name[:-3] if gz else name}"
    inflate = zlib.decompressobj(wbits=47) if gz else None  # 47: gzip or zlib header, detected
    sent = 0
    with path.open("wb") as fh:
        sink = _Sink(fh, what, inflated_limit)
        while chunk := await upload.read(CHUNK):
            sent += len(chunk)
            if sent > limit:
                raise ChemoradError(f"{what}: larger than the upload limit of {limit // 2**20} MB")
            if inflate is None:
                sink.write(chunk)
                continue
            try:
                # max_length bounds each step's output, so one small chunk cannot inflate past the cap in one go
                out = inflate.decompress(chunk, CHUNK * 16)
                sink.write(out)
                while inflate.unconsumed_tail:
                    sink.write(inflate.decompress(inflate.unconsumed_tail, CHUNK * 16))
            except zlib.error:
                raise ChemoradError(f"{what}: not a valid gzip file") from None
        if inflate is not None:
            sink.write(inflate.flush())
    if sent == 0 or sink.size == 0:
        raise ChemoradError(f"{what}: the file is empty")
    return path

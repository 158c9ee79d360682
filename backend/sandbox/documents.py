"""Shipping documents as the sandboxes serve them: real one-page PDFs (or ZPL text) that any PDF reader opens.

A label carries what a carrier's label does, the recipient's name and address included, so tests can
read a merged wave back and find each package's tracking number in its place.
"""

from __future__ import annotations

from collections.abc import Sequence

# Page sizes in PDF points (1/72 inch): A6 is the common thermal label, A5 a half sheet.
PAGE_SIZES = {"A6": (298, 420), "A5": (420, 595)}


def _escape(text: str) -> str:
    """A PDF string literal of `text` in the base-14 fonts' Latin-1 range (other characters become '?')."""
    latin = text.encode("latin-1", "replace").decode("latin-1")
    return latin.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(lines: Sequence[str], size: str = "A6") -> bytes:
    """A valid one-page PDF showing `lines` top to bottom in Helvetica, with a correct xref table."""
    width, height = PAGE_SIZES[size]
    text = ["BT", "/F1 11 Tf", "14 TL", f"18 {height - 36} Td"]
    for index, line in enumerate(lines):
        text.append(f"({_escape(line)}) {'Tj' if index == 0 else chr(39)}")  # ' = next line, then show
    text.append("ET")
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Contents 4 0 R "
            "/Resources << /Font << /F1 5 0 R >> >> >>"
        ).encode(),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def zpl(lines: Sequence[str]) -> bytes:
    """The same label for a thermal printer (Zebra ZPL II)."""
    fields = [f"^FO30,{30 + 40 * i}^A0N,30,30^FD{line.replace('^', ' ')}^FS" for i, line in enumerate(lines)]
    return ("^XA\n" + "\n".join(fields) + "\n^XZ\n").encode()

"""Real sample documents for the document-reading tests, made in the test's temporary directory:
text rendered into images (PNG, JPEG, TIFF, image-only PDF), a PDF with a text layer written
by hand (Helvetica, WinAnsiEncoding), and helpers to compare OCR output."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# fonts with accented Latin letters, where Debian-like systems keep them (make ocr installs
# fonts-dejavu-core); without one, Pillow's own font is used and the text loses its accents
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/Library/Fonts/Arial.ttf",
)
FONT_SIZE = 56  # pixels: about 13 pt at 300 dpi
DPI = 300

FRENCH = [
    "Le suspect a été interpellé à Marseille",
    "avec trois complices le douze mars.",
    "La perquisition du garage a permis de saisir",
    "deux véhicules et des documents bancaires.",
]
ENGLISH = [
    "The suspect was arrested in London",
    "together with three accomplices on Tuesday.",
    "The search of the warehouse recovered",
    "two vehicles and several bank statements.",
]


def fold(text: str) -> str:
    """Lower case, accents removed, whitespace collapsed: how OCR output is compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split())


def words_found(expected: Sequence[str], text: str) -> list[str]:
    """The words of ``expected`` lines (four letters or more) missing from ``text``."""
    have = set(fold(text).split())
    wanted = {word for line in expected for word in fold(line).split() if len(word) >= 4}
    return sorted(wanted - have)


@cache
def _font() -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, bool]:
    for candidate in FONT_FILES:
        if Path(candidate).is_file():
            return ImageFont.truetype(candidate, FONT_SIZE), True
    return ImageFont.load_default(size=FONT_SIZE), False


def render(
    lines: Sequence[str],
    *,
    width: int = 1700,
    margin: int = 120,
    mode: str = "RGB",
    background: str | tuple[int, ...] = "white",
) -> Image.Image:
    """Black text on white (or ``background``), one line per item, as a 300 dpi scan."""
    font, accents = _font()
    if not accents:
        lines = [fold_accents(line) for line in lines]
    step = int(FONT_SIZE * 1.6)
    image = Image.new(mode, (width, margin * 2 + step * len(lines)), background)
    draw = ImageDraw.Draw(image)
    ink = (0, 0, 0, 255) if mode == "RGBA" else "black"
    for n, line in enumerate(lines):
        draw.text((margin, margin + n * step), line, font=font, fill=ink)
    return image


def fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def image_bytes(lines: Sequence[str], fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    render(lines).save(buffer, format=fmt, dpi=(DPI, DPI), **options)
    return buffer.getvalue()


def tiff_bytes(*pages: Sequence[str]) -> bytes:
    """A multi-frame TIFF, one frame per page."""
    frames = [render(lines) for lines in pages]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:], dpi=(DPI, DPI))
    return buffer.getvalue()


def scanned_pdf_bytes(*pages: Sequence[str]) -> bytes:
    """A PDF of images only (no text layer), one page per item."""
    frames = [render(lines).convert("RGB") for lines in pages]
    buffer = io.BytesIO()
    frames[0].save(
        buffer, format="PDF", save_all=True, append_images=frames[1:], resolution=float(DPI)
    )
    return buffer.getvalue()


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def text_pdf_bytes(
    pages: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    created: str | None = None,
) -> bytes:
    """A PDF with a text layer: Helvetica (WinAnsiEncoding) lines on A4 pages.

    ``created`` is a PDF date (``D:20240305142233+01'00'``).
    """
    objects: list[bytes] = []
    page_ids = [4 + 2 * n for n in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = b" ".join(b"%d 0 R" % page_id for page_id in page_ids)
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages)))
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    for page_id, lines in zip(page_ids, pages, strict=True):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_id + 1)
        )
        body = b"BT /F1 14 Tf 18 TL 72 770 Td " + b" T* ".join(
            _pdf_string(line) + b" Tj" for line in lines
        )
        body += b" ET"
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body))
    info: list[bytes] = []
    if title is not None:
        info.append(b"/Title " + _pdf_string(title))
    if created is not None:
        info.append(b"/CreationDate " + _pdf_string(created))
    info_id = None
    if info:
        objects.append(b"<< " + b" ".join(info) + b" >>")
        info_id = len(objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objects) + 1)
    if info_id is not None:
        trailer += b" /Info %d 0 R" % info_id
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def mixed_pdf_bytes(text_lines: Sequence[str], scanned_lines: Sequence[str]) -> bytes:
    """Two pages: the first with a text layer, the second a scan (image only)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in (text_pdf_bytes([text_lines]), scanned_pdf_bytes(scanned_lines)):
        for page in PdfReader(io.BytesIO(part)).pages:
            writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()

"""Reading documents into text: plain text and Markdown, e-mail (``.eml``, attachments too),
PDF (text layer, OCR for pages without one) and images (PNG, JPEG, TIFF, through OCR).

``read_document(path)`` returns one ``SourceDocument`` per document: the file first, then
its attachments depth-first (an e-mail attached to an e-mail is read with its own
attachments). ``text`` is what mention spans point into; it is built as follows, and spans
are character offsets into it *after* these normalisations:

White space at the start and the end of every document's text is left out (the text is what
the graph stores, and its ``text`` values keep no surrounding white space).

- **Text and Markdown** (``.txt``, ``.text``, ``.md``, ``.markdown``): decoded by this rule --
  a byte-order mark decides (UTF-8, UTF-16 LE/BE; the mark is dropped); otherwise UTF-8, and
  only bytes that are not valid UTF-8 are read as Windows-1252 (cp1252, of which Latin-1 text
  is a subset; the decoding is lossless: every byte maps to one character, and bytes cp1252
  leaves undefined make the file invalid). Not decodable, or holding NUL characters (binary,
  or UTF-16 without a mark) -> ``InvalidInput`` naming the file and the byte offset. Line
  endings (CRLF, CR) become ``\\n``. Markdown is kept as written, markup included: spans slice
  the text the analyst sees.
- **E-mail** (``.eml``, stdlib ``email`` with ``policy.default``): a header block, a blank line,
  then the body. The header block has one line per header present, in this order: ``From:``,
  ``Reply-To:``, ``To:``, ``Cc:``, ``Bcc:``, ``Date:``, ``Subject:``. Address lists are
  written ``Name <local@domain>`` (or the bare address when there is no name; groups as
  ``Group: a, b;``); a list with an address the parser cannot read is written as it stands
  in the message (RFC 2047 words decoded). ``Date`` is the header as written; ``Subject`` is
  decoded. Folded headers are unfolded. ``fields`` holds the spans in ``text`` of the
  header values: one span per address for ``from``, ``reply-to``, ``to``, ``cc``, ``bcc``
  (slicing exactly ``local@domain``), one for ``subject`` and one for ``date``. The body is
  the text/plain part, or without one the text/html part turned into text (tags dropped,
  scripts and styles dropped, block elements and ``<br>`` ending lines). Structural MIME
  faults (``msg.defects``: missing or unclosed boundaries, multipart invariants) make the
  e-mail ``InvalidInput``.
- **PDF**: pypdf's text layer page by page (``page.extract_text()``), pages joined by
  ``\\n\\n``; a page without text (or whose text layer cannot be read) is rendered at
  ``OcrSettings.dpi`` with pdfium and read by OCR. An encrypted PDF is opened with the empty
  password or refused.
- **Images** (PNG, JPEG, TIFF; every frame of a multi-frame TIFF, frames joined by
  ``\\n\\n``): OCR.

Attachments: any part with a file name or ``Content-Disposition: attachment`` (other than
the part read as the body), and every ``message/rfc822`` part. The kind is found from the
content (PDF, PNG, JPEG, TIFF signatures), then the declared content type, then the file
name's extension. Supported: PDF, images, ``text/*`` (HTML turned into text), e-mail.
Others are not read, and neither is an attachment that cannot be read (a damaged PDF...):
the parent's ``skipped`` says ``"<name>: <reason>"`` for each. More than
``MAX_ATTACHMENTS`` attachments in one file, or e-mails nested deeper than ``MAX_NESTING``,
make the whole file ``InvalidInput``. When OCR is needed and Tesseract is not installed,
``OcrUnavailable`` is raised, attachments included: an environment to fix, not a document.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import mimetypes
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import errors as email_errors
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import Address, AddressHeader
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any

import pypdf
from PIL import Image, ImageSequence, UnidentifiedImageError
from pypdf.errors import PyPdfError

from graphsvc.errors import InvalidInput
from graphsvc.ingest.documents.language import detect_language
from graphsvc.ingest.documents.ocr import OcrSettings, ocr_image, require_ocr

TEXT_SUFFIXES = frozenset({".txt", ".text"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
EMAIL_SUFFIXES = frozenset({".eml"})
PDF_SUFFIXES = frozenset({".pdf"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
DOCUMENT_SUFFIXES: frozenset[str] = (
    TEXT_SUFFIXES | MARKDOWN_SUFFIXES | EMAIL_SUFFIXES | PDF_SUFFIXES | IMAGE_SUFFIXES
)

MAX_NESTING = 5  # e-mails inside e-mails, below the file read
MAX_ATTACHMENTS = 100  # in one file, all levels counted
TITLE_CHARS = 200
MAX_RENDER_PIXELS = 12_000  # longest side of a rendered PDF page, whatever its size and the dpi

TEXT_PLAIN = "text/plain"
TEXT_MARKDOWN = "text/markdown"
TEXT_HTML = "text/html"
MESSAGE = "message/rfc822"
PDF = "application/pdf"
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg", "TIFF": "image/tiff"}

# the kinds of document this module reads
_TEXT, _MARKDOWN, _HTML, _EMAIL, _PDF, _IMAGE = "text", "markdown", "html", "email", "pdf", "image"
_SUFFIX_KINDS: dict[str, str] = {
    **dict.fromkeys(TEXT_SUFFIXES, _TEXT),
    **dict.fromkeys(MARKDOWN_SUFFIXES, _MARKDOWN),
    **dict.fromkeys(EMAIL_SUFFIXES, _EMAIL),
    **dict.fromkeys(PDF_SUFFIXES, _PDF),
    **dict.fromkeys(IMAGE_SUFFIXES, _IMAGE),
}
_TYPE_KINDS: dict[str, str] = {
    TEXT_MARKDOWN: _MARKDOWN,
    "text/x-markdown": _MARKDOWN,
    TEXT_HTML: _HTML,
    MESSAGE: _EMAIL,
    PDF: _PDF,
    "image/png": _IMAGE,
    "image/jpeg": _IMAGE,
    "image/pjpeg": _IMAGE,
    "image/tiff": _IMAGE,
}

# MIME faults that leave the message's structure unknown (the rest are repaired by the parser:
# bad base64 padding, an odd header line...)
_FATAL_DEFECTS: dict[type[email_errors.MessageDefect], str] = {
    email_errors.NoBoundaryInMultipartDefect: "a multipart part declares no boundary",
    email_errors.StartBoundaryNotFoundDefect: "the multipart boundary it declares never occurs",
    email_errors.CloseBoundaryNotFoundDefect: (
        "a multipart part is not closed by its boundary (truncated message?)"
    ),
    email_errors.MultipartInvariantViolationDefect: "a multipart part holds no parts",
    email_errors.InvalidMultipartContentTransferEncodingDefect: (
        "a multipart part has a content-transfer-encoding other than 7bit, 8bit or binary"
    ),
    email_errors.FirstHeaderLineIsContinuationDefect: (
        "the first header line is a continuation line"
    ),
}
# errors pypdf lets through on malformed files besides its own PyPdfError family
_PDF_FAULTS: tuple[type[Exception], ...] = (
    PyPdfError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    RecursionError,
    ZeroDivisionError,
)
# errors Pillow raises on files it cannot decode
_IMAGE_FAULTS: tuple[type[Exception], ...] = (
    UnidentifiedImageError,
    Image.DecompressionBombError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    struct.error,
)
# errors the stdlib header parser raises on some malformed headers
_HEADER_FAULTS: tuple[type[Exception], ...] = (
    email_errors.MessageError,
    ValueError,
    IndexError,
    TypeError,
    AttributeError,
    LookupError,
)


@dataclass(frozen=True)
class SourceDocument:
    """One document read: its text (what mention spans index) and what it says about itself."""

    path: str  # the file; for an attachment "<parent path>#<n>:<file name>", n from 1
    name: str  # the file's name (an attachment's own file name)
    media_type: str  # text/plain, text/markdown, message/rfc822, application/pdf, image/png...
    text: str  # line endings "\n"; see the module's docstring for how each kind is built
    title: str | None
    date: str | None  # ISO 8601 in UTC ("...Z") when the document states it; None otherwise
    language: str | None  # ISO 639-1, or None when too short or undetermined
    sha256: str  # hex digest of the file's bytes (an attachment's decoded bytes)
    pages: int | None = None  # PDF pages, TIFF frames
    ocr: bool = False  # OCR read (some of) the text: images; PDFs with a page without text
    parent: int | None = None  # index, in the list returned, of the document this is attached to
    fields: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # e-mail headers
    skipped: tuple[str, ...] = ()  # attachments not read: "<name>: <reason>"


def read_document(path: str | Path, *, ocr: OcrSettings | None = None) -> list[SourceDocument]:
    """The document in the file ``path``, then its attachments depth-first.

    The kind of document comes from the file's extension (``DOCUMENT_SUFFIXES``). ``ocr``
    configures OCR (``OcrSettings.from_env()`` when None, read only if OCR is needed).
    Raises ``InvalidInput`` (naming the file) for a file that cannot be read as its kind, and
    ``OcrUnavailable`` when OCR is needed and Tesseract or a language pack is missing.
    """
    where = str(path)
    file = Path(path)
    kind = _SUFFIX_KINDS.get(file.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(DOCUMENT_SUFFIXES))
        raise InvalidInput(f"not a document this reader knows (extensions: {known})", file=where)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read: {exc.strerror or exc}", file=where) from None
    reader = _Reader(ocr)
    if kind == _EMAIL:
        reader.email(_parse_email(data, where), data, path=where, name=file.name, depth=0)
    else:
        reader.out.append(reader.leaf(kind, data, path=where, name=file.name, media_type=None))
    return [_trimmed(document) for document in reader.out]


def _trimmed(document: SourceDocument) -> SourceDocument:
    """The document without white space around its text (what the graph stores and spans
    index), its field spans moved with it; a character no encoding can write (a lone
    surrogate an undecodable byte left) replaced by U+FFFD, one for one."""
    text = _SURROGATES.sub("\ufffd", document.text).strip()
    lead = len(document.text) - len(document.text.lstrip())
    if text == document.text:
        return document
    fields = {k: [(a - lead, b - lead) for a, b in v] for k, v in document.fields.items()}
    title = _SURROGATES.sub("\ufffd", document.title) if document.title else document.title
    return replace(document, text=text, fields=fields, title=title)


class _Limit(InvalidInput):
    """A limit of the whole file (attachments, nesting): never reduced to a skipped entry."""


class _Reader:
    """One read: OCR settings, the documents so far, and the attachments counted."""

    def __init__(self, settings: OcrSettings | None) -> None:
        self._settings = settings
        self._ocr_ready = False
        self.out: list[SourceDocument] = []
        self.attachments = 0

    # -- OCR -----------------------------------------------------------------------------------

    def settings(self) -> OcrSettings:
        if self._settings is None:
            self._settings = OcrSettings.from_env()
        return self._settings

    def require_ocr(self, where: str) -> None:
        """``OcrUnavailable`` naming ``where`` unless OCR can run (checked once per read)."""
        if not self._ocr_ready:
            require_ocr(self.settings(), file=where)
            self._ocr_ready = True

    def ocr(self, png: bytes, *, where: str, dpi: int | None = None) -> str:
        self.require_ocr(where)
        return ocr_image(png, self.settings(), file=where, dpi=dpi)

    # -- documents that hold no others ---------------------------------------------------------

    def leaf(
        self, kind: str, data: bytes, *, path: str, name: str, media_type: str | None
    ) -> SourceDocument:
        digest = hashlib.sha256(data).hexdigest()
        if kind in (_TEXT, _MARKDOWN, _HTML):
            text = _decode_text(data, path)
            if kind == _HTML:
                text = html_to_text(text)
                title = _first_line(text)
                media = TEXT_HTML
            elif kind == _MARKDOWN:
                title = markdown_title(text)
                media = TEXT_MARKDOWN
            else:
                title = _first_line(text)
                media = media_type or TEXT_PLAIN
            return SourceDocument(
                path=path,
                name=name,
                media_type=media,
                text=text,
                title=title,
                date=None,
                language=detect_language(text),
                sha256=digest,
            )
        if kind == _PDF:
            return self.pdf(data, path=path, name=name, digest=digest)
        if kind == _IMAGE:
            return self.image(data, path=path, name=name, digest=digest)
        raise AssertionError(f"not a leaf kind: {kind}")

    def pdf(self, data: bytes, *, path: str, name: str, digest: str) -> SourceDocument:
        try:
            reader = pypdf.PdfReader(io.BytesIO(data))
            if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
                raise InvalidInput(
                    "encrypted PDF: it cannot be opened without a password", file=path
                )
            count = len(reader.pages)
            metadata = reader.metadata
            page_texts: list[str | None] = []
            for page in reader.pages:
                try:
                    page_texts.append(page.extract_text())
                except _PDF_FAULTS:
                    page_texts.append(None)  # an unreadable text layer: OCR the page
        except _PDF_FAULTS as exc:
            raise InvalidInput(f"malformed PDF: {_reason(exc)}", file=path) from None
        title = _pdf_title(metadata)
        created = _pdf_date(metadata)
        used_ocr = False
        texts: list[str] = []
        pdfium_document: Any = None
        try:
            for number, page_text in enumerate(page_texts, start=1):
                if page_text is not None and page_text.strip():
                    texts.append(_normalise_newlines(page_text).rstrip())
                    continue
                if pdfium_document is None:
                    self.require_ocr(path)
                    pdfium_document = _open_pdfium(data, path)
                png = _render_page(pdfium_document, number, self.settings().dpi, path)
                texts.append(self.ocr(png, where=f"{path} (page {number})"))
                used_ocr = True
        finally:
            if pdfium_document is not None:
                pdfium_document.close()
        text = "\n\n".join(texts)
        return SourceDocument(
            path=path,
            name=name,
            media_type=PDF,
            text=text,
            title=title or _first_line(text),
            date=created,
            language=detect_language(text),
            sha256=digest,
            pages=count,
            ocr=used_ocr,
        )

    def image(self, data: bytes, *, path: str, name: str, digest: str) -> SourceDocument:
        frames: list[tuple[bytes, int | None]] = []
        try:
            with Image.open(io.BytesIO(data)) as image:
                media = IMAGE_TYPES.get(str(image.format))
                if media is None:
                    raise InvalidInput(
                        f"not a PNG, JPEG or TIFF image (Pillow reads it as {image.format})",
                        file=path,
                    )
                for frame in ImageSequence.Iterator(image):
                    frame.load()
                    frames.append((_png_bytes(frame), _image_dpi(frame)))
        except InvalidInput:
            raise
        except _IMAGE_FAULTS as exc:
            raise InvalidInput(f"not a readable image: {_reason(exc)}", file=path) from None
        texts = [
            self.ocr(png, where=path if len(frames) == 1 else f"{path} (frame {n})", dpi=dpi)
            for n, (png, dpi) in enumerate(frames, start=1)
        ]
        text = "\n\n".join(texts)
        return SourceDocument(
            path=path,
            name=name,
            media_type=media,
            text=text,
            title=name,
            date=None,
            language=detect_language(text),
            sha256=digest,
            pages=len(frames) if media == "image/tiff" else None,
            ocr=True,
        )

    # -- e-mail --------------------------------------------------------------------------------

    def email(
        self,
        message: EmailMessage,
        raw: bytes,
        *,
        path: str,
        name: str,
        depth: int,
        parent: int | None = None,
    ) -> None:
        """Append the e-mail, then its attachments depth-first."""
        _check_structure(message, path)
        text, fields, subject, date, body = _email_text(message)
        index = len(self.out)
        self.out.append(
            SourceDocument(
                path=path,
                name=name,
                media_type=MESSAGE,
                text=text,
                title=subject or None,
                date=date,
                language=detect_language(f"{subject}\n{body}" if subject else body),
                sha256=hashlib.sha256(raw).hexdigest(),
                parent=parent,
                fields=fields,
            )
        )
        skipped: list[str] = []
        for number, part in enumerate(_attachment_parts(message), start=1):
            self.attachments += 1
            if self.attachments > MAX_ATTACHMENTS:
                raise _Limit(
                    f"more than {MAX_ATTACHMENTS} attachments: not read (MAX_ATTACHMENTS)",
                    file=self.out[0].path,
                )
            reason = self.attachment(part, number, path=path, depth=depth, parent=index)
            if reason is not None:
                skipped.append(reason)
        if skipped:
            self.out[index] = replace(self.out[index], skipped=tuple(skipped))

    def attachment(
        self, part: Message, number: int, *, path: str, depth: int, parent: int
    ) -> str | None:
        """Read one attachment into ``out``; or why not, as ``"<name>: <reason>"``."""
        content_type = part.get_content_type()
        name = _attachment_name(part, number)
        where = f"{path}#{number}:{name}"
        nested: Message | None = None
        data = b""
        if content_type == MESSAGE or part.is_multipart():
            payload = part.get_payload()
            if (
                content_type != MESSAGE
                or not isinstance(payload, list)
                or not payload
                or not isinstance(payload[0], Message)
            ):
                return f"{name}: unsupported attachment ({content_type})"
            nested = payload[0]
            kind: str | None = _EMAIL
        else:
            decoded = part.get_payload(decode=True)
            if not isinstance(decoded, bytes):
                return f"{name}: no content"
            if any(isinstance(d, email_errors.InvalidBase64LengthDefect) for d in part.defects):
                return f"{name}: its base64 content is damaged"
            data = decoded
            kind = _attachment_kind(data, content_type, name)
        if kind is None:
            return f"{name}: unsupported type {content_type}"
        try:
            if kind == _EMAIL:
                if depth + 1 > MAX_NESTING:
                    raise _Limit(
                        f"e-mails nested more than {MAX_NESTING} deep: not read (MAX_NESTING)",
                        file=where,
                    )
                if nested is None:
                    message = _parse_email(data, where)
                else:
                    message = _as_email_message(nested)
                    data = _message_bytes(message)
                self.email(message, data, path=where, name=name, depth=depth + 1, parent=parent)
            else:
                media = content_type if kind == _TEXT and content_type.startswith("text/") else None
                document = self.leaf(kind, data, path=where, name=name, media_type=media)
                self.out.append(replace(document, parent=parent))
        except _Limit:
            raise
        except InvalidInput as exc:
            return f"{name}: {exc.message}"
        return None


# -- text ----------------------------------------------------------------------------------------


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_text(data: bytes, where: str) -> str:
    """Text by the module's rule: BOM, else UTF-8, else cp1252; line endings ``\\n``."""
    if data.startswith(codecs.BOM_UTF8):
        text = _decode(data, "utf-8", len(codecs.BOM_UTF8), where)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16-le" if data.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
        text = _decode(data, encoding, 2, where)
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as utf8_error:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise InvalidInput(
                    f"not text: invalid UTF-8 at byte offset {utf8_error.start}, and not "
                    "Windows-1252 either",
                    file=where,
                ) from None
    nul = text.find("\x00")
    if nul >= 0:
        raise InvalidInput(
            f"not text: a NUL character at character {nul} (binary, or UTF-16 without a "
            "byte-order mark)",
            file=where,
        )
    return _normalise_newlines(text)


def _decode(data: bytes, encoding: str, skip: int, where: str) -> str:
    try:
        return data[skip:].decode(encoding)
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"not valid {encoding.upper()} at byte offset {exc.start + skip}", file=where
        ) from None


def _first_line(text: str) -> str | None:
    for line in text.split("\n"):
        if line.strip():
            return _trim_title(line)
    return None


def _trim_title(title: str) -> str | None:
    title = " ".join(title.split())
    if len(title) > TITLE_CHARS:
        title = title[:TITLE_CHARS].rstrip()
    return title or None


_ATX = re.compile(r" {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_SETEXT = re.compile(r" {0,3}(?:=+|-+)[ \t]*")
_FENCE = re.compile(r" {0,3}(```|~~~)")
_FRONT_TITLE = re.compile(r"title[ \t]*:[ \t]*(.+)", re.IGNORECASE)


def markdown_title(text: str) -> str | None:
    """The first heading (``# Title``, or a line underlined by ``===``/``---``), or the
    ``title:`` of a YAML front matter; else the first non-empty line."""
    lines = text.split("\n")
    start = 0
    if lines and lines[0].strip() == "---":
        for end in range(1, len(lines)):
            if lines[end].strip() in ("---", "..."):
                for line in lines[1:end]:
                    front = _FRONT_TITLE.fullmatch(line.strip())
                    if front and _trim_title(front.group(1).strip("'\" ")):
                        return _trim_title(front.group(1).strip("'\" "))
                start = end + 1
                break
    fence: str | None = None
    for i in range(start, len(lines)):
        line = lines[i]
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1) == fence:
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        atx = _ATX.fullmatch(line)
        if atx and atx.group(1):
            return _trim_title(atx.group(1))
        if (
            line.strip()
            and i + 1 < len(lines)
            and _SETEXT.fullmatch(lines[i + 1])
            and not line.startswith(("    ", "\t"))
        ):
            return _trim_title(line)
    return _first_line(text)


_LINE_BREAK, _PARAGRAPH_BREAK = "\x00L", "\x00P"
_BREAKS = re.compile(r"(?:\s*\x00[LP])+\s*")


class _HtmlText(HTMLParser):
    """HTML to text: tags dropped, script/style/... content dropped, whitespace collapsed
    outside ``<pre>``, a line break around block elements and at ``<br>``."""

    SKIP = frozenset({"script", "style", "title", "noscript", "template", "svg", "object"})
    PARAGRAPH = frozenset(
        {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol",
         "dl", "hr", "form", "fieldset", "figure", "address"}
    )  # fmt: skip
    LINE = frozenset(
        {"br", "div", "li", "tr", "dt", "dd", "section", "article", "header", "footer", "nav",
         "aside", "main", "caption", "thead", "tbody", "tfoot", "body", "html", "center",
         "figcaption", "details", "summary", "option"}
    )  # fmt: skip
    CELL = frozenset({"td", "th"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.skipping = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "pre":
            self.pre += 1
        self._break(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag != "br":  # </br> is read as <br> by browsers; once is enough
            self._break(tag)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        data = data.replace("\x00", "")
        self.pieces.append(data if self.pre else re.sub(r"\s+", " ", data))

    def _break(self, tag: str) -> None:
        if tag in self.PARAGRAPH:
            self.pieces.append(_PARAGRAPH_BREAK)
        elif tag in self.LINE:
            self.pieces.append(_LINE_BREAK)
        elif tag in self.CELL:
            self.pieces.append(" ")

    def text(self) -> str:
        text = _normalise_newlines("".join(self.pieces)).replace("\xa0", " ")
        # a run of breaks is one line break, or a blank line when a paragraph is in it
        text = _BREAKS.sub(lambda m: "\n\n" if _PARAGRAPH_BREAK in m.group() else "\n", text)
        text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)  # no spaces around line breaks
        text = re.sub(r"[ \t]{2,}", " ", text)
        text = re.sub(r"\n{3,}", "\n\n", text)
        return text.strip()


def html_to_text(html: str) -> str:
    """The text of an HTML document or fragment (see ``_HtmlText``)."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return parser.text()


# -- e-mail --------------------------------------------------------------------------------------


def _parse_email(data: bytes, where: str) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    if not isinstance(message, EmailMessage):  # pragma: no cover - policy.default's class
        raise AssertionError(type(message))
    if not message.keys():
        raise InvalidInput("not an e-mail: no headers before the body", file=where)
    return message


def _as_email_message(message: Message) -> EmailMessage:
    if isinstance(message, EmailMessage):
        return message
    return _parse_email(message.as_bytes(), "attached message")  # pragma: no cover


def _message_bytes(message: EmailMessage) -> bytes:
    """A nested message's bytes, for its digest: the parser keeps no copy of the original, so
    the message is written again, without refolding its headers (``max_line_length=0``)."""
    return message.as_bytes(policy=policy.default.clone(max_line_length=0))


def _parts(message: Message) -> Iterator[Message]:
    """The message and its parts, not entering attached messages (read on their own)."""
    yield message
    if message.is_multipart() and message.get_content_maintype() == "multipart":
        payload = message.get_payload()
        if isinstance(payload, list):
            for part in payload:
                if isinstance(part, Message):
                    yield from _parts(part)


def _check_structure(message: Message, where: str) -> None:
    problems: list[str] = []
    for part in _parts(message):
        for defect in part.defects:
            reason = _FATAL_DEFECTS.get(type(defect))
            if reason is not None and reason not in problems:
                problems.append(reason)
    if problems:
        raise InvalidInput(f"broken MIME structure: {'; '.join(problems)}", file=where)


def _attachment_parts(message: Message) -> list[Message]:
    """The parts read as attachments, in order (see the module's docstring)."""
    try:
        body = (
            message.get_body(preferencelist=("plain", "html"))
            if isinstance(message, EmailMessage)
            else None
        )
    except _HEADER_FAULTS:
        body = None
    found: list[Message] = []

    def visit(part: Message, top: bool) -> None:
        if part is body:
            return
        content_type = part.get_content_type()
        if content_type == MESSAGE and not top:
            found.append(part)
            return
        if part.get_content_maintype() == "multipart":
            payload = part.get_payload()
            if isinstance(payload, list):
                for sub in payload:
                    if isinstance(sub, Message):
                        visit(sub, False)
            return
        try:
            named = part.get_filename() is not None
        except _HEADER_FAULTS:
            named = False
        if named or part.get_content_disposition() == "attachment":
            found.append(part)
        elif top and part.get_content_maintype() != "text":
            found.append(part)  # a message whose only content is, say, a PDF

    visit(message, True)
    return found


def _attachment_kind(data: bytes, content_type: str, name: str) -> str | None:
    """What an attachment is: by its content's signature, its content type, its extension."""
    if b"%PDF-" in data[:1024]:
        return _PDF
    if data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")):
        return _IMAGE
    kind = _TYPE_KINDS.get(content_type)
    if kind is not None:
        return kind
    by_name = _SUFFIX_KINDS.get(PurePosixPath(name).suffix.lower())
    if by_name is not None:
        return by_name
    if content_type.startswith("text/"):
        return _TEXT
    return None


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")


def _attachment_name(part: Message, number: int) -> str:
    try:
        given = part.get_filename()
    except _HEADER_FAULTS:
        given = None
    if given:
        name = PurePosixPath(_UNSAFE_NAME.sub("", str(given)).replace("\\", "/")).name.strip()
        if name and name not in (".", ".."):
            return name
    content_type = part.get_content_type()
    extension = ".eml" if content_type == MESSAGE else mimetypes.guess_extension(content_type)
    return f"attachment-{number}{extension or ''}"


def _part_text(part: Message) -> str:
    """A text part's content: its declared charset, else UTF-8, else cp1252, else UTF-8 with
    replacement characters; line endings ``\\n``."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    declared = part.get_content_charset()
    for encoding in (declared, "utf-8", "cp1252"):
        if encoding is None:
            continue
        try:
            return _normalise_newlines(payload.decode(encoding))
        except (LookupError, UnicodeDecodeError):
            continue
    return _normalise_newlines(payload.decode("utf-8", "replace"))  # pragma: no cover


_ADDRESS_HEADERS = (
    ("from", "From"),
    ("reply-to", "Reply-To"),
    ("to", "To"),
    ("cc", "Cc"),
    ("bcc", "Bcc"),
)


def _unfold(value: str) -> str:
    value = re.sub(r"\r?\n(?=[ \t])", "", _undo_surrogates(value))
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _undo_surrogates(value: str) -> str:
    """A header written in 8-bit without RFC 2047 encoding reaches us with its bytes as lone
    surrogates: read those bytes as UTF-8, else Windows-1252 (as text parts are read), and
    replace whatever still cannot be read."""
    if not _SURROGATES.search(value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return _SURROGATES.sub("\ufffd", raw.decode("utf-8", "replace"))  # pragma: no cover


def _raw_header(message: Message, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.lower() == name:
            raw = _unfold(str(value))
            try:
                return _unfold(str(make_header(decode_header(raw))))
            except _HEADER_FAULTS:
                return raw
    return None


def _address_value(message: Message, name: str) -> tuple[str, list[tuple[int, int]]] | None:
    """An address header written ``Name <addr>, ...``, and the span of each address in it."""
    try:
        header = message[name]
    except _HEADER_FAULTS:
        header = None
    raw = _raw_header(message, name)
    if raw is None:
        return None
    if isinstance(header, AddressHeader):
        try:
            groups = header.groups
            clean = not getattr(header, "defects", ()) and all(
                address.username and address.domain
                for group in groups
                for address in group.addresses
            )
        except _HEADER_FAULTS:
            clean = False
        if clean:
            return _written_groups(groups)
        # as written, with the spans of the addresses the parser could read
        spans: list[tuple[int, int]] = []
        position = 0
        try:
            addresses: tuple[Address, ...] = header.addresses
        except _HEADER_FAULTS:
            addresses = ()
        for address in addresses:
            spec = address.addr_spec
            if not (address.username and address.domain):
                continue
            found = raw.find(spec, position)
            if found >= 0:
                spans.append((found, found + len(spec)))
                position = found + len(spec)
        return raw, spans
    return raw, []


def _written_groups(groups: Any) -> tuple[str, list[tuple[int, int]]]:
    value = ""
    spans: list[tuple[int, int]] = []
    for g, group in enumerate(groups):
        if g:
            value += ", "
        if group.display_name is not None:
            value += f"{group.display_name}:" + (" " if group.addresses else "")
        for a, address in enumerate(group.addresses):
            if a:
                value += ", "
            written = _unfold(str(address))
            spec = address.addr_spec
            offset = written.rfind(spec)
            if offset < 0:  # pragma: no cover - str(Address) always ends with its addr_spec
                written, offset = spec, 0
            spans.append((len(value) + offset, len(value) + offset + len(spec)))
            value += written
        if group.display_name is not None:
            value += ";"
    return value, spans


def _email_date(message: Message) -> str | None:
    try:
        header = message["date"]
        moment = getattr(header, "datetime", None)
    except _HEADER_FAULTS:
        return None
    return _iso_utc(moment) if isinstance(moment, datetime) else None


def _email_text(
    message: EmailMessage,
) -> tuple[str, dict[str, list[tuple[int, int]]], str, str | None, str]:
    """(text, fields, subject, ISO date, body) of an e-mail."""
    lines: list[str] = []
    fields: dict[str, list[tuple[int, int]]] = {}
    offset = 0

    def add(label: str, value: str, key: str, spans: list[tuple[int, int]]) -> None:
        nonlocal offset
        start = offset + len(label) + 2
        if spans:
            fields[key] = [(start + a, start + b) for a, b in spans]
        lines.append(f"{label}: {value}")
        offset += len(label) + 2 + len(value) + 1

    for key, label in _ADDRESS_HEADERS:
        written = _address_value(message, key)
        if written is not None:
            add(label, written[0], key, written[1])
    date_written = _raw_header(message, "date")
    if date_written is not None:
        add("Date", date_written, "date", [(0, len(date_written))] if date_written else [])
    subject = ""
    if "subject" in message:
        try:
            subject = _unfold(str(message["subject"]))
        except _HEADER_FAULTS:
            subject = _raw_header(message, "subject") or ""
        if "\ufffd" in subject:  # 8-bit without encoded words: the parser gave up on bytes
            subject = _raw_header(message, "subject") or subject
        add("Subject", subject, "subject", [(0, len(subject))] if subject else [])
    try:
        body_part = message.get_body(preferencelist=("plain", "html"))
    except _HEADER_FAULTS:
        body_part = None
    body = ""
    if body_part is not None:
        body = _part_text(body_part)
        if body_part.get_content_type() == TEXT_HTML:
            body = html_to_text(body)
    text = "\n".join(lines) + "\n\n" + body
    return text, fields, subject, _email_date(message), body


# -- PDF and images ------------------------------------------------------------------------------


def _iso_utc(moment: datetime) -> str | None:
    """ISO 8601 in UTC with ``Z``; a time without an offset is taken as UTC (the model's rule
    for naive times); None for a moment UTC cannot hold (year 9999 west of Greenwich)."""
    try:
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.replace(tzinfo=None, microsecond=0).isoformat() + "Z"
    except (OverflowError, ValueError):
        return None


def _pdf_title(metadata: Any) -> str | None:
    if metadata is None:
        return None
    try:
        title = metadata.title
    except _PDF_FAULTS:
        return None
    return _trim_title(str(title)) if title else None


def _pdf_date(metadata: Any) -> str | None:
    if metadata is None:
        return None
    try:
        created = metadata.creation_date
    except _PDF_FAULTS:
        return None
    return _iso_utc(created) if isinstance(created, datetime) else None


def _open_pdfium(data: bytes, where: str) -> Any:
    import pypdfium2  # type: ignore[import-untyped]

    try:
        return pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise InvalidInput(f"malformed PDF: {_reason(exc)}", file=where) from None


def _render_page(document: Any, number: int, dpi: int, where: str) -> bytes:
    """Page ``number`` (from 1) as a PNG at ``dpi`` (less for a page too large to render)."""
    import pypdfium2

    try:
        page = document[number - 1]
        try:
            width, height = page.get_size()  # points: 1/72 inch
            scale = dpi / 72
            longest = max(float(width), float(height), 1.0)
            scale = min(scale, MAX_RENDER_PIXELS / longest)
            bitmap = page.render(scale=scale)
            image = bitmap.to_pil()
        finally:
            page.close()
    except pypdfium2.PdfiumError as exc:
        raise InvalidInput(f"cannot render page {number}: {_reason(exc)}", file=where) from None
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(round(72 * scale), round(72 * scale)))
    return buffer.getvalue()


def _png_bytes(frame: Image.Image) -> bytes:
    """One image frame as a PNG tesseract reads well: transparency flattened onto white."""
    if frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info):
        rgba = frame.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        frame = Image.alpha_composite(white, rgba).convert("RGB")
    elif frame.mode not in ("1", "L", "RGB"):
        frame = frame.convert("RGB")
    buffer = io.BytesIO()
    frame.save(buffer, format="PNG")
    return buffer.getvalue()


def _image_dpi(frame: Image.Image) -> int | None:
    dpi = frame.info.get("dpi")
    if isinstance(dpi, tuple) and dpi:
        try:
            value = round(float(dpi[0]))
        except (TypeError, ValueError):
            return None
        return value if value > 0 else None
    return None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else type(exc).__name__

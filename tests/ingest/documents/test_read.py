"""Reading documents into text: every kind from real files written to tmp_path (OCR through
the real tesseract), the fields the extraction pipeline keys on, and the errors."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pypdf
import pytest

from graphsvc.errors import InvalidInput, OcrUnavailable
from graphsvc.ingest.documents.read import (
    DOCUMENT_SUFFIXES,
    MAX_ATTACHMENTS,
    MAX_NESTING,
    SourceDocument,
    html_to_text,
    markdown_title,
    read_document,
)
from tests.ingest.documents.samples import (
    ENGLISH,
    FRENCH,
    image_bytes,
    mixed_pdf_bytes,
    render,
    scanned_pdf_bytes,
    text_pdf_bytes,
    tiff_bytes,
    words_found,
)

FRENCH_NOTE = (
    "Le suspect Jean Moreau a été interpellé à Marseille le 12 mars avec trois complices. "
    "Il utilisait le numéro 06 12 34 56 78 et un compte ouvert à Lyon."
)
ENGLISH_NOTE = (
    "The suspect was arrested in London on Tuesday with three accomplices. "
    "He used the number 07700 900123 and an account opened in Leeds."
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def only(documents: list[SourceDocument]) -> SourceDocument:
    assert len(documents) == 1
    return documents[0]


def test_suffixes_cover_every_kind() -> None:
    assert {
        ".txt", ".text", ".md", ".markdown", ".eml", ".pdf", ".png", ".jpg", ".jpeg", ".tif",
        ".tiff",
    } == DOCUMENT_SUFFIXES  # fmt: skip


# -- text and Markdown --------------------------------------------------------------------------


def test_text_with_bom_and_crlf_is_normalised(tmp_path: Path) -> None:
    raw = b"\xef\xbb\xbf  Rapport d'enqu\xc3\xaate n\xc2\xb012  \r\n\r\n" + FRENCH_NOTE.encode()
    raw += b"\r\nFin.\r"
    doc = only(read_document(write(tmp_path, "rapport.txt", raw)))
    # line endings "\n"; white space around the whole text left out, inside it kept
    assert doc.text == "Rapport d'enquête n°12  \n\n" + FRENCH_NOTE + "\nFin."
    assert doc.media_type == "text/plain"
    assert doc.title == "Rapport d'enquête n°12"
    assert doc.language == "fr"
    assert doc.sha256 == sha(raw)
    assert (doc.date, doc.pages, doc.ocr, doc.parent, doc.fields, doc.skipped) == (
        None, None, False, None, {}, ()
    )  # fmt: skip
    assert doc.path == str(tmp_path / "rapport.txt")
    assert doc.name == "rapport.txt"
    start = doc.text.index("Jean Moreau")
    assert doc.text[start : start + 11] == "Jean Moreau"


def test_title_is_trimmed_to_200_characters(tmp_path: Path) -> None:
    doc = only(read_document(write(tmp_path, "long.text", ("mot " * 100).encode())))
    assert doc.title is not None
    assert len(doc.title) <= 200
    assert doc.title.startswith("mot mot")


def test_text_not_utf8_is_read_as_cp1252(tmp_path: Path) -> None:
    raw = "Réunion à Besançon : 250 € versés.\r\n".encode("cp1252")
    doc = only(read_document(write(tmp_path, "note.txt", raw)))
    assert doc.text == "Réunion à Besançon : 250 € versés."


def test_text_with_a_utf16_bom(tmp_path: Path) -> None:
    raw = "\ufeff" + ENGLISH_NOTE + "\r\n"
    doc = only(read_document(write(tmp_path, "note.txt", raw.encode("utf-16-le"))))
    assert doc.text == ENGLISH_NOTE
    assert doc.language == "en"


def test_text_neither_utf8_nor_cp1252_is_refused_with_the_offset(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.txt", b"abc \xe9\x81 def")  # 0x81 is undefined in cp1252
    with pytest.raises(InvalidInput) as caught:
        read_document(path)
    assert caught.value.file == str(path)
    assert "byte offset 4" in caught.value.message


def test_binary_named_txt_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="NUL"):
        read_document(write(tmp_path, "blob.txt", b"PK\x03\x04\x00\x00binary"))


def test_markdown_keeps_its_markup_and_titles_from_the_first_heading(tmp_path: Path) -> None:
    raw = (
        "```\n# not a heading\n```\n\n# Note de synthèse #\r\n\r\n"
        "**Jean Moreau** a rencontré [Ana Pop](https://example.org) à *Lyon*.\r\n"
    ).encode()
    doc = only(read_document(write(tmp_path, "note.md", raw)))
    assert doc.media_type == "text/markdown"
    assert doc.title == "Note de synthèse"
    assert "**Jean Moreau** a rencontré [Ana Pop](https://example.org)" in doc.text
    assert "\r" not in doc.text


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Synthèse des écoutes\n====================\n\ntexte", "Synthèse des écoutes"),
        ("---\ntitle: 'Procès-verbal 42'\n---\n# Autre\n", "Procès-verbal 42"),
        ("pas de titre\n\nune ligne", "pas de titre"),
        ("  ## Deuxième niveau ##  \n", "Deuxième niveau"),
        ("", None),
    ],
)
def test_markdown_title(text: str, title: str | None) -> None:
    assert markdown_title(text) == title


def test_unknown_suffix_and_missing_file_are_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not a document"):
        read_document(write(tmp_path, "a.docx", b"x"))
    with pytest.raises(InvalidInput, match="cannot read") as caught:
        read_document(tmp_path / "absent.pdf")
    assert caught.value.file == str(tmp_path / "absent.pdf")


# -- e-mail --------------------------------------------------------------------------------------

SENT = datetime(2024, 3, 12, 9, 30, 5, tzinfo=timezone(timedelta(hours=1)))


def make_email(body: str = FRENCH_NOTE, *, html: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Élodie Marchand <elodie.marchand@example.fr>"
    message["To"] = '"Pop, Ana" <ana.pop@politia.example.ro>, j.smith@example.co.uk'
    message["Cc"] = "Équipe ECE: ece-1@europol.example, ece-2@europol.example;"
    message["Date"] = format_datetime(SENT)
    message["Subject"] = "Réunion de coordination — dossier Lys noir"
    if html is None:
        message.set_content(body)
    else:
        message.set_content(html, subtype="html")
    return message


def spans(doc: SourceDocument, key: str) -> list[str]:
    return [doc.text[start:end] for start, end in doc.fields[key]]


def test_email_header_block_fields_and_body(tmp_path: Path) -> None:
    raw = make_email().as_bytes()
    doc = only(read_document(write(tmp_path, "mail.eml", raw)))
    head, body = doc.text.split("\n\n", 1)
    assert head.split("\n") == [
        "From: Élodie Marchand <elodie.marchand@example.fr>",
        'To: "Pop, Ana" <ana.pop@politia.example.ro>, j.smith@example.co.uk',
        "Cc: Équipe ECE: ece-1@europol.example, ece-2@europol.example;",
        "Date: Tue, 12 Mar 2024 09:30:05 +0100",
        "Subject: Réunion de coordination — dossier Lys noir",
    ]
    assert body == FRENCH_NOTE
    assert spans(doc, "from") == ["elodie.marchand@example.fr"]
    assert spans(doc, "to") == ["ana.pop@politia.example.ro", "j.smith@example.co.uk"]
    assert spans(doc, "cc") == ["ece-1@europol.example", "ece-2@europol.example"]
    assert spans(doc, "subject") == ["Réunion de coordination — dossier Lys noir"]
    assert spans(doc, "date") == ["Tue, 12 Mar 2024 09:30:05 +0100"]
    assert doc.media_type == "message/rfc822"
    assert doc.title == "Réunion de coordination — dossier Lys noir"
    assert doc.date == "2024-03-12T08:30:05Z"
    assert doc.language == "fr"
    assert doc.sha256 == sha(raw)
    assert (doc.parent, doc.skipped, doc.ocr, doc.pages) == (None, (), False, None)


def test_email_with_html_only(tmp_path: Path) -> None:
    html = (
        "<html><head><style>p { color: red }</style><title>ignored</title></head><body>"
        "<script>var x = 'dropped';</script>"
        "<p>The suspect was <b>arrested</b> in London&nbsp;on Tuesday.</p>"
        "<div>He used the number 07700 900123<br>and an account opened in Leeds.</div>"
        "<ul><li>first item</li><li>second   item</li></ul></body></html>"
    )
    doc = only(read_document(write(tmp_path, "mail.eml", make_email(html=html).as_bytes())))
    body = doc.text.split("\n\n", 1)[1]
    assert body == (
        "The suspect was arrested in London on Tuesday.\n\n"
        "He used the number 07700 900123\nand an account opened in Leeds.\n\n"
        "first item\nsecond item"
    )
    assert doc.language == "en"


def test_html_to_text_keeps_pre_and_cells() -> None:
    text = html_to_text(
        "<table><tr><td>Nom</td><td>Tél.</td></tr><tr><td>Moreau</td><td>0612</td></tr>"
        "</table><pre>a   b\n  c</pre>"
    )
    assert text == "Nom Tél.\nMoreau 0612\n\na b\nc"


def test_address_lists_the_parser_cannot_read_are_written_as_they_stand(
    tmp_path: Path,
) -> None:
    raw = (
        b"From: Jean <jean@example.fr>\r\n"
        b"To: undisclosed-recipients:;\r\n"
        b"Cc: bad@@addr, Ok <ok@example.org>\r\n"
        b"Reply-To: =?utf-8?q?Andr=C3=A9?= <andre@example.fr>\r\n"
        b"Date: not a date\r\n"
        b"Subject: =?utf-8?q?R=C3=A9union?=\r\n  du lundi\r\n\r\nCorps.\r\n"
    )
    doc = only(read_document(write(tmp_path, "odd.eml", raw)))
    head = doc.text.split("\n\n", 1)[0].split("\n")
    assert head == [
        "From: Jean <jean@example.fr>",
        "Reply-To: André <andre@example.fr>",
        "To: undisclosed-recipients:;",
        "Cc: bad@@addr, Ok <ok@example.org>",
        "Date: not a date",
        "Subject: Réunion du lundi",
    ]
    assert spans(doc, "cc") == ["ok@example.org"]
    assert spans(doc, "reply-to") == ["andre@example.fr"]
    assert "to" not in doc.fields
    assert doc.date is None
    assert doc.text.endswith("\n\nCorps.")


def nested_email(depth: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"level{depth}@example.org"
    message["Subject"] = f"level {depth}"
    message.set_content(f"Message at level {depth}.")
    if depth > 0:
        message.add_attachment(nested_email(depth - 1))
    return message


@pytest.fixture
def email_with_attachments() -> tuple[EmailMessage, dict[str, bytes]]:
    pdf = text_pdf_bytes([ENGLISH[:2]], title="Witness statement")
    png = image_bytes(FRENCH, "PNG")
    inner = EmailMessage()
    inner["From"] = "Ana Pop <ana.pop@politia.example.ro>"
    inner["To"] = "elodie.marchand@example.fr"
    inner["Subject"] = "Fwd: lista"
    inner.set_content("Suspectul a fost văzut la Iași împreună cu doi complici, ieri seară.")
    notes = "Numéros relevés : 06 12 34 56 78.\n".encode()
    inner.add_attachment(notes, maintype="text", subtype="plain", filename="numeros.txt")
    outer = make_email()
    outer.add_attachment(pdf, maintype="application", subtype="pdf", filename="statement.pdf")
    outer.add_attachment(png, maintype="image", subtype="png", filename="../scan.png")
    outer.add_attachment(inner)
    outer.add_attachment(b"PK\x03\x04zip", maintype="application", subtype="zip", filename="a.zip")
    outer.add_attachment(
        pdf[: len(pdf) // 3], maintype="application", subtype="pdf", filename="broken.pdf"
    )
    return outer, {"pdf": pdf, "png": png, "notes": notes}


def test_email_attachments_are_read_depth_first(
    tmp_path: Path, email_with_attachments: tuple[EmailMessage, dict[str, bytes]]
) -> None:
    outer, parts = email_with_attachments
    path = write(tmp_path, "mail.eml", outer.as_bytes())
    docs = read_document(path)
    assert [(d.name, d.media_type, d.parent) for d in docs] == [
        ("mail.eml", "message/rfc822", None),
        ("statement.pdf", "application/pdf", 0),
        ("scan.png", "image/png", 0),
        ("attachment-3.eml", "message/rfc822", 0),
        ("numeros.txt", "text/plain", 3),
    ]
    mail, pdf, png, inner, notes = docs
    assert [d.path for d in docs[1:]] == [
        f"{path}#1:statement.pdf",
        f"{path}#2:scan.png",
        f"{path}#3:attachment-3.eml",
        f"{path}#3:attachment-3.eml#1:numeros.txt",
    ]
    assert len(mail.skipped) == 2
    assert mail.skipped[0] == "a.zip: unsupported type application/zip"
    assert mail.skipped[1].startswith("broken.pdf: malformed PDF: ")
    assert (pdf.sha256, png.sha256, notes.sha256) == (
        sha(parts["pdf"]), sha(parts["png"]), sha(parts["notes"])
    )  # fmt: skip
    assert pdf.title == "Witness statement"
    assert pdf.text == "\n".join(ENGLISH[:2])
    assert (pdf.pages, pdf.ocr) == (1, False)
    assert png.ocr
    assert words_found(FRENCH, png.text) == []
    assert png.language == "fr"
    assert inner.title == "Fwd: lista"
    assert inner.language == "ro"
    assert [inner.text[a:b] for a, b in inner.fields["from"]] == ["ana.pop@politia.example.ro"]
    assert notes.text == "Numéros relevés : 06 12 34 56 78."
    assert mail.language == "fr"


def test_attachment_kinds_come_from_content_type_and_name(tmp_path: Path) -> None:
    forwarded = nested_email(0).as_bytes()
    pdf = text_pdf_bytes([ENGLISH[:1]])
    message = make_email()
    message.add_attachment(
        forwarded, maintype="application", subtype="octet-stream", filename="fwd.eml"
    )
    message.add_attachment(pdf, maintype="application", subtype="octet-stream", filename="x.bin")
    message.add_attachment(
        "<p>Rendez-vous <b>demain</b> à la gare du Nord,</p><p>viens seul.</p>",
        subtype="html",
        filename="page.html",
    )
    message.add_attachment("nom;téléphone\nMoreau;0612345678\n", subtype="csv", filename="t.csv")
    message.add_attachment(
        b"GIF89a...", maintype="image", subtype="gif", filename="logo.gif", disposition="inline"
    )
    docs = read_document(write(tmp_path, "mail.eml", message.as_bytes()))
    assert [(d.name, d.media_type, d.parent) for d in docs] == [
        ("mail.eml", "message/rfc822", None),
        ("fwd.eml", "message/rfc822", 0),
        ("x.bin", "application/pdf", 0),
        ("page.html", "text/html", 0),
        ("t.csv", "text/csv", 0),
    ]
    assert docs[0].skipped == ("logo.gif: unsupported type image/gif",)
    assert docs[1].sha256 == sha(forwarded)
    assert docs[1].text.endswith("\n\nMessage at level 0.")
    assert docs[2].text == ENGLISH[0]
    assert docs[3].text == "Rendez-vous demain à la gare du Nord,\n\nviens seul."
    assert docs[4].text == "nom;téléphone\nMoreau;0612345678"


def test_a_broken_attached_email_is_skipped_and_reported(tmp_path: Path) -> None:
    raw = (
        b"From: a@example.org\r\nSubject: outer\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="OUT"\r\n\r\n'
        b"--OUT\r\nContent-Type: text/plain\r\n\r\nThe outer body.\r\n"
        b"--OUT\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment;"
        b' filename="inner.eml"\r\n\r\n'
        b'From: b@example.org\r\nContent-Type: multipart/mixed; boundary="IN"\r\n\r\n'
        b"the inner boundary never comes\r\n"
        b"--OUT--\r\n"
    )
    docs = read_document(write(tmp_path, "outer.eml", raw))
    assert len(docs) == 1
    assert docs[0].text.endswith("\n\nThe outer body.")  # the CRLF before "--OUT" is MIME's
    assert len(docs[0].skipped) == 1
    assert docs[0].skipped[0].startswith("inner.eml: broken MIME structure: ")


def test_an_attached_email_is_hashed_as_written_again(tmp_path: Path) -> None:
    outer = make_email()
    outer.add_attachment(nested_email(0))
    docs = read_document(write(tmp_path, "mail.eml", outer.as_bytes()))
    assert len(docs) == 2
    assert len(docs[1].sha256) == 64
    assert docs[1].sha256 != docs[0].sha256
    again = read_document(write(tmp_path, "again.eml", outer.as_bytes()))
    assert again[1].sha256 == docs[1].sha256


def test_nesting_deeper_than_the_cap_is_refused(tmp_path: Path) -> None:
    deepest = read_document(write(tmp_path, "ok.eml", nested_email(MAX_NESTING).as_bytes()))
    assert len(deepest) == MAX_NESTING + 1
    assert [d.parent for d in deepest] == [None, *range(MAX_NESTING)]
    path = write(tmp_path, "deep.eml", nested_email(MAX_NESTING + 1).as_bytes())
    with pytest.raises(InvalidInput, match="nested more than 5 deep") as caught:
        read_document(path)
    assert caught.value.file is not None
    assert caught.value.file.startswith(str(path))


def test_more_attachments_than_the_cap_is_refused(tmp_path: Path) -> None:
    message = make_email()
    for n in range(MAX_ATTACHMENTS + 1):
        message.add_attachment(f"note {n}", filename=f"note-{n}.txt")
    path = write(tmp_path, "many.eml", message.as_bytes())
    with pytest.raises(InvalidInput, match="more than 100 attachments") as caught:
        read_document(path)
    assert caught.value.file == str(path)


def test_broken_mime_is_invalid_input_naming_the_file(tmp_path: Path) -> None:
    raw = (
        b"From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n'
        b"no boundary anywhere in this body\r\n"
    )
    path = write(tmp_path, "broken.eml", raw)
    with pytest.raises(InvalidInput, match="broken MIME structure") as caught:
        read_document(path)
    assert caught.value.file == str(path)
    assert "boundary" in caught.value.message


def test_truncated_multipart_is_invalid_input(tmp_path: Path) -> None:
    raw = make_email()
    raw.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="x.pdf")
    data = raw.as_bytes()
    truncated = data[: data.rindex(b"--")]  # the closing boundary is gone
    with pytest.raises(InvalidInput, match="not closed"):
        read_document(write(tmp_path, "cut.eml", truncated))


def test_a_text_file_named_eml_is_not_an_email(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no headers"):
        read_document(write(tmp_path, "x.eml", b"just a line of text\nand another\n"))


# -- PDF -----------------------------------------------------------------------------------------


def test_pdf_text_layer_title_date_and_pages(tmp_path: Path) -> None:
    data = text_pdf_bytes(
        [FRENCH[:2], FRENCH[2:]],
        title="Procès-verbal d'audition",
        created="D:20240305142233+01'00'",
    )
    doc = only(read_document(write(tmp_path, "pv.pdf", data)))
    assert doc.text == "\n".join(FRENCH[:2]) + "\n\n" + "\n".join(FRENCH[2:])
    assert doc.title == "Procès-verbal d'audition"
    assert doc.date == "2024-03-05T13:22:33Z"
    assert (doc.pages, doc.ocr, doc.media_type, doc.language) == (2, False, "application/pdf", "fr")
    assert doc.sha256 == sha(data)


def test_pdf_without_title_takes_its_first_line(tmp_path: Path) -> None:
    doc = only(read_document(write(tmp_path, "x.pdf", text_pdf_bytes([ENGLISH]))))
    assert doc.title == ENGLISH[0]
    assert doc.date is None
    assert doc.language == "en"


def test_pdf_with_a_text_layer_needs_no_tesseract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "x.pdf", text_pdf_bytes([ENGLISH]))
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert only(read_document(path)).text == "\n".join(ENGLISH)


def test_scanned_pdf_is_read_by_ocr(tmp_path: Path) -> None:
    data = scanned_pdf_bytes(ENGLISH)
    doc = only(read_document(write(tmp_path, "scan.pdf", data)))
    assert doc.ocr
    assert doc.pages == 1
    assert words_found(ENGLISH, doc.text) == []
    assert doc.language == "en"
    assert doc.title is not None
    assert "suspect" in doc.title.lower()


def test_mixed_pdf_ocrs_only_the_page_without_text(tmp_path: Path) -> None:
    doc = only(read_document(write(tmp_path, "mixed.pdf", mixed_pdf_bytes(ENGLISH, FRENCH))))
    first, second = doc.text.split("\n\n", 1)
    assert first == "\n".join(ENGLISH)
    assert words_found(FRENCH, second) == []
    assert (doc.pages, doc.ocr) == (2, True)


def test_truncated_pdf_is_invalid_input_naming_the_file(tmp_path: Path) -> None:
    data = text_pdf_bytes([ENGLISH])
    path = write(tmp_path, "cut.pdf", data[: len(data) // 2])
    with pytest.raises(InvalidInput, match="malformed PDF") as caught:
        read_document(path)
    assert caught.value.file == str(path)


def encrypted(data: bytes, password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password=password, owner_password="owner", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_encrypted_pdf(tmp_path: Path) -> None:
    plain = text_pdf_bytes([ENGLISH])
    opened = only(read_document(write(tmp_path, "open.pdf", encrypted(plain, ""))))
    assert opened.text == "\n".join(ENGLISH)
    path = write(tmp_path, "locked.pdf", encrypted(plain, "secret"))
    with pytest.raises(InvalidInput, match="encrypted PDF") as caught:
        read_document(path)
    assert caught.value.file == str(path)


# -- images --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt", "lines", "language", "media_type"),
    [
        ("scan.png", "PNG", FRENCH, "fr", "image/png"),
        ("photo.jpg", "JPEG", ENGLISH, "en", "image/jpeg"),
        ("photo.jpeg", "JPEG", FRENCH, "fr", "image/jpeg"),
        ("fax.tif", "TIFF", ENGLISH, "en", "image/tiff"),
    ],
)
def test_images_are_read_by_ocr(
    tmp_path: Path, name: str, fmt: str, lines: list[str], language: str, media_type: str
) -> None:
    options = {"quality": 90} if fmt == "JPEG" else {}
    data = image_bytes(lines, fmt, **options)
    doc = only(read_document(write(tmp_path, name, data)))
    assert words_found(lines, doc.text) == []
    assert (doc.language, doc.media_type, doc.title, doc.ocr) == (language, media_type, name, True)
    assert doc.pages == (1 if fmt == "TIFF" else None)
    assert doc.sha256 == sha(data)
    assert doc.date is None


def test_multi_frame_tiff_reads_every_frame(tmp_path: Path) -> None:
    doc = only(read_document(write(tmp_path, "fax.tiff", tiff_bytes(FRENCH, ENGLISH))))
    assert doc.pages == 2
    assert words_found(FRENCH + ENGLISH, doc.text) == []
    assert doc.text.lower().index("marseille") < doc.text.lower().index("london")


def test_transparent_png_is_flattened_onto_white(tmp_path: Path) -> None:
    # black ink on a transparent black background: read as plain RGB it is all black
    image = render(ENGLISH, mode="RGBA", background=(0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    doc = only(read_document(write(tmp_path, "clear.png", buffer.getvalue())))
    assert words_found(ENGLISH, doc.text) == []


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("cut.png", image_bytes(ENGLISH, "PNG")[:400]),
        ("noise.jpg", b"\xff\xd8\xff\xe0" + b"\x00garbage" * 20),
        ("text.tiff", b"this is not an image"),
    ],
)
def test_corrupted_images_are_invalid_input(tmp_path: Path, name: str, data: bytes) -> None:
    path = write(tmp_path, name, data)
    with pytest.raises(InvalidInput, match="image") as caught:
        read_document(path)
    assert caught.value.file == str(path)


def test_a_gif_named_png_is_refused(tmp_path: Path) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (10, 10), 255).save(buffer, format="GIF")
    with pytest.raises(InvalidInput, match="not a PNG, JPEG or TIFF"):
        read_document(write(tmp_path, "x.png", buffer.getvalue()))


# -- OCR unavailable -----------------------------------------------------------------------------


@pytest.fixture
def no_tesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH holds only an empty directory: tesseract is really not found."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


HINT = "apt-get install tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng (or run `make ocr`)"


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("scan.png", lambda: image_bytes(ENGLISH, "PNG")),
        ("scan.pdf", lambda: scanned_pdf_bytes(ENGLISH)),
    ],
)
def test_missing_tesseract_is_ocr_unavailable_with_the_install_hint(
    tmp_path: Path, no_tesseract: None, name: str, make: object
) -> None:
    assert callable(make)
    path = write(tmp_path, name, make())
    with pytest.raises(OcrUnavailable) as caught:
        read_document(path)
    assert caught.value.code == "OCR_UNAVAILABLE"
    assert caught.value.file == str(path)
    assert "tesseract executable is not on PATH" in caught.value.message
    assert HINT in str(caught.value)


def test_missing_tesseract_fails_an_email_with_an_image_attachment(
    tmp_path: Path, no_tesseract: None
) -> None:
    message = make_email()
    message.add_attachment(
        image_bytes(ENGLISH, "PNG"), maintype="image", subtype="png", filename="scan.png"
    )
    path = write(tmp_path, "mail.eml", message.as_bytes())
    with pytest.raises(OcrUnavailable) as caught:
        read_document(path)
    assert caught.value.file == f"{path}#1:scan.png"


def test_a_header_in_8_bit_without_encoded_words_is_read_as_text(tmp_path: Path) -> None:
    raw = (
        b"From: Jos\xe9 Mart\xednez <jose@example.com>\r\nTo: ocrteh@example.fr\r\n"
        b"Subject: Rapport d'\xe9t\xe9\r\nDate: Tue, 15 Oct 2024 10:00:00 +0200\r\n\r\nCorps.\r\n"
    )
    doc = only(read_document(write(tmp_path, "latin1.eml", raw)))
    assert doc.text.startswith("From: José Martínez <jose@example.com>\n")
    assert doc.title == "Rapport d'été"
    assert not any("\ud800" <= char <= "\udfff" for char in doc.text)
    (a, b) = doc.fields["from"][0]
    assert doc.text[a:b] == "jose@example.com"


def test_a_date_utc_cannot_hold_is_no_date(tmp_path: Path) -> None:
    raw = (
        b"From: a@example.com\r\nTo: b@example.com\r\n"
        b"Date: Fri, 31 Dec 9999 23:00:00 -1200\r\nSubject: x\r\n\r\nCorps.\r\n"
    )
    doc = only(read_document(write(tmp_path, "far.eml", raw)))
    assert doc.date is None and doc.text.endswith("Corps.")

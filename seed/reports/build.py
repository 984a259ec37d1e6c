"""Build the binary documents of the labelled report set: the scans and the e-mail messages.

    .venv/bin/python seed/reports/build.py            # (re)write them next to this script
    .venv/bin/python seed/reports/build.py --check    # rebuild in memory, compare; 1 if stale
    .venv/bin/python seed/reports/build.py --text fr/scan-pv-renseignement-hensies.png

Written files (paths relative to ``seed/reports/``):

- ``fr/scan-pv-renseignement-hensies.png`` and ``.pdf``: a French "procès-verbal de
  renseignement" rendered as a scanned A4 page (300 dpi, 2480 x 3508 pixels, DejaVu Sans 12 pt),
  once as a PNG (16 grey levels) and once as an image-only PDF (one bilevel page, CCITT G4, no
  text layer), so text can only be had by OCR;
- ``mail/fr-ocrteh-reponse-free-mobile.eml``: an internal OCRTEH message (French) carrying a
  scanned operator's answer, ``reponse-free-mobile.png``, rendered the same way;
- ``mail/en-nca-ocrteh-corrigan.eml``: a message from the NCA to the OCRTEH (English) carrying a
  plain-text attachment, ``corrigan-subject-profile.txt``.

The texts are the constants below; ``labels.yaml`` labels them as written here (``--text``
prints the text a document's labels refer to). In these texts a no-break space (U+00A0) only
keeps a selector on one rendered line; it is rendered, printed and labelled as a plain space.

Output is deterministic: the same bytes on every run with the same Pillow, FreeType and
DejaVu fonts (the PDF dates, the MIME boundaries and the Message-IDs are fixed, PNGs are
written with fixed settings). The font is DejaVu Sans (``fc-list | grep DejaVuSans``; on
Debian/Ubuntu ``apt-get install -y fonts-dejavu-core``); set ``GRAPHSVC_SCAN_FONT_DIR`` to use
another directory holding ``DejaVuSans.ttf`` and ``DejaVuSans-Bold.ttf``.
"""

# ruff: noqa: E501  (the e-mail bodies keep one line per paragraph, as mail clients send them)

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent

DPI = 300
PAGE = (2480, 3508)  # A4 at 300 dpi
MARGIN_X = 236  # 2 cm
MARGIN_TOP = 260
POINT = DPI / 72
BODY_PT = 12
TITLE_PT = 14
NBSP = "\u00a0"

FONT_DIRS = [
    os.environ.get("GRAPHSVC_SCAN_FONT_DIR", ""),
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/local/share/fonts/dejavu",
    "/Library/Fonts",
]

# ---------------------------------------------------------------------------------------------
# The texts. A page is a list of (style, text): "title" (bold, centred), "right" (right-aligned),
# "bold", "p" (a paragraph, wrapped), "" (an empty line).

SCAN_HENSIES: list[tuple[str, str]] = [
    ("bold", "OCRTEH - Section analyse"),
    ("right", "Nanterre, le 20/06/2024"),
    ("p", "Procédure 2024/00451 - PV n° 2024/00451/21"),
    ("", ""),
    ("title", "PROCÈS-VERBAL DE RENSEIGNEMENT"),
    ("", ""),
    (
        "p",
        "Nous, Lieutenant de police Sophie LEMAIRE, officier de police judiciaire en fonction "
        "à l'OCRTEH, rapportons les informations transmises le 19/06/2024 par la PJF, par "
        "l'intermédiaire d'Europol, au sujet d'un contrôle routier effectué en Belgique.",
    ),
    (
        "p",
        "Le 18/06/2024 à 22h33, au poste frontière de Hensies, les policiers belges ont "
        "contrôlé la camionnette Mercedes Sprinter immatriculée 1-KJT-482.",
    ),
    (
        "p",
        "Le conducteur, NEAGU Dragoș, né le 17/06/1982 à Galați (Roumanie), était porteur "
        f"du téléphone +33{NBSP}6{NBSP}52{NBSP}17{NBSP}83{NBSP}40.",
    ),
    (
        "p",
        "Le passager, LĂZĂRESCU Ștefan, né le 12/04/1978 à Iași, présentait le passeport "
        f"roumain n°{NBSP}054711238 et portait le téléphone "
        f"+33{NBSP}6{NBSP}34{NBSP}71{NBSP}25{NBSP}98.",
    ),
    (
        "p",
        "M. NEAGU détenait une carte bancaire KBC Bank au nom de Transit Sambre Logistique "
        f"SRL, adossée au compte BE76{NBSP}7341{NBSP}0064{NBSP}6195.",
    ),
    (
        "p",
        "Ces éléments confirment le rôle de M. NEAGU dans la logistique du réseau et "
        f"l'utilisation de la ligne 06{NBSP}34{NBSP}71{NBSP}25{NBSP}98 par M. LĂZĂRESCU "
        "jusqu'à sa résiliation le 20/06/2024.",
    ),
    ("p", "Dont procès-verbal."),
    ("right", "Le Lieutenant de police S. LEMAIRE"),
]

SCAN_FREE: list[tuple[str, str]] = [
    ("bold", "FREE MOBILE"),
    ("p", "Service des réquisitions judiciaires"),
    ("p", "75008 Paris"),
    ("right", "Paris, le 01/07/2024"),
    ("", ""),
    ("p", "À l'attention du Brigadier-chef Nadia BENALI, OCRTEH"),
    ("p", "Objet : réponse à la réquisition n° 2024/00451/R-118 du 24/06/2024"),
    ("", ""),
    ("p", f"Ligne : 07{NBSP}49{NBSP}63{NBSP}10{NBSP}27 (offre prépayée)"),
    ("p", "Date d'activation : 22/06/2024"),
    ("p", "Titulaire déclaré : M. ROUSSEAU Benoît, né le 04/06/1977"),
    ("p", "Adresse déclarée : 329 rue des Écoles, 33000 Bordeaux"),
    ("p", "Adresse électronique : b.rousseau77@example.fr"),
    ("p", "Paiement : espèces, recharges en bureau de tabac"),
    ("p", "IMEI du terminal : 356938035643809"),
    ("p", "ICCID de la carte SIM : 8933150319080412345"),
    ("", ""),
    ("p", "Connexions à l'espace abonné (heure de Paris) :"),
    ("p", "- le 22/06/2024 à 19h02 depuis l'adresse IP 203.0.113.47 ;"),
    ("p", "- le 25/06/2024 à 08h15 depuis l'adresse IP 2001:0db8:0000:0000:0000:ff00:0042:8329."),
    ("", ""),
    (
        "p",
        f"La ligne 07{NBSP}49{NBSP}63{NBSP}10{NBSP}27 est rattachée au compte client de "
        "M. ROUSSEAU Benoît depuis le 22/06/2024 ; aucune autre ligne n'est rattachée à ce "
        "compte.",
    ),
    ("", ""),
    ("right", "Le responsable du service des réquisitions"),
]

MAIL_FR = {
    "From": "Nadia Benali <nadia.benali@ocrteh.interieur.example.fr>",
    "To": "Sophie Lemaire <sophie.lemaire@ocrteh.interieur.example.fr>",
    "Cc": "Julien Ferrand <julien.ferrand@ocrteh.interieur.example.fr>",
    "Date": "Tue, 02 Jul 2024 16:21:07 +0200",
    "Subject": "[CONFIDENTIEL] Proc. 2024/00451 - réponse Free Mobile, ligne 07 49 63 10 27",
    "Message-ID": "<20240702162107.b3e1@ocrteh.interieur.example.fr>",
}
MAIL_FR_BODY = """\
Sophie,

Ci-joint le scan de la réponse de Free Mobile à notre réquisition du 24/06/2024 concernant la ligne 07 49 63 10 27, activée le 22/06/2024.

L'abonné déclaré est encore ROUSSEAU Benoît, né le 04/06/1977 : c'est la même identité que pour les lignes 06 55 28 71 91 et 06 85 68 07 46, très probablement une identité fictive.

Les connexions à l'espace abonné se font depuis l'adresse IP 203.0.113.47, déjà relevée le 12/04/2024 sur l'espace client de la ligne 06 34 71 25 98.

Peux-tu croiser avec les fadettes et me dire si les correspondants habituels se retrouvent sur la nouvelle ligne ?

Nadia

--
Brigadier-chef Nadia BENALI
OCRTEH - Groupe d'enquête n° 3
Tél. : 01 99 00 47 12
"""

MAIL_EN = {
    "From": "Tom Ashworth <tom.ashworth@nca.example.gov.uk>",
    "To": "Sophie Lemaire <sophie.lemaire@ocrteh.interieur.example.fr>",
    "Cc": "uk.desk@europol.example.eu",
    "Date": "Wed, 10 Jul 2024 10:05:33 +0100",
    "Subject": "LYS NOIR - subject profile of Liam CORRIGAN (handling code H2)",
    "Message-ID": "<20240710090533.7c42@nca.example.gov.uk>",
}
MAIL_EN_BODY = """\
Dear Sophie,

Further to our call this morning, please find attached the NCA subject profile of Liam CORRIGAN, director of Corrigan Digital Assets Ltd.

Of note, CORRIGAN also controls the Ethereum address 0x8A84227fB88966cAd3229A9909Af9Bad2e3CfF95, which received USDT from 0xEb4284500B2EF573fD09cE6C50E5105d1115f694 on 15 June 2024.

He is due to travel to Paris on 27 August 2024. We would welcome any French reporting on his contacts there, in particular with Thierry MULLER.

Handling code H2: please do not disseminate further without our permission.

Kind regards,

Tom Ashworth
NCA International Liaison Officer, Paris
+33 1 99 00 58 31
"""

PROFILE_CORRIGAN = """\
NATIONAL CRIME AGENCY - SUBJECT PROFILE
Handling code: H2
Prepared by: DS Rachel HARGREAVES, 10/07/2024

Name: CORRIGAN, Liam Patrick
Date of birth: 22/08/1986
Place of birth: Liverpool
Nationality: British
Passport: British passport number 548213907, expires 03/02/2031
Address: Flat 12, 9 Cable Street, London E1 8JG
Mobile: 07700 900461
E-mail: liam@corrigan-assets.example.co.uk; l.corrigan86@example.com
Vehicle: black Range Rover Sport, registration LD71 XKR
Company: Corrigan Digital Assets Ltd (company number 14587236), director since 04/01/2021

Summary

CORRIGAN runs Corrigan Digital Assets Ltd, an unregistered cryptoasset exchange, from
London. CORRIGAN pays the proceeds out in euros from the company's NatWest account
GB22 NWBK 6083 7141 9263 57 and through the Revolut account LT77 3250 0164 8092 3751 held by
his associate Kevin DOYLE.

DOYLE, born 15/05/1984, uses the mobile 07700 900187 and travels regularly to Germany with
cash.
"""

# ---------------------------------------------------------------------------------------------
# Rendering


def _font(bold: bool, points: float) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for directory in FONT_DIRS:
        if directory and (Path(directory) / name).is_file():
            return ImageFont.truetype(str(Path(directory) / name), round(points * POINT))
    sys.exit(
        f"{name} not found in {[d for d in FONT_DIRS if d]}: install DejaVu "
        "(apt-get install -y fonts-dejavu-core) or set GRAPHSVC_SCAN_FONT_DIR"
    )


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy wrap on ordinary spaces only (a no-break space keeps a selector whole)."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and font.getlength(candidate.replace(NBSP, " ")) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def render_page(page: list[tuple[str, str]]) -> Image.Image:
    """A scanned-looking A4 page: black text on white, 8-bit grayscale, 300 dpi."""
    image = Image.new("L", PAGE, 255)
    draw = ImageDraw.Draw(image)
    body = _font(False, BODY_PT)
    bold = _font(True, BODY_PT)
    title = _font(True, TITLE_PT)
    width = PAGE[0] - 2 * MARGIN_X
    leading = round(BODY_PT * POINT * 1.45)
    y = MARGIN_TOP
    for style, text in page:
        if style == "":
            y += leading
            continue
        font = {"title": title, "bold": bold}.get(style, body)
        for line in _wrap(text, font, width):
            shown = line.replace(NBSP, " ")
            if style == "title":
                x = MARGIN_X + (width - font.getlength(shown)) / 2
            elif style == "right":
                x = MARGIN_X + width - font.getlength(shown)
            else:
                x = MARGIN_X
            draw.text((x, y), shown, font=font, fill=0)
            y += leading
        if style == "p":
            y += leading // 3  # paragraph spacing
    # a thin frame and a page number, as a scanner's copy of a printed form would show
    draw.rectangle(
        (MARGIN_X - 40, MARGIN_TOP - 60, PAGE[0] - MARGIN_X + 40, y + 40), outline=0, width=3
    )
    draw.text((PAGE[0] / 2, PAGE[1] - 200), "1/1", font=body, fill=0, anchor="mm")
    # 16 grey levels keep anti-aliased edges and make the PNG small
    return image.point(lambda v: (v // 17) * 17)


def page_text(page: list[tuple[str, str]]) -> str:
    """The text the labels of a scan refer to: one line per item, a blank line for ''."""
    return "\n".join(text.replace(NBSP, " ") for _, text in page) + "\n"


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True, dpi=(DPI, DPI))
    return out.getvalue()


def pdf_bytes(image: Image.Image, title: str) -> bytes:
    """An image-only PDF page. Bilevel and CCITT G4 compressed, as office scanners write them
    (JPEG when Pillow was built without libtiff)."""
    out = io.BytesIO()
    image = image.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)
    fixed = time.strptime("2024-06-20 08:00:00", "%Y-%m-%d %H:%M:%S")
    image.save(
        out,
        "PDF",
        resolution=float(DPI),
        title=title,
        author="OCRTEH",
        creator="graphsvc seed/reports/build.py",
        producer="Pillow",
        creationDate=fixed,
        modDate=fixed,
    )
    return out.getvalue()


def message_bytes(
    headers: dict[str, str], body: str, attachment: tuple[str, bytes], boundary: str
) -> bytes:
    """A MIME message (multipart/mixed): the text body and one attachment."""
    message = EmailMessage()
    for name, value in headers.items():
        message[name] = value
    message["MIME-Version"] = "1.0"
    message.set_content(body)
    name, data = attachment
    if name.endswith(".png"):
        message.add_attachment(data, maintype="image", subtype="png", filename=name)
    else:
        message.add_attachment(
            data.decode("utf-8"), subtype="plain", charset="utf-8", filename=name
        )
    message.set_boundary(boundary)
    return message.as_bytes(policy=default_policy)


def build() -> dict[str, bytes]:
    """Every binary file, by its path relative to this folder."""
    hensies = render_page(SCAN_HENSIES)
    free = render_page(SCAN_FREE)
    return {
        "fr/scan-pv-renseignement-hensies.png": png_bytes(hensies),
        "fr/scan-pv-renseignement-hensies.pdf": pdf_bytes(hensies, "PV de renseignement"),
        "mail/fr-ocrteh-reponse-free-mobile.eml": message_bytes(
            MAIL_FR,
            MAIL_FR_BODY,
            ("reponse-free-mobile.png", png_bytes(free)),
            "===============lysnoir-fr-0702==",
        ),
        "mail/en-nca-ocrteh-corrigan.eml": message_bytes(
            MAIL_EN,
            MAIL_EN_BODY,
            ("corrigan-subject-profile.txt", PROFILE_CORRIGAN.encode("utf-8")),
            "===============lysnoir-en-0710==",
        ),
    }


def message_text(headers: dict[str, str], body: str) -> str:
    """The text the labels of a message refer to: From, To, Cc, Date, Subject, then the body."""
    shown = [f"{name}: {headers[name]}" for name in ("From", "To", "Cc", "Date", "Subject")]
    return "\n".join(shown) + "\n\n" + body


TEXTS: dict[str, str] = {
    "fr/scan-pv-renseignement-hensies.png": page_text(SCAN_HENSIES),
    "fr/scan-pv-renseignement-hensies.pdf": page_text(SCAN_HENSIES),
    "mail/fr-ocrteh-reponse-free-mobile.eml": message_text(MAIL_FR, MAIL_FR_BODY),
    "mail/fr-ocrteh-reponse-free-mobile.eml#1:reponse-free-mobile.png": page_text(SCAN_FREE),
    "mail/en-nca-ocrteh-corrigan.eml": message_text(MAIL_EN, MAIL_EN_BODY),
    "mail/en-nca-ocrteh-corrigan.eml#1:corrigan-subject-profile.txt": PROFILE_CORRIGAN,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk")
    parser.add_argument(
        "--text", metavar="DOCUMENT", help="print the text a document's labels refer to"
    )
    args = parser.parse_args(argv)
    if args.text:
        if args.text not in TEXTS:
            print(f"no built text for {args.text!r}; known: {', '.join(TEXTS)}", file=sys.stderr)
            return 2
        sys.stdout.write(TEXTS[args.text])
        return 0
    files = build()
    if args.check:
        stale = [
            p
            for p, data in files.items()
            if not (HERE / p).is_file() or (HERE / p).read_bytes() != data
        ]
        for path in stale:
            print(f"differs: {path}")
        return 1 if stale else 0
    for path, data in files.items():
        target = HERE / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        print(f"{path}: {len(data):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Check labels.yaml against the documents' texts (run it after editing a report or a label).

    .venv/bin/python seed/reports/check_labels.py

For every labelled document it checks that:

- every file of manifest.yaml has labels, every label's file exists, every source is defined;
- selectors and dates: the values a generous pattern scan of the text finds (normalised as the
  graph does, with the source's country for national phone numbers) are exactly the labelled
  ones, apart from the written forms listed in NOT_SELECTORS (the deliberate traps: a scan that
  finds one must not find it labelled, and one that is labelled must be found);
- names: every word of each labelled person, organisation and location is in the text
  (case and accents ignored);
- links: both ends are labelled mentions of a linkable kind, and each pair is listed once.

It does not decide sentences or names for you: that is what the labels are for. Exit status 1
and one line per problem when something is wrong.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import re
import sys
import unicodedata
from hashlib import sha256
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from graphsvc.model.selectors import (  # noqa: E402
    normalize_bic,
    normalize_iban,
    normalize_phone,
    normalize_plate,
)

LINKABLE = {"person", "organization", "phone", "email", "iban", "ip", "crypto", "plate", "iddoc"}
NAMES = ("person", "organization", "location")

# Written forms a scan finds that are deliberately not labelled (see labels.yaml, README.md).
NOT_SELECTORS = {
    "2024/00451",  # procedure reference: parses as a French phone number
    "2024/071934",  # NCA reference: parses as a British phone number
    "FR76 3000 4008 2500 0123 4567 890",  # forged RIB: wrong checksum (found only as invalid)
    "18fM6jE7cyzJbA44iR3KXoRYCjDUNvpKtE",  # miscopied bitcoin address: wrong checksum
    "14587236",  # UK company number: parses as a British phone number
}

SCAN = {
    "phone": r"(?<![\w.:/-])(?:\+|00)?\d[\d .\-/()]{6,18}\d(?![\w/])",
    "email": r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    "iban": r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}\b",
    "bic": r"(?<=BIC )[A-Z0-9]{8,11}\b",
    "ip": r"(?<![\w.:])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])"
    r"|(?<![\w:])[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4}){2,7}(?![\w:])",
    "crypto": r"\b(?:bc1[a-z0-9]{20,70}|[13][1-9A-HJ-NP-Za-km-z]{25,34}|0x[0-9a-fA-F]{40})\b",
    "plate": r"\b(?:[A-Z]{2}-\d{3}-[A-Z]{2}|\d-[A-Z]{3}-\d{3}|\d [A-Z]{3} \d{3}"
    r"|[A-Z]{1,2} \d{2,3} [A-Z]{3}|[A-Z]{2}\d{2} [A-Z]{3})\b",
    "iddoc": r"(?:passeport(?:\s+roumain)?|passport\s+number|carte\s+(?:nationale\s+)?"
    r"d'identité(?:\s+belge)?|identity\s+card)(?:\s+n°)?\s+([A-Z0-9][A-Z0-9 .\-]{5,16}[A-Z0-9])\b",
    "date": r"\b\d{1,2}[/.]\d{1,2}[/.]\d{4}\b|(?<![\w-])\d{4}-\d{2}-\d{2}\b"
    r"|\b\d{1,2} (?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre"
    r"|novembre|décembre|January|February|March|April|May|June|July|August|September"
    r"|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b",
}
MONTHS = {
    m: i + 1
    for names in (
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
        "january february march april may june july august september october november december",
        "jan feb mar apr may jun jul aug sep oct nov dec",
    )
    for i, m in enumerate(names.split())
}
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _base58check(address: str) -> bool:
    number = 0
    for char in address:
        number = number * 58 + B58.index(char)
    raw = number.to_bytes(25, "big")
    return sha256(sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:]


def _bech32(address: str) -> bool:
    hrp, _, data = address.lower().rpartition("1")
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    values += [BECH32.index(c) for c in data]
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            check ^= generator[i] if (top >> i) & 1 else 0
    return check == 1


def _eip55(address: str) -> bool:
    from Crypto.Hash import keccak

    digest = keccak.new(digest_bits=256, data=address[2:].lower().encode()).hexdigest()
    return all(
        c == (c.upper() if int(digest[i], 16) >= 8 else c.lower())
        for i, c in enumerate(address[2:])
    )


def normalise(kind: str, written: str, region: str | None) -> str:
    """The value the graph stores for ``written``; ValueError when it is not one."""
    text = re.sub(r"\s+", " ", written.strip())
    if kind == "phone":
        return normalize_phone(text, region)
    if kind == "email":
        return text.lower()
    if kind == "iban":
        return normalize_iban(text)
    if kind == "bic":
        return normalize_bic(text)
    if kind == "ip":
        return str(ipaddress.ip_address(text))
    if kind == "plate":
        return normalize_plate(text)
    if kind == "iddoc":
        return re.sub(r"[ .\-]", "", text).upper()
    if kind == "crypto":
        if text.lower().startswith("bc1"):
            if not _bech32(text):
                raise ValueError("bech32 checksum")
            return text.lower()
        if text.startswith("0x"):
            if not _eip55(text):
                raise ValueError("EIP-55 checksum")
            return text.lower()
        if not _base58check(text):
            raise ValueError("base58check checksum")
        return text
    if kind == "date":
        if m := re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", text):
            return f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return text
        day, month, year = text.split()
        return f"{year}-{MONTHS[month.lower()]:02d}-{int(day):02d}"
    raise KeyError(kind)


def _message_date(text: str) -> set[str]:
    """The Date header of a message, as a date."""
    m = re.search(r"^Date: \w{3}, (\d{1,2}) (\w{3}) (\d{4})", text, re.MULTILINE)
    return {f"{m[3]}-{MONTHS[m[2].lower()]:02d}-{int(m[1]):02d}"} if m else set()


def scan(text: str, region: str | None) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {kind: set() for kind in SCAN}
    for kind, pattern in SCAN.items():
        for match in re.finditer(pattern, text):
            written = match.group(match.lastindex or 0)
            if written in NOT_SELECTORS:
                continue
            if kind == "phone" and sum(c.isdigit() for c in written) < 8:
                continue
            if kind == "phone" and re.fullmatch(
                r"\d{1,2}[/.]\d{1,2}[/.]\d{4}|(?:\d{1,3}\.){3}\d{1,3}", written
            ):
                continue  # a date or an IPv4 address (203.0.113.47 parses as a phone number)
            try:
                found[kind].add(normalise(kind, written, region))
            except (ValueError, KeyError, IndexError):
                continue
    found["date"] |= _message_date(text)
    # an IBAN, a card or a reference read as a phone number is not one when it is labelled
    # as something else: the caller compares per kind, so drop phone values made of the
    # digits of another found selector
    digits = {re.sub(r"\D", "", v) for k in ("iban", "iddoc") for v in found[k]}
    found["phone"] = {p for p in found["phone"] if not any(p[3:] in d for d in digits)}
    return found


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def texts() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location("reports_build", HERE / "build.py")
    assert spec and spec.loader
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return dict(build.TEXTS)


def check() -> list[str]:
    problems: list[str] = []
    labels = yaml.safe_load((HERE / "labels.yaml").read_text(encoding="utf-8"))
    manifest = yaml.safe_load((HERE / "manifest.yaml").read_text(encoding="utf-8"))
    sources: dict[str, Any] = yaml.safe_load(
        (HERE / manifest["sources"]).read_text(encoding="utf-8")
    )["sources"]
    listed = {f["path"]: f["source"] for f in manifest["files"]}
    built = texts()
    documents = {d["file"]: d for d in labels["documents"]}
    for path in listed:
        if path not in documents:
            problems.append(f"{path}: in the manifest, not labelled")
    for name, doc in documents.items():
        where = name
        base = name.split("#", 1)[0]
        if listed.get(base) != doc["source"]:
            problems.append(f"{where}: source {doc['source']} differs from the manifest's")
        if doc["source"] not in sources:
            problems.append(f"{where}: unknown source {doc['source']}")
            continue
        region = sources[doc["source"]].get("country")
        text = built[name] if name in built else (HERE / name).read_text(encoding="utf-8")
        mentions: dict[str, list[str]] = doc["mentions"]
        found = scan(text, region)
        for kind in SCAN:
            labelled = set(mentions.get(kind) or [])
            for value in sorted(labelled - found[kind]):
                problems.append(f"{where}: {kind} {value} labelled, not found in the text")
            for value in sorted(found[kind] - labelled):
                problems.append(f"{where}: {kind} {value} in the text, not labelled")
        folded = _fold(text)
        for kind in NAMES:
            for value in mentions.get(kind) or []:
                missing = [w for w in _fold(value).split() if w not in folded]
                if missing:
                    problems.append(f"{where}: {kind} {value!r}: {missing} not in the text")
        ends = {f"{k}:{v}" for k, values in mentions.items() if k in LINKABLE for v in values}
        seen: set[frozenset[str]] = set()
        for pair in doc.get("links") or []:
            if len(pair) != 2 or pair[0] == pair[1]:
                problems.append(f"{where}: link {pair} is not a pair")
                continue
            for end in pair:
                if end not in ends:
                    problems.append(f"{where}: link end {end} is not a linkable labelled mention")
            key = frozenset(pair)
            if key in seen:
                problems.append(f"{where}: link {pair} listed twice")
            seen.add(key)
    return problems


def main() -> int:
    problems = check()
    for problem in problems:
        print(problem)
    if not problems:
        print("labels.yaml agrees with the texts")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

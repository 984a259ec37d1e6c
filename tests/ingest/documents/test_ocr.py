"""OCR through the real tesseract executable: settings, what is missing, text out, failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphsvc.errors import InvalidConfig, InvalidInput, OcrUnavailable
from graphsvc.ingest.documents.ocr import (
    OcrSettings,
    install_hint,
    ocr_image,
    require_ocr,
    tesseract_available,
)
from tests.ingest.documents.samples import ENGLISH, FRENCH, image_bytes, words_found

HINT = "apt-get install tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng (or run `make ocr`)"


@pytest.fixture
def no_tesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_default_settings() -> None:
    settings = OcrSettings()
    assert (settings.languages, settings.dpi, settings.timeout) == ("fra+eng", 300, 120)
    assert settings.language_list == ("fra", "eng")


def test_settings_from_the_environment() -> None:
    assert OcrSettings.from_env({}) == OcrSettings()
    settings = OcrSettings.from_env(
        {
            "GRAPHSVC_OCR_LANGUAGES": " ron+fra+eng ",
            "GRAPHSVC_OCR_DPI": "200",
            "GRAPHSVC_OCR_TIMEOUT": "7.5",
        }
    )
    assert settings == OcrSettings(languages="ron+fra+eng", dpi=200, timeout=7.5)


def test_settings_from_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHSVC_OCR_LANGUAGES", "eng")
    assert OcrSettings.from_env().languages == "eng"


@pytest.mark.parametrize(
    ("environ", "field"),
    [
        ({"GRAPHSVC_OCR_LANGUAGES": "fra eng"}, "GRAPHSVC_OCR_LANGUAGES"),
        ({"GRAPHSVC_OCR_LANGUAGES": "fra+;rm -rf"}, "GRAPHSVC_OCR_LANGUAGES"),
        ({"GRAPHSVC_OCR_DPI": "high"}, "GRAPHSVC_OCR_DPI"),
        ({"GRAPHSVC_OCR_DPI": "5000"}, "GRAPHSVC_OCR_DPI"),
        ({"GRAPHSVC_OCR_TIMEOUT": "0"}, "GRAPHSVC_OCR_TIMEOUT"),
        ({"GRAPHSVC_OCR_TIMEOUT": "soon"}, "GRAPHSVC_OCR_TIMEOUT"),
    ],
)
def test_bad_settings_are_invalid_config(environ: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidConfig) as caught:
        OcrSettings.from_env(environ)
    assert caught.value.field == field


def test_install_hint_names_the_language_packs() -> None:
    assert install_hint(OcrSettings()) == HINT
    assert install_hint(OcrSettings(languages="ron+chi_sim+osd")) == (
        "apt-get install tesseract-ocr tesseract-ocr-ron tesseract-ocr-chi-sim (or run `make ocr`)"
    )


def test_tesseract_is_available_with_french_and_english() -> None:
    # the set-up (make ocr) installs it: OCR is part of what the suite checks
    assert tesseract_available(OcrSettings()) is None


def test_a_missing_language_pack_is_named() -> None:
    missing = tesseract_available(OcrSettings(languages="fra+qqq"))
    assert missing is not None
    assert "qqq" in missing
    assert "fra" not in missing.split("lists:")[0]
    with pytest.raises(OcrUnavailable, match="qqq") as caught:
        require_ocr(OcrSettings(languages="fra+qqq"), file="scan.png")
    assert caught.value.file == "scan.png"
    assert "tesseract-ocr-qqq" in caught.value.message


def test_missing_executable(no_tesseract: None) -> None:
    assert tesseract_available(OcrSettings()) == "the tesseract executable is not on PATH"
    with pytest.raises(OcrUnavailable) as caught:
        ocr_image(image_bytes(ENGLISH, "PNG"), OcrSettings(), file="scan.png")
    assert caught.value.code == "OCR_UNAVAILABLE"
    assert caught.value.file == "scan.png"
    assert HINT in caught.value.message


def test_ocr_of_bytes_and_of_a_file(tmp_path: Path) -> None:
    text = ocr_image(image_bytes(FRENCH, "PNG"), OcrSettings())
    assert words_found(FRENCH, text) == []
    assert "\r" not in text and "\f" not in text
    assert text == text.strip()
    path = tmp_path / "scan.jpg"
    path.write_bytes(image_bytes(ENGLISH, "JPEG", quality=90))
    assert words_found(ENGLISH, ocr_image(path, OcrSettings(languages="eng"))) == []


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read") as caught:
        ocr_image(tmp_path / "absent.png", OcrSettings())
    assert caught.value.file == str(tmp_path / "absent.png")


def test_tesseract_failure_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="tesseract could not read the image") as caught:
        ocr_image(b"this is not an image at all", OcrSettings(), file="junk.png")
    assert caught.value.file == "junk.png"


def test_timeout_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match=r"OCR took longer than 0\.001 s") as caught:
        ocr_image(image_bytes(FRENCH, "PNG"), OcrSettings(timeout=0.001), file="slow.png")
    assert caught.value.file == "slow.png"

"""OCR: the text of an image, read by the Tesseract executable.

Scanned PDF pages and images (PNG, JPEG, TIFF) have no text layer; ``ocr_image`` runs
``tesseract stdin stdout --psm 3 -l <languages> --dpi <dpi>`` on one image (its bytes go to
tesseract's standard input, the text comes back on its standard output; no temporary files, no
Python wrapper). Tesseract and its language packs are Debian packages (``tesseract-ocr``,
``tesseract-ocr-fra``, ``tesseract-ocr-eng``) that ``make ocr`` installs where it can.

Settings (``OcrSettings.from_env``):

- ``GRAPHSVC_OCR_LANGUAGES`` -- Tesseract languages joined by ``+`` (default ``fra+eng``);
- ``GRAPHSVC_OCR_DPI`` -- resolution scanned PDF pages are rendered at, and the one assumed
  for images that do not state theirs (default 300);
- ``GRAPHSVC_OCR_TIMEOUT`` -- seconds one image may take (default 120).

Errors: OCR needed but Tesseract or a language pack missing -> ``OcrUnavailable`` (with the
command that installs it); a timeout or a failure of tesseract on an image -> ``InvalidInput``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from graphsvc.errors import InvalidConfig, InvalidInput, OcrUnavailable

DEFAULT_LANGUAGES = "fra+eng"
ENV_LANGUAGES = "GRAPHSVC_OCR_LANGUAGES"
ENV_DPI = "GRAPHSVC_OCR_DPI"
ENV_TIMEOUT = "GRAPHSVC_OCR_TIMEOUT"
MIN_DPI, MAX_DPI = 70, 1200
LIST_LANGS_TIMEOUT = 30.0  # seconds for `tesseract --list-langs`

# a Tesseract language (traineddata) name: "fra", "chi_sim", "script/Latin"
_LANGUAGE = re.compile(r"[A-Za-z0-9_]+(?:/[A-Za-z0-9_]+)?")


@dataclass(frozen=True)
class OcrSettings:
    """How OCR runs: Tesseract languages (``+``-joined), rendering resolution, time limit."""

    languages: str = DEFAULT_LANGUAGES
    dpi: int = 300
    timeout: float = 120

    def __post_init__(self) -> None:
        if not all(_LANGUAGE.fullmatch(lang) for lang in self.languages.split("+")):
            raise InvalidConfig(
                f"OCR languages must be Tesseract language names joined by '+' (such as "
                f"'fra+eng'), not {self.languages!r}",
                field=ENV_LANGUAGES,
            )
        if not MIN_DPI <= self.dpi <= MAX_DPI:
            raise InvalidConfig(
                f"OCR resolution must be {MIN_DPI}..{MAX_DPI} dpi, not {self.dpi}", field=ENV_DPI
            )
        if not self.timeout > 0:
            raise InvalidConfig(
                f"OCR timeout must be a positive number of seconds, not {self.timeout}",
                field=ENV_TIMEOUT,
            )

    @property
    def language_list(self) -> tuple[str, ...]:
        return tuple(self.languages.split("+"))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OcrSettings:
        """Settings from ``GRAPHSVC_OCR_LANGUAGES``, ``GRAPHSVC_OCR_DPI`` and
        ``GRAPHSVC_OCR_TIMEOUT`` (``os.environ`` unless ``environ`` is given); unset or empty
        variables keep the defaults."""
        env = os.environ if environ is None else environ
        languages = env.get(ENV_LANGUAGES, "").strip() or DEFAULT_LANGUAGES
        dpi_text = env.get(ENV_DPI, "").strip()
        timeout_text = env.get(ENV_TIMEOUT, "").strip()
        try:
            dpi = int(dpi_text) if dpi_text else cls.dpi
        except ValueError:
            raise InvalidConfig(f"not a whole number: {dpi_text!r}", field=ENV_DPI) from None
        try:
            timeout = float(timeout_text) if timeout_text else cls.timeout
        except ValueError:
            raise InvalidConfig(f"not a number: {timeout_text!r}", field=ENV_TIMEOUT) from None
        return cls(languages=languages, dpi=dpi, timeout=timeout)


def install_hint(settings: OcrSettings) -> str:
    """The command that installs Tesseract with the settings' languages (Debian packages)."""
    packs = " ".join(
        f"tesseract-ocr-{lang.lower().replace('_', '-')}"
        for lang in settings.language_list
        if "/" not in lang and lang != "osd"
    )
    return f"apt-get install tesseract-ocr {packs} (or run `make ocr`)"


def _installed_languages(executable: str) -> tuple[set[str] | None, str]:
    """The languages `tesseract --list-langs` lists, or None and why it could not say."""
    try:
        done = subprocess.run(
            [executable, "--list-langs"],
            capture_output=True,
            timeout=LIST_LANGS_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"`tesseract --list-langs` failed: {exc}"
    if done.returncode != 0:
        return None, f"`tesseract --list-langs` failed: {_last_line(done.stderr)}"
    # the first line is "List of available languages in "<dir>" (N):"
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    return {line.strip() for line in lines[1:] if line.strip()}, ""


def tesseract_available(settings: OcrSettings | None = None) -> str | None:
    """None when OCR can run with ``settings``; otherwise what is missing: the ``tesseract``
    executable on PATH, or language packs that ``tesseract --list-langs`` does not list."""
    settings = settings if settings is not None else OcrSettings.from_env()
    executable = shutil.which("tesseract")
    if executable is None:
        return "the tesseract executable is not on PATH"
    installed, why = _installed_languages(executable)
    if installed is None:
        return why
    missing = [lang for lang in settings.language_list if lang not in installed]
    if missing:
        listed = ", ".join(sorted(installed)) or "none"
        return (
            f"Tesseract language pack(s) {', '.join(missing)} not installed "
            f"(tesseract --list-langs lists: {listed})"
        )
    return None


def require_ocr(settings: OcrSettings, *, file: str | None = None) -> None:
    """Raise ``OcrUnavailable`` naming ``file`` when OCR cannot run with ``settings``."""
    missing = tesseract_available(settings)
    if missing is not None:
        raise OcrUnavailable(
            f"this document needs OCR, which is unavailable: {missing}; install it with "
            f"{install_hint(settings)}",
            file=file,
        )


def ocr_image(
    data: bytes | Path,
    settings: OcrSettings | None = None,
    *,
    file: str | None = None,
    dpi: int | None = None,
) -> str:
    """The text Tesseract reads in one image (PNG, JPEG, TIFF, ... as bytes or a file).

    ``dpi`` is the image's resolution when it states one (``settings.dpi`` otherwise).
    Line endings are ``\\n``; tesseract's form feeds become blank lines; trailing whitespace
    is dropped. ``file`` names the document in errors: ``OcrUnavailable`` when tesseract is
    missing, ``InvalidInput`` when it fails or exceeds ``settings.timeout``.
    """
    settings = settings if settings is not None else OcrSettings.from_env()
    where = file if file is not None else (str(data) if isinstance(data, Path) else None)
    if isinstance(data, Path):
        try:
            data = data.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read: {exc.strerror or exc}", file=where) from None
    executable = shutil.which("tesseract")
    if executable is None:
        require_ocr(settings, file=where)  # raises, naming what is missing
        raise AssertionError("unreachable")
    resolution = dpi if dpi is not None and MIN_DPI <= dpi <= MAX_DPI else settings.dpi
    command = [
        executable,
        "stdin",
        "stdout",
        "--psm",
        "3",
        "-l",
        settings.languages,
        "--dpi",
        str(resolution),
    ]
    env = dict(os.environ)
    # Tesseract's OpenMP threads mostly slow it down on page-sized images; one is the usual advice
    env.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        done = subprocess.run(
            command,
            input=data,
            capture_output=True,
            timeout=settings.timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InvalidInput(
            f"OCR took longer than {settings.timeout:g} s (GRAPHSVC_OCR_TIMEOUT)", file=where
        ) from None
    except OSError as exc:
        raise OcrUnavailable(
            f"cannot run tesseract: {exc}; install it with {install_hint(settings)}", file=where
        ) from None
    if done.returncode != 0:
        missing = tesseract_available(settings)
        if missing is not None:
            require_ocr(settings, file=where)
        raise InvalidInput(
            f"tesseract could not read the image (exit status {done.returncode}): "
            f"{_last_line(done.stderr)}",
            file=where,
        )
    text = done.stdout.decode("utf-8", "replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    return lines[-1] if lines else "no message"

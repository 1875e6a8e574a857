"""Camera settings as numbers: the photographer's free text (`f/8`, `1/250s`, `ISO 200`) read."""

from __future__ import annotations

import functools
import re

_NUMBER = r"(\d+(?:[.,]\d+)?|[.,]\d+)"
_APERTURE = re.compile(rf"(?:[fƒ]\s*(?:/|:|-)?\s*)?{_NUMBER}", re.I)
_SECONDS = r"(?:s|secs?|seconds?|\"|″|'')"
_MINUTES = r"(?:m|mins?|minutes?)"
_SHUTTER_FRACTION = re.compile(rf"{_NUMBER}\s*/\s*{_NUMBER}\s*(?:th)?\s*{_SECONDS}?", re.I)
_SHUTTER_PLAIN = re.compile(rf"{_NUMBER}\s*({_SECONDS}|{_MINUTES})?", re.I)
_SHUTTER_QUOTE = re.compile(r"(\d+)\s*(?:\"|″|'')\s*(\d+)")  # 1"5 is 1.5 s on camera displays
_ISO = re.compile(r"(?:iso\s*[-:]?\s*)?(\d{1,3}(?:,\d{3})+|\d+)(?:\s*iso)?", re.I)

# Maker names as photographers and EXIF write them, and model lines that name their maker.
_MAKERS = {
    "nikon": "Nikon",
    "canon": "Canon",
    "sony": "Sony",
    "fujifilm": "Fujifilm",
    "fuji": "Fujifilm",
    "olympus": "Olympus",
    "om system": "OM System",
    "om digital": "OM System",
    "panasonic": "Panasonic",
    "pentax": "Pentax",
    "asahi": "Pentax",
    "ricoh": "Ricoh",
    "leica": "Leica",
    "samsung": "Samsung",
    "kodak": "Kodak",
    "konica minolta": "Konica Minolta",
    "minolta": "Minolta",
    "konica": "Konica",
    "sigma": "Sigma",
    "hasselblad": "Hasselblad",
    "mamiya": "Mamiya",
    "phase one": "Phase One",
    "contax": "Contax",
    "casio": "Casio",
    "epson": "Epson",
    "apple": "Apple",
    "google": "Google",
    "huawei": "Huawei",
    "xiaomi": "Xiaomi",
    "motorola": "Motorola",
    "nokia": "Nokia",
    "lg": "LG",
    "hp": "HP",
    "sanyo": "Sanyo",
    "toshiba": "Toshiba",
    "jvc": "JVC",
    "polaroid": "Polaroid",
    "dji": "DJI",
    "gopro": "GoPro",
    "yashica": "Yashica",
    "rollei": "Rollei",
    "zeiss": "Zeiss",
    "voigtlander": "Voigtländer",
    "voigtländer": "Voigtländer",
    "bronica": "Bronica",
    "zenit": "Zenit",
    "praktica": "Praktica",
    "holga": "Holga",
    "lomo": "Lomo",
    "linhof": "Linhof",
    "graflex": "Graflex",
}
_MODEL_LINES = {
    "eos": "Canon",
    "powershot": "Canon",
    "ixus": "Canon",
    "coolpix": "Nikon",
    "cyber-shot": "Sony",
    "cybershot": "Sony",
    "dsc": "Sony",
    "finepix": "Fujifilm",
    "lumix": "Panasonic",
    "dmc": "Panasonic",
    "iphone": "Apple",
    "ipad": "Apple",
    "pixel": "Google",
    "galaxy": "Samsung",
    "dimage": "Minolta",
    "easyshare": "Kodak",
    "optio": "Pentax",
    "exilim": "Casio",
}
_WORD = re.compile(r"[a-zà-ÿ0-9]+(?:-[a-zà-ÿ]+)?", re.I)


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def aperture_f(value: str | None) -> float | None:
    """The f-number of `f/8`, `F8`, `8`, `f/2.8`, `f2,8`; None when it is not one."""
    if not value:
        return None
    match = _APERTURE.fullmatch(value.strip())
    if not match:
        return None
    number = _number(match.group(1))
    return number if 0.5 <= number <= 256 else None


def shutter_s(value: str | None) -> float | None:
    """Seconds of `1/250`, `1/250s`, `2"`, `0.5`, `2 sec`, `1"5`, `2 min`; None otherwise."""
    if not value:
        return None
    text = value.strip().rstrip(".").strip()
    if match := _SHUTTER_FRACTION.fullmatch(text):
        numerator, denominator = _number(match.group(1)), _number(match.group(2))
        seconds = numerator / denominator if denominator else None
    elif match := _SHUTTER_QUOTE.fullmatch(text):
        seconds = float(f"{match.group(1)}.{match.group(2)}")
    elif match := _SHUTTER_PLAIN.fullmatch(text):
        seconds = _number(match.group(1))
        unit = (match.group(2) or "").lower()
        if unit.startswith("m"):
            seconds *= 60
    else:
        return None
    return seconds if seconds is not None and 0 < seconds <= 86400 else None


def iso_value(value: str | None) -> int | None:
    """The ISO speed of `200`, `ISO 200`, `ISO200`, `1,600`; None for `Auto` and the like."""
    if not value:
        return None
    match = _ISO.fullmatch(value.strip())
    if not match:
        return None
    number = int(match.group(1).replace(",", ""))
    return number if 1 <= number <= 10_000_000 else None


@functools.lru_cache(maxsize=4096)
def camera_make(camera: str | None) -> str | None:
    """The maker of a camera name (`Canon EOS 5D`, `NIKON CORPORATION NIKON D3`, `iPhone 12`)."""
    if not camera:
        return None
    words = [word.lower() for word in _WORD.findall(camera)]
    for size in (2, 1):
        for start in range(len(words) - size + 1):
            key = " ".join(words[start : start + size])
            if key in _MAKERS:
                return _MAKERS[key]
    for word in words:
        line = word.split("-")[0] if word not in _MODEL_LINES else word
        if line in _MODEL_LINES:
            return _MODEL_LINES[line]
    return None

"""Numeric camera settings read from the photographer's text: one row per format."""

from __future__ import annotations

import pytest

from dpchallenge.pages.camera import aperture_f, camera_make, iso_value, shutter_s


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("f/8", 8.0),
        ("F8", 8.0),
        ("8", 8.0),
        ("f/2.8", 2.8),
        ("F/2.8", 2.8),
        ("f2.8", 2.8),
        ("f 11", 11.0),
        ("f/2,8", 2.8),
        ("ƒ/1.4", 1.4),
        (" f/16 ", 16.0),
        ("f/8.0", 8.0),
        ("wide open", None),
        ("f/", None),
        ("1/250", None),
        ("f/0", None),
        ("", None),
        (None, None),
    ],
)
def test_aperture_f(raw, expected):
    assert aperture_f(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1/250", 1 / 250),
        ("1/250s", 1 / 250),
        ("1/250 sec", 1 / 250),
        ("1/250 sec.", 1 / 250),
        ("1/250th", 1 / 250),
        ("1 / 4000", 1 / 4000),
        ("1/2.5", 1 / 2.5),
        ('2"', 2.0),
        ("2″", 2.0),
        ('1"5', 1.5),
        ("0.5", 0.5),
        ("0,5 s", 0.5),
        ("2 sec", 2.0),
        ("2s", 2.0),
        ("30 seconds", 30.0),
        ("2 min", 120.0),
        ("bulb", None),
        ("1/0", None),
        ("0", None),
        ("", None),
        (None, None),
    ],
)
def test_shutter_s(raw, expected):
    got = shutter_s(raw)
    assert got == pytest.approx(expected) if expected is not None else got is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("200", 200),
        ("ISO 200", 200),
        ("ISO200", 200),
        ("iso-400", 400),
        ("1,600", 1600),
        ("100 ISO", 100),
        ("Auto", None),
        ("ISO", None),
        ("0", None),
        ("", None),
        (None, None),
    ],
)
def test_iso_value(raw, expected):
    assert iso_value(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nikon D60", "Nikon"),
        ("NIKON CORPORATION NIKON D3", "Nikon"),
        ("Canon EOS-7D", "Canon"),
        ("EOS 5D Mark II", "Canon"),
        ("Canon PowerShot G9", "Canon"),
        ("Sony A7 III", "Sony"),
        ("Cyber-shot DSC-W80", "Sony"),
        ("DSC-H9", "Sony"),
        ("Fujifilm X-T2", "Fujifilm"),
        ("FUJIFILM FinePix S5Pro", "Fujifilm"),
        ("Fuji S2 Pro", "Fujifilm"),
        ("FinePix F30", "Fujifilm"),
        ("Olympus E-M5", "Olympus"),
        ("OM System OM-1", "OM System"),
        ("Panasonic Lumix DMC-FZ8", "Panasonic"),
        ("Lumix GH5", "Panasonic"),
        ("Pentax K-5", "Pentax"),
        ("Asahi Pentax Spotmatic", "Pentax"),
        ("Konica Minolta Dynax 7D", "Konica Minolta"),
        ("Minolta DiMAGE A2", "Minolta"),
        ("Leica M9", "Leica"),
        ("iPhone 12 Pro", "Apple"),
        ("Pixel 7", "Google"),
        ("Samsung Galaxy S21", "Samsung"),
        ("Ricoh GR III", "Ricoh"),
        ("Hasselblad X1D", "Hasselblad"),
        ("Homemade pinhole", None),
        ("", None),
        (None, None),
    ],
)
def test_camera_make(raw, expected):
    assert camera_make(raw) == expected

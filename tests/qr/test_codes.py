"""Printed codes: random, unique, forgiving of what people type."""

from __future__ import annotations

import pytest

from feedback.qr.codes import ALPHABET, CODE_LENGTH, InvalidCode, generate_code, group, normalise_code


def test_codes_are_8_crockford_characters_with_40_random_bits() -> None:
    codes = {generate_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == CODE_LENGTH and set(c) <= set(ALPHABET) for c in codes)
    assert len(ALPHABET) ** CODE_LENGTH == 2**40
    assert not set("ILOU") & set(ALPHABET)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7K3QX9PM", "7K3QX9PM"),
        ("7k3qx9pm", "7K3QX9PM"),
        (" 7K3Q-X9PM ", "7K3QX9PM"),
        ("7k3q x9pm", "7K3QX9PM"),
        ("O0IL-1lio", "00111110"),
        ("7K3Q_X9PM", "7K3QX9PM"),
    ],
)
def test_typing_is_forgiving(typed: str, expected: str) -> None:
    assert normalise_code(typed) == expected


@pytest.mark.parametrize(
    "typed",
    ["", "7K3QX9P", "7K3QX9PMM", "7K3QX9PU", "ÄK3QX9PM", "../etc/passwd", "7K3Q%00X9PM", "x" * 5000, "７K3QX9PM"],
)
def test_malformed_codes_are_refused(typed: str) -> None:
    with pytest.raises(InvalidCode):
        normalise_code(typed)


def test_codes_are_printed_in_readable_groups() -> None:
    assert group("7K3QX9PM") == "7K3Q-X9PM"

"""Money and months as people read them in the back office (core.format), in each language."""

import datetime

import pytest
from django.utils import translation

from core.format import choice_labels, month_label, rupiah
from registration.choices import ReviewFlag


@pytest.mark.parametrize("language, amount, shown", [
    ("id", 36800, "Rp36.800"), ("id", 433200, "Rp433.200"), ("id", 1_000_000, "Rp1.000.000"), ("id", 0, "Rp0"),
    ("en", 36800, "Rp36,800"),
])
def test_rupiah(language, amount, shown):
    with translation.override(language):
        assert rupiah(amount) == shown


@pytest.mark.parametrize("language, month, shown", [
    ("id", datetime.date(2026, 12, 1), "Des 2026"), ("id", datetime.date(2027, 2, 1), "Feb 2027"),
    ("id", datetime.date(2026, 8, 1), "Agu 2026"), ("en", datetime.date(2026, 12, 1), "Dec 2026"),
])
def test_month_label(language, month, shown):
    with translation.override(language):
        assert month_label(month) == shown


def test_flags_are_shown_by_their_labels_never_as_a_list_of_codes():
    with translation.override("id"):
        shown = choice_labels(["sponsor_burst", "registry_mismatch"], ReviewFlag)
    assert shown == "Sponsor mendaftarkan banyak pekerja dalam 24 jam, Dukcapil melaporkan data tidak cocok"
    assert "[" not in shown and "_" not in shown

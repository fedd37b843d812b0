"""Pricing: each month by the rates in force for that month and the worker's sector (PP 50/2025)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from contributions import services
from contributions.models import ContributionRate
from contributions.pricing import RateBook, month_price
from tests.api import first_error

pytestmark = pytest.mark.usefixtures("reference")

D = datetime.date
ALL = ["JKK", "JKM", "JHT"]


def totals(prices) -> list[int]:
    return [p.total for p in prices]


# --- the service -----------------------------------------------------------------------------------


def test_household_assistant_three_months_from_december_2026(december):
    prices = services.quote_months(
        income_level=1_000_000, programmes=ALL, occupation="household_assistant", months=3, start_month=None
    )
    assert [p.as_dict() for p in prices] == [
        {"month": "2026-12", "jkk": 5000, "jkm": 3400, "jht": 20000, "total": 28400, "adjustment": "PP 50/2025"},
        {"month": "2027-01", "jkk": 10000, "jkm": 6800, "jht": 20000, "total": 36800, "adjustment": None},
        {"month": "2027-02", "jkk": 10000, "jkm": 6800, "jht": 20000, "total": 36800, "adjustment": None},
    ]


def test_private_driver_discount_ends_march_2027(december):
    prices = services.quote_months(
        income_level=1_000_000, programmes=ALL, occupation="private_driver", months=3, start_month=D(2027, 2, 1)
    )
    assert [p.month for p in prices] == [D(2027, 2, 1), D(2027, 3, 1), D(2027, 4, 1)]
    assert totals(prices) == [28400, 28400, 36800]
    assert [p.adjustment for p in prices] == ["PP 50/2025", "PP 50/2025", None]


@pytest.mark.parametrize(
    "occupation, month, expected",
    [
        ("household_assistant", D(2026, 4, 1), 8400),  # first non-transport discount month
        ("household_assistant", D(2026, 12, 1), 8400),  # last one
        ("household_assistant", D(2026, 3, 1), 16800),
        ("household_assistant", D(2027, 1, 1), 16800),
        ("private_driver", D(2026, 1, 1), 8400),
        ("private_driver", D(2027, 3, 1), 8400),
        ("private_driver", D(2025, 12, 1), 16800),
        ("private_driver", D(2027, 4, 1), 16800),
    ],
)
def test_jkk_and_jkm_only(occupation, month, expected, december):
    [price] = services.quote_months(
        income_level=1_000_000, programmes=["JKK", "JKM"], occupation=occupation, months=1, start_month=month
    )
    assert price.jht == 0
    assert price.total == expected


@pytest.mark.parametrize("today", [D(2025, 1, 10), D(2026, 6, 1), D(2026, 12, 3), D(2027, 6, 20)])
def test_rate_is_picked_by_the_month_not_by_today(pin_today, today):
    pin_today(today)
    dec = services.quote_months(
        income_level=1_000_000, programmes=ALL, occupation="gardener", months=1, start_month=D(2026, 12, 1)
    )
    march = services.quote_months(
        income_level=1_000_000, programmes=ALL, occupation="gardener", months=1, start_month=D(2026, 3, 1)
    )
    assert dec[0].total == 28400 and dec[0].adjustment == "PP 50/2025"
    assert march[0].total == 36800 and march[0].adjustment is None


def test_month_price_and_rate_book_agree():
    assert month_price(month=D(2026, 12, 1), sector="non_transport", income_level=1_000_000, jht=True).total == 28400
    book = RateBook()
    assert book.price(month=D(2026, 12, 1), sector="non_transport", income_level=1_000_000, jht=True,
                      normal_only=True).total == 36800


# --- rate rows -------------------------------------------------------------------------------------


def rate(**overrides) -> ContributionRate:
    values = dict(
        kind="adjustment", regulation="PP 99/2027", sector="transport", valid_from=D(2027, 3, 1),
        valid_to=D(2027, 6, 30), jkk_percent=Decimal("0.5"), jkm_amount=3400, jht_percent=Decimal("2"),
    )
    values.update(overrides)
    return ContributionRate(**values)


def test_clean_refuses_an_overlapping_period_for_the_same_kind_and_sector():
    with pytest.raises(ValidationError):
        rate().full_clean()  # overlaps the transport PP 50/2025 row in March 2027
    with pytest.raises(ValidationError):
        rate(valid_from=D(2025, 1, 1), valid_to=None).full_clean()  # open-ended, covers everything after
    with pytest.raises(ValidationError):
        rate(kind="normal", sector="", valid_from=D(2030, 1, 1), valid_to=None).full_clean()


def test_clean_accepts_another_sector_and_an_adjacent_period():
    rate(sector="non_transport", valid_from=D(2027, 3, 1)).full_clean()  # non-transport ended Dec 2026
    rate(sector="", valid_from=D(2027, 3, 1)).full_clean()  # the all-sector row is another "sector"
    rate(valid_from=D(2027, 4, 1)).full_clean()  # right after the transport discount
    rate(kind="normal", sector="transport", valid_from=D(2027, 3, 1)).full_clean()  # another kind


def test_clean_does_not_flag_the_row_itself():
    row = ContributionRate.objects.get(kind="adjustment", sector="transport")
    row.full_clean()


def test_clean_refuses_a_period_that_does_not_start_on_the_first():
    with pytest.raises(ValidationError):
        rate(sector="non_transport", valid_from=D(2027, 3, 2)).full_clean()


def test_clean_reports_a_missing_start_as_a_validation_error():
    """The admin form calls clean() even when `valid_from` was left empty: that must be a form error."""
    with pytest.raises(ValidationError):
        rate(valid_from=None).full_clean()


# --- GET /income-levels ----------------------------------------------------------------------------


def test_income_levels_show_normal_rates_even_during_the_discount(api_client, december):
    response = api_client.get("/api/v1/income-levels")
    assert response.status_code == 200
    assert response.json() == [{"income": 1000000, "jkk": 10000, "jkm": 6800, "jht": 20000}]


def test_income_levels_follow_a_new_normal_rate_once_in_force(api_client, pin_today):
    ContributionRate.objects.filter(kind="normal").update(valid_to=D(2027, 12, 31))
    ContributionRate.objects.create(
        kind="normal", regulation="PP 1/2028", sector="", valid_from=D(2028, 1, 1),
        jkk_percent=Decimal("1.5"), jkm_amount=7000, jht_percent=Decimal("2"),
    )
    pin_today(D(2027, 12, 31))
    assert api_client.get("/api/v1/income-levels").json()[0]["jkk"] == 10000
    pin_today(D(2028, 1, 1))
    assert api_client.get("/api/v1/income-levels").json() == [
        {"income": 1000000, "jkk": 15000, "jkm": 7000, "jht": 20000}
    ]


# --- POST /quotes ----------------------------------------------------------------------------------


def quote(client, **overrides):
    body = {"income_level": 1000000, "programmes": ALL, "occupation": "household_assistant", "months": 1}
    body.update(overrides)
    body = {k: v for k, v in body.items() if v is not ...}
    return client.post("/api/v1/quotes", body, format="json")


@pytest.mark.parametrize("months", [1, 3, 6, 12])
def test_quote_months_and_total(api_client, december, months):
    response = quote(api_client, months=months, start_month="2026-12")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"months", "total"}
    assert len(body["months"]) == months
    assert body["months"][0] == {
        "month": "2026-12", "jkk": 5000, "jkm": 3400, "jht": 20000, "total": 28400, "adjustment": "PP 50/2025"
    }
    for entry in body["months"][1:]:
        assert entry["total"] == 36800 and entry["adjustment"] is None
    assert body["total"] == sum(entry["total"] for entry in body["months"]) == 28400 + 36800 * (months - 1)
    assert [m["month"] for m in body["months"]] == [
        f"{2026 + (11 + i) // 12}-{(11 + i) % 12 + 1:02d}" for i in range(months)
    ]


def test_quote_is_public_and_defaults_to_the_current_month(api_client, december):
    response = quote(api_client, months=3, start_month=...)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [m["month"] for m in body["months"]] == ["2026-12", "2027-01", "2027-02"]
    assert body["total"] == 28400 + 36800 + 36800 == 102000


def test_quote_for_a_driver(api_client, december):
    body = quote(api_client, occupation="private_driver", months=3, start_month="2027-02").json()
    assert [m["total"] for m in body["months"]] == [28400, 28400, 36800]
    assert body["total"] == 93600


@pytest.mark.parametrize(
    "overrides, code, attr",
    [
        ({"months": 2}, "months_not_allowed", "months"),
        ({"months": "x"}, "months_not_allowed", "months"),
        ({"months": 24}, "months_not_allowed", "months"),
        ({"months": 0}, "months_not_allowed", "months"),
        ({"programmes": ["JKK"]}, "programmes_invalid", "programmes"),
        ({"programmes": ["JKK", "JHT"]}, "programmes_invalid", "programmes"),
        ({"programmes": ["JKK", "JKM", "XYZ"]}, "programmes_invalid", "programmes"),
        ({"programmes": "JKK,JKM"}, "programmes_invalid", "programmes"),
        ({"occupation": "astronaut"}, "occupation_invalid", "occupation"),
        ({"income_level": 1234567}, "income_level_invalid", "income_level"),
        ({"income_level": "lots"}, "income_level_invalid", "income_level"),
        ({"start_month": "2026-13"}, "month_invalid", "start_month"),
        ({"start_month": "2026-1"}, "month_invalid", "start_month"),
        ({"start_month": "december"}, "month_invalid", "start_month"),
        # Out of range: 12 months from 9999-11 once left the calendar (ValueError, a 500).
        ({"start_month": "9999-11", "months": 12}, "month_invalid", "start_month"),
        ({"start_month": "9999-12", "months": 1}, "month_invalid", "start_month"),
        ({"start_month": "3000-01"}, "month_invalid", "start_month"),
        ({"start_month": "0000-01"}, "month_invalid", "start_month"),
        ({"start_month": "1899-12"}, "month_invalid", "start_month"),
        ({"start_month": "2026-12\n"}, "month_invalid", "start_month"),
        ({"start_month": "２０２６-１２"}, "month_invalid", "start_month"),
        ({"start_month": "2０２６-１２"}, "month_invalid", "start_month"),
    ],
)
def test_quote_errors(api_client, december, overrides, code, attr):
    response = quote(api_client, **overrides)
    assert response.status_code == 400, response.content
    assert first_error(response) == (code, attr)

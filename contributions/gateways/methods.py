"""The payment methods a payer may choose (API.md "Payment methods"): what each one is, its bounds,
how long it stays payable, and how to pay it, in Indonesian and English.

A method is ours, not a gateway's: `va_bri` means "a BRI virtual account" whichever gateway opens it.
Each gateway says which methods it offers, and may narrow a method's bounds to what its own channel
accepts (`gateway.methods`). What the payer needs to pay (a VA number, a bill key and biller code, a
QR string, a deeplink, a store's payment code) is the method's *kind*; the invoice's `payment` block
carries the fields of its kind (contributions/api/serializers.py, payment_representation).
"""

from dataclasses import dataclass, replace
from datetime import timedelta


class Kind:
    VA = "va"
    BILL = "bill"
    QRIS = "qris"
    EWALLET = "ewallet"
    RETAIL = "retail"
    CARD = "card"  # autopay only: a saved card is charged, never offered for paying one invoice


KINDS = (Kind.VA, Kind.BILL, Kind.QRIS, Kind.EWALLET, Kind.RETAIL)  # what GET /payment-methods shows


@dataclass(frozen=True)
class Limits:
    """A gateway's bounds for a method, whole rupiah, both inclusive."""

    min_amount: int
    max_amount: int


@dataclass(frozen=True)
class Method:
    code: str
    kind: str
    name: str
    min_amount: int
    max_amount: int
    expires_in_minutes: int
    instructions: dict  # language -> list of steps
    bank: str = ""  # va: the bank's code as Midtrans spells it (bca, bni, bri, permata, cimb)
    store: str = ""  # retail: indomaret, alfamart

    @property
    def lifetime(self) -> timedelta:
        return timedelta(minutes=self.expires_in_minutes)

    def steps(self, language: str) -> list[str]:
        return self.instructions.get(language[:2], self.instructions["id"])

    def accepts(self, amount: int) -> bool:
        return self.min_amount <= amount <= self.max_amount

    def within(self, limits: Limits | None) -> "Method":
        return self if limits is None else replace(self, min_amount=limits.min_amount, max_amount=limits.max_amount)


# How long a payment stays open. VAs, Mandiri bills and store codes: 24 hours, Midtrans' default for
# them ("By default, default expiry time for bank transfer is 24 hours", docs.midtrans.com/reference/
# bni-virtual-account; the same for Indomaret and Alfamart). QRIS and e-wallets: 15 minutes, Midtrans'
# default for GoPay deeplinks and QRIS (docs.midtrans.com/reference/gopay-1): the payer is at the
# phone now, and a worker stays blocked by a pending invoice only briefly if they walk away.
DAY = 24 * 60
QUARTER_HOUR = 15


def _va_steps(bank: str) -> dict:
    return {
        "id": [
            f"Buka aplikasi mobile banking, internet banking, atau ATM {bank}.",
            "Pilih Transfer, lalu Virtual Account.",
            "Masukkan nomor Virtual Account di tagihan ini.",
            "Periksa nama dan jumlah tagihan, lalu konfirmasi.",
        ],
        "en": [
            f"Open {bank} mobile banking, internet banking or an ATM.",
            "Choose Transfer, then Virtual Account.",
            "Enter the virtual account number on this invoice.",
            "Check the name and amount, then confirm.",
        ],
    }


def _ewallet_steps(app: str) -> dict:
    return {
        "id": [
            f"Ketuk Bayar: aplikasi {app} terbuka.",
            "Periksa jumlah tagihan.",
            "Masukkan PIN untuk membayar.",
        ],
        "en": [
            f"Tap Pay: the {app} app opens.",
            "Check the amount.",
            "Enter your PIN to pay.",
        ],
    }


def _store_steps(store: str) -> dict:
    return {
        "id": [
            f"Datang ke gerai {store} terdekat.",
            "Tunjukkan kode pembayaran di tagihan ini kepada kasir.",
            "Bayar tunai sesuai jumlah tagihan dan simpan struknya.",
        ],
        "en": [
            f"Go to the nearest {store} store.",
            "Show the cashier the payment code on this invoice.",
            "Pay the amount in cash and keep the receipt.",
        ],
    }


# The widest bounds; a gateway narrows them where its channel documents narrower ones. A VA, a
# Mandiri bill: up to Rp50,000,000 (Xendit's documented ceiling for BCA VA, docs.xendit.co/docs/
# bca-virtual-account; we keep it for every bank so an invoice payable by one VA is payable by all).
# QRIS: Rp10,000,000 a transaction (Bank Indonesia's QRIS limit; docs.xendit.co/docs/qris). GoPay and
# ShopeePay: the same. Indomaret and Alfamart: Rp10,000 to Rp5,000,000 (docs.xendit.co/docs/indomaret,
# docs.xendit.co/docs/alfamart).
VA_MAX = 50_000_000
WALLET_MAX = 10_000_000

METHODS: dict[str, Method] = {
    method.code: method
    for method in [
        Method("va_bca", Kind.VA, "BCA Virtual Account", 1, VA_MAX, DAY, _va_steps("BCA"), bank="bca"),
        Method("va_bni", Kind.VA, "BNI Virtual Account", 1, VA_MAX, DAY, _va_steps("BNI"), bank="bni"),
        Method("va_bri", Kind.VA, "BRI Virtual Account", 1, VA_MAX, DAY, _va_steps("BRI"), bank="bri"),
        Method("va_permata", Kind.VA, "Permata Virtual Account", 1, VA_MAX, DAY, _va_steps("Permata"), bank="permata"),
        Method("va_cimb", Kind.VA, "CIMB Niaga Virtual Account", 1, VA_MAX, DAY, _va_steps("CIMB Niaga"), bank="cimb"),
        Method(
            "mandiri_bill",
            Kind.BILL,
            "Mandiri Bill Payment",
            1,
            VA_MAX,
            DAY,
            {
                "id": [
                    "Buka Livin' by Mandiri, internet banking, atau ATM Mandiri.",
                    "Pilih Bayar, lalu Multipayment.",
                    "Masukkan kode perusahaan (biller code), lalu kode bayar (bill key) di tagihan ini.",
                    "Periksa jumlah tagihan, lalu konfirmasi.",
                ],
                "en": [
                    "Open Livin' by Mandiri, internet banking or a Mandiri ATM.",
                    "Choose Pay, then Multipayment.",
                    "Enter the company code (biller code), then the bill key on this invoice.",
                    "Check the amount, then confirm.",
                ],
            },
        ),
        Method(
            "qris",
            Kind.QRIS,
            "QRIS",
            1,
            WALLET_MAX,
            QUARTER_HOUR,
            {
                "id": [
                    "Buka aplikasi e-wallet atau mobile banking apa saja yang mendukung QRIS.",
                    "Pindai kode QR di tagihan ini.",
                    "Periksa nama penerima dan jumlah, lalu bayar.",
                ],
                "en": [
                    "Open any e-wallet or mobile banking app that supports QRIS.",
                    "Scan the QR code on this invoice.",
                    "Check the payee and the amount, then pay.",
                ],
            },
        ),
        Method("gopay", Kind.EWALLET, "GoPay", 1, WALLET_MAX, QUARTER_HOUR, _ewallet_steps("Gojek/GoPay")),
        Method("shopeepay", Kind.EWALLET, "ShopeePay", 1, WALLET_MAX, QUARTER_HOUR, _ewallet_steps("Shopee")),
        Method("indomaret", Kind.RETAIL, "Indomaret", 10_000, 5_000_000, DAY, _store_steps("Indomaret"), store="indomaret"),
        Method("alfamart", Kind.RETAIL, "Alfamart", 10_000, 5_000_000, DAY, _store_steps("Alfamart"), store="alfamart"),
        # Autopay's saved card (an invoice charged to it says `card`); no gateway offers it for one invoice.
        Method(
            "card", Kind.CARD, "Kartu debit/kredit", 1, VA_MAX, DAY,
            {"id": ["Dibayar otomatis dari kartu yang tersimpan."], "en": ["Paid automatically from the saved card."]},
        ),
    ]
}

CODES = tuple(METHODS)
ONE_OFF_CODES = tuple(code for code, method in METHODS.items() if method.kind in KINDS)  # payable one invoice at a time
ONE_OFF_CHOICES = [(code, code) for code in ONE_OFF_CODES]
CHOICES = [(code, code) for code in CODES]  # for serializers and the OpenAPI enum
KIND_CHOICES = [(kind, kind) for kind in KINDS]


def method_get(code: str) -> Method | None:
    return METHODS.get(code) if isinstance(code, str) else None

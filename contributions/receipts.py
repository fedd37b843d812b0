"""The receipt of a paid invoice as a PDF (API.md "Receipts"), in the request's language.

A4, one table per worker (name, masked NIK, KPJ; each month with its JKK/JKM/JHT split and the
regulation that adjusted it), then the total paid, the payment method and time, and the receipt
number. The fonts ship with ReportLab (core.pdf).
"""

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from contributions.gateways.methods import Kind, method_get
from contributions.selectors import ReceiptDocument
from core.pdf import FONT, FONT_BOLD, GREEN, GREY, RULE, register_fonts
from notifications.services import date_label, month_label, rupiah

SHADE = colors.HexColor("#EEF3F1")

LABELS = {
    "id": {
        "title": "Kuitansi Pembayaran Iuran",
        "subtitle": "BPJS Ketenagakerjaan, peserta Bukan Penerima Upah (BPU)",
        "receipt": "No. kuitansi",
        "invoice": "No. tagihan",
        "paid_at": "Dibayar pada",
        "method": "Metode pembayaran",
        "payer": "Pembayar",
        "nik": "NIK",
        "kpj": "KPJ",
        "month": "Bulan",
        "adjustment": "Penyesuaian",
        "amount": "Jumlah",
        "subtotal": "Subtotal",
        "total": "Total dibayar",
        "va": "Virtual Account {bank}",
        "footer": "Kuitansi ini dibuat secara elektronik dan sah tanpa tanda tangan. Iuran yang tercantum "
        "sudah tercatat sebagai bulan perlindungan peserta.",
    },
    "en": {
        "title": "Contribution payment receipt",
        "subtitle": "BPJS Ketenagakerjaan, non-wage earner (BPU) members",
        "receipt": "Receipt no.",
        "invoice": "Invoice no.",
        "paid_at": "Paid at",
        "method": "Payment method",
        "payer": "Payer",
        "nik": "NIK",
        "kpj": "KPJ",
        "month": "Month",
        "adjustment": "Adjustment",
        "amount": "Amount",
        "subtotal": "Subtotal",
        "total": "Total paid",
        "va": "{bank} virtual account",
        "footer": "This receipt is issued electronically and is valid without a signature. The contributions "
        "listed are recorded as months of the members' protection.",
    },
}


def _language(language: str) -> str:
    return "en" if (language or "")[:2] == "en" else "id"


def _method_label(method: str, text: dict) -> str:
    known = method_get(method)
    if known is not None and known.kind == Kind.VA:
        return text["va"].format(bank=known.bank.upper())
    return known.name if known is not None else method


def receipt_pdf(document: ReceiptDocument, *, language: str) -> bytes:
    register_fonts()
    lang = _language(language)
    text = LABELS[lang]
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=GREY)
    title = ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=16, leading=20, textColor=GREEN)
    worker_style = ParagraphStyle("worker", parent=base, fontName=FONT_BOLD, fontSize=10, leading=13)

    receipt = document.receipt
    paid_at = timezone.localtime(receipt.paid_at)
    facts = [
        (text["receipt"], receipt.number),
        (text["invoice"], document.invoice_number),
        (text["paid_at"], f"{date_label(paid_at, lang)} {paid_at:%H.%M} WIB"),
        (text["method"], _method_label(receipt.method, text)),
        (text["payer"], f"{document.payer_name} ({document.payer_phone})"),
    ]
    story = [
        Paragraph(text["title"], title),
        Paragraph(text["subtitle"], small),
        Spacer(1, 6 * mm),
        Table(
            [[label, value] for label, value in facts],
            colWidths=[40 * mm, None],
            hAlign="LEFT",
            style=TableStyle(
                [
                    ("FONT", (0, 0), (0, -1), FONT, 9),
                    ("TEXTCOLOR", (0, 0), (0, -1), GREY),
                    ("FONT", (1, 0), (1, -1), FONT_BOLD, 9),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ]
            ),
        ),
        Spacer(1, 6 * mm),
    ]

    header = [text["month"], "JKK", "JKM", "JHT", text["adjustment"], text["amount"]]
    widths = [34 * mm, 22 * mm, 22 * mm, 22 * mm, 38 * mm, 32 * mm]
    for worker in document.workers:
        kpj = worker.kpj_number or "-"
        story.append(
            Paragraph(
                f"{escape(worker.full_name)} &nbsp;·&nbsp; {text['nik']} {worker.nik_masked} &nbsp;·&nbsp; "
                f"{text['kpj']} {kpj}",
                worker_style,
            )
        )
        story.append(Spacer(1, 1.5 * mm))
        rows = [header]
        for month in worker.months:
            rows.append(
                [
                    month_label(month.month, lang),
                    rupiah(month.jkk),
                    rupiah(month.jkm),
                    rupiah(month.jht),
                    month.adjustment or "-",
                    rupiah(month.total),
                ]
            )
        rows.append([text["subtotal"], "", "", "", "", rupiah(worker.total)])
        story.append(
            Table(
                rows,
                colWidths=widths,
                repeatRows=1,
                hAlign="LEFT",
                style=TableStyle(
                    [
                        ("FONT", (0, 0), (-1, -1), FONT, 8.5),
                        ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5),
                        ("FONT", (0, -1), (-1, -1), FONT_BOLD, 8.5),
                        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                        ("ALIGN", (1, 0), (3, -1), "RIGHT"),
                        ("ALIGN", (5, 0), (5, -1), "RIGHT"),
                        ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
                        ("LINEABOVE", (0, -1), (-1, -1), 0.5, RULE),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                        ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ]
                ),
            )
        )
        story.append(Spacer(1, 5 * mm))

    story.append(
        Table(
            [[text["total"], rupiah(document.total)]],
            colWidths=[sum(widths) - 40 * mm, 40 * mm],
            hAlign="LEFT",
            style=TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), FONT_BOLD, 11),
                    ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                    ("LINEABOVE", (0, 0), (-1, 0), 1, GREEN),
                    ("TOPPADDING", (0, 0), (-1, -1), 5),
                ]
            ),
        )
    )
    story += [Spacer(1, 10 * mm), Paragraph(text["footer"], small)]

    out = io.BytesIO()
    pdf = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{text['title']} {receipt.number}",
    )
    pdf.build(story)
    return out.getvalue()

"""The membership card (e-KTA) as a printable PDF and as a PNG: one drawing (ReportLab), one QR (segno).

Credit-card size (ISO/IEC 7810 ID-1, 85.6 × 54 mm). The QR holds the card's `verify_url`; it is drawn
as vector squares, so it stays sharp however the PDF is printed, and at 300 dpi each module of the
PNG is several pixels wide. The texts come in the request's language; the fonts ship with ReportLab
(core.pdf).
"""

import io

import segno
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from core.pdf import FONT, FONT_BOLD, GREEN, GREY, RULE, pdf_page_png, register_fonts
from notifications.services import date_label, month_label
from registration.selectors import CardData

WIDTH, HEIGHT = 85.6 * mm, 54 * mm
MARGIN = 5 * mm
BAND = 13 * mm  # the coloured band at the top
QR_SIZE = 22 * mm  # the symbol; a white quiet zone of at least 4 modules stays around it
RADIUS = 3 * mm

INK = colors.HexColor("#1A1A1A")

LABELS = {
    "id": {
        "agency": "BPJS KETENAGAKERJAAN",
        "card": "Kartu Peserta Bukan Penerima Upah (BPU)",
        "kpj": "No. KPJ",
        "nik": "NIK",
        "birth_date": "Tanggal lahir",
        "programmes": "Program",
        "member_since": "Peserta sejak",
        "not_yet": "belum ada iuran",
        "scan": "Pindai untuk cek status",
        "title": "Kartu Peserta",
    },
    "en": {
        "agency": "BPJS KETENAGAKERJAAN",
        "card": "Non-wage earner (BPU) membership card",
        "kpj": "KPJ no.",
        "nik": "NIK",
        "birth_date": "Date of birth",
        "programmes": "Programmes",
        "member_since": "Member since",
        "not_yet": "nothing paid yet",
        "scan": "Scan to check the status",
        "title": "Membership card",
    },
}


def _language(language: str) -> str:
    return "en" if (language or "")[:2] == "en" else "id"


def _fit(text: str, font: str, size: float, width: float, smallest: float) -> tuple[str, float]:
    """`text` at the largest size down to `smallest` that fits `width`; cut with … if none does."""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    if stringWidth(text, font, size) <= width:
        return text, size
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…", size


def _draw_qr(pdf: canvas.Canvas, content: str, x: float, y: float, size: float) -> None:
    """The QR symbol of `content` with its lower left corner at (x, y), dark runs as one path."""
    qr = segno.make(content, error="m", micro=False)
    rows = list(qr.matrix_iter(scale=1, border=0))
    module = size / len(rows)
    path = pdf.beginPath()
    for r, row in enumerate(rows):
        top = y + size - (r + 1) * module
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                path.rect(x + start * module, top, (c - start) * module, module)
            else:
                c += 1
    pdf.setFillColor(colors.black)
    pdf.drawPath(path, stroke=0, fill=1)


def card_pdf(card: CardData, *, language: str) -> bytes:
    """The card as a one-page PDF of exactly the card's size."""
    register_fonts()
    text = LABELS[_language(language)]
    lang = _language(language)
    member = card.member
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(WIDTH, HEIGHT), pageCompression=1)
    pdf.setTitle(f"{text['title']} {member.kpj_number}")

    # The card's outline (a cutting guide when printed on paper) and the band.
    pdf.setFillColor(colors.white)
    pdf.setStrokeColor(RULE)
    pdf.setLineWidth(0.5)
    pdf.roundRect(0.25, 0.25, WIDTH - 0.5, HEIGHT - 0.5, RADIUS, stroke=1, fill=1)
    band = pdf.beginPath()
    band.moveTo(0.25, HEIGHT - BAND)
    band.lineTo(0.25, HEIGHT - RADIUS)
    band.arcTo(0.25, HEIGHT - 2 * RADIUS, 0.25 + 2 * RADIUS, HEIGHT - 0.25, startAng=180, extent=-90)
    band.lineTo(WIDTH - RADIUS, HEIGHT - 0.25)
    band.arcTo(WIDTH - 0.25 - 2 * RADIUS, HEIGHT - 2 * RADIUS, WIDTH - 0.25, HEIGHT - 0.25, startAng=90, extent=-90)
    band.lineTo(WIDTH - 0.25, HEIGHT - BAND)
    band.close()
    pdf.setFillColor(GREEN)
    pdf.drawPath(band, stroke=0, fill=1)
    pdf.setFillColor(colors.white)
    pdf.setFont(FONT_BOLD, 9.5)
    pdf.drawString(MARGIN, HEIGHT - 6 * mm, text["agency"])
    pdf.setFont(FONT, 6.5)
    pdf.drawString(MARGIN, HEIGHT - 10 * mm, text["card"])

    # The QR on the right, its caption under it.
    qr_x = WIDTH - MARGIN - QR_SIZE
    qr_y = 9 * mm
    _draw_qr(pdf, card.verify_url, qr_x, qr_y, QR_SIZE)
    pdf.setFillColor(GREY)
    pdf.setFont(FONT, 5)
    pdf.drawCentredString(qr_x + QR_SIZE / 2, qr_y - 3.5 * mm, text["scan"])

    # The member, on the left.
    column = qr_x - MARGIN - 3 * mm
    y = HEIGHT - BAND - 6 * mm
    name, size = _fit(member.full_name.upper(), FONT_BOLD, 10, column, 6.5)
    pdf.setFillColor(INK)
    pdf.setFont(FONT_BOLD, size)
    pdf.drawString(MARGIN, y, name)

    y -= 5.5 * mm
    pdf.setFillColor(GREY)
    pdf.setFont(FONT, 5.5)
    pdf.drawString(MARGIN, y, text["kpj"])
    y -= 4.5 * mm
    pdf.setFillColor(INK)
    pdf.setFont(FONT_BOLD, 12)
    pdf.drawString(MARGIN, y, member.kpj_number, charSpace=0.6)

    since = month_label(card.member_since, lang) if card.member_since else text["not_yet"]
    rows = [
        (text["nik"], member.nik_masked),
        (text["birth_date"], date_label(member.birth_date, lang)),
        (text["programmes"], " · ".join(member.programmes)),
        (text["member_since"], since),
    ]
    label_width = max(stringWidth(label, FONT, 6) for label, _ in rows) + 2.5 * mm
    y -= 2 * mm
    for label, value in rows:
        y -= 4.2 * mm
        pdf.setFillColor(GREY)
        pdf.setFont(FONT, 6)
        pdf.drawString(MARGIN, y, label)
        value, size = _fit(value, FONT_BOLD, 6.5, column - label_width, 5)
        pdf.setFillColor(INK)
        pdf.setFont(FONT_BOLD, size)
        pdf.drawString(MARGIN + label_width, y, value)

    pdf.showPage()
    pdf.save()
    return out.getvalue()


def card_png(card: CardData, *, language: str, dpi: int = 300) -> bytes:
    """The same card as a PNG (1011 × 638 pixels at 300 dpi)."""
    return pdf_page_png(card_pdf(card, language=language), dpi=dpi)

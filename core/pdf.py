"""Printable documents (membership card, receipts): the fonts they use, and PDF pages as PNG images.

Fonts: Bitstream Vera (Sans, Sans Bold), the TrueType fonts that ship inside ReportLab, embedded in
every PDF, so a document reads the same on any printer or phone and nothing is fetched at run time.

A PNG is the PDF page rasterised by PDFium (pypdfium2, a self-contained wheel): the image and the
printout are one drawing, never two layouts that drift apart.
"""

import io
import threading
from functools import cache

from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# The documents' palette (the card and the receipt): the programme's green, grey text, hairlines.
GREEN = colors.HexColor("#0B6E4F")
GREY = colors.HexColor("#5F6368")
RULE = colors.HexColor("#C7CCD1")

FONT = "Vera"
FONT_BOLD = "Vera-Bold"

# PDFium is not thread-safe: one page at a time per process (gunicorn's sync workers never contend).
_pdfium_lock = threading.Lock()


@cache
def register_fonts() -> None:
    """Make FONT and FONT_BOLD known to ReportLab (once per process)."""
    pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, "VeraBd.ttf"))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def pdf_page_png(pdf: bytes, *, dpi: int = 300) -> bytes:
    """The first page of `pdf` as a PNG at `dpi`, on white."""
    import pypdfium2

    with _pdfium_lock:
        document = pypdfium2.PdfDocument(pdf)
        try:
            image = document[0].render(scale=dpi / 72).to_pil()
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi), optimize=True)
    return out.getvalue()

"""The card check as a web page: what a phone's camera opens from the card's QR (Accept: text/html).

The same facts as the JSON answer, in Indonesian (English with `?lang=en`), on one small page that
carries its own styles: no script, font, image or stylesheet is fetched from anywhere.
"""

import datetime

from django.template.loader import render_to_string
from django.utils import timezone
from rest_framework.renderers import BaseRenderer

from notifications.services import date_label, month_label

TEXTS = {
    "id": {
        "lang": "id",
        "title": "Cek Kartu Peserta BPJS Ketenagakerjaan",
        "agency": "BPJS Ketenagakerjaan",
        "heading": "Cek kartu peserta",
        "genuine": "Kartu asli",
        "name": "Nama",
        "kpj": "No. KPJ",
        "programmes": "Program",
        "paid_through": "Iuran dibayar sampai",
        "nothing_paid": "Belum ada iuran",
        "checked_at": "Dicek pada",
        "privacy": "Sebagian data disamarkan untuk melindungi peserta. Status dihitung saat halaman ini dibuka.",
        "invalid_title": "Kartu tidak dikenali",
        "invalid": "Kode ini bukan dari kartu peserta yang sah, atau sudah diubah. Jangan terima kartu ini "
        "sebagai bukti kepesertaan.",
        "error_title": "Tidak dapat memeriksa sekarang",
        "other_language": "English",
        "other_language_query": "?lang=en",
        "status": {
            "active": "Aktif: terlindungi hari ini",
            "arrears": "Menunggak iuran",
            "lapsed": "Tidak aktif",
            "not_started": "Belum ada iuran",
        },
    },
    "en": {
        "lang": "en",
        "title": "BPJS Ketenagakerjaan membership card check",
        "agency": "BPJS Ketenagakerjaan",
        "heading": "Membership card check",
        "genuine": "Genuine card",
        "name": "Name",
        "kpj": "KPJ no.",
        "programmes": "Programmes",
        "paid_through": "Contributions paid through",
        "nothing_paid": "Nothing paid yet",
        "checked_at": "Checked at",
        "privacy": "Some details are masked to protect the member. The status is computed when this page opens.",
        "invalid_title": "Card not recognised",
        "invalid": "This code does not come from a genuine membership card, or it was altered. Do not accept "
        "this card as proof of membership.",
        "error_title": "Cannot check right now",
        "other_language": "Bahasa Indonesia",
        "other_language_query": "?lang=id",
        "status": {
            "active": "Active: protected today",
            "arrears": "Contributions in arrears",
            "lapsed": "Lapsed",
            "not_started": "Nothing paid yet",
        },
    },
}

TONES = {"active": "ok", "arrears": "warn", "lapsed": "bad", "not_started": "muted"}


def page_language(request) -> str:
    return "en" if request is not None and request.query_params.get("lang") == "en" else "id"


class VerifyPageRenderer(BaseRenderer):
    media_type = "text/html"
    format = "html"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        context = renderer_context or {}
        request = context.get("request")
        response = context.get("response")
        language = page_language(request)
        texts = TEXTS[language]
        page = {"t": texts, "status_code": response.status_code if response is not None else 200}
        if page["status_code"] == 200 and isinstance(data, dict) and data.get("valid"):
            # `data` is the JSON answer (VerificationSerializer): read its month and timestamp back.
            checked = timezone.localtime(datetime.datetime.fromisoformat(data["checked_at"]))
            paid_through = data["paid_through"]
            status = data["coverage_status"]
            page.update(
                valid=True,
                name=data["name"],
                kpj=data["kpj_masked"],
                programmes=" · ".join(data["programmes"]),
                status=texts["status"][status],
                tone=TONES[status],
                paid_through=month_label(datetime.date.fromisoformat(f"{paid_through}-01"), language)
                if paid_through
                else texts["nothing_paid"],
                checked_at=f"{date_label(checked, language)} {checked:%H.%M} WIB",
            )
        elif page["status_code"] == 404:
            page.update(heading=texts["invalid_title"], message=texts["invalid"])
        else:
            errors = data.get("errors") if isinstance(data, dict) else None
            detail = errors[0]["detail"] if errors else ""
            page.update(heading=texts["error_title"], message=detail)
        return render_to_string("registration/verify.html", page).encode(self.charset)


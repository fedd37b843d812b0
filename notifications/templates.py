"""Message texts, in Bahasa Indonesia (default) and English (on the recipient's preference).

Each kind has a `title` (inbox, push) and a `body` (SMS, WhatsApp, push, inbox). OTP texts must hold
the code as their only 6-digit number (API.md).
"""

from dataclasses import dataclass

TEMPLATES: dict[str, dict[str, dict[str, str]]] = {
    "otp_phone": {
        "id": {
            "title": "Kode verifikasi",
            "body": "Kode verifikasi JMO Sertakan Anda: {code}. Berlaku 5 menit. "
            "Jangan berikan kode ini kepada siapa pun.",
        },
        "en": {
            "title": "Verification code",
            "body": "Your JMO Sertakan verification code: {code}. Valid for 5 minutes. "
            "Never share this code with anyone.",
        },
    },
    "otp_consent": {
        "id": {
            "title": "Persetujuan pendaftaran",
            "body": "{sponsor_name} ingin mendaftarkan Anda sebagai peserta BPJS Ketenagakerjaan "
            "({programmes}) dan membayar iurannya. Data Anda diproses sesuai UU PDP. "
            "Jika setuju, berikan kode {code} kepada {sponsor_name}. Berlaku 5 menit.",
        },
        "en": {
            "title": "Enrollment consent",
            "body": "{sponsor_name} wants to enroll you in BPJS Ketenagakerjaan ({programmes}) and pay "
            "your contributions. Your data is processed under the PDP Law. If you agree, give the "
            "code {code} to {sponsor_name}. Valid for 5 minutes.",
        },
    },
    "enrollment_approved": {
        "id": {
            "title": "Pendaftaran disetujui",
            "body": "{worker_name} sudah terdaftar sebagai peserta BPJS Ketenagakerjaan dengan nomor "
            "KPJ {kpj_number}. Bayar iuran pertama agar perlindungan aktif.",
        },
        "en": {
            "title": "Enrollment approved",
            "body": "{worker_name} is now a BPJS Ketenagakerjaan participant, KPJ number {kpj_number}. "
            "Pay the first contribution to activate the protection.",
        },
    },
    "enrollment_rejected": {
        "id": {
            "title": "Pendaftaran ditolak",
            "body": "Pendaftaran {worker_name} ditolak. Alasan: {reason}",
        },
        "en": {
            "title": "Enrollment rejected",
            "body": "The enrollment of {worker_name} was rejected. Reason: {reason}",
        },
    },
    "payment_received": {
        "id": {
            "title": "Pembayaran diterima",
            "body": "Pembayaran {number} sebesar {amount} sudah kami terima. Terlindungi: {covered}. Terima kasih.",
        },
        "en": {
            "title": "Payment received",
            "body": "We received payment {number} of {amount}. Protected: {covered}. Thank you.",
        },
    },
    "coverage_confirmed": {
        "id": {
            "title": "Iuran sudah dibayar",
            "body": "Iuran BPJS Ketenagakerjaan Anda (KPJ {kpj_number}) sudah dibayar oleh {sponsor_name}. "
            "Anda terlindungi sampai akhir {until}.",
        },
        "en": {
            "title": "Contribution paid",
            "body": "Your BPJS Ketenagakerjaan contribution (KPJ {kpj_number}) was paid by {sponsor_name}. "
            "You are protected until the end of {until}.",
        },
    },
}

MONTHS = {
    "id": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}


def month_label(month, language: str) -> str:
    """`Desember 2026` / `December 2026`."""
    names = MONTHS.get((language or "id")[:2], MONTHS["id"])
    return f"{names[month.month - 1]} {month.year}"


def rupiah(amount: int) -> str:
    """Whole rupiah the Indonesian way: `Rp36.800`."""
    return "Rp" + f"{amount:,}".replace(",", ".")


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


def render(kind: str, language: str, **params) -> Rendered:
    texts = TEMPLATES[kind]
    chosen = texts.get(language[:2] if language else "id", texts["id"])
    return Rendered(title=chosen["title"].format(**params), body=chosen["body"].format(**params))

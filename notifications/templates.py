"""Message texts, in Bahasa Indonesia (default) and English (on the recipient's preference).

Each kind has a `title` (inbox, push) and a `body` (SMS, WhatsApp, push, inbox). OTP texts must hold
the code as their only 6-digit number (API.md).
"""

from dataclasses import dataclass

from core.names import name_quotable

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
    "otp_login": {
        "id": {
            "title": "Kode masuk",
            "body": "Kode masuk JMO Sertakan Anda: {code}. Berlaku 5 menit. Ada beberapa percobaan masuk "
            "yang gagal ke akun Anda; jika bukan Anda yang sedang masuk, jangan berikan kode ini kepada "
            "siapa pun.",
        },
        "en": {
            "title": "Sign-in code",
            "body": "Your JMO Sertakan sign-in code: {code}. Valid for 5 minutes. There were several failed "
            "sign-in attempts on your account; if you are not signing in, never share this code with anyone.",
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
    "enrollment_expired": {
        "id": {
            "title": "Pendaftaran kedaluwarsa",
            "body": "Pendaftaran {worker_name} dibatalkan karena pekerja tidak memberikan persetujuan tepat "
            "waktu. Daftarkan lagi jika pekerja sudah siap memberikan kode persetujuan.",
        },
        "en": {
            "title": "Registration expired",
            "body": "The registration of {worker_name} was cancelled: the worker did not consent in time. "
            "Register them again when they are ready to give the consent code.",
        },
    },
    "consent_withdrawn": {
        "id": {
            "title": "Persetujuan ditarik",
            "body": "{worker_name} menarik persetujuan atas pembayaran iuran BPJS Ketenagakerjaan oleh Anda. "
            "Kepesertaan ini sudah berakhir dan tidak ada lagi pengingat. Bulan yang sudah dibayar tetap "
            "melindungi {worker_name}.",
        },
        "en": {
            "title": "Consent withdrawn",
            "body": "{worker_name} withdrew their consent to your paying their BPJS Ketenagakerjaan "
            "contributions. The sponsorship has ended and no more reminders will come. The months already "
            "paid still protect {worker_name}.",
        },
    },
    "sponsorship_ended": {
        "id": {
            "title": "Iuran tidak lagi dibayar {sponsor_name}",
            "body": "{sponsor_name} berhenti membayar iuran BPJS Ketenagakerjaan Anda (KPJ {kpj_number}). "
            "Anda terlindungi sampai akhir {until}. Untuk melanjutkan, daftar sendiri di aplikasi JMO "
            "(Sertakan > Daftarkan Diri Sendiri) dengan NIK Anda: nomor KPJ tetap sama dan bulan yang "
            "sudah dibayar tidak ditagih lagi.",
        },
        "en": {
            "title": "{sponsor_name} no longer pays your contributions",
            "body": "{sponsor_name} stopped paying your BPJS Ketenagakerjaan contributions (KPJ {kpj_number}). "
            "You are covered until the end of {until}. To continue, enroll yourself in the JMO app "
            "(Sertakan > Enroll yourself) with your NIK: your KPJ number stays the same and months already "
            "paid are never billed again.",
        },
    },
    "sponsorship_ended_unpaid": {
        "id": {
            "title": "Iuran tidak lagi dibayar {sponsor_name}",
            "body": "{sponsor_name} berhenti membayar iuran BPJS Ketenagakerjaan Anda (KPJ {kpj_number}). "
            "Belum ada bulan yang dibayar. Untuk mulai terlindungi, daftar sendiri di aplikasi JMO "
            "(Sertakan > Daftarkan Diri Sendiri) dengan NIK Anda dan bayar iurannya: nomor KPJ tetap sama.",
        },
        "en": {
            "title": "{sponsor_name} no longer pays your contributions",
            "body": "{sponsor_name} stopped paying your BPJS Ketenagakerjaan contributions (KPJ {kpj_number}). "
            "No month has been paid yet. To be covered, enroll yourself in the JMO app (Sertakan > Enroll "
            "yourself) with your NIK and pay: your KPJ number stays the same.",
        },
    },
    "payment_received": {
        "id": {
            "title": "Pembayaran diterima",
            "body": "Pembayaran {number} sebesar {amount} sudah kami terima, kuitansi {receipt_number}. "
            "Terlindungi: {covered}. Terima kasih.",
        },
        "en": {
            "title": "Payment received",
            "body": "We received payment {number} of {amount}, receipt {receipt_number}. Protected: {covered}. "
            "Thank you.",
        },
    },
    "autopay_charged": {
        "id": {
            "title": "Iuran dibayar otomatis",
            "body": "Tagihan {number} sebesar {amount} sudah dibayar otomatis dari {account}.",
        },
        "en": {
            "title": "Contributions paid automatically",
            "body": "Invoice {number} of {amount} was paid automatically from {account}.",
        },
    },
    "autopay_failed": {
        "id": {
            "title": "Pembayaran otomatis gagal",
            "body": "Iuran bulan {month} tidak bisa dibayar otomatis dari {account}: {reason}. "
            "Bayar sebelum tanggal 15 di aplikasi agar perlindungan tidak terputus.",
        },
        "en": {
            "title": "Automatic payment failed",
            "body": "The contributions for {month} could not be paid automatically from {account}: {reason}. "
            "Pay in the app before the 15th so that protection does not lapse.",
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
    "how_to_pay_va": {
        "id": {"title": "", "body": "Bayar ke Virtual Account {va_number} (tagihan {number})."},
        "en": {"title": "", "body": "Pay to virtual account {va_number} (invoice {number})."},
    },
    "how_to_pay_code": {
        "id": {"title": "", "body": "Bayar lewat {method} dengan kode {payment_code} (tagihan {number})."},
        "en": {"title": "", "body": "Pay through {method} with code {payment_code} (invoice {number})."},
    },
    "how_to_pay_app": {
        "id": {"title": "", "body": "Bayar di aplikasi JMO, menu Sertakan > Bayar Iuran."},
        "en": {"title": "", "body": "Pay in the JMO app: Sertakan > Pay contributions."},
    },
    "reminder_due_d7": {
        "id": {
            "title": "Iuran jatuh tempo 7 hari lagi",
            "body": "Iuran BPJS Ketenagakerjaan {worker_name} bulan {month} sebesar {amount} jatuh tempo "
            "{due_date}. {how_to_pay}",
        },
        "en": {
            "title": "Contribution due in 7 days",
            "body": "The BPJS Ketenagakerjaan contribution of {worker_name} for {month}, {amount}, is due on "
            "{due_date}. {how_to_pay}",
        },
    },
    "reminder_due_d3": {
        "id": {
            "title": "Iuran jatuh tempo 3 hari lagi",
            "body": "3 hari lagi: iuran {worker_name} bulan {month} sebesar {amount} jatuh tempo {due_date}. "
            "{how_to_pay}",
        },
        "en": {
            "title": "Contribution due in 3 days",
            "body": "3 days left: the contribution of {worker_name} for {month}, {amount}, is due on {due_date}. "
            "{how_to_pay}",
        },
    },
    "reminder_due_d1": {
        "id": {
            "title": "Iuran jatuh tempo besok",
            "body": "Besok batas bayar iuran {worker_name} bulan {month} sebesar {amount} ({due_date}). "
            "{how_to_pay}",
        },
        "en": {
            "title": "Contribution due tomorrow",
            "body": "Tomorrow is the deadline for {worker_name}'s contribution for {month}, {amount} "
            "({due_date}). {how_to_pay}",
        },
    },
    "reminder_overdue": {
        "id": {
            "title": "Iuran terlambat",
            "body": "Iuran {worker_name} bulan {month} sebesar {amount} belum dibayar (jatuh tempo {due_date}). "
            "Tidak ada denda, bayar sekarang agar perlindungan tetap berjalan. {how_to_pay}",
        },
        "en": {
            "title": "Contribution overdue",
            "body": "The contribution of {worker_name} for {month}, {amount}, is unpaid (due {due_date}). "
            "There is no late fee: pay now to keep the protection going. {how_to_pay}",
        },
    },
    "reminder_arrears_monthly": {
        "id": {
            "title": "Ada tunggakan iuran",
            "body": "Iuran {worker_name} menunggak sejak {month} ({amount} per bulan). Tunggakan bisa dibayar "
            "hingga 3 bulan, mulai dari bulan tertua. {how_to_pay}",
        },
        "en": {
            "title": "Contributions in arrears",
            "body": "{worker_name}'s contributions are unpaid since {month} ({amount} a month). Arrears can be "
            "paid for up to 3 months, oldest first. {how_to_pay}",
        },
    },
    "reminder_final_warning": {
        "id": {
            "title": "Peringatan terakhir",
            "body": "Peringatan terakhir: kepesertaan {worker_name} akan nonaktif jika tunggakan sejak {month} "
            "tidak dibayar sampai {due_date}. {how_to_pay}",
        },
        "en": {
            "title": "Final warning",
            "body": "Final warning: {worker_name}'s membership becomes inactive unless the arrears since "
            "{month} are paid by {due_date}. {how_to_pay}",
        },
    },
    "reminder_coverage_lapsed": {
        "id": {
            "title": "Kepesertaan nonaktif",
            "body": "Kepesertaan BPJS Ketenagakerjaan {worker_name} nonaktif karena lebih dari 3 bulan tidak "
            "dibayar. Bayar iuran bulan ini untuk memulai perlindungan baru. {how_to_pay}",
        },
        "en": {
            "title": "Coverage lapsed",
            "body": "{worker_name}'s BPJS Ketenagakerjaan coverage has lapsed after more than 3 unpaid months. "
            "Pay this month's contribution to start a new coverage period. {how_to_pay}",
        },
    },
    "reminder_coverage_lapsed_worker": {
        "id": {
            "title": "Kepesertaan nonaktif",
            "body": "Kepesertaan BPJS Ketenagakerjaan Anda (KPJ {kpj_number}) nonaktif karena iuran lebih dari "
            "3 bulan tidak dibayar. Hubungi pemberi kerja Anda atau bayar sendiri lewat aplikasi JMO.",
        },
        "en": {
            "title": "Coverage lapsed",
            "body": "Your BPJS Ketenagakerjaan membership (KPJ {kpj_number}) is inactive after more than 3 "
            "unpaid months. Ask your employer, or pay yourself in the JMO app.",
        },
    },
    "reminder_coverage_ending_worker": {
        "id": {
            "title": "Perlindungan Anda segera berakhir",
            "body": "Iuran BPJS Ketenagakerjaan Anda (KPJ {kpj_number}) sudah dibayar sampai {paid_month} dan "
            "tidak ada lagi yang membayarnya. Perlindungan berakhir jika iuran {month} sebesar {amount} tidak "
            "dibayar sampai {due_date}. Untuk melanjutkan, daftar sendiri di aplikasi JMO (Sertakan > "
            "Daftarkan Diri Sendiri) dengan NIK Anda: nomor KPJ tetap sama.",
        },
        "en": {
            "title": "Your protection ends soon",
            "body": "Your BPJS Ketenagakerjaan contributions (KPJ {kpj_number}) are paid through {paid_month} "
            "and nobody pays them any more. Your protection ends unless {month}'s contribution, {amount}, is "
            "paid by {due_date}. To continue, enroll yourself in the JMO app (Sertakan > Enroll yourself) "
            "with your NIK: your KPJ number stays the same.",
        },
    },
    "reminder_prepaid_ending": {
        "id": {
            "title": "Periode iuran berakhir bulan ini",
            "body": "Iuran {worker_name} yang sudah dibayar di muka berakhir bulan ini. Iuran {month} sebesar "
            "{amount} jatuh tempo {due_date}. {how_to_pay}",
        },
        "en": {
            "title": "Paid period ends this month",
            "body": "The prepaid contributions of {worker_name} end this month. {month}'s contribution, "
            "{amount}, is due on {due_date}. {how_to_pay}",
        },
    },
}

# The kinds whose text carries a one-time code: the outbox keeps it only until the message is sent
# (or has failed for good), then masks it (notifications.services).
CODE_KINDS = frozenset(
    kind for kind, texts in TEMPLATES.items() if any("{code}" in text["body"] for text in texts.values())
)

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


def date_label(day, language: str) -> str:
    """`5 Juli 1990` / `5 July 1990`."""
    names = MONTHS.get((language or "id")[:2], MONTHS["id"])
    return f"{day.day} {names[day.month - 1]} {day.year}"


def rupiah(amount: int) -> str:
    """Whole rupiah the Indonesian way: `Rp36.800`."""
    return "Rp" + f"{amount:,}".replace(",", ".")


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


# Who a message to someone else (the worker) names when the sponsor's stored name is not a valid name.
SPONSOR_FALLBACK = {"id": "sponsor Anda", "en": "your sponsor"}


def render(kind: str, language: str, **params) -> Rendered:
    lang = language[:2] if language and language[:2] in ("id", "en") else "id"
    texts = TEMPLATES[kind]
    chosen = texts.get(lang, texts["id"])
    fallback = None
    if "sponsor_name" in params:
        # Messages to a third party quote the sponsor only through a valid name (core.names: no links,
        # no digits), never raw text: a name stored before names were checked gets the neutral words.
        quoted = name_quotable(params["sponsor_name"])
        fallback = None if quoted else SPONSOR_FALLBACK[lang]
        params["sponsor_name"] = quoted or fallback
    body = chosen["body"].format(**params)
    if fallback and body.startswith(fallback):
        body = body[0].upper() + body[1:]
    return Rendered(title=chosen["title"].format(**params), body=body)

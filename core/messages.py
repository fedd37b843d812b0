"""Human-readable texts of the stable error codes, in Bahasa Indonesia (default) and English.

The language follows the request (`Accept-Language`, through Django's LocaleMiddleware) or an explicit
`language` argument (for messages composed outside a request, e.g. in a task).
"""

from django.utils import translation

MESSAGES: dict[str, dict[str, str]] = {
    "phone_invalid": {
        "id": "Nomor HP tidak valid. Gunakan nomor seluler Indonesia, misalnya 0812-3456-7890.",
        "en": "Invalid phone number. Use an Indonesian mobile number, e.g. 0812-3456-7890.",
    },
    "phone_taken": {
        "id": "Nomor HP ini sudah terdaftar.",
        "en": "This phone number is already registered.",
    },
    "phone_not_verified": {
        "id": "Nomor HP belum diverifikasi. Masukkan kode yang kami kirim lewat SMS.",
        "en": "Phone number not verified. Enter the code we sent by SMS.",
    },
    "phone_already_verified": {
        "id": "Nomor HP ini sudah diverifikasi.",
        "en": "This phone number is already verified.",
    },
    "invalid_credentials": {
        "id": "Nomor HP atau kata sandi salah.",
        "en": "Wrong phone number or password.",
    },
    "otp_required": {
        "id": "Ada beberapa percobaan masuk yang gagal. Masukkan juga kode yang kami kirim lewat SMS ke "
        "nomor HP akun ini.",
        "en": "There were several failed sign-in attempts. Also enter the code we sent by SMS to this "
        "account's phone.",
    },
    "admin_login_throttled": {
        "id": "Terlalu banyak percobaan masuk yang gagal dari alamat ini. Coba lagi dalam {minutes} menit.",
        "en": "Too many failed sign-in attempts from this address. Try again in {minutes} minutes.",
    },
    "login_phone_label": {"id": "Nomor HP", "en": "Phone number"},
    "login_code_label": {"id": "Kode SMS", "en": "SMS code"},
    "login_code_help": {
        "id": "Hanya jika diminta: kode yang kami kirim lewat SMS ke nomor HP akun ini.",
        "en": "Only when asked: the code we sent by SMS to this account's phone.",
    },
    "otp_invalid": {
        "id": "Kode salah. Periksa SMS terakhir yang kami kirim.",
        "en": "Wrong code. Check the last SMS we sent.",
    },
    "otp_expired": {
        "id": "Kode sudah kedaluwarsa. Minta kode baru.",
        "en": "The code has expired. Ask for a new one.",
    },
    "otp_locked": {
        "id": "Terlalu banyak percobaan salah. Minta kode baru.",
        "en": "Too many wrong tries. Ask for a new code.",
    },
    "nik_invalid": {
        "id": "NIK tidak valid: {reason}.",
        "en": "Invalid NIK: {reason}.",
    },
    "name_invalid": {
        "id": "Nama harus 2 sampai 100 karakter, berisi huruf, spasi, dan tanda . ' - , saja "
        "(tanpa angka atau alamat web).",
        "en": "A name must be 2 to 100 characters of letters, spaces and . ' - , only "
        "(no digits or web addresses).",
    },
    "nik_birth_date_mismatch": {
        "id": "Tanggal lahir tidak cocok dengan NIK.",
        "en": "The birth date does not match the NIK.",
    },
    "age_not_eligible": {
        "id": "Usia peserta harus {min_age} sampai {max_age} tahun saat mendaftar.",
        "en": "The participant must be {min_age} to {max_age} years old at registration.",
    },
    "nik_already_registered": {
        "id": "NIK ini sudah terdaftar pada kepesertaan yang masih berjalan.",
        "en": "This NIK already has an open enrollment.",
    },
    "occupation_invalid": {
        "id": "Jenis pekerjaan tidak dikenal.",
        "en": "Unknown occupation.",
    },
    "income_level_invalid": {
        "id": "Tingkat penghasilan tidak tersedia.",
        "en": "This income level is not available.",
    },
    "programmes_invalid": {
        "id": "Program harus berisi JKK dan JKM, dan boleh ditambah JHT.",
        "en": "Programmes must include JKK and JKM, and may add JHT.",
    },
    "relationship_invalid": {
        "id": "Hubungan tidak dikenal.",
        "en": "Unknown relationship.",
    },
    "sponsor_limit_reached": {
        "id": "Anda sudah mendaftarkan {limit} pekerja aktif, batas maksimal.",
        "en": "You already have {limit} open enrollments, the maximum.",
    },
    "registration_limit_reached": {
        "id": "Anda sudah mendaftarkan {limit} pekerja dalam 24 jam terakhir, batas harian. "
        "Coba lagi dalam {retry_in}.",
        "en": "You registered {limit} workers in the last 24 hours, the daily maximum. Try again in {retry_in}.",
    },
    "self_phone_mismatch": {
        "id": "Untuk mendaftarkan diri sendiri, gunakan nomor HP akun Anda.",
        "en": "To enroll yourself, use your account's phone number.",
    },
    "self_already_registered": {
        "id": "Akun ini sudah memiliki pendaftaran untuk diri sendiri.",
        "en": "This account already has a self-enrollment.",
    },
    "sponsorship_not_open": {
        "id": "Kepesertaan ini sudah tidak berjalan ('{status}'), jadi tidak bisa ditarik.",
        "en": "This sponsorship is no longer open ('{status}'), so it cannot be withdrawn.",
    },
    "invalid_status": {
        "id": "Tindakan ini tidak bisa dilakukan pada status '{status}'.",
        "en": "This action is not allowed in status '{status}'.",
    },
    "rejection_reason_required": {
        "id": "Alasan penolakan wajib diisi.",
        "en": "A rejection reason is required.",
    },
    "reminder_channels_invalid": {
        "id": "Saluran pengingat tidak valid: {reason}.",
        "en": "Invalid reminder channels: {reason}.",
    },
    "token_not_valid": {
        "id": "Token tidak valid atau sudah kedaluwarsa.",
        "en": "The token is invalid or expired.",
    },
    "permission_denied": {
        "id": "Anda tidak berhak melakukan tindakan ini.",
        "en": "You are not allowed to do this.",
    },
    "rate_unavailable": {
        "id": "Tarif iuran untuk bulan {month} belum tersedia.",
        "en": "No contribution rates are in force for {month}.",
    },
    "months_not_allowed": {
        "id": "Jumlah bulan harus 1, 3, 6, atau 12.",
        "en": "The number of months must be 1, 3, 6 or 12.",
    },
    "month_invalid": {
        "id": "Bulan harus berformat YYYY-MM, dari 1900-01 sampai 2999-12.",
        "en": "A month must be written YYYY-MM, from 1900-01 to 2999-12.",
    },
    "items_invalid": {
        "id": "Daftar pekerja tidak valid: isi minimal satu pekerja, masing-masing satu kali.",
        "en": "Invalid items: list at least one worker, each once.",
    },
    "worker_not_approved": {
        "id": "{name} belum disetujui, jadi belum bisa dibayar.",
        "en": "{name} is not approved yet, so cannot be paid for.",
    },
    "card_not_issued": {
        "id": "{name} belum disetujui, jadi belum punya nomor KPJ dan kartu peserta.",
        "en": "{name} is not approved yet, so has no KPJ number or membership card.",
    },
    "invoice_not_paid": {
        "id": "Tagihan ini belum dibayar, jadi belum ada kuitansi.",
        "en": "This invoice is not paid, so there is no receipt yet.",
    },
    "pending_invoice_exists": {
        "id": "Sudah ada tagihan yang menunggu pembayaran untuk pekerja ini.",
        "en": "A pending invoice already covers this worker.",
    },
    "prepay_limit_exceeded": {
        "id": "Pembayaran di muka paling lama {limit} bulan setelah bulan ini.",
        "en": "You can prepay at most {limit} months beyond the current month.",
    },
    "invoice_not_pending": {
        "id": "Tagihan ini berstatus '{status}', tidak menunggu pembayaran.",
        "en": "This invoice is '{status}', not pending.",
    },
    "invoice_not_refundable": {
        "id": "Tagihan ini tidak sedang menunggu pengembalian dana.",
        "en": "This invoice is not awaiting a refund.",
    },
    "refund_amount_invalid": {
        "id": "Jumlah pengembalian dana harus bilangan bulat rupiah lebih dari 0.",
        "en": "The refund amount must be a whole number of rupiah above 0.",
    },
    "refund_exceeds_received": {
        "id": "Pengembalian dana paling banyak sebesar uang yang diterima: {received}.",
        "en": "A refund returns at most the money received: {received}.",
    },
    "refund_reference_required": {
        "id": "Nomor referensi transfer bank wajib diisi.",
        "en": "The bank transfer reference is required.",
    },
    "refund_date_invalid": {
        "id": "Tanggal transfer wajib diisi dan tidak boleh di masa depan.",
        "en": "The transfer date is required and cannot be in the future.",
    },
    # `review_not_creditable` (409) is raised with one of the texts below, which says why.
    "review_not_creditable": {
        "id": "Uang tagihan ini tidak bisa dikreditkan.",
        "en": "The money of this invoice cannot be credited.",
    },
    "credit_only_late_money": {
        "id": "Hanya uang yang datang setelah tagihan kedaluwarsa atau dibatalkan yang bisa dikreditkan setelah dicek.",
        "en": "Only money that came after the invoice expired or was cancelled can be credited after a check.",
    },
    "credit_amount_differs": {
        "id": "Uang yang diterima ({received}) tidak sama dengan total tagihan ({total}).",
        "en": "The money received ({received}) differs from the invoice total ({total}).",
    },
    "credit_months_covered": {
        "id": "Sebagian bulan tagihan ini sudah dibayar lewat pembayaran lain.",
        "en": "Some months of this invoice are already covered by another payment.",
    },
    "credit_coverage_lapsed": {
        "id": "Masa kepesertaan pekerja sudah tidak aktif; bulan-bulan lamanya tidak bisa dibayar lagi.",
        "en": "The worker's coverage has lapsed; its old months can no longer be paid.",
    },
    "credit_pending_invoice": {
        "id": "Ada tagihan lain yang menunggu pembayaran untuk pekerja tagihan ini.",
        "en": "Another pending invoice bills a worker of this invoice.",
    },
    "payment_method_invalid": {
        "id": "Metode pembayaran tidak tersedia. Pilih salah satu dari daftar metode pembayaran.",
        "en": "Payment method not available. Choose one from the list of payment methods.",
    },
    "amount_out_of_range": {
        "id": "Jumlah tagihan di luar batas {method}: {min_amount} sampai {max_amount}. Pilih metode lain.",
        "en": "The amount is outside {method}'s limits: {min_amount} to {max_amount}. Choose another method.",
    },
    "card_token_required": {
        "id": "Masukkan kartu terlebih dahulu: kirim card_token dari SDK Midtrans.",
        "en": "Enter the card first: send the card_token from Midtrans' SDK.",
    },
    "card_refused": {
        "id": "Kartu ini tidak bisa ditautkan (ditolak atau kedaluwarsa). Masukkan ulang kartu atau pakai kartu lain.",
        "en": "This card cannot be linked (refused or expired). Enter the card again or use another card.",
    },
    "autopay_not_linking": {
        "id": "Tidak ada pembayaran otomatis yang sedang ditautkan (status '{status}').",
        "en": "No automatic payment is being linked (status '{status}').",
    },
    "gateway_unavailable": {
        "id": "Layanan pembayaran sedang tidak tersedia. Coba lagi sebentar lagi.",
        "en": "The payment service is unavailable. Try again shortly.",
    },
    "idempotency_key_required": {
        "id": "Header Idempotency-Key wajib diisi.",
        "en": "The Idempotency-Key header is required.",
    },
    "idempotency_key_reused": {
        "id": "Idempotency-Key ini sudah dipakai untuk permintaan lain.",
        "en": "This Idempotency-Key was already used for a different request.",
    },
    "notification_malformed": {
        "id": "Notifikasi tidak lengkap.",
        "en": "Malformed notification.",
    },
    "signature_invalid": {
        "id": "Tanda tangan notifikasi tidak valid.",
        "en": "Invalid notification signature.",
    },
    "throttled": {
        "id": "Terlalu banyak permintaan. Coba lagi dalam {wait} detik.",
        "en": "Too many requests. Try again in {wait} seconds.",
    },
    "not_found": {
        "id": "Tidak ditemukan.",
        "en": "Not found.",
    },
    "server_error": {
        "id": "Terjadi kesalahan di server.",
        "en": "Server error.",
    },
    # A body that is not JSON (core/api/parsers.py): DRF's own text quotes Python's json error, in English.
    "json_invalid_at": {
        "id": "Isi permintaan bukan JSON yang valid (baris {line}, kolom {column}).",
        "en": "The request body is not valid JSON (line {line}, column {column}).",
    },
    "json_invalid": {
        "id": "Isi permintaan bukan JSON yang valid.",
        "en": "The request body is not valid JSON.",
    },
    "page_size_invalid": {
        "id": "Ukuran halaman harus bilangan bulat dari 1 sampai {max}.",
        "en": "The page size must be a whole number from 1 to {max}.",
    },
    "status_filter_invalid": {
        "id": "Status harus salah satu dari: {choices}.",
        "en": "The status must be one of: {choices}.",
    },
    # Another list filter's value that is not one of its choices (GET /workers?status=, ?coverage_status=).
    "filter_choice_invalid": {
        "id": "Filter {name} harus salah satu dari: {choices}.",
        "en": "The {name} filter must be one of: {choices}.",
    },
    "filter_choices_invalid": {
        "id": "Filter {name} harus satu atau lebih dari: {choices}, dipisahkan koma.",
        "en": "The {name} filter must be one or more of: {choices}, comma-separated.",
    },
    # The detail of a `throttled` answer that is a business limit on one phone, not a request rate.
    "consent_sms_limit_reached": {
        "id": "Nomor HP ini sudah menerima {limit} kode persetujuan dalam 24 jam terakhir. "
        "Coba lagi dalam {retry_in}.",
        "en": "This phone number already received {limit} consent codes in the last 24 hours. "
        "Try again in {retry_in}.",
    },
    # Reasons, filled into the `{reason}` of the messages above.
    "nik_reason_number": {
        "id": "kirim sebagai teks 16 digit dalam tanda kutip, bukan sebagai angka",
        "en": "send it as a string of 16 digits in quotes, not as a number",
    },
    "nik_reason_type": {
        "id": "kirim sebagai teks 16 digit",
        "en": "send it as a string of 16 digits",
    },
    "nik_reason_characters": {
        "id": "hanya boleh berisi angka 0-9",
        "en": "it may only hold the digits 0-9",
    },
    "nik_reason_length": {
        "id": "harus 16 digit, bukan {length}",
        "en": "it must be 16 digits, not {length}",
    },
    "nik_reason_province": {
        "id": "kode provinsi tidak dikenal",
        "en": "unknown province code",
    },
    "nik_reason_date": {
        "id": "tanggal lahir di dalam NIK tidak valid",
        "en": "the birth date inside the NIK is not a real date",
    },
    "nik_reason_serial": {
        "id": "nomor urut tidak boleh 0000",
        "en": "the serial number cannot be 0000",
    },
    "reminder_channels_reason_not_a_list": {
        "id": 'kirim sebagai daftar, misalnya ["sms", "push"]',
        "en": 'send a list, e.g. ["sms", "push"]',
    },
    "reminder_channels_reason_unknown": {
        "id": "saluran {channel} tidak dikenal, pilih dari sms, whatsapp, push",
        "en": "unknown channel {channel}, choose from sms, whatsapp, push",
    },
    "reminder_channels_reason_repeated": {
        "id": "saluran {channel} disebut lebih dari sekali",
        "en": "channel {channel} is listed more than once",
    },
    # Requests refused before any endpoint reads them (API.md "General rules": no client input, however
    # large, deep or odd, produces a 5xx). core/api/parsers.py, core/api/errors.py, core/middleware.py,
    # and gunicorn's own refusals (core/serving.py).
    "body_too_deep": {
        "id": "Isi permintaan terlalu dalam bertingkat (paling banyak {depth} tingkat).",
        "en": "The request body is nested too deeply (at most {depth} levels).",
    },
    "body_text_invalid": {
        "id": "Isi permintaan memuat karakter yang tidak diizinkan (NUL atau surrogate tanpa pasangan).",
        "en": "The request body holds a character that is not allowed (NUL or an unpaired surrogate).",
    },
    "request_too_large": {
        "id": "Isi permintaan terlalu besar (paling banyak {limit} byte).",
        "en": "The request body is too large (at most {limit} bytes).",
    },
    "uri_too_long": {
        "id": "Alamat (URL) permintaan terlalu panjang.",
        "en": "The request URL is too long.",
    },
    "headers_too_large": {
        "id": "Header permintaan terlalu banyak atau terlalu besar.",
        "en": "The request has too many or too large headers.",
    },
    "bad_request": {
        "id": "Permintaan HTTP tidak valid.",
        "en": "Malformed HTTP request.",
    },
    "bad_host": {
        "id": "Server ini tidak melayani host yang diminta. Gunakan alamat server yang terdaftar.",
        "en": "This server does not serve the requested host. Use the server's registered address.",
    },
}


def duration(seconds: int, language: str | None = None) -> str:
    """A wait in hours and minutes, rounded up to the minute: `2 jam 5 menit` / `2 h 5 min`."""
    hours, minutes = divmod(max(1, -(-int(seconds) // 60)), 60)
    units = ("jam", "menit") if (language or translation.get_language() or "id")[:2] != "en" else ("h", "min")
    parts = [f"{hours} {units[0]}"] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} {units[1]}")
    return " ".join(parts)


def message(code: str, language: str | None = None, **params) -> str:
    """The text of `code` in `language` (default: the active language), with `params` filled in."""
    texts = MESSAGES.get(code)
    if texts is None:
        return code
    lang = (language or translation.get_language() or "id")[:2]
    template = texts.get(lang, texts["id"])
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template

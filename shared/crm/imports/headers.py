"""Which column fills which field: by its header, in any of the product's languages, else by its values.

A suggestion only: the person importing sees it and may change it before the import runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from crm.platform.text import fold_text

# Built-in names for the targets an import knows, in English, Persian, Arabic, Russian, Malay and Greek.
# `name` comes first: where a word means both a record's name and a person's ("Name", "نام", "Nama"), an
# entity that has a `name` (companies, deals) takes it, and one that has not (contacts) gives it to full_name.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("name", "company name", "deal name", "title", "نام", "نام شرکت", "عنوان", "الاسم", "اسم الشركة",
             "Название", "Наименование", "Nama", "nama syarikat", "Όνομα", "Επωνυμία", "Τίτλος", "اسم"),
    "id": ("id", "record id", "شناسه", "المعرف", "Идентификатор", "ID rekod", "Αναγνωριστικό"),
    "external_id": ("external id", "reference", "ref", "شناسه خارجی", "کد مرجع", "المعرف الخارجي", "المرجع",
                    "Внешний ID", "Внешний идентификатор", "ID luaran", "rujukan", "Εξωτερικό αναγνωριστικό"),
    "first_name": ("first name", "given name", "forename", "نام", "الاسم الأول", "Имя", "nama pertama",
                   "nama depan", "Όνομα"),
    "last_name": ("last name", "surname", "family name", "نام خانوادگی", "اسم العائلة", "الكنية", "Фамилия",
                  "nama keluarga", "Επώνυμο"),
    "full_name": ("name", "full name", "contact name", "نام و نام خانوادگی", "نام کامل", "الاسم", "اسم", "الاسم الكامل",
                  "ФИО", "Полное имя", "Nama", "nama penuh", "Ονοματεπώνυμο", "Πλήρες όνομα"),
    "email": ("email", "e-mail", "email address", "mail", "ایمیل", "پست الکترونیک", "پست الکترونیکی", "رایانامه",
              "البريد الإلكتروني", "بريد", "البريد", "Электронная почта", "почта", "Эл. почта", "emel",
              "alamat emel", "Ηλεκτρονικό ταχυδρομείο", "Διεύθυνση email"),
    "phone": ("phone", "phone number", "mobile", "mobile phone", "cell", "tel", "telephone", "تلفن", "موبایل",
              "شماره تماس", "شماره تلفن", "تلفن همراه", "همراه", "هاتف", "جوال", "رقم الهاتف", "الهاتف", "الجوال",
              "Телефон", "мобильный", "Мобильный телефон", "telefon", "no. telefon", "nombor telefon",
              "telefon bimbit", "Τηλέφωνο", "κινητό"),
    "company": ("company", "organization", "organisation", "account", "employer", "شرکت", "سازمان", "الشركة",
                "المؤسسة", "Компания", "Организация", "syarikat", "organisasi", "Εταιρεία", "Οργανισμός"),
    "job_title": ("job title", "title", "position", "role", "سمت", "عنوان شغلی", "المسمى الوظيفي", "الوظيفة",
                  "Должность", "jawatan", "Θέση", "Θέση εργασίας"),
    "city": ("city", "town", "شهر", "المدينة", "Город", "bandar", "Πόλη"),
    "country": ("country", "کشور", "الدولة", "البلد", "Страна", "negara", "Χώρα"),
    "website": ("website", "web site", "url", "web", "homepage", "وب سایت", "وبسایت", "سایت", "الموقع الإلكتروني",
                "الموقع", "Сайт", "Веб-сайт", "laman web", "Ιστοσελίδα", "Ιστότοπος"),
    "domain": ("domain", "web domain", "دامنه", "النطاق", "Домен", "domain web", "Τομέας"),
    "industry": ("industry", "sector", "صنعت", "حوزه فعالیت", "الصناعة", "القطاع", "Отрасль", "industri",
                 "Κλάδος"),
    "owner": ("owner", "account owner", "assigned to", "مسئول", "مسؤول", "مالک", "المالك", "المسؤول",
              "Ответственный", "Владелец", "pemilik", "Υπεύθυνος", "Ιδιοκτήτης"),
    "lifecycle_stage": ("lifecycle stage", "lifecycle", "مرحله چرخه عمر", "مرحلة دورة الحياة",
                        "Стадия жизненного цикла", "peringkat kitaran hayat", "Στάδιο κύκλου ζωής"),
    "lead_status": ("lead status", "status", "وضعیت", "وضعیت سرنخ", "الحالة", "حالة العميل المحتمل", "Статус",
                    "Статус лида", "status prospek", "Κατάσταση"),
    "source": ("source", "lead source", "منبع", "منبع سرنخ", "المصدر", "Источник", "sumber", "Πηγή"),
    "tags": ("tags", "tag", "labels", "برچسب", "برچسب ها", "الوسوم", "العلامات", "Теги", "Метки", "Ετικέτες"),
    "notes": ("notes", "note", "comments", "remarks", "یادداشت", "توضیحات", "ملاحظات", "Примечания", "Заметки",
              "Комментарий", "catatan", "nota", "Σημειώσεις", "Σχόλια"),
    "amount": ("amount", "value", "deal value", "price", "مبلغ", "ارزش", "المبلغ", "القيمة", "Сумма", "amaun",
               "nilai", "Ποσό", "Αξία"),
    "currency": ("currency", "واحد پول", "ارز", "العملة", "Валюта", "mata wang", "Νόμισμα"),
    "pipeline": ("pipeline", "sales pipeline", "قیف فروش", "پایپ لاین", "مسار المبيعات", "Воронка", "saluran paip",
                 "Διοχέτευση"),
    "stage": ("stage", "deal stage", "مرحله", "المرحلة", "Этап", "Стадия", "peringkat", "Στάδιο"),
    "expected_close_date": ("expected close date", "close date", "closing date", "تاریخ بستن", "تاریخ پیش بینی بستن",
                            "تاريخ الإغلاق المتوقع", "تاريخ الإغلاق", "Дата закрытия", "Ожидаемая дата закрытия",
                            "tarikh tutup", "Ημερομηνία κλεισίματος"),
    "type": ("type", "activity type", "kind", "نوع", "النوع", "Тип", "jenis", "Τύπος"),
    "subject": ("subject", "topic", "موضوع", "الموضوع", "Тема", "subjek", "perkara", "Θέμα"),
    "due_at": ("due at", "due date", "due", "deadline", "سررسید", "مهلت", "تاریخ سررسید", "تاريخ الاستحقاق",
               "الموعد النهائي", "Срок", "Дата выполнения", "tarikh akhir", "Προθεσμία"),
    "contact": ("contact", "contact email", "contact phone", "مخاطب", "جهة الاتصال", "Контакт", "kenalan",
                "Επαφή"),
    "deal": ("deal", "opportunity", "معامله", "فرصت", "الصفقة", "Сделка", "urus niaga", "Συμφωνία"),
    "description": ("description", "details", "شرح", "الوصف", "Описание", "keterangan", "penerangan", "Περιγραφή"),
}

_PUNCTUATION = re.compile(r"[\W_]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
_PHONE = re.compile(r"\+?[\d\s().\-]+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WEB = re.compile(r"(?:https?://)?(?:www\.)?(?:[\w-]+\.)+[^\W\d_]{2,}(?:[/?#]\S*)?", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)", re.IGNORECASE)
# A column is recognised by its values when this share of its non-empty sample cells looks alike.
_MOSTLY = 0.8


def header_key(text: str) -> str:
    """A header as it is compared: folded (case, marks, Arabic and Persian letters), without punctuation or
    spaces, so "E-mail", "email" and "EMAIL" agree, and "First_Name" agrees with "first name"."""
    return _PUNCTUATION.sub("", fold_text(text))


def suggest_mapping(headers: Sequence[str], sample: Sequence[Sequence[str]],
                    targets: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """header -> target name, for the columns it recognises. `targets` maps each target the entity accepts to
    extra names for it (e.g. a custom field's key and its label); built-in synonyms are added for known targets.

    A header matches a target's own name first, then the names the caller gives, then the built-in ones; a
    column no header names is judged by its sample values (emails, phones, web addresses). Each target is
    suggested for one column at most: the first that matches.
    """
    names = _names(targets)
    mapping: dict[str, str] = {}
    for header in headers:
        target = names.get(header_key(header))
        if target is not None and target not in mapping.values():
            mapping[header] = target
    for index, header in enumerate(headers):
        if header not in mapping:
            values = [row[index].strip() for row in sample if index < len(row) and row[index].strip()]
            target = _by_values(values, targets, set(mapping.values()))
            if target is not None:
                mapping[header] = target
    return mapping


def _names(targets: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Folded name -> target, the earlier tier winning a name two targets share."""
    tiers = (
        ((target, [target]) for target in targets),
        targets.items(),
        ((target, SYNONYMS[target]) for target in SYNONYMS if target in targets),
    )
    names: dict[str, str] = {}
    for tier in tiers:
        for target, words in tier:
            for word in words:
                names.setdefault(header_key(word), target)
    names.pop("", None)
    return names


def _by_values(values: list[str], targets: Mapping[str, Sequence[str]], taken: set[str]) -> str | None:
    if not values:
        return None
    if _mostly(values, _is_email):
        candidates: tuple[str, ...] = ("email",)
    elif _mostly(values, _is_phone):
        candidates = ("phone",)
    elif _mostly(values, _is_web):
        # Bare host names are a domain, if both are offered; a scheme, www or a path makes them a website.
        urls = any(_URL.match(value) or "/" in value for value in values)
        candidates = ("website", "domain") if urls else ("domain", "website")
    else:
        return None
    return next((target for target in candidates if target in targets and target not in taken), None)


def _mostly(values: list[str], looks: Callable[[str], bool]) -> bool:
    return sum(1 for value in values if looks(value)) >= _MOSTLY * len(values)


def _is_email(value: str) -> bool:
    return bool(_EMAIL.fullmatch(value))


def _is_phone(value: str) -> bool:
    """Digits in any script with the marks people put in a phone number, 7 to 15 of them; not a date."""
    digits = sum(1 for char in value if char.isdigit())
    return bool(_PHONE.fullmatch(value)) and 7 <= digits <= 15 and not _ISO_DATE.fullmatch(value)


def _is_web(value: str) -> bool:
    return "@" not in value and bool(_WEB.fullmatch(value))

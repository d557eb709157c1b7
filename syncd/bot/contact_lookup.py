"""Which Okdesk contacts have the number a client shared: by ``phone``, then by what sees mobile numbers.

Staff enter a client's number as ``phone`` or ``mobile_phone``, in any spelling, and which of them
Okdesk's lookups see is unknown (syncd.okdesk.contacts). So, cheapest first, stopping at the first
step that finds the number:

1. ``?phone=`` for each usual spelling, and ``search_string`` with the last ten digits;
2. ``?mobile_phone=`` for each spelling (one request where the account does not know it);
3. a walk over ``/contacts/list``, which sees both fields of every contact.

Every candidate is kept only if its phone or mobile phone IS the number once normalised, never a
substring. A lookup that found nothing is believed only when the walk saw every contact's mobile
number (``complete``); otherwise the caller must not create a contact as if nobody had it.
"""

from __future__ import annotations

from dataclasses import dataclass

from syncd.okdesk.models import Contact
from syncd.okdesk.port import Okdesk
from syncd.phones import lookup_variants, normalize, same_number


@dataclass(frozen=True)
class Lookup:
    contacts: list[Contact]  # exact matches
    complete: bool  # nothing found means that no contact has the number
    reason: str | None  # why not complete (ContactScan.reason)
    seen_to: int | None  # the highest contact id the walk saw: a second look walks only newer ones


def find_contacts(okdesk: Okdesk, phone: str, *, seen_to: int | None = None) -> Lookup:
    """Every contact whose phone or mobile phone is ``phone``. ``seen_to``: a complete walk of a moment
    ago saw every contact up to this id, so this one walks only those created since."""

    def same(contact: Contact) -> bool:
        return same_number(contact.phone, phone) or same_number(contact.mobile_phone, phone)

    found: dict[int, Contact] = {}

    def keep(contacts: list[Contact]) -> bool:
        for contact in contacts:
            if same(contact):
                found.setdefault(contact.id, contact)
        return bool(found)

    forms = lookup_variants(phone)
    norm = normalize(phone)
    by_phone = okdesk.find_contacts_by_phone(forms)
    # Staff type numbers in free form; a substring search finds those its fields cover.
    searched = okdesk.search_contacts(norm[-10:]) if norm and len(norm) >= 10 else []
    if keep(by_phone + searched) or keep(okdesk.find_contacts_by_mobile_phone(forms)):
        return Lookup(list(found.values()), True, None, seen_to)
    scan = okdesk.scan_contacts(same, after_id=seen_to)
    keep(scan.matches)
    return Lookup(list(found.values()), scan.complete, scan.reason, scan.last_id)

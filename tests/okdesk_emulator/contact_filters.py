"""Which contacts `GET /contacts/?...` answers, by the switches of options.py.

What is known (okdesk-api.md §5.1): `phone`, `email`, `id`, `login`, `crm_1c_id` are exact-match
parameters answering one object; `search_string` is a substring search answering an array and
overrides the rest. What is not: which field(s) `phone` compares, whether it compares the string
or its digits, whether `mobile_phone` is a search parameter at all, and which fields and forms
`search_string` looks at. Each of those is a switch here; the defaults see the fewest contacts.
"""

from __future__ import annotations

from typing import Any

from . import shapes
from .model import Contact, Store
from .options import Options
from .params import to_int

EXACT_SEARCH_KEYS = ("id", "phone", "email", "login", "crm_1c_id")


def digits(value: str | None) -> str:
    return "".join(ch for ch in value or "" if ch.isdigit())


def search_keys(options: Options, query: dict[str, Any]) -> list[str]:
    """The exact-match parameters given. `mobile_phone` counts only where the account knows it;
    elsewhere it is an unknown parameter and ignored (alone, the request names no search at all)."""
    known = EXACT_SEARCH_KEYS + (("mobile_phone",) if options.contact_mobile_phone_filter == "exact" else ())
    return [key for key in known if key in query]


def _phone_matches(stored: str | None, wanted: str, match: str) -> bool:
    if not stored:
        return False
    if match == "digits_suffix":
        # As a client using the last N digits expects (ast2okdesk): the stored number's digits end
        # with the digits sent. "9123456789" then also finds "+7 912 345-67-89" and "+1 79123456789".
        want = digits(wanted)
        return bool(want) and digits(stored).endswith(want)
    return stored == wanted  # the string as typed: clients try several spellings (§5.1)


def matches_exact(options: Options, contact: Contact, key: str, value: str) -> bool:
    if key == "id":
        return to_int(value) == contact.id
    if key == "phone":
        fields = [contact.phone]
        if options.contact_phone_filter_fields == "phone_and_mobile":
            fields.append(contact.mobile_phone)
        return any(_phone_matches(f, value, options.contact_phone_filter_match) for f in fields)
    if key == "mobile_phone":  # only reached with contact_mobile_phone_filter == "exact"
        return _phone_matches(contact.mobile_phone, value, "exact")
    if key == "email":
        return (contact.email or "").lower() == value.lower()
    return getattr(contact, key) == value


def matches_search(store: Store, contact: Contact, needle: str) -> bool:
    """search_string: a case-insensitive substring of the name, email and phone (mobile phone and
    the numbers' bare digits only as the switches say)."""
    options = store.options
    phones = [contact.phone] + ([contact.mobile_phone] if options.contact_search_string_mobile else [])
    haystacks = [shapes.contact_name(store, contact), contact.email or ""]
    haystacks += [p or "" for p in phones]
    if options.contact_search_string_digits:
        haystacks += [digits(p) for p in phones]
    return any(needle in hay.lower() for hay in haystacks if hay)


def list_item(store: Store, contact: Contact) -> dict[str, Any]:
    """A `/contacts/list` item: the contact object (as SPIRIT reads it), or without `mobile_phone`."""
    item = shapes.contact_json(store, contact)
    if not store.options.contact_list_mobile_phone:
        item.pop("mobile_phone", None)
    return item


# Switch sets under which some lookup can see a contact that has a number only as its mobile phone
# (the tests run the daemon under each). With contact_list_mobile_phone False and every other switch at
# its default, nothing can: that one is tested on its own.
MOBILE_VISIBLE: dict[str, dict[str, object]] = {
    "least-convenient": {},  # only the /contacts/list walk
    "phone-filter-sees-mobile": {"contact_phone_filter_fields": "phone_and_mobile"},
    "search-sees-mobile": {"contact_search_string_mobile": True},
    "mobile-phone-filter": {"contact_mobile_phone_filter": "exact"},
    "list-blind-mobile-filter": {"contact_list_mobile_phone": False, "contact_mobile_phone_filter": "exact"},
    "list-blind-phone-filter": {"contact_list_mobile_phone": False, "contact_phone_filter_fields": "phone_and_mobile"},
    "list-blind-search": {"contact_list_mobile_phone": False, "contact_search_string_mobile": True},
    "suffix-phone-filter": {"contact_phone_filter_match": "digits_suffix",
                            "contact_phone_filter_fields": "phone_and_mobile"},
}

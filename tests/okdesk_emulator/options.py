"""Behaviour switches of the Okdesk emulator.

Every switch covers a point where the public Okdesk documentation is silent or
contradictory (see /work/shared/okdesk-api.md).  Defaults pick the *least convenient*
documented variant, so the daemon is tested against the harshest plausible server.
The attributes may be changed while the emulator runs; they are read per request.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTACT_NOT_FOUND_VARIANTS = ("404", "empty_body", "empty_array", "null", "empty_object")
API_KEY_ROLES = ("administrator", "employee")
# How a non-administrator key is refused a well-formed issue "author" (routes_issues._author).
AUTHOR_REFUSALS = ("accept", "403", "403_author", "422", "422_unnamed", "ignore")
LOGIN_LINK_KEYS = ("login_link", "url", "link")
COMMENT_ATTACHMENT_SHAPES = ("full", "minimal")
# Rights of the api_token's user, one per kind of request (routing.py names each route's).
RIGHTS = (
    "issues.read", "issues.create", "issues.update", "comments.read", "comments.create",
    "contacts.read", "contacts.create", "contacts.update", "employees.read", "dictionaries.read",
    "login_links.create", "companies.read", "maintenance_entities.read", "issues.rate",
)
RATE_VALUES = ("bad", "normal", "good")
RATE_BODY_SHAPES = ("any", "flat", "wrapped")
RATE_AGAIN = ("refuse", "overwrite")


# Options that take one of a few values: the values each may take.
_CHOICES: dict[str, tuple[str, ...]] = {
    "contact_not_found": CONTACT_NOT_FOUND_VARIANTS,
    "contact_phone_filter_fields": ("phone", "phone_and_mobile"),
    "contact_phone_filter_match": ("exact", "digits_suffix"),
    "contact_mobile_phone_filter": ("unknown", "exact"),
    "company_not_found": CONTACT_NOT_FOUND_VARIANTS,
    "rate_body_shape": RATE_BODY_SHAPES,
    "rate_again": RATE_AGAIN,
    "contact_name_order": ("last_first", "first_last"),
    "api_key_role": API_KEY_ROLES,
    "issue_author_refusal": AUTHOR_REFUSALS,
    "login_link_expire_unit": ("minutes", "seconds"),
    "login_link_response_key": LOGIN_LINK_KEYS,
    "comment_attachment_shape": COMMENT_ATTACHMENT_SHAPES,
    "updated_since_filter": ("honoured", "date_only", "ignored", "utc"),
}


@dataclass
class Options:
    # Open question 3: does a new comment touch issue.updated_at?  Default: no, so a
    # poller relying only on updated_since misses new comments.
    comments_bump_updated_at: bool = False
    # Open question 13: do /issues/list items carry comments{count,last_at}?  Default: no.
    list_items_include_comments: bool = False
    # §2.4, open question 4: /issues/list's `updated_since` is shown by production clients only
    # (GEMS, C#-2, MCP), not by the API docs. "honoured" (to the minute), "date_only" (its time
    # dropped: from 00:00 of that day), "ignored" (every issue comes back) or "utc" (its wall time
    # read as UTC: in a zone east of it, the last hours are hidden). Default: ignored, the costliest
    # to poll; "utc", the one that hides, is learned within a minute of the first update
    # (tests/e2e/test_okdesk_learning.py), and a default that hides new issues for that minute would
    # only slow every other test down.
    updated_since_filter: str = "ignored"
    # Open question 6: order of GET .../comments is undocumented; default: random.
    shuffle_comments: bool = True
    # §2.4: page[size] above this -> 422.
    max_page_size: int = 50
    # page[size] used by /issues/list when the client sends none (unknown in Okdesk).
    default_page_size: int = 50
    # Keyset lists (/contacts/list, /employees/list): max and default page[size] (§5.5).
    max_keyset_page_size: int = 100
    default_keyset_page_size: int = 50
    # Open question 7: comment files also listed in issue.attachments (same ids).
    comment_files_in_issue_attachments: bool = True
    # Okdesk's clock against the machine's, in seconds (negative: Okdesk is behind). Moves every
    # timestamp the emulator writes and its Date header; real hosts drift.
    clock_offset: float = 0.0
    # Open question 7: the shape of a comment's attachments is undocumented; False drops
    # attachment_file_size there (the single-attachment endpoint still gives it).
    comment_attachment_sizes: bool = True
    # Open question 7 again: "full" (the issue-attachment shape of §2.3) or "minimal" (each item
    # only {"id"}: no file name, size, flag or date; the single-attachment endpoint still gives them).
    comment_attachment_shape: str = "minimal"
    # Open question 2: answer of GET /contacts/?phone= when nothing matches.
    contact_not_found: str = "404"
    # §5.1 (contact_filters.py): which field GET /contacts/?phone= compares, "phone" (every
    # production client writes and searches it) or "phone_and_mobile"; and how, "exact" (the string
    # as typed: INSI, UZ, YOFO try several spellings) or "digits_suffix" (the stored digits end with
    # those sent: ast2okdesk sends the last N digits).  Defaults: phone only, exact.
    contact_phone_filter_fields: str = "phone"
    contact_phone_filter_match: str = "exact"
    # ?mobile_phone= is in no source: "unknown" (ignored like any unknown parameter; alone, a 422
    # naming no search) or "exact" (matches mobile_phone as typed).  Default: unknown.
    contact_mobile_phone_filter: str = "unknown"
    # §5.1 search_string (a substring, SPIRIT): whether it looks at mobile_phone too, and at the
    # numbers' bare digits ("9123456789" in "+7 (912) 345-67-89").  Defaults: neither.
    contact_search_string_mobile: bool = False
    contact_search_string_digits: bool = False
    # §5.5: /contacts/list items are whole contact objects (SPIRIT reads their "parameters"), so
    # they carry mobile_phone; False drops that key (a list no lookup can see mobile numbers in).
    contact_list_mobile_phone: bool = True
    # §4: a download link lives this many seconds after GET .../attachments/{id}.
    attachment_url_ttl: float = 30.0
    # Status of an expired/unknown download link (S3 answers 403 AccessDenied).
    expired_link_status: int = 403
    # Extra seconds added before every response (including fault answers).
    latency: float = 0.0
    # Open question 9: force comments written by contacts to be public.  Default: no,
    # the stored flag is whatever the client sent (omitted -> false).
    contact_comments_always_public: bool = False
    # Contact "name" composition: "last_first" ("Фамилия Имя Отчество", as employee
    # names in the doc examples) or "first_last" (the doc's contact sample "Егор Егоров").
    contact_name_order: str = "last_first"
    # Idle keep-alive connections are closed after this many seconds (nginx default 75).
    keepalive_timeout: float = 75.0
    # §1, §2.1: the role of the api_token's user.  The doc allows issue "author" only for
    # keys of an Administrator role; default: an ordinary employee's key.
    api_key_role: str = "employee"
    # §2.1 (documented: "author" only for Administrator keys; how the refusal looks is not): what a
    # non-administrator key gets for POST /issues/ with a well-formed "author": "403" (a plain
    # 403 "Доступ запрещен" naming no field, judged first), "403_author" (a 403 whose words name
    # the author), "422" ({"author": [...]} beside the other fields' errors), "422_unnamed" (a 422
    # {"base": [...]} naming no field, judged first), "ignore" (created as the key's own employee)
    # or "accept" (honoured anyway); nothing is created on a refusal.  Default: the refusal names
    # no field.  A malformed author is a 422 always.
    issue_author_refusal: str = "403"
    # nginx client_max_body_size: a request body above this many bytes -> 413 (body drained
    # first, then the connection closed), nothing created.  None: no limit.
    max_request_bytes: int | None = None
    # Open question 8: a create (issue or comment) with a file above this many bytes -> 422
    # {"attachments": [...]}, nothing created.  None: no limit.
    max_attachment_bytes: int | None = None
    # Open question 8: file extensions (no dot, any case) refused like the size limit.
    forbidden_attachment_extensions: tuple[str, ...] = ()
    # Okdesk sanitizes HTML: when True, content of comments and issue descriptions written
    # through the API is stored rewritten (<br> -> <br />, wrapped in <p>, '"' -> &quot;,
    # runs of spaces collapsed).  Clients must not expect a byte-exact echo.
    rewrite_comment_html: bool = False
    # §1.1: rights the api_token's user lacks (values of RIGHTS, e.g. {"comments.create"}).
    # A request needing one -> 403 {"errors": "Недостаточно прав для выполнения действия"},
    # judged after the token and before the route's own validation (nothing created).
    denied_rights: frozenset[str] = frozenset()
    # §8 (reported: YOFO PORTAL_TECHNICAL_DOCS.md, update_urls.py): POST /login_link reads
    # expire_after in "minutes" (43200 = 30 days); "seconds" only for tests of the expiry itself.
    # Its answer: "login_link" ({"login_link": url, "user_id", "user_type", "user_first_name",
    # "user_last_name"}, as reported from real accounts), or {"url": url} / {"link": url}.
    login_link_expire_unit: str = "minutes"
    login_link_response_key: str = "login_link"
    # §2.2: POST /issues/{id}/rates body, documented {"rate": v} vs sent {"issue": {"rate": v}}:
    # "any" takes both; "flat"/"wrapped" take only that one (the other -> 422, rate missing).
    rate_body_shape: str = "any"
    # With one shape read: the other answered 200 and ignored (an API that drops unknown fields),
    # instead of 422. The rating is then silently not applied; only reading the issue tells.
    rate_ignores_other_shape: bool = False
    # A second rate on a rated issue: "refuse" (422 {"rate": ["уже выставлена"]}) or "overwrite".
    rate_again: str = "refuse"
    # Rating an issue whose status is not a completed one (Store.final_status_codes) -> 422.
    rate_requires_completed: bool = True
    # §6: transitions the account's workflow forbids, {(from_code, to_code)}: POST .../statuses
    # -> 422 {"code": ["Переход из статуса «Решена» в статус «Открыта» запрещён"]}.
    forbidden_transitions: frozenset[tuple[str, str]] = frozenset()
    # §6 (documented: a status's comment "may be mandatory per account settings"): True, every
    # transition needs a non-empty `comment` (422 {"comment": ["не может быть пустым"]}); False,
    # only `delayed` does.  Default: every transition.
    status_comment_required: bool = True
    # §5.4: answer of GET /companies/?... when nothing matches (same variants as contacts).
    company_not_found: str = "404"
    # Answer /companies/list as if custom_parameters[...] were not there (an account without such a
    # parameter code may do so; `syncd check` must notice).
    companies_ignore_parameter_filter: bool = False

    def __setattr__(self, name: str, value: object) -> None:
        # Catch typos in tests ("emu.options.shufle_comments = False") instead of
        # silently creating a new attribute that nothing reads.
        if name not in self.__dataclass_fields__:
            raise AttributeError(f"unknown emulator option {name!r}")
        choices = _CHOICES.get(name)
        if choices is not None and value not in choices:
            raise ValueError(f"{name} must be one of {choices}")
        if name == "forbidden_transitions":
            value = frozenset((str(a), str(b)) for a, b in value)  # type: ignore[attr-defined]
        if name == "denied_rights":
            value = frozenset([value] if isinstance(value, str) else value)  # type: ignore[arg-type]
            unknown = sorted(value - set(RIGHTS))
            if unknown:
                raise ValueError(f"unknown rights {unknown}; known: {RIGHTS}")
        if name == "forbidden_attachment_extensions":
            if not isinstance(value, (tuple, list)):
                raise ValueError("forbidden_attachment_extensions must be a tuple of strings")
            value = tuple(str(ext).lstrip(".").lower() for ext in value)  # "EXE", ".exe" -> "exe"
        object.__setattr__(self, name, value)

"""Okdesk: reachable, the token accepted, and every right the daemon uses, proved by real calls.

Reads are real reads (one small page each). Writes are proved without writing: a create that
is invalid on purpose (an issue without a title, a comment without content or author, a
contact without names) is a 422 when the token's user has the right and a 401/403 when it
does not; Okdesk judges the right first, so nothing is ever created in the helpdesk.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import timezone
from typing import Any
from urllib.parse import urlsplit

from syncd.checks import Result, fail, ok, skip, warn
from syncd.config import Settings
from syncd.okdesk.errors import (
    OkdeskAuthError,
    OkdeskError,
    OkdeskNotFound,
    OkdeskOutcomeUnknown,
    OkdeskRateLimited,
    OkdeskTokenRefused,
    OkdeskValidationError,
)
from syncd.okdesk.transport import Transport, default_user_agent
from syncd.statuscodes import GROUPS

NAME = "Okdesk"
# A phone number no client has (Okdesk matches phones exactly): only the answer's kind matters.
PROBE_PHONE = "+70000000000"


@dataclass(frozen=True)
class WriteProbe:
    right: str  # what the line is called, e.g. "create comments"
    what: str  # the object, for the sentence: "an issue"
    why: str  # what the daemon needs the right for
    path: str
    body: dict[str, Any]


def _errors_text(err: OkdeskError) -> str:
    """Okdesk's own words (already scrubbed of the token by the transport), shortened."""
    errors = err.errors
    if isinstance(errors, list):
        errors = "; ".join(str(e) for e in errors)
    if not isinstance(errors, str) or not errors.strip():
        return ""
    text = " ".join(errors.split())
    return f' (Okdesk: "{text[:150]}")'


class OkdeskChecks:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        cfg = settings.okdesk
        self.host = urlsplit(cfg.url).hostname or cfg.url
        # No retries and no budget: a check reports what it sees now, quickly.
        self.t = Transport(
            cfg.url, cfg.api_token, timeout=cfg.timeout, connect_timeout=cfg.connect_timeout, budget=None,
            get_retries=0, retry_cap=settings.sync.retry_cap, backoff_base=1.0, proxy=cfg.proxy, verify=True,
            user_agent=default_user_agent(),
        )
        self.where = self.t.where

    # ------------------------------------------------------------ words

    def unreachable(self, err: OkdeskError) -> str | None:
        """Plain words when Okdesk as a whole (or the token) failed, else None."""
        cfg = self.settings.okdesk
        if isinstance(err, OkdeskTokenRefused):
            return "401, the API token was refused" + _errors_text(err)
        network = {
            "dns": f"cannot resolve the host name {self.host} (is okdesk.url right?)",
            "connection_refused": f"connection refused by {self.where} (is okdesk.url right, is Okdesk up?)",
            "connect_timeout": f"no connection to {self.where} within {cfg.connect_timeout:g} s "
                               "(a firewall, or the wrong address?)",
            "timeout": f"{self.where} did not answer within {cfg.timeout:g} s",
            "tls": f"the TLS handshake with {self.where} failed (its certificate?)",
            "proxy": f"the proxy (okdesk.proxy) failed on the way to {self.where}",
            "connection_reset": f"{self.where} reset the connection",
            "connection_dropped": f"{self.where} closed the connection without an answer",
            "broken_body": f"{self.where} cut its answer off",
            "malformed_json": f"{self.where} answered, but not as Okdesk's API does (is okdesk.url right?)",
            "not_a_list": f"{self.where} answered, but not as Okdesk's API does (is okdesk.url right?)",
            "redirect": f"{self.where} redirects to another host (is okdesk.url the account's address?)",
            "redirect_loop": f"{self.where} redirects in a loop",
        }
        if err.status is None or err.kind in ("malformed_json", "not_a_list", "redirect", "redirect_loop"):
            return network.get(err.kind, f"no answer from {self.where} ({err.kind})")
        if isinstance(err, OkdeskRateLimited):
            return f"429, Okdesk asks to slow down; try again in {err.retry_after:g} s"
        if err.status >= 500:
            return f"{err.status}, Okdesk had a server error; try again later"
        return None

    def refused(self, err: OkdeskError, doing: str, why: str) -> str:
        """Words for an answer that refuses one particular call."""
        if err.status == 403:
            return f"403, the API token's user may not {doing} ({why}){_errors_text(err)}"
        return self.unreachable(err) or f"{err.status}, unexpected answer to {doing}{_errors_text(err)}"

    # ------------------------------------------------------------ the checks

    def run(self) -> list[Result]:
        try:
            return self._run()
        finally:
            self.t.close()

    def _run(self) -> list[Result]:
        results: list[Result] = []
        # The first call answers "reachable, token accepted" before any right is judged.
        try:
            statuses = self.t.request("GET", "/issues/statuses", kind="check", expect_list=True)
        except OkdeskError as err:
            words = self.unreachable(err)
            if err.status == 404:  # the first call: no such endpoint means no Okdesk API at this address
                words = f"404, {self.where} has no Okdesk API at {self.t.api_path} (is okdesk.url the account's address?)"
            if words is not None:
                return [fail(NAME, words), skip(f"{NAME} rights", "not checked, see the line above")]
            results.append(ok(NAME, f"{self.where} answered; the API token was accepted"))
            results.append(fail(f"{NAME} read statuses", self.refused(err, "read the issue statuses",
                                                                        "their names are shown to clients")))
        else:
            results.append(ok(NAME, f"{self.where} answered; the API token was accepted"))
            results.append(ok(f"{NAME} read statuses", f"{len(statuses)} statuses"))
            results.append(self._status_codes(statuses))

        issue_ids: list[int] = []

        def list_issues() -> str:
            items = self.t.request("GET", "/issues/list", params=[("page[size]", 1)], kind="check",
                                   expect_list=True)
            issue_ids.extend(i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), int))
            return "allowed"

        results.append(self._read("read issues", "read the list of issues", "the poller follows them", list_issues))
        results.append(self._read_comments(issue_ids[0] if issue_ids else None, results[-1].failed))
        results.append(self._read("read contacts", "search contacts by phone", "clients are linked by phone",
                                  self._find_contact))
        if self.settings.okdesk.employee_id is not None:
            results.append(self._employee(self.settings.okdesk.employee_id))
        if self.settings.okdesk.company_clients and self.settings.okdesk.create_contacts:
            results.extend(self._company_reads())
        for probe in self._write_probes(issue_ids[0] if issue_ids else None):
            results.append(self._write(probe) if isinstance(probe, WriteProbe) else probe)
        results.append(self._issue_author())
        return results

    def _read(self, right: str, doing: str, why: str, call: Callable[[], str]) -> Result:
        try:
            return ok(f"{NAME} {right}", call())
        except OkdeskError as err:
            return fail(f"{NAME} {right}", self.refused(err, doing, why))

    def _find_contact(self) -> str:
        # "Nobody has this number" in any of Okdesk's ways (404, 422, empty): the search was allowed.
        with suppress(OkdeskNotFound, OkdeskValidationError):
            self.t.request("GET", "/contacts/", params=[("phone", PROBE_PHONE)], kind="check")
        return "allowed"

    def _status_codes(self, statuses: list[Any]) -> Result:
        """okdesk.statuses against the account's statuses: a code Okdesk does not know is a typo."""
        name = f"{NAME} statuses"
        known = {str(s.get("code")) for s in statuses if isinstance(s, dict) and s.get("code")}
        codes = self.settings.okdesk.statuses
        unknown = [f"{group} {code!r}" for group in GROUPS
                   for code in getattr(codes, group) if code not in known]
        reopen = self.settings.okdesk.reopen_days > 0
        if reopen and codes.reopen_code not in known:
            return fail(name, f"okdesk.statuses: the first open code {codes.reopen_code!r} (a reopened issue "
                              f"gets it) is not a status of this account; known: {', '.join(sorted(known))}")
        if unknown:
            return warn(name, f"okdesk.statuses: {', '.join(unknown)} not a status of this account "
                              f"(known: {', '.join(sorted(known))})")
        return ok(name, f"open {', '.join(codes.open)}; completed {', '.join(codes.completed)}; "
                        f"closed {', '.join(codes.closed)}: all known to the account")

    def _company_reads(self) -> list[Result]:
        """Company clients are found by INN and offered their service objects: both reads, one small page."""
        code = self.settings.okdesk.company_inn_parameter

        found: list[Any] = []

        def companies() -> str:
            # An INN nobody has (its check digit is right, so the daemon would ask the same way).
            params = [(f"custom_parameters[{code}]", "0000000000"), ("page[size]", 1)]
            found.extend(self.t.request("GET", "/companies/list", params=params, kind="check", expect_list=True))
            return f"allowed (by the custom parameter {code!r})"

        def entities() -> str:
            try:
                self.t.request("GET", "/maintenance_entities/list", params=[("page[size]", 1)], kind="check",
                               expect_list=True)
            except OkdeskNotFound:
                return "not available on this account: company clients skip the service object step"
            return "allowed"

        why = "company clients link by INN (okdesk.company_clients)"
        read = self._read("read companies", "search companies", why, companies)
        if found:
            # A company for an INN nobody has: the filter was ignored (no such parameter code?), and
            # every real INN would be "not found" among a page of unrelated companies.
            read = warn(read.name, f"Okdesk ignored custom_parameters[{code}]: is {code!r} the code of the "
                                   "companies' INN parameter (okdesk.company_inn_parameter)? Company clients "
                                   "will not be found")
        return [read, self._read("read service objects", "read service objects", why, entities)]

    def _read_comments(self, issue_id: int | None, issues_failed: bool) -> Result:
        name = f"{NAME} read comments"
        if issue_id is None:
            why = "reading issues failed" if issues_failed else "Okdesk has no issue yet"
            return warn(name, f"not proved: {why}, so there are no comments to read")

        def call() -> str:
            self.t.request("GET", f"/issues/{issue_id}/comments", kind="check", expect_list=True)
            return f"allowed (the comments of issue {issue_id})"

        return self._read("read comments", "read comments", "they are sent to clients", call)

    def _employee(self, employee_id: int) -> Result:
        name = f"{NAME} read employees"
        # Keyset paging from just below the id: one small page holds the employee if it exists.
        params = [("page[from_id]", employee_id - 1), ("page[direction]", "forward"), ("page[size]", 1)]
        try:
            items = self.t.request("GET", "/employees/list", params=params, kind="check", expect_list=True)
        except OkdeskError as err:
            return fail(name, self.refused(err, "read employees", "okdesk.employee_id signs the notices to staff"))
        if not any(isinstance(i, dict) and i.get("id") == employee_id for i in items):
            return fail(name, f"okdesk.employee_id = {employee_id}: Okdesk has no such employee "
                              "(it signs the daemon's notices to staff)")
        return ok(name, f"employee {employee_id} (okdesk.employee_id) exists")

    def _write_probes(self, issue_id: int | None) -> list[WriteProbe | Result]:
        probes: list[WriteProbe | Result] = [
            WriteProbe("create issues", "an issue", "clients create issues from Telegram", "/issues/",
                       {"issue": {"title": ""}}),
        ]
        if issue_id is None:
            probes.append(warn(f"{NAME} create comments", "not proved: no issue was read to test against"))
        else:
            probes.append(WriteProbe("create comments", "a comment", "clients' messages become comments",
                                     f"/issues/{issue_id}/comments", {"comment": {"content": ""}}))
        if self.settings.okdesk.reopen_days > 0 and issue_id is not None:
            probes.append(WriteProbe("change statuses", "a status change", "clients reopen completed issues "
                                     "(okdesk.reopen_days)", f"/issues/{issue_id}/statuses", {"code": ""}))
        if self.settings.okdesk.create_contacts:
            probes.append(WriteProbe("create contacts", "a contact", "okdesk.create_contacts is on",
                                     "/contacts/", {"contact": {"first_name": "", "last_name": ""}}))
        else:
            probes.append(skip(f"{NAME} create contacts", "not needed, okdesk.create_contacts is off"))
        return probes

    def _issue_author(self) -> Result:
        """Whether Okdesk takes the client as an issue's author, as the daemon last learned it.

        Not probed here: only a create that carries a real person as author tells, and a check writes
        nothing. The daemon records each answer (syncd/relay/author.py) and asks again at each start."""
        from syncd.checks.database import DatabaseUnavailable, read_value
        from syncd.relay.author import AUTHOR_KEY, read_record

        name = f"{NAME} issue author"
        try:
            record = read_record(read_value(self.settings, AUTHOR_KEY)[0])
        except DatabaseUnavailable:
            record = None
        if record is None:
            return skip(name, "not known yet: learned from the first issue a client creates (only an "
                              "Administrator's API token may make the client its author)")
        when = record.at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        if record.refused:
            return warn(name, f"Okdesk refused it ({record.error}, {when}): clients' issues are created without "
                              "author, so Okdesk shows the API token's user as their author (the client stays "
                              "their contact); an Administrator's API token lets clients be the authors. Asked "
                              "again at every start")
        return ok(name, f"clients are the authors of their issues (Okdesk took it, {when})")

    def _write(self, probe: WriteProbe) -> Result:
        name = f"{NAME} {probe.right}"
        try:
            data = self.t.request("POST", probe.path, json_body=probe.body, kind="check")
        except OkdeskValidationError as err:
            return ok(name, f"allowed: {probe.what} invalid on purpose was refused "
                            f"({err.status}) and nothing was created")
        except OkdeskOutcomeUnknown:
            return fail(name, f"no answer from {self.where} to {probe.what} invalid on purpose "
                              "(nothing can have been created)")
        except (OkdeskAuthError, OkdeskError) as err:
            return fail(name, self.refused(err, probe.right, probe.why))
        # The right is there, but Okdesk took data it should have refused: say so loudly.
        created = data.get("id") if isinstance(data, dict) else None
        return fail(name, f"Okdesk ACCEPTED {probe.what} invalid on purpose (id {created}); "
                          "please delete it by hand and report this")

"""One try at Kerberos within a test: for which service principal, as whom, and what the KDC and the listener said.

Shared by the Kerberos scheme (Kerberos alone) and Negotiate (Kerberos first, NTLM where it cannot be had). The
exchanges with the KDC run through ``Conversation.blocking``, so the test's deadline and cancel still hold.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from core.errors import Problem
from core.kerberos import clock, errors, names
from core.mi import DestinationOptions, UserCredentials

if TYPE_CHECKING:
    import spnego
    from spnego.channel_bindings import GssChannelBindings

    from core.http import Reply
    from core.kerberos.context import KerberosContext
    from core.kerberos.logon import Logon
    from core.schemes.base import Conversation

SSPI = sys.platform == "win32"  # Windows: pyspnego uses SSPI, which names, logs on and asks the KDC by itself
INSTALL_HINT = (
    "Kerberos on Linux and macOS needs MIT Kerberos (Debian: libkrb5-3, and krb5-user for kinit) and the Python "
    "packages gssapi and krb5 (pip install 'testconnection[kerberos]'); install them, or pick NTLM."
)


def check_options(options: DestinationOptions) -> tuple[str, str] | None:
    """Kerberos options that cannot be used: (field, why), before any stage runs."""
    if options.spn is not None:
        problem = names.check_spn(options.spn)
        if problem is not None:
            return "spn", problem
    if options.ticket_cache is not None and (SSPI or not options.ticket_cache.strip()):
        why = "Windows keeps tickets in the logon session" if SSPI else "must name a ticket cache, or be left unset"
        return "ticket_cache", why
    return None


class Attempt:
    def __init__(self, conversation: Conversation) -> None:
        endpoint, options = conversation.endpoint, conversation.options
        self.conversation = conversation
        self.explicit_spn = bool(options.spn and "/" in options.spn)
        self.spn = names.service_principal(endpoint.host, endpoint.port, options.spn, options.include_port_in_spn)
        creds = options.credentials
        named = isinstance(creds, UserCredentials) and bool(creds.username.strip())
        self.user = creds.qualified_username if isinstance(creds, UserCredentials) and named else ""
        self.password = creds.password if isinstance(creds, UserCredentials) and named else ""
        self.principal = self.user  # as Kerberos will ask for it, once obstacle() has turned it into user@REALM
        self.logon: Logon | None = None

    @property
    def current_user(self) -> bool:
        return not self.password

    @property
    def facts(self) -> dict[str, Any]:
        """What the Kerberos kinds' words quote."""
        principal = self.logon.principal if self.logon and self.logon.principal else self.principal
        realm = names.realm_of(principal) or self._default_realm() or "the domain"
        host = self.conversation.endpoint.host
        return {
            "spn": self.spn, "principal": principal or "the current user", "realm": realm,
            "realm_lower": realm.lower(), "host_short": host.split(".")[0] if not self._address else host,
            "kinit": f"kinit {principal}" if principal else "kinit",
        }  # fmt: skip

    @property
    def _address(self) -> bool:
        return self.conversation.endpoint.is_ip or ":" in self.conversation.endpoint.host

    def _default_realm(self) -> str:
        if SSPI:
            return ""
        from core.kerberos.logon import default_realm

        try:
            return default_realm() or ""
        except ImportError:  # no pykrb5 here: obstacle() says so
            return ""

    def obstacle(self) -> Problem | None:
        """Why Kerberos cannot even be tried, before anything is sent: an address (no principal names one), no
        Kerberos on this PC, or a user name whose realm cannot be told."""
        if self._address and not self.explicit_spn:
            return Problem("auth.kerberos_to_address", **self.facts)
        if SSPI:
            return None
        try:
            import gssapi  # noqa: F401
            import krb5  # noqa: F401
        except ImportError as exc:
            return Problem("auth.unavailable", reason=str(exc), install_hint=INSTALL_HINT, auth_label="Kerberos")
        if self.user:
            principal = names.user_principal(self.user, self._default_realm() or None)
            if principal is None:
                return Problem("auth.kerberos_user", **self.facts)
            self.principal = principal
        return None

    # --- the exchanges with the KDC: on a helper thread (Conversation.blocking) ---------------------------------

    def log_on(self) -> Logon:
        """The ticket-granting ticket: from the password (the AS exchange), or the current user's cache."""
        from core.kerberos import logon

        try:
            if self.password:
                self.logon = logon.with_password(self.principal, self.password)
            else:
                self.logon = logon.from_cache(self.principal or None, self.conversation.options.ticket_cache)
        except Exception as exc:  # krb5's and gssapi's errors: what the KDC (or the cache) said
            facts = self.facts
            raise (errors.logon_problem(exc, facts) if self.password else errors.ticket_problem(exc, facts)) from None
        return self.logon

    def context(self, bindings: GssChannelBindings | None) -> KerberosContext:
        from core.kerberos.context import KerberosContext

        assert self.logon is not None
        return KerberosContext(self.logon, self.spn, bindings)

    def trial(self, bindings: GssChannelBindings | None) -> None:
        """Log on and ask for the service ticket (both stay in the logon's cache), to learn whether Kerberos can be
        had before offering it; the token made is not sent."""
        self.log_on()
        self.first_token(self.context(bindings))

    def first_token(self, context: spnego.ContextProxy) -> bytes | None:
        """The first token (asks the KDC for the service ticket); a failure closes the logon."""
        try:
            return context.step()
        except Exception as exc:
            self.close()
            raise self.ticket_problem(exc) from None

    def ticket_problem(self, exc: BaseException) -> Problem:
        return errors.sspi_problem(exc, self.facts) if SSPI else errors.ticket_problem(exc, self.facts)

    def realm(self) -> str:
        """The realm whose KDC the exchanges ask (for the deadline's words)."""
        if SSPI or not self.principal:
            return str(self.facts["realm"])
        from core.kerberos import logon

        try:
            return logon.realm(self.principal)
        except ImportError:
            return str(self.facts["realm"])

    def close(self) -> None:
        if self.logon is not None:
            self.logon.close()

    # --- what the listener and the service said ----------------------------------------------------------------

    def refusal(self, exc: BaseException, reply: Reply) -> Problem:
        """The listener refused the ticket (its 401 carried a KRB-ERROR the context could not step)."""
        if SSPI:
            return errors.sspi_problem(exc, self.facts)
        facts = self.facts
        if errors.is_clock(exc):
            server = clock.server_offset(reply.header("date"))
            kdc = self.logon.kdc_offset if self.logon is not None else None
            facts["clock_story"] = clock.story(server, kdc)
        return errors.refusal_problem(exc, facts)

    def unproven(self, exc: BaseException | None) -> Problem:
        """The service's 200 came without its proof of identity (no AP-REP), or with one that does not verify."""
        if exc is None:
            reason = "the service accepted the ticket but sent no proof of its identity (no AP-REP)"
        else:
            reason = f"the service's proof of its identity does not verify ({errors.text_of(exc)})"
        return errors.mutual_problem(reason, self.facts)


def sspi_context(attempt: Attempt, protocol: str, bindings: GssChannelBindings | None) -> spnego.ContextProxy:
    """Windows: SSPI's own Kerberos or Negotiate, as the logged-on user when no user is given."""
    import spnego

    service, _, host = attempt.spn.partition("/")
    return spnego.client(
        attempt.user or None, attempt.password or None, hostname=host, service=service, protocol=protocol,
        channel_bindings=bindings,
    )


__all__ = ["INSTALL_HINT", "SSPI", "Attempt", "check_options", "sspi_context"]

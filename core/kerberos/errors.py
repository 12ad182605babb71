"""What MIT Kerberos says, as failure kinds: the KDC's answers at logon and for the service ticket, the listener's
refusal of a ticket (the KRB-ERROR of its 401), and the service's proof of identity (mutual authentication).

Codes are MIT's com_err numbers (krb5.h: ``ERROR_TABLE_BASE_krb5`` plus the RFC 4120 error number for the protocol's
own errors). They arrive as ``krb5.Krb5Error.err_code`` from the logon, and as the GSSAPI minor status of pyspnego's
``SpnegoError`` (unsigned there) from a context step. Each is decided by number, never by its text, which is only
quoted for the helpdesk.
"""

from __future__ import annotations

from typing import Any

from core.errors import Problem

_BASE = -1765328384  # ERROR_TABLE_BASE_krb5
# The KDC's and the listener's answers (RFC 4120 7.5.9), as MIT reports them.
C_PRINCIPAL_UNKNOWN = _BASE + 6
S_PRINCIPAL_UNKNOWN = _BASE + 7
CLIENT_REVOKED = _BASE + 18
KEY_EXPIRED = _BASE + 23
PREAUTH_FAILED = _BASE + 24
AP_BAD_INTEGRITY = _BASE + 31
AP_TKT_EXPIRED = _BASE + 32
AP_TKT_NYV = _BASE + 33
AP_NOT_US = _BASE + 35
AP_WRONG_PRINC_AP = _BASE + 36
AP_SKEW = _BASE + 37
AP_MODIFIED = _BASE + 41
AP_BADKEYVER = _BASE + 44
AP_NOKEY = _BASE + 45
KRB_ERR_GENERIC = _BASE + 60
# MIT's own table entries (krb5.h).
CC_NOTFOUND = -1765328243
WRONG_PRINC = -1765328240
REALM_UNKNOWN = -1765328230
KDC_UNREACH = -1765328228
FCC_NOFILE = -1765328189
REALM_CANT_RESOLVE = -1765328164
CONFIG_NODEFREALM = -1765328160

_GSS_S_NO_CRED = 7
_GSS_S_CREDENTIALS_EXPIRED = 11

_NO_AUTHORITY = {KDC_UNREACH, REALM_UNKNOWN, REALM_CANT_RESOLVE, CONFIG_NODEFREALM}
# The KDC's verdict on the user: found at logon, or (for a ticket cache) when the service ticket is asked for.
_USER = {
    PREAUTH_FAILED: "auth.logon_denied",
    AP_BAD_INTEGRITY: "auth.logon_denied",  # a wrong password where the KDC asks no pre-authentication
    C_PRINCIPAL_UNKNOWN: "auth.unknown_user",
    KEY_EXPIRED: "auth.password_expired",
    CLIENT_REVOKED: "auth.account_revoked",
}
# The listener's refusal of a ticket.
_WRONG_KEY = {AP_BADKEYVER, AP_BAD_INTEGRITY, AP_MODIFIED, AP_NOKEY, AP_NOT_US, AP_WRONG_PRINC_AP, WRONG_PRINC}
_CLOCK = {AP_SKEW, AP_TKT_NYV, AP_TKT_EXPIRED}
_NAMES = {
    C_PRINCIPAL_UNKNOWN: "KDC_ERR_C_PRINCIPAL_UNKNOWN", S_PRINCIPAL_UNKNOWN: "KDC_ERR_S_PRINCIPAL_UNKNOWN",
    CLIENT_REVOKED: "KDC_ERR_CLIENT_REVOKED", KEY_EXPIRED: "KDC_ERR_KEY_EXPIRED",
    PREAUTH_FAILED: "KDC_ERR_PREAUTH_FAILED", AP_BAD_INTEGRITY: "KRB_AP_ERR_BAD_INTEGRITY",
    AP_TKT_EXPIRED: "KRB_AP_ERR_TKT_EXPIRED", AP_TKT_NYV: "KRB_AP_ERR_TKT_NYV", AP_SKEW: "KRB_AP_ERR_SKEW",
    AP_MODIFIED: "KRB_AP_ERR_MODIFIED", AP_BADKEYVER: "KRB_AP_ERR_BADKEYVER", AP_NOKEY: "KRB_AP_ERR_NOKEY",
    AP_NOT_US: "KRB_AP_ERR_NOT_US", KRB_ERR_GENERIC: "KRB_ERR_GENERIC", KDC_UNREACH: "KRB5_KDC_UNREACH",
    REALM_UNKNOWN: "KRB5_REALM_UNKNOWN", REALM_CANT_RESOLVE: "KRB5_REALM_CANT_RESOLVE",
    CONFIG_NODEFREALM: "KRB5_CONFIG_NODEFREALM", CC_NOTFOUND: "KRB5_CC_NOTFOUND", FCC_NOFILE: "KRB5_FCC_NOFILE",
}  # fmt: skip


def code_of(exc: BaseException) -> int | None:
    """MIT's error code in a pykrb5 error, a python-gssapi error or a pyspnego error that wraps one."""
    code = getattr(exc, "err_code", None)  # krb5.Krb5Error
    if code is None:
        base = getattr(exc, "base_error", exc)  # spnego's SpnegoError wraps the GSSError
        code = getattr(base, "min_code", None)
    if not isinstance(code, int) or code == 0:
        return None
    return code - 2**32 if code >= 2**31 else code


def _routine_error(exc: BaseException) -> int:
    major = getattr(getattr(exc, "base_error", exc), "maj_code", 0)
    return (major >> 16) & 0xFF if isinstance(major, int) else 0


def name_of(code: int | None) -> str:
    return _NAMES.get(code, f"krb5 error {code}") if code is not None else "no code"


def _text(exc: BaseException) -> str:
    """The library's own words, for people: MIT's message without the GSSAPI major status or the code number."""
    base = getattr(exc, "base_error", None)
    text = " ".join(str(base or exc).split()) or type(exc).__name__
    code = code_of(exc)
    if "Minor (" in text:  # python-gssapi: "Major (n): <generic words>, Minor (m): <MIT's message>"
        text = text.rsplit("Minor (", 1)[1].partition("): ")[2] or text
    if code is not None:
        text = text.removesuffix(f" {code}")  # pykrb5 appends the code number
    return text


def logon_problem(exc: BaseException, facts: dict[str, Any]) -> Problem:
    """The KDC's answer to a logon with a password (the AS exchange)."""
    code = code_of(exc)
    facts = {**facts, "reason": _text(exc), "krb_error": name_of(code)}
    if code in _NO_AUTHORITY:
        return Problem("auth.no_authority", **facts)
    return Problem(_USER.get(code or 0, "auth.kerberos_failed"), **facts)


def ticket_problem(exc: BaseException, facts: dict[str, Any]) -> Problem:
    """What went wrong making the first token: asking the KDC for the service ticket, or finding a credential."""
    code = code_of(exc)
    facts = {**facts, "reason": _text(exc), "krb_error": name_of(code)}
    from spnego.exceptions import NoCredentialError

    if isinstance(exc, NoCredentialError) or code in (CC_NOTFOUND, FCC_NOFILE):
        return Problem("auth.no_credentials", **facts)
    if _routine_error(exc) in (_GSS_S_NO_CRED, _GSS_S_CREDENTIALS_EXPIRED) or code == AP_TKT_EXPIRED:
        return Problem("auth.no_credentials", **facts)  # no ticket, or an expired one: kinit (again)
    if code == S_PRINCIPAL_UNKNOWN:
        return Problem("auth.target_unknown", **facts)
    if code in _NO_AUTHORITY:
        return Problem("auth.no_authority", **facts)
    return Problem(_USER.get(code or 0, "auth.kerberos_failed"), **facts)


def refusal_problem(exc: BaseException, facts: dict[str, Any]) -> Problem:
    """The listener refused the ticket: the KRB-ERROR its 401 carried, as the context reads it."""
    code = code_of(exc)
    facts = {**facts, "reason": _text(exc), "krb_error": name_of(code)}
    if code in _WRONG_KEY:
        return Problem("auth.wrong_principal", **facts)
    if code in _CLOCK:
        return Problem("auth.time_skew", **facts)
    return Problem("auth.ticket_refused", **facts)


def is_clock(exc: BaseException) -> bool:
    return code_of(exc) in _CLOCK


def mutual_problem(reason: str, facts: dict[str, Any]) -> Problem:
    """The service's answer carried no proof of its identity, or one that does not verify (SEC_E_MUTUAL_AUTH_FAILED)."""
    return Problem("auth.mutual_failed", **{**facts, "reason": reason})


def text_of(exc: BaseException) -> str:
    return _text(exc)


# Windows: SSPI reports its own codes (winerror.h), which are what a Windows client shows.
_SSPI = {
    0x80090311: "auth.no_authority", 0x8009030C: "auth.logon_denied", 0x8009030E: "auth.no_credentials",
    0x80090303: "auth.target_unknown", 0x80090322: "auth.wrong_principal", 0x80090324: "auth.time_skew",
    0x80090363: "auth.mutual_failed", 0xC0000071: "auth.password_expired", 0xC0000072: "auth.account_revoked",
    0xC0000234: "auth.account_revoked", 0xC0000193: "auth.account_revoked", 0xC000006F: "auth.account_revoked",
}  # fmt: skip


def sspi_problem(exc: BaseException, facts: dict[str, Any]) -> Problem:
    """SSPI's error (Windows) as a kind, carrying the exact code SSPI returned."""
    code = getattr(getattr(exc, "base_error", None), "winerror", None)
    if not isinstance(code, int):
        code = getattr(exc, "nt_status", None)
    code = code & 0xFFFFFFFF if isinstance(code, int) else None
    kind = _SSPI.get(code, "auth.kerberos_failed") if code is not None else "auth.kerberos_failed"
    return Problem(kind, **{**facts, "reason": _text(exc), "krb_error": f"0x{code:08X}" if code else "no code",
                            "windows_code": code})


__all__ = [
    "code_of",
    "is_clock",
    "logon_problem",
    "mutual_problem",
    "name_of",
    "refusal_problem",
    "sspi_problem",
    "text_of",
    "ticket_problem",
]

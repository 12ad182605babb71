"""Saved targets → ``TestSpec``: the one place a list entry becomes something the runner can test.

The list decides where and how (``ResolvedTarget``: the target's own settings, then its folders', then core's
defaults); the app preferences decide what a list does not hold (timeout, CA file). A credential is looked up by
name at the moment of testing, so the password stays in the keyring until then and never in the list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from core import AuthType, TargetError, UserCredentials
from core.credentials import CredentialError, StoredCredential
from core.inheritance import ResolvedTarget
from gui.rows import TestSpec
from gui.settings import Preferences
from gui.targetbar import FIELD_NAMES

#: How a credential name is looked up (``CredentialStore.get``, or the demo's in-memory credentials).
CredentialLookup = Callable[[str], StoredCredential | None]
LIST_FIELD_NAMES = {**FIELD_NAMES, "auth": "Authentication", "ca_check": "CA check", "cn_check": "Name check",
                    "allow_unencrypted": "Unencrypted", "session": "Session", "remote_shell": "Remote shell",
                    "spn": "Kerberos SPN", "include_port_in_spn": "Port in SPN"}


@dataclass(frozen=True)
class SpecProblem:
    """Why one saved target cannot be tested; ``str()`` names the target and the field to fix."""

    target: str  # the target's label, as the tree shows it
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.target} — {LIST_FIELD_NAMES.get(self.field, self.field)}: {self.message}"


class SpecError(ValueError):
    def __init__(self, problem: SpecProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def spec_for(resolved: ResolvedTarget, preferences: Preferences, lookup: CredentialLookup) -> TestSpec:
    """The test for one saved target; raises SpecError naming the target and the field."""
    target = resolved.target

    def fail(field: str, message: str) -> SpecError:
        return SpecError(SpecProblem(target.label, field, message))

    try:
        endpoint = resolved.endpoint()
    except TargetError as exc:
        raise fail(exc.field, exc.message) from None
    auth = AuthType(resolved.auth)
    if auth is AuthType.CERTIFICATE:
        raise fail("auth", "certificate authentication cannot be tested from a list yet; choose another method")
    credentials = None
    name = resolved.credential
    if auth is not AuthType.NONE and name:  # without one, every stage but authentication is tested
        try:
            stored = lookup(name)
        except CredentialError as exc:
            raise fail("credential", str(exc)) from None
        if stored is None:
            raise fail("credential", f"{name!r} is not in the credential store")
        credentials = UserCredentials(stored.username, stored.password, domain=stored.domain)
    # Negotiate and Kerberos without a credential: the current user (single sign-on).
    options = resolved.options(preferences.destination_options(endpoint, auth, None), credentials)
    return TestSpec(endpoint.url, endpoint.label, options, name=target.name, description=target.notes)


def specs_for(
    targets: Iterable[ResolvedTarget], preferences: Preferences, lookup: CredentialLookup
) -> tuple[list[TestSpec], list[SpecProblem]]:
    """Specs for every target that can be tested, and a problem for each one that cannot: one bad entry
    never stops the others."""
    specs: list[TestSpec] = []
    problems: list[SpecProblem] = []
    # Thousands of targets usually share a few credentials: ask the keyring once per name, not per target.
    found: dict[str, StoredCredential | CredentialError | None] = {}

    def cached(name: str) -> StoredCredential | None:
        if name not in found:
            try:
                found[name] = lookup(name)
            except CredentialError as exc:
                found[name] = exc
        result = found[name]
        if isinstance(result, CredentialError):
            raise result
        return result

    for resolved in targets:
        try:
            specs.append(spec_for(resolved, preferences, cached))
        except SpecError as exc:
            problems.append(exc.problem)
    return specs, problems

"""The one inheritance rule of saved lists: a setting a target leaves as "inherit" comes from the nearest folder that
sets it, then the application's defaults (the window's preferences, the CLI's flags), then the built-in default;
and a resolved target becomes the options it is tested with.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from core.mi import AuthType, CertificateCredentials, DestinationOptions, UserCredentials
from core.target import Endpoint, parse_target
from core.targetlist import APP_DEFAULTS, INHERITED, Folder, Target

# A list setting's DestinationOptions field, where the two names differ; the credential is looked up by name.
_OPTION_NAMES = {"ca_check": "cert_ca_check", "cn_check": "cert_cn_check", "session": "open_shell"}


@dataclass(frozen=True)
class ResolvedTarget:
    """A target with every setting decided (target, then folders inside-out, then application defaults)."""

    target: Target
    folder_path: tuple[str, ...]
    port: int | None  # None: the port written in the host, else the transport's default
    transport: str
    auth: str
    credential: str | None
    ca_check: bool
    cn_check: bool
    allow_unencrypted: bool
    session: bool
    remote_shell: str
    spn: str | None
    include_port_in_spn: bool

    def endpoint(self) -> Endpoint:
        """Where to connect. A scheme or port written in the host wins, as on the command line."""
        return parse_target(self.target.host, transport=self.transport, port=self.port)

    def options(
        self, base: DestinationOptions, credentials: UserCredentials | CertificateCredentials | None
    ) -> DestinationOptions:
        """``base`` (the timeout, the CA file: what the list does not say) with every setting the list decided and the
        credential the caller looked up by name. A scheme, port or path written in the host still wins when the host
        is parsed (``endpoint()``, or the test itself)."""
        values: dict[str, Any] = {_OPTION_NAMES.get(name, name): getattr(self, name) for name in INHERITED}
        del values["credential"]
        values.update(auth=AuthType(self.auth), credentials=credentials)
        return base._replace(**values)



def inherited(name: str, chain: Sequence[Folder]) -> tuple[Any, Folder | None]:
    """What a setting left as "inherit" gets below ``chain`` (outermost folder first): the nearest folder that sets
    it, and that folder; or the built-in default and None."""
    for folder in reversed(chain):
        value = getattr(folder.defaults, name)
        if value is not None:
            return value, folder
    return APP_DEFAULTS.get(name), None


def resolve(target: Target, chain: Sequence[Folder]) -> ResolvedTarget:
    """``chain``: the application's defaults as a pseudo-folder, then the list's root, down to the target's folder."""
    values: dict[str, Any] = {}
    for name in INHERITED:
        value = getattr(target, name)
        values[name] = value if value is not None else inherited(name, chain)[0]
    return ResolvedTarget(target=target, folder_path=tuple(f.name for f in chain[2:]), **values)


def resolve_all(folder: Folder, above: tuple[Folder, ...]) -> Iterator[ResolvedTarget]:
    chain = (*above, folder)
    for target in folder.targets:
        yield resolve(target, chain)
    for sub in folder.folders:
        yield from resolve_all(sub, chain)

"""Failure kinds of the session stage: the user is authenticated, but may they open a remote shell?

Windows answers a shell's Create with a SOAP fault whose WSManFault code says why (wsmerror.h; the samples are
cited where the lab builds them, ``core/lab/_xml.py``). Access denied is one code, 5, for two causes that only the
target can tell apart: the endpoint's security descriptor leaves the user out, or UAC's remote restrictions
filtered a local administrator's token. The classifier decides by the account's form (``core.stages.session``);
where the form cannot tell, the hint names both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.failures import codes
from core.failures.kinds import Fix, Kind
from core.failures.kinds import Where as W
from core.mi import MIErrorCategory as C
from core.mi import MIResult as R

if TYPE_CHECKING:
    from core.shell import ShellTarget

_TOKEN_FILTER = Fix(
    W.TARGET,
    "New-ItemProperty -Path HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System "
    "-Name LocalAccountTokenFilterPolicy -Value 1 -PropertyType DWord -Force",
    "lets local administrators keep their rights over the network",
)
# Said when the account's form cannot tell a local account from a domain one (a bare user name over NTLM).
ACCOUNT_NOTE = (
    " If this is a local account of the target and a member of Administrators, UAC's remote restrictions may be "
    "filtering it instead: set LocalAccountTokenFilterPolicy=1 there, or use the built-in Administrator or a domain "
    "account."
)


def shell_facts(shell: ShellTarget) -> dict[str, str]:
    """What the session kinds quote about the shell: its name, and the commands that fit a cmd shell or an endpoint
    (a fact that does not fit is empty, and a fix made only of it is left out)."""
    name = shell.configuration
    if shell.is_powershell:
        return {
            "shell_label": shell.label,
            "configuration": name,
            "enable_endpoint": f"Enable-PSSessionConfiguration -Name {name}",
            "list_endpoints": "Get-PSSessionConfiguration | Format-Table Name, Enabled, Permission",
            "plugin_quota": f"Set-Item WSMan:\\localhost\\Plugin\\{name}\\Quotas\\MaxShellsPerUser 25",
        }
    return {
        "shell_label": shell.label,
        "configuration": "",
        "enable_endpoint": "",
        "list_endpoints": "winrm enumerate winrm/config/plugin",
        "plugin_quota": "",
    }


KINDS = (
    Kind(
        "session.access_denied", "session", R.ACCESS_DENIED, C.ACCESS_DENIED,
        problem="Not allowed to open a PowerShell session",
        message="{user} was authenticated but may not open the {shell_label} ({fault}).",
        hint="The endpoint's security descriptor leaves {user} out: add the account to Remote Management Users (or "
        "Administrators) on the target, or grant it Execute (Invoke) with `Set-PSSessionConfiguration -Name "
        "{configuration} -ShowSecurityDescriptorUI`. An endpoint switched off with Disable-PSSessionConfiguration "
        "denies everyone until `Enable-PSSessionConfiguration -Name {configuration}`.{account_note}",
        detail="access denied",
        windows_code=codes.ERROR_ACCESS_DENIED,
        fixes=(
            Fix(W.TARGET, 'Add-LocalGroupMember -Group "Remote Management Users" -Member {user}'),
            Fix(W.TARGET, "Set-PSSessionConfiguration -Name {configuration} -ShowSecurityDescriptorUI",
                "who may open this endpoint"),
            Fix(W.TARGET, "Enable-PSSessionConfiguration -Name {configuration}",
                "only if Disable-PSSessionConfiguration denied everyone"),
        ),
    ),
    Kind(
        "session.cmd_denied", "session", R.ACCESS_DENIED, C.ACCESS_DENIED,
        problem="Not allowed to open a cmd shell",
        message="{user} was authenticated but may not open the {shell_label} ({fault}).",
        hint="The WinRM service's own security descriptor (RootSDDL) leaves {user} out. By default it lets only "
        "Administrators open a cmd shell: Remote Management Users is enough for PowerShell endpoints, not for "
        "this. Add the account to Administrators on the target, or grant it Execute (Invoke) in `winrm configSDDL "
        "default`.{account_note}",
        detail="access denied",
        windows_code=codes.ERROR_ACCESS_DENIED,
        fixes=(
            Fix(W.TARGET, "Add-LocalGroupMember -Group Administrators -Member {user}"),
            Fix(W.TARGET, "winrm configSDDL default", "who may open the cmd shell"),
        ),
    ),
    Kind(
        "session.local_account_filtered", "session", R.ACCESS_DENIED, C.ACCESS_DENIED,
        problem="Local account filtered by UAC",
        message="{user} was authenticated but may not open the {shell_label} ({fault}).",
        hint="{user} is a local account of the target. If it is a member of Administrators, UAC's remote "
        "restrictions remove that membership from network logons (LocalAccountTokenFilterPolicy is 0 by default), "
        "so it may not open a shell: set LocalAccountTokenFilterPolicy=1 on the target, or use the built-in "
        "Administrator or a domain account. If it is not an administrator, grant it access: Remote Management "
        "Users opens PowerShell endpoints, `winrm configSDDL default` the cmd shell.",
        detail="access denied (local account)",
        windows_code=codes.ERROR_ACCESS_DENIED,
        fixes=(
            _TOKEN_FILTER,
            Fix(W.TARGET, "Get-LocalGroupMember -Group Administrators", "is the account an administrator?"),
        ),
    ),
    Kind(
        "session.quota", "session", R.SERVER_LIMITS_EXCEEDED, C.QUOTA_EXCEEDED,
        problem="Shell quota reached",
        message="{fault}",
        hint="The service refuses another shell: the shells of {user} (often left open by scripts that never closed "
        "them) reached MaxShellsPerUser, or MaxConcurrentUsers users hold shells. Close the stale shells "
        "(restarting WinRM closes them all) or raise the quota.",
        detail="shell quota reached",
        windows_code=codes.ERROR_WSMAN_QUOTA_MAX_SHELLS,
        fixes=(
            Fix(W.TARGET, "Get-WSManInstance -ResourceURI shell -Enumerate | Format-Table ShellId, Owner, ClientIP, "
                "ShellRunTime", "who holds which shells"),
            Fix(W.TARGET, "Restart-Service WinRM", "closes every shell"),
            Fix(W.TARGET, "Set-Item WSMan:\\localhost\\Shell\\MaxShellsPerUser 30", "raises the service's quota"),
            Fix(W.TARGET, "{plugin_quota}", "raises the endpoint's own quota"),
        ),
    ),
    Kind(
        "session.no_endpoint", "session", R.NOT_FOUND, C.OBJECT_NOT_FOUND,
        problem="Remote endpoint not found or disabled",
        message="The service has no {shell_label} ({fault}).",
        hint="The service serves no such endpoint: a PowerShell session configuration that is not registered or is "
        "disabled (`Enable-PSRemoting -Force` registers the default ones, Register-PSSessionConfiguration a custom "
        "one, Enable-PSSessionConfiguration turns one back on), or a shell resource URI no plugin serves.",
        detail="endpoint not found",
        windows_code=codes.ERROR_WSMAN_INVALID_RESOURCE_URI,
        fixes=(
            Fix(W.TARGET, "{list_endpoints}", "which endpoints exist, and whether they are enabled"),
            Fix(W.TARGET, "{enable_endpoint}", "turns a disabled endpoint back on"),
            Fix(W.TARGET, "Enable-PSRemoting -Force", "registers the default endpoints"),
        ),
    ),
    Kind(
        "session.shells_disabled", "session", R.ACCESS_DENIED, C.NOT_ENABLED,
        problem="Remote shells switched off",
        message="{fault}",
        hint="The WinRM service answers, but it accepts no remote shell (AllowRemoteShellAccess is off, usually by "
        "Group Policy: Windows Components → Windows Remote Shell → Allow Remote Shell Access). PowerShell remoting "
        "needs it as much as a cmd shell.",
        detail="remote shells off",
        windows_code=codes.ERROR_WSMAN_REMOTESHELLS_NOT_ALLOWED,
        fixes=(
            Fix(W.TARGET, "gpresult /scope computer /z | findstr /i RemoteShell", "is a policy switching it off?"),
            Fix(W.TARGET, "Set-Item WSMan:\\localhost\\Shell\\AllowRemoteShellAccess $true",
                "where no policy decides it"),
        ),
    ),
    Kind(
        "session.no_shells", "session", R.NOT_SUPPORTED, C.NOT_IMPLEMENTED,
        problem="No remote shells — not a Windows remoting endpoint",
        message="{vendor} answers WS-Management but offers no remote shell: this is not a Windows remoting endpoint "
        "({fault}).",
        hint="This service (OMI or openwsman on Linux, or a server's management controller such as iDRAC, iLO or "
        "AMT) answers CIM requests over WS-Management but has no cmd or PowerShell shells. Use the tools made for "
        "it; a shell needs Windows' own WinRM service.",
        detail="no remote shells",
    ),
    Kind(
        "session.timeout", "session", R.FAILED, C.OPERATION_TIMEOUT,
        problem="No answer to the shell's Create",
        message="The remote shell was not opened and deleted within {timeout}.",
        hint="Opening a shell can take seconds (a PowerShell endpoint starts a wsmprovhost.exe process, and a first "
        "logon loads the user's profile): test again with a longer timeout. If it never answers, the endpoint's "
        "plugin is hung: `Restart-Service WinRM` on the target.",
        detail="no answer in {timeout}",
        windows_code=codes.ERROR_WSMAN_TIMEOUT,
    ),
    Kind(
        "session.bad_answer", "session", R.FAILED, C.PROTOCOL_ERROR,
        problem="Not an answer to a shell's Create",
        message="The answer to the shell's Create is not a WS-Management ResourceCreated: {reason}.",
        hint="No WinRM service answers a Create like this; a proxy or filter in between may be rewriting answers.",
        detail="not a ResourceCreated",
    ),
)  # fmt: skip

__all__ = ["ACCOUNT_NOTE", "KINDS", "shell_facts"]

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names the subset interpreter must classify: what it implements, and what real PowerShell has but the simulator does not.

A name real PowerShell would resolve (a cmdlet, an alias, a keyword, an automatic variable) must never fall through
to "native program not found" or to "$null": that would make a script behave differently from Windows without
saying so. Such names are refused as SIMULATOR-UNSUPPORTED before anything runs.
"""

from __future__ import annotations

import re

# Implemented cmdlets and the aliases Windows PowerShell 5.1 defines for them.
SUPPORTED_CMDLETS = {
    "write-output": "Write-Output",
    "echo": "Write-Output",
    "write": "Write-Output",
    "write-host": "Write-Host",
    "set-strictmode": "Set-StrictMode",
    "get-variable": "Get-Variable",
    "gv": "Get-Variable",
    "out-null": "Out-Null",
}

# Language keywords of PowerShell 5.1 other than if/elseif/else/exit.
UNSUPPORTED_KEYWORDS = frozenset(
    "begin break catch class configuration continue data define do dynamicparam end enum filter finally for foreach "
    "from function hidden in inlinescript parallel param process return sequence static switch throw trap try until "
    "using var while workflow".split()
)

# Approved verbs (Get-Verb on 5.1): a `Verb-Noun` name with one of these is a cmdlet or function, not a program.
APPROVED_VERBS = frozenset(
    "add approve assert backup block checkpoint clear close compare complete compress confirm connect convert "
    "convertfrom convertto copy debug deny disable disconnect dismount edit enable enter exit expand export find "
    "format get grant group hide import initialize install invoke join limit lock measure merge mount move new open "
    "optimize out ping pop protect publish push read receive redo register remove rename repair request reset "
    "resize resolve restart restore resume revoke save search select send set show skip split start step stop "
    "submit suspend switch sync test trace unblock undo uninstall unlock unprotect unpublish unregister update use "
    "wait watch write".split()
)

# Built-in aliases of 5.1 that are not implemented here (a subset large enough for the names people type).
UNSUPPORTED_ALIASES = frozenset(
    "% ? ac asnp cat cd chdir clc clear clhy cli clp cls clv cnsn compare copy cp cpi cpp curl cvpa dbp del diff dir "
    "dnsn ebp epal epcsv epsn erase etsn exsn fc fhx fl foreach ft fw gal gbp gc gcb gci gcm gcs gdr ghy gi gin gjb "
    "gl gm gmo gp gps gpv group gsn gsnp gsv gu gwmi h history icm iex ihy ii ipal ipcsv ipmo ipsn irm ise iwmi iwr "
    "kill lp ls man md measure mi mount move mp mv nal ndr ni nmo npssc nsn nv ogv oh popd ps pushd pwd r rbp rcjb "
    "rcsn rd rdr ren ri rjb rm rmdir rmo rni rnp rp rsn rsnp rujb rv rvpa rwmi sajb sal saps sasv sbp sc scb select "
    "set si sl sleep sls sort sp spjb spps spsv start sujb sv swmi tee trcm type wget where wjb".split()
)

# Automatic and preference variables real PowerShell defines that the simulator does not model.
UNSUPPORTED_VARIABLES = frozenset(
    "$ ^ _ args consolefilename error event eventargs eventsubscriber executioncontext foreach home host input "
    "matches myinvocation nestedpromptlevel ofs pid profile psboundparameters pscmdlet pscommandpath "
    "psculture psdebugcontext psedition pshome psitem psscriptroot pssenderinfo psuiculture psversiontable pwd "
    "sender shellid stacktrace this debugpreference informationpreference errorview formatenumerationlimit "
    "maximumaliascount maximumdrivecount maximumerrorcount maximumfunctioncount maximumhistorycount "
    "maximumvariablecount psdefaultparametervalues psemailserver pssessionapplicationname pssessionconfigurationname "
    "pssessionoption whatifpreference logcommandhealthevent outputencoding".split()
)

# Preference variables the subset implements, their defaults, and their valid values.
ACTION_PREFERENCES = ("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend")
CONFIRM_IMPACTS = ("None", "Low", "Medium", "High")
PREFERENCE_VARIABLES = {
    "erroractionpreference": ("Continue", ACTION_PREFERENCES, "System.Management.Automation.ActionPreference"),
    "progresspreference": ("Continue", ACTION_PREFERENCES, "System.Management.Automation.ActionPreference"),
    "warningpreference": ("Continue", ACTION_PREFERENCES, "System.Management.Automation.ActionPreference"),
    "verbosepreference": ("SilentlyContinue", ACTION_PREFERENCES, "System.Management.Automation.ActionPreference"),
    "confirmpreference": ("High", CONFIRM_IMPACTS, "System.Management.Automation.ConfirmImpact"),
}

_VERB_NOUN = re.compile(r"^([A-Za-z]+)-[A-Za-z][A-Za-z0-9]*$")


def classify_command(name: str) -> tuple[str, str | None]:
    """("cmdlet", canonical) for implemented ones, ("unsupported", None) for PowerShell's own, else ("native", None)."""
    lowered = name.lower()
    if lowered in SUPPORTED_CMDLETS:
        return "cmdlet", SUPPORTED_CMDLETS[lowered]
    if lowered in UNSUPPORTED_ALIASES:
        return "unsupported", None
    match = _VERB_NOUN.match(name)
    if match and match.group(1).lower() in APPROVED_VERBS:
        return "unsupported", None
    return "native", None

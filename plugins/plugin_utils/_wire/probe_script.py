# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PowerShell that win_port_probe runs on the host, and its wire contract (docs/probe-contract.md, schema 1).

The script is fixed text. Its only variable part is one line, ``$PortscaleProbeParams = '<json>'``, whose JSON is
built by ``render()`` from a dict of validated integers, booleans and canonical IP literals (probe.py), so nothing
a user types reaches PowerShell as code. It is written for Windows PowerShell 5.1 (.NET Framework 4.x): no
``::new()``-only types, no ternary, no ``??``, no ``-AsHashtable``; socket options are made with
``[Enum]::ToObject`` because PowerShell refuses to cast an undefined value (0x3006) to ``SocketOptionName``.

What it does (docs/probe-contract.md §4): start a loopback ``TcpListener`` when ``target_port`` is 0 and accept every connection
as it arrives (an overflowing backlog would turn into 10061 instead of a port error); open ``count`` client sockets
one by one, each optionally with SO_REUSE_UNICASTPORT (0x3007) / SO_PORT_SCALABILITY (0x3006) and an explicit bind
to ``local_addresses[i % K]``; check a Stopwatch deadline before every attempt and bound every connect by the time
left; stop at the first failure, unwrapping the error down to its ``SocketException``; and in ``finally`` close
every client socket with ``LingerState (true, 0)`` (abortive close: no TIME_WAIT is left), then the listener and
the accepted sockets. It writes exactly one ``PORTSCALE-PROBE-RESULT {json}`` string to the success output stream:
a stdout line from powershell.exe (winrm, ssh), an output object from a psrp runspace. (``[Console]::Out`` would reach
stdout only from a process: a remote runspace has no console, and its text reaches neither the pipeline nor the host
UI the psrp connection reads, PowerShell/PowerShell#20054.)
"""

from __future__ import annotations

import json
import typing as t

PROBE_HEADER = "# portscale.tcpip probe v1"
PARAMS_VARIABLE = "$PortscaleProbeParams"
RESULT_MARKER = "PORTSCALE-PROBE-RESULT "
SCHEMA_VERSION = 1
MAX_COUNT = 200000
MAX_TIMEOUT_MS = 600000
MAX_LOCAL_ADDRESSES = 64
PARAM_KEYS = ("schema", "count", "timeout_ms", "target_host", "target_port", "reuse_unicast_port", "port_scalability",
              "local_addresses", "ip_version")

_PARAMS_PLACEHOLDER = "__PORTSCALE_PROBE_PARAMS__"

SCRIPT_TEMPLATE = r"""# portscale.tcpip probe v1
$PortscaleProbeParams = '__PORTSCALE_PROBE_PARAMS__'
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

function Stop-Probe([string]$Reason) {
    throw "portscale probe: $Reason"
}

function Test-ProbeInt($Value, [long]$Min, [long]$Max) {
    if (-not (($Value -is [int]) -or ($Value -is [long]))) { return $false }
    return (($Value -ge $Min) -and ($Value -le $Max))
}

function ConvertTo-ProbeAddress($Text, $Family) {
    $parsed = $null
    if (-not ($Text -is [string])) { Stop-Probe 'addresses must be strings' }
    if (-not [System.Net.IPAddress]::TryParse($Text, [ref]$parsed)) { Stop-Probe "'$Text' is not an IP address" }
    if ($parsed.AddressFamily -ne $Family) { Stop-Probe "'$Text' is not an address of the requested IP version" }
    return $parsed
}

# ---- parameters: every key required, no other key, types and bounds as in the contract
try {
    $p = ConvertFrom-Json -InputObject $PortscaleProbeParams
} catch {
    Stop-Probe 'the parameters are not valid JSON'
}
$expectedKeys = @('schema', 'count', 'timeout_ms', 'target_host', 'target_port', 'reuse_unicast_port', 'port_scalability', 'local_addresses', 'ip_version')
$givenKeys = @($p.PSObject.Properties | ForEach-Object { $_.Name })
foreach ($key in $givenKeys) { if ($expectedKeys -cnotcontains $key) { Stop-Probe "unknown key $key" } }
foreach ($key in $expectedKeys) { if ($givenKeys -cnotcontains $key) { Stop-Probe "missing key $key" } }
if (-not (Test-ProbeInt $p.schema 1 1)) { Stop-Probe 'schema must be 1' }
if (-not (Test-ProbeInt $p.count 1 200000)) { Stop-Probe 'count must be an integer 1..200000' }
if (-not (Test-ProbeInt $p.timeout_ms 1 600000)) { Stop-Probe 'timeout_ms must be an integer 1..600000' }
if (-not (Test-ProbeInt $p.target_port 0 65535)) { Stop-Probe 'target_port must be an integer 0..65535' }
if (-not ((Test-ProbeInt $p.ip_version 4 4) -or (Test-ProbeInt $p.ip_version 6 6))) { Stop-Probe 'ip_version must be 4 or 6' }
if (-not ($p.reuse_unicast_port -is [bool])) { Stop-Probe 'reuse_unicast_port must be a boolean' }
if (-not ($p.port_scalability -is [bool])) { Stop-Probe 'port_scalability must be a boolean' }
if ($p.ip_version -eq 6) {
    $family = [System.Net.Sockets.AddressFamily]::InterNetworkV6
} else {
    $family = [System.Net.Sockets.AddressFamily]::InterNetwork
}
$targetIp = ConvertTo-ProbeAddress $p.target_host $family
$localTexts = @($p.local_addresses)
if ($localTexts.Count -gt 64) { Stop-Probe 'local_addresses must hold at most 64 addresses' }
$seen = @{}
$localIps = New-Object 'System.Collections.Generic.List[System.Net.IPAddress]'
foreach ($text in $localTexts) {
    $localIps.Add((ConvertTo-ProbeAddress $text $family))
    if ($seen.ContainsKey($text)) { Stop-Probe "local address $text is given twice" }
    $seen[$text] = $true
}

# ---- the burst
$count = [int]$p.count
$timeoutMs = [long]$p.timeout_ms
$addressCount = $localIps.Count
$streamType = [System.Net.Sockets.SocketType]::Stream
$tcpProtocol = [System.Net.Sockets.ProtocolType]::Tcp
$optionLevel = [System.Net.Sockets.SocketOptionLevel]::Socket
$reuseUnicastPort = [System.Enum]::ToObject([System.Net.Sockets.SocketOptionName], 0x3007)
$portScalability = [System.Enum]::ToObject([System.Net.Sockets.SocketOptionName], 0x3006)
$clients = New-Object 'System.Collections.Generic.List[System.Net.Sockets.Socket]'
$accepted = New-Object 'System.Collections.Generic.List[System.Net.Sockets.Socket]'
$perAddress = [ordered]@{}
if ($addressCount -gt 0) {
    foreach ($text in $localTexts) { $perAddress[$text] = 0 }
} elseif ([System.Net.IPAddress]::IsLoopback($targetIp)) {
    $perAddress[$p.target_host] = 0
}
$listener = $null
$current = $null
$listenerPort = [int]$p.target_port
$errorInfo = $null
$timedOut = $false
$closed = 0
$portMin = $null
$portMax = $null
$stopwatch = New-Object System.Diagnostics.Stopwatch
try {
    if ($listenerPort -eq 0) {
        $listener = New-Object System.Net.Sockets.TcpListener -ArgumentList $targetIp, 0
        $listener.Start([Math]::Min($count, 65535))
        $listenerPort = $listener.LocalEndpoint.Port
    }
    $target = New-Object System.Net.IPEndPoint -ArgumentList $targetIp, $listenerPort
    $stopwatch.Start()
    for ($i = 0; $i -lt $count; $i++) {
        if ($stopwatch.ElapsedMilliseconds -ge $timeoutMs) {
            $timedOut = $true
            break
        }
        $current = New-Object System.Net.Sockets.Socket -ArgumentList $family, $streamType, $tcpProtocol
        if ($p.reuse_unicast_port) { $current.SetSocketOption($optionLevel, $reuseUnicastPort, 1) }
        if ($p.port_scalability) { $current.SetSocketOption($optionLevel, $portScalability, 1) }
        if ($addressCount -gt 0) {
            $current.Bind((New-Object System.Net.IPEndPoint -ArgumentList $localIps[$i % $addressCount], 0))
        }
        $remaining = $timeoutMs - $stopwatch.ElapsedMilliseconds
        if ($remaining -lt 1) { $remaining = 1 }
        $connecting = $current.BeginConnect($target, $null, $null)
        if (-not $connecting.AsyncWaitHandle.WaitOne([int]$remaining)) {
            $timedOut = $true
            break
        }
        $current.EndConnect($connecting)
        $clients.Add($current)
        $localEnd = $current.LocalEndPoint
        $current = $null
        if (($null -eq $portMin) -or ($localEnd.Port -lt $portMin)) { $portMin = $localEnd.Port }
        if (($null -eq $portMax) -or ($localEnd.Port -gt $portMax)) { $portMax = $localEnd.Port }
        if ($addressCount -gt 0) {
            $key = $localTexts[$i % $addressCount]
        } else {
            $key = $localEnd.Address.ToString()
        }
        if (-not $perAddress.Contains($key)) { $perAddress[$key] = 0 }
        $perAddress[$key] = $perAddress[$key] + 1
        while (($null -ne $listener) -and $listener.Pending()) { $accepted.Add($listener.AcceptSocket()) }
    }
} catch {
    $failure = $_.Exception
    while (($null -ne $failure) -and -not ($failure -is [System.Net.Sockets.SocketException])) { $failure = $failure.InnerException }
    if ($null -ne $failure) {
        $errorInfo = [ordered]@{ code = $failure.ErrorCode; name = [string]$failure.SocketErrorCode; message = $failure.Message }
    } else {
        $errorInfo = [ordered]@{ code = 0; name = $_.Exception.GetType().Name; message = $_.Exception.Message }
    }
} finally {
    $stopwatch.Stop()
    if ($null -ne $current) {
        try { $current.Close() } catch { }
    }
    foreach ($client in $clients) {
        try { $client.LingerState = New-Object System.Net.Sockets.LingerOption -ArgumentList $true, 0 } catch { }
        try {
            $client.Close()
            $closed = $closed + 1
        } catch { }
    }
    if ($null -ne $listener) {
        try { $listener.Stop() } catch { }
    }
    foreach ($socket in $accepted) {
        try { $socket.Close() } catch { }
    }
}

# ---- the one result line
$opened = $clients.Count
$elapsedMs = $stopwatch.Elapsed.TotalMilliseconds
$rate = 0.0
if ($elapsedMs -gt 0) { $rate = [Math]::Round($opened / ($elapsedMs / 1000.0), 1) }
$failureIndex = $null
if ($null -ne $errorInfo) { $failureIndex = $opened }
if ($p.ip_version -eq 6) {
    $targetText = '[' + $p.target_host + ']:' + $listenerPort
} else {
    $targetText = $p.target_host + ':' + $listenerPort
}
# A List's ToArray() gives a plain string[]: Windows PowerShell 5.1 can serialize PSObject-wrapped arrays as {"value":...,"Count":...}.
$addressesUsed = New-Object 'System.Collections.Generic.List[string]'
foreach ($address in $perAddress.Keys) { $addressesUsed.Add([string]$address) }
$result = [ordered]@{
    schema = 1
    requested = $count
    opened = $opened
    closed = $closed
    first_failure_index = $failureIndex
    error = $errorInfo
    timed_out = $timedOut
    elapsed_ms = [Math]::Round($elapsedMs, 3)
    rate_per_sec = $rate
    local_port_min = $portMin
    local_port_max = $portMax
    addresses_used = $addressesUsed.ToArray()
    opened_per_address = $perAddress
    listener_port = $listenerPort
    target = $targetText
}
Write-Output ('PORTSCALE-PROBE-RESULT ' + (ConvertTo-Json -InputObject $result -Compress -Depth 4))
"""


def powershell_single_quoted(text: str) -> str:
    """The body of a PowerShell single-quoted literal: a quote is written twice (no other escapes exist)."""
    return text.replace("'", "''")


def params_json(params: dict[str, t.Any]) -> str:
    if tuple(sorted(params)) != tuple(sorted(PARAM_KEYS)):
        raise ValueError(f"probe parameters must have exactly the keys {', '.join(PARAM_KEYS)}")
    return json.dumps({key: params[key] for key in PARAM_KEYS}, separators=(",", ":"))


def render(params: dict[str, t.Any]) -> str:
    """The script for ``params`` (already validated by probe.py): the template with the one parameter line filled in."""
    literal = powershell_single_quoted(params_json(params))
    if "\n" in literal or "\r" in literal:
        raise ValueError("probe parameters must fit on one line")
    return SCRIPT_TEMPLATE.replace(_PARAMS_PLACEHOLDER, literal, 1)

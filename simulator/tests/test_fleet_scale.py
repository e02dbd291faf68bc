# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One process serves 200 simulated hosts: all start, each answers a real command over NTLM with encryption."""

from __future__ import annotations

import concurrent.futures

import winrm

from portscale_winsim.fleet import start_fleet

HOSTS = 200
DYNAMICPORT_TCP = (b"\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\n"
                   b"Start Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n")


def test_scale_200_hosts_start_and_answer(tmp_path):
    # ready_timeout bounds the start-up; timing figures come from bench_throughput.py, not from assertions here.
    with start_fleet(str(tmp_path), count=HOSTS, auth="ntlm", ready_timeout=90) as fleet:
        ports = {host.port for host in fleet.hosts}
        assert len(ports) == HOSTS and max(ports) < 32768

        def one(host):
            session = winrm.Session(host.endpoint, auth=(fleet.user, fleet.password), transport="ntlm", ca_trust_path=None)
            return session.run_cmd("netsh", ["int", "ipv4", "show", "dynamicport", "tcp"])

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            results = list(pool.map(one, fleet.hosts))
        assert all(r.std_out == DYNAMICPORT_TCP and r.status_code == 0 for r in results)
        counters = fleet.control.call("all", "counters")
        assert all(c["http"]["requests_by_action"]["Receive"] == 1 for c in counters.values())

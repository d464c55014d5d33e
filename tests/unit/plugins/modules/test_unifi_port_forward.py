from ansible_collections.hybridops.platform.plugins.modules import unifi_port_forward

from ..conftest import NET, ok

URL = NET + "rest/portforward"
ARGS = dict(name="https", protocol="tcp", dst_port="443", forward_ip="10.10.0.5", forward_port="443")
FWD = {"_id": "f1", "name": "https", "proto": "tcp", "dst_port": "443", "fwd": "10.10.0.5", "fwd_port": "443",
       "enabled": True, "pfwd_interface": "wan", "src": "any"}


def test_create_with_defaults(api, run_module):
    api.on("GET", URL, ok())
    api.on("POST", URL, ok(FWD))
    assert run_module(unifi_port_forward, ARGS)["changed"] is True
    body = api.requests("POST")[0]["body"]
    assert body["pfwd_interface"] == "wan" and body["src"] == "any" and body["fwd"] == "10.10.0.5"


def test_create_needs_ports_and_address(api, run_module):
    api.on("GET", URL, ok())
    result = run_module(unifi_port_forward, dict(name="https", dst_port="443"))
    assert result["failed"] is True and "needs forward_ip, forward_port" in result["msg"]


def test_unchanged_and_update(api, run_module):
    api.on("GET", URL, ok(FWD))
    assert run_module(unifi_port_forward, ARGS)["changed"] is False
    assert api.writes() == []
    api.on("PUT", URL + "/f1", ok(dict(FWD, fwd_port="8443")))
    assert run_module(unifi_port_forward, dict(ARGS, forward_port="8443"))["changed"] is True
    assert api.requests("PUT")[0]["body"]["fwd_port"] == "8443"


def test_source_group_by_name(api, run_module):
    api.on("GET", URL, ok(FWD))
    api.on("GET", NET + "rest/firewallgroup", ok({"_id": "g7", "name": "office"}))
    result = run_module(unifi_port_forward, dict(name="https", source_firewall_group="office"), check=True, diff=True)
    assert result["changed"] is True and api.writes() == []
    assert result["diff"]["after"]["src_firewall_group_id"] == "g7"
    assert result["diff"]["after"]["src_limiting_type"] == "firewall_group"


def test_delete(api, run_module):
    api.on("GET", URL, ok(FWD))
    api.on("DELETE", URL + "/f1", ok())
    assert run_module(unifi_port_forward, dict(name="https", state="absent"))["changed"] is True

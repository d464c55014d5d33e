from ansible_collections.hybridops.platform.plugins.modules import unifi_dhcp_reservation

from ..conftest import NET, ok

URL = NET + "rest/user"
NETWORKS = ok({"_id": "n1", "name": "gpu", "ip_subnet": "10.20.0.1/24"})
ARGS = dict(mac="52-54-00-AA-BB-01", ip="10.20.0.11", network="gpu", name="gpu-01")
CLIENT = {"_id": "u1", "mac": "52:54:00:aa:bb:01", "name": "gpu-01", "use_fixedip": True, "fixed_ip": "10.20.0.11",
          "network_id": "n1", "first_seen": 1}


def routes(api, *clients):
    api.on("GET", URL, ok(*clients))
    api.on("GET", NET + "rest/networkconf", NETWORKS)


def test_new_client_is_created_with_a_normalized_mac(api, run_module):
    routes(api)
    api.on("POST", URL, ok(CLIENT))
    result = run_module(unifi_dhcp_reservation, ARGS)
    assert result["changed"] is True
    assert api.requests("POST")[0]["body"] == {"mac": "52:54:00:aa:bb:01", "use_fixedip": True,
                                               "fixed_ip": "10.20.0.11", "network_id": "n1", "name": "gpu-01"}


def test_known_client_matched_by_mac_in_any_case(api, run_module):
    routes(api, CLIENT)
    assert run_module(unifi_dhcp_reservation, ARGS)["changed"] is False
    assert api.writes() == []


def test_known_client_without_reservation_is_updated(api, run_module):
    routes(api, dict(CLIENT, use_fixedip=False, fixed_ip=""))
    api.on("PUT", URL + "/u1", ok(CLIENT))
    result = run_module(unifi_dhcp_reservation, ARGS, diff=True)
    assert result["changed"] is True
    body = api.requests("PUT")[0]["body"]
    assert body["use_fixedip"] is True and body["fixed_ip"] == "10.20.0.11" and body["first_seen"] == 1
    assert result["diff"]["before"]["use_fixedip"] is False


def test_absent_turns_the_reservation_off_and_keeps_the_client(api, run_module):
    routes(api, CLIENT)
    api.on("PUT", URL + "/u1", ok(dict(CLIENT, use_fixedip=False)))
    result = run_module(unifi_dhcp_reservation, dict(mac=ARGS["mac"], state="absent"), check=True)
    assert result["changed"] is True and api.writes() == []
    result = run_module(unifi_dhcp_reservation, dict(mac=ARGS["mac"], state="absent"))
    assert result["changed"] is True
    assert [c["method"] for c in api.writes()] == ["PUT"]
    assert api.writes()[0]["body"]["use_fixedip"] is False


def test_absent_without_reservation_is_a_no_op(api, run_module):
    routes(api, dict(CLIENT, use_fixedip=False))
    assert run_module(unifi_dhcp_reservation, dict(mac=ARGS["mac"], state="absent"))["changed"] is False
    assert api.writes() == []


def test_present_needs_ip_and_network(api, run_module):
    result = run_module(unifi_dhcp_reservation, dict(mac=ARGS["mac"]))
    assert result["failed"] is True and "ip, network" in result["msg"]
    assert api.calls == []

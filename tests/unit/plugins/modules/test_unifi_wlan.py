import json

from ansible_collections.hybridops.platform.plugins.modules import unifi_wlan

from ..conftest import NET, V2, Reply, error, ok

URL = NET + "rest/wlanconf"
SECRET = "correct-horse-battery"
ARGS = dict(name="staff", passphrase=SECRET, network="corp")
WLAN = {"_id": "w1", "name": "staff", "security": "wpapsk", "x_passphrase": SECRET, "networkconf_id": "n1",
        "wlan_bands": ["5g", "2g"], "enabled": True}


def routes(api, *wlans):
    api.on("GET", URL, ok(*wlans))
    api.on("GET", NET + "rest/networkconf", ok({"_id": "n1", "name": "corp"}))
    api.on("GET", NET + "rest/usergroup", ok({"_id": "ug1", "name": "Default", "attr_no_delete": True}))
    api.on("GET", V2 + "apgroups", [{"_id": "ap1", "name": "All APs", "attr_no_delete": True}])


def test_create_fills_groups_and_hides_the_passphrase(api, run_module):
    routes(api)
    api.on("POST", URL, ok(WLAN))
    result = run_module(unifi_wlan, ARGS, diff=True)
    assert result["changed"] is True
    body = api.requests("POST")[0]["body"]
    assert body["security"] == "wpapsk" and body["x_passphrase"] == SECRET
    assert body["usergroup_id"] == "ug1" and body["ap_group_ids"] == ["ap1"]
    assert SECRET not in json.dumps(result)
    assert result["wlan"]["x_passphrase"] == "********"


def test_unchanged_bands_in_any_order(api, run_module):
    routes(api, WLAN)
    assert run_module(unifi_wlan, dict(ARGS, bands=["2g", "5g"]))["changed"] is False
    assert api.writes() == []


def test_passphrase_change_and_on_create(api, run_module):
    routes(api, WLAN)
    api.on("PUT", URL + "/w1", ok(WLAN))
    result = run_module(unifi_wlan, dict(ARGS, passphrase="another-secret-1"), diff=True)
    assert result["changed"] is True
    assert api.requests("PUT")[0]["body"]["x_passphrase"] == "another-secret-1"
    assert "another-secret-1" not in json.dumps(result)
    result = run_module(unifi_wlan, dict(ARGS, passphrase="another-secret-2", update_passphrase="on_create"))
    assert result["changed"] is False


def test_short_passphrase_is_refused_before_any_write(api, run_module):
    routes(api)
    result = run_module(unifi_wlan, dict(ARGS, passphrase="short"))
    assert result["failed"] is True and "8 to 63" in result["msg"]
    assert api.writes() == []


def test_check_mode_and_delete(api, run_module):
    routes(api)
    result = run_module(unifi_wlan, ARGS, check=True)
    assert result["changed"] is True and api.writes() == []
    routes(api, WLAN)
    api.on("DELETE", URL + "/w1", ok())
    assert run_module(unifi_wlan, dict(name="staff", state="absent"))["changed"] is True


def test_passphrase_only_change_shows_in_the_diff_without_the_value(api, run_module):
    routes(api, WLAN)
    api.on("PUT", URL + "/w1", ok(dict(WLAN, x_passphrase="another-secret-1")))
    for check in (True, False):
        result = run_module(unifi_wlan, dict(ARGS, passphrase="another-secret-1"), check=check, diff=True)
        assert result["changed"] is True
        assert result["diff"]["before"]["x_passphrase"] == "<passphrase: previous value>"
        assert result["diff"]["after"]["x_passphrase"] == "<passphrase: changed>"
        assert result["diff"]["before"] != result["diff"]["after"]
        dumped = json.dumps(result)
        assert "another-secret-1" not in dumped and SECRET not in dumped
        assert result["wlan"]["x_passphrase"] == "********"


def test_unchanged_passphrase_is_marked_unchanged_on_both_sides(api, run_module):
    routes(api, WLAN)
    api.on("PUT", URL + "/w1", ok(dict(WLAN, hide_ssid=True)))
    result = run_module(unifi_wlan, dict(ARGS, hide_ssid=True), diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["x_passphrase"] == result["diff"]["after"]["x_passphrase"] == \
        "<passphrase: unchanged>"
    assert SECRET not in json.dumps(result)


def test_passphrase_argument_stays_no_log():
    assert unifi_wlan.UnifiWlan.argument_spec["passphrase"]["no_log"] is True


def test_missing_usergroup_endpoint_fails_naming_it(api, run_module):
    routes(api)
    api.on("GET", NET + "rest/usergroup", Reply(error("api.err.NotFound"), status=404))
    for check in (True, False):
        result = run_module(unifi_wlan, ARGS, check=check)
        assert result["failed"] is True
        assert "/proxy/network/api/s/default/rest/usergroup answered HTTP 404" in result["msg"]
        assert "every UniFi Network application version" in result["msg"] and "site 'default'" in result["msg"]
    assert api.writes() == []


def test_missing_apgroups_endpoint_warns_and_creates_without_ap_groups(api, run_module):
    routes(api)
    api.on("GET", V2 + "apgroups", Reply({"code": "api.err.NotFound"}, status=404))
    api.on("POST", URL, ok(WLAN))
    result = run_module(unifi_wlan, ARGS)
    assert result["changed"] is True
    body = api.requests("POST")[0]["body"]
    assert "ap_group_ids" not in body and body["usergroup_id"] == "ug1"
    (warning,) = result["warnings"]
    assert "v2/api/site/default/apgroups answered HTTP 404" in warning and "UniFi Network 6.0 or later" in warning


def test_other_apgroups_errors_still_fail(api, run_module):
    routes(api)
    api.on("GET", V2 + "apgroups", Reply({"code": "api.err.Unavailable"}, status=400))
    result = run_module(unifi_wlan, ARGS)
    assert result["failed"] is True and "api.err.Unavailable" in result["msg"]

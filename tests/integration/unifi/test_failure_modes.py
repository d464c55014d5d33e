"""The modules driven end to end (real ansible-playbook) through each failure mode of the simulator: session
expiry, 429 with Retry-After, 5xx once and persisting, a stale CSRF token, missing endpoints, TLS verification,
and option values the controller would refuse. Every session a module opens is closed again."""

import time


def network_task(name="network", **overrides):
    args = dict(name="lab", vlan=77, subnet="10.77.0.1/24", dhcp_enabled=True, dhcp_start="10.77.0.100",
                dhcp_stop="10.77.0.150")
    args.update(overrides)
    return dict(name=name, **{"hybridops.platform.unifi_network": args})


def statuses(controller, method, contains):
    return [entry["status"] for entry in controller.requests(method, contains)]


def assert_sessions_closed(controller, logouts):
    assert controller.live_sessions() == []
    assert statuses(controller, "POST", "/api/auth/logout") == [200] * logouts


def test_session_expiring_mid_task_logs_in_again_and_is_closed(ansible, sim):
    controller = sim.controller
    controller.expire_sessions_after(1)  # the read passes, the write finds the session expired
    rc, results, out = ansible.play([network_task()])
    assert rc == 0 and results["network"]["changed"] is True, out
    assert statuses(controller, "POST", "/api/auth/login") == [200, 200]
    assert statuses(controller, "POST", "rest/networkconf") == [401, 200]
    assert controller.find("networkconf", name="lab")["vlan"] == 77
    assert_sessions_closed(controller, logouts=1)


def test_429_with_retry_after_and_5xx_once_are_retried(ansible, sim):
    controller = sim.controller
    controller.fail_next("POST", "rest/networkconf", status=429, retry_after=1)
    controller.fail_next("GET", "rest/firewallgroup", status=503)
    group = dict(name="group", **{"hybridops.platform.unifi_firewall_group": dict(
        name="admins", group_type="address-group", members=["10.77.0.5"])})
    rc, results, out = ansible.play([network_task(), group])
    assert rc == 0, out
    assert results["network"]["changed"] is True and results["group"]["changed"] is True
    posts = controller.requests("POST", "rest/networkconf")
    assert [e["status"] for e in posts] == [429, 200]
    assert posts[1]["time"] - posts[0]["time"] >= 0.9  # Retry-After (1 s) wins over retry_backoff (0.1 s)
    assert statuses(controller, "GET", "rest/firewallgroup") == [503, 200]
    assert controller.find("networkconf", name="lab") and controller.find("firewallgroup", name="admins")
    assert_sessions_closed(controller, logouts=2)


def test_persisting_5xx_fails_with_the_status_and_still_logs_out(ansible, sim):
    controller = sim.controller
    controller.fail_next("GET", "rest/networkconf", status=502, count=10)
    task = network_task(request_retries=1)
    task["ignore_errors"] = True
    rc, results, out = ansible.play([task])
    assert rc == 0, out
    result = results["network"]
    assert result["failed"] is True and "HTTP 502" in result["msg"] and "api.err.ServerBusy" in result["msg"]
    assert statuses(controller, "GET", "rest/networkconf") == [502, 502]
    assert controller.writes() == []
    assert_sessions_closed(controller, logouts=1)  # the failure path closes the session too


def test_stale_csrf_token_logs_in_again_and_a_persisting_one_is_named(ansible, sim):
    controller = sim.controller
    controller.reject_csrf_next(1)
    rc, results, out = ansible.play([network_task()])
    assert rc == 0 and results["network"]["changed"] is True, out
    assert statuses(controller, "POST", "rest/networkconf") == [403, 200]
    assert statuses(controller, "POST", "/api/auth/login") == [200, 200]
    assert_sessions_closed(controller, logouts=2)  # the refused session too

    controller.log[:] = []
    controller.reject_csrf_next(10)
    task = network_task(dhcp_stop="10.77.0.160")
    task["ignore_errors"] = True
    rc, results, out = ansible.play([task])
    assert rc == 0, out
    msg = results["network"]["msg"]
    assert "rejected the CSRF token" in msg and "api.err.InvalidCSRFToken" in msg
    assert "not allowed" not in msg
    assert statuses(controller, "PUT", "rest/networkconf") == [403, 403]
    assert controller.live_sessions() == []


def test_wlan_without_ap_groups_warns_and_without_usergroup_fails_naming_it(ansible, sim):
    controller = sim.controller
    controller.missing.add("apgroups")  # a controller older than Network 6.0
    wlan = dict(name="wlan", no_log=False, **{"hybridops.platform.unifi_wlan": dict(
        name="lab-wifi", passphrase="correct-horse-battery", network="lab")})
    rc, results, out = ansible.play([network_task(), wlan])
    assert rc == 0 and results["wlan"]["changed"] is True, out
    assert "ap_group_ids" not in controller.find("wlanconf", name="lab-wifi")
    assert any("apgroups answered HTTP 404" in w and "UniFi Network 6.0" in w for w in results["wlan"]["warnings"])

    # a passphrase-only change is visible in the diff, and the passphrase is not
    wlan["hybridops.platform.unifi_wlan"]["passphrase"] = "another-long-secret"
    rc, results, out = ansible.play([wlan], diff=True)
    assert rc == 0 and results["wlan"]["changed"] is True, out
    assert results["wlan"]["diff"]["before"]["x_passphrase"] == "<passphrase: previous value>"
    assert results["wlan"]["diff"]["after"]["x_passphrase"] == "<passphrase: changed>"
    assert "another-long-secret" not in out and "correct-horse-battery" not in out
    assert controller.find("wlanconf", name="lab-wifi")["x_passphrase"] == "another-long-secret"

    controller.missing.add("usergroup")
    wlan = dict(name="wlan", ignore_errors=True, **{"hybridops.platform.unifi_wlan": dict(
        name="guest-wifi", passphrase="correct-horse-battery", network="lab")})
    rc, results, out = ansible.play([wlan])
    assert rc == 0, out
    assert results["wlan"]["failed"] is True
    assert "rest/usergroup answered HTTP 404" in results["wlan"]["msg"]
    assert controller.find("wlanconf", name="guest-wifi") is None
    assert controller.live_sessions() == []


def test_tls_failure_is_immediate_and_refused_values_make_no_request(ansible, sim):
    connection = ansible.connection()
    no_ca = dict(connection, request_retries=3, retry_backoff=10.0)
    del no_ca["ca_path"]
    tasks = [
        dict(name="no ca", ignore_errors=True, **{"hybridops.platform.unifi_info": no_ca}),
        dict(name="vlan", ignore_errors=True, **{"hybridops.platform.unifi_network": dict(
            connection, name="lab", vlan=4010)}),
        dict(name="subnet", ignore_errors=True, **{"hybridops.platform.unifi_network": dict(
            connection, name="lab", subnet="10.77.0.0/24")}),
        dict(name="range", ignore_errors=True, **{"hybridops.platform.unifi_network": dict(
            connection, name="lab", subnet="10.77.0.1/24", dhcp_start="10.77.0.200", dhcp_stop="10.77.0.100")}),
    ]
    started = time.monotonic()
    rc, results, out = ansible.play(tasks, check=True, module_defaults=False)
    elapsed = time.monotonic() - started
    assert rc == 0, out
    msg = results["no ca"]["msg"]
    assert "TLS verification of https://%s failed" % sim.host in msg
    assert "ca_path" in msg and "validate_certs" in msg and "cannot reach" not in msg
    assert elapsed < 40  # retried like a transient error it would wait 10 + 20 + 40 s
    assert "vlan must be between 2 and 4009" in results["vlan"]["msg"]
    assert "names the network address" in results["subnet"]["msg"]
    assert "dhcp_start 10.77.0.200 is after dhcp_stop 10.77.0.100" in results["range"]["msg"]
    assert sim.controller.log == []  # refused before any request, in check mode too

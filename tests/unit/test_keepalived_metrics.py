"""The keepalived role's textfile collector (roles/keepalived/files/hybridops-keepalived-metrics), with systemctl
and ip replaced by stand-ins that answer like iproute2's JSON output."""

import importlib.machinery
import importlib.util
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "roles" / "keepalived" / "files" / "hybridops-keepalived-metrics"
VIP = "10.89.12.100"


def ip_json(*addresses):
    return json.dumps([{"ifindex": 2, "ifname": "eth0", "flags": ["BROADCAST", "UP"], "addr_info": [
        {"family": "inet", "local": a, "prefixlen": 24, "scope": "global", "label": "eth0"} for a in addresses]}])


@pytest.fixture(name="mod", scope="module")
def fixture_mod():
    loader = importlib.machinery.SourceFileLoader("hybridops_keepalived_metrics", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def fake_run(active, addresses, ip_rc=0):
    calls = []

    def run(argv, **kwargs):
        calls.append(argv)
        if argv[0] == "systemctl":
            return subprocess.CompletedProcess(argv, 0 if active else 3, "", "")
        return subprocess.CompletedProcess(argv, ip_rc, ip_json(*addresses) if ip_rc == 0 else "", "")
    return run, calls


@pytest.mark.parametrize("active, addresses, up, present", [
    (True, ["10.89.12.11", VIP], 1, 1),   # the master
    (True, ["10.89.12.11"], 1, 0),        # a backup
    (False, ["10.89.12.11"], 0, 0),       # keepalived stopped: the VIP has moved away
    (True, ["10.89.12.1000"], 1, 0),      # a longer address that starts with the VIP is not the VIP
])
def test_state_written_to_the_textfile(mod, monkeypatch, tmp_path, active, addresses, up, present):
    run, calls = fake_run(active, addresses)
    monkeypatch.setattr(mod.subprocess, "run", run)
    out = tmp_path / "hybridops_keepalived.prom"
    assert mod.main(["--vip", VIP, "--interface", "eth0", "--output", str(out)]) == 0
    text = out.read_text()
    assert f'hybridops_keepalived_up{{vip="{VIP}"}} {up}\n' in text
    assert f'hybridops_keepalived_vip_present{{vip="{VIP}"}} {present}\n' in text
    assert calls == [["systemctl", "is-active", "--quiet", "keepalived"],
                     ["ip", "-j", "-4", "address", "show", "dev", "eth0"]]
    assert os.listdir(tmp_path) == ["hybridops_keepalived.prom"]


def test_a_missing_interface_counts_as_no_vip(mod, monkeypatch, tmp_path):
    run = fake_run(True, [VIP], ip_rc=1)[0]
    monkeypatch.setattr(mod.subprocess, "run", run)
    out = tmp_path / "k.prom"
    mod.main(["--vip", VIP, "--interface", "nope0", "--output", str(out)])
    assert f'hybridops_keepalived_vip_present{{vip="{VIP}"}} 0' in out.read_text()


def test_garbage_from_ip_is_no_vip(mod):
    assert mod.vip_present("not json", VIP) is False
    assert mod.vip_present(ip_json(VIP), VIP) is True

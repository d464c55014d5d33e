"""The dcgm_exporter role's gate, preflight and templates, run by the real ansible-playbook on the controller.

No GPU here and no DCGM or exporter image: the role is run in --check against the controller itself (lspci finds no
NVIDIA device), once as a host without a GPU (it must stand down) and once forced past the gate (its preflight must
refuse what argument specs cannot express). The templates are rendered with the role's own defaults and internal
variables, and what they produce is parsed: the web configuration as YAML, the counters as CSV, the unit's command.
"""

import csv
import io
import re
import sys

import pytest
import yaml

from .playbooks import ROOT, run_playbook

ROLE = ROOT / "roles" / "dcgm_exporter"
DIGEST = "sha256:" + "ab" * 32
PASSWORD = "a-long-enough-password"

ROLE_PLAY = """\
- name: Apply the dcgm_exporter role to the controller
  hosts: gpu
  gather_facts: true
  roles:
    - role: hybridops.platform.dcgm_exporter
"""


def run_role(tmp_path, host_vars):
    hostvars = "".join(f"          {key}: {value}\n" for key, value in host_vars.items())
    (tmp_path / "hosts.yml").write_text(
        "all:\n  hosts:\n    gpu:\n          ansible_connection: local\n"
        f"          ansible_python_interpreter: {sys.executable}\n{hostvars}")
    return run_playbook(tmp_path, ROLE_PLAY, "-i", str(tmp_path / "hosts.yml"), "--check", timeout=300)


def recap(output):
    line = re.search(r"^gpu\s+:.*$", output, re.M)
    assert line, output
    return line.group(0)


def test_host_without_gpu_stands_down(tmp_path):
    rc, output = run_role(tmp_path, {})
    assert rc == 0, output
    assert "neither DCGM nor its exporter is installed" in output, output
    assert "failed=0" in recap(output)
    # the role ended at the gate: the preflight, DCGM and podman tasks are not even reached (a forced host runs
    # them: test_forced_host_without_a_digest_is_refused and the preflight tests below)
    assert "TASK [hybridops.platform.dcgm_exporter : End the role on a host without NVIDIA GPUs]" in output, output
    for task in ("Refuse an image that is not pinned by digest", "Install DCGM", "Install podman"):
        assert f"TASK [hybridops.platform.dcgm_exporter : {task}" not in output, (task, output)


def test_forced_host_without_a_digest_is_refused(tmp_path):
    rc, output = run_role(tmp_path, {"nvidia_driver_force": "true", "dcgm_exporter_web_password": PASSWORD})
    assert rc != 0, output
    assert "dcgm_exporter_image_digest must pin the exporter image" in output, output
    assert "failed=1" in recap(output)


@pytest.mark.parametrize("host_vars, message", [
    ({"dcgm_exporter_web_password": "short"}, "dcgm_exporter_web_password is missing or shorter than 12"),
    ({"dcgm_exporter_web_password": PASSWORD, "dcgm_exporter_dcgm_version": '"3.3.9"'},
     "must be of the same major version"),
    ({"dcgm_exporter_web_password": PASSWORD,
      "dcgm_exporter_counters_extra": "[{field: DCGM_FI_DEV_GPU_TEMP, type: gauge, help: 'one, two'}]"},
     "a help text without commas"),
])
def test_forced_host_preflight_refuses(tmp_path, host_vars, message):
    rc, output = run_role(tmp_path, {"nvidia_driver_force": "true", "dcgm_exporter_image_digest": DIGEST,
                                     **host_vars})
    assert rc != 0, output
    assert message in output, output
    assert PASSWORD not in output


RENDER_PLAY = f"""\
- name: Render the dcgm_exporter templates with the role's defaults
  hosts: localhost
  connection: local
  gather_facts: false
  # later files win: the role's defaults, its internal variables, then this test's inventory values
  vars_files:
    - {ROLE}/defaults/main.yml
    - {ROLE}/vars/main.yml
    - site.yml
  tasks:
    - name: Render each template
      ansible.builtin.template:
        src: "{ROLE}/templates/{{{{ item }}}}.j2"
        dest: "{{{{ out }}}}/{{{{ item }}}}"
        mode: "0644"
      loop: [web.yml, counters.csv, dcgm-exporter.service]
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dcgm")
    (tmp / "site.yml").write_text(
        f'dcgm_exporter_image_digest: "{DIGEST}"\n'
        "dcgm_exporter_extra_args: [--no-hostname]\n"
        "dcgm_exporter_counters_extra:\n"
        "  - {field: DCGM_FI_DEV_POWER_MGMT_LIMIT, type: gauge, help: Power limit (in W).}\n"
        # what the role's bcrypt_hash task returns (a bcrypt hash of some password)
        '__dcgm_exporter_web_hash: {hash: "$2b$10$0123456789012345678901uVtqPsL3GdF9X2t/0xj3FXyd5dVqyXa"}\n')
    rc, output = run_playbook(tmp, RENDER_PLAY, "-e", f"out={tmp}", timeout=300)
    assert rc == 0, output
    return {name: (tmp / name).read_text() for name in ("web.yml", "counters.csv", "dcgm-exporter.service")}


def test_web_config_has_tls_and_the_bcrypt_hash(rendered):
    web = yaml.safe_load(rendered["web.yml"])
    assert web["tls_server_config"] == {"cert_file": "/etc/dcgm-exporter/pki/dcgm-exporter.crt",
                                        "key_file": "/etc/dcgm-exporter/pki/dcgm-exporter.key",
                                        "min_version": "TLS12"}
    assert list(web["basic_auth_users"]) == ["prometheus"]
    assert web["basic_auth_users"]["prometheus"].startswith("$2b$10$")


def test_counters_csv_has_every_default_and_extra_counter(rendered):
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())["dcgm_exporter_counters"]
    rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(rendered["counters.csv"]))
            if row and not row[0].startswith("#")]
    assert all(len(row) == 3 for row in rows), rows
    assert [row[0] for row in rows] == [c["field"] for c in defaults] + ["DCGM_FI_DEV_POWER_MGMT_LIMIT"]
    assert {row[1] for row in rows} <= {"gauge", "counter", "label"}
    # the two fields the prometheus role's GPU alerts read
    assert {"DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_XID_ERRORS"} <= {row[0] for row in rows}


def test_unit_runs_the_image_by_digest_with_cdi_and_the_web_config(rendered):
    unit = rendered["dcgm-exporter.service"]
    command = re.search(r"^ExecStart=(.*?)\nExecStop=", unit, re.M | re.S).group(1).replace("\\\n", " ").split()
    image = f"nvcr.io/nvidia/k8s/dcgm-exporter@{DIGEST}"
    assert command[:3] == ["/usr/bin/podman", "run", "--cidfile=%t/%n.ctr-id"]
    podman, exporter = command[:command.index(image)], command[command.index(image) + 1:]
    for flag in ("--network=host", "--device=nvidia.com/gpu=all", "--cap-drop=all", "--cap-add=SYS_ADMIN",
                 "--read-only", "--pull=missing", "--volume=/etc/dcgm-exporter:/etc/dcgm-exporter:ro"):
        assert flag in podman, podman
    # the PKI directory lies under the mounted configuration directory: no second volume
    assert len([f for f in podman if f.startswith("--volume=")]) == 1
    assert exporter == ["--collectors=/etc/dcgm-exporter/counters.csv", "--address=:9400",
                        "--collect-interval=30000", "--remote-hostengine-info=127.0.0.1:5555",
                        "--web-config-file=/etc/dcgm-exporter/web.yml", "--no-hostname"]
    assert "Requires=nvidia-dcgm.service" in unit

"""The common role's `tasks_from: download` in --check on a fresh host, whose download directory does not exist yet.

get_url refuses a destination directory that does not exist, and --check does not create it: the download must be
skipped (reported by the directory task), not fail. Found by the nvidia scenario's check on a fresh host, where the
CUDA repository's key is the first download into /var/cache/hybridops/downloads/apt-keys.
"""

import functools
import hashlib
import http.server
import sys
import threading

import pytest
import yaml

from .playbooks import run_playbook

PLAYBOOK = """\
- name: Download an artifact through the common role
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Download it
      ansible.builtin.include_role:
        name: hybridops.platform.common
        tasks_from: download
"""
CONTENT = b"an artifact\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("www")
    (root / "artifact.txt").write_bytes(CONTENT)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def run(tmp_path, server, *args):
    dest = tmp_path / "fresh" / "downloads" / "artifact.txt"
    inventory = {"all": {"hosts": {"localhost": {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "common_download_artifact": {"url": f"{server}/artifact.txt", "dest": str(dest),
                                     "checksum": "sha256:" + hashlib.sha256(CONTENT).hexdigest()},
    }}}}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    rc, output = run_playbook(tmp_path, PLAYBOOK, "-i", str(tmp_path / "hosts.yml"), *args, timeout=300)
    return rc, output, dest


def test_check_mode_on_a_fresh_host_does_not_fail(tmp_path, server):
    rc, output, dest = run(tmp_path, server, "--check")
    assert rc == 0, output[-3000:]
    assert not dest.parent.exists()
    assert "Create the download directory for artifact.txt" in output


def test_real_run_downloads_it(tmp_path, server):
    rc, output, dest = run(tmp_path, server)
    assert rc == 0, output[-3000:]
    assert dest.read_bytes() == CONTENT

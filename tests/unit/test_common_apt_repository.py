"""The common role's `tasks_from: apt_repository` on the controller, in --check, in a temporary root.

Bad input stops in the first task with its message and no change; a good request renders the deb822 source
(mirror applied, Signed-By the keyring file) and checks the key's fingerprint with gpg before anything is
installed. The key is served by a local HTTP server (get_url asks it in --check) and pre-staged in the
download cache with its checksum, so the fingerprint check runs on a real key made here with gpg.
"""

import functools
import hashlib
import http.server
import re
import shutil
import subprocess
import sys
import threading

import pytest
import yaml

from .playbooks import run_playbook

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is needed to make and read a key")

PLAYBOOK = """\
- name: Add an APT repository through the common role
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Add the repository
      ansible.builtin.include_role:
        name: hybridops.platform.common
        tasks_from: apt_repository
"""


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    """An armored public key made with gpg, and its fingerprint."""
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    gpg = ["gpg", "--homedir", str(home), "--batch", "--passphrase", ""]
    subprocess.run([*gpg, "--quick-gen-key", "Unit Test <unit@example.invalid>", "ed25519", "sign", "never"],
                   check=True, capture_output=True, timeout=60)
    armored = subprocess.run([*gpg, "--armor", "--export"], check=True, capture_output=True, timeout=60).stdout
    colons = subprocess.run([*gpg, "--with-colons", "--list-keys"], check=True, capture_output=True, text=True,
                            timeout=60).stdout
    fingerprint = re.search(r"^fpr:+([0-9A-F]{40}):", colons, re.M).group(1)
    # key generation started a gpg-agent for this home: leave no daemon behind
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False, capture_output=True, timeout=60)
    return armored, fingerprint


@pytest.fixture(scope="module")
def server(tmp_path_factory, key):
    """http://127.0.0.1:<port>/upstream/key.asc serves the key (get_url sends HEAD in --check)."""
    root = tmp_path_factory.mktemp("www")
    (root / "upstream").mkdir()
    (root / "upstream" / "key.asc").write_bytes(key[0])
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def run_entry_point(tmp_path, repository, extra=None, stage_key=None):
    for sub in ("keyrings", "sources", "cache/apt-keys"):
        (tmp_path / sub).mkdir(parents=True, exist_ok=True)
    if stage_key is not None:
        (tmp_path / "cache" / "apt-keys" / f"{repository['name']}.asc").write_bytes(stage_key)
    inventory = {"all": {"hosts": {"localhost": {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "common_apt_repository": repository,
        "common_apt_repository_keyring_dir": str(tmp_path / "keyrings"),
        "common_apt_repository_sources_dir": str(tmp_path / "sources"),
        "common_download_cache_dir": str(tmp_path / "cache"),
        **(extra or {}),
    }}}}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    rc, output = run_playbook(tmp_path, PLAYBOOK, "-i", str(tmp_path / "hosts.yml"), "--check", "--diff",
                              timeout=300)
    # --check: nothing under the temporary root was written
    assert sorted(p.name for p in (tmp_path / "sources").iterdir()) == [], output
    assert sorted(p.name for p in (tmp_path / "keyrings").iterdir()) == [], output
    return rc, output


def good(server, key):
    return {
        "name": "unit-vendor",
        "uris": ["https://packages.upstream.example/debian"],
        "suites": ["bookworm"],
        "components": ["main"],
        "key": {
            "url": f"{server}/upstream/key.asc",
            "checksum": "sha256:" + hashlib.sha256(key[0]).hexdigest(),
            "fingerprint": " ".join(key[1][i:i + 4] for i in range(0, 40, 4)),
        },
    }


def recap_changed(output):
    recap = re.search(r"^localhost\s+:.*changed=(\d+)", output, re.M)
    assert recap, output
    return int(recap.group(1))


BAD = {
    "name with a slash": ({"name": "../evil"}, r"name must be lower-case letters"),
    "no key checksum": ({"key": {"url": "https://k.example/key.asc", "checksum": ""}},
                        r"key.checksum must pin the key"),
    "md5 checksum": ({"key": {"url": "https://k.example/key.asc", "checksum": "md5:0123abcd"}},
                     r"key.checksum must pin the key"),
    "short fingerprint": ({"key": {"url": "https://k.example/key.asc", "checksum": "sha256:00ff",
                                   "fingerprint": "3BF863CC"}}, r"key.fingerprint must be 40 hexadecimal"),
    "plain-file URI": ({"uris": ["file:///srv/repo"]}, r"URI file:///srv/repo is not an http\(s\) URL"),
    "flat suite with components": ({"suites": ["/"], "components": ["main"]},
                                   r"a flat repository .* takes no components"),
    "suite without components": ({"components": []}, r"components is empty"),
    "unknown type": ({"types": ["rpm"]}, r"types.*(one of|choices)"),
    "no key": ({"key": None}, r"key.url must be an http\(s\) URL"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_before_any_change(tmp_path, server, key, case):
    overrides, message = BAD[case]
    repository = {**good(server, key), **overrides}
    if repository.get("key") is None:
        del repository["key"]
    rc, output = run_entry_point(tmp_path, repository)
    assert rc != 0, output
    assert re.search(message, output, re.S), output[-3000:]
    assert recap_changed(output) == 0, output[-3000:]


def test_source_is_rendered_through_the_mirror_and_signed_by_the_keyring(tmp_path, server, key):
    mirrors = {"https://packages.upstream.example/": "https://mirror.dc1.example.internal/vendor/"}
    rc, output = run_entry_point(tmp_path, good(server, key), {"common_apt_repository_mirrors": mirrors},
                                 stage_key=key[0])
    assert rc == 0, output[-3000:]
    added = [line[1:] for line in output.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert "Types: deb" in added, output[-3000:]
    assert "URIs: https://mirror.dc1.example.internal/vendor/debian" in added
    assert "Suites: bookworm" in added
    assert "Components: main" in added
    assert f"Signed-By: {tmp_path}/keyrings/unit-vendor.asc" in added
    assert not any(line.startswith("Architectures:") for line in added)
    # the pre-staged key matched its checksum and fingerprint: it would be installed, and the lists refreshed
    assert re.search(r"TASK \[hybridops.platform.common : Install the verified key of unit-vendor\].*?\nchanged:",
                     output, re.S), output[-3000:]
    assert "Refresh the package lists after a change of unit-vendor" in output


def test_flat_repository_has_no_components_line(tmp_path, server, key):
    repository = {**good(server, key), "suites": ["/"], "components": [], "architectures": ["amd64"]}
    rc, output = run_entry_point(tmp_path, repository, stage_key=key[0])
    assert rc == 0, output[-3000:]
    added = [line[1:] for line in output.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert "Suites: /" in added, output[-3000:]
    assert "Architectures: amd64" in added
    assert not any(line.startswith("Components:") for line in added)


def test_key_with_another_fingerprint_is_refused_before_it_is_installed(tmp_path, server, key):
    repository = good(server, key)
    repository["key"]["fingerprint"] = "0123456789ABCDEF0123456789ABCDEF01234567"
    rc, output = run_entry_point(tmp_path, repository, stage_key=key[0])
    assert rc != 0, output
    assert re.search(r"is not the key\s+0123456789ABCDEF0123456789ABCDEF01234567; nothing was installed", output), \
        output[-3000:]
    assert "Write the APT source unit-vendor" not in output


def test_check_mode_on_a_fresh_host_does_not_fail(tmp_path, server, key):
    # nothing downloaded yet: no key to read or install, but the source and the refresh are reported
    rc, output = run_entry_point(tmp_path, good(server, key))
    assert rc == 0, output[-3000:]
    assert re.search(r"TASK \[hybridops.platform.common : Install the verified key of unit-vendor\].*?\nskipping:",
                     output, re.S), output[-3000:]
    assert re.search(r"TASK \[hybridops.platform.common : Write the APT source unit-vendor\].*?\nchanged:",
                     output, re.S), output[-3000:]
    assert recap_changed(output) > 0

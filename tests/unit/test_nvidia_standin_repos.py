"""tests/standins/nvidia_repos.py: the STAND-IN NVIDIA repositories the `nvidia` Molecule scenario serves.

The repositories must be what apt accepts from a mirror (InRelease signed by the key whose checksum and
fingerprint keys.json gives, Release hashes matching the indices, Packages hashes matching the packages), laid out
at NVIDIA's paths, and every package must say that it is a stand-in. The nvidia-ctk stand-in does exactly what
the nvidia_container_toolkit role calls and refuses anything else.
"""

import gzip
import hashlib
import json
import re
import shutil
import subprocess
import sys

import pytest

from tests.standins import nvidia_repos

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None or shutil.which("dpkg-deb") is None,
                                reason="gpg and dpkg-deb build the stand-ins")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("standin")
    keys = nvidia_repos.build(out)
    return out, keys


def stanzas(text):
    return [dict(re.findall(r"^([A-Za-z0-9-]+): (.*)$", block, re.M)) for block in text.strip().split("\n\n")]


def test_keys_json_pins_each_served_key(built):
    out, keys = built
    assert json.loads((out / "keys.json").read_text()) == keys
    assert keys["cuda"]["key"] == "cuda/repos/debian12/x86_64/3bf863cc.pub"
    assert keys["container_toolkit"]["key"] == "libnvidia-container/gpgkey"
    for entry in keys.values():
        data = (out / "www" / entry["key"]).read_bytes()
        assert entry["checksum"] == "sha256:" + hashlib.sha256(data).hexdigest()
        shown = subprocess.run(["gpg", "--batch", "--show-keys", "--with-colons"], input=data, capture_output=True,
                               check=True, timeout=60).stdout.decode()
        assert re.findall(r"^fpr:+([0-9A-F]{40}):", shown, re.M) == [entry["fingerprint"]]
    assert keys["cuda"]["fingerprint"] != keys["container_toolkit"]["fingerprint"]


@pytest.mark.parametrize("name, directory", [("cuda", nvidia_repos.CUDA_DIR),
                                             ("container_toolkit", nvidia_repos.CTK_DIR)])
def test_repository_is_signed_and_consistent(built, tmp_path, name, directory):
    out, keys = built
    repo = out / "www" / directory
    keyring = tmp_path / "keyring.gpg"
    subprocess.run(["gpg", "--batch", "--dearmor", "--output", str(keyring), str(out / "www" / keys[name]["key"])],
                   check=True, capture_output=True, timeout=60)
    for signed in (["InRelease"], ["Release.gpg", "Release"]):
        verify = subprocess.run(["gpgv", "--keyring", str(keyring), *[str(repo / f) for f in signed]],
                                capture_output=True, text=True, check=False, timeout=60)
        assert verify.returncode == 0, verify.stderr
    # a key that is not the repository's does not verify it (the check above is not vacuous)
    other = "container_toolkit" if name == "cuda" else "cuda"
    wrong = tmp_path / "wrong.gpg"
    subprocess.run(["gpg", "--batch", "--dearmor", "--output", str(wrong), str(out / "www" / keys[other]["key"])],
                   check=True, capture_output=True, timeout=60)
    assert subprocess.run(["gpgv", "--keyring", str(wrong), str(repo / "InRelease")], capture_output=True,
                          check=False, timeout=60).returncode != 0

    release = (repo / "Release").read_text()
    sha256 = release.split("SHA256:\n", 1)[1].split("SHA512:", 1)[0]
    for line in sha256.strip().splitlines():
        digest, size, index = line.split()
        data = (repo / index).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (digest, int(size))
    assert gzip.decompress((repo / "Packages.gz").read_bytes()) == (repo / "Packages").read_bytes()
    for package in stanzas((repo / "Packages").read_text()):
        deb = repo / package["Filename"]
        assert package["Filename"].startswith("./")
        assert hashlib.sha256(deb.read_bytes()).hexdigest() == package["SHA256"]
        assert "STAND-IN" in package["Description"]
        control = subprocess.run(["dpkg-deb", "--field", str(deb), "Package", "Version"], capture_output=True,
                                 text=True, check=True, timeout=60).stdout
        assert f"Package: {package['Package']}\nVersion: {package['Version']}" in control


def test_cuda_release_carries_the_fields_the_pin_matches(built):
    out = built[0]
    release = (out / "www" / nvidia_repos.CUDA_DIR / "Release").read_text()
    assert "Origin: NVIDIA\nLabel: NVIDIA CUDA\n" in release
    assert "STAND-IN" in release
    ctk = (out / "www" / nvidia_repos.CTK_DIR / "Release").read_text()
    assert "Label: NVIDIA CUDA" not in ctk


def test_packages_at_the_versions_the_scenario_needs(built):
    out = built[0]
    cuda = {(p["Package"], p["Version"]) for p in stanzas((out / "www" / nvidia_repos.CUDA_DIR / "Packages").read_text())}
    assert cuda == {("cuda-toolkit-12-2", "12.2.2-1"), ("nvidia-driver", "570.172.08-1"),
                    ("cuda-drivers-570", "570.172.08-1")}
    ctk = {(p["Package"], p["Version"]) for p in stanzas((out / "www" / nvidia_repos.CTK_DIR / "Packages").read_text())}
    names = ("nvidia-container-toolkit", "nvidia-container-toolkit-base", "libnvidia-container-tools",
             "libnvidia-container1")
    assert ctk == {(n, v) for n in names for v in ("1.17.8-1", "1.18.0-1")}


def test_nvcc_stand_in_prints_a_version_line(built, tmp_path):
    out = built[0]
    deb = out / "www" / nvidia_repos.CUDA_DIR / "cuda-toolkit-12-2_12.2.2-1_amd64.deb"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path)], check=True, timeout=60)
    nvcc = tmp_path / "usr/local/cuda-12.2/bin/nvcc"
    result = subprocess.run([str(nvcc), "--version"], capture_output=True, text=True, check=True, timeout=60)
    assert "release 12.2" in result.stdout and "STAND-IN" in result.stdout
    assert subprocess.run([str(nvcc), "-c", "x.cu"], capture_output=True, check=False, timeout=60).returncode == 2


@pytest.fixture
def nvidia_ctk(built, tmp_path):
    out = built[0]
    deb = out / "www" / nvidia_repos.CTK_DIR / "nvidia-container-toolkit-base_1.17.8-1_amd64.deb"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path / "root")], check=True, timeout=60)
    script = tmp_path / "root/usr/bin/nvidia-ctk"

    def run(*args):
        return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, check=False,
                              timeout=60)
    return run


def test_nvidia_ctk_registers_the_docker_runtime_once(nvidia_ctk, tmp_path):
    config = tmp_path / "daemon.json"
    config.write_text('{"log-driver": "journald"}')
    for attempt in ("first", "again"):
        result = nvidia_ctk("runtime", "configure", "--runtime=docker", f"--config={config}")
        assert result.returncode == 0, (attempt, result.stderr)
    assert json.loads(config.read_text()) == {
        "log-driver": "journald", "runtimes": {"nvidia": {"args": [], "path": "nvidia-container-runtime"}}}


def test_nvidia_ctk_registers_the_containerd_runtime_once(nvidia_ctk, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("version = 2\n")
    for attempt in ("first", "again"):
        result = nvidia_ctk("runtime", "configure", "--runtime=containerd", f"--config={config}")
        assert result.returncode == 0, (attempt, result.stderr)
    text = config.read_text()
    assert text.startswith("version = 2\n")
    assert text.count('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]') == 1
    assert 'BinaryName = "/usr/bin/nvidia-container-runtime"' in text


def test_nvidia_ctk_refuses_what_the_role_does_not_call(nvidia_ctk, tmp_path):
    assert nvidia_ctk("--version").returncode != 0
    assert nvidia_ctk("runtime", "configure", "--runtime=crio").returncode != 0
    assert nvidia_ctk("cdi", "list").returncode != 0
    # no driver is loaded where the tests run: cdi generate fails like the real tool's, and writes nothing
    result = nvidia_ctk("cdi", "generate", f"--output={tmp_path / 'nvidia.yaml'}")
    assert result.returncode != 0 and "NVML" in result.stderr
    assert not (tmp_path / "nvidia.yaml").exists()

"""Build STAND-IN copies of NVIDIA's APT repositories for the Molecule `nvidia` scenario (test tooling only).

NVIDIA's repositories cannot be reached from the test machines, so this builds what an air-gapped site's mirror
holds, laid out the same way, with tiny packages made here. NOTHING in them is NVIDIA software: every package
description says STAND-IN, and the tools they install only print or write what the roles need to see.

    OUT/www/cuda/repos/debian12/x86_64/      flat repository like NVIDIA's CUDA network repository:
        cuda-toolkit-12-2 12.2.2-1           /usr/local/cuda-12.2/bin/nvcc prints a version line
        nvidia-driver 570.172.08-1           decoy: the CUDA repository's driver, which the APT pin must keep off a
        cuda-drivers-570 570.172.08-1        host that uses the distribution's driver (never installed)
        3bf863cc.pub                         the stand-in CUDA signing key, at the path NVIDIA's key has
    OUT/www/libnvidia-container/stable/deb/amd64/   flat repository like NVIDIA's container toolkit repository:
        nvidia-container-toolkit, nvidia-container-toolkit-base, libnvidia-container-tools, libnvidia-container1
        at 1.17.8-1 (the roles' pin) and 1.18.0-1 (newer, so the version pin is what keeps 1.17.8)
    OUT/www/libnvidia-container/gpgkey       the stand-in container toolkit signing key
    OUT/keys.json                            {"cuda"|"container_toolkit": {"fingerprint", "checksum", "key"}}

Each repository has Packages, Packages.gz, Release, Release.gpg and InRelease, signed by its own throw-away key
(generated in a temporary GNUPGHOME that is deleted afterwards: no private key outlives the build). The CUDA
stand-in's Release carries NVIDIA's Origin and Label ("NVIDIA", "NVIDIA CUDA"), which the roles' APT pin matches.

Needs python3 (stdlib), dpkg-deb and gpg. Usage: python3 tests/standins/nvidia_repos.py OUT_DIR
"""

import argparse
import email.utils
import gzip
import hashlib
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

STANDIN = "STAND-IN built by tests/standins/nvidia_repos.py for the Molecule tests; not NVIDIA software"
CUDA_DIR = "cuda/repos/debian12/x86_64"
CTK_DIR = "libnvidia-container/stable/deb/amd64"
CUDA_KEY_PATH = f"{CUDA_DIR}/3bf863cc.pub"
CTK_KEY_PATH = "libnvidia-container/gpgkey"
CUDA_RELEASE = {"Origin": "NVIDIA", "Label": "NVIDIA CUDA", "Architecture": "x86_64"}
CTK_RELEASE = {"Origin": "libnvidia-container stand-in", "Label": "libnvidia-container stand-in"}
CTK_VERSIONS = ("1.17.8-1", "1.18.0-1")
HASHES = (("MD5Sum", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256"), ("SHA512", "sha512"))

NVCC = """#!/bin/sh
# STAND-IN for nvcc (tests/standins/nvidia_repos.py): prints a version line like the real one, compiles nothing.
case "$1" in
  --version|-V)
    echo "nvcc: NVIDIA (R) Cuda compiler driver (STAND-IN, not NVIDIA software)"
    echo "Cuda compilation tools, release 12.2, V12.2.140"
    ;;
  *) echo "nvcc stand-in: only --version is implemented" >&2; exit 2 ;;
esac
"""

# The subcommands the nvidia_container_toolkit role calls, and nothing else.
NVIDIA_CTK = r'''#!/usr/bin/python3
"""STAND-IN for nvidia-ctk (tests/standins/nvidia_repos.py): only the subcommands the role calls.

cdi generate --output=FILE  fails like the real tool on a host whose NVIDIA driver is not loaded (every test host)
runtime configure --runtime=docker|containerd [--config=FILE]  registers the nvidia runtime in that configuration
"""
import json
import os
import sys

CONFIGS = {"docker": "/etc/docker/daemon.json", "containerd": "/etc/containerd/config.toml"}
CONTAINERD = """
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]
  runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia.options]
    BinaryName = "/usr/bin/nvidia-container-runtime"
"""


def options(args):
    return dict(a[2:].split("=", 1) for a in args if a.startswith("--") and "=" in a)


def main(argv):
    if argv[:2] == ["cdi", "generate"] and "output" in options(argv[2:]):
        if not os.path.exists("/proc/driver/nvidia/version"):
            sys.exit("ERROR failed to initialize NVML: ERROR_LIBRARY_NOT_FOUND (stand-in: no NVIDIA driver loaded)")
        sys.exit("ERROR nvidia-ctk stand-in: cannot describe real GPUs")
    if argv[:2] == ["runtime", "configure"] and options(argv[2:]).get("runtime") in CONFIGS:
        runtime = options(argv[2:])["runtime"]
        path = options(argv[2:]).get("config", CONFIGS[runtime])
        text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
        if runtime == "docker":
            config = json.loads(text or "{}")
            config.setdefault("runtimes", {})["nvidia"] = {"args": [], "path": "nvidia-container-runtime"}
            text = json.dumps(config, indent=4) + "\n"
        elif "runtimes.nvidia]" not in text:
            text += CONTAINERD
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"Wrote updated config to {path} (stand-in)")
        return 0
    sys.exit(f"nvidia-ctk stand-in: not implemented: {' '.join(argv)}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''


def run(*args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, timeout=120, **kwargs)


class Keyring:
    """Throw-away signing keys in a temporary GNUPGHOME (deleted, with its agent, on exit)."""

    def __init__(self):
        self.home = tempfile.mkdtemp(prefix="nvidia-standin-gnupg-")
        self.gpg = ["gpg", "--homedir", self.home, "--batch", "--yes", "--passphrase", "", "--pinentry-mode", "loopback"]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        subprocess.run(["gpgconf", "--homedir", self.home, "--kill", "all"], check=False, capture_output=True,
                       timeout=60)
        shutil.rmtree(self.home, ignore_errors=True)

    def new_key(self, uid):
        """Make a signing key; returns (fingerprint, armored public key)."""
        run(*self.gpg, "--quick-gen-key", uid, "ed25519", "sign", "never")
        colons = run(*self.gpg, "--with-colons", "--list-keys", uid, text=True).stdout
        fingerprint = re.search(r"^fpr:+([0-9A-F]{40}):", colons, re.M).group(1)
        return fingerprint, run(*self.gpg, "--armor", "--export", fingerprint).stdout

    def sign(self, fingerprint, release):
        """InRelease (clear-signed) and Release.gpg (detached) beside `release`."""
        run(*self.gpg, "--local-user", fingerprint, "--digest-algo", "SHA256", "--clearsign",
            "--output", str(release.with_name("InRelease")), str(release))
        run(*self.gpg, "--local-user", fingerprint, "--digest-algo", "SHA256", "--detach-sign",
            "--output", str(release.with_name("Release.gpg")), str(release))


def control_text(fields):
    return "".join(f"{k}: {v}\n" for k, v in fields.items())


def build_deb(repo, name, version, summary, files=None, depends=""):
    """A binary package in `repo`; files maps absolute paths to (mode, text). Returns its Packages stanza."""
    fields = {"Package": name, "Version": version, "Architecture": "amd64",
              "Maintainer": "HybridOps tests <tests@hybridops.invalid>", "Section": "devel", "Priority": "optional"}
    if depends:
        fields["Depends"] = depends
    fields["Description"] = f"{summary} ({STANDIN})\n {STANDIN}."
    deb = repo / f"{name}_{version}_amd64.deb"
    with tempfile.TemporaryDirectory() as staging:
        root = pathlib.Path(staging)
        (root / "DEBIAN").mkdir()
        (root / "DEBIAN" / "control").write_text(control_text(fields))
        for path, (mode, text) in (files or {}).items():
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            target.chmod(mode)
        run("dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(deb))
    data = deb.read_bytes()
    stanza = dict(fields)
    del stanza["Description"]
    stanza.update({"Filename": f"./{deb.name}", "Size": str(len(data)), "MD5sum": hashlib.md5(data).hexdigest(),
                   "SHA1": hashlib.sha1(data).hexdigest(), "SHA256": hashlib.sha256(data).hexdigest(),
                   "Description": fields["Description"]})
    return control_text(stanza)


def write_index(repo, stanzas, release_fields, keyring, fingerprint):
    """Packages, Packages.gz and a signed Release for a flat repository."""
    packages = "\n".join(stanzas).encode()
    (repo / "Packages").write_bytes(packages)
    (repo / "Packages.gz").write_bytes(gzip.compress(packages, mtime=0))
    lines = [f"{k}: {v}" for k, v in release_fields.items()]
    lines.append(f"Date: {email.utils.formatdate(usegmt=True)}")
    lines.append(f"Description: {STANDIN}")
    for field, algorithm in HASHES:
        lines.append(f"{field}:")
        for index in ("Packages", "Packages.gz"):
            data = (repo / index).read_bytes()
            lines.append(f" {hashlib.new(algorithm, data).hexdigest()} {len(data)} {index}")
    release = repo / "Release"
    release.write_text("\n".join(lines) + "\n")
    keyring.sign(fingerprint, release)


def cuda_repository(repo):
    stanzas = [build_deb(repo, "cuda-toolkit-12-2", "12.2.2-1", "CUDA Toolkit 12.2", files={
        "/usr/local/cuda-12.2/bin/nvcc": (0o755, NVCC),
        "/usr/local/cuda-12.2/version.json": (0o644, json.dumps(
            {"cuda": {"name": "CUDA SDK", "version": "12.2.2"}, "stand-in": STANDIN}, indent=2) + "\n"),
        "/usr/local/cuda-12.2/lib64/README.stand-in": (0o644, STANDIN + "\n"),
    })]
    # The real CUDA repository carries the driver too, at branches newer than Debian's: these must never install
    # where nvidia_driver_source is distribution.
    for name in ("nvidia-driver", "cuda-drivers-570"):
        stanzas.append(build_deb(repo, name, "570.172.08-1", "decoy NVIDIA driver 570 from the CUDA repository"))
    return stanzas


def container_toolkit_repository(repo):
    stanzas = []
    for version in CTK_VERSIONS:
        def doc(name, version=version):
            return {f"/usr/share/doc/{name}/README.stand-in": (0o644, f"{STANDIN} ({version})\n")}
        stanzas.append(build_deb(repo, "libnvidia-container1", version, "NVIDIA container library",
                                 files=doc("libnvidia-container1")))
        stanzas.append(build_deb(repo, "libnvidia-container-tools", version, "NVIDIA container library tools",
                                 files=doc("libnvidia-container-tools"),
                                 depends=f"libnvidia-container1 (>= {version}), libnvidia-container1 (<< 2.0.0)"))
        stanzas.append(build_deb(repo, "nvidia-container-toolkit-base", version, "NVIDIA container toolkit base",
                                 files={"/usr/bin/nvidia-ctk": (0o755, NVIDIA_CTK)}, depends="python3"))
        stanzas.append(build_deb(
            repo, "nvidia-container-toolkit", version, "NVIDIA container toolkit", files=doc("nvidia-container-toolkit"),
            depends=(f"nvidia-container-toolkit-base (= {version}), libnvidia-container-tools (>= {version}), "
                     "libnvidia-container-tools (<< 2.0.0)")))
    return stanzas


def build(out):
    """Build both repositories under out/www; returns what keys.json holds."""
    out = pathlib.Path(out)
    www = out / "www"
    shutil.rmtree(www, ignore_errors=True)
    keys = {}
    with Keyring() as keyring:
        for name, directory, key_path, builder, release in (
                ("cuda", CUDA_DIR, CUDA_KEY_PATH, cuda_repository, CUDA_RELEASE),
                ("container_toolkit", CTK_DIR, CTK_KEY_PATH, container_toolkit_repository, CTK_RELEASE)):
            repo = www / directory
            repo.mkdir(parents=True)
            fingerprint, armored = keyring.new_key(f"{name} repository STAND-IN <{name}@hybridops.invalid>")
            (www / key_path).write_bytes(armored)
            write_index(repo, builder(repo), release, keyring, fingerprint)
            keys[name] = {"fingerprint": fingerprint, "checksum": "sha256:" + hashlib.sha256(armored).hexdigest(),
                          "key": key_path}
    (www / "README.stand-in").write_text(STANDIN + "\n")
    (out / "keys.json").write_text(json.dumps(keys, indent=2) + "\n")
    return keys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out", help="output directory (www/ and keys.json are replaced)")
    args = parser.parse_args(argv)
    print(json.dumps(build(args.out), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

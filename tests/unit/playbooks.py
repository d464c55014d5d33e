"""Run a playbook on the controller with the checkout's collection, for the unit tests that exercise roles.

The tests call the real ansible-playbook of the venv with the repository's ansible.cfg and the checkout as
hybridops.platform (never a copy in ~/.ansible); colours off so the output can be matched.
"""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run_playbook(workdir, playbook, *args, timeout=600):
    """Write `playbook` (YAML text) into `workdir` and run it; returns (rc, stdout + stderr)."""
    path = pathlib.Path(workdir) / "play.yml"
    path.write_text(playbook)
    return run_playbook_file(workdir, path, *args, timeout=timeout)


def run_playbook_file(workdir, path, *args, timeout=600):
    """Run the playbook at `path` (one of playbooks/, say) from `workdir`; returns (rc, stdout + stderr)."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"), ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), *args, str(path)],
        cwd=workdir, env=env, capture_output=True, text=True, check=False, timeout=timeout,
    )
    return proc.returncode, proc.stdout + proc.stderr

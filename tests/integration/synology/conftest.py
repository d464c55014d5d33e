"""Fixtures for the Synology integration tests: one DSM simulator per session (reset for every test) and a helper
that runs real ``ansible-playbook`` against it with TLS verification on (``ca_path`` = the simulator's CA)."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from ...conftest import COLLECTIONS_ROOT
from .simulator import ADMIN, Simulator

ROOT = pathlib.Path(__file__).resolve().parents[3]
_BESIDE = pathlib.Path(sys.executable).parent / "ansible-playbook"
ANSIBLE_PLAYBOOK = str(_BESIDE) if _BESIDE.exists() else "ansible-playbook"


@pytest.fixture(scope="session")
def synology_simulator(tmp_path_factory):
    sim = Simulator(directory=str(tmp_path_factory.mktemp("synology-sim"))).start()
    yield sim
    sim.stop()


@pytest.fixture
def dsm_sim(synology_simulator):
    synology_simulator.dsm.reset()
    return synology_simulator


class Runner(object):
    def __init__(self, sim, tmp_path):
        self.sim = sim
        self.tmp = tmp_path
        cfg = tmp_path / "ansible.cfg"
        cfg.write_text("[defaults]\nretry_files_enabled = false\ninterpreter_python = %s\n" % sys.executable)
        self.env = dict(os.environ, ANSIBLE_CONFIG=str(cfg), ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT),
                        ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
                        ANSIBLE_HOME=str(tmp_path / "home"), ANSIBLE_PIPELINING="1")
        for key in list(self.env):
            if key.startswith("SYNOLOGY_"):
                del self.env[key]
        self.count = 0

    def connection(self, **overrides):
        options = dict(host=self.sim.host, ca_path=self.sim.ca_path, username=ADMIN[0], password=ADMIN[1],
                       retry_backoff=0.1)
        options.update(overrides)
        return options

    def play(self, tasks, check=False, diff=False, env=None, module_defaults=True, json_output=True, extra=()):
        """Run one play on localhost; returns (rc, {task name: result}, text output)."""
        self.count += 1
        play = dict(name="synology integration", hosts="localhost", connection="local", gather_facts=False,
                    tasks=tasks)
        if module_defaults:
            play["module_defaults"] = {"group/hybridops.platform.synology": self.connection()}
        path = self.tmp / ("play%d.yml" % self.count)
        path.write_text(json.dumps([play], indent=1))
        return self.run(["-i", "localhost,", str(path)], check=check, diff=diff, env=env, json_output=json_output,
                        extra=extra)

    def run(self, args, check=False, diff=False, env=None, json_output=True, extra=()):
        cmd = [ANSIBLE_PLAYBOOK] + list(args) + list(extra)
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        run_env = dict(self.env, **(env or {}))
        if json_output:
            run_env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
        proc = subprocess.run(cmd, cwd=str(ROOT), env=run_env, capture_output=True, text=True, timeout=240,
                              check=False)
        results = {}
        if json_output:
            try:
                data = json.loads(proc.stdout)
            except ValueError:
                raise AssertionError("no JSON from ansible-playbook (rc %d):\n%s\n%s"
                                     % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
            for play in data["plays"]:
                for task in play["tasks"]:
                    for host, result in task["hosts"].items():
                        results.setdefault(task["task"]["name"], {})[host] = result
            results = dict((name, next(iter(hosts.values()))) for name, hosts in results.items())
        return proc.returncode, results, proc.stdout + proc.stderr


@pytest.fixture
def synology_ansible(dsm_sim, tmp_path):
    return Runner(dsm_sim, tmp_path)

# -*- coding: utf-8 -*-
# Test-harness transport: containers.podman.podman with pipelining.
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Podman connection with pipelining and a cheap way in, for the lab and the Molecule scenarios.

The stock ``containers.podman.podman`` connection runs every task as four ``podman`` processes (mkdir of a
temporary directory, a copy of the module, the module itself, removal of the directory) because it does not
attach stdin, so Ansible cannot pipe the module into the interpreter. Even piped, a task still cost two
``podman`` runs per host: ``podman mount`` (every task opens a new connection) and ``podman exec``, about 0.19 s
of CPU together on the two-core test machines, some 40 % of a ``stat`` task (measured: 0.49 CPU-s per task).

This subclass enters a running container the way ``podman exec`` does, without ``podman``: the command runs in
the container's namespaces (mount, UTS, IPC, network, PID) and cgroups, with the environment of the container's
init, started by ``nsenter`` from util-linux (about 0.003 CPU-s). Files are copied through
``/proc/<pid>/root``, which is the container's root file system. The container's ID and init PID are read once
with ``podman inspect`` and kept in a small cache file, checked on every use against ``/proc/<pid>/cgroup``, so a
restarted or re-created container is looked up again.

Anything else takes the stock path, so the result is what ``podman`` would give: a paused (frozen) container, a
stopped one, a remote user other than root, a controller that is not root or cannot see the container's
processes (for example inside an execution environment), or a host without ``nsenter``. Processes entered this
way keep root's full capability set, as on a real host reached over SSH, where ``podman exec`` would apply the
container's (smaller) set.

It is found by name (``podman``) through ANSIBLE_CONNECTION_PLUGINS, which the Makefile, scripts/lab.sh and the
Molecule base config set; the collection itself does not ship it.
"""

from __future__ import annotations

DOCUMENTATION = """
name: podman
short_description: Run tasks in podman containers, with pipelining, entering running containers with nsenter
description:
  - The C(containers.podman.podman) connection, with C(podman exec --interactive) when Ansible pipes a module, so
    pipelining works and a task costs one C(podman exec) instead of four.
  - A running, unpaused container is entered with C(nsenter) (its namespaces, cgroups and init's environment) and
    its files are reached through C(/proc/PID/root), so a task runs no C(podman) process at all; anything else
    takes the C(podman) path.
author: HybridOps Platform developers
options:
  remote_addr:
    description: The ID or name of the container.
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_podman_host
  remote_user:
    description: User the commands run as inside the container.
    vars:
      - name: ansible_user
    env:
      - name: ANSIBLE_REMOTE_USER
    ini:
      - section: defaults
        key: remote_user
    keyword:
      - name: remote_user
  podman_extra_args:
    description: Extra arguments for every podman command.
    default: ''
    ini:
      - section: defaults
        key: podman_extra_args
    vars:
      - name: ansible_podman_extra_args
    env:
      - name: ANSIBLE_PODMAN_EXTRA_ARGS
  podman_executable:
    description: The podman executable.
    default: podman
    vars:
      - name: ansible_podman_executable
    env:
      - name: ANSIBLE_PODMAN_EXECUTABLE
  pipelining:
    description: Pipe modules into the interpreter instead of copying them.
    default: true
    type: boolean
    env:
      - name: ANSIBLE_PIPELINING
    ini:
      - section: defaults
        key: pipelining
      - section: connection
        key: pipelining
    vars:
      - name: ansible_pipelining
"""

import json
import os
import shlex
import shutil
import subprocess

from ansible.errors import AnsibleError
from ansible.module_utils.common.process import get_bin_path
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.utils.display import Display
from ansible_collections.containers.podman.plugins.connection.podman import Connection as PodmanConnection

display = Display()

# One small JSON file per container name: {"id": ..., "pid": ...}. /run is a tmpfs: nothing outlives a reboot.
CACHE_DIR = "/run/hybridops-podman-connection"
NAMESPACES = ("--mount", "--uts", "--ipc", "--net", "--pid")
FROZEN = ("FROZEN", "FREEZING")
INSPECT = "{{.Id}} {{.State.Pid}} {{.State.Status}}"


def cgroups_of(text):
    """Parse /proc/PID/cgroup: a list of (hierarchy ID, controllers, path), one per line."""
    rows = []
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            rows.append(tuple(parts))
    return rows


def container_cgroup(rows, container_id):
    """The container's own cgroup path (the one naming libpod-ID), or None when the process is not in it.

    systemd inside the container moves its init into ``init.scope`` of the named systemd hierarchy; ``podman exec``
    joins the container's cgroup itself, so the path is cut after the ``libpod-ID`` element.
    """
    marker = "libpod-" + container_id
    for row in rows:
        elements = row[2].split("/")
        for index, element in enumerate(elements):
            if element.startswith(marker):
                return "/".join(elements[: index + 1])
    return None


def cgroup_procs_files(rows, base, root="/sys/fs/cgroup"):
    """The cgroup.procs file of the container's cgroup in every hierarchy the host mounts (v1, hybrid or v2)."""
    files = []
    for row in rows:
        hierarchy, controllers = row[0], row[1]
        if hierarchy == "0" and not controllers:
            directory = os.path.join(root, "unified") if os.path.isdir(os.path.join(root, "unified")) else root
        else:
            name = controllers.replace("name=", "")
            directory = os.path.join(root, name)
        procs = os.path.join(directory + base, "cgroup.procs")
        if os.path.exists(procs):
            files.append(procs)
    return files


def frozen(rows, base, root="/sys/fs/cgroup"):
    """True when ``podman pause`` froze the container (cgroup v1 freezer or v2 cgroup.freeze)."""
    for row in rows:
        hierarchy, controllers = row[0], row[1]
        if controllers == "freezer":
            state = os.path.join(root, "freezer" + base, "freezer.state")
            if os.path.exists(state):
                with open(state, encoding="ascii") as handle:
                    return handle.read().strip() in FROZEN
        if hierarchy == "0" and not controllers and not os.path.isdir(os.path.join(root, "freezer")):
            state = os.path.join(root + base, "cgroup.freeze")
            if os.path.exists(state):
                with open(state, encoding="ascii") as handle:
                    return handle.read().strip() == "1"
    return False


def environment_of(raw):
    """The environment ``podman exec`` gives: the container init's, less podman's own container_uuid."""
    env = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep and key != b"container_uuid":
            env[key] = value
    return env


def _checked(target):
    """target when its init still runs in its container and the container is not frozen, else None."""
    try:
        with open("/proc/%d/cgroup" % target["pid"], encoding="utf-8") as handle:
            rows = cgroups_of(handle.read())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    base = container_cgroup(rows, target["id"])
    if base is None or frozen(rows, base):
        return None
    target["rows"] = rows
    target["base"] = base
    return target


def find_target(name, inspect):
    """How to enter the container ``name`` directly, or None when ``podman`` must do it.

    The ID and init PID come from the cache file while /proc still agrees, else from ``inspect()`` (a callable
    returning podman's rc and the output of ``podman inspect --format INSPECT NAME``). None for a container that is
    not running, is paused, or whose processes this controller cannot see, and when not root or without nsenter.
    """
    if os.geteuid() != 0:
        return None
    try:
        nsenter = get_bin_path("nsenter")
    except ValueError:
        return None
    cache = os.path.join(CACHE_DIR, name.replace("/", "_"))
    try:
        with open(cache, encoding="utf-8") as handle:
            target = _checked(json.load(handle))
    except (OSError, ValueError):
        target = None
    if target is None:
        rc, out = inspect()[:2]
        fields = to_native(out).split()
        if rc != 0 or len(fields) != 3 or fields[2] != "running":
            return None
        target = _checked({"id": fields[0], "pid": int(fields[1])})
        if target is None:
            return None
        try:
            os.makedirs(CACHE_DIR, mode=0o700, exist_ok=True)
            temporary = "%s.%d" % (cache, os.getpid())
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump({"id": target["id"], "pid": target["pid"]}, handle)
            os.replace(temporary, cache)
        except OSError:
            pass
    try:
        with open("/proc/%d/environ" % target["pid"], "rb") as handle:
            target["env"] = environment_of(handle.read())
    except OSError:
        return None
    target["nsenter"] = nsenter
    return target


def enter(target, argv, in_data=None):
    """Run argv in the container as ``podman exec`` would: its namespaces, cgroups and environment, as root.

    Returns rc, stdout, stderr; a command killed by a signal (the container killed under it) reads 128 + N.
    """
    procs = cgroup_procs_files(target["rows"], target["base"])

    def join_cgroups():
        pid = str(os.getpid())
        for name in procs:
            try:
                with open(name, "w", encoding="ascii") as handle:
                    handle.write(pid)
            except OSError:
                pass

    args = [target["nsenter"], "--target", str(target["pid"]), *NAMESPACES, "--root", "--wd", "--", *argv]
    with subprocess.Popen(  # pylint: disable=subprocess-popen-preexec-fn
        [to_bytes(arg, errors="surrogate_or_strict") for arg in args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=target["env"],
        preexec_fn=join_cgroups,
    ) as process:
        stdout, stderr = process.communicate(input=in_data)
    return (128 - process.returncode if process.returncode < 0 else process.returncode), stdout, stderr


class Connection(PodmanConnection):
    """containers.podman.podman plus stdin for pipelining; running containers are entered with nsenter."""

    transport = "podman"
    has_pipelining = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._target = None

    def _lookup(self):
        if self.user and self.user not in ("root", "0"):
            return None
        return find_target(to_native(self._container_id), lambda: self._podman("inspect", ["--format", INSPECT]))

    def _connect(self):
        # No `podman mount` per task: files go through /proc/PID/root when the container is entered directly.
        if not self._connected:
            self._target = self._lookup()
            if self._target is None:
                return super()._connect()
            self._connected = True
        return self

    # -- the connection interface ------------------------------------------------------------------------------

    def exec_command(self, cmd, in_data=None, sudoable=False):
        if not self._connected:
            self._connect()
        if self._target is not None:
            super(PodmanConnection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
            display.vvv("NSENTER %s" % (cmd,), host=self._container_id)
            return enter(self._target, shlex.split(to_native(cmd, errors="surrogate_or_strict")), in_data)
        if in_data is None:
            return super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        # ConnectionBase.exec_command only records the call; run `podman exec -i` ourselves.
        super(PodmanConnection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        args = ["exec", "--interactive"]
        if self.user:
            args.extend(("--user", self.user))
        return self._podman(args, shlex.split(to_native(cmd, errors="surrogate_or_strict")), in_data)

    def _direct(self):
        """True when this task enters the container with nsenter (connecting first if needed)."""
        if not self._connected:
            self._connect()
        return self._target is not None

    def put_file(self, in_path, out_path):
        if not self._direct():
            return super().put_file(in_path, out_path)
        super(PodmanConnection, self).put_file(in_path, out_path)
        return self._copy(in_path, self._in_container(out_path))

    def fetch_file(self, in_path, out_path):
        if not self._direct():
            return super().fetch_file(in_path, out_path)
        super(PodmanConnection, self).fetch_file(in_path, out_path)
        return self._copy(self._in_container(in_path), out_path)

    def _copy(self, source, destination):
        display.vvv("COPY %s TO %s" % (source, destination), host=self._container_id)
        shutil.copyfile(to_bytes(source, errors="surrogate_or_strict"), to_bytes(destination, errors="surrogate_or_strict"))

    def _in_container(self, path):
        """A path of the container as seen from the host (as through the stock plugin's `podman mount`)."""
        root = "/proc/%d/root" % self._target["pid"]
        path = to_native(path, errors="surrogate_or_strict")
        if not os.path.isabs(path):
            raise AnsibleError("%s: a path in the container must be absolute" % path)
        return root + path

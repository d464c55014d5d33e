# -*- coding: utf-8 -*-
# Test-harness transport: containers.podman.podman with pipelining.
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Podman connection with pipelining for the lab and the Molecule scenarios.

The stock ``containers.podman.podman`` connection runs every task as four ``podman`` processes (mkdir of a
temporary directory, a copy of the module, the module itself, removal of the directory) because it does not
attach stdin, so Ansible cannot pipe the module into the interpreter. On the two-core machines this project is
tested on that costs seconds per task and host. This subclass keeps everything else of the stock plugin and only
passes ``--interactive`` when Ansible sends data on stdin, which is all pipelining needs: one ``podman exec`` per
task. It is found by name (``podman``) through ANSIBLE_CONNECTION_PLUGINS, which the Makefile, scripts/lab.sh and
the Molecule base config set; the collection itself does not ship it.
"""

from __future__ import annotations

DOCUMENTATION = """
name: podman
short_description: Run tasks in podman containers, with pipelining
description:
  - The C(containers.podman.podman) connection, with C(podman exec --interactive) when Ansible pipes a module, so
    pipelining works and a task costs one C(podman exec) instead of four.
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

import shlex

from ansible.module_utils.common.text.converters import to_native
from ansible_collections.containers.podman.plugins.connection.podman import Connection as PodmanConnection


class Connection(PodmanConnection):
    """containers.podman.podman plus stdin, so Ansible can pipeline modules."""

    transport = "podman"
    has_pipelining = True

    def exec_command(self, cmd, in_data=None, sudoable=False):
        if in_data is None:
            return super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        # ConnectionBase.exec_command only records the call; run `podman exec -i` ourselves.
        super(PodmanConnection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        if not self._connected:
            self._connect()
        args = ["exec", "--interactive"]
        if self.user:
            args.extend(("--user", self.user))
        return self._podman(args, shlex.split(to_native(cmd, errors="surrogate_or_strict")), in_data)

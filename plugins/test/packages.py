# -*- coding: utf-8 -*-
# Copyright: HybridOps platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a package task has anything to do, from the package list the baseline read at the start of the run.

``packages is hybridops.platform.packages_installed(common_installed_packages)`` is true when every entry of
``packages`` (a name or a list of names, in the syntax of ansible.builtin.apt: ``name``, ``name:arch``,
``name=version``, ``name=version*``) is installed according to the registered result of
ansible.builtin.package_facts (or its ``ansible_facts``, or the ``packages`` dict itself). It is false as soon as
one entry is not, when an entry names a file or URL, and when there is no package list at all (a playbook that runs
a role without the baseline, ``--tags`` that left the baseline's read out): the package task then runs as it would
without the test. The answer errs towards running the task: a version the list cannot confirm counts as missing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence
from ansible.module_utils.six import string_types


def _package_dict(installed):
    """The name -> [{version, arch, ...}] dict of package_facts, from its result, its facts or the dict itself."""
    if not isinstance(installed, dict):
        return None
    if isinstance(installed.get("ansible_facts"), dict):
        installed = installed["ansible_facts"]
    packages = installed.get("packages")
    return packages if isinstance(packages, dict) else None


def _satisfied(entry, packages):
    if not isinstance(entry, string_types) or not entry.strip():
        raise AnsibleFilterError("packages_installed: %r is not a package name" % (entry,))
    entry = entry.strip()
    if "/" in entry or entry.endswith(".deb") or entry.endswith(".rpm"):
        return False  # a file or URL: only the package module can tell what it holds
    name, _sep, version = entry.partition("=")
    name, _sep, arch = name.partition(":")
    found = packages.get(name) or []
    if arch:
        found = [one for one in found if one.get("arch") in (arch, "all")]
    if not found:
        return False
    if not version:
        return True
    versions = [str(one.get("version", "")) for one in found]
    if version.endswith("*"):
        return any(fnmatch.fnmatchcase(have, version) for have in versions)
    return version in versions


def packages_installed(packages, installed):
    """True when every entry of packages is installed according to a package_facts result (see the module doc)."""
    if isinstance(packages, string_types):
        packages = [packages]
    if not is_sequence(packages):
        raise AnsibleFilterError("packages_installed: expected a package name or a list of them, got %r"
                                 % (packages,))
    known = _package_dict(installed)
    if known is None:
        return False
    return all(_satisfied(entry, known) for entry in packages)


class TestModule(object):
    """Jinja tests of the collection."""

    def tests(self):
        return {"packages_installed": packages_installed}

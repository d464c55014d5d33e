# -*- coding: utf-8 -*-
"""The packages_installed test: a package task skips itself only when the run's package list shows every entry."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib
import sys

import pytest

_COLLECTIONS = pathlib.Path(__file__).resolve().parents[4] / ".cache" / "collections"
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.hybridops.platform.plugins.test.packages import (  # noqa: E402
    TestModule as _Tests,
    packages_installed,
)

PACKAGES = {
    "haproxy": [{"name": "haproxy", "version": "2.6.12-1+deb12u2", "arch": "amd64", "source": "apt"}],
    "curl": [{"name": "curl", "version": "7.88.1-10+deb12u12", "arch": "amd64", "source": "apt"}],
    "tzdata": [{"name": "tzdata", "version": "2025b-0+deb12u1", "arch": "all", "source": "apt"}],
    "libc6": [
        {"name": "libc6", "version": "2.36-9+deb12u10", "arch": "amd64", "source": "apt"},
        {"name": "libc6", "version": "2.36-9+deb12u10", "arch": "i386", "source": "apt"},
    ],
}
RESULT = {"changed": False, "ansible_facts": {"packages": PACKAGES}}


def test_registered_result_facts_and_dict_are_all_read():
    for installed in (RESULT, RESULT["ansible_facts"], {"packages": PACKAGES}):
        assert packages_installed(["haproxy", "curl"], installed)


def test_one_missing_package_runs_the_task():
    assert not packages_installed(["haproxy", "keepalived"], RESULT)
    assert not packages_installed("keepalived", RESULT)


def test_a_single_name_and_an_empty_list():
    assert packages_installed("haproxy", RESULT)
    assert packages_installed([], RESULT)


@pytest.mark.parametrize("installed", [None, {}, {"changed": False}, {"ansible_facts": {}}, "packages", [],
                                       {"failed": True, "msg": "Could not detect a supported package manager"}])
def test_no_package_list_runs_the_task(installed):
    # a playbook without the baseline's read, or --tags that left it out: nothing is known, the task runs
    assert not packages_installed(["haproxy"], installed)


def test_versions_must_match_exactly_or_as_a_glob():
    assert packages_installed(["haproxy=2.6.12-1+deb12u2"], RESULT)
    assert not packages_installed(["haproxy=2.6.12-1+deb12u1"], RESULT)
    assert packages_installed(["haproxy=2.6.*"], RESULT)
    assert not packages_installed(["haproxy=2.8.*"], RESULT)


def test_architectures():
    assert packages_installed(["libc6:i386", "libc6:amd64"], RESULT)
    assert not packages_installed(["libc6:arm64"], RESULT)
    assert packages_installed(["tzdata:amd64"], RESULT)  # an arch-independent package satisfies any
    assert not packages_installed(["curl:i386"], RESULT)


def test_files_and_urls_always_run_the_task():
    assert not packages_installed(["./haproxy_2.6.12-1_amd64.deb"], RESULT)
    assert not packages_installed(["https://example.org/haproxy.deb"], RESULT)


@pytest.mark.parametrize("packages", [{"haproxy": True}, 3, None])
def test_a_list_that_is_not_one_is_refused(packages):
    with pytest.raises(AnsibleFilterError, match="expected a package name or a list"):
        packages_installed(packages, RESULT)


@pytest.mark.parametrize("entry", ["", "  ", None, 5])
def test_an_entry_that_is_not_a_name_is_refused(entry):
    with pytest.raises(AnsibleFilterError, match="is not a package name"):
        packages_installed(["haproxy", entry], RESULT)


def test_the_test_is_exported_under_its_documented_name():
    assert _Tests().tests()["packages_installed"] is packages_installed

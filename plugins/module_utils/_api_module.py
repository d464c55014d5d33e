# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module side shared by every appliance API module of this collection (UniFi, Synology DSM).

Private to the collection. ``_http.py`` owns the transport; each appliance client (``_unifi.py``,
``_synology.py``) owns its authentication and reply shapes and subclasses the two classes here:

``ApiModule``
    An AnsibleModule built from the appliance's connection options plus the module's own, and a client. The
    session is closed however the module ends (success, failure, exception): ``exit_json``/``fail_json`` end the
    process, so both log out first. The appliance's error class becomes a ``fail_json`` with its details.

``ApiObjectModule``
    Declarative management of one object: read the current object (None when absent), compare it with the
    options the user set, then create, update or delete. Check mode returns the would-be object without a write;
    ``diff`` shows before and after with secrets masked.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.module_utils.basic import AnsibleModule


class ApiModule(object):
    """An AnsibleModule plus an appliance client; subclasses set the class attributes and ``execute()``."""

    argument_spec = {}
    module_kwargs = {}
    # set by the appliance's base class
    client_class = None
    error_class = Exception

    def __init__(self):
        spec = self.connection_argument_spec()
        spec.update(self.argument_spec)
        kwargs = dict(self.module_kwargs)
        kwargs.setdefault("supports_check_mode", True)
        self.module = AnsibleModule(argument_spec=spec, **self.module_options(kwargs))
        self.params = self.module.params
        self.client = self.client_class.from_params(self.params)

    # -- hooks of the appliance's base class ---------------------------------------------------------------------
    def connection_argument_spec(self):
        """The connection options every module of the appliance takes (a new dict)."""
        raise NotImplementedError

    def module_options(self, kwargs):
        """AnsibleModule keyword arguments, with whatever the appliance adds to the module's own."""
        return kwargs

    def error_result(self, error):
        """``fail_json`` arguments for an error of ``error_class``."""
        return dict(msg=str(error))

    # -- flow ----------------------------------------------------------------------------------------------------
    def run(self):
        # Log out before the result is written (exit_json/fail_json end the process), and once more in
        # ``finally`` for any other way out; the clients' logout() does nothing the second time.
        for name in ("exit_json", "fail_json"):
            setattr(self.module, name, self._closing(getattr(self.module, name)))
        try:
            self.execute()
        except self.error_class as e:  # pylint: disable=catching-non-exception
            self.module.fail_json(**self.error_result(e))
        finally:
            self.client.logout()

    def _closing(self, method):
        def wrapper(*args, **kwargs):
            self.client.logout()
            return method(*args, **kwargs)
        return wrapper

    def execute(self):
        raise NotImplementedError


class ApiObjectModule(ApiModule):
    """One object, found by its natural key. Subclasses implement ``read_current()`` (None when absent),
    ``desired()`` (the API fields of the options the user set, nothing else), ``create()``, ``update()`` and
    ``delete()``; ``create``/``update`` return the object the appliance answered, or None for the body sent."""

    label = "object"
    result_key = "object"
    key_param = "name"
    required_on_create = ()
    create_defaults = {}
    unordered_fields = ()
    secret_fields = ()

    # -- hooks ---------------------------------------------------------------------------------------------------
    def read_current(self):
        raise NotImplementedError

    def desired(self):
        raise NotImplementedError

    def validate_params(self):
        """Refuse option values the appliance would refuse, before any request (check mode included)."""

    def validate_change(self, current, changes):
        """Refuse changes the appliance cannot make in place, before any write."""

    def differences(self, desired, current):
        """The part of ``desired`` that ``current`` does not already have."""
        raise NotImplementedError

    def create_body(self, desired):
        return dict(copy.deepcopy(self.create_defaults), **desired)

    def merge(self, current, desired):
        """The object after an update: ``current`` with ``desired`` applied."""
        return dict(current, **desired)

    def create(self, body):
        raise NotImplementedError

    def update(self, current, body, changes):
        raise NotImplementedError

    def delete(self, current):
        raise NotImplementedError

    def mask(self, obj):
        """``obj`` as the result and the diff show it: secrets masked."""
        return dict((k, "********" if k in self.secret_fields and v not in (None, "") else v) for k, v in obj.items())

    def mark_secrets(self, diff, current, after, changes):
        """Say in the diff whether a masked secret changes (both sides are masked alike); nothing by default."""

    # -- flow ----------------------------------------------------------------------------------------------------
    def execute(self):
        self.validate_params()
        current = self.read_current()
        changes = {}
        if self.params.get("state", "present") == "absent":
            changed, after = self.make_absent(current)
        else:
            changed, after, changes = self.make_present(current)
        result = dict(changed=changed)
        result[self.result_key] = self.mask(after) if after else {}
        if self.module._diff:
            result["diff"] = dict(before=self.mask(current) if current else {},
                                  after=copy.deepcopy(result[self.result_key]))
            self.mark_secrets(result["diff"], current, after, changes)
        self.module.exit_json(**result)

    def make_absent(self, current):
        if current is None:
            return False, None
        if not self.module.check_mode:
            self.delete(current)
        return True, None

    def make_present(self, current):
        desired = self.desired()
        if current is None:
            missing = [opt for opt in self.required_on_create if self.params.get(opt) is None]
            if missing:
                raise self.error_class("%s '%s' does not exist; creating it needs %s"
                                       % (self.label, self.params[self.key_param], ", ".join(missing)))
            body = self.create_body(desired)
            if self.module.check_mode:
                return True, body, {}
            created = self.create(body)
            return True, body if created is None else created, {}
        changes = self.differences(desired, current)
        if not changes:
            return False, current, {}
        self.validate_change(current, changes)
        body = self.merge(current, desired)
        if self.module.check_mode:
            return True, body, changes
        updated = self.update(current, body, changes)
        return True, body if updated is None else updated, changes


def run(module_class):
    module_class().run()

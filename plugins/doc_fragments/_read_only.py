# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):
    """Attributes of a module that reads or computes and never changes the host."""

    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    description: Changes nothing on the host; answers the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to diff.
"""

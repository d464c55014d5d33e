# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Generic JSON-over-HTTPS client shared by the appliance API clients of this collection.

Private to the collection (leading underscore): no compatibility promise outside it. It knows nothing about a
particular appliance: a subclass (``_unifi.py``, ``_synology.py``) adds authentication and the shape of
the appliance's replies. This file owns transport concerns only:

* one place that calls ``ansible.module_utils.urls.open_url`` (tests patch ``open_url`` in this module),
* TLS verification on by default, with an optional CA bundle (``ca_path``),
* a small cookie store fed from ``Set-Cookie`` replies (explicit, so it behaves the same for IP addresses),
* bounded retries with exponential backoff on HTTP 429 and 5xx, honouring ``Retry-After`` when it is short,
* TLS verification failures are not retried (they are not transient) and name ``ca_path``/``validate_certs``.
"""

from __future__ import annotations

import json
import ssl
import time

from http.cookies import SimpleCookie
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import SSLValidationError, open_url

RETRY_STATUSES = frozenset([429, 500, 502, 503, 504])
MAX_RETRY_AFTER = 30.0


class HttpApiError(Exception):
    """A request failed. ``status`` is the HTTP status (None when no answer came), ``body`` the decoded reply.
    ``transient`` is False for failures a retry cannot cure (TLS verification)."""

    def __init__(self, msg, status=None, body=None, url=None, method=None, transient=True):
        super(HttpApiError, self).__init__(msg)
        self.msg = msg
        self.status = status
        self.body = body
        self.url = url
        self.method = method
        self.transient = transient


TLS_HINT = ("set ca_path to the CA certificate (PEM) that signed the appliance's certificate and keep validate_certs "
            "on (a lab or test appliance gets a CA of its own, never unverified TLS)")


def _tls_failure(error):
    """The TLS verification problem behind ``error`` (an exception open_url raised), or None."""
    reason = getattr(error, "reason", None) if isinstance(error, URLError) else error
    if isinstance(reason, (SSLValidationError, ssl.CertificateError)):  # SSLCertVerificationError included
        return reason
    if isinstance(error, (SSLValidationError, ssl.CertificateError)):
        return error
    return None


class HttpResponse(object):
    """What a request returned: status, headers (case-insensitive mapping), raw text and decoded JSON."""

    def __init__(self, status, headers, text):
        self.status = status
        self.headers = headers
        self.text = text
        self.json = None
        if text:
            try:
                self.json = json.loads(text)
            except ValueError:
                self.json = None

    def header(self, name, default=None):
        if self.headers is None:
            return default
        value = self.headers.get(name)
        return default if value is None else value

    def header_list(self, name):
        if self.headers is None:
            return []
        get_all = getattr(self.headers, "get_all", None)
        if get_all is not None:
            return get_all(name) or []
        value = self.headers.get(name)
        return [value] if value else []


class JsonHttpClient(object):
    """Transport for a JSON API at ``base_url``.

    ``retries`` is the number of extra attempts after a 429/5xx/connection failure; the wait before attempt n is
    ``backoff * 2 ** (n - 1)`` seconds (or the server's ``Retry-After`` when that is shorter than 30 s).
    ``sleep`` is injectable so unit tests do not wait.
    """

    def __init__(self, base_url, validate_certs=True, ca_path=None, timeout=30, retries=3, backoff=1.0,
                 user_agent="hybridops.platform", sleep=time.sleep):
        self.base_url = base_url.rstrip("/")
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = float(backoff)
        self.user_agent = user_agent
        self.sleep = sleep
        self.cookies = {}
        self.default_headers = {"Accept": "application/json"}

    # -- cookies -------------------------------------------------------------------------------------------------
    def _store_cookies(self, response):
        for raw in response.header_list("Set-Cookie"):
            jar = SimpleCookie()
            try:
                jar.load(raw)
            except Exception:  # a cookie we cannot parse is not one we need
                continue
            for name, morsel in jar.items():
                if morsel.value == "" or morsel.get("max-age") == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def _cookie_header(self):
        return "; ".join("%s=%s" % (k, v) for k, v in sorted(self.cookies.items()))

    # -- requests ------------------------------------------------------------------------------------------------
    def url_for(self, path):
        if path.startswith("http://") or path.startswith("https://"):
            return path
        return self.base_url + "/" + path.lstrip("/")

    def _open(self, method, url, data, headers, follow_redirects):
        """One attempt. Returns an HttpResponse for every HTTP status; raises HttpApiError without an answer."""
        try:
            resp = open_url(
                url, data=data, headers=headers, method=method, validate_certs=self.validate_certs,
                ca_path=self.ca_path, timeout=self.timeout, http_agent=self.user_agent,
                follow_redirects=follow_redirects, use_proxy=True,
            )
        except HTTPError as e:
            try:
                text = to_text(e.read(), errors="surrogate_or_replace")
            except Exception:
                text = ""
            return HttpResponse(e.code, e.headers, text)
        except (URLError, SSLValidationError, ssl.CertificateError) as e:
            tls = _tls_failure(e)
            if tls is not None:
                raise HttpApiError("TLS verification of %s failed (%s): the certificate is not trusted; %s"
                                   % (self.base_url, to_text(getattr(tls, "reason", None) or tls), TLS_HINT),
                                   url=url, method=method, transient=False)
            if isinstance(e, URLError):
                raise HttpApiError("cannot reach %s: %s" % (url, to_text(e.reason)), url=url, method=method)
            raise HttpApiError("request %s %s failed: %s" % (method, url, to_text(e)), url=url, method=method)
        except ssl.SSLError as e:  # raised before connecting: the CA bundle itself cannot be loaded
            what = "ca_path '%s' must be a readable PEM CA certificate" % self.ca_path if self.ca_path else "no ca_path"
            raise HttpApiError("TLS setup for %s failed (%s): %s; %s" % (self.base_url, to_text(e), what, TLS_HINT),
                               url=url, method=method, transient=False)
        except Exception as e:  # timeouts, resets: open_url raises several types
            raise HttpApiError("request %s %s failed: %s" % (method, url, to_text(e)), url=url, method=method)
        status = getattr(resp, "status", None) or resp.getcode()
        text = to_text(resp.read(), errors="surrogate_or_replace")
        headers = getattr(resp, "headers", None)
        if headers is None and hasattr(resp, "info"):
            headers = resp.info()
        return HttpResponse(status, headers, text)

    def _delay(self, attempt, response):
        delay = self.backoff * (2 ** attempt)
        if response is not None:
            retry_after = response.header("Retry-After")
            try:
                value = float(retry_after)
            except (TypeError, ValueError):
                value = None
            if value is not None and 0 <= value <= MAX_RETRY_AFTER:
                delay = value
        return delay

    def request(self, method, path, body=None, headers=None, follow_redirects="urllib2", retry=True, form=None):
        """Send one logical request (with retries). ``body`` is JSON-encoded when it is not None; ``form`` (a dict
        of strings, for APIs such as Synology DSM's that take form fields) is sent URL-encoded instead."""
        url = self.url_for(path)
        data = None if body is None else json.dumps(body)
        content_type = "application/json"
        if form is not None:
            data = urlencode(form)
            content_type = "application/x-www-form-urlencoded"
        attempt = 0
        while True:
            # Headers are rebuilt for every attempt: a reply may have rotated a cookie or a token.
            all_headers = dict(self.default_headers)
            if data is not None:
                all_headers["Content-Type"] = content_type
            if self.cookies:
                all_headers["Cookie"] = self._cookie_header()
            all_headers.update(self.auth_headers(method))
            all_headers.update(headers or {})
            response = None
            try:
                response = self._open(method, url, data, all_headers, follow_redirects)
            except HttpApiError as e:
                if not e.transient or not retry or attempt >= self.retries:
                    raise
            if response is not None:
                self._store_cookies(response)
                self.after_response(response)
                if response.status not in RETRY_STATUSES or not retry or attempt >= self.retries:
                    return response
            self.sleep(self._delay(attempt, response))
            attempt += 1

    def auth_headers(self, method):
        """Hook for subclasses: headers that authenticate a request (API key, CSRF token...)."""
        return {}

    def after_response(self, response):
        """Hook for subclasses (CSRF token rotation and the like)."""

# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A STAND-IN for a vLLM model server: an OpenAI-compatible HTTP server that runs no model.

The lab has no GPU, so the vllm role's units are installed but not started; this stand-in listens on a model's
port instead, behind the role's real TLS proxy and API-key check, so that clients (code-server's assistant,
``make lab-check``) exercise the whole path up to the model. Every answer says it came from a stand-in.

Endpoints (the subset of vLLM's OpenAI-compatible server that the collection relies on):

* ``GET /health`` -> 200, empty body (vLLM's liveness probe).
* ``GET /v1/models`` -> the served model name(s).
* ``POST /v1/completions`` and ``POST /v1/chat/completions`` -> a one-choice answer whose text names the stand-in;
  a body that is not JSON, or names another model, gets vLLM's 400/404 error shape.
* ``GET /metrics`` -> Prometheus text with vLLM's metric names (request success counter, time-to-first-token and
  end-to-end latency histograms, running/waiting gauges), fed by the requests this process really answered, so
  dashboards and SLO rules have data. The values describe the stand-in, not a model.

Standard library only: it runs with the test hosts' /usr/bin/python3.

    python3 openai_server.py --port 8001 --model deepseek-coder-6.7b
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


class Histogram(object):
    def __init__(self):
        self.counts = [0] * len(BUCKETS)
        self.total = 0
        self.sum = 0.0

    def observe(self, value):
        for i, bound in enumerate(BUCKETS):
            if value <= bound:
                self.counts[i] += 1
        self.total += 1
        self.sum += value

    def render(self, name, labels):
        lines = ["# TYPE %s histogram" % name]
        for bound, count in zip(BUCKETS, self.counts):
            lines.append('%s_bucket{%s,le="%s"} %d' % (name, labels, bound, count))
        lines.append('%s_bucket{%s,le="+Inf"} %d' % (name, labels, self.total))
        lines.append("%s_sum{%s} %f" % (name, labels, self.sum))
        lines.append("%s_count{%s} %d" % (name, labels, self.total))
        return lines


class State(object):
    def __init__(self, models):
        self.models = models
        self.lock = threading.Lock()
        self.success = {}  # (model, finished_reason) -> count
        self.ttft = {m: Histogram() for m in models}
        self.e2e = {m: Histogram() for m in models}
        self.running = 0
        self.http = {}  # (handler, method, status group) -> count, as vLLM's HTTP instrumentation counts them

    def count_http(self, path, method, status):
        handler = path if path in ROUTES else "none"  # untemplated paths are grouped, as upstream does
        key = (handler, method, "%dxx" % (status // 100))
        with self.lock:
            self.http[key] = self.http.get(key, 0) + 1

    def metrics(self):
        with self.lock:
            lines = ["# STAND-IN metrics: no model runs here (tests/standins/openai_server.py)",
                     "# TYPE vllm:request_success_total counter"]
            for model in self.models:
                for reason in ("stop", "length"):
                    lines.append('vllm:request_success_total{model_name="%s",finished_reason="%s"} %d'
                                 % (model, reason, self.success.get((model, reason), 0)))
            lines.append("# TYPE vllm:num_requests_running gauge")
            lines.append("# TYPE vllm:num_requests_waiting gauge")
            for model in self.models:
                lines.append('vllm:num_requests_running{model_name="%s"} %d' % (model, self.running))
                lines.append('vllm:num_requests_waiting{model_name="%s"} 0' % model)
            for model in self.models:
                labels = 'model_name="%s"' % model
                lines += self.ttft[model].render("vllm:time_to_first_token_seconds", labels)
                lines += self.e2e[model].render("vllm:e2e_request_latency_seconds", labels)
            lines.append("# TYPE http_requests_total counter")
            for (handler, method, status), count in sorted(self.http.items()):
                lines.append('http_requests_total{handler="%s",method="%s",status="%s"} %d'
                             % (handler, method, status, count))
            return "\n".join(lines) + "\n"


ROUTES = ("/v1/models", "/v1/completions", "/v1/chat/completions")


class Handler(BaseHTTPRequestHandler):
    server_version = "hybridops-openai-standin/1"

    def log_message(self, fmt, *args):  # keep the journal quiet
        return

    def _send(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        if self.path not in ("/metrics", "/health"):  # vLLM's instrumentation leaves these out
            self.server.state.count_http(self.path, self.command, status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status, message, kind):
        self._send(status, {"object": "error", "message": message, "type": kind, "code": status})

    def do_GET(self):
        state = self.server.state
        if self.path == "/health":
            self._send(200, b"", "text/plain")
        elif self.path == "/v1/models":
            self._send(200, {"object": "list", "data": [
                {"id": m, "object": "model", "owned_by": "hybridops-standin", "max_model_len": 4096}
                for m in state.models]})
        elif self.path == "/metrics":
            self._send(200, state.metrics().encode(), "text/plain; version=0.0.4")
        else:
            self._error(404, "Not Found", "NotFoundError")

    def do_POST(self):
        state = self.server.state
        start = time.monotonic()
        if self.path not in ("/v1/completions", "/v1/chat/completions"):
            self._error(404, "Not Found", "NotFoundError")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._error(400, "The request body is not JSON", "BadRequestError")
            return
        model = body.get("model")
        if model not in state.models:
            self._error(404, "The model `%s` does not exist." % model, "NotFoundError")
            return
        with state.lock:
            state.running += 1
        text = "stand-in answer from %s (no model runs here)" % model
        chat = self.path.endswith("chat/completions")
        choice = {"index": 0, "finish_reason": "stop"}
        if chat:
            choice["message"] = {"role": "assistant", "content": text}
        else:
            choice["text"] = text
        answer = {"id": "standin-%d" % int(time.time() * 1000), "object": "chat.completion" if chat else
                  "text_completion", "created": int(time.time()), "model": model, "choices": [choice],
                  "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                  "standin": True}
        elapsed = time.monotonic() - start
        with state.lock:
            state.running -= 1
            state.success[(model, "stop")] = state.success.get((model, "stop"), 0) + 1
            state.ttft[model].observe(elapsed)
            state.e2e[model].observe(elapsed)
        self._send(200, answer)


def serve(port, models, bind="127.0.0.1"):
    httpd = ThreadingHTTPServer((bind, port), Handler)
    httpd.daemon_threads = True
    httpd.state = State(models)
    return httpd


def main(argv=None):
    parser = argparse.ArgumentParser(description="OpenAI-compatible STAND-IN for a vLLM model server (no model)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--model", action="append", required=True, help="served model name (repeatable)")
    args = parser.parse_args(argv)
    serve(args.port, args.model, args.bind).serve_forever()


if __name__ == "__main__":
    main()

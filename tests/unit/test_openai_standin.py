# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's OpenAI-compatible stand-in answers like vLLM's server and counts what it answered."""

import json
import threading
import urllib.error
import urllib.request

import pytest

from tests.standins import openai_server


@pytest.fixture
def standin():
    httpd = openai_server.serve(0, ["coder"])
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def call(url, body=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_health_and_models(standin):
    assert call(standin + "/health") == (200, "")
    status, body = call(standin + "/v1/models")
    assert status == 200 and [m["id"] for m in json.loads(body)["data"]] == ["coder"]


def test_chat_and_completion_answers_are_labelled(standin):
    status, body = call(standin + "/v1/chat/completions", {"model": "coder", "messages": []})
    answer = json.loads(body)
    assert status == 200 and answer["standin"] is True
    assert "stand-in" in answer["choices"][0]["message"]["content"]
    status, body = call(standin + "/v1/completions", {"model": "coder", "prompt": "def"})
    assert status == 200 and "stand-in" in json.loads(body)["choices"][0]["text"]


@pytest.mark.parametrize("body, status", [({"model": "other"}, 404), (b"not json", 400)])
def test_bad_requests_get_vllm_error_shapes(standin, body, status):
    code, text = call(standin + "/v1/completions", body)
    assert code == status and json.loads(text)["object"] == "error"
    assert call(standin + "/v2/anything")[0] == 404


def test_metrics_count_the_answered_requests(standin):
    before = call(standin + "/metrics")[1]
    assert 'vllm:request_success_total{model_name="coder",finished_reason="stop"} 0' in before
    for _request in range(3):
        call(standin + "/v1/completions", {"model": "coder", "prompt": "x"})
    after = call(standin + "/metrics")[1]
    assert 'vllm:request_success_total{model_name="coder",finished_reason="stop"} 3' in after
    assert 'vllm:time_to_first_token_seconds_count{model_name="coder"} 3' in after
    assert 'vllm:time_to_first_token_seconds_bucket{model_name="coder",le="+Inf"} 3' in after


def test_http_requests_are_counted_by_handler_and_status_group(standin):
    assert "http_requests_total{" not in call(standin + "/metrics")[1]
    call(standin + "/v1/completions", {"model": "coder", "prompt": "x"})
    call(standin + "/v1/completions", {"model": "other", "prompt": "x"})
    call(standin + "/v2/anything")
    call(standin + "/metrics")
    call(standin + "/health")
    text = call(standin + "/metrics")[1]
    assert 'http_requests_total{handler="/v1/completions",method="POST",status="2xx"} 1' in text
    assert 'http_requests_total{handler="/v1/completions",method="POST",status="4xx"} 1' in text
    assert 'http_requests_total{handler="none",method="GET",status="4xx"} 1' in text
    assert 'handler="/metrics"' not in text and 'handler="/health"' not in text

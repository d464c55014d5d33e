"""The vllm role without a GPU: the real vLLM 0.32.0 accepts every rendered unit's command line, and the TLS proxy
only lets authorised /v1/* and /health through (proved with a stand-in HTTP server on the vLLM port)."""

import json
import shlex

import pytest

from tests.testinfra_helpers import host as infra_host

HOST = "vllm-deb12"
ADDRESS = "10.89.16.11"
KEY = "molecule-test-key-0123456789abcdef"
VENV = "/opt/vllm/venv"
MODELS = {
    # name: (vLLM port, proxy port, absolute path, TP from the fit filter, reasoning parser)
    # r1-qwen-7b on 2 x 22.49 GiB (budget 20.24 GiB): TP 1 needs 23.19 GiB, TP 2 needs 12.60 GiB -> 2
    "r1-qwen-7b": (8001, 8443, "/srv/models/r1-qwen-7b", 2, "deepseek_r1"),
    # coder-6.7b, 4096 x 8: TP 1 needs 12.55 + 16 + 2 = 30.55 GiB, TP 2 needs 6.28 + 8 + 2 = 16.28 GiB -> 2
    "coder-6.7b": (8002, 8444, "/srv/models/coder-6.7b", 2, ""),  # vLLM 0.32 default: no parser
}

ARGCHECK = r'''
import json, sys
import vllm.platforms as platforms
from vllm.platforms.cpu import CpuPlatform
platforms._current_platform = CpuPlatform()   # no GPU here: the parser needs a platform (LAB-NOTES item 10)
from vllm.utils.argparse_utils import FlexibleArgumentParser
from vllm.entrypoints.launchers.cli_args import make_arg_parser
out = []
for argv in json.load(sys.stdin):
    parser = make_arg_parser(FlexibleArgumentParser())
    try:
        ns = parser.parse_args(argv)
    except SystemExit as exc:
        out.append({"rc": exc.code})
        continue
    out.append({"rc": 0, **{k: getattr(ns, k, None) for k in (
        "model_tag", "served_model_name", "host", "port", "tensor_parallel_size", "gpu_memory_utilization",
        "max_model_len", "max_num_seqs", "reasoning_parser", "dtype", "generation_config")}})
print("RESULT " + json.dumps(out))
'''

STANDIN = r'''
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"standin": int(sys.argv[1]), "path": self.path,
                           "authorization": self.headers.get("Authorization", "")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_POST = do_GET
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
'''


@pytest.fixture(scope="module")
def host():
    return infra_host(HOST)


def _unit_argv(host, name):
    unit = host.file(f"/etc/systemd/system/vllm-{name}.service").content_string
    line = next(x for x in unit.splitlines() if x.startswith("ExecStart="))
    argv = shlex.split(line[len("ExecStart="):])
    assert argv[:2] == [f"{VENV}/bin/vllm", "serve"], argv
    return argv[2:]


def test_pinned_vllm_in_root_owned_venv(host):
    version = host.check_output(f"{VENV}/bin/python -c \"import importlib.metadata as m; print(m.version('vllm'))\"")
    assert version.strip() == "0.32.0"
    venv = host.file(VENV)
    assert venv.user == "root" and venv.mode == 0o755


def test_wheel_cache_was_used(host):
    # The cache is the host's wheelhouse ($HYBRIDOPS_CACHE_DIR/wheels, scripts/pkg-cache.sh); torch (the largest
    # wheel) must be in it, so a re-run downloads nothing.
    assert host.run("ls /var/cache/hybridops/wheels/torch-*.whl").rc == 0


def test_every_unit_is_accepted_by_vllms_own_parser(host):
    argvs = [_unit_argv(host, name) for name in MODELS]
    # negative controls: an unknown flag and a bad value must be refused by the same parser
    argvs.append(argvs[0] + ["--no-such-flag"])
    argvs.append(argvs[0] + ["--tensor-parallel-size", "two"])
    host.run("cat > /tmp/argcheck.py <<'EOF'\n" + ARGCHECK + "\nEOF")
    res = host.run(f"echo {shlex.quote(json.dumps(argvs))} | {VENV}/bin/python /tmp/argcheck.py")
    assert res.rc == 0, res.stderr[-2000:]
    results = json.loads(res.stdout.split("RESULT ", 1)[1])
    for (name, (port, _proxy, path, tp, parser)), parsed in zip(MODELS.items(), results):
        assert parsed["rc"] == 0
        assert parsed["model_tag"] == path
        assert parsed["served_model_name"] == [name]
        assert parsed["host"] == "127.0.0.1" and parsed["port"] == port
        assert parsed["tensor_parallel_size"] == tp
        assert parsed["reasoning_parser"] == parser
        assert parsed["dtype"] == "bfloat16"
    assert results[-2]["rc"] == 2
    assert results[-1]["rc"] == 2


def test_units_run_offline_without_telemetry_as_the_service_user(host):
    for name in MODELS:
        unit = host.file(f"/etc/systemd/system/vllm-{name}.service").content_string
        for setting in ("User=vllm", "EnvironmentFile=/etc/vllm/api-key.env", "Environment=HF_HUB_OFFLINE=1",
                        "Environment=VLLM_NO_USAGE_STATS=1", "Environment=DO_NOT_TRACK=1"):
            assert setting in unit, setting
    assert "Environment=CUDA_VISIBLE_DEVICES=0,1" in host.file("/etc/systemd/system/vllm-r1-qwen-7b.service").content_string
    env = host.file("/etc/vllm/api-key.env")
    assert env.user == "root" and env.mode == 0o600
    assert f"VLLM_API_KEY={KEY}" in env.content_string


def test_servers_enabled_but_not_started_without_gpu(host):
    for name in MODELS:
        svc = host.service(f"vllm-{name}")
        assert svc.is_enabled
        assert not svc.is_running


def test_models_copied_from_the_nas(host):
    for name, (_p, _pp, path, _tp, _rp) in MODELS.items():
        cfg = host.file(f"{path}/config.json")
        assert cfg.exists and cfg.user == "vllm"


def test_firewall_opens_the_proxy_ports(host):
    rules = host.check_output("nft list ruleset")
    assert "8443" in rules and "8444" in rules
    assert "8001" not in rules and "8002" not in rules


@pytest.fixture(scope="module")
def standins(host):
    host.run("cat > /tmp/standin.py <<'EOF'\n" + STANDIN + "\nEOF")
    for port, *_ in MODELS.values():
        host.run(f"systemd-run --unit=standin-{port} /usr/bin/python3 /tmp/standin.py {port}")
    for port, *_ in MODELS.values():
        assert host.run(f"for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:{port}/ && exit 0; sleep 0.1; done; exit 1").rc == 0
    yield
    for port, *_ in MODELS.values():
        host.run(f"systemctl stop standin-{port}")


def _curl(host, proxy_port, path, key=None, via=ADDRESS):
    auth = f"-H {shlex.quote('Authorization: Bearer ' + key)}" if key is not None else ""
    cmd = (f"curl -s -o /tmp/body -w '%{{http_code}}' --cacert /etc/vllm/tls/ca.crt "
           f"--resolve {HOST}:{proxy_port}:{via} {auth} https://{HOST}:{proxy_port}{path}")
    code = host.check_output(cmd)
    return int(code), host.file("/tmp/body").content_string


@pytest.mark.parametrize("name", sorted(MODELS))
def test_proxy_requires_the_key(host, standins, name):
    proxy = MODELS[name][1]
    for path in ("/health", "/v1/models"):
        assert _curl(host, proxy, path)[0] == 401
        assert _curl(host, proxy, path, key="wrong-key-0123456789")[0] == 401


@pytest.mark.parametrize("name", sorted(MODELS))
def test_proxy_passes_authorised_requests_to_the_server(host, standins, name):
    port, proxy = MODELS[name][:2]
    for path in ("/health", "/v1/models"):
        code, body = _curl(host, proxy, path, key=KEY)
        assert code == 200, body
        answer = json.loads(body)
        assert answer["standin"] == port and answer["path"] == path


@pytest.mark.parametrize("path", ["/", "/docs", "/openapi.json", "/tokenize", "/version", "/v2/models", "/healthz"])
def test_proxy_refuses_paths_outside_the_allowlist(host, standins, path):
    code, _ = _curl(host, 8443, path, key=KEY)
    assert code in (403, 404)


def test_metrics_only_for_the_metrics_networks(host, standins):
    # from 127.0.0.1 (not in vllm_metrics_networks): refused
    assert _curl(host, 8443, "/metrics", key=KEY, via="127.0.0.1")[0] == 403
    # from the host's own address 10.89.16.11/32 (listed): passed through, no key needed
    code, body = _curl(host, 8443, "/metrics")
    assert code == 200 and json.loads(body)["path"] == "/metrics"

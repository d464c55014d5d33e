"""code-server on cs-ide behind the nginx TLS proxy (alice on 8443, bob on 8444), and the assistant's endpoint: the
vllm role's proxy on cs-llm in front of molecule/vllm's stand-in OpenAI-compatible server.

Every request to the IDE goes from cs-llm to cs-ide's address, so it crosses the network, the firewall and nginx
the way a browser's would; each probe has its positive control next to it."""

import importlib.util
import json
import pathlib
import shlex
import uuid

import pytest
import yaml
from testinfra.utils.ansible_runner import AnsibleRunner

from tests.testinfra_helpers import host as infra_host

IDE, IDE_ADDRESS, LLM = "cs-ide", "10.89.21.11", "cs-llm"
NODE = "/opt/hybridops-node/24.21.0/bin/node"
ENTRY = "/opt/code-server/4.139.1/lib/node_modules/code-server/out/node/entry.js"
CA = "/etc/vllm/tls/ca.crt"  # on cs-llm: the same collection CA signed the IDE's certificate

# molecule/vllm's stand-in OpenAI-compatible server, reused as it is (its answer names its port, path and key)
_VLLM_TEST = pathlib.Path(__file__).resolve().parents[2] / "vllm" / "tests" / "test_vllm.py"
_SPEC = importlib.util.spec_from_file_location("molecule_vllm_test", _VLLM_TEST)
_VLLM = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_VLLM)
STANDIN = _VLLM.STANDIN


def _inventory():
    import os  # pylint: disable=import-outside-toplevel
    return AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])


@pytest.fixture(scope="module")
def users():
    """name -> (port, proxy_port, password), from the scenario's inventory."""
    spec = _inventory().get_variables(IDE)["code_server_users"]
    return {u["name"]: (u["port"], u["proxy_port"], u["password"]) for u in spec}


@pytest.fixture(scope="module")
def ide():
    return infra_host(IDE)


@pytest.fixture(scope="module")
def llm():
    return infra_host(LLM)


def _curl(client, url, *args, proxy_port=None):
    """(status, headers, body) of one request from ``client``; the IDE's name resolves to its address."""
    resolve = f"--resolve {IDE}:{proxy_port}:{IDE_ADDRESS}" if proxy_port else ""
    marker = uuid.uuid4().hex
    cmd = (f"curl -s -D /tmp/h-{marker} -o /tmp/b-{marker} -w '%{{http_code}}' --cacert {CA} {resolve} "
           + " ".join(shlex.quote(a) for a in args) + f" {shlex.quote(url)}; echo; cat /tmp/h-{marker}; "
           f"echo '<<<BODY>>>'; cat /tmp/b-{marker}; rm -f /tmp/h-{marker} /tmp/b-{marker}")
    out = client.run(cmd).stdout
    status, rest = out.split("\n", 1)
    headers, body = rest.split("<<<BODY>>>\n", 1)
    return int(status or 0), headers, body


def _login(llm, name, users, password):
    proxy = users[name][1]
    jar = f"/tmp/jar-{name}-{uuid.uuid4().hex}"
    status, headers, body = _curl(llm, f"https://{IDE}:{proxy}/login", "-c", jar, "--data-urlencode",
                                  f"password={password}", proxy_port=proxy)
    return jar, status, headers, body


def test_node_comes_from_the_role_not_the_distribution(ide):
    assert ide.check_output(f"{NODE} --version") == "v24.21.0"
    # Debian 13's nodejs 20 would not satisfy code-server's engines (24): the role did not install it
    assert not ide.package("nodejs").is_installed
    assert ide.file("/opt/code-server/4.139.1/.hybridops-installed").is_file


def test_postinstall_left_a_working_install(ide):
    # the module whose absence made code-server answer 500 when the postinstall did not run (LAB-NOTES 11)
    assert ide.file("/opt/code-server/4.139.1/lib/node_modules/code-server/lib/vscode/node_modules/"
                    "@microsoft/1ds-core-js/package.json").is_file


@pytest.mark.parametrize("name", ["alice", "bob"])
def test_one_instance_per_user_as_that_user_on_loopback(ide, users, name):
    port = users[name][0]
    assert ide.service(f"code-server@{name}").is_running
    assert ide.service(f"code-server@{name}").is_enabled
    owner = ide.check_output(f"ps -o user= -p $(systemctl show -p MainPID --value code-server@{name})")
    assert owner.strip() == name
    local = {line.split()[3] for line in ide.check_output(f"ss -Htln 'sport = :{port}'").splitlines()}
    assert local == {f"127.0.0.1:{port}"}
    config = ide.file(f"/home/{name}/.config/code-server/config.yaml")
    assert (config.user, config.mode) == (name, 0o600)
    assert f"bind-addr: 127.0.0.1:{port}" in config.content_string


@pytest.mark.parametrize("name", ["alice", "bob"])
def test_password_is_an_argon2_hash_and_never_stored_in_clear(ide, users, name):
    config = yaml.safe_load(ide.file(f"/home/{name}/.config/code-server/config.yaml").content_string)
    assert config["auth"] == "password"
    assert config["hashed-password"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "password" not in config
    password = users[name][2]
    # positive control: the same search finds the password where it is planted
    ide.run(f"echo {shlex.quote(password)} > /root/planted")
    assert ide.run(f"grep -rlF {shlex.quote(password)} /root/planted").rc == 0
    found = ide.run(f"grep -rlsF {shlex.quote(password)} /home /etc /opt/code-server/4.139.1/.hybridops-installed "
                    "/var/log /run/systemd/transient")
    ide.run("rm -f /root/planted")
    assert found.stdout == "" and found.rc != 0, found.stdout


@pytest.mark.parametrize("name", ["alice", "bob"])
def test_unauthenticated_request_is_sent_to_the_login_page(llm, users, name):
    proxy = users[name][1]
    status, headers, unused_body = _curl(llm, f"https://{IDE}:{proxy}/", proxy_port=proxy)
    assert status == 302
    assert "location: ./login" in headers.lower()
    status, unused_headers, body = _curl(llm, f"https://{IDE}:{proxy}/login", proxy_port=proxy)
    assert status == 200 and 'type="password"' in body


@pytest.mark.parametrize("name", ["alice", "bob"])
def test_wrong_password_refused_right_one_gives_cookie_and_workbench(llm, users, name):
    proxy, password = users[name][1:]
    jar, status, headers, body = _login(llm, name, users, "not-" + password)
    assert status == 200 and "Incorrect password" in body
    assert "code-server-session" not in headers
    status, unused_headers, body = _curl(llm, f"https://{IDE}:{proxy}/", "-b", jar, proxy_port=proxy)
    assert status == 302  # still not logged in

    jar, status, headers, unused_body = _login(llm, name, users, password)
    assert status == 302 and "set-cookie: code-server-session=" in headers.lower()
    status, unused_headers, body = _curl(llm, f"https://{IDE}:{proxy}/", "-b", jar, proxy_port=proxy)
    assert status == 200 and "vscode-workbench-web-configuration" in body and "workbench.js" in body


def test_one_users_password_does_not_open_the_other_users_ide(llm, users):
    status, body = _login(llm, "bob", users, users["alice"][2])[1::2]
    assert status == 200 and "Incorrect password" in body


def _upgrade(llm, proxy, jar=None, origin=None):
    origin = origin or f"https://{IDE}:{proxy}"
    cookie = f"-b {jar}" if jar else ""
    url = (f"https://{IDE}:{proxy}/?reconnectionToken={uuid.uuid4()}&reconnection=false"
           "&skipWebSocketFrames=false")
    cmd = (f"curl -s -i -N --http1.1 --max-time 5 --cacert {CA} --resolve {IDE}:{proxy}:{IDE_ADDRESS} {cookie} "
           "-H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' "
           f"-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H {shlex.quote('Origin: ' + origin)} "
           f"{shlex.quote(url)} | head -1")
    return llm.run(cmd).stdout.strip()


@pytest.mark.parametrize("name", ["alice", "bob"])
def test_websocket_upgrade_through_the_proxy(llm, users, name):
    proxy = users[name][1]
    jar, status = _login(llm, name, users, users[name][2])[:2]
    assert status == 302
    assert _upgrade(llm, proxy, jar).startswith("HTTP/1.1 101 Switching Protocols")
    # controls: no session -> 401; a foreign Origin -> 403 (code-server compares it with the Host nginx passes)
    assert _upgrade(llm, proxy).startswith("HTTP/1.1 401")
    assert _upgrade(llm, proxy, jar, origin=f"https://evil.example:{proxy}").startswith("HTTP/1.1 403")


@pytest.mark.parametrize("name", ["alice", "bob"])
def test_healthz_through_the_proxy(llm, users, name):
    proxy = users[name][1]
    status, unused_headers, body = _curl(llm, f"https://{IDE}:{proxy}/healthz", proxy_port=proxy)
    assert status == 200 and json.loads(body)["status"] in ("alive", "expired")


def test_instances_are_reachable_only_through_the_proxy(ide, llm, users):
    port = users["alice"][0]
    assert ide.run(f"curl -s -o /dev/null -w '%{{http_code}}' http://127.0.0.1:{port}/healthz").stdout == "200"
    assert llm.run(f"curl -s -o /dev/null --max-time 3 http://{IDE_ADDRESS}:{port}/healthz").rc != 0
    # and the proxy is reachable only over TLS with the collection's certificate
    assert llm.run(f"curl -s -o /dev/null --max-time 3 https://{IDE}:8443/healthz "
                   f"--resolve {IDE}:8443:{IDE_ADDRESS}").rc == 60  # no --cacert: unknown CA refused


def test_users_cannot_read_each_others_files(ide):
    secret = "/home/alice/.local/share/code-server/User/settings.json"
    assert ide.run(f"runuser -u alice -- cat {secret}").rc == 0            # positive control
    for path in (secret, "/home/alice/.config/code-server/config.yaml", "/home/alice"):
        denied = ide.run(f"runuser -u bob -- ls -l {path}")
        assert denied.rc != 0 and "Permission denied" in denied.stderr
    assert ide.file("/home/alice").mode == 0o700 and ide.file("/home/bob").mode == 0o700


def test_managed_settings_merged_per_user(ide):
    alice = json.loads(ide.file("/home/alice/.local/share/code-server/User/settings.json").content_string)
    bob = json.loads(ide.file("/home/bob/.local/share/code-server/User/settings.json").content_string)
    assert alice == {"editor.tabSize": 4, "telemetry.telemetryLevel": "off", "update.mode": "none"}
    assert bob == dict(alice, **{"editor.fontSize": 15})


@pytest.mark.parametrize("name", ["alice", "bob"])
def test_pinned_extension_installed_for_the_user(ide, name):
    listed = ide.check_output(
        f"runuser -u {name} -- {NODE} {ENTRY} --extensions-dir /home/{name}/.local/share/code-server/extensions "
        "--list-extensions --show-versions")
    assert "hybridops.molecule-hello@0.0.1" in listed.splitlines()
    assert ide.file(f"/home/{name}/.local/share/code-server/extensions").user == name


@pytest.fixture(scope="module")
def standins(llm):
    llm.run("cat > /tmp/standin.py <<'EOF'\n" + STANDIN + "\nEOF")
    for port in (8001, 8002):
        llm.run(f"systemd-run --unit=cs-standin-{port} /usr/bin/python3 /tmp/standin.py {port}")
    for port in (8001, 8002):
        assert llm.run(f"for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:{port}/ && exit 0; "
                       "sleep 0.1; done; exit 1").rc == 0
    yield
    for port in (8001, 8002):
        llm.run(f"systemctl stop cs-standin-{port}")


def _assistant(ide, name):
    return yaml.safe_load(ide.file(f"/home/{name}/.continue/config.yaml").content_string)


@pytest.mark.parametrize("name", ["alice", "bob"])
def test_assistant_points_at_the_inventorys_vllm_endpoints(ide, name):
    key = _inventory().get_variables(LLM)["vllm_api_key"]
    config_file = ide.file(f"/home/{name}/.continue/config.yaml")
    assert (config_file.user, config_file.mode) == (name, 0o600)
    models = {m["name"]: m for m in _assistant(ide, name)["models"]}
    assert models["r1-qwen-7b"]["apiBase"] == "https://cs-llm:8443/v1"
    assert models["r1-qwen-7b"]["roles"] == ["chat"]
    assert models["coder-6.7b"]["apiBase"] == "https://cs-llm:8444/v1"
    assert models["coder-6.7b"]["roles"] == ["autocomplete", "edit", "apply"]
    assert {m["apiKey"] for m in models.values()} == {key}
    assert {m["provider"] for m in models.values()} == {"openai"}


@pytest.mark.parametrize("model", ["r1-qwen-7b", "coder-6.7b"])
def test_assistant_request_reaches_the_model_only_with_the_key(ide, standins, model):
    entry = next(m for m in _assistant(ide, "alice")["models"] if m["name"] == model)
    ca = entry["requestOptions"]["caBundlePath"]
    base = entry["apiBase"]
    curl = f"runuser -u alice -- curl -s -w '\\n%{{http_code}}' --cacert {ca} "
    # with the key from the assistant's configuration: through the vllm role's proxy to the stand-in server
    out = ide.check_output(curl + f"-H {shlex.quote('Authorization: Bearer ' + entry['apiKey'])} {base}/models")
    body, status = out.rsplit("\n", 1)
    assert status == "200"
    answer = json.loads(body)
    assert answer["standin"] == {"r1-qwen-7b": 8001, "coder-6.7b": 8002}[model]
    assert answer["path"] == "/v1/models"
    # without it, or with another, the proxy refuses before the server sees anything
    assert ide.check_output(curl + f"{base}/models").rsplit("\n", 1)[1] == "401"
    assert ide.check_output(curl + "-H 'Authorization: Bearer wrong-key-0123456789' "
                            f"{base}/models").rsplit("\n", 1)[1] == "401"

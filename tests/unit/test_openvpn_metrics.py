"""The openvpn role's textfile collector (roles/openvpn/files/hybridops-openvpn-metrics) against a fake
management interface that answers `status 2` the way OpenVPN 2.6 does."""

import importlib.machinery
import importlib.util
import os
import pathlib
import socket
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "roles" / "openvpn" / "files" / "hybridops-openvpn-metrics"

STATUS_2 = [
    "TITLE,OpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [MH/PKTINFO] [AEAD] [DCO]",
    "TIME,2026-12-05 21:00:00,1796504400",
    "HEADER,CLIENT_LIST,Common Name,Real Address,Virtual Address,Virtual IPv6 Address,Bytes Received,Bytes Sent,"
    "Connected Since,Connected Since (time_t),Username,Client ID,Peer ID,Data Channel Cipher",
    "CLIENT_LIST,bob,10.89.14.12:50312,10.8.0.10,,4100,5200,2026-12-05 20:59:00,1796504340,UNDEF,1,1,AES-256-GCM",
    "CLIENT_LIST,alice,10.89.14.11:41000,10.8.0.6,,1234,5678,2026-12-05 20:58:20,1796504300,UNDEF,0,0,AES-256-GCM",
    "HEADER,ROUTING_TABLE,Virtual Address,Common Name,Real Address,Last Ref,Last Ref (time_t)",
    "ROUTING_TABLE,10.8.0.6,alice,10.89.14.11:41000,2026-12-05 21:00:00,1796504400",
    "GLOBAL_STATS,Max bcast/mcast queue length,0",
    "GLOBAL_STATS,dco_enabled,0",
]


def load():
    loader = importlib.machinery.SourceFileLoader("hybridops_openvpn_metrics", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.fixture(name="mod", scope="module")
def fixture_mod():
    return load()


@pytest.fixture(name="server")
def fixture_server():
    """A management interface on a free port: greeting, then `status 2` -> STATUS_2 + END; records commands."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    commands = []

    def serve():
        conn = listener.accept()[0]
        with conn, conn.makefile("rw", encoding="utf-8", newline="\n") as stream:
            stream.write(">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info\n")
            stream.flush()
            commands.append(stream.readline().strip())
            stream.write(">CLIENT:ESTABLISHED,0\n")  # a real-time notification in between
            stream.write("\n".join(STATUS_2) + "\nEND\n")
            stream.flush()
            commands.append(stream.readline().strip())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def served():
        """The commands the server read, once it has finished (the client may return before the server reads `quit`)."""
        thread.join(5)
        return commands

    yield listener.getsockname()[1], served
    thread.join(5)
    listener.close()


def test_connected_clients_from_the_management_interface(mod, server, tmp_path):
    port, served = server
    out = tmp_path / "hybridops_openvpn.prom"
    assert mod.main(["--port", str(port), "--output", str(out)]) == 0
    text = out.read_text()
    assert served() == ["status 2", "quit"]
    assert "hybridops_openvpn_up 1\n" in text
    assert "hybridops_openvpn_connected_clients 2\n" in text
    assert 'hybridops_openvpn_client_connected_since_seconds{common_name="alice"} 1796504300\n' in text
    assert 'hybridops_openvpn_client_received_bytes{common_name="bob"} 4100\n' in text
    assert 'hybridops_openvpn_client_sent_bytes{common_name="alice"} 5678\n' in text
    # sorted by common name, one TYPE line per metric, nothing left behind in the directory
    assert text.index('common_name="alice"') < text.index('common_name="bob"')
    assert text.count("# TYPE hybridops_openvpn_client_sent_bytes gauge") == 1
    assert os.listdir(tmp_path) == ["hybridops_openvpn.prom"]
    assert oct(out.stat().st_mode & 0o777) == "0o644"


def test_a_server_that_does_not_answer_is_down_with_no_clients(mod, tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    out = tmp_path / "m.prom"
    assert mod.main(["--port", str(port), "--output", str(out)]) == 0
    assert out.read_text().splitlines()[-1] == "hybridops_openvpn_up 0"
    assert "connected_clients" not in out.read_text()


def test_no_clients_gives_zero_and_no_client_series(mod):
    text = mod.render(STATUS_2[:3] + STATUS_2[5:])
    assert "hybridops_openvpn_connected_clients 0\n" in text
    assert "common_name" not in text


def test_label_values_are_escaped(mod):
    lines = [STATUS_2[2], 'CLIENT_LIST,we"ird\\name,1.2.3.4:1,10.8.0.2,,1,2,x,3,UNDEF,0,0,x']
    assert 'common_name="we\\"ird\\\\name"} 3' in mod.render(lines)

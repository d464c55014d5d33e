"""playbooks/backup_target.yml against the DSM simulator: check mode on a fresh NAS writes nothing, the first run
prepares the target, the second changes nothing, and wrong inputs are refused before any API call."""

import json
import sys

from .conftest import ROOT
from .simulator import ADMIN

ROLE = "hybridops.platform.synology_target : "
COMMON = "hybridops.platform.common : "
TARGET = dict(
    synology_target_share_name="backup",
    synology_target_share_quota_mb=4096,
    synology_target_users=[dict(name="restic", password="{{ vault_restic_password }}", description="restic"),
                           dict(name="pgbackrest", password="{{ vault_pgbackrest_password }}")],
    synology_target_sftp_port=2222,
)


def inventory(tmp_path, sim, **target):
    host = dict(synology_target_host=sim.host, synology_target_ca_path=sim.ca_path, synology_target_username=ADMIN[0],
                synology_target_password="{{ vault_synology_password }}", synology_target_retry_backoff=0.1,
                vault_synology_password=ADMIN[1], vault_restic_password="restic-repo-secret",
                vault_pgbackrest_password="pgbackrest-repo-secret",
                ansible_connection="local", ansible_python_interpreter=sys.executable)
    host.update(target)
    path = tmp_path / ("inventory-%d.json" % len(list(tmp_path.glob("inventory-*"))))
    path.write_text(json.dumps({"all": {"children": {"backup_nas": {"hosts": {"nas": host}}}}}))
    return str(path)


def playbook(runner, inv, **kwargs):
    return runner.run(["-i", inv, str(ROOT / "playbooks" / "backup_target.yml")], **kwargs)


def test_check_apply_and_rerun(synology_ansible, dsm_sim, tmp_path):
    dsm = dsm_sim.dsm
    inv = inventory(tmp_path, dsm_sim, **TARGET)
    rc, _results, out = playbook(synology_ansible, inv, check=True, diff=True, json_output=False)
    assert rc == 0, out
    assert '"quota_mb": 4096' in out
    assert dsm.writes() == [] and dsm.live_sessions() == []

    rc, results, out = playbook(synology_ansible, inv)
    assert rc == 0, out
    for name in ("Group of the backup accounts", "Shared folder for the backup repositories",
                 "Backup accounts, members of the group", "Read/write for the group on the shared folder",
                 "SFTP on for the backup clients"):
        assert results[ROLE + name]["changed"] is True, name
    assert "restic-repo-secret" not in out and "pgbackrest-repo-secret" not in out and ADMIN[1] not in out
    assert dsm.shares["backup"]["share_quota"] == 4096 and dsm.shares["backup"]["recyclebin"] is False
    assert dsm.members("backup") == ["pgbackrest", "restic"]
    assert dsm.users["restic"]["password"] == "restic-repo-secret"
    assert dsm.access("backup", "local_group", "backup") == "rw"
    assert dsm.sftp == dict(enable=True, portnum=2222) and dsm.rsync["enable"] is False

    del dsm.log[:]
    rc, results, out = playbook(synology_ansible, inv)
    assert rc == 0, out
    assert not [name for name, result in results.items() if result.get("changed")]
    assert dsm.writes() == [] and dsm.live_sessions() == []


def test_inputs_refused_before_any_request(synology_ansible, dsm_sim, tmp_path):
    bad = dict(TARGET)
    bad.update(synology_target_users=[dict(name="restic")], synology_target_share_quota_mb="lots")
    rc, results, out = playbook(synology_ansible, inventory(tmp_path, dsm_sim, **bad))
    assert rc != 0
    msg = results[COMMON + "Refuse the run with the errors found (nothing has changed on any host)"]["msg"]
    assert "synology_target:" in msg and "password" in msg and "synology_target_share_quota_mb" in msg
    duplicate = dict(TARGET)
    duplicate.update(synology_target_users=[dict(name="backup", password="x" * 12)])
    rc, results, out = playbook(synology_ansible, inventory(tmp_path, dsm_sim, **duplicate))
    assert rc != 0
    assert "other than admin, guest and the group 'backup'" in results[
        ROLE + "Refuse backup accounts the DSM would refuse or the role would mix up"]["msg"]
    assert dsm_sim.dsm.log == []  # not even a login

"""The synology modules driven end to end (real ansible-playbook) against the DSM simulator: check mode on a fresh
NAS, create, converge, diff, idempotence, updates, deletion, and every session closed again."""

from .simulator import ADMIN

SHARE = dict(name="backup", vol_path="/volume1", description="restic repositories", quota_mb=1024, recycle_bin=False)


def task(title, module, **args):
    return {"name": title, "hybridops.platform." + module: args}


def target_tasks(password="backup-secret-1"):
    return [
        task("group", "synology_group", name="backup", description="Backup clients"),
        task("share", "synology_share", **SHARE),
        task("user", "synology_user", name="restic", user_password=password, description="restic over SFTP",
             email="ops@example.internal", groups=["backup"]),
        task("permission", "synology_share_permission", share="backup", group="backup", access="rw"),
        task("services", "synology_service", sftp_enabled=True, sftp_port=2222, rsync_enabled=False),
    ]


def test_check_converge_rerun_and_diff(synology_ansible, dsm_sim):
    dsm = dsm_sim.dsm
    # check mode on a fresh NAS: every change announced, nothing written
    rc, results, out = synology_ansible.play(target_tasks(), check=True, diff=True)
    assert rc == 0, out
    assert all(result["changed"] for result in results.values()), results
    assert dsm.writes() == []
    assert results["share"]["diff"]["before"] == {} and results["share"]["diff"]["after"]["quota_mb"] == 1024
    assert results["services"]["diff"]["before"]["sftp"] == dict(enabled=False, port=22)
    assert results["services"]["diff"]["after"]["sftp"] == dict(enabled=True, port=2222)
    # a group or share an earlier task would create is a warning, not a failure
    assert any("group 'backup' does not exist" in w for w in results["user"]["warnings"])
    assert any("shared folder 'backup' does not exist" in w for w in results["permission"]["warnings"])

    rc, results, out = synology_ansible.play(target_tasks())
    assert rc == 0, out
    assert all(results[name]["changed"] for name in ("group", "share", "user", "permission", "services")), results
    assert dsm.shares["backup"]["share_quota"] == 1024 and dsm.shares["backup"]["recyclebin"] is False
    assert dsm.users["restic"]["password"] == "backup-secret-1"
    assert dsm.members("backup") == ["restic"]
    assert dsm.access("backup", "local_group", "backup") == "rw"
    assert dsm.sftp == dict(enable=True, portnum=2222)
    assert len(dsm.calls("SYNO.API.Auth", "logout")) == 5 + 5  # the check-mode run logged out too

    del dsm.log[:]
    rc, results, out = synology_ansible.play(target_tasks())
    assert rc == 0, out
    assert not [name for name, result in results.items() if result.get("changed")], results
    assert dsm.writes() == []
    assert results["user"]["user"] == dict(name="restic", description="restic over SFTP",
                                           email="ops@example.internal", groups=["backup"])

    changes = [task("share", "synology_share", name="backup", quota_mb=2048, description="bigger"),
               task("permission", "synology_share_permission", share="backup", group="backup", access="ro")]
    rc, results, out = synology_ansible.play(changes, check=True, diff=True)
    assert rc == 0, out
    assert results["share"]["diff"]["before"]["quota_mb"] == 1024
    assert results["share"]["diff"]["after"]["quota_mb"] == 2048
    assert results["permission"]["diff"] == dict(before=dict(share="backup", group="backup", access="rw"),
                                                 after=dict(share="backup", group="backup", access="ro"))
    assert dsm.writes() == [] and dsm.shares["backup"]["share_quota"] == 1024
    assert dsm.live_sessions() == []


def test_updates_password_groups_and_removal(synology_ansible, dsm_sim, monkeypatch):
    dsm = dsm_sim.dsm
    dsm.add_group("backup")
    dsm.add_share("backup")
    dsm.add_user("restic", "backup-secret-1", groups=["backup"])
    tasks = [
        task("other group", "synology_group", name="offsite"),
        task("same password", "synology_user", name="restic", user_password="ignored-on-update"),
        task("new password", "synology_user", name="restic", user_password="rotated-secret-2",
             update_password="always"),
        task("exact groups", "synology_user", name="restic", groups=["offsite"], append=False),
        task("deny", "synology_share_permission", share="backup", user="restic", access="no_access"),
        task("user gone", "synology_user", name="restic", state="absent"),
        task("share gone", "synology_share", name="backup", state="absent"),
        task("group gone", "synology_group", name="backup", state="absent"),
        task("share gone again", "synology_share", name="backup", state="absent"),
    ]
    passwords = []
    dsm_set = dsm.core_user_set

    def record(params):  # the password in place between the update and the removal
        passwords.append(params.get("password"))
        return dsm_set(params)
    monkeypatch.setattr(dsm, "core_user_set", record)
    rc, results, out = synology_ansible.play(tasks)
    assert rc == 0, out
    assert results["same password"]["changed"] is False
    assert results["new password"]["changed"] is True and passwords == ["rotated-secret-2"]
    assert results["exact groups"]["user"]["groups"] == ["offsite", "users"]
    assert [c["code"] for c in dsm.calls("SYNO.Core.Group.Member", "change")] == [0, 0]  # joined one, left one
    assert results["deny"]["permission"]["access"] == "no_access"
    assert [results[n]["changed"] for n in ("user gone", "share gone", "group gone", "share gone again")] == \
        [True, True, True, False]
    assert "restic" not in dsm.users and "backup" not in dsm.shares and "backup" not in dsm.groups
    assert dsm.members("offsite") == [] and dsm.live_sessions() == []


def test_info_reads_everything_and_writes_nothing(synology_ansible, dsm_sim):
    rc, results, out = synology_ansible.play([task("info", "synology_info")])
    assert rc == 0, out
    info = results["info"]
    assert info["changed"] is False
    assert info["system"]["model"] == "DS920+"
    assert [s["name"] for s in info["shares"]] == ["homes"]
    assert ADMIN[0] in [u["name"] for u in info["users"]]
    assert "administrators" in [g["name"] for g in info["groups"]]
    assert info["services"] == dict(sftp=dict(enabled=False, port=22), rsync=dict(enabled=False))
    assert ADMIN[1] not in out
    assert dsm_sim.dsm.writes() == []

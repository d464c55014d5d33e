"""The test images' bytecode cache for Ansible's zipped modules (tests/images/hybridops_module_cache.py)."""

import importlib.util
import os
import sys
import zipfile
from pathlib import Path

import pytest

HOOK_FILE = Path(__file__).resolve().parents[1] / "images" / "hybridops_module_cache.py"

PACKAGE_INIT = b"VALUE = 'package'\n"
MODULE = b"""
def fails():
    raise RuntimeError('from the payload')


class Thing:
    def answer(self):
        return 42
"""


@pytest.fixture()
def hook(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("hybridops_module_cache_under_test", HOOK_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o755)
    monkeypatch.setattr(module, "CACHE", str(cache))
    compiled = []
    real_compile = compile

    def counting_compile(source, filename, *args, **kwargs):
        compiled.append(filename)
        return real_compile(source, filename, *args, **kwargs)

    monkeypatch.setattr(module, "compile", counting_compile, raising=False)
    module.compiled = compiled
    monkeypatch.setattr(sys, "path_hooks", [module.payload_hook] + sys.path_hooks)
    monkeypatch.setattr(sys, "path_importer_cache", {})
    yield module
    for name in [n for n in sys.modules if n == "payloadpkg" or n.startswith("payloadpkg.")]:
        del sys.modules[name]


def payload(tmp_path, run, name="ansible_demo_payload.zip"):
    """A zip laid out as AnsiballZ lays out its payload, in a directory of its own per module run."""
    directory = tmp_path / f"ansible_demo_payload_{run}"
    directory.mkdir()
    path = directory / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("payloadpkg/__init__.py", PACKAGE_INIT)
        archive.writestr("payloadpkg/mod.py", MODULE)
    return str(path)


def import_from(path):
    for name in [n for n in sys.modules if n == "payloadpkg" or n.startswith("payloadpkg.")]:
        del sys.modules[name]
    sys.path.insert(0, path)
    try:
        return importlib.import_module("payloadpkg.mod"), sys.modules["payloadpkg"]
    finally:
        sys.path.remove(path)


def test_only_payload_zips_and_their_packages_are_taken_over(hook):
    assert hook.is_payload("/root/.ansible/tmp/ansible_stat_payload_x1/ansible_stat_payload.zip")
    assert hook.is_payload("/tmp/a/ansible_stat_payload.zip/ansible/module_utils")
    assert not hook.is_payload("/usr/lib/python3/dist-packages")
    assert not hook.is_payload("/srv/app/bundle.zip")
    with pytest.raises(ImportError):
        hook.payload_hook("/srv/app/bundle.zip")


def test_each_module_is_compiled_once_and_named_without_compiling(hook, tmp_path):
    first = payload(tmp_path, 1)
    mod, package = import_from(first)
    assert mod.Thing().answer() == 42 and package.VALUE == "package"
    # zipimport compiles each module twice (get_filename, then get_code): here once each, package and module
    assert sorted(os.path.basename(f) for f in hook.compiled) == ["__init__.py", "mod.py"]
    assert mod.__file__ == os.path.join(first, "payloadpkg", "mod.py")
    assert isinstance(mod.__loader__, hook.CachingZipImporter)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root writes the cache")
def test_a_later_run_loads_the_code_from_the_cache_with_its_own_file_names(hook, tmp_path):
    import_from(payload(tmp_path, 1))
    assert len(os.listdir(hook.CACHE)) == 2
    hook.compiled.clear()
    second = payload(tmp_path, 2)
    mod = import_from(second)[0]
    assert not hook.compiled, "the second run compiled again"
    expected = os.path.join(second, "payloadpkg", "mod.py")
    assert mod.Thing.answer.__code__.co_filename == expected  # nested code objects are relocated too
    with pytest.raises(RuntimeError) as failure:
        mod.fails()
    assert str(failure.traceback[-1].path) == expected


@pytest.mark.skipif(os.geteuid() != 0, reason="only root writes the cache")
def test_a_changed_source_is_compiled_again(hook, tmp_path):
    import_from(payload(tmp_path, 1))
    hook.compiled.clear()
    directory = tmp_path / "ansible_demo_payload_3"
    directory.mkdir()
    path = directory / "ansible_demo_payload.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("payloadpkg/__init__.py", PACKAGE_INIT)
        archive.writestr("payloadpkg/mod.py", MODULE.replace(b"42", b"43"))
    mod = import_from(str(path))[0]
    assert mod.Thing().answer() == 43
    assert [os.path.basename(f) for f in hook.compiled] == ["mod.py"]


def test_damaged_or_foreign_cache_entries_are_ignored(hook, tmp_path):
    first = payload(tmp_path, 1)
    with zipfile.ZipFile(first) as archive:
        source = archive.read("payloadpkg/mod.py")
    damaged = os.path.join(hook.CACHE, hook.cache_key("payloadpkg/mod.py", source))
    with open(damaged, "wb") as handle:
        handle.write(b"not marshal data")
    os.chmod(damaged, 0o644)
    mod = import_from(first)[0]
    assert mod.Thing().answer() == 42
    writable = tmp_path / "writable"
    writable.write_bytes(b"")
    os.chmod(writable, 0o666)
    assert hook.load_cached(str(writable)) is None


def test_without_its_cache_directory_the_hook_stands_aside(hook, tmp_path, monkeypatch):
    monkeypatch.setattr(hook, "CACHE", str(tmp_path / "missing"))
    with pytest.raises(ImportError):
        hook.payload_hook(payload(tmp_path, 1))

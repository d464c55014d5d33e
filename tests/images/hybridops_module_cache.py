"""Compile Ansible's zipped modules once per container: a bytecode cache for the test images (harness only).

Ansible sends every module run as a zip (AnsiballZ) that Python imports with zipimport, which never keeps bytecode
and, on Python 3.11 and 3.13, even compiles each module twice (once to learn its file name, once to run it). In the
lab and Molecule containers that compiling was a third of all the CPU a no-op ``site.yml`` run spent. Installed into
the test images by scripts/build-images.sh (a ``.pth`` line imports this module at interpreter start), the path hook
below takes over the payload zips of AnsiballZ only (``ansible_<module>_payload.zip``), names modules without
compiling them and keeps their code objects in CACHE, keyed by the interpreter's magic number, the module's path
inside the zip and the SHA-256 of its source. The code that runs is the module's own source, compiled by the same
interpreter; only the compiling is skipped. Only root writes the cache (a root-owned directory); any error falls back
to zipimport. Real hosts never get this: it lives in the test images.
"""

# Every Python process of the container imports this module at start: only what the interpreter has already loaded
# is imported here (zipimport serves sys.path_hooks); hashlib, marshal and tempfile wait for the first payload.
import os
import sys
import zipimport

CACHE = "/var/cache/hybridops-module-cache"
# zipimport's own search order: a package's __init__, then the module; compiled entries are left to zipimport
SOURCE_SUFFIXES = (("/__init__.py", True), (".py", False))


def is_payload(path):
    """True for the zip AnsiballZ writes for one module run, or a package directory inside it (the only archives
    this hook takes over)."""
    return any(part.startswith("ansible_") and part.endswith("_payload.zip") for part in path.split(os.sep))


def relocate(code, filename):
    """The code object with co_filename set to filename, in every nested function and class too."""
    consts = tuple(relocate(const, filename) if isinstance(const, type(code)) else const for const in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def cache_key(inner_path, source):
    import hashlib  # pylint: disable=import-outside-toplevel
    from importlib.util import MAGIC_NUMBER  # pylint: disable=import-outside-toplevel

    digest = hashlib.sha256(MAGIC_NUMBER)
    digest.update(inner_path.encode())
    digest.update(b"\0")
    digest.update(source)
    return digest.hexdigest()


def load_cached(path):
    """The code object stored at path, or None (missing, or not written by root, or writable by others)."""
    import marshal  # pylint: disable=import-outside-toplevel

    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if info.st_uid != 0 or info.st_mode & 0o022:
                return None
            return marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        return None


def store(path, code):
    """Write code to path atomically; only root does (the directory is root's)."""
    if os.geteuid() != 0:
        return
    import marshal  # pylint: disable=import-outside-toplevel
    import tempfile  # pylint: disable=import-outside-toplevel

    fd, tmp = tempfile.mkstemp(dir=CACHE, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            marshal.dump(code, handle)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


class CachingZipImporter(zipimport.zipimporter):
    """zipimporter for AnsiballZ payloads: file names without compiling, code from the cache."""

    def toc(self):
        files = getattr(self, "_get_files", None)  # Python 3.13 reads the table of contents lazily
        return files() if files else self._files  # pylint: disable=no-member

    def source_entry(self, fullname):
        """(inner path, TOC entry) of the module's source, or None where zipimport itself must decide."""
        base = self.prefix + fullname.rpartition(".")[2]
        toc = self.toc()
        for suffix, package in SOURCE_SUFFIXES:
            if package and base + "/__init__.pyc" in toc:
                return None
            if not package and base + ".pyc" in toc:
                return None
            if base + suffix in toc:
                return base + suffix, toc[base + suffix]
        return None

    def get_filename(self, fullname):
        try:
            entry = self.source_entry(fullname)
        except Exception:  # pylint: disable=broad-exception-caught
            entry = None
        if entry is None:
            return super().get_filename(fullname)
        return entry[1][0]

    def get_code(self, fullname):
        try:
            entry = self.source_entry(fullname)
            if entry is None:
                return super().get_code(fullname)
            inner, toc_entry = entry
            filename = toc_entry[0]
            source = self.get_data(inner).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            path = os.path.join(CACHE, cache_key(inner, source))
            code = load_cached(path)
            if code is None:
                code = compile(source, filename, "exec", dont_inherit=True)
                store(path, code)
                return code
            return relocate(code, filename)
        except Exception:  # pylint: disable=broad-exception-caught
            return super().get_code(fullname)


def payload_hook(path):
    """sys.path_hooks entry: claims AnsiballZ payload zips, declines everything else."""
    if not is_payload(path) or not os.path.isdir(CACHE):
        raise ImportError("not an AnsiballZ payload")
    return CachingZipImporter(path)


def install():
    if payload_hook not in sys.path_hooks:
        sys.path_hooks.insert(0, payload_hook)
        sys.path_importer_cache.clear()

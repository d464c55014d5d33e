"""Write a tiny VS Code extension package (.vsix) byte for byte the same on every run (test tooling).

Open VSX is not reachable here, so the code_server scenario serves this file and pins its checksum in
molecule.yml: ``python3 make_vsix.py OUT`` prints the sha256 it wrote.
"""

import hashlib
import json
import sys
import zipfile

ID, PUBLISHER, NAME, VERSION = "hybridops.molecule-hello", "hybridops", "molecule-hello", "0.0.1"
FILES = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension=".json" ContentType="application/json"/>'
        '<Default Extension=".vsixmanifest" ContentType="text/xml"/></Types>\n'
    ),
    "extension.vsixmanifest": (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011">'
        f'<Metadata><Identity Language="en-US" Id="{NAME}" Version="{VERSION}" Publisher="{PUBLISHER}"/>'
        f'<DisplayName>{NAME}</DisplayName><Description xml:space="preserve">Molecule test extension</Description>'
        '</Metadata><Installation><InstallationTarget Id="Microsoft.VisualStudio.Code"/></Installation>'
        '<Dependencies/><Assets><Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" '
        'Addressable="true"/></Assets></PackageManifest>\n'
    ),
    "extension/package.json": json.dumps({
        "name": NAME, "publisher": PUBLISHER, "version": VERSION, "displayName": NAME,
        "description": "Molecule test extension (no code)", "engines": {"vscode": "^1.60.0"},
        "contributes": {"configuration": {"title": NAME, "properties": {
            "moleculeHello.greeting": {"type": "string", "default": "hello"}}}},
    }, indent=2, sort_keys=True) + "\n",
}


def main(out):
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(FILES):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            archive.writestr(info, FILES[name])
    with open(out, "rb") as fh:
        print("sha256:" + hashlib.sha256(fh.read()).hexdigest())


if __name__ == "__main__":
    main(sys.argv[1])

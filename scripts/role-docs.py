"""Generate each role README's variable tables from its meta/argument_specs.yml.

The tables sit between `<!-- BEGIN ARGUMENT SPECS -->` and `<!-- END ARGUMENT SPECS -->` in roles/<role>/README.md,
so the README and the specs never drift. `--check` exits 1 when a README is out of date (the unit tests run it).
Usage: python3 scripts/role-docs.py [--check] [role ...]
"""

import argparse
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- BEGIN ARGUMENT SPECS -->", "<!-- END ARGUMENT SPECS -->"


# Ansible's documentation markup (C(), O(), V(), RV(), I(), B(), U(), L(), P()) rendered as Markdown.
_MARKUP = [
    (re.compile(r"\b(?:C|O|V|RV|E|M)\(([^()]*)\)"), r"`\1`"),
    (re.compile(r"\bP\(([^()#]*)#[^()]*\)"), r"`\1`"),
    (re.compile(r"\bI\(([^()]*)\)"), r"*\1*"),
    (re.compile(r"\bB\(([^()]*)\)"), r"**\1**"),
    (re.compile(r"\bL\(([^(),]*),\s*([^()]*)\)"), r"[\1](\2)"),
    (re.compile(r"\bU\(([^()]*)\)"), r"<\1>"),
]


def markdown(text):
    """Ansible documentation markup as Markdown (`O(name=value)` becomes `` `name=value` ``)."""
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    return text


def _escape(text):
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _cell(value):
    return _escape(markdown(" ".join(value) if isinstance(value, list) else str(value)))


def _default(spec):
    if "default" not in spec:
        return "**required**" if spec.get("required") else ""
    return "`" + _escape(yaml.safe_dump(spec["default"], default_flow_style=True, width=1 << 20).strip().removesuffix("...").strip()) + "`"


def _rows(options, prefix=""):
    for name, spec in options.items():
        kind = spec.get("type", "str")
        if spec.get("elements"):
            kind += f" of {spec['elements']}"
        if spec.get("choices"):
            kind += " (" + ", ".join(str(c) for c in spec["choices"]) + ")"
        yield f"| `{prefix}{name}` | {kind} | {_default(spec)} | {_cell(spec.get('description', ''))} |"
        if spec.get("options"):
            yield from _rows(spec["options"], f"{prefix}{name}.")


def render(role_dir):
    specs = yaml.safe_load((role_dir / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    out = [BEGIN, ""]
    for entry, spec in specs.items():
        title = "Variables" if entry == "main" else f"Entry point `tasks_from: {entry}`"
        out += [f"### {title}", "", _cell(spec.get("short_description", "")), ""]
        if spec.get("options"):
            out += ["| variable | type | default | description |", "| --- | --- | --- | --- |"]
            out += list(_rows(spec["options"]))
            out.append("")
    out.append(END)
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("roles", nargs="*")
    args = parser.parse_args()
    roles = args.roles or sorted(p.parent.parent.name for p in ROOT.glob("roles/*/meta/argument_specs.yml"))
    stale = []
    for role in roles:
        readme = ROOT / "roles" / role / "README.md"
        text = readme.read_text() if readme.exists() else f"# {role}\n\n{BEGIN}\n{END}\n"
        if BEGIN not in text or END not in text:
            stale.append(f"{readme}: markers missing")
            continue
        head, rest = text.split(BEGIN, 1)
        new = head + render(ROOT / "roles" / role) + rest.split(END, 1)[1]
        if new != text:
            if args.check:
                stale.append(str(readme))
            else:
                readme.write_text(new)
                print(f"updated {readme}")
    if stale:
        print("out of date (run python3 scripts/role-docs.py):\n  " + "\n  ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

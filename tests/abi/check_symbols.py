#!/usr/bin/env python3
"""Symbol test (c-style.md 3.11, step 1): the exported symbols, the version script and the public
headers must name exactly the same functions.

usage: check_symbols.py LIBMODELLIX_SO VERSION_SCRIPT INCLUDE_DIR [ABI_BASELINE]

Compares three sets and fails on any difference, printing it:
  (a) `nm -D --defined-only` of the built library (the @@NODE suffix stripped; _init, _fini, _edata,
      _end, __bss_start and the version-node markers ignored);
  (b) the names under `global:` in the version script (lib/libmodellix.map);
  (c) the names declared with MODELLIX_API in INCLUDE_DIR/*.h (declarations may span lines).
Also checks that every exported symbol is bound, as its default version (@@), to the node that lists
it in the version script, that no name is listed twice, and that each node is alphabetical.
With ABI_BASELINE (abi/libmodellix.abi, written by abidw), the nodes it records are released and
frozen: each of its symbols must still be exported in the same node, and a symbol it does not have
must be in a node it does not have (a new release's node), never added to a released one.
The nm program is taken from $NM, else `nm`. Exit status 0 on success, 1 on any finding.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

IGNORED = {"_init", "_fini", "_edata", "_end", "__bss_start"}


def exported(lib: str, nm: str):
    """Return {name: version-or-None} for the defined dynamic symbols, and the version-node markers."""
    out = subprocess.run([nm, "-D", "--defined-only", lib], check=True, capture_output=True, text=True).stdout
    symbols, nodes = {}, set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        kind, name = fields[-2], fields[-1]
        if kind == "A" and "@" not in name:  # the absolute symbol that marks a version node
            nodes.add(name)
            continue
        version = None
        if "@@" in name:
            name, version = name.split("@@", 1)
        elif "@" in name:  # a non-default (hidden) version: still exported, but not linkable by default
            name, version = name.split("@", 1)
            version = "@" + version
        if name not in IGNORED:
            symbols[name] = version
    return symbols, nodes


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def version_script(path: str, problems: list):
    """Return {name: node} for every global name, in file order per node."""
    text = strip_comments(Path(path).read_text())
    names = {}
    for node, body in re.findall(r"([A-Za-z_][\w.]*)\s*\{(.*?)\}\s*[\w.]*\s*;", text, flags=re.S):
        globals_part = re.split(r"\blocal\s*:", body)[0]
        globals_part = re.sub(r"\bglobal\s*:", " ", globals_part)
        listed = [n.strip() for n in globals_part.split(";") if n.strip()]
        for name in listed:
            if name in names:
                problems.append(f"version script: {name} is listed twice ({names[name]} and {node})")
            names[name] = node
        if listed != sorted(listed):
            wrong = [a + " > " + b for a, b in zip(listed, listed[1:]) if a > b]
            problems.append(f"version script: node {node} is not alphabetical: " + ", ".join(wrong))
    if not names:
        problems.append(f"version script: no global names found in {path}")
    return names


def strip_attributes(decl: str) -> str:
    """Remove __attribute__((...)) and upper-case function-like macros such as MODELLIX_DEPRECATED(...)."""
    while True:
        match = re.search(r"\b(?:__attribute__|__declspec|[A-Z][A-Z0-9_]*)\s*\(", decl)
        if match is None:
            return decl
        depth, i = 0, match.end() - 1
        for i in range(match.end() - 1, len(decl)):
            depth += {"(": 1, ")": -1}.get(decl[i], 0)
            if depth == 0:
                break
        decl = decl[:match.start()] + " " + decl[i + 1:]


def declared(include_dir: str):
    """Return {name: header} for the functions (and objects) declared with MODELLIX_API."""
    names = {}
    for header in sorted(Path(include_dir).glob("*.h")):
        text = strip_comments(header.read_text())
        text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)  # preprocessor lines
        for decl in re.findall(r"\bMODELLIX_API\b([^;{]*)", text):
            decl = strip_attributes(" ".join(decl.split()))
            match = (re.search(r"\(\s*\*\s*([A-Za-z_]\w*)\s*\(", decl)  # T (*name(params))(params)
                     or re.search(r"([A-Za-z_]\w*)\s*\(", decl)  # T name(params)
                     or re.search(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*(?:=.*)?$", decl))  # T name;
            if match is None:
                names[f"<unparsed in {header.name}: {decl}>"] = header.name
            else:
                names[match.group(1)] = header.name
    return names


def baseline_symbols(path: str):
    """Return {name: version} for the ELF symbols recorded in an abidw baseline."""
    text = Path(path).read_text()
    return {m.group(1): m.group(2) for m in re.finditer(r"<elf-symbol name='([^']+)' version='([^']*)'", text)}


def report(title: str, names) -> None:
    print(f"{title}:")
    for name in sorted(names):
        print(f"    {name}")


def main() -> int:
    if len(sys.argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    lib, mapfile, include_dir = sys.argv[1:4]
    problems = []
    symbols, nodes = exported(lib, os.environ.get("NM", "nm"))
    mapped = version_script(mapfile, problems)
    headers = declared(include_dir)

    sets = {"exported by the library": set(symbols), "listed in the version script": set(mapped),
            "declared MODELLIX_API in the headers": set(headers)}
    labels = list(sets)
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            if sets[a] - sets[b]:
                problems.append(f"{len(sets[a] - sets[b])} name(s) {a} but not {b}")
                report(f"{a}, not {b}", sets[a] - sets[b])
            if sets[b] - sets[a]:
                problems.append(f"{len(sets[b] - sets[a])} name(s) {b} but not {a}")
                report(f"{b}, not {a}", sets[b] - sets[a])

    for name, version in sorted(symbols.items()):
        if version is None:
            problems.append(f"{name} is exported without a symbol version")
        elif name in mapped and version != mapped[name]:
            problems.append(f"{name} is bound to {version}, but the version script lists it in {mapped[name]}")
    for node in sorted(set(mapped.values()) - nodes):
        problems.append(f"version node {node} is not defined in the library")

    if len(sys.argv) == 5:
        released = baseline_symbols(sys.argv[4])
        released_nodes = set(released.values())
        for name, version in sorted(released.items()):
            if symbols.get(name) != version:
                problems.append(f"{name} was released in {version} (abi/libmodellix.abi) but is now "
                                + (f"bound to {symbols[name]}" if name in symbols else "not exported"))
        for name, version in sorted(symbols.items()):
            if name not in released and version in released_nodes:
                problems.append(f"{name} is new but bound to the released node {version}: add a new node "
                                "to the version script (or, before the first release, regenerate the "
                                "baseline with scripts/abi-baseline.sh)")

    for problem in problems:
        print("FAIL: " + problem)
    if problems:
        return 1
    print(f"ok: {len(symbols)} symbols exported, listed and declared alike, in node(s) "
          + ", ".join(sorted(nodes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Write debian/libmodellix1.symbols from lib/libmodellix.map: every symbol of node MODELLIX_1.<n>
(and the node itself) with the minimal version 1.<n>.0, the release that added it.

  debian/gen-symbols.py            rewrite debian/libmodellix1.symbols
  debian/gen-symbols.py --check    exit 1 if it is not what the map gives (suite abi runs this)

Run it in the commit that adds symbols to the map; the package build (DPKG_GENSYMBOLS_CHECK_LEVEL=4)
then fails if the library exports anything the file does not list, or lacks anything it lists."""
import os
import re
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
mapfile = os.path.join(root, "lib", "libmodellix.map")
symfile = os.path.join(root, "debian", "libmodellix1.symbols")

lines = ["libmodellix.so.1 libmodellix1 #MINVER#", "* Build-Depends-Package: libmodellix-dev"]
entries = []
for m in re.finditer(r"\bMODELLIX_(\d+)\.(\d+)\s*\{(.*?)\}", open(mapfile, encoding="utf-8").read(), re.S):
    node, version = f"MODELLIX_{m.group(1)}.{m.group(2)}", f"{m.group(1)}.{m.group(2)}.0"
    entries.append(f" {node}@{node} {version}")
    entries += [f" {sym}@{node} {version}" for sym in re.findall(r"\b(modellix_\w+)\s*;", m.group(3))]
text = "\n".join(lines + sorted(entries)) + "\n"

if sys.argv[1:] == ["--check"]:
    current = open(symfile, encoding="utf-8").read() if os.path.exists(symfile) else ""
    if current != text:
        print("debian/libmodellix1.symbols is not what lib/libmodellix.map gives: run debian/gen-symbols.py")
        sys.exit(1)
    print(f"debian/libmodellix1.symbols matches lib/libmodellix.map ({len(entries)} entries)")
    sys.exit(0)
with open(symfile, "w", encoding="utf-8") as fh:
    fh.write(text)
print(f"wrote {symfile} ({len(entries)} entries)")

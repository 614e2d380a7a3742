#!/usr/bin/env python3
"""README.md's "A minimal program" block must be examples/minimal.c without its opening comment, so the
program the README shows is the one the tests build and run.  usage: check_readme_example.py README C-FILE"""
import re
import sys

readme, source = open(sys.argv[1], encoding="utf-8").read(), open(sys.argv[2], encoding="utf-8").read()
section = readme.split("## A minimal program", 1)[1]
block = re.search(r"```c\n(.*?)```", section, re.S)
program = re.sub(r"\A/\*.*?\*/\n", "", source, flags=re.S)
if block is None or block.group(1) != program:
    print("FAIL: README.md's minimal program differs from examples/minimal.c (minus its first comment)")
    sys.exit(1)
print("PASS: README.md shows examples/minimal.c")

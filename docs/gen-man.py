#!/usr/bin/env python3
"""Man pages (section 3) for every public libmodellix function, from the documentation comments in
include/modellix/*.h: the headers are the reference, the pages are rendered from them.

  gen-man.py --list HEADER...            print the page file names (for meson)
  gen-man.py --out DIR HEADER...         write one page per function, plus modellix.3
  gen-man.py --check HEADER...           fail if a MODELLIX_API function has no documentation comment,
                                         or a rendered page has a line troff would indent
"""
import datetime
import os
import re
import sys

DECL = re.compile(r"/\*\*(?P<doc>(?:(?!\*/).)*?)\*/\s*(?P<decl>MODELLIX_API\b[^;]*;)", re.S)
NAME = re.compile(r"\b(modellix_[a-z0-9_]+)\s*\(")
ANY_DECL = re.compile(r"^MODELLIX_API\b[^;]*?\b(modellix_[a-z0-9_]+)\s*\(", re.M | re.S)


def functions(headers):
    """(name, header, doc text, declaration) for each documented public function."""
    out = []
    for h in headers:
        text = open(h, encoding="utf-8").read()
        for m in DECL.finditer(text):
            decl = m.group("decl")
            name = NAME.search(decl)
            if name:
                out.append((name.group(1), os.path.basename(h), m.group("doc"), decl))
    return out


def undocumented(headers):
    documented = {f[0] for f in functions(headers)}
    missing = []
    for h in headers:
        for m in ANY_DECL.finditer(open(h, encoding="utf-8").read()):
            if m.group(1) not in documented:
                missing.append(f"{os.path.basename(h)}: {m.group(1)}")
    return missing


def clean(doc):
    lines = []
    for line in doc.splitlines():
        line = re.sub(r"^\s*\* ?", "", line).rstrip()
        lines.append(line)
    return "\n".join(lines).strip()


def roff(text):
    text = text.replace("\\", "\\e")
    text = re.sub(r"::(MODELLIX_\w+|modellix_\w+)", r"\1", text)
    text = re.sub(r"@p (\w+)", r"\\fI\1\\fP", text)
    text = re.sub(r"\b(modellix_\w+)\(\)", r"\\fB\1\\fP()", text)
    out = []
    for line in text.splitlines():
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def page_date(version):
    """The date field of .TH: never the build date (the pages must be reproducible). SOURCE_DATE_EPOCH
    when the builder sets one (Debian does, from debian/changelog), else the version."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date().isoformat()
    return f"libmodellix {version}"


def page(name, header, doc, decl, version):
    body = clean(doc)
    params, returns, desc = [], [], []
    current = desc
    for line in body.splitlines():
        m = re.match(r"@param(?:\[(\w+)\])?\s+(\w+)\s*(.*)", line)
        if m:
            params.append([m.group(2), (m.group(1) + ": " if m.group(1) else "") + m.group(3)])
            current = params
            continue
        m = re.match(r"@return\s*(.*)", line)
        if m:
            returns.append(m.group(1))
            current = returns
            continue
        if current is params and params:
            params[-1][1] += " " + line.strip()
        elif current is returns:
            # a continuation of a multi-line @return: its alignment spaces would make troff break and
            # indent the line, so it joins the paragraph
            returns.append(line.strip())
        else:
            desc.append(line)
    summary = re.split(r"(?<=[.:])\s", " ".join(l.strip() for l in desc if l.strip()), maxsplit=1)[0] if desc else name
    summary = summary.rstrip(".")
    decl = re.sub(r"\s+", " ", decl.replace("MODELLIX_API ", "").replace("MODELLIX_NODISCARD ", ""))
    out = [f'.TH {name.upper()} 3 "{page_date(version)}" "libmodellix {version}" "libmodellix Manual"',
           ".SH NAME", f"{name} \\- {roff(summary)}",
           ".SH SYNOPSIS", ".nf", ".B #include <modellix/modellix.h>", ".PP", roff(decl), ".fi",
           ".PP", "Link with \\fI\\-lmodellix\\fP (pkg-config module \\fImodellix\\fP).",
           ".SH DESCRIPTION", roff("\n".join(desc).strip()).replace("\n\n", "\n.PP\n")]
    if params:
        out.append(".SH PARAMETERS")
        for pname, ptext in params:
            out += [".TP", f"\\fI{pname}\\fP", roff(ptext.strip())]
    if returns:
        out += [".SH RETURN VALUE", roff("\n".join(returns).strip())]
    out += [".SH SEE ALSO", f"\\fBmodellix\\fP(3), <modellix/{header}>", ""]
    return "\n".join(out)


def overview(funcs, version):
    lines = [f'.TH MODELLIX 3 "{page_date(version)}" "libmodellix {version}" "libmodellix Manual"',
             ".SH NAME", "modellix \\- the C SDK for the Modellix image and video generation API",
             ".SH SYNOPSIS", ".nf", ".B #include <modellix/modellix.h>", ".fi",
             ".SH DESCRIPTION",
             "Submit paid generation tasks, wait for them (one or many, with one deadline per call),",
             "and download their results safely. Every fallible function returns MODELLIX_OK (0) or a",
             "negative MODELLIX_E* code; details are on the object that failed. See README.md.",
             ".SH FUNCTIONS"]
    for name, header, _, _ in sorted(funcs):
        lines += [".TP", f"\\fB{name}\\fP(3)", f"<modellix/{header}>"]
    lines.append("")
    return "\n".join(lines)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode = argv[1]
    version = os.environ.get("MODELLIX_VERSION", "")
    if mode == "--check":
        missing = undocumented(argv[2:])
        for m in missing:
            print(f"undocumented public function: {m}")
        # a rendered line that starts with a space is a troff break plus a stray indent
        for name, header, doc, decl in functions(argv[2:]):
            for n, line in enumerate(page(name, header, doc, decl, version).splitlines(), 1):
                if line[:1] in (" ", "\t"):
                    missing.append(f"{name}.3 line {n} starts with white space: {line!r}")
                    print(f"mis-indented: {missing[-1]}")
        print(f"{len(functions(argv[2:]))} documented, {len(missing)} undocumented")
        return 1 if missing else 0
    if mode == "--list":
        for f in sorted(functions(argv[2:])):
            print(f[0] + ".3")
        print("modellix.3")
        return 0
    if mode == "--out":
        outdir, headers = argv[2], argv[3:]
        funcs = functions(headers)
        for name, header, doc, decl in funcs:
            with open(os.path.join(outdir, name + ".3"), "w", encoding="utf-8") as fh:
                fh.write(page(name, header, doc, decl, version))
        with open(os.path.join(outdir, "modellix.3"), "w", encoding="utf-8") as fh:
            fh.write(overview(funcs, version))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

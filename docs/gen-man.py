#!/usr/bin/env python3
"""Man pages (section 3) and an HTML reference for every public libmodellix function, from the
documentation comments in include/modellix/*.h: the headers are the reference, the pages are rendered
from them.

  gen-man.py --list HEADER...                      print the page file names (for meson)
  gen-man.py --out DIR [--example FILE] HEADER...  write one page per function, plus modellix.3
  gen-man.py --html DIR [--example FILE] HEADER... write DIR/index.html, the same reference in HTML
  gen-man.py --snippets FILE HEADER...             write every @example into FILE as a C function, so
                                                   the build compiles them (-Werror)
  gen-man.py --check [--map FILE] HEADER...        fail if a MODELLIX_API function has no documentation
                                                   comment or no @since, if @since disagrees with the
                                                   function's node in the version script (--map), if
                                                   a main call has no @example, or if a rendered page
                                                   has a line troff would indent

Tags in a comment: @param[dir] NAME text, @return text, @since MAJOR.MINOR (the release that added the
function), and @example, after which the rest of the comment (up to the next tag) is a code snippet.
--example FILE is a complete program shown in modellix(3) (examples/minimal.c).
The .TH date is SOURCE_DATE_EPOCH's when set, else the version: never the build date.
"""
import datetime
import html
import os
import re
import sys
import textwrap

DECL = re.compile(r"/\*\*(?P<doc>(?:(?!\*/).)*?)\*/\s*(?P<decl>MODELLIX_API\b[^;]*;)", re.S)
NAME = re.compile(r"\b(modellix_[a-z0-9_]+)\s*\(")
ANY_DECL = re.compile(r"^MODELLIX_API\b[^;]*?\b(modellix_[a-z0-9_]+)\s*\(", re.M | re.S)
SINCE = re.compile(r"@since\s+(\d+\.\d+)")
NODE = re.compile(r"\b(MODELLIX_(\d+\.\d+))\s*\{(.*?)\}", re.S)

# The calls a new user meets first: their pages must show an example.
MAIN_CALLS = ("modellix_client_new", "modellix_task_submit", "modellix_task_wait", "modellix_client_wait_all",
              "modellix_task_download")


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


def map_versions(path):
    """{symbol: "1.0", ...} from the version script's nodes."""
    out = {}
    for m in NODE.finditer(open(path, encoding="utf-8").read()):
        for sym in re.findall(r"\b(modellix_\w+)\s*;", m.group(3)):
            out[sym] = m.group(2)
    return out


def clean(doc):
    lines = []
    for line in doc.splitlines():
        line = re.sub(r"^\s*\* ?", "", line).rstrip()
        lines.append(line)
    return "\n".join(lines).strip()


class Doc:
    """A documentation comment split into its parts."""

    def __init__(self, doc):
        body = clean(doc)
        since = SINCE.findall(body)
        self.since = since[0] if since else None
        body = SINCE.sub("", body)
        self.params, self.returns, self.desc, self.example = [], [], [], []
        current = self.desc
        for line in body.splitlines():
            if current is self.example and not line.lstrip().startswith("@"):
                self.example.append(line)
                continue
            m = re.match(r"@param(?:\[(\w+)\])?\s+(\w+)\s*(.*)", line)
            if m:
                self.params.append([m.group(2), (m.group(1) + ": " if m.group(1) else "") + m.group(3)])
                current = self.params
                continue
            m = re.match(r"@return\s*(.*)", line)
            if m:
                self.returns.append(m.group(1))
                current = self.returns
                continue
            if re.match(r"@example\s*$", line):
                current = self.example
                continue
            if current is self.params and self.params:
                self.params[-1][1] += " " + line.strip()
            elif current is self.returns:
                # a continuation of a multi-line @return: its alignment spaces would make troff break
                # and indent the line, so it joins the paragraph
                self.returns.append(line.strip())
            else:
                self.desc.append(line)
        self.example = textwrap.dedent("\n".join(self.example)).strip("\n").splitlines()
        words = " ".join(line.strip() for line in self.desc if line.strip())
        self.summary = re.split(r"(?<=[.:])\s", words, maxsplit=1)[0].rstrip(".") if words else ""


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


def roff_code(lines):
    """Literal lines for .nf/.fi: backslashes escaped, control characters at a line start neutralised."""
    out = []
    for line in lines:
        line = line.replace("\\", "\\e")
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return out


def page_date(version):
    """The date field of .TH: never the build date (the pages must be reproducible). SOURCE_DATE_EPOCH
    when the builder sets one (Debian does, from debian/changelog), else the version."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date().isoformat()
    return f"libmodellix {version}"


def th(name, section, version):
    return f'.TH {name.upper()} {section} "{page_date(version)}" "libmodellix {version}" "libmodellix Manual"'


def synopsis(decl):
    return re.sub(r"\s+", " ", decl.replace("MODELLIX_API ", "").replace("MODELLIX_NODISCARD ", ""))


def see_also(name, d, known):
    """modellix(3) and the documented functions the page mentions."""
    text = "\n".join(d.desc + d.returns + [p[1] for p in d.params])
    refs = sorted({r for r in re.findall(r"\b(modellix_\w+)\(\)", text) if r in known and r != name})
    return ["modellix"] + refs


def page(name, header, doc, decl, version, known=()):
    d = Doc(doc)
    out = [th(name, 3, version),
           ".SH NAME", f"{name} \\- {roff(d.summary or name)}",
           ".SH SYNOPSIS", ".nf", ".B #include <modellix/modellix.h>", ".PP", roff(synopsis(decl)), ".fi",
           ".PP", "Link with \\fI\\-lmodellix\\fP (pkg-config module \\fImodellix\\fP).",
           ".SH DESCRIPTION", roff("\n".join(d.desc).strip()).replace("\n\n", "\n.PP\n")]
    if d.params:
        out.append(".SH PARAMETERS")
        for pname, ptext in d.params:
            out += [".TP", f"\\fI{pname}\\fP", roff(ptext.strip())]
    if d.returns:
        out += [".SH RETURN VALUE", roff("\n".join(d.returns).strip())]
    if d.since:
        out += [".SH VERSIONS", f"Added in libmodellix {d.since}."]
    out.append(".SH EXAMPLE")
    if d.example:
        out += [".PP", ".in +4n", ".EX"] + roff_code(d.example) + [".EE", ".in", ".PP",
                "A complete program is in \\fBmodellix\\fP(3)."]
    else:
        out.append("A complete program that submits a task, waits for it and downloads its result is in "
                   "\\fBmodellix\\fP(3).")
    refs = see_also(name, d, known)
    out += [".SH SEE ALSO", ",\n".join(f"\\fB{r}\\fP(3)" for r in refs) + f",\n<modellix/{header}>", ""]
    return "\n".join(out)


# The overview page: modellix(3). Each entry of the flow is (heading, paragraphs); `name()` in the text
# is set in bold.
OVERVIEW = [
    ("THE FLOW", [
        "A generation is a paid task on the Modellix service: you submit it, the service answers at once "
        "with a task id, the task runs for seconds (images) to minutes (videos), and its result files can "
        "be downloaded for about 24 hours after it ends. A program does this in four calls:",
        "1. modellix_client_new() makes a client: one connection pool, one API key, one service origin. "
        "With NULL options the key comes from the environment variable MODELLIX_API_KEY and the origin "
        "from MODELLIX_BASE_URL (default https://api.modellix.ai), like any program; "
        "modellix_options_new() and its setters configure everything else (timeouts, retries, logging, "
        "how many tasks run at once).",
        "2. modellix_task_submit() sends the paid request for a model (its slug, such as "
        "bytedance/seedream-4.5-t2i) with the model's JSON body, and returns a task with its id. "
        "modellix_task_submit_async() queues many submissions instead, within the client's max_in_flight.",
        "3. modellix_task_wait() polls the task until it succeeds or fails, or the timeout passes; "
        "modellix_client_wait_all() and modellix_client_wait_any() wait for many tasks with one deadline "
        "and one shared poll schedule. An event loop uses modellix_client_backend_fd(), "
        "modellix_client_backend_timeout() and modellix_client_step() instead of blocking.",
        "4. modellix_task_download() saves a result file into a directory (atomically, under a safe "
        "name); modellix_task_download_mem() returns it in memory and modellix_task_download_all() saves "
        "every file. modellix_task_resource_count() and the modellix_task_resource_*() accessors "
        "describe them.",
        "A task made by another program or an earlier run is resumed from its id with "
        "modellix_task_attach(). Free tasks with modellix_task_free() and the client with "
        "modellix_client_free(), tasks first.",
    ]),
    ("ERRORS", [
        "Every function that can fail returns MODELLIX_OK (0) or a negative MODELLIX_E* code whose "
        "value never changes; modellix_strerror() names it. The details (the service's message, the "
        "HTTP status, the request id) are on the object that failed: modellix_client_errmsg() for the "
        "last call on a client, modellix_task_errmsg() for a task. Messages never contain the API key.",
        "MODELLIX_ETIMEOUT and MODELLIX_ECANCELED end a wait, not a task: the task keeps its id and can "
        "be waited for again. MODELLIX_ETASK_FAILED means the service ran the task and it failed.",
    ]),
    ("MONEY", [
        "A submission is sent once. A failure that proves nothing reached the service (connection "
        "refused, HTTP 429) is retried; a failure after the request may have been processed (a timeout, "
        "a reset, a 5xx) returns MODELLIX_EOUTCOME_UNKNOWN and is never sent again unless a retry policy "
        "asks for it. Whenever a task was accepted, print or store modellix_task_id() before anything "
        "else can fail: a paid task whose result cannot be downloaded now can be fetched later by its "
        "id, until its files expire.",
    ]),
    ("THREADS", [
        "A client and its tasks may be used from any thread, by one thread at a time; distinct clients "
        "are independent. modellix_client_cancel() is the one call that is safe from another thread "
        "while the client is in use: the blocking call returns MODELLIX_ECANCELED. Callbacks run on the "
        "thread inside the libmodellix call. modellix_client_new() initialises the library on first use; "
        "calling modellix_global_init() from main() before any thread starts (and "
        "modellix_global_cleanup() at the end) is recommended, as libcurl advises.",
    ]),
    ("MEMORY", [
        "Out-parameters come first. Inputs are copied. Strings a function returns are borrowed: they "
        "live as long as their object (a task's until its next poll). Memory the library allocates for "
        "you (paths, JSON exports) is released with modellix_free(). Every _free function accepts NULL.",
    ]),
]


def overview(funcs, version, example=None):
    lines = [th("modellix", 3, version),
             ".SH NAME", "modellix \\- the C SDK for the Modellix image and video generation API",
             ".SH SYNOPSIS", ".nf", ".B #include <modellix/modellix.h>", ".fi", ".PP",
             "Link with \\fI\\-lmodellix\\fP: \\fBpkg-config \\-\\-cflags \\-\\-libs modellix\\fP, "
             "or in CMake \\fBfind_package(modellix)\\fP and the target \\fImodellix::modellix\\fP.",
             ".SH DESCRIPTION",
             "libmodellix submits paid generation tasks to the Modellix REST API, waits for them (one or "
             "many, each call with one deadline) and downloads their results safely. This page teaches "
             "the flow; each function has a page of its own, listed below."]
    for heading, paras in OVERVIEW:
        lines.append(f".SH {heading}")
        for i, p in enumerate(paras):
            if i:
                lines.append(".PP")
            lines.append(roff(p))
    lines += [".SH ENVIRONMENT", ".TP", ".B MODELLIX_API_KEY",
              "The API key, used when the options set none.", ".TP", ".B MODELLIX_BASE_URL",
              "The service origin, used when the options set none (a local test server such as "
              "\\fBmodellix-mock\\fP(1) for instance)."]
    if example:
        lines += [".SH EXAMPLE", "Generate one image and save it in the current directory; on any failure "
                  "after the task was accepted, its id is printed so it can be fetched later "
                  "(\\fBmodellix task get\\fP \\fIID\\fP, see \\fBmodellix\\fP(1)).",
                  ".PP", ".in +4n", ".EX"] + roff_code(example) + [".EE", ".in", ".PP",
                  "Build and run it:", ".PP", ".in +4n", ".EX",
                  "cc minimal.c $(pkg\\-config \\-\\-cflags \\-\\-libs modellix) \\-o minimal",
                  "MODELLIX_API_KEY=... ./minimal", ".EE", ".in"]
    lines.append(".SH FUNCTIONS")
    by_header = {}
    for name, header, doc, _ in sorted(funcs):
        by_header.setdefault(header, []).append((name, Doc(doc)))
    for header in sorted(by_header):
        lines += [".SS", f"<modellix/{header}>"]
        for name, d in by_header[header]:
            since = f" (since {d.since})" if d.since else ""
            lines += [".TP", f"\\fB{name}\\fP(3){since}", roff(d.summary or name)]
    lines += [".SH SEE ALSO", "\\fBmodellix\\fP(1), \\fBmodellix-mock\\fP(1), README.md and CHANGELOG.md in "
              "/usr/share/doc/libmodellix (or the source tree)", ""]
    return "\n".join(lines)


def html_reference(funcs, version, example=None):
    esc = html.escape

    def text(s):
        s = esc(re.sub(r"::(MODELLIX_\w+|modellix_\w+)", r"\1", s))
        s = re.sub(r"@p (\w+)", r"<var>\1</var>", s)
        return re.sub(r"\b(modellix_\w+)\(\)", lambda m: f'<a href="#{m.group(1)}">{m.group(1)}</a>()', s)

    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>libmodellix {esc(version)} reference</title>",
           "<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}"
           "pre{background:#f4f4f4;padding:.5em;overflow:auto}h2{border-top:1px solid #ccc;padding-top:.5em}"
           "</style></head><body>",
           f"<h1>libmodellix {esc(version)}</h1>",
           "<p>Generated from the documentation comments of the public headers, like the man pages.</p>"]
    for heading, paras in OVERVIEW:
        out.append(f"<h3>{esc(heading.capitalize())}</h3>")
        out += [f"<p>{text(p)}</p>" for p in paras]
    if example:
        out += ["<h3>Example</h3>", "<pre>" + esc("\n".join(example)) + "</pre>"]
    out.append("<h3>Functions</h3><ul>")
    out += [f'<li><a href="#{n}">{n}</a> ({esc(h)})</li>' for n, h, _, _ in sorted(funcs)]
    out.append("</ul>")
    for name, header, doc, decl in sorted(funcs):
        d = Doc(doc)
        out += [f'<h2 id="{name}">{name}</h2>', f"<p>{text(d.summary)}</p>",
                f"<pre>#include &lt;modellix/modellix.h&gt;\n\n{esc(synopsis(decl))}</pre>",
                "".join(f"<p>{text(p)}</p>" for p in "\n".join(d.desc).strip().split("\n\n"))]
        if d.params:
            out.append("<dl>" + "".join(f"<dt><var>{esc(p)}</var></dt><dd>{text(t)}</dd>" for p, t in d.params) + "</dl>")
        if d.returns:
            out.append(f"<p><b>Returns</b> {text(' '.join(d.returns))}</p>")
        if d.since:
            out.append(f"<p><b>Since</b> libmodellix {esc(d.since)} &middot; &lt;modellix/{esc(header)}&gt;</p>")
        if d.example:
            out.append("<pre>" + esc("\n".join(d.example)) + "</pre>")
    out.append("</body></html>\n")
    return "\n".join(out)


def snippets(funcs):
    """Every @example as the body of a function whose parameters are the names the snippets use."""
    out = ["/* Generated by docs/gen-man.py --snippets from the @example blocks of the public headers. */",
           "#include <modellix/modellix.h>", "#include <stdio.h>", ""]
    for name, _, doc, _ in sorted(funcs):
        d = Doc(doc)
        if not d.example:
            continue
        proto = (f"int example_{name}(modellix_client *client, modellix_task *task, const char *slug, "
                 "const char *const *bodies)")
        out += [proto + ";", proto, "{", "    (void)client; (void)task; (void)slug; (void)bodies;", "    {"]
        out += [("        " + line) if line else "" for line in d.example]
        out += ["    }", "    return 0;", "}", ""]
    return "\n".join(out)


def check(headers, mapfile, version):
    problems = [f"undocumented public function: {m}" for m in undocumented(headers)]
    versions = map_versions(mapfile) if mapfile else {}
    funcs = functions(headers)
    known = {f[0] for f in funcs}
    for name, header, doc, decl in funcs:
        d = Doc(doc)
        if not d.since:
            problems.append(f"{header}: {name} has no @since")
        elif versions and versions.get(name) != d.since:
            problems.append(f"{header}: {name} says @since {d.since} but the version script has it in "
                            f"{'MODELLIX_' + versions[name] if name in versions else 'no node'}")
        if name in MAIN_CALLS and not d.example:
            problems.append(f"{header}: {name} is a main call and has no @example")
        # a rendered line that starts with a space is a troff break plus a stray indent
        literal = False
        for n, line in enumerate(page(name, header, doc, decl, version, known).splitlines(), 1):
            literal = (literal or line == ".EX") and line != ".EE"
            if line[:1] in (" ", "\t") and not literal:
                problems.append(f"{name}.3 line {n} starts with white space: {line!r}")
    missing_main = [c for c in MAIN_CALLS if c not in known]
    problems += [f"main call {c} not found in the headers" for c in missing_main]
    for p in problems:
        print(p)
    print(f"{len(funcs)} documented, {len(problems)} problems")
    return 1 if problems else 0


def main(argv):
    args = argv[1:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    mode = args.pop(0)
    version = os.environ.get("MODELLIX_VERSION", "")
    outdir = args.pop(0) if mode in ("--out", "--html", "--snippets") else None
    mapfile = example = None
    while args and args[0] in ("--map", "--example"):
        opt, value = args.pop(0), args.pop(0)
        if opt == "--map":
            mapfile = value
        else:
            example = open(value, encoding="utf-8").read().rstrip("\n").splitlines()
    headers = args
    if mode == "--check":
        return check(headers, mapfile, version)
    if mode == "--list":
        for f in sorted(functions(headers)):
            print(f[0] + ".3")
        print("modellix.3")
        return 0
    funcs = functions(headers)
    known = {f[0] for f in funcs}
    if mode == "--out":
        for name, header, doc, decl in funcs:
            with open(os.path.join(outdir, name + ".3"), "w", encoding="utf-8") as fh:
                fh.write(page(name, header, doc, decl, version, known))
        with open(os.path.join(outdir, "modellix.3"), "w", encoding="utf-8") as fh:
            fh.write(overview(funcs, version, example))
        return 0
    if mode == "--snippets":
        with open(outdir, "w", encoding="utf-8") as fh:
            fh.write(snippets(funcs))
        return 0
    if mode == "--html":
        with open(os.path.join(outdir, "index.html"), "w", encoding="utf-8") as fh:
            fh.write(html_reference(funcs, version, example))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

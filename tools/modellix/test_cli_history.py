"""task history and task wait --pending of the modellix tool, on the library's task journal, against the
standalone mock.

Checked: the official CLI's JSON shape (entries newest first with taskId, createdAt, updatedAt, baseUrl,
modelSlug, profile, status; historyPath, ok, total), statuses following the tasks (submitted, success,
failed, outcome-unknown for a submission without an id), --limit, --profile / MODELLIX_PROFILE,
--clear --yes, task wait --pending resuming exactly the unfinished tasks, a kill -9 during a batch
leaving every task the mock created accounted for, and that neither the key nor the body reaches the
journal (mode 0600)."""
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import time

from cli_harness import KEY, SLUG, Mock, check, finish, report, run, run_json, start

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SECRET = "secret-prompt-6d1f"

mock = Mock("--max-running", "0")
home = tempfile.mkdtemp(prefix="modellix-cli-history-")
try:
    state = os.path.join(home, "state")
    journal = os.path.join(state, "modellix", "tasks.journal")
    ENV = {"XDG_STATE_HOME": state}

    def tool(args, env=None, **kw):
        e = dict(ENV)
        e.update(env or {})
        return run(mock, args, env_extra=e, home=home, **kw)

    def tool_json(args, env=None, **kw):
        e = dict(ENV)
        e.update(env or {})
        return run_json(mock, args, env_extra=e, home=home, **kw)

    def history(*extra, env=None):
        rc, doc, err = tool_json(["task", "history", "--json"] + list(extra), env=env)
        return doc if rc == 0 else None

    rc, doc, err = tool_json(["task", "history", "--json"])
    check(rc == 0 and doc == {"entries": [], "historyPath": journal, "ok": True, "total": 0},
          "empty history: shape, path under XDG_STATE_HOME (%d %r)" % (rc, doc))
    rc, out, err = tool(["task", "history"])
    check(rc == 0 and out == "No local task history.\n", "empty history (human)")

    # ---- submissions are recorded with their ids; statuses follow the tasks ----
    mock.reset()
    body = json.dumps({"prompt": SECRET, "mock_duration_ms": 60000})
    _, out1, _ = tool(["model", "run", SLUG, "--body", body, "--output", "task-id"])
    _, out2, _ = tool(["model", "run", "google/nano-banana-2", "--body", body, "--output", "task-id"])
    id1, id2 = out1.strip(), out2.strip()
    doc = history()
    ok = doc is not None and doc["total"] == 2 and [e["taskId"] for e in doc["entries"]] == [id2, id1]
    if ok:
        for e, slug in zip(doc["entries"], ["google/nano-banana-2", SLUG]):
            ok = ok and list(e) == ["taskId", "createdAt", "updatedAt", "baseUrl", "modelSlug", "profile", "status"] \
                and ISO.match(e["createdAt"]) and ISO.match(e["updatedAt"]) and e["baseUrl"] == mock.url and \
                e["modelSlug"] == slug and e["profile"] == "default" and e["status"] == "submitted"
    check(ok and os.path.isfile(journal) and stat.S_IMODE(os.stat(journal).st_mode) == 0o600,
          "two submissions: newest first, official entry keys, status submitted, journal 0600")
    rc, out, err = tool(["task", "history"])
    lines = out.splitlines()
    check(rc == 0 and len(lines) == 2 and lines[0].split("\t")[1:] == ["default", id2, "google/nano-banana-2",
                                                                         "submitted", mock.url],
          "history (human): tab-separated rows")
    rc, out, err = tool(["task", "history", "-q"])
    check(rc == 0 and out.split() == [id2, id1], "history -q: the ids")
    doc = history("--limit", "1")
    check(doc and doc["total"] == 2 and [e["taskId"] for e in doc["entries"]] == [id2], "history --limit 1")

    rc, doc, err = tool_json(["model", "run", SLUG, "--body", '{"prompt":"w"}', "--wait", "--interval", "100ms"])
    done_id = doc["data"]["task_id"] if doc else ""
    rc, doc, err = tool_json(["model", "run", SLUG, "--body", '{"prompt":"f","mock_outcome":"failed"}', "--wait",
                              "--interval", "100ms"])
    failed_id = doc["data"]["task_id"] if doc else ""
    doc = history()
    st = {e["taskId"]: e["status"] for e in doc["entries"]} if doc else {}
    check(st.get(done_id) == "success" and st.get(failed_id) == "failed" and st.get(id1) == "submitted",
          "model run --wait: final states recorded (success, failed)")

    # ---- a submission whose outcome is unknown is listed without an id ----
    mock.post("/_mock/faults", {"route": "submit", "kind": "status", "status": 502, "count": 1, "after_create": True})
    before = mock.counters()["tasks_created"]
    rc, out, err = tool(["model", "run", SLUG, "--body", '{"prompt":"u"}'])
    created = mock.counters()["tasks_created"] - before
    doc = history()
    unknown = [e for e in doc["entries"] if e["status"] == "outcome-unknown"] if doc else []
    check(rc == 1 and created == 1 and len(unknown) == 1 and unknown[0]["taskId"] is None and
          unknown[0]["intentId"] and unknown[0]["modelSlug"] == SLUG and err.count("outcome is unknown") == 1,
          "an outcome-unknown submission: listed with status outcome-unknown, taskId null, advice printed once "
          "(%d %r)" % (rc, err))
    rc, out, err = tool(["task", "history"])
    check("(no task id)" in out and "unknown outcome" in err, "history (human) flags the unknown outcome")

    # ---- profiles: MODELLIX_PROFILE labels the entries; --profile filters ----
    _, outw, _ = tool(["model", "run", SLUG, "--body", '{"prompt":"p","mock_duration_ms":60000}', "--output",
                       "task-id"], env={"MODELLIX_PROFILE": "work"})
    idw = outw.strip()
    doc = history("--profile", "work")
    check(doc and doc["profile"] == "work" and doc["total"] == 1 and doc["entries"][0]["taskId"] == idw and
          doc["entries"][0]["profile"] == "work", "history --profile work: only that profile's entry")
    doc = history(env={"MODELLIX_PROFILE": "work"})
    check(doc and doc["total"] == 1, "MODELLIX_PROFILE filters too")

    # ---- task wait --pending resumes exactly the unfinished tasks of this profile and base URL ----
    mock.post("/_mock/config", {"duration_ms": 300})
    fast = [tool(["model", "run", SLUG, "--body", '{"prompt":"r%d","mock_duration_ms":800}' % i, "--output",
                  "task-id"])[1].strip() for i in range(2)]
    rc, doc, err = tool_json(["task", "wait", "--pending", "--interval", "100ms", "--timeout", "3s"])
    # id1 and id2 run for 60 s: the wait times out on them, the two fast ones finish
    ids = sorted(doc["unfinishedTaskIds"] + [c["taskId"] for c in doc["completed"]]) if doc else []
    check(rc == 124 and ids == sorted([id1, id2] + fast) and
          sorted(c["taskId"] for c in doc["completed"]) == sorted(fast) and idw not in ids and
          "unknown outcome" in err, "task wait --pending: this profile's unfinished tasks only (%d %s)" % (rc, ids))
    doc = history()
    st = {e["taskId"]: e["status"] for e in doc["entries"]} if doc else {}
    check(all(st.get(i) == "success" for i in fast) and st.get(id1) == "submitted",
          "the resumed tasks' final states are recorded")
    _, out3, _ = tool(["model", "run", SLUG, "--body", '{"prompt":"s","mock_duration_ms":300}', "--output",
                       "task-id"])
    id3 = out3.strip()
    st = {e["taskId"]: e["status"] for e in history()["entries"]}
    rc, doc, err = tool_json(["task", "wait", id3, "--interval", "100ms"])
    st2 = {e["taskId"]: e["status"] for e in history()["entries"]}
    check(rc == 0 and st.get(id3) == "submitted" and st2.get(id3) == "success" and st2.get(id1) == "submitted",
          "task wait <id> of a journal entry records its final state")
    rc, doc, err = tool_json(["task", "wait", "--pending"], env={"MODELLIX_PROFILE": "other"})
    check(rc == 0 and doc == {"tasks": []}, "task wait --pending with nothing unfinished: {tasks: []}")
    rc, out, err = tool(["task", "wait", "--pending", id1])
    check(rc == 2, "task wait --pending with ids: exit 2")

    # ---- neither the key nor the body ever reaches the journal ----
    leaked = []
    for d, _, files in os.walk(state):
        for name in files:
            with open(os.path.join(d, name), "rb") as f:
                data = f.read()
            if KEY.encode() in data or SECRET.encode() in data or b"mock_duration_ms" in data:
                leaked.append(name)
    check(leaked == [] and os.path.getsize(journal) > 0, "no key or body bytes in the journal (%r)" % leaked)

    # ---- kill -9 during a batch: every task the mock created is accounted for ----
    rc, out, err = tool(["task", "history", "--clear", "--yes"])
    mock.reset()
    lines = "".join(json.dumps({"modelSlug": SLUG, "body": {"prompt": "k%d" % i, "mock_duration_ms": 600000}}) + "\n"
                    for i in range(6))
    bf = os.path.join(home, "batch.jsonl")
    with open(bf, "w") as f:
        f.write(lines)
    p = start(mock, ["model", "batch", bf, "--yes", "--concurrency", "4"], env_extra=ENV, home=home)
    mock.wait_for(lambda c: c["tasks_created"] >= 2)
    p.send_signal(signal.SIGKILL)
    finish(p)
    time.sleep(0.2)
    created = mock.counters()["tasks_created"]
    doc = history("--limit", "100")
    known = [e for e in doc["entries"] if e["taskId"]] if doc else []
    unknown = [e for e in doc["entries"] if e["status"] == "outcome-unknown"] if doc else []
    check(created >= 2 and len(known) + len(unknown) >= created and all(mock.task_exists(e["taskId"]) for e in known),
          "kill -9 during a batch: %d created, %d ids + %d unknown in the journal" % (created, len(known), len(unknown)))

    # ---- clearing ----
    rc, out, err = tool(["task", "history", "--clear"])
    check(rc == 1 and "Pass --yes" in err and history()["total"] > 0, "--clear without --yes: refused")
    rc, out, err = tool(["task", "history", "--yes"])
    check(rc == 2, "--yes without --clear: exit 2")
    rc, doc, err = tool_json(["task", "history", "--clear", "--yes", "--json"])
    check(rc == 0 and doc == {"cleared": True, "historyPath": journal, "ok": True} and history()["total"] == 0 and
          "had not finished" in err, "--clear --yes --json: shape, emptied, unfinished entries warned about")

finally:
    mock.stop()
    shutil.rmtree(home, True)

report()

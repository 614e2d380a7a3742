"""SIGINT and SIGTERM during the long commands of the modellix tool, against the standalone mock.

Each case starts the tool on slow tasks, waits until the mock has seen what matters (the submit
answered, the poll or the file request arrived), sends the signal, and checks: the exit code
(130 / 143), that every task id the mock created is printed on stderr (and in the JSON document with
--json) together with the resume command, that nothing was submitted after the signal, that no
partial download is left, and that the tool stopped promptly."""
import glob
import json
import os
import signal
import tempfile
import time

from cli_harness import SLUG, Mock, check, finish, report, start

SLOW = '{"prompt":"slow","mock_duration_ms":600000}'


def ok200(c, route):
    return c["status"][route].get("200", 0)


def signal_and_finish(p, sig):
    t0 = time.monotonic()
    p.send_signal(sig)
    rc, out, err = finish(p)
    return rc, out, err, time.monotonic() - t0


def ids_in(text, ids):
    return all(i in text for i in ids)


mock = Mock("--max-running", "0")
try:
    # ---- model run --wait, SIGINT, human output ----
    mock.reset()
    p = start(mock, ["model", "run", SLUG, "--body", SLOW, "--wait", "--interval", "100ms"])
    seen = mock.wait_for(lambda c: ok200(c, "submit") == 1 and c["requests"]["task"] >= 1)
    rc, out, err, took = signal_and_finish(p, signal.SIGINT)
    c = mock.counters()
    created = c["tasks_created"]
    ids = [w for w in err.split() if w.startswith("task-")]
    tid = ids[0] if ids else ""
    check(seen and rc == 130 and created == 1 and tid and mock.task_exists(tid) and
          ("Resume with: modellix task wait %s" % tid) in err and out == "" and took < 2.0,
          "model run --wait + SIGINT: exit 130, the mock's one task id and the resume command on stderr "
          "(%d, created %d, %.2fs, %r)" % (rc, created, took, err))

    # ---- model run --wait, SIGTERM, --json ----
    mock.reset()
    p = start(mock, ["model", "run", SLUG, "--body", SLOW, "--wait", "--interval", "100ms", "--json"])
    seen = mock.wait_for(lambda c: ok200(c, "submit") == 1 and c["requests"]["task"] >= 1)
    rc, out, err, took = signal_and_finish(p, signal.SIGTERM)
    doc = json.loads(out) if out.startswith("{") else None
    tid = doc["taskIds"][0] if doc and doc.get("taskIds") else ""
    check(seen and rc == 143 and doc and doc["ok"] is False and doc["error"]["code"] == "INTERRUPTED" and
          doc["error"]["exitCode"] == 143 and doc["error"]["signal"] == "SIGTERM" and len(doc["taskIds"]) == 1 and
          mock.task_exists(tid) and mock.counters()["tasks_created"] == 1 and
          doc["resumeCommand"] == "modellix task wait " + tid and tid in err,
          "model run --wait --json + SIGTERM: exit 143, JSON document with the id (%d %r)" % (rc, out[:300]))

    # ---- model batch --wait: 3 accepted, the 4th still queued when SIGINT arrives ----
    mock.reset()
    lines = "".join(json.dumps({"modelSlug": SLUG, "body": {"prompt": "p%d" % i, "mock_duration_ms": 600000}}) + "\n"
                    for i in range(4))
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.write(lines)
        batch_file = f.name
    p = start(mock, ["model", "batch", batch_file, "--yes", "--wait", "--interval", "100ms", "--concurrency", "3",
                     "--json"])
    seen = mock.wait_for(lambda c: ok200(c, "submit") == 3 and c["requests"]["task"] >= 3)
    rc, out, err, took = signal_and_finish(p, signal.SIGINT)
    time.sleep(0.3)
    c = mock.counters()
    doc = json.loads(out) if out.startswith("{") else None
    ids = doc["taskIds"] if doc else []
    states = [t["submissionState"] for t in doc["tasks"]] if doc else []
    check(seen and rc == 130 and len(ids) == 3 and len(set(ids)) == 3 and all(mock.task_exists(i) for i in ids) and
          c["tasks_created"] == 3 and c["requests"]["submit"] == 3 and
          states == ["accepted", "accepted", "accepted", "skipped"] and
          [t.get("taskId") for t in doc["tasks"][:3]] == ids and doc["unknownSubmissions"] == 0 and
          ids_in(err, ids) and doc["resumeCommand"] == "modellix task wait " + " ".join(ids) and took < 2.0,
          "model batch --wait + SIGINT: exit 130, the 3 ids the mock created, the queued 4th never sent "
          "(%d, created %d, submits %d, %.2fs)" % (rc, c["tasks_created"], c["requests"]["submit"], took))

    # ---- model batch (no --wait): a submission on the wire gets its answer during the grace ----
    two = lines.splitlines()[0] + "\n" + lines.splitlines()[1] + "\n"
    with open(batch_file, "w") as f:
        f.write(two)
    mock.reset()
    mock.post("/_mock/faults", {"route": "submit", "kind": "stall", "stall_ms": 1500, "skip": 1, "count": 1})
    p = start(mock, ["model", "batch", batch_file, "--yes", "--concurrency", "2", "--json"])
    seen = mock.wait_for(lambda c: c["tasks_created"] == 2 and ok200(c, "submit") == 1)
    rc, out, err, took = signal_and_finish(p, signal.SIGTERM)
    doc = json.loads(out) if out.startswith("{") else None
    ids = doc["taskIds"] if doc else []
    check(seen and rc == 143 and len(ids) == 2 and all(mock.task_exists(i) for i in ids) and
          doc["unknownSubmissions"] == 0 and "Waiting up to 10s for the answers to" in err and
          ids_in(err, ids) and 0.5 < took < 5.0,
          "model batch + SIGTERM with a submission on the wire: its answer is awaited, both ids reported "
          "(%d %.2fs %r)" % (rc, took, err[-300:]))

    # ---- the same, but a second signal ends the grace: that submission is reported as unknown ----
    mock.reset()
    mock.post("/_mock/faults", {"route": "submit", "kind": "stall", "stall_ms": 4000, "skip": 1, "count": 1})
    p = start(mock, ["model", "batch", batch_file, "--yes", "--concurrency", "2", "--json"])
    seen = mock.wait_for(lambda c: c["tasks_created"] == 2 and ok200(c, "submit") == 1)
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    rc, out, err = finish(p)
    took = time.monotonic() - t0
    doc = json.loads(out) if out.startswith("{") else None
    check(seen and rc == 130 and doc and len(doc["taskIds"]) == 1 and doc["unknownSubmissions"] == 1 and
          mock.counters()["tasks_created"] == len(doc["taskIds"]) + doc["unknownSubmissions"] and
          sorted(t["submissionState"] for t in doc["tasks"]) == ["accepted", "unknown"] and
          "outcome is unknown" in err and took < 2.5,
          "model batch + two SIGINTs: the unanswered submission is reported as unknown (%d %.2fs)" % (rc, took))

    # ---- task wait: two slow tasks ----
    mock.reset()
    made = [mock.post("/_mock/tasks", {"task_id": "task-sig-%d" % i, "model": SLUG, "status": "processing"})
            for i in range(2)]
    p = start(mock, ["task", "wait", "task-sig-0", "task-sig-1", "--interval", "100ms"])
    seen = mock.wait_for(lambda c: c["requests"]["task"] >= 2)
    rc, out, err, took = signal_and_finish(p, signal.SIGINT)
    check(seen and rc == 130 and "Resume with: modellix task wait task-sig-0 task-sig-1" in err and out == "" and
          took < 2.0, "task wait + SIGINT: exit 130, both ids and the resume command (%d %r)" % (rc, err))
    p = start(mock, ["task", "wait", "task-sig-0", "task-sig-1", "--interval", "100ms", "--json"])
    time.sleep(0.5)
    rc, out, err, took = signal_and_finish(p, signal.SIGTERM)
    doc = json.loads(out) if out.startswith("{") else None
    check(rc == 143 and doc and doc["taskIds"] == ["task-sig-0", "task-sig-1"] and
          doc["unfinishedTaskIds"] == ["task-sig-0", "task-sig-1"],
          "task wait --json + SIGTERM: exit 143, JSON ids (%d)" % rc)

    # ---- task download: SIGTERM while the file transfer stalls; nothing partial is left ----
    mock.reset()
    mock.post("/_mock/tasks", {"task_id": "task-sig-dl", "model": SLUG, "status": "success", "resources": 2})
    mock.post("/_mock/faults", {"route": "file", "kind": "stall", "stall_ms": 5000, "skip": 1, "count": 1})
    with tempfile.TemporaryDirectory() as d:
        p = start(mock, ["task", "download", "task-sig-dl", "--output-dir", d, "--allow-insecure-http",
                         "--allow-private-network"])
        seen = mock.wait_for(lambda c: c["requests"]["file"] >= 2)
        time.sleep(0.2)
        staged = glob.glob(os.path.join(d, ".modellix-download-*"))
        rc, out, err, took = signal_and_finish(p, signal.SIGTERM)
        left = sorted(os.listdir(d))
        check(seen and staged and rc == 143 and len(left) == 1 and left[0].endswith(".png") and
              not left[0].startswith(".") and
              ("Resume with: modellix task download task-sig-dl --output-dir %s" % os.path.realpath(d)) in err and
              took < 2.0,
              "task download + SIGTERM: exit 143, the finished file kept, no .modellix-download-* left "
              "(%d %r %.2fs)" % (rc, left, took))
    mock.reset()
    mock.post("/_mock/faults", {"route": "file", "kind": "stall", "stall_ms": 5000, "count": 1})
    with tempfile.TemporaryDirectory() as d:
        p = start(mock, ["task", "download", "task-sig-dl", "--output-dir", d, "--allow-insecure-http",
                         "--allow-private-network", "--json"])
        seen = mock.wait_for(lambda c: c["requests"]["file"] >= 1)
        time.sleep(0.2)
        rc, out, err, took = signal_and_finish(p, signal.SIGINT)
        doc = json.loads(out) if out.startswith("{") else None
        left = os.listdir(d)
        check(seen and rc == 130 and left == [] and doc and doc["taskIds"] == ["task-sig-dl"] and doc["files"] == [],
              "task download --json + SIGINT: exit 130, directory left empty (%d %r)" % (rc, left))
finally:
    mock.stop()
    try:
        os.unlink(batch_file)
    except (NameError, OSError):
        pass

report()

#!/usr/bin/env python3
"""Print 'N passed, N failed' (subtests counted) from a meson testlog.json; exit 1 if unreadable."""
import json
import sys


def main() -> int:
    passed = failed = skipped = 0
    try:
        with open(sys.argv[1], encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                t = json.loads(line)
                result = t.get("result")
                # count TAP subtests where the runner reported them, else the program as one test
                stdout = t.get("stdout") or ""
                oks = sum(1 for l in stdout.splitlines() if l.startswith("ok "))
                noks = sum(1 for l in stdout.splitlines() if l.startswith("not ok "))
                if result in ("OK", "EXPECTEDFAIL"):
                    passed += max(oks, 1)
                elif result == "SKIP":
                    skipped += 1
                else:
                    passed += oks
                    failed += max(noks, 1)
    except (OSError, ValueError) as e:
        print(f"cannot read {sys.argv[1]}: {e}", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

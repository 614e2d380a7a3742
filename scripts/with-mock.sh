#!/usr/bin/env bash
# Run a command against a freshly started standalone mock server (tests/mock/modellix-mock), the way a
# user points any program at a Modellix server: through MODELLIX_BASE_URL and MODELLIX_API_KEY.
#
# usage: scripts/with-mock.sh MOCK [MOCK-OPTION...] -- COMMAND [ARG...]
#   Starts MOCK --port 0 [options] on loopback, waits for the base URL it prints first, exports
#   MODELLIX_BASE_URL=<that URL> and MODELLIX_API_KEY (kept if set and non-empty, else a test key),
#   runs COMMAND, stops the mock and exits with COMMAND's status (1 if the mock did not start).
#   MX_MOCK_LOG, when set, names a file that receives the mock's stderr.
set -u
[ $# -ge 3 ] || { echo "usage: $0 MOCK [MOCK-OPTION...] -- COMMAND [ARG...]" >&2; exit 2; }
mock=$1
shift
mock_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    mock_args+=("$1")
    shift
done
[ $# -ge 2 ] || { echo "with-mock: no command after --" >&2; exit 2; }
shift

tmp=$(mktemp -d "${TMPDIR:-/tmp}/modellix-with-mock.XXXXXX") || exit 1
mock_pid=""
cleanup() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null
        wait "$mock_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log=${MX_MOCK_LOG:-$tmp/mock.err}
"$mock" --port 0 "${mock_args[@]}" >"$tmp/mock.out" 2>"$log" &
mock_pid=$!
url=""
for _ in $(seq 1 100); do  # up to 5 s
    IFS= read -r url <"$tmp/mock.out"
    [ -n "$url" ] && break
    kill -0 "$mock_pid" 2>/dev/null || break
    sleep 0.05
done
case $url in
    http://127.0.0.1:*|https://127.0.0.1:*) ;;
    *) cat "$log" >&2; echo "with-mock: the mock did not print its base URL (got '$url')" >&2; exit 1 ;;
esac
export MODELLIX_BASE_URL=$url
[ -n "${MODELLIX_API_KEY:-}" ] || export MODELLIX_API_KEY=sk-with-mock-test
"$@"

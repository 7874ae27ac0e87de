#!/bin/sh
# tests/run.sh — install what the tests need, build rag three ways and run
# every test suite; ends with one line "N passed, N failed".
#
#   build-ci     gcc, -Werror: unit, fuzz (seed-corpus replay), e2e
#   build-asan   gcc, ASan+UBSan: unit, fuzz (replay under sanitizers)
#   build-fuzz   clang, libFuzzer+ASan+UBSan: fuzz (each target fuzzed for
#                RAG_FUZZ_SECONDS, default 7)
#
# RAG_TEST_BUILDS="ci asan fuzz" selects builds (default: all three);
# RAG_TEST_SUITES_CI overrides the suites of build-ci (default "unit fuzz e2e").
# Needs root for package installation and for the e2e suite (netns, QEMU).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/packaging/install-deps.sh" test || { echo "0 passed, 1 failed"; exit 1; }

builds=${RAG_TEST_BUILDS:-ci asan fuzz}
fuzz_secs=${RAG_FUZZ_SECONDS:-7}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
setup_failed=0

# run_build NAME SUITES MESON-ARGS...
run_build() {
	name=$1 suites=$2
	shift 2
	dir="$top/build-$name"
	echo "=== build-$name: meson setup $*"
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$top" "$@" >"$dir.setup.log" 2>&1 || {
			cat "$dir.setup.log"; echo "setup build-$name FAILED"
			setup_failed=$((setup_failed + 1)); return; }
	else
		meson configure "$dir" "$@" >/dev/null 2>&1
	fi
	if ! ninja -C "$dir"; then
		echo "build-$name: compile FAILED"
		setup_failed=$((setup_failed + 1))
		return
	fi
	for s in $suites; do
		echo "=== build-$name: suite $s"
		meson test -C "$dir" --suite "$s" --print-errorlogs --num-processes 2 || true
		python3 - "$dir/meson-logs/testlog.json" "$name" >>"$results" <<'PY'
import json, sys
path, build = sys.argv[1], sys.argv[2]
try:
    lines = open(path).read().splitlines()
except OSError:
    lines = []
for line in lines:
    if not line.strip():
        continue
    t = json.loads(line)
    ok = t.get("result") == "OK"
    print(("PASS" if ok else "FAIL") + " " + build + "/" + t.get("name", "?") + " " + t.get("result", "?"))
PY
	done
}

for b in $builds; do
	case $b in
	ci)	run_build ci "${RAG_TEST_SUITES_CI:-unit fuzz e2e}" --werror ;;
	asan)	run_build asan "unit fuzz" -Dsanitize=true ;;
	fuzz)	CC=clang run_build fuzz "fuzz" -Dfuzz=true -Dfuzz_seconds="$fuzz_secs" ;;
	*)	echo "unknown build $b"; setup_failed=$((setup_failed + 1)) ;;
	esac
done

echo
echo "=== summary"
grep '^FAIL' "$results" || true
passed=$(grep -c '^PASS' "$results")
failed=$(( $(grep -c '^FAIL' "$results") + setup_failed ))
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]

# cli_lib.sh — sourced by the shell tests that drive a real ragd through
# rag-ctl (cli/test-*-cli.sh, tests/unit/audit_cli.sh), after they set
# ragd= and ctl=.  Gives them:
#   $tmp            a temporary directory, removed at exit with ragd (and
#                   $npid, when a script sets it) killed
#   $fail           1 once a check failed: the script ends with `exit $fail`
#   ok/bad TEXT     one TAP-like line
#   expect WANT GOT TEXT, expect_rc WANT RC TEXT (on failure it shows
#                   $tmp/out and $tmp/err, what the last command printed)
#   contains/lacks FILE TEXT WHAT
#   start, stop     ragd -f -c $tmp/ragd.conf $RAGD_OPTS in the background,
#                   up once $sock exists (60 s at most: sanitizer builds,
#                   loaded hosts); SIGTERM must exit 0
tmp=$(mktemp -d)
pid=
fail=0
cli_cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "${npid:-}" ] && kill "$npid" 2>/dev/null
	rm -rf "$tmp"
}
trap cli_cleanup EXIT

ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
expect() { # expected actual what
	if [ "$1" = "$2" ]; then ok "$3"; else bad "$3: got '$2', expected '$1'"; fi
}
expect_rc() { # expected actual what
	if [ "$1" = "$2" ]; then
		ok "$3 (exit $2)"
	else
		bad "$3: exit $2, expected $1"
		sed 's/^/    /' "$tmp/out" "$tmp/err" 2>/dev/null
	fi
}
contains() { # file text what
	if grep -qF -- "$2" "$1"; then ok "$3"; else bad "$3: '$2' not in output:"; sed 's/^/    /' "$1"; fi
}
lacks() { # file text what
	if grep -qF -- "$2" "$1"; then bad "$3: '$2' found in $1"; else ok "$3"; fi
}
start() {
	# shellcheck disable=SC2086
	"$ragd" -f ${RAGD_OPTS:-} -c "$tmp/ragd.conf" 2>>"$tmp/ragd.log" &
	pid=$!
	i=0; while [ ! -S "$sock" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
	[ -S "$sock" ] && ok "ragd up" || bad "no control socket"
}
stop() {
	kill -TERM "$pid"; wait "$pid"; expect_rc 0 $? "SIGTERM exits 0"
	pid=
}

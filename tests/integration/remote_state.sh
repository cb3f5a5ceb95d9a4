#!/bin/sh
# Remote git state through a real `git daemon` on loopback and file://
# remotes: `state migrate` copies every version (history identical when
# read from a second working copy), only as a fast-forward (a diverged
# remote is refused and left alone), and back with --to local; a lock left
# behind by a killed run is shown with holder, operation and age, and
# `force-unlock ID` removes it (a wrong id does not); bad ids and
# workspaces are refused.
set -eu
: "${DCFORM:?}"
command -v git >/dev/null 2>&1 || { echo "remote_state: no git" >&2; exit 1; }
t=$(mktemp -d)
daemon=
cleanup() {
	if [ -n "$daemon" ]; then
		kill "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
	fi
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "remote_state: $*" >&2; exit 1; }
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t \
	GIT_COMMITTER_EMAIL=t@x GIT_CONFIG_NOSYSTEM=1 HOME="$t"
unset DCFORM_WORKSPACE DCFORM_GIT_TOKEN DCFORM_GIT_USERNAME

# commit_state REPO REF LINEAGE SERIAL [MARK]: one state version, as
# dcform writes it (state.json in the tree, serial in the message).
commit_state() {
	blob=$(printf '{\n  "format_version": 1,\n  "lineage": "%s",\n  "outputs": {},\n  "resources": {\n    "a.b": {\n      "id": "%s",\n      "type": "t"\n    }\n  },\n  "serial": %s,\n  "tool_version": "test"\n}\n' \
		"$3" "${5:-id-$4}" "$4" | git -C "$1" hash-object -w --stdin)
	tree=$(printf '100644 blob %s\tstate.json\n' "$blob" | git -C "$1" mktree)
	parent=$(git -C "$1" rev-parse -q --verify "$2" 2>/dev/null || true)
	c=$(printf 'apply: +1 ~0 -0\n\nserial %s, lineage %s\n' "$4" "$3" |
		git -C "$1" commit-tree "$tree" ${parent:+-p "$parent"})
	git -C "$1" update-ref "$2" "$c"
}

# A free loopback port, then the daemon serving $t/srv.
port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
mkdir -p "$t/srv"
git init -q --bare "$t/srv/state.git"
git init -q --bare "$t/srv/infra.git"
git daemon --export-all --enable=receive-pack --base-path="$t/srv" \
	--listen=127.0.0.1 --port="$port" --reuseaddr \
	>"$t/daemon.log" 2>&1 &
daemon=$!
url="git://127.0.0.1:$port/state.git"
i=0
until git ls-remote "$url" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "git daemon did not start: $(cat "$t/daemon.log")"
	sleep 0.1
done

# Working copy a: three versions of default, one of workspace prod.
mkdir -p "$t/a/.dcform"
git init -q --bare "$t/a/.dcform/state.git"
for s in 1 2 3; do commit_state "$t/a/.dcform/state.git" refs/heads/default LA $s; done
commit_state "$t/a/.dcform/state.git" refs/heads/prod LP 1

# --- migrate to the git:// remote ------------------------------------------
"$DCFORM" state migrate -C "$t/a" --to "$url" > "$t/out" 2> "$t/err" ||
	fail "migrate: $(cat "$t/err")"
grep -q '^default: copied, 3 versions up to serial 3' "$t/out" || fail "report: $(cat "$t/out")"
grep -q '^prod: copied, 1 version up to serial 1' "$t/out" || fail "report: $(cat "$t/out")"
grep -q "url: $url" "$t/out" || fail "no backend hint: $(cat "$t/out")"
[ "$(git --git-dir="$t/srv/state.git" rev-parse refs/heads/dcform-state)" = \
  "$(git --git-dir="$t/a/.dcform/state.git" rev-parse refs/heads/default)" ] ||
	fail "remote branch is not the local tip"
git --git-dir="$t/srv/state.git" rev-parse -q --verify refs/heads/dcform-state--prod >/dev/null ||
	fail "no branch for workspace prod"
[ "$(git --git-dir="$t/srv/state.git" rev-list --count refs/heads/dcform-state)" = 3 ] ||
	fail "history not copied"
# The lock was released.
[ -z "$(git ls-remote "$url" 'refs/dcform/locks/*')" ] || fail "lock left behind"
# Again: up to date, exit 0.
"$DCFORM" state migrate -C "$t/a" --to "$url" > "$t/out" 2>&1 || fail "second migrate: $(cat "$t/out")"
grep -q '^default: up to date' "$t/out" || fail "not up to date: $(cat "$t/out")"

# --- a second working copy reads the same history through the remote -----
mkdir -p "$t/b"
printf 'backend:\n  git:\n    url: %s\n' "$url" > "$t/b/main.yaml"
"$DCFORM" state migrate -C "$t/b" --to local > "$t/out" 2> "$t/err" ||
	fail "migrate --to local: $(cat "$t/err")"
"$DCFORM" state history -C "$t/a" --json > "$t/ha"
"$DCFORM" state history -C "$t/b" --json > "$t/hb"
cmp -s "$t/ha" "$t/hb" || fail "history differs: $(diff "$t/ha" "$t/hb")"
grep -q '"serial": 3' "$t/hb" || fail "history: $(cat "$t/hb")"
DCFORM_WORKSPACE=prod "$DCFORM" state list -C "$t/b" | grep -q 'a.b' ||
	fail "workspace prod not copied back"

# --- a diverged remote is refused and left alone ---------------------------
commit_state "$t/a/.dcform/state.git" refs/heads/default LA 4 from-a
git clone -q --bare "$t/srv/state.git" "$t/other.git"
commit_state "$t/other.git" refs/heads/dcform-state LA 4 from-other
git --git-dir="$t/other.git" push -q "$url" refs/heads/dcform-state:refs/heads/dcform-state
before=$(git --git-dir="$t/srv/state.git" rev-parse refs/heads/dcform-state)
set +e
"$DCFORM" state migrate -C "$t/a" --to "$url" > "$t/out" 2> "$t/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "diverged migrate: exit $rc"
grep -q 'already holds other versions' "$t/err" || fail "diverged message: $(cat "$t/err")"
[ "$(git --git-dir="$t/srv/state.git" rev-parse refs/heads/dcform-state)" = "$before" ] ||
	fail "diverged migrate moved the remote branch"

# --- a lock left by a killed run -------------------------------------------
# What a run killed while holding the lock leaves: the ref and its commit.
lid=0f3c2a9e-1b7d-4c55-9a3e-2d4b6c8e0a11
created=$(( $(date +%s) - 180 ))
lblob=$(printf '{"created": %s, "host": "ci-7", "id": "%s", "operation": "apply", "pid": 4242, "time": "x", "who": "alice"}' \
	"$created" "$lid" | git --git-dir="$t/other.git" hash-object -w --stdin)
ltree=$(printf '100644 blob %s\tlock.json\n' "$lblob" | git --git-dir="$t/other.git" mktree)
lc=$(echo "lock: apply by alice@ci-7" | git --git-dir="$t/other.git" commit-tree "$ltree")
git --git-dir="$t/other.git" push -q "$url" "$lc:refs/dcform/locks/default"
set +e
"$DCFORM" state migrate -C "$t/b" --to local > "$t/out" 2> "$t/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "locked migrate: exit $rc"
grep -q 'locked by alice@ci-7 (apply) 3 minutes ago' "$t/err" || fail "lock message: $(cat "$t/err")"
grep -q "dcform force-unlock $lid" "$t/err" || fail "no force-unlock hint: $(cat "$t/err")"
# --lock-timeout waits (with backoff) and still fails while it is held.
start=$(date +%s)
set +e
"$DCFORM" state migrate -C "$t/b" --to local --lock-timeout 2 > "$t/out" 2> "$t/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "locked migrate with timeout: exit $rc"
[ $(( $(date +%s) - start )) -ge 2 ] || fail "--lock-timeout did not wait"
# A wrong id, a bad id: refused, the lock stays.
set +e
"$DCFORM" force-unlock -C "$t/b" 0f3c2a9e-0000-0000-0000-000000000000 > "$t/out" 2> "$t/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "wrong id: exit $rc"
grep -q 'does not match' "$t/err" || fail "wrong id message: $(cat "$t/err")"
set +e
"$DCFORM" force-unlock -C "$t/b" ../../heads/dcform-state > "$t/out" 2> "$t/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "bad id: exit $rc"
grep -q 'invalid lock id' "$t/err" || fail "bad id message: $(cat "$t/err")"
set +e
DCFORM_WORKSPACE=../x "$DCFORM" force-unlock -C "$t/b" "$lid" > "$t/out" 2> "$t/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "bad workspace: exit $rc"
[ "$(git ls-remote "$url" refs/dcform/locks/default | cut -f1)" = "$lc" ] ||
	fail "the lock went away"
# The right id (the backend taken from b's manifest): removed.
"$DCFORM" force-unlock -C "$t/b" "$lid" > "$t/out" 2> "$t/err" ||
	fail "force-unlock: $(cat "$t/err")"
grep -q "removed lock $lid (held by alice@ci-7, apply" "$t/out" || fail "force-unlock output: $(cat "$t/out")"
[ -z "$(git ls-remote "$url" 'refs/dcform/locks/*')" ] || fail "lock ref still there"
set +e
"$DCFORM" force-unlock -C "$t/b" "$lid" > "$t/out" 2> "$t/err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q 'not locked' "$t/err" || fail "second force-unlock: $rc $(cat "$t/err")"

# --- file:// remote, a custom branch on an "infrastructure" repository ------
furl="file://$t/srv/infra.git"
"$DCFORM" state migrate -C "$t/a" --to "$furl" --branch ops/state > "$t/out" 2> "$t/err" ||
	fail "file:// migrate: $(cat "$t/err")"
[ "$(git --git-dir="$t/srv/infra.git" rev-list --count refs/heads/ops/state)" = 4 ] ||
	fail "file:// history"
git --git-dir="$t/srv/infra.git" rev-parse -q --verify refs/heads/ops/state--prod >/dev/null ||
	fail "file:// workspace prod"
mkdir -p "$t/c"
"$DCFORM" state migrate -C "$t/c" --to local --from "$furl" --branch ops/state > "$t/out" 2> "$t/err" ||
	fail "file:// back: $(cat "$t/err")"
"$DCFORM" state history -C "$t/a" --json > "$t/ha"
"$DCFORM" state history -C "$t/c" --json > "$t/hc"
cmp -s "$t/ha" "$t/hc" || fail "file:// history differs"

# --- refusals ---------------------------------------------------------------
set +e
"$DCFORM" state migrate -C "$t/a" --to "http://127.0.0.1:$port/x.git" > "$t/out" 2> "$t/err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q 'unsupported URL' "$t/err" || fail "http:// accepted: $rc $(cat "$t/err")"
set +e
"$DCFORM" state migrate -C "$t/a" > "$t/out" 2> "$t/err"
rc=$?
set -e
[ $rc -eq 64 ] || fail "no --to: exit $rc"
set +e
"$DCFORM" state migrate -C "$t/a" --to "git://127.0.0.1:$port/state.git" --branch ../x > "$t/out" 2> "$t/err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q 'invalid branch' "$t/err" || fail "bad branch: $rc $(cat "$t/err")"
# A secret in the URL is never printed.
set +e
"$DCFORM" state migrate -C "$t/a" --to "https://me:s3cr3t@127.0.0.1:1/x.git" > "$t/out" 2> "$t/err"
set -e
if grep -q s3cr3t "$t/out" "$t/err"; then fail "secret printed: $(cat "$t/err")"; fi
echo "remote_state: ok"

#!/usr/bin/env bash
# demo.sh — what `make demo` runs: build the three programs, start a relay
# and two daemons in a temporary directory, register alice and bob, send a
# message each way, show them arriving and the safety number each side
# sees, then stop everything (SIGTERM, each must exit 0) and clean up.
# Exit code 0 only if both messages really arrived.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
work=$(mktemp -d "${TMPDIR:-/tmp}/securep2p-demo.XXXXXX")
pids=()
names=()

cleanup() {
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
fail() { echo "demo: $*" >&2; exit 1; }

# wait_line FILE PREFIX: wait (at most 30 s) for a line starting with
# PREFIX in FILE and print the rest of it.
wait_line() {
	local line
	for _ in $(seq 300); do
		if line=$(grep -m1 "^$2" "$1"); then
			printf '%s\n' "${line#"$2"}"
			return 0
		fi
		sleep 0.1
	done
	cat "$1" >&2
	fail "no '$2' line in $1 within 30 s"
}

# wait_state USER STATE: wait (at most 30 s) until USER's daemon reports
# the relay link state STATE.
wait_state() {
	for _ in $(seq 300); do
		if p2pctl --socket "$work/$1/p2pd.sock" --json status 2>/dev/null | grep -q "\"state\":\"$2\""; then
			return 0
		fi
		sleep 0.1
	done
	fail "$1's daemon did not reach relay state $2 within 30 s"
}

# start NAME COMMAND...: start a program in the background, output in
# $work/NAME.out (stdout) and $work/NAME.log (stderr).
start() {
	local name=$1
	shift
	"$@" >"$work/$name.out" 2>"$work/$name.log" &
	pids+=($!)
	names+=("$name")
}

step "build p2p-relay, p2pd and p2pctl into $work/bin"
run "$GO" build -o "$work/bin/" ./relay/cmd/p2p-relay ./daemon/cmd/p2pd ./ctl/cmd/p2pctl
export PATH="$work/bin:$PATH"

step "start a relay on a free loopback port"
printf '$ p2p-relay --listen 127.0.0.1:0 --metrics 127.0.0.1:0 --state-dir %s/relay &\n' "$work"
start relay p2p-relay --listen 127.0.0.1:0 --metrics 127.0.0.1:0 --state-dir "$work/relay"
key=$(wait_line "$work/relay.out" "relay key: ")
addr=$(wait_line "$work/relay.out" "listening on ")
cat "$work/relay.out"

step "start one daemon for alice and one for bob (pinning the relay's key)"
for user in alice bob; do
	printf '$ p2pd --relay %s --relay-key %s --state-dir %s/%s --socket %s/%s/p2pd.sock &\n' "$addr" "$key" "$work" "$user" "$work" "$user"
	start "$user" p2pd --relay "$addr" --relay-key "$key" --state-dir "$work/$user" --socket "$work/$user/p2pd.sock"
	wait_line "$work/$user.out" "control socket: " >/dev/null
done
alice() { p2pctl --socket "$work/alice/p2pd.sock" "$@"; }
bob() { p2pctl --socket "$work/bob/p2pd.sock" "$@"; }
# as USER ARGS...: show and run p2pctl ARGS against USER's daemon.
as() {
	local user=$1
	shift
	printf '(%s) $ p2pctl' "$user"
	printf ' %q' "$@"
	printf '\n'
	"$user" "$@"
}

step "register alice and bob (passwords on stdin)"
for user in alice bob; do
	wait_state "$user" logged_out
	printf '(%s) $ echo ******** | p2pctl register %s --password-stdin\n' "$user" "$user"
	echo "demo-password-of-$user" | "$user" register "$user" --password-stdin
done
wait_state alice connected
wait_state bob connected

step "alice sends to bob, bob answers; each waits until the other's daemon stored it"
as alice send @bob "hi bob, this is alice" --wait delivered --timeout 30s
as bob send @alice "hello alice! bob here" --wait delivered --timeout 30s

step "the messages as each side sees them"
as bob history @alice
as alice history @bob
printf '(bob) $ p2pctl watch --since 0    # the event stream; stopped with SIGTERM after a second\n'
p2pctl --socket "$work/bob/p2pd.sock" watch --since 0 >"$work/watch.out" 2>&1 &
watch=$!
sleep 1
kill -TERM "$watch"
wait "$watch" || fail "p2pctl watch exited $? on SIGTERM"
cat "$work/watch.out"

bob --json history @alice | grep -qF '"text":"hi bob, this is alice"' || fail "bob does not have alice's message"
alice --json history @bob | grep -qF '"text":"hello alice! bob here"' || fail "alice does not have bob's message"

step "the safety number each side sees (compare it out of band, then: p2pctl verify --mark @USER)"
as alice verify @bob
as bob verify @alice
sn_a=$(alice --json verify @bob | grep -o '"safety_number":"[0-9 ]*"')
sn_b=$(bob --json verify @alice | grep -o '"safety_number":"[0-9 ]*"')
[ -n "$sn_a" ] && [ "$sn_a" = "$sn_b" ] || fail "the safety numbers differ: $sn_a / $sn_b"
echo "alice and bob see the same safety number."

step "stop everything with SIGTERM (each must exit 0)"
for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
	kill -TERM "${pids[i]}"
	if wait "${pids[i]}"; then
		echo "${names[i]} exited 0"
	else
		code=$?
		cat "$work/${names[i]}.log" >&2
		fail "${names[i]} exited $code on SIGTERM"
	fi
done
pids=()
echo
echo "demo: OK — both messages arrived, end-to-end encrypted through the relay."

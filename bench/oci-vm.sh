#!/bin/bash
# The OCI runtime benchmark, run as root inside the full-system VM (tests/system/run.sh
# --bench: Debian 12 with systemd, podman, crun, runc and the rvisor packages installed,
# rvisord socket-activated with rvisor.ko). Prints two Markdown tables, each figure a ratio
# from this one run:
#  1. start-up: `podman run --rm --network none IMAGE true` with --runtime rvisor-runc, crun
#     and runc, interleaved round by round (the order rotating), the median of the rounds;
#  2. nginx: Debian's stock nginx in a container (host network) under rvisor-runc and crun,
#     `ab -n N -c 50` against it, requests per second, alternated, the median of the rounds.
# A figure that was not measured under rvisor's layers (no bound container in rvisorctl ps
# while it ran) is an error, never a number.
#   bench/oci-vm.sh BUSYBOX-IMAGE NGINX-IMAGE
# Environment: RVISOR_BENCH_ROUNDS (start-up rounds, default 7), RVISOR_BENCH_AB_N (requests
# per ab run, default 20000), RVISOR_BENCH_AB_ROUNDS (default 3).
set -euo pipefail
export LC_ALL=C

img=$1 nginx_img=$2
rounds=${RVISOR_BENCH_ROUNDS:-7}
ab_n=${RVISOR_BENCH_AB_N:-20000}
ab_rounds=${RVISOR_BENCH_AB_ROUNDS:-3}
runtimes=(rvisor-runc crun runc)

fail() {
	echo "rvisor-bench-oci: $*" >&2
	exit 1
}

for r in "${runtimes[@]}"; do
	[ -x "/usr/bin/$r" ] || fail "/usr/bin/$r is not installed"
done
command -v ab >/dev/null || fail "ab (apache2-utils) is not installed"

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now_ms() { date +%s%3N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# One start-up: milliseconds for podman run --rm ... true, end to end.
startup_ms() {
	local t0
	t0=$(now_ms)
	podman run --rm --runtime "/usr/bin/$1" --network none "$img" true >/dev/null ||
		fail "podman run --runtime $1 $img true failed"
	echo $(($(now_ms) - t0))
}

# Proof that rvisor-runc's containers run under rvisor: one bound container while it sleeps.
podman run -d --name bench-proof --runtime /usr/bin/rvisor-runc --network none "$img" sleep 30 >/dev/null
bound=$(rvisorctl ps --json | jq '[.sandboxes[] | select(.container)] | length')
podman rm -f bench-proof >/dev/null
[ "$bound" = 1 ] || fail "a container of rvisor-runc is not bound to a kernel sandbox (rvisorctl ps: $bound)"

declare -A times
for ((i = 0; i < rounds; i++)); do
	for ((j = 0; j < ${#runtimes[@]}; j++)); do
		r=${runtimes[$(((i + j) % ${#runtimes[@]}))]}
		times[$r]+="$(startup_ms "$r") "
	done
done

echo "| start-up: podman run --rm IMAGE true | median ms | ratio to crun | ratio to runc |"
echo "| --- | --- | --- | --- |"
declare -A med
for r in "${runtimes[@]}"; do
	med[$r]=$(tr ' ' '\n' <<<"${times[$r]}" | grep . | median)
done
for r in "${runtimes[@]}"; do
	printf '| %s | %s | %s× | %s× |\n' "$r" "${med[$r]}" "$(ratio "${med[$r]}" "${med[crun]}")" \
		"$(ratio "${med[$r]}" "${med[runc]}")"
done
echo

# nginx: one container per runtime in turn, on the host's network (port 80).
nginx_rps() {
	local r=$1 rps
	podman run -d --name bench-nginx --runtime "/usr/bin/$r" --network host "$nginx_img" \
		nginx -g 'daemon off;' >/dev/null || fail "nginx under $r did not start"
	for _ in $(seq 200); do
		busybox wget -q -O /dev/null http://127.0.0.1/ 2>/dev/null && break
		sleep 0.1
	done
	if [ "$r" = rvisor-runc ] &&
		[ "$(rvisorctl ps --json | jq '[.sandboxes[] | select(.container)] | length')" != 1 ]; then
		podman rm -f bench-nginx >/dev/null
		fail "nginx under rvisor-runc is not bound to a kernel sandbox"
	fi
	rps=$(ab -q -n "$ab_n" -c 50 http://127.0.0.1/ 2>&1 | awk '/^Requests per second/ { print $4 }')
	podman rm -f bench-nginx >/dev/null
	[ -n "$rps" ] || fail "ab against nginx under $r gave no figure"
	echo "$rps"
}

declare -A rps
for ((i = 0; i < ab_rounds; i++)); do
	for r in rvisor-runc crun; do
		[ $((i % 2)) -eq 0 ] || r=$([ "$r" = crun ] && echo rvisor-runc || echo crun)
		rps[$r]+="$(nginx_rps "$r") "
	done
done
echo "| nginx, ab -n $ab_n -c 50 | median requests/s | ratio to crun |"
echo "| --- | --- | --- |"
for r in rvisor-runc crun; do
	m=$(tr ' ' '\n' <<<"${rps[$r]}" | grep . | median)
	c=$(tr ' ' '\n' <<<"${rps[crun]}" | grep . | median)
	printf '| %s | %s | %s× |\n' "$r" "$m" "$(ratio "$m" "$c")"
done

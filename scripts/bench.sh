#!/usr/bin/env bash
# Throughput and memory of `ktriage analyze` against `gzip -dc` on the same machine and data.
#
#   scripts/bench.sh                 5,000-pod bundle; 16 bundles at 1 and 2 threads
#   BENCH_160=1 scripts/bench.sh     also peak memory over 160 bundles (slow)
#   BENCH_PODS=1000 BENCH_RUNS=1 scripts/bench.sh   a quicker, smaller run
#
# Data is generated (deterministically, `cargo dev generate`: crates/ktriage-dev) into
# target/bench-data/ and reused.
# Each timing is the best of BENCH_RUNS runs (default 3). Requires GNU time (/usr/bin/time);
# on Debian/Ubuntu: apt-get install -y time.
set -euo pipefail

cd "$(dirname "$0")/.."
PODS=${BENCH_PODS:-5000}
RUNS=${BENCH_RUNS:-3}
SEED=${BENCH_SEED:-1}
DATA=target/bench-data/p${PODS}-s${SEED}
BIN=target/release/ktriage
GEN=target/release/ktriage-dev

if [[ ! -x /usr/bin/time ]]; then
    echo "bench: /usr/bin/time (GNU time) is required: apt-get install -y time" >&2
    exit 2
fi

cargo build --release --quiet --features jemalloc
cargo build --release --quiet --package ktriage-dev

generate() { # DIR CLUSTERS
    if [[ ! -f "$1/.done" ]]; then
        rm -rf "$1"
        "$GEN" generate --pods "$PODS" --clusters "$2" --seed "$SEED" --out "$1" >/dev/null
        touch "$1/.done"
    fi
}
generate "$DATA/1" 1
generate "$DATA/16" 16
BUNDLE=$(ls "$DATA"/1/*.tar.gz)

TIMING=$(mktemp)
trap 'rm -f "$TIMING"' EXIT

# best_of CMD... : prints "<seconds> <peak RSS KiB> <CPU seconds>" of the fastest of $RUNS runs.
best_of() {
    local best="" rss="" cpu="" out
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f '%e %M %U %S' -o "$TIMING" "$@" >/dev/null 2>&1 || true
        out=$(tail -1 "$TIMING")
        local t m u sy
        read -r t m u sy <<<"$out"
        if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then
            best=$t
            rss=$m
            cpu=$(awk -v u="$u" -v s="$sy" 'BEGIN{printf "%.2f", u+s}')
        fi
    done
    echo "$best $rss $cpu"
}

TAR_MB=$(gzip -dc "$BUNDLE" | wc -c | awk '{printf "%.1f", $1/1e6}')
GZ_MB=$(stat -c %s "$BUNDLE" | awk '{printf "%.1f", $1/1e6}')
TOTAL16_MB=$(awk -v m="$TAR_MB" 'BEGIN{printf "%.1f", m*16}')

echo "machine: $(nproc) cores, $(uname -sr)"
echo "bundle:  $BUNDLE: $PODS pods, ${GZ_MB} MB .tar.gz, ${TAR_MB} MB uncompressed"
echo "runs:    best of $RUNS; load average now: $(cut -d' ' -f1-3 /proc/loadavg) (speedups need an idle machine)"
echo

read -r T_GZ _ C_GZ < <(best_of sh -c "gzip -dc '$BUNDLE' > /dev/null")
# ktriage exits 1 when it reports findings: `[ $? -le 1 ]` keeps that a successful run.
read -r T_1 M_1 C_1 < <(best_of sh -c "'$BIN' analyze --quiet --threads 1 --format json -o /dev/null '$BUNDLE'; [ \$? -le 1 ]")
read -r T_N M_N C_N < <(best_of sh -c "'$BIN' analyze --quiet --format json -o /dev/null '$BUNDLE'; [ \$? -le 1 ]")
read -r T16_1 M16_1 C16_1 < <(best_of sh -c "'$BIN' analyze --quiet --threads 1 --format json -o /dev/null '$DATA/16'; [ \$? -le 1 ]")
read -r T16_2 M16_2 C16_2 < <(best_of sh -c "'$BIN' analyze --quiet --threads 2 --format json -o /dev/null '$DATA/16'; [ \$? -le 1 ]")

mbs() { awk -v mb="$1" -v t="$2" 'BEGIN{printf "%.0f", mb/t}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
mib() { awk -v k="$1" 'BEGIN{printf "%.0f", k/1024}'; }

printf '%-52s %8s %9s %8s %10s\n' "what" "seconds" "MB/s" "CPU s" "peak MiB"
printf '%-52s %8s %9s %8s %10s\n' "gzip -dc BUNDLE > /dev/null" "$T_GZ" "$(mbs "$TAR_MB" "$T_GZ")" "$C_GZ" "-"
printf '%-52s %8s %9s %8s %10s\n' "ktriage analyze --threads 1 (1 bundle)" "$T_1" "$(mbs "$TAR_MB" "$T_1")" "$C_1" "$(mib "$M_1")"
printf '%-52s %8s %9s %8s %10s\n' "ktriage analyze, all $(nproc) cores (1 bundle)" "$T_N" "$(mbs "$TAR_MB" "$T_N")" "$C_N" "$(mib "$M_N")"
printf '%-52s %8s %9s %8s %10s\n' "ktriage analyze --threads 1 (16 bundles)" "$T16_1" "$(mbs "$TOTAL16_MB" "$T16_1")" "$C16_1" "$(mib "$M16_1")"
printf '%-52s %8s %9s %8s %10s\n' "ktriage analyze --threads 2 (16 bundles)" "$T16_2" "$(mbs "$TOTAL16_MB" "$T16_2")" "$C16_2" "$(mib "$M16_2")"
echo
echo "ratios:"
echo "  ktriage --threads 1 / gzip -dc (1 bundle):  $(ratio "$T_1" "$T_GZ")  (target <= 1)"
echo "  same, in CPU seconds (robust on a busy machine): $(ratio "$C_1" "$C_GZ")"
echo "  2-thread speedup on 16 bundles:             $(ratio "$T16_1" "$T16_2")  (target >= 1.7)"

LARGEST=$(tar -tzvf "$BUNDLE" | awk '$6 ~ /\.yaml$/ {print $3}' | sort -n | tail -1)
LIMIT_KIB=$((2 * LARGEST / 1024 + 100 * 1024))
PEAK_KIB=$(printf '%s\n' "$M_1" "$M_N" "$M16_1" "$M16_2" | sort -n | tail -1)
echo "  largest YAML file:                          $(mib $((LARGEST / 1024))) MiB"
echo "  highest peak memory above / target:         $(mib "$PEAK_KIB") MiB / $(mib "$LIMIT_KIB") MiB (2x the largest YAML + 100 MiB)"

if [[ ${BENCH_160:-0} != 0 ]]; then
    # 160 bundles = the 16 above, ten times over (different paths, same content).
    D160="$DATA/160"
    if [[ ! -f "$D160/.done" ]]; then
        rm -rf "$D160"
        mkdir -p "$D160"
        for i in $(seq -w 0 9); do
            for f in "$DATA"/16/*.tar.gz; do ln -f "$f" "$D160/r$i-$(basename "$f")" 2>/dev/null || cp "$f" "$D160/r$i-$(basename "$f")"; done
        done
        touch "$D160/.done"
    fi
    read -r T160 M160 _ < <(RUNS=1 best_of sh -c "'$BIN' analyze --quiet --format json -o /dev/null '$D160'; [ \$? -le 1 ]")
    echo "  peak memory 16 -> 160 bundles (all cores):  $(mib "$M16_2") MiB -> $(mib "$M160") MiB, x$(ratio "$M160" "$M16_2") (target <= 1.10; ${T160} s for 160)"
fi

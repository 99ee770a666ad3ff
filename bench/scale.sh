#!/bin/sh
# bench/scale.sh: how Byline grows. For each size in $SIZES it generates
# that much news-like JSONL with bin/byline-gen (once; kept in $DIR),
# indexes it into a fresh index, and prints one row: input bytes, build
# seconds and MB/s, CPU seconds (user + system: below twice the build
# seconds on two cores when threads wait), peak RSS, segments after the
# run, index bytes by file kind, and query latency over a fixed query
# file, in-process (one
# `byline search --queries` process, its --stats) and one-shot (a process
# per query). Not part of `make check`: the default sizes take minutes to
# hours. Environment: SIZES (default "100M 1G 10G"), DIR (build/scale),
# INDEX_OPTS (extra `byline index` options, e.g. "-j 1"), NSHOT (one-shot
# queries, default 21), RUNS (builds of each size, default 1: the row is
# the run of median build time; this machine varies by several percent from
# one run to the next), BIN (bin), LIKE (a corpus for `byline-gen --like`,
# so the text has its words and phrases; default ../shared/corpora/
# reuters21578 when it is there, else none: made-up words; "none" for
# those anyway). Inputs made with --like are named gen-like-SIZE.jsonl.
set -e
BIN=${BIN:-bin}
SIZES=${SIZES:-"100M 1G 10G"}
DIR=${DIR:-build/scale}
NSHOT=${NSHOT:-21}
RUNS=${RUNS:-1}
INDEX_OPTS=${INDEX_OPTS:-}
TIME=/usr/bin/time
if [ -z "${LIKE:-}" ] && [ -d ../shared/corpora/reuters21578 ]; then
    LIKE=../shared/corpora/reuters21578
fi
[ "${LIKE:-none}" = none ] && LIKE=
GEN_OPTS= KIND=gen
[ -n "$LIKE" ] && GEN_OPTS="--like $LIKE" KIND=gen-like

[ -x "$TIME" ] || { echo "scale: needs GNU time at $TIME (apt-get install time)" >&2; exit 2; }
[ -x "$BIN/byline" ] && [ -x "$BIN/byline-gen" ] || { echo "scale: run make first" >&2; exit 2; }
mkdir -p "$DIR"

# The query file: words of the first articles' titles of the smallest
# corpus (the generator gives every size the same first articles), as
# single words, ANDs, ORs and two-word phrases; the same for every size.
QUERIES=$DIR/queries.txt
make_queries() {
    head -n 400 "$1" | awk -F'"title":"' '{
        split($2, t, "\""); n = split(t[1], w, " ")
        if (n < 3) next
        k = NR % 4
        if (k == 0) print w[1]
        else if (k == 1) print w[1] " " w[2]
        else if (k == 2) print w[1] " OR " w[3]
        else print "\"" w[1] " " w[2] "\""
    }' > "$QUERIES"
}

# Median and 95th percentile of numbers on stdin, one a line.
pct() {
    sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "- -"; exit }
        p50 = v[int((NR + 1) / 2)]; i = int(NR * 0.95 + 0.999); if (i > NR) i = NR
        printf "%.2f %.2f\n", p50, v[i] }'
}

printf '%-6s %12s %9s %7s %7s %8s %9s %5s %9s %9s %9s %9s %9s %13s %13s\n' \
    size "input B" "build s" "s/GiB" "MB/s" "cpu s" "peak MB" segs ".doc MB" ".pos MB" ".sto MB" \
    ".tdi MB" "other MB" "in-proc p50/95" "1-shot p50/95"
for size in $SIZES; do
    src=$DIR/$KIND-$size.jsonl
    if [ ! -s "$src" ]; then
        # shellcheck disable=SC2086
        "$BIN/byline-gen" --bytes "$size" --seed 1 $GEN_OPTS > "$src.tmp"
        mv "$src.tmp" "$src"
    fi
    [ -s "$QUERIES" ] || make_queries "$src"
    idx=$DIR/index-$size
    run=1
    : > "$DIR/times-$size"
    while [ "$run" -le "$RUNS" ]; do
        rm -rf "$idx"
        # shellcheck disable=SC2086
        "$TIME" -f "%e %M %U %S" -o "$DIR/time-$size" "$BIN/byline" index -q $INDEX_OPTS \
            -o "$idx" "$src"
        cat "$DIR/time-$size" >> "$DIR/times-$size"
        run=$((run + 1))
    done
    # the run of median build time (the index left is the last run's)
    read -r secs rss usr sys <<EOF
$(sort -n "$DIR/times-$size" | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }')
EOF
    bytes=$(stat -L -c %s "$src")
    segs=$(ls "$idx" | grep -c '\.tdi$')
    kind() { cat "$idx"/*."$1" | wc -c | awk '{ printf "%.1f", $1 / 1e6 }'; }
    other=$(cat "$idx"/*.len "$idx"/*.ids "$idx"/*.inf "$idx"/MANIFEST | wc -c |
            awk '{ printf "%.1f", $1 / 1e6 }')
    inproc=$("$BIN/byline" search -i "$idx" -k 10 --stats --queries "$QUERIES" 2>&1 >/dev/null |
             awk '/latency ms/ { printf "%s/%s", $6, $8 }')
    shots=$(head -n "$NSHOT" "$QUERIES" | while IFS= read -r q; do
        t0=$(date +%s%N)
        "$BIN/byline" search -i "$idx" -k 10 -- "$q" > /dev/null || [ $? -eq 1 ]
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000 )) | awk '{ print $1 / 1000 }'
    done | pct | tr ' ' '/')
    printf '%-6s %12s %9.2f %7.2f %7.1f %8.1f %9.0f %5s %9s %9s %9s %9s %9s %13s %13s\n' \
        "$size" "$bytes" "$secs" "$(echo "$bytes $secs" | awk '{ print $2 / ($1 / 1073741824) }')" \
        "$(echo "$bytes $secs" | awk '{ print $1 / 1e6 / $2 }')" \
        "$(echo "$usr $sys" | awk '{ print $1 + $2 }')" \
        "$(echo "$rss" | awk '{ print $1 / 1024 }')" "$segs" "$(kind doc)" "$(kind pos)" \
        "$(kind sto)" "$(kind tdi)" "$other" "$inproc" "$shots"
done

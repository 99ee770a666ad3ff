#!/bin/sh
# `make bench`: the posting-loop benchmark on synthetic lists, then, when the
# Reuters-21578 corpus is beside the project, on that corpus's index, the
# stored-article benchmark (fetch and snippet per hit), an end-to-end run
# of the dev queries through `byline search --stats`, `--count --queries`
# over a 100,000-line query file against one-shot runs, and ORs of 5,000
# and 20,000 words. The JSON rows of `byline-bench --json` (with Reuters,
# also over the corpus indexed $COPIES times) go to $JSON.
set -e
BIN=${BIN:-bin}
REUTERS=${REUTERS:-../shared/corpora/reuters21578}
QUERIES=${QUERIES:-../shared/corpora/queries-dev.txt}
INDEX=${INDEX:-build/bench-reuters.idx}
BIGQ=${BIGQ:-build/bench-queries-100k.txt}
NBIG=${NBIG:-100000}
SEED=${SEED:-42}
NSHOT=${NSHOT:-20}
JSON=${JSON:-build/bench.json}
COPIES=${COPIES:-50}
BIG_INDEX=${BIG_INDEX:-build/bench-reuters-x$COPIES.idx}

# Writes $NBIG queries to $BIGQ, the same for the same $SEED and $QUERIES:
# half are dev queries as written, half one to three of their words (a pair
# now and then as a phrase). Park-Miller's generator in plain awk
# arithmetic (products stay below 2^53), so every awk draws the same.
make_queries() {
    awk -v n="$NBIG" -v seed="$SEED" '
        function next_rand(m) { x = (x * 16807) % 2147483647; return x % m }
        /^#/ || /^[ \t]*$/ { next }
        { dev[ndev++] = $0
          line = $0; gsub(/["()]/, " ", line)
          nw = split(line, w, /[ \t]+/)
          for (i = 1; i <= nw; i++)
              if (w[i] ~ /^[a-z0-9]+$/ && !(w[i] in seen)) { seen[w[i]] = 1; word[nword++] = w[i] } }
        END {
          x = seed % 2147483646 + 1
          for (q = 0; q < n; q++) {
              if (next_rand(2) == 0) { print dev[next_rand(ndev)]; continue }
              k = 1 + next_rand(3); s = word[next_rand(nword)]
              for (i = 1; i < k; i++) s = s " " word[next_rand(nword)]
              if (k == 2 && next_rand(4) == 0) s = "\"" s "\""
              print s
          } }' "$QUERIES" > "$BIGQ"
}

now_ns() { date +%s%N; }

# Runs byline search with the given arguments; exit 1 (no match) is fine.
search() {
    rc=0
    "$BIN/byline" search "$@" || rc=$?
    [ "$rc" -le 1 ] || { echo "bench: byline search $* exited $rc" >&2; exit "$rc"; }
}

# --count --queries over $NBIG queries in one process, against $NSHOT
# one-shot processes for queries taken evenly from the same file: wall time
# per query (a one-shot pays for starting and opening the index) and the
# search's own time as --stats measures it (its mean).
bench_batch_count() {
    make_queries
    echo
    echo "--count --queries: $NBIG queries (seed $SEED, $BIGQ) over $INDEX"
    step=$((NBIG / NSHOT))
    shot_stats=build/bench-oneshot-stats.txt
    : >"$shot_stats"
    t0=$(now_ns)
    awk -v step="$step" 'NR % step == 1' "$BIGQ" | while IFS= read -r q; do
        search -i "$INDEX" --count --stats -- "$q" >/dev/null 2>>"$shot_stats"
    done
    t1=$(now_ns)
    search -i "$INDEX" --count --stats --queries "$BIGQ" >/dev/null 2>build/bench-batch-stats.txt
    t2=$(now_ns)
    cat "$shot_stats" build/bench-batch-stats.txt | awk -v a="$t0" -v b="$t1" -v c="$t2" \
        -v n="$NBIG" -v shots="$NSHOT" '
        { mean[NR] = $NF }
        END {
          for (i = 1; i <= shots; i++) shot += mean[i]
          shot /= shots; batch = mean[NR]
          one = (b - a) / shots / 1e6; per = (c - b) / n / 1e6
          printf "  wall per query:   one-shot %.3f ms, batch %.4f ms (%.1f s for %d)\n",
                 one, per, (c - b) / 1e9, n
          printf "  search per query: one-shot %.4f ms, batch %.4f ms (--stats means)\n",
                 shot, batch
          printf "  batch/one-shot:   %.3f wall, %.2f search: %s\n", per / one, batch / shot,
                 batch <= shot ? "ok, not slower" : "SLOWER than one-shot" }'
}

# Long queries: ORs of 5,000 and 20,000 distinct words of the corpus (the
# first words of its sorted vocabulary, so the input repeats), top 10 with
# snippets; cost per 1,000 words should not grow with the query's length.
bench_long_queries() {
    vocab=build/bench-vocab.txt
    cat "$REUTERS"/reut2-00*.sgm | LC_ALL=C tr -cs 'A-Za-z' '\n' | LC_ALL=C tr 'A-Z' 'a-z' |
        awk 'length($0) > 2' | LC_ALL=C sort -u | head -n 20000 >"$vocab"
    echo
    echo "long queries over $INDEX (top 10 with snippets; one run each after a warm-up)"
    for n in 5000 20000; do
        # One line in a file: 20,000 words pass the kernel's limit on one argument.
        qf=build/bench-or-$n.txt
        head -n "$n" "$vocab" | awk 'NR > 1 { printf " OR " } { printf "%s", $0 } END { print "" }' >"$qf"
        search -i "$INDEX" --queries "$qf" >/dev/null
        t0=$(now_ns)
        search -i "$INDEX" --queries "$qf" >/dev/null
        t1=$(now_ns)
        awk -v n="$n" -v ns="$((t1 - t0))" 'BEGIN {
            printf "  OR of %5d words: %8.1f ms, %.2f ms per 1000 words\n", n, ns / 1e6,
                   ns / 1e6 / (n / 1000) }'
    done
}

# Reuters-21578 indexed $COPIES times under new ids (50 copies: 1,078,900
# articles, one segment): copy K of each file has NEWID="N" rewritten to
# NEWID="xK-N". The copies are scratch files, deleted once indexed; the
# index is kept, and made again when missing, unfinished (no stamp) or no
# longer readable (another format version).
build_big_index() {
    rc=0
    "$BIN/byline" search -i "$BIG_INDEX" --count reuter >/dev/null 2>&1 || rc=$?
    [ -f "$BIG_INDEX.done" ] && [ "$rc" -le 1 ] && return 0
    echo
    echo "bench: indexing Reuters-21578 $COPIES times into $BIG_INDEX (once; minutes)"
    src=build/bench-copies
    rm -rf "$BIG_INDEX" "$BIG_INDEX.done" "$src"
    mkdir -p "$src"
    k=1
    while [ "$k" -le "$COPIES" ]; do
        LC_ALL=C sed "s/NEWID=\"/NEWID=\"x$k-/" "$REUTERS"/reut2-*.sgm >"$src/copy-$k.sgm"
        k=$((k + 1))
    done
    # A big memory budget keeps it one segment (it peaks near 600 MB);
    # each copy warns once about an article without text.
    "$BIN/byline" index -q -m 16384 -o "$BIG_INDEX" "$src" 2>build/bench-copies.log ||
        { cat build/bench-copies.log >&2; rm -rf "$src"; exit 1; }
    rm -rf "$src"
    touch "$BIG_INDEX.done"
}

# byline-bench --json into $JSON (written whole or not at all), with the
# given index arguments.
bench_json() {
    echo
    echo "bench: JSON rows (byline-bench --json $*) into $JSON"
    "$BIN/byline-bench" --json "$@" >"$JSON.tmp"
    mv "$JSON.tmp" "$JSON"
    echo "bench: $(wc -l <"$JSON") rows in $JSON"
}

if [ ! -d "$REUTERS" ]; then
    echo "bench: $REUTERS is absent; synthetic lists only"
    "$BIN/byline-bench"
    bench_json
    exit 0
fi
# An index of another format version (an older build) is made again.
if ! "$BIN/byline" check -i "$INDEX" >/dev/null 2>&1; then
    rm -rf "$INDEX"
    "$BIN/byline" index -o "$INDEX" "$REUTERS"/reut2-*.sgm
fi
"$BIN/byline-bench" --index "$INDEX"
build_big_index
bench_json --index "$BIG_INDEX" --index-name "reuters-x$COPIES"
if [ -f "$QUERIES" ]; then
    echo
    "$BIN/byline-bench" --store --index "$INDEX" --queries "$QUERIES"
    echo
    echo "end to end: $QUERIES over $INDEX (top 10 with snippets, then counts only)"
    for i in 1 2 3; do
        "$BIN/byline" search -i "$INDEX" --queries "$QUERIES" --stats >/dev/null
    done
    "$BIN/byline" search -i "$INDEX" --queries "$QUERIES" --stats --count >/dev/null
    bench_batch_count
fi
bench_long_queries

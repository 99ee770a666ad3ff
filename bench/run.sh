#!/bin/sh
# `make bench`: the posting-loop benchmark on synthetic lists, then, when the
# Reuters-21578 corpus is beside the project, on that corpus's index, and an
# end-to-end run of the dev queries through `byline search --stats`.
set -e
BIN=${BIN:-bin}
REUTERS=${REUTERS:-../shared/corpora/reuters21578}
QUERIES=${QUERIES:-../shared/corpora/queries-dev.txt}
INDEX=${INDEX:-build/bench-reuters.idx}

if [ ! -d "$REUTERS" ]; then
    echo "bench: $REUTERS is absent; synthetic lists only"
    exec "$BIN/byline-bench"
fi
if [ ! -f "$INDEX/MANIFEST" ]; then
    rm -rf "$INDEX"
    "$BIN/byline" index -o "$INDEX" "$REUTERS"/reut2-*.sgm
fi
"$BIN/byline-bench" --index "$INDEX"
if [ -f "$QUERIES" ]; then
    echo
    echo "end to end: $QUERIES over $INDEX (top 10 with snippets, then counts only)"
    for i in 1 2 3; do
        "$BIN/byline" search -i "$INDEX" --queries "$QUERIES" --stats >/dev/null
    done
    "$BIN/byline" search -i "$INDEX" --queries "$QUERIES" --stats --count >/dev/null
fi

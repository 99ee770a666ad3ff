#!/bin/sh
# `make demo`: index the bundled sample and run a few searches that show
# phrases, booleans, stemming, prefixes and case folding.
set -e
BYLINE=${1:-bin/byline}
INDEX=${INDEX:-demo-index}
rm -rf "$INDEX"
"$BYLINE" index -o "$INDEX" corpus/sample
run() {
    printf '\n$ byline search -i %s' "$INDEX"
    for a in "$@"; do printf " '%s'" "$a"; done
    printf '\n'
    "$BYLINE" search -i "$INDEX" "$@" || [ $? -eq 1 ]
}
run wagner
run '"north korea" prigozhin'
run '"gossip and speculation"'
run patriot
run 'prigozhin NOT patriot'
run sanction
run Zelensky
run --json -k 1 'mercenar*'
run --count 'wagner OR patriot'
"$BYLINE" check -i "$INDEX"

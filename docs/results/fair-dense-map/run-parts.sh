#!/usr/bin/env bash
# The fair dense map (issue 34) in parts of five pairs, each part's JSON kept here; a part already here is skipped,
# a part cut short is run again whole. Run from this folder with transfer-tui installed and TRANSFER_TUI_DATA set.
set -u
pairs=($(python3 -c "from itertools import combinations as c; print(*(f'{a},{b}' for a, b in c(range(10), 2)))"))
for ((i = 0; i < 45; i += 5)); do
  part=$(printf 'part-%02d.json' $i)
  [ -f "$part" ] && continue
  transfer-tui tune --b-classes "${pairs[@]:$i:5}" --seeds 1-3 --json "$part.partial" > "${part%.json}.txt" &&
    mv "$part.partial" "$part"
done

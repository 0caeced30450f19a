#!/usr/bin/env bash
# Carries the paper budget of `npm run bench:quality` from one machine to the next through git:
# a run of the whole schedule takes longer than any one machine lives here.
#
#   bash scripts/quality-state.sh save DIR ROW…   DIR/results.json and each row's run folder
#                                                 (weights, Adam state, history: what --resume needs)
#                                                 into bench/quality-paper/ (results.json, ROW.tar.xz)
#   bash scripts/quality-state.sh restore DIR     the reverse, into a new DIR; then continue with
#                                                 npm run bench:quality -- --budget paper --rows ROW… --dir DIR
#
# Save only while no training is running in DIR (stop the bench with SIGTERM or Ctrl-C first: the
# trainer saves its state at the step it was on). Files are written to a temporary name, then renamed.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
store="${VAE_QUALITY_STORE:-$here/bench/quality-paper}" # the variable is for tests
die() { echo "quality-state: $*" >&2; exit 2; }

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: bash scripts/quality-state.sh save DIR ROW… | restore DIR"
case "$cmd" in
  save)
    shift 2
    [ $# -gt 0 ] || die "name the rows to save (run folders in $dir), e.g. burda-iwae50"
    [ -f "$dir/results.json" ] || die "$dir/results.json not found: is $dir a bench:quality --dir?"
    for row in "$@"; do
      [ -f "$dir/$row/run.json" ] || die "$dir/$row is not a run folder (no run.json)"
      if [ -f "$dir/$row/.vae-lock" ]; then
        pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$dir/$row/.vae-lock")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
          die "$dir/$row is being trained (process $pid): stop the bench first (SIGTERM saves its step)"
        fi
      fi
    done
    mkdir -p "$store"
    cp "$dir/results.json" "$store/results.json.tmp" && mv "$store/results.json.tmp" "$store/results.json"
    for row in "$@"; do
      tar -cJf "$store/$row.tar.xz.tmp" -C "$dir" --exclude=.vae-lock --exclude='*.png' --exclude='*.svg' "$row"
      mv "$store/$row.tar.xz.tmp" "$store/$row.tar.xz"
      echo "saved $dir/$row ($(node -p "JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')).epochsDone" "$dir/$row/run.json") epochs) to $store/$row.tar.xz ($(du -h "$store/$row.tar.xz" | cut -f1))"
    done
    ;;
  restore)
    [ -f "$store/results.json" ] || die "nothing to restore: $store/results.json not found"
    if [ -e "$dir/results.json" ]; then die "$dir/results.json exists: restore into a new folder"; fi
    mkdir -p "$dir"
    shopt -s nullglob
    for t in "$store"/*.tar.xz; do
      row=$(basename "$t" .tar.xz)
      [ -e "$dir/$row" ] && die "$dir/$row exists: restore into a new folder"
    done
    cp "$store/results.json" "$dir/results.json"
    rows=()
    for t in "$store"/*.tar.xz; do
      tar -xJf "$t" -C "$dir"
      rows+=("$(basename "$t" .tar.xz)")
    done
    echo "restored results.json${rows:+ and ${rows[*]}} into $dir"
    if [ ${#rows[@]} -gt 0 ]; then
      echo "continue with: npm run bench:quality -- --budget paper --rows $(IFS=,; echo "${rows[*]}") --dir $dir"
    fi
    ;;
  *) die "unknown command $cmd (save or restore)" ;;
esac

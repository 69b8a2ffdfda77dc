# Sourced by the bench scripts that compare with a base revision (ab.sh, instructions.sh).
#
#   build_at SHA DIR SETUP CARGO_BUILD_ARGS...
#
# Builds revision SHA with `cargo build --release CARGO_BUILD_ARGS` in a temporary worktree
# DIR/src, into its own target directory DIR/target, after running the command SETUP in the
# worktree (`:` for none); then removes the worktree. The caller copies what it needs out of
# DIR/target and keeps it.
build_at() {
  local sha="$1" dir="$2" setup="$3"
  shift 3
  local wt="$dir/src"
  rm -rf "$wt"
  git worktree prune
  git worktree add -q --detach "$wt" "$sha"
  (cd "$wt" && "$setup" && CARGO_TARGET_DIR="$dir/target" cargo build --release -q "$@")
  git worktree remove --force "$wt"
}

#!/bin/sh
# Runs promtool with the given arguments, or reports the test as skipped
# (exit 77, ctest's SKIP_RETURN_CODE) when promtool is not installed.
if ! command -v promtool >/dev/null 2>&1; then
  echo "SKIPPED: promtool not found on PATH (Debian: apt-get install prometheus)"
  exit 77
fi
exec promtool "$@"

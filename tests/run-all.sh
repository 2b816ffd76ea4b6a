#!/bin/bash
# The whole test suite, as CI runs it: formatting check, release build with
# unit and integration tests, then the unit tests again under ASan+UBSan.
# Integration tests need root (network namespaces); elsewhere they are
# reported as skipped, with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)

echo "== clang-format check"
files=$(git ls-files '*.cc' '*.h' '*.cc.in' 2>/dev/null || find . -name '*.cc' -o -name '*.h')
clang-format --dry-run --Werror $files

echo "== build and test"
cmake -S . -B build -DSOCKWATCH_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$JOBS"
ctest --test-dir build --output-on-failure -j"$JOBS" --timeout 300

echo "== unit tests under AddressSanitizer + UBSan"
cmake -S . -B build-asan -DSOCKWATCH_BUILD_TESTS=ON -DSOCKWATCH_INTEGRATION=OFF \
  -DSOCKWATCH_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$JOBS" --target unit_test
ctest --test-dir build-asan --output-on-failure -j"$JOBS" -L unit

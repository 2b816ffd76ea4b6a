#!/bin/bash
# The Debian package, end to end, on this machine:
#   cpack -G DEB in the build directory (output to a private directory),
#   lintian on the .deb (any E: line fails the test),
#   dpkg -i, then the installed files: /usr/bin/sockwatch --version,
#   systemd-analyze verify on the unit, dpkg -L against the manifest
#   packaging/deb.cmake wrote, the conffile, the man page,
#   dpkg --purge, and nothing of the package left behind.
#
# usage: package_test.sh BUILD_DIR SOURCE_DIR [CPACK]
#
# Exit codes: 0 passed, 1 failed, 77 skipped (not root, tools missing, or a
# sockwatch package already installed: the test would replace and purge it).
# Lintian tags are printed (E, W and I); only E: lines fail the test.
# Every external command runs under timeout(1); the package is purged on any
# exit once dpkg -i has been attempted.
set -uo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR SOURCE_DIR [CPACK]" >&2
  exit 2
fi
build=$(cd "$1" && pwd) || exit 1
src=$(cd "$2" && pwd) || exit 1
cpack=${3:-cpack}

skip() {
  echo "SKIPPED: $*"
  exit 77
}

# ---------------------------------------------------------------- preconditions
[ "$(id -u)" -eq 0 ] ||
  skip "needs root: it installs the package into this machine with dpkg -i"

missing=""
for tool in timeout dpkg dpkg-deb dpkg-query dpkg-shlibdeps lintian \
  systemd-analyze md5sum "$cpack"; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
[ -z "$missing" ] ||
  skip "missing tools:$missing (apt-get install dpkg-dev lintian systemd cmake)"

status=$(dpkg-query -W -f='${Status}' sockwatch 2>/dev/null || true)
case "$status" in
  "" | *not-installed) ;;
  *) skip "a sockwatch package is already on this machine (${status}); this" \
    "test would replace it and then purge it with its configuration." \
    "Remove it first: dpkg --purge sockwatch" ;;
esac

manifest=$build/packaging/deb-manifest.txt
if [ ! -f "$manifest" ] || [ ! -f "$build/CPackConfig.cmake" ]; then
  echo "FAIL: $build has no CPack configuration or package manifest;" \
    "the top-level CMakeLists.txt must include(packaging/deb.cmake)"
  exit 1
fi

# ---------------------------------------------------------------- helpers
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
die() {
  echo "FAIL: $*"
  exit 1
}
step() { echo "== $*"; }

work=$(mktemp -d /tmp/sockwatch-package-test.XXXXXX) || exit 1
chmod 0755 "$work"
installed=0
# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
  if [ "$installed" -eq 1 ]; then
    echo "== cleanup: dpkg --purge sockwatch"
    timeout 300 dpkg --purge sockwatch >"$work/cleanup.log" 2>&1 ||
      cat "$work/cleanup.log"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---------------------------------------------------------------- build
step "cpack -G DEB (in $build)"
if ! (cd "$build" && timeout 600 "$cpack" -G DEB -B "$work/out" \
  --config "$build/CPackConfig.cmake") >"$work/cpack.log" 2>&1; then
  tail -n 40 "$work/cpack.log"
  die "cpack failed or timed out (600 s)"
fi
shopt -s nullglob
debs=("$work"/out/sockwatch_*.deb)
shopt -u nullglob
[ ${#debs[@]} -eq 1 ] || die "expected one sockwatch_*.deb, got: ${debs[*]:-none}"
deb=${debs[0]}
chmod 0644 "$deb"
echo "built $(basename "$deb")"

step "control fields"
timeout 30 dpkg-deb --field "$deb" >"$work/control" || die "dpkg-deb --field failed"
cat "$work/control"
field() { timeout 30 dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = sockwatch ] || fail "Package is not sockwatch"
[ "$(field Section)" = net ] || fail "Section is not net"
[ "$(field Priority)" = optional ] || fail "Priority is not optional"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
version=$(field Version)
[[ $version =~ ^[0-9][0-9.]*-[0-9]+$ ]] ||
  fail "Version \"$version\" is not <upstream>-<debian revision>"
# dpkg-shlibdeps ran: the libraries the binary links are dependencies.
depends=$(field Depends)
depends_names=" $(sed 's/ *([^)]*)//g; s/,/ /g' <<<"$depends" | tr -s ' ') "
for lib in libc6 libstdc++6 libmnl0 libsystemd0 libcurl4 libmicrohttpd12 libgnutls30; do
  [[ $depends_names == *" $lib "* ]] ||
    fail "Depends lacks $lib (dpkg-shlibdeps not run?): $depends"
done
ctrl=$(timeout 30 dpkg-deb --ctrl-tarfile "$deb" | tar -t 2>/dev/null | sort | tr '\n' ' ')
for f in ./conffiles ./md5sums ./postinst ./prerm ./postrm; do
  [[ " $ctrl" == *" $f "* ]] || fail "control archive lacks $f (has: $ctrl)"
done

# ---------------------------------------------------------------- lintian
step "lintian $(basename "$deb")"
# As an unprivileged user where possible (lintian warns when run as root).
lintian_cmd=(timeout 300 lintian --display-info --tag-display-limit 0 "$deb")
if command -v runuser >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
  lintian_cmd=(runuser -u nobody -- env HOME="$work" "${lintian_cmd[@]}")
fi
(cd "$work" && "${lintian_cmd[@]}") >"$work/lintian.log" 2>&1
lintian_rc=$?
if [ -s "$work/lintian.log" ]; then
  cat "$work/lintian.log"
else
  echo "(no tags)"
fi
if grep -q '^E: ' "$work/lintian.log"; then
  fail "lintian reports errors (E: lines above)"
elif [ "$lintian_rc" -ne 0 ]; then
  fail "lintian exited with status $lintian_rc"
fi

# ---------------------------------------------------------------- install
step "dpkg -i $(basename "$deb")"
installed=1
if ! DEBIAN_FRONTEND=noninteractive timeout 300 dpkg -i "$deb" \
  >"$work/dpkg-i.log" 2>&1; then
  cat "$work/dpkg-i.log"
  die "dpkg -i failed or timed out (300 s)"
fi
cat "$work/dpkg-i.log"
status=$(dpkg-query -W -f='${Status}' sockwatch 2>/dev/null)
[ "$status" = "install ok installed" ] || die "package status is \"$status\""

step "/usr/bin/sockwatch --version"
out=$(timeout 10 /usr/bin/sockwatch --version 2>&1)
rc=$?
echo "$out"
upstream=${version%-*}
[ $rc -eq 0 ] || fail "sockwatch --version exited with status $rc"
[[ $out =~ ^"sockwatch version $upstream (revision "[^\)]+")"$ ]] ||
  fail "--version does not report version $upstream"

step "systemd-analyze verify /lib/systemd/system/sockwatch.service"
unit=/lib/systemd/system/sockwatch.service
timeout 60 systemd-analyze verify "$unit" >"$work/verify.log" 2>&1
verify_rc=$?
if ! command -v man >/dev/null 2>&1; then
  # Documentation=man:sockwatch(8) is looked up with man(1); without man-db
  # the lookup fails whatever the package holds.
  echo "(man-db not installed: ignoring the man page lookup of Documentation=)"
  grep -v "man sockwatch" "$work/verify.log" >"$work/verify.filtered" || true
  mv "$work/verify.filtered" "$work/verify.log"
  [ -s "$work/verify.log" ] || verify_rc=0
fi
if [ "$verify_rc" -ne 0 ] || [ -s "$work/verify.log" ]; then
  cat "$work/verify.log"
  fail "systemd-analyze verify is not clean (status $verify_rc)"
else
  echo "clean"
fi
cmp -s "$unit" "$src/packaging/systemd/sockwatch.service" ||
  fail "installed unit differs from packaging/systemd/sockwatch.service"
grep -qx 'ExecStart=/usr/bin/sockwatch --config.file=/etc/sockwatch/sockwatch.yml' "$unit" ||
  fail "unit's ExecStart is not /usr/bin/sockwatch --config.file=/etc/sockwatch/sockwatch.yml"
wants=/etc/systemd/system/multi-user.target.wants/sockwatch.service
[ "$(readlink "$wants")" = "$unit" ] ||
  fail "postinst did not enable the unit ($wants -> $unit)"
if [ -d /run/systemd/system ]; then
  # postinst started it; Type=notify: active only after the first sample.
  timeout 10 systemctl is-active --quiet sockwatch.service ||
    fail "sockwatch.service is not active after installation:" \
      "$(timeout 10 systemctl status --no-pager sockwatch.service 2>&1 | head -n 20)"
else
  echo "(systemd is not running here: the service start is not exercised)"
fi

step "dpkg -L sockwatch against $manifest"
# What the package holds but directories (/lib is a symlink to a directory
# on merged-/usr systems).
timeout 30 dpkg -L sockwatch | while IFS= read -r p; do
  if [ ! -d "$p" ]; then echo "$p"; fi
done | sort >"$work/files"
sort "$manifest" >"$work/expected"
cat "$work/files"
if ! diff -u "$work/expected" "$work/files" >"$work/files.diff"; then
  cat "$work/files.diff"
  fail "package contents differ from the manifest (- expected, + installed)"
fi
[ -x /usr/bin/sockwatch ] || fail "/usr/bin/sockwatch is not executable"
if file_out=$(timeout 10 file -b /usr/bin/sockwatch 2>/dev/null); then
  [[ $file_out == *"not stripped"* ]] && fail "/usr/bin/sockwatch is not stripped"
fi

step "conffile /etc/sockwatch/sockwatch.yml"
conffiles=$(dpkg-query -W -f='${Conffiles}\n' sockwatch)
echo "$conffiles"
conf=/etc/sockwatch/sockwatch.yml
sum=$(md5sum "$conf" | cut -d' ' -f1)
grep -qx " $conf $sum" <<<"$conffiles" ||
  fail "$conf is not a conffile with the installed file's md5sum"
cmp -s "$conf" "$src/config/sockwatch.example.yml" ||
  fail "$conf differs from config/sockwatch.example.yml"
# The installed binary accepts the installed config (sockets from the
# recorded fixture, not the kernel).
if ! timeout 30 /usr/bin/sockwatch --config.file="$conf" \
  --debug.replay-dump="$src/tests/fixtures/loopback-mix.nldump" report \
  >"$work/report.log" 2>&1; then
  cat "$work/report.log"
  fail "sockwatch report with the installed config failed"
fi

step "man page"
man_page=/usr/share/man/man8/sockwatch.8.gz
timeout 10 gzip -t "$man_page" || fail "$man_page is not valid gzip"
if command -v man >/dev/null 2>&1; then
  found=$(timeout 30 man -w 8 sockwatch 2>&1)
  [ "$found" = "$man_page" ] || fail "man -w 8 sockwatch gives \"$found\""
  # What lintian's groff-message check runs.
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 timeout 30 man --warnings -E UTF-8 \
    -l -Tutf8 -Z "$man_page" 2>&1 >/dev/null)
  [ -z "$warnings" ] || fail "man --warnings: $warnings"
  echo "$found, no warnings"
else
  echo "(man-db not installed: lookup not checked)"
fi

# ---------------------------------------------------------------- purge
step "dpkg --purge sockwatch"
if ! timeout 300 dpkg --purge sockwatch >"$work/purge.log" 2>&1; then
  cat "$work/purge.log"
  die "dpkg --purge failed or timed out (300 s)"
fi
cat "$work/purge.log"
installed=0
status=$(dpkg-query -W -f='${Status}' sockwatch 2>/dev/null || true)
case "$status" in
  "" | *not-installed) ;;
  *) fail "after purge the package status is \"$status\"" ;;
esac
left=""
while IFS= read -r p; do
  if [ -e "$p" ] || [ -L "$p" ]; then left="$left $p"; fi
done <"$manifest"
for p in /etc/sockwatch /usr/share/sockwatch /usr/share/doc/sockwatch \
  "$wants" /var/lib/systemd/deb-systemd-helper-enabled/sockwatch.service.dsh-also \
  /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/sockwatch.service \
  /var/lib/systemd/deb-systemd-helper-masked/sockwatch.service; do
  if [ -e "$p" ] || [ -L "$p" ]; then left="$left $p"; fi
done
[ -z "$left" ] || fail "left behind after purge:$left"

if [ "$failures" -ne 0 ]; then
  echo "package test: $failures failure(s)"
  exit 1
fi
echo "package test: passed"
exit 0

# Debian package of sockwatch, made with CPack's DEB generator.
#
# The top-level CMakeLists.txt includes this file after its
# install(TARGETS sockwatch ...):
#
#   include(packaging/deb.cmake)
#
# and then:
#
#   cmake -S . -B build && cmake --build build && (cd build && cpack -G DEB)
#
# gives build/sockwatch_<version>-<release>_<arch>.deb with
#
#   /usr/bin/sockwatch                       (stripped)
#   /lib/systemd/system/sockwatch.service    packaging/systemd/, unchanged
#   /etc/sockwatch/sockwatch.yml             conffile, config/sockwatch.example.yml
#   /usr/share/sockwatch/sockwatch-rules.yml packaging/prometheus/, if present
#   /usr/share/sockwatch/sockwatch.json      packaging/grafana/, if present
#   /usr/share/man/man8/sockwatch.8.gz       packaging/sockwatch.8
#   /usr/share/doc/sockwatch/copyright       packaging/debian/copyright
#   /usr/share/doc/sockwatch/changelog.Debian.gz
#   /usr/share/lintian/overrides/sockwatch   packaging/debian/lintian-overrides
#
# and the maintainer scripts in packaging/debian/ (the unit is enabled on
# installation and started where systemd runs, as dh_installsystemd does).
# Depends: is computed by dpkg-shlibdeps (package dpkg-dev).
#
# The rules file and the dashboard are picked up when they exist at
# configure time: re-run cmake after adding one. The files only the package
# needs are in the install component "deb", EXCLUDE_FROM_ALL, so a plain
# `cmake --install build` still installs the binary alone and never writes
# to /etc or /lib.
#
# ${CMAKE_BINARY_DIR}/packaging/deb-manifest.txt lists every file the
# package holds; tests/package/package_test.sh checks the installed package
# against it.

set(SOCKWATCH_DEB_MAINTAINER "sockwatch developers <sockwatch@example.org>"
    CACHE STRING "Maintainer field of the Debian package")
set(SOCKWATCH_DEB_RELEASE "1"
    CACHE STRING "Debian revision of the package (the part after the -)")

set(_sw_pkg_src ${CMAKE_CURRENT_LIST_DIR})
set(_sw_pkg_out ${CMAKE_BINARY_DIR}/packaging)
set(_sw_prefix /usr)
set(_sw_deb_version ${PROJECT_VERSION}-${SOCKWATCH_DEB_RELEASE})
file(MAKE_DIRECTORY ${_sw_pkg_out})
find_program(SOCKWATCH_GZIP gzip REQUIRED)

# The date of the changelog entry: SOURCE_DATE_EPOCH when set, else the
# date of the commit built, else now. RFC 2822, as Debian changelogs want.
if(DEFINED ENV{SOURCE_DATE_EPOCH})
  string(TIMESTAMP _sw_deb_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
else()
  execute_process(
    COMMAND git log -1 --format=%aD
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
    OUTPUT_VARIABLE _sw_deb_date
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT _sw_deb_date)
    string(TIMESTAMP _sw_deb_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
  endif()
endif()

# configure_file(COPYONLY) rewrites its output only when the text changes,
# so the gzip steps below run again only when they have to.
function(_sw_write_if_changed path content)
  file(WRITE ${path}.tmp "${content}")
  configure_file(${path}.tmp ${path} COPYONLY)
  file(REMOVE ${path}.tmp)
endfunction()

# Man page: the source with the project's version on its .TH line.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${_sw_pkg_src}/sockwatch.8)
file(READ ${_sw_pkg_src}/sockwatch.8 _sw_man)
string(REGEX REPLACE "\"sockwatch [^\"]*\"" "\"sockwatch ${PROJECT_VERSION}\""
  _sw_man "${_sw_man}")
_sw_write_if_changed(${_sw_pkg_out}/sockwatch.8 "${_sw_man}")

_sw_write_if_changed(${_sw_pkg_out}/changelog.Debian "\
sockwatch (${_sw_deb_version}) unstable; urgency=medium

  * sockwatch ${PROJECT_VERSION}, revision ${SOCKWATCH_REVISION}, packaged
    with CPack from the source tree (packaging/deb.cmake).

 -- ${SOCKWATCH_DEB_MAINTAINER}  ${_sw_deb_date}
")

# gzip -9n: no file name and no time stamp in the header (reproducible;
# lintian flags time-stamped gzip files).
set(_sw_gz_outputs)
foreach(_sw_name sockwatch.8 changelog.Debian)
  add_custom_command(
    OUTPUT ${_sw_pkg_out}/${_sw_name}.gz
    COMMAND sh -c "${SOCKWATCH_GZIP} -9nc ${_sw_name} > ${_sw_name}.gz"
    DEPENDS ${_sw_pkg_out}/${_sw_name}
    WORKING_DIRECTORY ${_sw_pkg_out}
    COMMENT "Compressing ${_sw_name} for the Debian package"
    VERBATIM)
  list(APPEND _sw_gz_outputs ${_sw_pkg_out}/${_sw_name}.gz)
endforeach()
# In ALL: cpack builds the "preinstall" target, which depends on all.
add_custom_target(sockwatch_deb_files ALL DEPENDS ${_sw_gz_outputs})

# The package's files besides the binary (installed by the top level).
set(_sw_manifest ${_sw_prefix}/bin/sockwatch)
macro(_sw_install_file src dest_dir name)
  install(FILES ${src} DESTINATION ${dest_dir} RENAME ${name}
          COMPONENT deb EXCLUDE_FROM_ALL)
  if(IS_ABSOLUTE ${dest_dir})
    list(APPEND _sw_manifest ${dest_dir}/${name})
  else()
    list(APPEND _sw_manifest ${_sw_prefix}/${dest_dir}/${name})
  endif()
endmacro()

_sw_install_file(${_sw_pkg_src}/systemd/sockwatch.service
  /lib/systemd/system sockwatch.service)
_sw_install_file(${CMAKE_SOURCE_DIR}/config/sockwatch.example.yml
  /etc/sockwatch sockwatch.yml)
_sw_install_file(${_sw_pkg_out}/sockwatch.8.gz share/man/man8 sockwatch.8.gz)
_sw_install_file(${_sw_pkg_src}/debian/copyright
  share/doc/sockwatch copyright)
_sw_install_file(${_sw_pkg_out}/changelog.Debian.gz
  share/doc/sockwatch changelog.Debian.gz)
_sw_install_file(${_sw_pkg_src}/debian/lintian-overrides
  share/lintian/overrides sockwatch)

set(_sw_extras "")
foreach(_sw_extra prometheus/sockwatch-rules.yml grafana/sockwatch.json)
  get_filename_component(_sw_name ${_sw_extra} NAME)
  if(EXISTS ${_sw_pkg_src}/${_sw_extra})
    _sw_install_file(${_sw_pkg_src}/${_sw_extra} share/sockwatch ${_sw_name})
    list(APPEND _sw_extras ${_sw_name})
  else()
    message(STATUS "Debian package: packaging/${_sw_extra} not found, "
                   "left out (re-run cmake once it exists)")
  endif()
endforeach()

list(JOIN _sw_manifest "\n" _sw_manifest_text)
_sw_write_if_changed(${_sw_pkg_out}/deb-manifest.txt "${_sw_manifest_text}\n")

# Package metadata.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sockwatch)
set(CPACK_PACKAGE_VENDOR "sockwatch developers")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${SOCKWATCH_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SOCKWATCH_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_RELEASE ${SOCKWATCH_DEB_RELEASE})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "TCP connection leak (CLOSE_WAIT) finder for Prometheus")
# The last paragraph of the description names what the package holds.
set(_sw_desc_last "This package contains the daemon, its hardened systemd unit and its
configuration file")
if(_sw_extras)
  set(_sw_shared)
  if("sockwatch-rules.yml" IN_LIST _sw_extras)
    list(APPEND _sw_shared "Prometheus alerting rules")
  endif()
  if("sockwatch.json" IN_LIST _sw_extras)
    list(APPEND _sw_shared "a Grafana dashboard")
  endif()
  list(JOIN _sw_shared " and " _sw_shared)
  string(APPEND _sw_desc_last ", with ${_sw_shared}\nin /usr/share/sockwatch")
endif()
# One line per line of the Description field (CPack adds the leading space
# and turns empty lines into " ."); keep them under 80 columns, and keep
# double quotes and semicolons out (CPackConfig.cmake mangles them).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "\
sockwatch finds TCP connection leaks before they take a service down. When a
peer closes a connection and the local process never calls close(), the
socket sits in CLOSE_WAIT until the process runs out of file descriptors.

The daemon samples every TCP socket on the host through netlink
(NETLINK_SOCK_DIAG), IPv4 and IPv6, maps each one to the process holding it,
and exports counts by state, service port and process to Prometheus, with
the age of the oldest CLOSE_WAIT socket and each process's file descriptor
usage. It evaluates leak alert rules itself and can push alerts to
Alertmanager. Its report command prints a one-off summary without a daemon.

${_sw_desc_last}.")

# Files and scripts.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_sw_pkg_src}/debian/conffiles
    ${_sw_pkg_src}/debian/postinst
    ${_sw_pkg_src}/debian/prerm
    ${_sw_pkg_src}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Install the default component (the binary) and "deb" into the staging
# tree; DESTDIR staging so /etc and /lib destinations land in the package.
if(CMAKE_INSTALL_DEFAULT_COMPONENT_NAME)
  set(_sw_default_component ${CMAKE_INSTALL_DEFAULT_COMPONENT_NAME})
else()
  set(_sw_default_component Unspecified)
endif()
set(CPACK_INSTALL_CMAKE_PROJECTS
    "${CMAKE_BINARY_DIR};sockwatch;${_sw_default_component};/"
    "${CMAKE_BINARY_DIR};sockwatch;deb;/")
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX ${_sw_prefix})
set(CPACK_PACKAGING_INSTALL_PREFIX ${_sw_prefix})

# `make package_source`: the tree without VCS data and build directories.
set(CPACK_SOURCE_GENERATOR TXZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/")

include(CPack)

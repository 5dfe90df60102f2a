# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Installs the systemd units and their options file for the prefix given at
# install time (`cmake --install --prefix`, or /usr when cpack builds the
# .deb), so that the unit runs the zctrace installed beside it. Under /usr,
# the Debian 12 places: /lib/systemd/system and /etc; under any other
# prefix, its lib/systemd/system and etc.
# Set before it runs: ZCTRACE_PACKAGING_DIR, the source's packaging/.
# file(INSTALL) puts $DESTDIR (cpack's staging directory) in front of an
# absolute destination itself; configure_file does not.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(unit_dir "/lib/systemd/system")
  set(sysconf_dir "/etc")
else()
  set(unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  set(sysconf_dir "${CMAKE_INSTALL_PREFIX}/etc")
endif()
set(BINDIR "${CMAKE_INSTALL_PREFIX}/bin")
set(SYSCONFDIR "${sysconf_dir}")
configure_file("${ZCTRACE_PACKAGING_DIR}/systemd/zctrace-export.service"
               "$ENV{DESTDIR}${unit_dir}/zctrace-export.service" @ONLY)
file(INSTALL "${ZCTRACE_PACKAGING_DIR}/systemd/zctrace-export.timer" DESTINATION "${unit_dir}")
file(INSTALL "${ZCTRACE_PACKAGING_DIR}/systemd/zctrace-export.default" DESTINATION "${sysconf_dir}/default"
     RENAME zctrace-export)
message(STATUS "Installing: $ENV{DESTDIR}${unit_dir}/zctrace-export.service")

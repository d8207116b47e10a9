# `cmake --install <build dir> --prefix P` installs
#   P/bin/rlfleet                            the rlfleet command            (component runtime)
#   P/include/rlfleet/env_plugin.h           the env plugin ABI             (component development)
#   P/lib/cmake/rlfleet/rlfleetConfig.cmake  the CMake package rlfleet      (component development)
#     + rlfleetConfigVersion.cmake, rlfleetTargets.cmake
# so that an environment plugin builds out of tree (examples/env_plugin) with
#   find_package(rlfleet REQUIRED)
#   target_link_libraries(my_env PRIVATE rlfleet::env_plugin)
# The package defines rlfleet::env_plugin (INTERFACE: the include directory only),
# RLFLEET_EXECUTABLE (the installed rlfleet) and RLFLEET_ENV_PLUGIN_ABI_VERSION.
# `--component development` installs the plugin SDK alone (no need to build rlfleet first).
# The installed binary still reads the MuJoCo models and the plot script from this source tree.
include(CMakePackageConfigHelpers)

set(RLFLEET_INSTALL_BINDIR bin)
set(RLFLEET_INSTALL_INCLUDEDIR include)
set(RLFLEET_INSTALL_CMAKEDIR lib/cmake/rlfleet)

# The binary links LibTorch, MuJoCo and others: keep the directories it was linked against
# (those outside the system's) in its installed RPATH.
set_target_properties(rlfleet PROPERTIES INSTALL_RPATH_USE_LINK_PATH TRUE)
install(TARGETS rlfleet RUNTIME DESTINATION ${RLFLEET_INSTALL_BINDIR} COMPONENT runtime)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/rlfleet
  DESTINATION ${RLFLEET_INSTALL_INCLUDEDIR}
  COMPONENT development
  FILES_MATCHING PATTERN "*.h")
install(TARGETS rlfleet_env_plugin EXPORT rlfleetTargets COMPONENT development)
install(EXPORT rlfleetTargets
  NAMESPACE rlfleet::
  DESTINATION ${RLFLEET_INSTALL_CMAKEDIR}
  COMPONENT development)

file(STRINGS ${PROJECT_SOURCE_DIR}/include/rlfleet/env_plugin.h abi_line
  REGEX "^#define RLFLEET_ENV_PLUGIN_ABI_VERSION ")
string(REGEX REPLACE "^#define RLFLEET_ENV_PLUGIN_ABI_VERSION ([0-9]+)u?.*$" "\\1"
  RLFLEET_ENV_PLUGIN_ABI_VERSION "${abi_line}")
if(NOT RLFLEET_ENV_PLUGIN_ABI_VERSION MATCHES "^[0-9]+$")
  message(FATAL_ERROR
    "cannot read RLFLEET_ENV_PLUGIN_ABI_VERSION from include/rlfleet/env_plugin.h")
endif()

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/rlfleetConfig.cmake.in
  ${PROJECT_BINARY_DIR}/rlfleetConfig.cmake
  INSTALL_DESTINATION ${RLFLEET_INSTALL_CMAKEDIR}
  PATH_VARS RLFLEET_INSTALL_BINDIR RLFLEET_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/rlfleetConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/rlfleetConfig.cmake
              ${PROJECT_BINARY_DIR}/rlfleetConfigVersion.cmake
  DESTINATION ${RLFLEET_INSTALL_CMAKEDIR}
  COMPONENT development)

# Helpers shared by every folder's CMakeLists.txt.

# rlfleet_test(NAME name SOURCES a_test.cc ... LIBS lib ...)
# Builds one GoogleTest executable and registers each of its tests with ctest.
function(rlfleet_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT RLFLEET_BUILD_TESTS)
    return()
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main Threads::Threads)
  gtest_discover_tests(${T_NAME}
    DISCOVERY_TIMEOUT 120
    PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}"
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR})
endfunction()

# With RLFLEET_WARNINGS, compiles every C and C++ target defined from here down (the project's
# own: third-party code comes in as imported targets, whose headers are SYSTEM) with
# -Wall -Wextra. Call before the add_subdirectory() calls.
function(rlfleet_enable_warnings)
  if(NOT RLFLEET_WARNINGS)
    return()
  endif()
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    add_compile_options("$<$<COMPILE_LANGUAGE:C,CXX>:-Wall;-Wextra>")
  endif()
endfunction()

# The layering of docs/architecture.md, checked on every build: LibTorch may only be included
# in algorithms/, actors/, learner/, launcher/, bench/ and tests/ (never core/, envs/, pyenv/,
# replay/, transport/); ZeroMQ never in algorithms/
# or envs/. A violation fails the build and names the file.
function(rlfleet_check_layering)
  add_custom_target(check_layering ALL
    COMMAND ${CMAKE_COMMAND} -DROOT=${PROJECT_SOURCE_DIR} -P ${PROJECT_SOURCE_DIR}/cmake/check_layering.cmake
    COMMENT "Checking include layering"
    VERBATIM)
endfunction()

# The relay end to end: roster import, modemsim, chaperoned as a real process, phones
# texting relay numbers. Arguments: the build directory (programs) and the source
# directory (fixtures).
add_library(e2e-relay-harness STATIC relay_harness.c)
target_link_libraries(e2e-relay-harness PUBLIC e2e-harness chaperone-storage PkgConfig::SQLITE)

foreach(t rules grammar)
  add_executable(test_relay_${t} test_relay_${t}.c)
  target_link_libraries(test_relay_${t} PRIVATE e2e-relay-harness)
  # The programs the test runs are part of what it needs built.
  add_dependencies(test_relay_${t} chaperone chaperoned modemsim)
  add_test(NAME e2e_relay_${t}
           COMMAND test_relay_${t} ${CMAKE_BINARY_DIR} ${PROJECT_SOURCE_DIR})
  set_tests_properties(e2e_relay_${t} PROPERTIES TIMEOUT 240)
endforeach()

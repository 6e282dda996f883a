# chaperoned's lifecycle: VTY, SIGTERM, restart, a hung modem, SIGKILL, file modes.
add_test(NAME e2e_relay_lifecycle
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/relay_lifecycle_test.sh ${CMAKE_BINARY_DIR} ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_relay_lifecycle PROPERTIES TIMEOUT 240)

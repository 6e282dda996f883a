# `chaperone roster import`, `person`, `team` and `exception` against a real SQLite file
# and the sample district (tests/fixtures/district).
add_test(NAME e2e_roster COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/roster_test.sh ${CMAKE_BINARY_DIR})
set_tests_properties(e2e_roster PROPERTIES TIMEOUT 120)

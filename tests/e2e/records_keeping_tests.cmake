# Retention, legal holds and disposal through the real `chaperone` and `chaperoned`, on
# an archive seeded by test_records_keeping (the sample district, old and recent records).
add_test(NAME e2e_records_keeping
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/records_keeping_test.sh ${CMAKE_BINARY_DIR})
set_tests_properties(e2e_records_keeping PROPERTIES TIMEOUT 120)

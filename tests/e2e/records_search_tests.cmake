# `chaperone records search` on a real archive file: the sample district and the unit
# test's scenario (test_records_query --fill), table, CSV, JSON, threads, the access log.
add_test(NAME e2e_records_search
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/records_search_test.sh ${CMAKE_BINARY_DIR})
set_tests_properties(e2e_records_search PROPERTIES TIMEOUT 60)

# The records officer's query (storage/records_query.h) against a temporary archive of
# the sample district. The binary also writes that archive for the e2e test (--fill).
add_executable(test_records_query test_records_query.c)
target_link_libraries(test_records_query PRIVATE test-archive chaperone-roster chaperone-storage
  PkgConfig::CMOCKA PkgConfig::TALLOC)
add_test(NAME test_records_query COMMAND test_records_query)

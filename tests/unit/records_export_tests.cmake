# Public-records export and redaction (CMocka), against a temporary archive holding the
# sample district (tests/fixtures/district) and messages written through storage/records.h.
add_executable(test_records_export test_records_export.c)
target_link_libraries(test_records_export PRIVATE test-archive chaperone-roster chaperone-storage
  PkgConfig::CMOCKA PkgConfig::TALLOC PkgConfig::JSONC PkgConfig::SODIUM)
add_test(NAME test_records_export COMMAND test_records_export)

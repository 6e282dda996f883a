# Keeping records: the retention schedule, legal holds, disposal under tombstones and the
# archive file's group, against temporary SQLite files holding the sample district.
add_executable(test_records_keeping test_records_keeping.c)
target_link_libraries(test_records_keeping PRIVATE test-archive chaperone-roster PkgConfig::CMOCKA
  PkgConfig::TALLOC PkgConfig::SQLITE)
add_test(NAME test_records_keeping COMMAND test_records_keeping)

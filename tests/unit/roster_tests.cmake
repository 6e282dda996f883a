# Roster import and the directory in storage (CMocka), against temporary SQLite files and
# the fixtures under tests/fixtures/ (district/ and roster/).
add_executable(test_roster test_roster.c)
target_link_libraries(test_roster PRIVATE chaperone-roster PkgConfig::CMOCKA PkgConfig::TALLOC)
target_compile_definitions(test_roster PRIVATE FIXTURES="${PROJECT_SOURCE_DIR}/tests/fixtures")
add_test(NAME test_roster COMMAND test_roster)

# The archive's hash chain against real SQLite files: tamper detection, anchors, guards,
# the migration that chains an older archive.
add_executable(test_chain test_chain.c)
target_link_libraries(test_chain PRIVATE test-archive chaperone-storage PkgConfig::CMOCKA PkgConfig::TALLOC)
add_test(NAME test_chain COMMAND test_chain)

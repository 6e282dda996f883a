# The records tests' temporary archives (test_archive.h).
add_library(test-archive STATIC test_archive.c)
target_link_libraries(test-archive PUBLIC chaperone-roster chaperone-storage PkgConfig::CMOCKA
  PkgConfig::TALLOC)
target_compile_definitions(test-archive PRIVATE FIXTURES="${PROJECT_SOURCE_DIR}/tests/fixtures")

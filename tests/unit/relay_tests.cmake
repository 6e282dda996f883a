# Phone numbers, the in-memory directory, and the router against a real SQLite file.
add_executable(test_phone_number test_phone_number.c)
target_link_libraries(test_phone_number PRIVATE chaperone-directory PkgConfig::CMOCKA)
add_test(NAME unit_phone_number COMMAND test_phone_number)

if(TARGET chaperone-relay AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/test_router.c)
  add_executable(test_router test_router.c)
  target_link_libraries(test_router PRIVATE chaperone-relay chaperone-roster PkgConfig::CMOCKA)
  add_test(NAME unit_router COMMAND test_router ${PROJECT_SOURCE_DIR}/tests/fixtures/district)
endif()

# `chaperone records export --redact students` and `records verify-export` on an archive
# written by chaperoned from phones texting modemsim (the sample district): no student's
# name, handle or number anywhere in the bundle; a changed byte is caught.
add_test(NAME e2e_records_export
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/records_export_test.sh ${CMAKE_BINARY_DIR} ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_records_export PROPERTIES TIMEOUT 240)

# `chaperone records verify|anchor|audit` on a real file, and a byte edited by hand.
add_test(NAME e2e_records_chain
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/records_chain_test.sh ${CMAKE_BINARY_DIR})
set_tests_properties(e2e_records_chain PROPERTIES TIMEOUT 120)

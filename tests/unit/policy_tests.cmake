# Unit tests of the policy engine and the SMS command grammar (CMocka), and the policy
# engine's property test (random directories and requests, invariants on every verdict).
foreach(t test_policy test_grammar test_policy_property)
  add_executable(${t} ${t}.c)
  target_link_libraries(${t} PRIVATE chaperone-policy PkgConfig::CMOCKA)
endforeach()
add_test(NAME unit_policy COMMAND test_policy)
add_test(NAME unit_grammar COMMAND test_grammar)
# Seed and request count can be given on the command line: test_policy_property SEED N.
add_test(NAME unit_policy_property COMMAND test_policy_property)
set_tests_properties(unit_policy_property PROPERTIES TIMEOUT 120)

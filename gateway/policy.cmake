# The policy engine (one source file per rule of the design's rules table) and the SMS
# command grammar. Pure code: no I/O, no event loop; linked by the router and the tests.
add_library(chaperone-policy STATIC
  policy.c
  policy_crisis.c
  policy_exception.c
  policy_whole_team.c
  policy_guardian_copy.c
  policy_contact_screen.c
  policy_quiet_hours.c
  policy_oversight.c
  policy_opt_out.c
  policy_attribution.c
  policy_masking.c
  policy_notice.c
  grammar.c
)
target_include_directories(chaperone-policy PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(chaperone-policy PUBLIC chaperone-directory)

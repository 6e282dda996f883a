# Tests of `chaperone` and `chaperone pdu`, through run_cli.cmake.
function(cli_test name rc args)
  cmake_parse_arguments(PARSE_ARGV 3 T "" "OUT;ERR" "")
  set(extra)
  if(DEFINED T_OUT)
    list(APPEND extra "-DOUT=${T_OUT}")
  endif()
  if(DEFINED T_ERR)
    list(APPEND extra "-DERR=${T_ERR}")
  endif()
  add_test(NAME cli_${name}
    COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:chaperone> "-DARGS=${args}" -DRC=${rc}
            ${extra} -P ${CMAKE_CURRENT_SOURCE_DIR}/run_cli.cmake)
endfunction()

set(DREAMFABRIC_DELIVER 07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07)
set(DREAMFABRIC_SUBMIT 0011000B916407281553F80000AA0AE8329BFD4697D9EC37)
set(AMRO_STATUS_REPORT 06000B910221815716F2709021510121807090215101718000)
set(EMOJI_DELIVER 00040B915155214365F700086211129003000A0A004800690020D83DDE00)

cli_test(version 0 "--version" OUT "^chaperone 0\\.1\\.0\n$")
cli_test(help 0 "--help" OUT "pdu +decode and encode")
cli_test(no_arguments 2 "" ERR "Usage: chaperone")
cli_test(unknown_command 2 "frobnicate" ERR "unknown command 'frobnicate'")
cli_test(pdu_help 0 "pdu|--help" OUT "chaperone pdu decode")
cli_test(pdu_unknown_subcommand 2 "pdu|recode" ERR "unknown subcommand")

cli_test(decode_deliver 0 "pdu|decode|${DREAMFABRIC_DELIVER}"
  OUT "type: +SMS-DELIVER\n.*originator: +\\+31641600986 \\(international, E\\.164\\)\n.*timestamp: +2002-08-26T19:37:41\\+00:00\n.*text: +How are you\\?\n.*tpdu length: +30\n")
cli_test(decode_submit_json 0 "pdu|decode|--json|${DREAMFABRIC_SUBMIT}"
  OUT "\"type\":\"SMS-SUBMIT\".*\"number\":\"\\+46708251358\".*\"minutes\":5760.*\"text\":\"hellohello\"")
cli_test(decode_status_report_no_smsc 0 "pdu|decode|--no-smsc|${AMRO_STATUS_REPORT}"
  OUT "type: +SMS-STATUS-REPORT\n.*recipient: +\\+20121875612.*status: +0x00 delivered")
cli_test(decode_forced_direction 2 "pdu|decode|--deliver|--submit|${DREAMFABRIC_SUBMIT}"
  ERR "only one of")
cli_test(decode_forced_wrong_type 1 "pdu|decode|--status-report|${DREAMFABRIC_DELIVER}"
  ERR "^chaperone: pdu decode: unexpected message type \\(mti\\)\n$")
cli_test(decode_emoji 0 "pdu|decode|${EMOJI_DELIVER}" OUT "text: +Hi 😀\n")
cli_test(decode_spaced_hex 0 "pdu|decode|00 11 00 0B 91 64 07 28 15 53 F8 00 00 AA 0A E8 32 9B FD 46 97 D9 EC 37"
  OUT "text: +hellohello")
cli_test(decode_truncated 1 "pdu|decode|07911326040000F0040B9113"
  ERR "^chaperone: pdu decode: truncated PDU \\(truncated\\)\n$")
cli_test(decode_bad_hex 1 "pdu|decode|07911G" ERR "invalid hexadecimal \\(hex\\)")
cli_test(decode_udl_too_long 1 "pdu|decode|0041010C910661345542F60008A0050003000301306F3044"
  ERR "length field disagrees with the data \\(length\\)")
cli_test(decode_missing_hex 2 "pdu|decode" ERR "missing HEX")
cli_test(decode_unknown_option 2 "pdu|decode|--frob|00" ERR "Usage")

cli_test(encode_submit 0 "pdu|encode|--to|+46708251358|--validity|5760|hellohello"
  OUT "^part: +1 of 1\npdu: +${DREAMFABRIC_SUBMIT}\ncmgs length: +23 \\(AT\\+CMGS=23\\)\ntype: +SMS-SUBMIT\n.*destination: +\\+46708251358 .*validity: +.*text: +hellohello\n$")
cli_test(encode_submit_srr_smsc 0 "pdu|encode|--to|+31628870634|--srr|--smsc|+31624000000|Price: 5€"
  OUT "^part: +1 of 1\npdu: +07911326040000F021000B911326880736F400000A50797A5CD6816A9B32\ncmgs length: +22 .*status report request: +yes\n.*text: +Price: 5€\n$")
cli_test(encode_json 0 "pdu|encode|--json|--to|+46708251358|hellohello"
  OUT "\"pdu\":\"0001000B916407281553F800000AE8329BFD4697D9EC37\".*\"cmgs_length\":22.*\"text\":\"hellohello\"")
cli_test(encode_three_parts 0
  "pdu|encode|--ref|7|--to|+15125551234|Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore"
  OUT "^part: +1 of 3\npdu: +0041000B915121551532F40000A0050003070301[0-9A-F]+\ncmgs length: +153 .*\npart: +2 of 3\npdu: +0041000B915121551532F40000A0050003070302[0-9A-F]+\ncmgs length: +153 .*\npart: +3 of 3\npdu: +0041000B915121551532F40000[0-9A-F]+\n.*concatenation: +reference 7 \\(8-bit\\), part 3 of 3\n.*text: +ore\n$")
cli_test(encode_deliver 0 "pdu|encode|--deliver|--from|Chaperone|Hi"
  OUT "^part: +1 of 1\npdu: +000410D04374185E96BFDD650000[0-9A-F]+\n.*type: +SMS-DELIVER\n.*originator: +Chaperone \\(alphanumeric.*text: +Hi\n$")
cli_test(encode_bad_number 1 "pdu|encode|--to|+1 555 0100|hello"
  ERR "^chaperone: pdu encode: invalid address \\(address\\)\n$")
cli_test(encode_missing_to 2 "pdu|encode|hello" ERR "missing --to")
cli_test(encode_deliver_needs_from 2 "pdu|encode|--deliver|hello" ERR "--from")
cli_test(encode_missing_text 2 "pdu|encode|--to|+15550100" ERR "missing TEXT")

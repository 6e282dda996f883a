# SPDX-License-Identifier: AGPL-3.0-or-later
# Runs the chaperone CLI once and checks its exit status, stdout and stderr.
#   -DEXE=path -DARGS=arg|arg|... -DRC=n [-DOUT=regex] [-DERR=regex]
# Arguments are separated by '|' because ';' does not survive add_test().
string(REPLACE "|" ";" argv "${ARGS}")
execute_process(COMMAND "${EXE}" ${argv}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(report "command: ${EXE} ${ARGS}\nexit: ${rc}\nstdout:\n${out}\nstderr:\n${err}")
if(NOT rc EQUAL RC)
  message(FATAL_ERROR "expected exit status ${RC}\n${report}")
endif()
if(DEFINED OUT AND NOT out MATCHES "${OUT}")
  message(FATAL_ERROR "stdout does not match '${OUT}'\n${report}")
endif()
if(DEFINED ERR AND NOT err MATCHES "${ERR}")
  message(FATAL_ERROR "stderr does not match '${ERR}'\n${report}")
endif()

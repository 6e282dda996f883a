# SPDX-License-Identifier: AGPL-3.0-or-later
# Builds the relay's spoken prompts:
#
#   cmake -DPROMPTS=prompts.txt -DOUT_DIR=DIR -DESPEAK=espeak-ng -DSOX=sox [-DTABLE=FILE.c]
#         -P prompts_gen.cmake
#
# For each prompt of PROMPTS: espeak-ng speaks the text (22,050 Hz), sox resamples it to
# DIR/<id>.wav, 8,000 Hz mono signed 16-bit PCM, peak normalised to -3 dBFS. With TABLE,
# writes the C table of prompts.h: id, text, file, sample count and the SHA-256 of each
# WAV file as written.
#
# Deterministic: espeak-ng 1.51 writes the same bytes for the same text every run; sox
# dithers with a random seed by default when it reduces to 16 bits (two runs differ),
# so -D turns dither off, and SOX_OPTS is cleared so no environment changes the chain.
# The same packages on the same architecture give the same files, byte for byte; the
# test regenerates into another directory and compares.
cmake_minimum_required(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/prompts_parse.cmake)

foreach(v PROMPTS OUT_DIR ESPEAK SOX)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "prompts_gen.cmake: ${v} is not set")
  endif()
endforeach()

set(VOICE en-us)
set(SPEED 150) # words a minute; espeak-ng's 175 is quick for a phone line
set(SOX_EFFECTS rate -h gain -n -3)

prompts_parse(${PROMPTS} ids texts)
unset(ENV{SOX_OPTS})
file(MAKE_DIRECTORY ${OUT_DIR})

# wav_samples(FILE VAR): the sample count of FILE, after checking that it is the plain
# 44-byte header sox writes for 8 kHz mono 16-bit PCM (anything else stops the build).
function(wav_samples file var)
  file(SIZE ${file} size)
  file(READ ${file} h LIMIT 44 HEX)
  string(SUBSTRING "${h}" 0 8 riff)
  string(SUBSTRING "${h}" 16 16 wave_fmt)
  string(SUBSTRING "${h}" 32 40 fmt) # size 16, PCM, 1 channel, 8000 Hz, 16000 B/s, 2, 16
  string(SUBSTRING "${h}" 72 8 data)
  if(NOT riff STREQUAL "52494646" OR NOT wave_fmt STREQUAL "57415645666d7420"
      OR NOT fmt STREQUAL "1000000001000100401f0000803e000002001000"
      OR NOT data STREQUAL "64617461")
    message(FATAL_ERROR "${file}: not an 8 kHz mono 16-bit PCM WAV with a plain header")
  endif()
  string(SUBSTRING "${h}" 80 8 le)
  string(REGEX REPLACE "(..)(..)(..)(..)" "\\4\\3\\2\\1" be "${le}")
  math(EXPR bytes "0x${be}")
  math(EXPR expect "${size} - 44")
  if(NOT bytes EQUAL expect OR bytes LESS 2)
    message(FATAL_ERROR "${file}: data chunk of ${bytes} bytes in a file of ${size}")
  endif()
  math(EXPR n "${bytes} / 2")
  set(${var} ${n} PARENT_SCOPE)
endfunction()

execute_process(COMMAND ${ESPEAK} --version OUTPUT_VARIABLE espeak_version
  OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
string(REGEX REPLACE "^.*: ([0-9][^ ]*).*$" "\\1" espeak_version "${espeak_version}")
execute_process(COMMAND ${SOX} --version OUTPUT_VARIABLE sox_version
  OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
string(REGEX REPLACE "^.*SoX v?" "" sox_version "${sox_version}")
list(JOIN SOX_EFFECTS " " effects)
set(provenance "espeak-ng ${espeak_version} -v ${VOICE} -s ${SPEED}; sox ${sox_version} -D -r 8000 -c 1 -b 16 -e signed-integer ${effects}")

set(rows "")
list(LENGTH ids count)
math(EXPR last "${count} - 1")
foreach(i RANGE ${last})
  list(GET ids ${i} id)
  list(GET texts ${i} text)
  set(speech ${OUT_DIR}/${id}.espeak.wav)
  set(wav ${OUT_DIR}/${id}.wav)
  execute_process(COMMAND ${ESPEAK} -v ${VOICE} -s ${SPEED} -w ${speech} "${text}"
    RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "espeak-ng failed on prompt ${id} (${rc}): ${err}")
  endif()
  execute_process(COMMAND ${SOX} -D ${speech} -r 8000 -c 1 -b 16 -e signed-integer ${wav}
    ${SOX_EFFECTS} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "sox failed on prompt ${id} (${rc}): ${err}")
  endif()
  file(REMOVE ${speech})
  wav_samples(${wav} n)
  file(SHA256 ${wav} sha)
  string(APPEND rows "\t{\"${id}\", \"${text}\", \"${id}.wav\", ${n}, \"${sha}\"},\n")
endforeach()

if(DEFINED TABLE)
  file(WRITE ${TABLE}.tmp
    "/* Generated from prompts.txt by prompts_gen.cmake: do not edit. */\n"
    "#include \"gateway/voice/prompts/prompts_table.h\"\n\n"
    "const char voice_prompt_table_provenance[] =\n\t\"${provenance}\";\n\n"
    "const struct voice_prompt voice_prompt_table[] = {\n${rows}};\n\n"
    "const size_t voice_prompt_table_len = ${count};\n")
  file(RENAME ${TABLE}.tmp ${TABLE})
endif()

# SPDX-License-Identifier: AGPL-3.0-or-later
# prompts_parse(FILE IDS TEXTS): the prompts of FILE (prompts.txt) in order, ids in IDS
# and texts in TEXTS (same positions). A line that is neither a comment, blank nor a
# well-formed prompt, a duplicate id or a character outside the allowed set stops the
# build with the line quoted: nothing but plain words reaches the speech engine.
function(prompts_parse file ids_var texts_var)
  file(STRINGS ${file} lines ENCODING UTF-8)
  set(ids)
  set(texts)
  foreach(line IN LISTS lines)
    if(line MATCHES "^[ \t]*(#.*)?$")
      continue()
    endif()
    if(NOT line MATCHES "^([a-z0-9_]+)[ \t]+([A-Za-z0-9 ,.:'?!-]+)$")
      message(FATAL_ERROR "${file}: not \"id  text\" (or a character outside "
        "A-Z a-z 0-9 space , . : ' ? ! -): ${line}")
    endif()
    set(id ${CMAKE_MATCH_1})
    string(STRIP "${CMAKE_MATCH_2}" text)
    if(id IN_LIST ids)
      message(FATAL_ERROR "${file}: prompt ${id} appears twice")
    endif()
    if(text MATCHES "^-")
      message(FATAL_ERROR "${file}: prompt ${id} starts with -")
    endif()
    list(APPEND ids ${id})
    list(APPEND texts "${text}")
  endforeach()
  if(NOT ids)
    message(FATAL_ERROR "${file}: no prompts")
  endif()
  set(${ids_var} ${ids} PARENT_SCOPE)
  set(${texts_var} "${texts}" PARENT_SCOPE)
endfunction()

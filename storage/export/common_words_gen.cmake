# SPDX-License-Identifier: AGPL-3.0-or-later
# Writes OUT, the C table of common_words.h: every all-lower-case ASCII word of two or
# more letters of WORDS (Debian's /usr/share/dict/american-english), sorted and unique.
file(STRINGS ${WORDS} lines REGEX "^[a-z][a-z]+$")
list(REMOVE_DUPLICATES lines)
list(SORT lines COMPARE STRING)
list(LENGTH lines n)
list(JOIN lines "\",\n\"" body)
file(WRITE ${OUT} "/* Generated from ${WORDS} by common_words_gen.cmake: do not edit. */\n"
  "#include \"storage/export/common_words.h\"\n"
  "const char *const common_words_table[] = {\n\"${body}\",\n};\n"
  "const size_t common_words_count = ${n};\n")

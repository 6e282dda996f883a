# The records officer's query (records_query.h): search, export and holds select
# records through it. The query is recorded as JSON (json-c).
list(APPEND STORAGE_SOURCES records_query.c)
list(APPEND STORAGE_LIBS PkgConfig::JSONC)

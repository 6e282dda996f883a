# Keeping records: the retention schedule, legal holds, disposal under tombstones, and
# who may read the archive's file. The schedule and hold queries travel as JSON (json-c).
list(APPEND STORAGE_SOURCES retention.c legal_hold.c disposal.c file_access.c)
list(APPEND STORAGE_LIBS PkgConfig::JSONC)

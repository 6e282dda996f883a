list(APPEND STORAGE_SOURCES schema_records.c records.c)

# The directory's tables and their persistence (persons, teams, relays, exceptions).
list(APPEND STORAGE_SOURCES schema_directory.c directory_store.c)

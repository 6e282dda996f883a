# The archive's integrity and records management: hash chain, holds, retention,
# disposal, search, export, access audit. SHA-256/HMAC from libsodium.
list(APPEND STORAGE_SOURCES schema_archive.c chain.c access_log.c)
list(APPEND STORAGE_LIBS PkgConfig::SODIUM)

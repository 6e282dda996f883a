# Public-records export (records_export.h): the bundle's writers (HTML, CSV, JSON Lines),
# redaction with pseudonyms, recording the export, and verifying a bundle later.
# JSON by json-c, CSV quoting by libcsv, SHA-256 and HMAC by libsodium (archive.cmake).
list(APPEND STORAGE_SOURCES records_export.c redact.c export_html.c export_csv.c
  export_jsonl.c export_verify.c)
list(APPEND STORAGE_LIBS PkgConfig::JSONC CSV::csv)

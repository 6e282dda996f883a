# The records officer's commands (`chaperone records ...`) and the storage/ modules
# behind them.
list(APPEND CLI_SOURCES
  cli_records.c
  cli_records_query.c
  cli_records_search.c
  cli_records_export.c
  cli_records_hold.c
  cli_records_dispose.c
  cli_records_verify.c
  cli_records_audit.c
)

# The router (inbound message → verdict → records → deliveries) and chaperoned.
add_library(chaperone-relay STATIC router.c)
target_link_libraries(chaperone-relay PUBLIC chaperone-policy chaperone-storage)

add_executable(chaperoned
  chaperoned_main.c
  daemon_config.c
  daemon_vty.c
  daemon_modems.c
)
target_link_libraries(chaperoned PRIVATE chaperone-relay chaperone-modem
  PkgConfig::OSMOVTY PkgConfig::OSMOCORE PkgConfig::TALLOC)
target_compile_definitions(chaperoned PRIVATE CHAPERONE_VERSION="${PROJECT_VERSION}")

list(APPEND CLI_SOURCES cli_held.c)
list(APPEND CLI_LIBS chaperone-relay)

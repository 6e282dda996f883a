# Roster import (OneRoster 1.1 CSV, guardians.csv, teams.csv, titles.csv) and the CLI
# commands that inspect and edit the directory: roster, person, team, exception.
add_library(chaperone-roster STATIC
  roster_csv.c
  roster_util.c
  roster_oneroster.c
  roster_guardians.c
  roster_teams.c
  roster_apply.c
)
target_include_directories(chaperone-roster PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(chaperone-roster PUBLIC chaperone-storage CSV::csv)

list(APPEND CLI_SOURCES cli_db.c cli_roster.c cli_person.c cli_team.c cli_exception.c)
list(APPEND CLI_LIBS chaperone-roster chaperone-storage)

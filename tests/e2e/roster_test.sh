#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# `chaperone roster import`, `person`, `team` and `exception` as the district's IT person
# runs them: the real binary, a real SQLite file, the sample district.
#
#   tests/e2e/roster_test.sh BUILD_DIR
#
#   0. a wrong --db: every command that opens the archive, except a real import, refuses
#      (exit 4, the path named) and creates nothing; a file there that is not an archive
#      (empty, another SQLite database, text) is refused by every command, a real import
#      too, and left as it was; an import from a roster folder that is not there creates
#      no archive; nor one into a --db folder that is not there, which is named
#   1. import of the sample district: exit 0, the summary, a 0600 database
#   2. the same import again changes nothing; a dry run of a changed export changes nothing
#   2b. the brakes: an export without its sms column, a users.csv cut short: stopped,
#      nothing written, the damage named, exit 2; bad shares refused; --force goes ahead
#      and the roster log records who forced it
#   3. team show: staff, students with guardians, the student no guardian can be reached
#      for, subgroups, relay, overseers; person list and show
#   4. bad input to the import: each rejected row as FILE:LINE: reason, exit 1; a bad
#      manifest, a missing directory, a bad command line: exit 2, nothing imported
#   5. person add/set/deactivate/activate, with bad input refused (exit 1, nothing changed);
#      guardian-of / not-guardian-of for a staff member who is also a parent
#   6. team add/set/member/subgroup/overseer, with bad input refused (team show unchanged)
#   7. exception add/list/revoke: only administrators approve and revoke
#   8. a hand deactivation survives the next import; the database stays 0600
# KEEP_WORKDIR=1 keeps the temporary directory.
set -euo pipefail

build=${1:?usage: roster_test.sh BUILD_DIR}
chaperone="$build/bin/chaperone"
fixtures="$(cd "$(dirname "$0")/../fixtures" && pwd)"
district="$fixtures/district"

work=$(mktemp -d /tmp/chaperone-roster-XXXXXX)
export CHAPERONE_DB="$work/chaperone.db"
passed=0

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

trap remove_workdir EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out "$work"/*.err; do
		[ -f "$f" ] && { echo "--- $(basename "$f") ---"; cat "$f"; }
	done
	echo "roster: $passed passed, 1 failed"
	exit 1
}

ok() {
	passed=$((passed + 1))
	echo "ok $passed - $*"
}

# expect_rc WANT NAME COMMAND...: run COMMAND (stdout NAME.out, stderr NAME.err).
expect_rc() {
	local want=$1 name=$2 rc=0
	shift 2
	"$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "$name: exit status $rc, want $want"
}

has() {
	grep -qF -- "$2" "$work/$1" || fail "$1 lacks: $2"
}

lacks() {
	! grep -qF -- "$2" "$work/$1" || fail "$1 has: $2"
}

# same A B: two outputs are identical (nothing changed in between).
same() {
	cmp -s "$work/$1" "$work/$2" || fail "$1 and $2 differ: $(diff "$work/$1" "$work/$2")"
}

mode_0600() {
	[ "$(stat -c %a "$CHAPERONE_DB")" = 600 ] || fail "database mode $(stat -c %a "$CHAPERONE_DB")"
}

snapshot() {
	"$chaperone" team show soccer >"$work/$1.soccer.out"
	"$chaperone" team show robotics >"$work/$1.robotics.out"
	"$chaperone" person list --all >"$work/$1.persons.out"
	"$chaperone" exception list --all >"$work/$1.exceptions.out"
}

unchanged_since() {
	snapshot now
	same "$1.soccer.out" now.soccer.out
	same "$1.robotics.out" now.robotics.out
	same "$1.persons.out" now.persons.out
	same "$1.exceptions.out" now.exceptions.out
}

# 0. a mistyped --db: no command but a real import makes an archive there
typo="$work/typo.db"
missing_archive() {
	local name=$1
	shift
	expect_rc 4 "$name" "$@"
	has "$name.err" "no archive at $typo: import a roster first (chaperone roster import) or check --db"
	lacks "$name.out" "0 persons"
	[ ! -e "$typo" ] || fail "$name created $typo"
}
missing_archive typo_held "$chaperone" held list --db "$typo"
missing_archive typo_plist "$chaperone" person list --db "$typo"
missing_archive typo_pshow "$chaperone" person show jamier --db "$typo"
missing_archive typo_padd "$chaperone" person add --db "$typo" --role staff --given A --family B
missing_archive typo_tlist "$chaperone" team list --db "$typo"
missing_archive typo_xlist "$chaperone" exception list --db "$typo"
missing_archive typo_log "$chaperone" roster log --db "$typo"
missing_archive typo_dry "$chaperone" roster import --dry-run --db "$typo" "$district"
missing_archive typo_zone "$chaperone" zone --db "$typo"
missing_archive typo_search "$chaperone" records search --db "$typo"
CHAPERONE_DB="$typo" missing_archive typo_env "$chaperone" person list
ok "a missing archive: reading commands and dry runs refuse, exit 4, create nothing"

# foreign_sqlite FILE: an empty SQLite 3 database (one 512-byte page, no tables), written
# byte by byte so that the test needs no sqlite3 program: a database, not Chaperone's.
foreign_sqlite() {
	{
		printf 'SQLite format 3\0'                # magic
		printf '\002\000\001\001\000\100\040\040' # page size 512, versions, payload
		printf '\000\000\000\001\000\000\000\001' # change counter 1, 1 page
		printf '\000\000\000\000\000\000\000\000' # no freelist
		printf '\000\000\000\000\000\000\000\004' # schema cookie 0, schema format 4
		printf '\000\000\000\000\000\000\000\000' # cache size, no auto-vacuum
		printf '\000\000\000\001\000\000\000\000' # UTF-8, user version 0
		printf '\000\000\000\000\000\000\000\000' # incremental vacuum off, no app id
		head -c 20 /dev/zero                      # reserved
		printf '\000\000\000\001\000\056\100\001' # version-valid-for, SQLite version
		printf '\015\000\000\000\000\002\000\000' # page 1: an empty table leaf
		head -c 404 /dev/zero
	} >"$1"
}
# A file at --db that is not an archive: an empty one (`touch`), another program's
# SQLite database, a text file. Every command refuses it, exit 4, and leaves it as it
# was: the same bytes, size, mode and mtime (SQLite would have made it an archive).
: >"$work/empty.db"
foreign_sqlite "$work/foreign.db"
echo "not a database" >"$work/text.db"
for f in empty foreign text; do
	chmod 644 "$work/$f.db"
	touch -d '2020-01-02 03:04:05' "$work/$f.db"
	cp -p "$work/$f.db" "$work/$f.orig"
done
not_archive() {
	local name=$1 f=$2 why=$3
	shift 3
	expect_rc 4 "$name" "$@"
	has "$name.err" "$work/$f.db is not a Chaperone archive: $why; check --db"
	lacks "$name.out" "0 persons"
	cmp -s "$work/$f.db" "$work/$f.orig" || fail "$name changed $f.db"
	[ "$(stat -c '%s %a %Y' "$work/$f.db")" = "$(stat -c '%s %a %Y' "$work/$f.orig")" ] ||
		fail "$name changed $f.db: $(stat -c '%s %a %Y' "$work/$f.db")"
}
for f in empty foreign text; do
	case $f in
	empty) why="it is empty (0 bytes)" ;;
	foreign) why="it is an SQLite database without Chaperone's tables" ;;
	text) why="it is not an SQLite database" ;;
	esac
	db="$work/$f.db"
	not_archive "${f}_held" "$f" "$why" "$chaperone" held list --db "$db"
	not_archive "${f}_plist" "$f" "$why" "$chaperone" person list --db "$db"
	not_archive "${f}_padd" "$f" "$why" "$chaperone" person add --db "$db" --role staff \
		--given A --family B
	not_archive "${f}_tlist" "$f" "$why" "$chaperone" team list --db "$db"
	not_archive "${f}_xlist" "$f" "$why" "$chaperone" exception list --db "$db"
	not_archive "${f}_log" "$f" "$why" "$chaperone" roster log --db "$db"
	not_archive "${f}_dry" "$f" "$why" "$chaperone" roster import --dry-run --db "$db" "$district"
	not_archive "${f}_zone" "$f" "$why" "$chaperone" zone --db "$db"
	not_archive "${f}_search" "$f" "$why" "$chaperone" records search --db "$db"
	not_archive "${f}_verify" "$f" "$why" "$chaperone" records verify --db "$db"
	CHAPERONE_DB="$db" not_archive "${f}_env" "$f" "$why" "$chaperone" person list
done
# A real import fills an empty file, but never another program's file.
not_archive foreign_import foreign "it is an SQLite database without Chaperone's tables" \
	"$chaperone" roster import --db "$work/foreign.db" "$district"
not_archive text_import text "it is not an SQLite database" \
	"$chaperone" roster import --db "$work/text.db" "$district"
# A real import whose roster is not there (a missing folder, an empty one, a file) stops
# before it makes an archive at a new --db.
mkdir "$work/no-roster"
for dir in "$work/nonexistent:No such file or directory" "$work/no-roster:no roster files (" \
	"$district/users.csv:not a directory"; do
	expect_rc 2 noroster "$chaperone" roster import --db "$work/new.db" "${dir%%:*}"
	[ ! -e "$work/new.db" ] || fail "an import from ${dir%%:*} created $work/new.db"
	has noroster.err "chaperone: roster import: ${dir%%:*}: ${dir#*:}"
	has noroster.out "Nothing imported from ${dir%%:*}."
done
# A real import into a folder that is not there says so (not "unable to open database").
expect_rc 4 nodbdir "$chaperone" roster import --db "$work/no-such-dir/x.db" "$district"
has nodbdir.err "chaperone: no such directory: $work/no-such-dir (for the archive $work/no-such-dir/x.db): check --db"
[ ! -e "$work/no-such-dir" ] || fail "an import created $work/no-such-dir"
expect_rc 4 filedbdir "$chaperone" roster import --db "$work/text.db/x.db" "$district"
has filedbdir.err "chaperone: $work/text.db is not a directory (for the archive $work/text.db/x.db)"
: >"$work/touched.db"
expect_rc 0 touched_import "$chaperone" roster import --db "$work/touched.db" "$district"
has touched_import.out "persons        35 added"
ok "not an archive (empty, another SQLite database, text): every command refuses, exit 4," \
	"the file unchanged; a real import fills an empty file; no roster or no folder, no archive"

# 1. the sample district
umask 022
expect_rc 0 import "$chaperone" roster import --as it-admin "$district"
has import.out "(Lakeview Public Schools)"
has import.out "persons        35 added, 0 updated, 0 deactivated, 0 reactivated"
has import.out "teams          4 added"
has import.out "guardianships  16 added"
has import.out "relays         2 added"
[ ! -s "$work/import.err" ] || fail "import wrote to stderr"
mode_0600
ok "import of the sample district"

# 2. idempotent; dry run
expect_rc 0 reimport "$chaperone" roster import "$district"
# Progress on a terminal (script(1) gives one), none in a file.
! grep -q "reading the files" "$work/reimport.err" || fail "progress written to a file"
script -qec "$(printf '%q ' "$chaperone" roster import "$district")" /dev/null >"$work/tty.out" 2>&1 ||
	fail "import on a terminal: $(cat "$work/tty.out")"
grep -q "roster import: writing the changes 4 of 4" "$work/tty.out" || fail "no progress: $(cat "$work/tty.out")"
has reimport.out "No changes: the directory already matches this roster."
snapshot before
expect_rc 0 dry "$chaperone" roster import --dry-run --verbose "$fixtures/roster/changed"
has dry.out "Would change (dry run, nothing written):"
has dry.out "deactivated morganp (Morgan Patel): gone from the roster"
has dry.out "updated mariar: phone +16175550401 -> +16175550499"
has dry.out "added student noahr: Noah Reed, +16175550313"
unchanged_since before
ok "re-import changes nothing; a dry run changes nothing"

# 2b. the brakes: an export that would take away too much stops before writing
bdb="$work/brakes.db"
expect_rc 0 b_first "$chaperone" roster import --db "$bdb" "$district"
has b_first.out "persons        35 added"
expect_rc 0 b_log0 "$chaperone" roster log --db "$bdb" --last 0
mkdir "$work/nosms" "$work/cut"
cp "$district"/*.csv "$work/nosms/"
cp "$district"/*.csv "$work/cut/"
head -1 "$district/users.csv" | cut -d, -f14 | grep -qx sms || fail "users.csv: sms is not column 14"
cut -d, -f1-13,15- "$district/users.csv" >"$work/nosms/users.csv"
head -n 6 "$district/users.csv" >"$work/cut/users.csv"
expect_rc 2 b_nosms "$chaperone" roster import --db "$bdb" "$work/nosms"
has b_nosms.err "stopped at the brakes, nothing written"
has b_nosms.err "clear the phone numbers of 24 of the 34 persons with one (70%; the brake is 10%): danal (Dana Lee), marcusb (Marcus Bell)"
has b_nosms.err "and 19 more"
has b_nosms.err "--force"
has b_nosms.out "Would change (stopped at the brakes, nothing written):"
expect_rc 0 b_dana "$chaperone" person show danal --db "$bdb"
has b_dana.out "+16175550101"
expect_rc 2 b_cut "$chaperone" roster import --db "$bdb" "$work/cut"
has b_cut.err "would deactivate"
has b_cut.err "of the 35 active persons"
expect_rc 2 b_dry "$chaperone" roster import --dry-run --db "$bdb" "$work/nosms"
has b_dry.err "stopped at the brakes, nothing would be written"
expect_rc 0 b_raised "$chaperone" roster import --dry-run --max-cleared 100% --db "$bdb" "$work/nosms"
has b_raised.out "Would change (dry run, nothing written):"
expect_rc 2 b_bad1 "$chaperone" roster import --max-cleared 150% --db "$bdb" "$work/nosms"
has b_bad1.err "--max-cleared '150%' is not a share: a percentage from 0% to 100%"
expect_rc 2 b_bad2 "$chaperone" roster import --max-deactivate ten --db "$bdb" "$work/cut"
has b_bad2.err "--max-deactivate 'ten' is not a share"
expect_rc 2 b_bad3 "$chaperone" roster import --max-deactivate -5% --db "$bdb" "$work/cut"
expect_rc 0 b_log1 "$chaperone" roster log --db "$bdb" --last 0
same b_log0.out b_log1.out
expect_rc 0 b_dana1 "$chaperone" person show danal --db "$bdb"
has b_dana1.out "+16175550101"
expect_rc 0 b_force "$chaperone" roster import --force --as it-admin --db "$bdb" "$work/nosms"
has b_force.out "Forced past the brakes (--force, recorded in the roster log):"
has b_force.out "This import clears the phone numbers of 24 of the 34 persons with one (70%; the brake is 10%)"
expect_rc 0 b_log2 "$chaperone" roster log --db "$bdb" --last 2
has b_log2.out "it-admin     roster.forced          roster: $work/nosms: forced past the brakes by it-admin; persons deactivated 0 of 35 (brake 10%); phones cleared 24 of 34 (brake 10%), over"
has b_log2.out "it-admin     roster.import"
expect_rc 0 b_dana2 "$chaperone" person show danal --db "$bdb"
has b_dana2.out "phone        none on file"
ok "the brakes: a missing sms column or a cut users.csv stops, nothing written; --force recorded"

# 3. what the district sees
expect_rc 0 soccer "$chaperone" team show soccer
has soccer.out "soccer: Soccer (sports)"
has soccer.out "relay      +15550100"
has soccer.out "danal            Coach Dana Lee                 +16175550101"
has soccer.out "students   8 (1 without a guardian reachable by text)"
has soccer.out "guardian mariar           Maria Rivera (parent)          +16175550401"
has soccer.out "guardian elenao           Elena Ortiz (parent)           (no phone)"
has soccer.out "! no guardian reachable by text: guardians are not copied on messages with samo"
has soccer.out "injured          alexk, caseym"
has soccer.out "rosad            Athletic Director Rosa Delgado +16175550201"
expect_rc 0 robotics "$chaperone" team show '#robotics'
has robotics.out "overseers  1 (default: the principals)"
has robotics.out "officers         averyj, emmag"
lacks robotics.out "without a guardian"
expect_rc 0 teams "$chaperone" team list
has teams.out "soccer           sports   Soccer                   +15550100          2        8"
has teams.out "4 teams"
expect_rc 0 plist "$chaperone" person list --team robotics
has plist.out "6 persons"
has plist.out "rileyc           student       -                 Riley Chen                   +16175550307     eng201,soccer,robotics"
expect_rc 0 pshow "$chaperone" person show @samo
has pshow.out "guardians    elenao         Elena Ortiz                  no phone (parent)"
has pshow.out "source       s-3003 (oneroster)"
ok "team show, team list, person list and show"

# 4. bad imports
expect_rc 1 bad env CHAPERONE_DB="$work/bad.db" \
	"$chaperone" roster import "$fixtures/roster/bad-rows"
has bad.err "bad-rows/users.csv:5: missing sourcedId"
has bad.err "bad-rows/users.csv:6: unknown role 'wizard'"
has bad.err "bad-rows/users.csv:9: broken quoting"
has bad.err "bad-rows/guardians.csv:3: unknown student 'u-404'"
has bad.err "bad-rows/teams.csv:10: invalid relay 'not-a-number'"
has bad.out "persons        8 added"
has bad.out "30 rows rejected or partly imported"
expect_rc 2 manifest env CHAPERONE_DB="$work/bad2.db" \
	"$chaperone" roster import "$fixtures/roster/bad-manifest"
has manifest.err "manifest.csv:3: OneRoster version 1.0 is not supported (only 1.1)"
has manifest.out "Nothing imported"
expect_rc 2 nodir "$chaperone" roster import "$work/nonexistent"
has nodir.err "No such file or directory"
expect_rc 2 noarg "$chaperone" roster import
has noarg.err "missing DIR"
expect_rc 2 badcc "$chaperone" roster import --country-code x1 "$district"
unchanged_since before
ok "bad imports: rows reported as FILE:LINE, exit 1; unusable input exit 2, nothing changed"

# 5. persons by hand
expect_rc 0 padd "$chaperone" person add --as it-admin --role staff --title volunteer \
	--given Vic --family Vance --phone "(617) 555-0999"
has padd.out "added staff vicv: Volunteer Vic Vance"
expect_rc 0 log "$chaperone" roster log --last 1
has log.out "it-admin     person.add             person:vicv: id 36, staff volunteer, Vic Vance"
expect_rc 0 log_all "$chaperone" roster log --last 0
has log_all.out "it-admin     roster.import          roster: $district: 88 changes; persons +35"
snapshot p0
expect_rc 1 padd_dup "$chaperone" person add --role staff --given Val --family Vance \
	--phone 617-555-0999
has padd_dup.err "+16175550999 is already vicv's phone"
expect_rc 1 padd_role "$chaperone" person add --role janitor --given A --family B
has padd_role.err "unknown role 'janitor'"
expect_rc 1 padd_title "$chaperone" person add --role student --title coach --given A --family B
has padd_title.err "title coach does not fit role student"
expect_rc 1 padd_phone "$chaperone" person add --role guardian --given A --family B --phone 555-12
has padd_phone.err "'555-12' is not a phone number"
expect_rc 1 padd_ward "$chaperone" person add --role guardian --given A --family B \
	--guardian-of nosuch
has padd_ward.err "no person with handle 'nosuch'"
expect_rc 2 padd_usage "$chaperone" person add --role staff
expect_rc 1 pset_unknown "$chaperone" person set nosuch --phone 617-555-0998
expect_rc 1 pset_taken "$chaperone" person set vicv --handle danal
has pset_taken.err "handle 'danal' is taken"
expect_rc 2 pset_nothing "$chaperone" person set vicv
unchanged_since p0
expect_rc 0 pset "$chaperone" person set vicv --phone none --title coach
has pset.out "updated vicv"
expect_rc 0 pshow2 "$chaperone" person show vicv
has pshow2.out "phone        none on file"
has pshow2.out "source       added by hand"
expect_rc 0 padd_g "$chaperone" person add --role guardian --given Ana --family Ortiz \
	--phone 617-555-0998 --guardian-of samo --relationship aunt
# Tables line up by display width: an accented name pads like any other.
expect_rc 0 padd_jose "$chaperone" person add --role staff --given José --family Núñez \
	--phone 617-555-0997
has padd_jose.out "added staff josen"
expect_rc 0 plist_w "$chaperone" person list --role staff
has plist_w.out "José Núñez                   +16175550997"
has plist_w.out "Dana Lee                     +16175550101"
# @samo is Sam Ortiz's: another Sam O. gets given and family name, not samo2.
expect_rc 0 padd_sam "$chaperone" person add --role student --given Sam --family Okafor
has padd_sam.out "added student samokafor"
expect_rc 0 soccer2 "$chaperone" team show soccer
has soccer2.out "guardian anao             Ana Ortiz (aunt)               +16175550998"
lacks soccer2.out "without a guardian"
ok "person add, set and show; bad input refused, nothing changed"

# 5b. a staff member who is also a parent: guardianships by hand
snapshot g0
expect_rc 1 gof_student "$chaperone" person guardian-of jamier samo
has gof_student.err "jamier is a student, not a guardian, staff member or administrator"
expect_rc 1 gof_adult "$chaperone" person guardian-of danal rosad
has gof_adult.err "rosad is an administrator, not a student"
expect_rc 1 gof_rel "$chaperone" person guardian-of danal samo --relationship "$(printf 'a\tb')"
expect_rc 2 gof_usage "$chaperone" person guardian-of danal
unchanged_since g0
expect_rc 0 gof "$chaperone" person guardian-of danal samo --relationship mother
has gof.out "danal is now a guardian of samo"
expect_rc 0 gof_again "$chaperone" person guardian-of @danal @samo
has gof_again.out "danal is a guardian of samo already"
expect_rc 0 pshow_dana "$chaperone" person show danal
has pshow_dana.out "guardian of  samo"
has pshow_dana.out "(mother)"
expect_rc 0 soccer_g "$chaperone" team show soccer
has soccer_g.out "guardian danal"
expect_rc 0 ngof "$chaperone" person not-guardian-of danal samo
has ngof.out "danal is no longer a guardian of samo"
expect_rc 0 ngof_again "$chaperone" person not-guardian-of danal samo
has ngof_again.out "danal is not a guardian of samo already"
ok "person guardian-of and not-guardian-of: staff may be a student's guardian"

# 6. teams by hand
snapshot t0
expect_rc 1 m_unknown "$chaperone" team member add soccer vicv nosuch
has m_unknown.err "no person with handle 'nosuch'"
expect_rc 1 m_guardian "$chaperone" team member add soccer mariar
has m_guardian.err "mariar is a guardian"
expect_rc 1 m_team "$chaperone" team member add nosuch vicv
has m_team.err "no team with tag 'nosuch'"
expect_rc 1 sg_staff "$chaperone" team subgroup add soccer captains jamier danal
expect_rc 1 sg_nonmember "$chaperone" team subgroup add soccer captains averyj
has sg_nonmember.err "averyj is not a member of soccer"
expect_rc 1 sg_name "$chaperone" team subgroup add soccer 'Bad Name' jamier
expect_rc 1 o_staff "$chaperone" team overseer add soccer danal
has o_staff.err "danal is staff, not an administrator"
expect_rc 1 t_dup "$chaperone" team add soccer --name Soccer --kind sports
has t_dup.err "tag 'soccer' is taken"
expect_rc 1 t_kind "$chaperone" team add chess --name Chess --kind boardgame
expect_rc 1 t_relay "$chaperone" team set robotics --relay not-a-number
expect_rc 2 t_usage "$chaperone" team member add soccer
expect_rc 2 t_sub "$chaperone" team frobnicate
unchanged_since t0
expect_rc 0 m_add "$chaperone" team member add soccer vicv
has m_add.out "added vicv to soccer"
expect_rc 0 sg_add "$chaperone" team subgroup add soccer captains jamier jordanb
expect_rc 0 o_add "$chaperone" team overseer add robotics omarh
expect_rc 0 t_add "$chaperone" team add chess --name "Chess Club" --kind club --relay +15550102
has t_add.out "added team chess: Chess Club (club), relay +15550102"
expect_rc 0 t_set "$chaperone" team set robotics --relay none
expect_rc 0 soccer3 "$chaperone" team show soccer
has soccer3.out "vicv             Coach Vic Vance"
has soccer3.out "captains         jamier, jordanb"
expect_rc 0 robotics3 "$chaperone" team show robotics
has robotics3.out "relay      none"
has robotics3.out "omarh            Counselor Omar Haddad"
lacks robotics3.out "default"
expect_rc 0 sg_rm "$chaperone" team subgroup remove soccer captains jordanb
expect_rc 0 sg_rm2 "$chaperone" team subgroup remove soccer captains
expect_rc 1 sg_rm3 "$chaperone" team subgroup remove soccer captains
expect_rc 0 t_set2 "$chaperone" team set robotics --relay +15550101
# The import keeps what was added by hand.
expect_rc 0 reimport2 "$chaperone" roster import "$district"
has reimport2.out "No changes"
expect_rc 0 soccer4 "$chaperone" team show soccer
has soccer4.out "vicv             Coach Vic Vance"
ok "team add, set, member, subgroup, overseer; bad input refused, nothing changed"

# 7. exceptions
snapshot e0
expect_rc 1 x_approver "$chaperone" exception add --staff danal --student jamier --kind family \
	--reason "Dana is Jamie's aunt" --approved-by marcusb --expires 2099-06-30
has x_approver.err "marcusb is staff, not an administrator"
expect_rc 1 x_student "$chaperone" exception add --staff danal --student mariar --kind family \
	--reason "x" --approved-by rosad --expires 2099-06-30
expect_rc 1 x_kind "$chaperone" exception add --staff danal --student jamier --kind friendly \
	--reason "x" --approved-by rosad --expires 2099-06-30
expect_rc 1 x_date "$chaperone" exception add --staff danal --student jamier --kind family \
	--reason "x" --approved-by rosad --expires 2099-02-30
has x_date.err "is not a date"
expect_rc 1 x_past "$chaperone" exception add --staff danal --student jamier --kind family \
	--reason "x" --approved-by rosad --expires 2001-01-01
expect_rc 2 x_usage "$chaperone" exception add --staff danal --student jamier
unchanged_since e0
expect_rc 0 x_add "$chaperone" exception add --staff danal --student jamier --kind family \
	--reason "Dana is Jamie's aunt" --approved-by rosad --expires 2099-06-30
has x_add.out "added exception 1: family, danal and jamier, approved by rosad, through 2099-06-30"
expect_rc 1 x_again "$chaperone" exception add --staff danal --student jamier --kind family \
	--reason "again" --approved-by rosad --expires 2099-06-30
has x_again.err "exception 1 (family, danal and jamier) is in force already"
expect_rc 0 x_list "$chaperone" exception list
has x_list.out "in force Dana is Jamie's aunt"
expect_rc 1 x_rev_staff "$chaperone" exception revoke 1 --by danal
expect_rc 1 x_rev_none "$chaperone" exception revoke 7 --by helenp
expect_rc 0 x_rev "$chaperone" exception revoke 1 --by helenp
expect_rc 1 x_rev_again "$chaperone" exception revoke 1 --by helenp
has x_rev_again.err "exception 1 is revoked already"
expect_rc 0 x_list2 "$chaperone" exception list
has x_list2.out "0 exceptions in force"
# On a box with the operators table, the Unix account decides as its administrator.
ops="$work/operators"
me=$(id -un)
printf '# Unix account, administrator handle\n%s helenp\n' "$me" >"$ops"
chmod 644 "$ops"
opx=(env -u SUDO_USER CHAPERONE_OPERATORS="$ops" "$chaperone" exception add --staff danal
	--student jamier --kind family --reason "Dana is Jamie's aunt" --expires 2099-06-30)
expect_rc 1 op_other "${opx[@]}" --approved-by rosad
has op_other.err "your account ($me) is helenp's in $ops, not rosad's"
chmod 666 "$ops"
expect_rc 1 op_writable "${opx[@]}"
has op_writable.err "is writable by others than its owner: not trusted"
chmod 644 "$ops"
expect_rc 0 op_add "${opx[@]}"
has op_add.out "approved by helenp"
printf 'someoneelse helenp\n' >"$ops"
expect_rc 1 op_unlisted env -u SUDO_USER CHAPERONE_OPERATORS="$ops" "$chaperone" exception revoke 2
has op_unlisted.err "your account ($me) is not an administrator's in $ops"
expect_rc 0 op_sudo env SUDO_USER=someoneelse CHAPERONE_OPERATORS="$ops" "$chaperone" \
	exception revoke 2
has op_sudo.out "revoked exception 2"
expect_rc 0 x_all "$chaperone" exception list --all
has x_all.out "revoked by helenp"
ok "exception add, list, revoke; only administrators approve and revoke"

# 7b. what the district set on its teams survives the next import: a renamed tag, a
#     class made a club, a class's relay number and overseer; classes get relay numbers
#     in bulk from teams.csv
expect_rc 1 ttag_bad "$chaperone" team set soccer --tag "Varsity Soccer"
expect_rc 1 ttag_taken "$chaperone" team set soccer --tag robotics
has ttag_taken.err "tag 'robotics' is taken"
expect_rc 0 ttag "$chaperone" team set soccer --tag varsity
has ttag.out "updated team varsity"
expect_rc 0 tkind "$chaperone" team set bio101 --kind club --relay 617-555-0190
expect_rc 0 reimport_t "$chaperone" roster import "$district"
has reimport_t.out "No changes"
expect_rc 0 varsity "$chaperone" team show varsity
has varsity.out "relay      +15550100"
expect_rc 1 nosoccer "$chaperone" team show soccer
expect_rc 0 bio "$chaperone" team show bio101
has bio.out "(club)"
has bio.out "relay      +16175550190"
cp -r "$district" "$work/bulk"
printf 'eng201,,,617-555-0191,,,,\n' >>"$work/bulk/teams.csv"
expect_rc 0 bulk "$chaperone" roster import --verbose "$work/bulk"
has bulk.out "updated team eng201: relay none -> +16175550191"
expect_rc 0 ttag_back "$chaperone" team set varsity --tag soccer
expect_rc 0 reimport_b "$chaperone" roster import "$district"
has reimport_b.out "No changes"
ok "team settings survive the import; classes get relay numbers from teams.csv"

# 7c. a district as rostered (tests/fixtures/households): a teacher listed again as a
#     parent is imported once, a relative is left out, two Sam O.s get long handles
hh="$work/households.db"
expect_rc 0 hh_import "$chaperone" roster import --db "$hh" --verbose "$fixtures/households"
has hh_import.out "1 staff member also listed as a parent or guardian: imported once, with both roles"
has hh_import.out "'g-4017' (parent) is 't-1002' (staff, line 3), the same person"
has hh_import.out "1 user of a role not counted as guardians (relative, ...) not imported"
has hh_import.out "added student samortiz: Sam Ortiz"
has hh_import.out "added student samoneil: Sam O’Neil"
expect_rc 0 hh_marcus "$chaperone" person show marcusb --db "$hh"
has hh_marcus.out "guardian of  noahb"
has hh_marcus.out "+16175550102"
expect_rc 0 hh_again "$chaperone" roster import --db "$hh" "$fixtures/households"
has hh_again.out "No changes"
ok "a teacher who is a parent imported once; relatives left out; colliding names"

# 8. a hand deactivation survives the import
expect_rc 0 deact "$chaperone" person deactivate jamier
expect_rc 0 reimport3 "$chaperone" roster import "$district"
has reimport3.out "No changes"
expect_rc 0 soccer5 "$chaperone" team show soccer
lacks soccer5.out "jamier"
expect_rc 0 pshow3 "$chaperone" person show jamier
has pshow3.out "inactive (deactivated by hand)"
expect_rc 0 act "$chaperone" person activate jamier
expect_rc 0 soccer6 "$chaperone" team show soccer
has soccer6.out "jamier"
mode_0600
ok "a hand deactivation survives the import; the database stays 0600"

echo "roster: $passed passed"

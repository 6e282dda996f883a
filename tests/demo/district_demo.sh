#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The district demo (`./dev demo`): one scripted term of Lakeview Public Schools, the
# sample district of tests/fixtures/district, through the real relay.
#
#   tests/demo/district_demo.sh BUILD_DIR
#
# It imports the sample roster into a fresh archive (`chaperone roster import`), starts
# modemsim with three modems that carry calls (+15550100 Soccer, +15550101 Robotics,
# +15550102 a line for calls) and chaperoned on them, then plays the term: simulated
# phones text the relay numbers with `modemsim ctl send`, and what each phone receives is
# read back with `modemsim ctl inbox`; a coach calls a player with his father bridged in
# first. The records officer finds the call, exports it redacted (its recording
# withheld) and for the family (its recording copied, checked against the archive).
# Each step prints one heading (what happens, and the rule that decides it), what was
# sent and what arrived; at the end each phone's whole conversation, and where the
# records are.
#
# It is also a test (CTest e2e_district_demo): every step waits, bounded, for exactly the
# messages it expects — right phone, right relay number, right text — and fails if one is
# missing or if anything else arrived. Exit 0 on success, 1 on failure. Everything it
# starts is stopped and its temporary directory removed on exit (KEEP_WORKDIR=1 keeps it).
set -euo pipefail

build=${1:?usage: district_demo.sh BUILD_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
modemsim="$build/bin/modemsim"
chaperone="$build/bin/chaperone"
chaperoned="$build/bin/chaperoned"
district="$top/tests/fixtures/district"

for p in "$modemsim" "$chaperone" "$chaperoned"; do
	[ -x "$p" ] || { echo "district_demo: $p is not built" >&2; exit 1; }
done

work=$(mktemp -d /tmp/chaperone-district-XXXXXX)
sim_pid=
daemon_pid=
db="$work/lakeview.db"
cfg="$work/chaperoned.cfg"
port=

# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
. "$here/../e2e/lib.sh"

cleanup() {
	stop "$daemon_pid"
	stop "$sim_pid"
	remove_workdir
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ -t 1 ]; then
	b=$'\033[1m' d=$'\033[2m' n=$'\033[0m'
else
	b='' d='' n=''
fi
TAB=$'\t'
soccer=+15550100
robotics=+15550101
calls=+15550102

heading() { printf '\n%s%s%s\n' "$b" "$*" "$n"; }
note() { printf '%s  %s%s\n' "$d" "$*" "$n"; }

fail() {
	echo
	echo "FAIL: $*"
	echo "--- what arrived in this step ---"
	awk -F'\t' -v s="$step" '$1 == s' "$work/received.tsv" || true
	echo "--- chaperoned's log (last 40 lines) ---"
	tail -n 40 "$work/chaperoned.log" 2>/dev/null || true
	exit 1
}

# wait_for SECONDS COMMAND...: run COMMAND until it succeeds, at most SECONDS long.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

# ---- Reading modemsim's JSON (one object per line) without a JSON tool ----

# From `modemsim ctl inbox` output (pdus removed, "complete" made a string): one line
# per complete message,
#   phone TAB from TAB received_at TAB text
# with the text's JSON escapes undone, except that a line break stays "\n" (two
# characters), so that each message is one line.
parse_inbox() {
	awk '
	function flush() {
		if (rec["complete"] == "true")
			printf "%s\t%s\t%s\t%s\n", rec["phone"], rec["from"], rec["received_at"], rec["text"]
		delete rec
	}
	{
		line = $0; len = length(line); key = ""; i = 1
		while (i <= len) {
			c = substr(line, i, 1)
			if (c == "\"") {
				s = ""; i++
				while (i <= len) {
					c = substr(line, i, 1)
					if (c == "\\") {
						e = substr(line, i + 1, 1); i += 2
						if (e == "n") s = s "\\n"
						else if (e == "t" || e == "r" || e == "b" || e == "f") s = s " "
						else if (e == "u") { s = s "?"; i += 4 }
						else s = s e
						continue
					}
					if (c == "\"") break
					s = s c; i++
				}
				i++
				while (substr(line, i, 1) == " ") i++
				if (substr(line, i, 1) == ":") key = s
				else if (key == "phone" || key == "from" || key == "text" || key == "received_at" ||
					 key == "complete")
					rec[key] = s
				continue
			}
			if (c == "}") flush()
			i++
		}
	}'
}

# ---- Who is who: labels for phone numbers, from the directory itself ----

# "+16175550101" -> "+1 617 555 0101"
pretty_number() {
	if [[ $1 =~ ^\+1([0-9]{3})([0-9]{3})([0-9]{4})$ ]]; then
		echo "+1 ${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"
	else
		echo "$1"
	fi
}

# $work/labels.tsv: phone TAB short label TAB long label: "Coach Dana Lee" for staff and
# administrators (both), "Jamie Rivera" / "Jamie Rivera, student",
# "Maria Rivera" / "Maria Rivera, parent of Jamie Rivera".
make_labels() {
	"$chaperone" person list --db "$db" | awk 'NR > 1 && NF >= 6 {
		handle = $1; role = $2; title = $3; phone = $(NF - 1)
		name = $4; for (k = 5; k <= NF - 2; k++) name = name " " $k
		if (phone !~ /^\+/) next
		if (role == "student" || role == "guardian") label = name
		else if (title != "-") {
			t = title; gsub(/_/, " ", t)
			n = split(t, w, " "); t = ""
			for (k = 1; k <= n; k++) t = t (k > 1 ? " " : "") toupper(substr(w[k], 1, 1)) substr(w[k], 2)
			label = t " " name
		} else label = name
		print phone "\t" label "\t" handle "\t" role
	}' >"$work/persons.tsv"
	# Guardians: say whose (best effort; `person show` lists "guardian of" lines).
	while IFS=$TAB read -r phone label handle role; do
		long=$label
		[ "$role" = student ] && long="$label, student"
		if [ "$role" = guardian ]; then
			long="$label, guardian"
			of=$("$chaperone" person show "$handle" --db "$db" 2>/dev/null | awk '
				/^  guardian of / || (seen && /^               [a-z]/) {
					seen = 1; rel = $NF; gsub(/[()]/, "", rel)
					nm = ""; for (k = (/guardian of/ ? 4 : 2); k <= NF - 2; k++) nm = nm (nm ? " " : "") $k
					out = out (out ? ", " : "") nm; r = rel; next
				}
				{ seen = 0 }
				END { if (out) print r " of " out }')
			[ -n "$of" ] && long="$label, $of"
		fi
		printf '%s\t%s\t%s\n' "$phone" "$label" "$long"
	done <"$work/persons.tsv" >"$work/labels.tsv"
}

# label_of PHONE [long]
label_of() {
	local l c=2
	[ "${2:-}" = long ] && c=3
	l=$(awk -F'\t' -v p="$1" -v c="$c" '$1 == p { print $c; exit }' "$work/labels.tsv")
	[ -n "$l" ] || { [ "${2:-}" = long ] && l="Unknown number, not in the directory" || l="Unknown number"; }
	echo "$l"
}

# ---- The VTY (telnet on localhost), through bash's /dev/tcp ----


# ---- Steps: what was sent, what must arrive ----

step=0
: >"$work/received.tsv"
: >"$work/sent.tsv"
wants=()

now_iso() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

# send PHONE RELAY TEXT: a phone texts a relay number.
send() {
	local from=$1 relay=$2 text=$3
	printf '%s\t%s\t%s\t%s\n' "$(now_iso)" "$from" "$relay" "$text" >>"$work/sent.tsv"
	printf '  %s → %s:  %s\n' "$(label_of "$from")" "$relay" "$text"
	ctl send --from "$from" --to "$relay" "$text" >/dev/null || fail "modemsim would not send from $from"
}

# want PHONE RELAY TEXT: in this step PHONE must get one message from RELAY containing TEXT.
want() { wants+=("$1$TAB$2$TAB$3"); }

# Collect the complete messages that arrived since the last look. The inbox is not
# cleared: `inbox --clear` would also forget a message whose last parts are still on
# their way (they would then show up as a message of their own).
collect() {
	ctl inbox | sed 's/"pdus":\[[^]]*\]//g; s/"complete":\(true\|false\)/"complete":"\1"/g' |
		parse_inbox >"$work/inbox.now"
	awk -F'\t' -v s="$step" 'FILENAME == ARGV[1] { seen[$2 FS $3 FS $4 FS $5]; next }
		!($0 in seen) { print s "\t" $0 }' "$work/received.tsv" "$work/inbox.now" >"$work/inbox.new"
	cat "$work/inbox.new" >>"$work/received.tsv"
}

step_lines() { awk -F'\t' -v s="$step" '$1 == s' "$work/received.tsv"; }

# has_message PHONE RELAY TEXT: did PHONE get a message from RELAY containing TEXT in this
# step? (Values go through the environment: awk -v would turn "\n" into a line break.)
has_message() {
	step_lines | P=$1 R=$2 T=$3 awk -F'\t' \
		'$2 == ENVIRON["P"] && $3 == ENVIRON["R"] && index($5, ENVIRON["T"]) { f = 1 } END { exit !f }'
}

all_arrived() {
	local w phone relay text
	collect
	for w in "${wants[@]}"; do
		IFS=$TAB read -r phone relay text <<<"$w"
		has_message "$phone" "$relay" "$text" || return 1
	done
}

# Wait (bounded) for every wanted message, then a moment more, and check nothing else came.
arrive() {
	local w phone relay text got
	wait_for 20 all_arrived || {
		for w in "${wants[@]}"; do
			IFS=$TAB read -r phone relay text <<<"$w"
			has_message "$phone" "$relay" "$text" ||
				echo "missing: $(label_of "$phone") ($phone) from $relay: \"$text\""
		done
		fail "step $step: not every expected message arrived within 20 s"
	}
	sleep 0.6
	collect
	got=$(step_lines | wc -l)
	[ "$got" -eq "${#wants[@]}" ] ||
		fail "step $step: ${#wants[@]} messages expected, $got arrived"
	show_arrivals
	wants=()
}

# Wrap text (with "\n" line breaks) at WIDTH, every line indented by INDENT spaces.
wrap() {
	awk -v width="$1" -v indent="$2" '{
		pad = sprintf("%" indent "s", "")
		n = split($0, paras, /\\n/)
		for (p = 1; p <= n; p++) {
			m = split(paras[p], w, " "); line = ""
			for (k = 1; k <= m; k++) {
				if (line != "" && length(line) + 1 + length(w[k]) > width - indent) {
					print pad line; line = w[k]
				} else line = line (line == "" ? "" : " ") w[k]
			}
			print pad line
		}
	}'
}

# What arrived in this step, grouped by identical text: "relay → who:" then the text.
show_arrivals() {
	local relay text names
	step_lines | sort -t"$TAB" -k2,2 >"$work/step.tsv"
	awk -F'\t' '!seen[$3 "\t" $5]++ { print $3 "\t" $5 }' "$work/step.tsv" >"$work/groups.tsv"
	while IFS=$TAB read -r relay text; do
		names=$(R=$relay T=$text awk -F'\t' '$3 == ENVIRON["R"] && $5 == ENVIRON["T"] { print $2 }' "$work/step.tsv" |
			while read -r p; do label_of "$p"; done | paste -sd, - | sed 's/,/, /g')
		printf '  %s → %s:\n' "$relay" "$names"
		printf '%s\n' "$text" | wrap 96 6
	done <"$work/groups.tsv"
}

begin() {
	step=$((step + 1))
	heading "$step. $*"
}

# ---- Start-up ----

heading "Lakeview Public Schools: a term through the relay"
note "roster: $district (docs/roster-formats.md)"
"$chaperone" roster import --db "$db" "$district" >"$work/import.out" 2>&1 ||
	{ cat "$work/import.out"; fail "roster import failed"; }
sed -n 's/^  \(persons\|teams\|guardianships\|relays\) /\1 /p' "$work/import.out" | sed 's/^/  imported: /'
make_labels

# Three modems that carry calls (Quectel EC25): the two team numbers and a third line
# for calls, so that a coach, a parent and a player can be on one call.
"$modemsim" -n 3 --model EC25 --ring-ms 1000 --msisdn-base "$soccer" --submit-ms 50 \
	--deliver-ms 50 "$work/sim" >"$work/modemsim.out" 2>"$work/modemsim.log" &
sim_pid=$!
wait_for 10 grep -qs "modemsim ready" "$work/modemsim.out" || fail "modemsim did not start"

# A free VTY port: parallel tests and a running chaperoned may hold the default 4275.
for _ in 1 2 3 4 5; do
	port=$((20000 + (RANDOM % 20000)))
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
	cat >"$cfg" <<EOF
! chaperoned for the district demo (docs/examples/chaperoned.cfg explains each line)
chaperone
 district Lakeview Public Schools
 database $db
 timezone UTC
policy
 guardians-on-team-messages no
 no quiet-hours
 oversight copy
 contact-screen yes
 notice yes
modem modem0
 device $work/sim/modem0
 relay-number $soccer
 label Soccer
modem modem1
 device $work/sim/modem1
 relay-number $robotics
 label Robotics
modem modem2
 device $work/sim/modem2
 relay-number $calls
 label Calls
$(console_config)
EOF
	"$chaperoned" -c "$cfg" >"$work/chaperoned.out" 2>"$work/chaperoned.log" &
	daemon_pid=$!
	wait_for 15 sh -c "grep -qs 'chaperoned ready' '$work/chaperoned.log' || ! kill -0 $daemon_pid 2>/dev/null" || true
	grep -qs 'chaperoned ready' "$work/chaperoned.log" && break
	stop "$daemon_pid"
	daemon_pid=
	grep -qs 'cannot open the VTY' "$work/chaperoned.log" || fail "chaperoned did not start"
done
[ -n "$daemon_pid" ] || fail "chaperoned found no free VTY port"
modems_ready() {
	local s
	s=$(vty 'show modems')
	grep -q "^modem0 $soccer ready" <<<"$s" && grep -q "^modem1 $robotics ready" <<<"$s" &&
		grep -q "^modem2 $calls ready" <<<"$s"
}
wait_for 30 modems_ready || fail "the modems did not become ready"
note "modemsim: modem0 = $soccer (Soccer), modem1 = $robotics (Robotics), modem2 = $calls (a line for calls), EC25s on PTYs in $work/sim"
note "chaperoned: config $cfg, archive $db, VTY 127.0.0.1:$port"
note "policy: guardians not copied on team messages, no quiet hours, oversight by copy, contact screen on, notice on"

dana=+16175550101 marcus=+16175550102 priya=+16175550103
rosa=+16175550201 helen=+16175550202 omar=+16175550203
jamie=+16175550301 alex=+16175550302 sam=+16175550303 taylor=+16175550304
jordan=+16175550305 casey=+16175550306 riley=+16175550307 morgan=+16175550308
avery=+16175550309 quinn=+16175550310 drew=+16175550311 emma=+16175550312
maria=+16175550401 luis=+16175550402 grace=+16175550403 anita=+16175550411 sofia=+16175550416
kevin=+16175550406
stranger=+16175559999
soccer_students=("$jamie" "$alex" "$sam" "$taylor" "$jordan" "$casey" "$riley" "$morgan")

# ---- The term ----

begin "Coach Dana Lee texts the whole Soccer team — whole-team (every student, the other coach), oversight (athletic director copied), notice (first message carries the recording notice), attribution"
send "$dana" "$soccer" "#soccer Practice moved to 5pm"
notice="Messages through this number are recorded by Lakeview Public Schools. Reply STOP to opt out, HELP for help."
for s in "${soccer_students[@]}" "$marcus"; do
	want "$s" "$soccer" "$notice\\n[Soccer] Coach Dana Lee: Practice moved to 5pm"
done
want "$rosa" "$soccer" "[Soccer] Coach Dana Lee to the Soccer team: Practice moved to 5pm"
arrive

begin "Jamie Rivera replies without an address — it goes to the team's coaches, Jamie's guardians copied (guardian-copy); nobody sees Jamie's number (masking)"
send "$jamie" "$soccer" "Can I come at 5:30? I have a dentist appointment."
for s in "$dana" "$marcus"; do
	want "$s" "$soccer" "[Soccer] Jamie R. (@jamier): Can I come at 5:30?"
done
for g in "$maria" "$luis"; do
	want "$g" "$soccer" "[Soccer] Jamie R. (@jamier) to the Soccer coaches: Can I come at 5:30?"
done
arrive

begin "Coach Dana answers without an address — the reply goes back to Jamie, with both guardians copied (guardian-copy) and the athletic director (oversight)"
send "$dana" "$soccer" "Sure, 5:30 is fine. Good luck at the dentist."
want "$jamie" "$soccer" "[Soccer] Coach Dana Lee: Sure, 5:30 is fine."
for g in "$maria" "$luis" "$rosa"; do
	want "$g" "$soccer" "[Soccer] Coach Dana Lee to Jamie R.: Sure, 5:30 is fine."
done
arrive

begin "Coach Dana writes to Sam Ortiz alone — blocked: Sam's only guardian has no phone, and a guardian must be copied (guardian-copy); Dana is told why"
send "$dana" "$soccer" "@samo Can you stay after practice to help with the nets?"
want "$dana" "$soccer" "Not sent: no guardian of Sam O. can be reached on this number"
arrive

begin "Coach Dana writes to Alex Kim (@alexk) — one-to-one goes out with Alex's guardian copied (guardian-copy) and the athletic director (oversight)"
send "$dana" "$soccer" "@alexk How is the ankle? The trainer can see you at 3 tomorrow."
want "$alex" "$soccer" "[Soccer] Coach Dana Lee: How is the ankle?"
want "$grace" "$soccer" "$notice\\n[Soccer] Coach Dana Lee to Alex K.: How is the ankle?"
want "$rosa" "$soccer" "[Soccer] Coach Dana Lee to Alex K.: How is the ankle?"
arrive

begin "Coach Dana tries to give Jamie a personal cell number — held for review (contact-screen); nothing goes out yet, Dana is told"
send "$dana" "$soccer" "@jamier If the bus is late, text my cell 617-555-0101 instead."
want "$dana" "$soccer" "Held for review: your message seems to share contact information (a phone number)."
arrive
"$chaperone" held list --db "$db" >"$work/held1.out" || fail "chaperone held list failed"
held_id=$(awk -F'\t' '/^[0-9]+\t/ { id = $1 } /^\ttext: .*text my cell/ { print id; exit }' "$work/held1.out")
[ -n "$held_id" ] || { cat "$work/held1.out"; fail "the held message is not in chaperone held list"; }
echo "  \$ chaperone held list        (what the administrator sees; the record of the hold)"
sed 's/^/    /' "$work/held1.out"

begin "The principal rejects it — \`chaperone held reject $held_id\`: Jamie never gets the number, Dana is told (the decision is recorded)"
echo "  \$ chaperone held reject $held_id --by helenp --note \"Please keep to the relay number.\""
"$chaperone" held reject "$held_id" --by helenp --note "Please keep to the relay number." --db "$db" |
	sed 's/^/    /' || fail "chaperone held reject failed"
want "$dana" "$soccer" "Your held message was not approved by an administrator (Principal Helen Park); it was not sent."
arrive

begin "A number that is not in the directory texts the Soccer number — recorded, not forwarded, one polite reply (unknown sender)"
send "$stranger" "$soccer" "Hi, is this the soccer coach? My son wants to join."
want "$stranger" "$soccer" "Your number is not registered, so your message was not delivered."
arrive

begin "Taylor Nguyen texts STOP — opted out of this number at once; the confirmation is the last message Taylor gets (opt-out)"
send "$taylor" "$soccer" "STOP"
want "$taylor" "$soccer" "You will get no more messages from this number. Reply START to receive them again."
arrive

begin "Coach Dana texts the team again — everyone but Taylor gets it; the record notes Taylor was skipped (opt-out, whole-team)"
send "$dana" "$soccer" "#soccer Saturday's game moves to 10am."
for s in "${soccer_students[@]}" "$marcus"; do
	[ "$s" = "$taylor" ] && continue
	want "$s" "$soccer" "[Soccer] Coach Dana Lee: Saturday's game moves to 10am."
done
want "$rosa" "$soccer" "[Soccer] Coach Dana Lee to the Soccer team: Saturday's game moves to 10am."
arrive

begin "Taylor texts START — back in (opt-out)"
send "$taylor" "$soccer" "START"
want "$taylor" "$soccer" "You will receive messages from this number again."
arrive

begin "Coach Dana sends the team an address — held for review (contact-screen holds street addresses too)"
send "$dana" "$soccer" "#soccer Permission forms are due at the front office, 12 Main St, by Friday."
want "$dana" "$soccer" "Held for review: your message seems to share contact information (a street address)."
arrive
"$chaperone" held list --db "$db" >"$work/held2.out" || fail "chaperone held list failed"
held_id=$(awk -F'\t' '/^[0-9]+\t/ { id = $1 } /^\ttext: .*Permission forms/ { print id; exit }' "$work/held2.out")
[ -n "$held_id" ] || { cat "$work/held2.out"; fail "the held message is not in chaperone held list"; }
note "held as #$held_id: $(sed -n 's/^\treason: //p' "$work/held2.out" | head -n 1)"

begin "The athletic director, away from the office, asks her phone what is held — HELD lists it (digits shown as #, no number leaves)"
send "$rosa" "$soccer" "HELD"
want "$rosa" "$soccer" "1 held for an administrator:\n#$held_id Coach Dana Lee: \"Permission forms are due"
arrive

begin "She releases it by text — OK $held_id: it goes out to the whole team, Taylor included again, and Dana is told (the same records as \`chaperone held release\`)"
send "$rosa" "$soccer" "OK $held_id"
want "$rosa" "$soccer" "Released and sent #$held_id."
for s in "${soccer_students[@]}" "$marcus"; do
	want "$s" "$soccer" "[Soccer] Coach Dana Lee: Permission forms are due at the front office, 12 Main St, by Friday."
done
want "$rosa" "$soccer" "[Soccer] Coach Dana Lee to the Soccer team: Permission forms are due"
want "$dana" "$soccer" "Your held message was released and sent by an administrator (Athletic Director Rosa Delgado)."
arrive

begin "Morgan Patel writes to the coaches in distress — to both coaches, Morgan's guardian copied (guardian-copy)"
send "$morgan" "$soccer" "I'm really not okay. I don't want to come to practice or anything anymore."
for s in "$dana" "$marcus"; do
	want "$s" "$soccer" "[Soccer] Morgan P. (@morganp): I'm really not okay."
done
want "$anita" "$soccer" "$notice\\n[Soccer] Morgan P. (@morganp) to the Soccer coaches: I'm really not okay."
arrive

begin "Coach Dana answers with !crisis @morganp — one-to-one, no guardian copy; the athletic director, principal and counselor are alerted at once and the record is flagged (crisis)"
send "$dana" "$soccer" "!crisis @morganp I'm here for you, Morgan. Please call or text 988 now. Mr. Haddad will call you within the hour."
want "$morgan" "$soccer" "[Soccer] Coach Dana Lee: I'm here for you, Morgan."
want "$rosa" "$soccer" "CRISIS [Soccer] Coach Dana Lee answered Morgan P. one-to-one: I'm here for you"
for a in "$helen" "$omar"; do
	want "$a" "$soccer" "$notice\\nCRISIS [Soccer] Coach Dana Lee answered Morgan P. one-to-one:"
done
arrive

begin "Morgan answers — the crisis conversation is open: to Coach Dana and the administrators alerted, not to Coach Marcus, not to Morgan's guardian (the crisis may be at home); flagged (crisis)"
send "$morgan" "$soccer" "I'm at the bus stop. I don't want to go home tonight."
want "$dana" "$soccer" "[Soccer] Morgan P. (@morganp): I'm at the bus stop."
for a in "$rosa" "$helen" "$omar"; do
	want "$a" "$soccer" "CRISIS [Soccer] Morgan P. (@morganp) to Coach Dana Lee: I'm at the bus stop."
done
arrive

begin "Coach Dana answers without an address — still one-to-one, the administrators alerted (crisis conversation)"
send "$dana" "$soccer" "Stay there. Mr. Haddad is on his way to you now."
want "$morgan" "$soccer" "[Soccer] Coach Dana Lee: Stay there."
for a in "$rosa" "$helen" "$omar"; do
	want "$a" "$soccer" "CRISIS [Soccer] Coach Dana Lee answered Morgan P. one-to-one: Stay there."
done
arrive

begin "Counselor Omar Haddad, on no team, answers Morgan on the Soccer number — !crisis works for any staff member"
send "$omar" "$soccer" "!crisis @morganp Morgan, I'm at the bus stop in two minutes. Grey jacket."
want "$morgan" "$soccer" "[Soccer] Counselor Omar Haddad: Morgan, I'm at the bus stop"
for a in "$rosa" "$helen"; do
	want "$a" "$soccer" "CRISIS [Soccer] Counselor Omar Haddad answered Morgan P. one-to-one"
done
arrive

begin "The principal closes the crisis conversation by text — CLOSE @morganp; the counselor is told, and Morgan's next messages go to the coaches as usual"
send "$helen" "$soccer" "CLOSE @morganp"
want "$helen" "$soccer" "Closed: the crisis conversation of Morgan P. with Counselor Omar Haddad."
want "$omar" "$soccer" "The crisis conversation with Morgan P. is closed by Principal Helen Park."
arrive

begin "Advisor Priya Shah texts Robotics on the second relay number, $robotics — whole-team; the principal oversees Robotics (oversight); Riley, on both teams, gets this number's notice too (notice)"
send "$priya" "$robotics" "#robotics Build session Thursday 3pm in room 114. Bring your safety glasses."
for s in "$riley" "$avery" "$quinn" "$drew" "$emma"; do
	want "$s" "$robotics" "$notice\\n[Robotics] Advisor Priya Shah: Build session Thursday 3pm"
done
want "$helen" "$robotics" "$notice\\n[Robotics] Advisor Priya Shah to the Robotics team: Build session Thursday 3pm"
arrive

echo "  \$ chaperone person guardian-of marcusb emmag --relationship father"
"$chaperone" person guardian-of marcusb emmag --relationship father --db "$db" --as helenp |
	sed 's/^/    /' || fail "chaperone person guardian-of failed"
sleep 1.5 # chaperoned reloads the directory within a poll
begin "Coach Marcus Bell is also Emma Garcia's father — on the Robotics number, which serves her team and none of his, he writes as her parent, to her advisor"
send "$marcus" "$robotics" "Emma will be late to the build session, she has a doctor's appointment."
want "$priya" "$robotics" "[Robotics] Coach Marcus Bell, guardian of Emma G. (@marcusb): Emma will be late"
arrive

begin "Advisor Priya answers Emma — both her guardians are copied, her mother and her father Coach Marcus, and the principal (guardian-copy, oversight)"
send "$priya" "$robotics" "@emmag See you at 4 then, Emma."
want "$emma" "$robotics" "[Robotics] Advisor Priya Shah: See you at 4 then, Emma."
for g in "$sofia" "$marcus" "$helen"; do
	want "$g" "$robotics" "[Robotics] Advisor Priya Shah to Emma G.: See you at 4 then, Emma."
done
arrive

begin "Grace Kim, Alex's guardian, texts HELP — the families' help text (HELP)"
send "$grace" "$soccer" "HELP"
want "$grace" "$soccer" "Chaperone: text this number to reach your team's coaches or advisors"
arrive

# ---- A call ----

begin "Coach Dana calls Jordan Brooks (CALL @jordanb): his father Kevin is called first and hears who is calling; only once Kevin is on does Jordan's phone ring; the coach is called back last; everyone hears the recording notice before anyone (guardian-copy, notice, masking)"
for p in "$kevin" "$jordan" "$dana"; do
	ctl auto-answer "$p" --rings 1 >/dev/null || fail "modemsim: auto-answer $p"
done
# Each phone says a tone of its own, so that the recording shows who said what.
ctl play "$kevin" --tone 600 >/dev/null && ctl play "$jordan" --tone 1000 >/dev/null &&
	ctl play "$dana" --tone 1400 >/dev/null || fail "modemsim: play"
send "$dana" "$soccer" "CALL @jordanb"
want "$dana" "$soccer" "Call #1: calling a parent or guardian of Jordan B. first, then Jordan B., then you."
want "$kevin" "$soccer" "Coach Dana Lee is calling about Jordan B., and you are called first, from this number (call #1)."
want "$jordan" "$soccer" "Coach Dana Lee is calling you, with Kevin B. on the line, from $robotics"
want "$dana" "$soccer" "Your call #1: Jordan B. is on the line; the relay is calling you now from $calls"
arrive
on_call() { vty 'show calls' | grep -q "ACTIVE: Coach Dana Lee calls Jordan B."; }
wait_for 60 on_call || fail "the call did not connect"
echo "  VTY: show calls"
vty 'show calls' | sed 's/^/    /'
sleep 3
ctl hangup "$dana" >/dev/null || fail "modemsim: hangup"
begin "The coach hangs up; the athletic director gets the call's summary (oversight)"
want "$rosa" "$soccer" "Call #1 (Soccer): Coach Dana Lee called Jordan B.; on the call: Kevin B. (guardian), Jordan B. (callee), Coach Dana Lee (caller);"
arrive
for p in "$kevin" "$jordan" "$dana"; do
	ctl auto-answer "$p" --rings 0 >/dev/null && ctl stop-play "$p" >/dev/null
done

# ---- Each phone's view ----

heading "What each phone saw (→ sent to a relay number, ← received from one)"
{
	awk -F'\t' '{ print $2 "\t" $1 "\t→\t" $3 "\t" $4 }' "$work/sent.tsv"
	awk -F'\t' '{ print $2 "\t" $4 "\t←\t" $3 "\t" $5 }' "$work/received.tsv"
} | sort -t"$TAB" -k1,1 -k2,2 >"$work/transcript.tsv"
last=
while IFS=$TAB read -r phone _ dir relay text; do
	if [ "$phone" != "$last" ]; then
		printf '\n%s (%s)\n' "$(label_of "$phone" long)" "$(pretty_number "$phone")"
		last=$phone
	fi
	printf '%s\n' "$text" | wrap 100 15 | sed "1s/^               /  $dir $relay  /"
done <"$work/transcript.tsv"

# ---- The records ----

heading "Where the records are"
echo "  archive: $db (SQLite; removed when the demo ends, KEEP_WORKDIR=1 keeps it)"
echo "  mode:    $(stat -c '%A %a, owner %U' "$db") — chaperoned and chaperone create it 0600"
[ "$(stat -c %a "$db")" = 600 ] || fail "the archive is not mode 0600"
echo
echo "  \$ chaperone held list --db $db"
"$chaperone" held list --db "$db" | sed 's/^/    /'
echo
echo "  VTY (telnet 127.0.0.1 $port; login password $VTY_LOGIN, enable password $VTY_ENABLE):"
stats=$(vty 'show stats' 'show queues' 'show modems' 'show policy')
sed 's/^/    /' <<<"$stats"
sent_n=$(wc -l <"$work/sent.tsv")
tr -d '\r' <<<"$stats" | grep -Eq "^  Messages in +$sent_n\$" || fail "show stats: not $sent_n messages in"
tr -d '\r' <<<"$stats" | grep -Eq "^  Messages received and routed +$sent_n " ||
	fail "show stats: not $sent_n messages received and routed"
# Counts of different widths (0, 15, 104, ...), every one in the same column.
vty 'show stats' | stats_aligned 19 || fail "show stats: the values are not in one column"
if command -v sqlite3 >/dev/null; then
	echo
	echo "  In the archive (sqlite3, read-only): $(sqlite3 -readonly "file:$db?mode=ro" \
		"SELECT (SELECT count(*) FROM messages) || ' messages, ' ||
		 (SELECT count(*) FROM verdicts) || ' verdicts, ' ||
		 (SELECT count(*) FROM deliveries) || ' deliveries, ' ||
		 (SELECT count(*) FROM hold_decisions) || ' hold decisions, ' ||
		 (SELECT count(*) FROM optouts) || ' opt-out records'")"
	echo "  What a record holds: the crisis verdict and its deliveries:"
	sqlite3 -readonly "file:$db?mode=ro" -line \
		"SELECT v.id AS verdict, v.action, v.rules, v.flagged, v.reason, m.sender_number AS sender, m.text
		 FROM verdicts v JOIN messages m ON m.id = v.message_id WHERE v.flagged = 1;" | sed 's/^/    /'
	sqlite3 -readonly "file:$db?mode=ro" -separator '  ' \
		"SELECT d.recipient_number, d.why, s.status, s.parts_delivered || '/' || s.parts_sent
		 FROM deliveries d JOIN verdicts v ON v.id = d.verdict_id JOIN delivery_state s ON s.delivery_id = d.id
		 WHERE v.flagged = 1 ORDER BY d.id;" | sed 's/^/      delivery: /'
fi

# ---- The records officer ----

heading "The records officer answers a public-records request (docs/records.md)"
officer=(--db "$db" --as "Records officer J. Alvarez")
# run_shown ARGS...: show the command (without --db and --as) and its output.
run_shown() {
	local shown=() skip=0 a
	for a in "$@"; do
		if [ "$skip" = 1 ]; then skip=0; continue; fi
		case $a in --db | --as) skip=1 ;; *) shown+=("$a") ;; esac
	done
	echo "  \$ chaperone $(printf '%q ' "${shown[@]}")"
	"$chaperone" "$@" 2>&1 | sed 's/^/    /'
}
run_shown records search --flagged "${officer[@]}"
run_shown records search --person morganp --thread "${officer[@]}"
# The call is found beside the texts: its legs, how it ended, its recording.
run_shown records search --person jordanb --since 2026-01-01 "${officer[@]}" | tee "$work/call_search.txt"
grep -q "^    call 1 " "$work/call_search.txt" || fail "records search does not show the call"
grep -q "recording" "$work/call_search.txt" || fail "records search does not show the call's recording"
# The key that keys the pseudonyms lives outside the archive (made once, at install).
export CHAPERONE_REDACTION_KEY="$work/redaction.key"
run_shown records key-new --key-file "$CHAPERONE_REDACTION_KEY"
bundle="$work/PRR-DEMO-1"
run_shown records export --request PRR-DEMO-1 --requester "Lakeview Ledger" \
	--purpose "Soccer team communications this term" --team soccer \
	--redact students,guardians --out "$bundle" "${officer[@]}" | tee "$work/export.out"
ls -l "$bundle" | sed 's/^/    /'
[ "$(stat -c %a "$bundle/transcript.html")" = 600 ] || fail "the bundle's files are not 0600"
# No student or guardian of the district may be named anywhere in the redacted bundle.
# ($work/persons.tsv: phone, name, handle, role of everyone with a phone.)
redacted_n=0
while IFS=$TAB read -r phone name handle role; do
	case $role in student | guardian) ;; *) continue ;; esac
	for w in "$handle" "$name" "${phone#+1}"; do
		! grep -rqiwF -- "$w" "$bundle" || fail "the redacted bundle names $w ($role)"
	done
	redacted_n=$((redacted_n + 1))
done <"$work/persons.tsv"
[ "$redacted_n" -gt 10 ] || fail "only $redacted_n students and guardians checked"
echo "    (checked: none of the district's $redacted_n students and guardians with a phone is named in the bundle)"
echo "  The redaction review the officer reads before release (first lines):"
head -6 "$bundle/redaction-review.csv" | cut -c1-160 | sed 's/^/    /'
[ "$(wc -l <"$bundle/redaction-review.csv")" -gt 1 ] || fail "an empty redaction review"
# The recording notice: once on the transcript's cover, not in every copy's row (the CSV
# keeps each body exactly).
[ "$(grep -o "Reply STOP to opt out" "$bundle/transcript.html" | wc -l)" -eq 1 ] ||
	fail "the recording notice is repeated in the transcript"
[ "$(grep -o "Reply STOP to opt out" "$bundle/deliveries.csv" | wc -l)" -gt 1 ] ||
	fail "the CSV lost the recording notices"
grep -q "\[recording notice\]" "$bundle/transcript.html" || fail "no [recording notice] marks"
echo "  The PDF transcript (transcript.pdf, first lines as text):"
pdftotext -layout "$bundle/transcript.pdf" "$work/transcript.txt" || fail "transcript.pdf unreadable"
sed -n '1,14p' "$work/transcript.txt" | sed 's/^/    /'
grep -q "Request PRR-DEMO-1 · page 1" "$work/transcript.txt" || fail "the PDF has no page footer"
grep -q "Calls: 1; recordings: 0 copied, 1 withheld" "$work/export.out" ||
	fail "the redacted bundle does not account for the call's recording"
# Jordan's father asks for the recording of his son's call: the family's own record, not
# redacted; the recording is copied, its SHA-256 in the manifest as in the archive.
bundle2="$work/PRR-DEMO-2"
run_shown records export --request PRR-DEMO-2 --requester "Kevin Brooks (parent)" \
	--purpose "The recording of Coach Lee's call with his son" --person jordanb \
	--no-redact "the requester is the student's parent" --out "$bundle2" "${officer[@]}"
sha=$(grep -o 'recording [0-9a-f]\{64\}' "$work/call_search.txt" | cut -d' ' -f2)
[ -n "$sha" ] || fail "no recording hash in the search"
[ "$(sha256sum "$bundle2/call-0001.flac" | cut -d' ' -f1)" = "$sha" ] ||
	fail "the copied recording is not the archive's"
grep -q "$sha" "$bundle2/manifest.json" || fail "the manifest lacks the recording's SHA-256"
echo "    (checked: call-0001.flac is the archive's recording, SHA-256 $sha)"
run_shown records verify-export "$bundle2" "${officer[@]}"
run_shown records verify-export "$bundle" "${officer[@]}"
run_shown records verify --db "$db"
run_shown records anchor --db "$db"
run_shown records audit "${officer[@]}"

heading "Done: $sent_n texts in, $(wc -l <"$work/received.tsv") texts out, every one as expected."

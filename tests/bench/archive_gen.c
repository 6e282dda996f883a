/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A generated district archive (see archive_gen.h): the directory, then the messages day
 * by day, each written the way the relay writes it, with the events that follow a
 * message (sent, delivered, a hold's decision) written when their time comes. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "tests/bench/archive_gen.h"
#include "storage/directory/directory_store.h"
#include "storage/records/records.h"

#define ACTOR	       "archive_gen"
#define BATCH	       5000   /* messages per transaction */
#define PROGRESS_EVERY 100000 /* messages between progress lines */
#define END_YEAR       2026   /* the last school year ends on 15 Aug END_YEAR */
#define MAX_YEARS      20
#define MAX_PERSONS    9999 /* phone numbers are +1617555NNNN */
#define N_UNKNOWN      1500 /* numbers not in the directory that text the relays */
#define MAX_RCPT       256
#define TEXT_CAP       1024
/* Times are stored in UTC; the district's day is laid out in its standard time (UTC-5),
 * fixed so that the archive does not depend on the generating machine's zone. */
#define UTC_OFFSET_S (5 * 3600)
#define DISTRICT     "Lakeview"
#define NOTICE_TEXT                                                                                \
	"Lakeview Schools records all messages on this number. Reply STOP to opt out, "            \
	"HELP for help."

/* ---- PRNG: xoshiro256**, seeded through splitmix64 ---- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

static unsigned below(struct rng *r, unsigned n)
{
	return (unsigned)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static double unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1p-53;
}

static bool chance(struct rng *r, double p)
{
	return unit(r) < p;
}

static int64_t between(struct rng *r, int64_t lo, int64_t hi) /* [lo, hi] */
{
	return lo + (int64_t)below(r, (unsigned)(hi - lo + 1));
}

#define PICK(r, arr) ((arr)[below((r), ARRAY_SIZE(arr))])

/* ---- Calendar (proleptic Gregorian, days since 1970-01-01) ---- */

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400) + (*m <= 2);
}

static unsigned weekday(int64_t day) /* 0 = Sunday */
{
	return (unsigned)(((day % 7) + 11) % 7);
}

static int64_t local_ms(int64_t day, int64_t sec)
{
	return (day * 86400 + sec + UTC_OFFSET_S) * 1000;
}

static int first_year(const struct archive_gen_params *p)
{
	return END_YEAR - (int)p->years;
}

void archive_gen_span(const struct archive_gen_params *p, int64_t *since, int64_t *until)
{
	*since = local_ms(days_from_civil(first_year(p), 8, 15), 0);
	*until = local_ms(days_from_civil(END_YEAR, 8, 15), 0);
}

/* A season as days [a, b) of school year starting in August of `y`. */
static void season_days(int y, enum archive_gen_season season, int64_t *a, int64_t *b)
{
	*a = *b = 0;
	switch (season) {
	case AG_FALL:
		*a = days_from_civil(y, 8, 18);
		*b = days_from_civil(y, 11, 23);
		break;
	case AG_WINTER:
		*a = days_from_civil(y, 11, 28);
		*b = days_from_civil(y + 1, 3, 9);
		break;
	case AG_SPRING:
		*a = days_from_civil(y + 1, 3, 16);
		*b = days_from_civil(y + 1, 6, 15);
		break;
	case AG_SCHOOL_YEAR:
		*a = days_from_civil(y, 9, 3);
		*b = days_from_civil(y + 1, 6, 19);
		break;
	}
}

int archive_gen_season_span(const struct archive_gen_params *p, unsigned year,
			    enum archive_gen_season season, int64_t *since, int64_t *until)
{
	int64_t a, b;

	if (year >= p->years)
		return -1;
	season_days(first_year(p) + (int)year, season, &a, &b);
	*since = local_ms(a, 0);
	*until = local_ms(b, 0);
	return 0;
}

/* School holidays and summer: fewer messages for everyone. */
static double holiday_factor(unsigned m, unsigned d)
{
	if ((m == 12 && d >= 23) || (m == 1 && d <= 1))
		return 0.1;
	if (m == 11 && d >= 24 && d <= 28)
		return 0.35;
	if ((m == 2 && d >= 16 && d <= 20) || (m == 4 && d >= 19 && d <= 23))
		return 0.4;
	if (m == 7 || (m == 8 && d < 15))
		return 0.3;
	return 1.0;
}

/* Hours of the day, local: evenings after practice are busiest; weekends are flatter. */
static const double weekday_hours[24] = {0.2, 0.1, 0.05, 0.05, 0.05, 0.2, 1.5, 3,  1.5, 1, 1,	1.2,
					 2,   1.5, 2.5,	 5,    7,    9,	  11,  13, 12,	7, 3.5, 1};
static const double weekend_hours[24] = {0.3, 0.1, 0.05, 0.05, 0.05, 0.1, 0.5, 1, 3, 5, 6, 6,
					 6,   6,   6,	 6,    6,    7,	  7,   7, 6, 4, 2, 1};

/* ---- The district ---- */

static const struct archive_gen_team teams_spec[] = {
    {"soccerb", "Boys Soccer", AG_FALL},
    {"soccerg", "Girls Soccer", AG_FALL},
    {"football", "Football", AG_FALL},
    {"fieldhockey", "Field Hockey", AG_FALL},
    {"volleyball", "Volleyball", AG_FALL},
    {"xc", "Cross Country", AG_FALL},
    {"golf", "Golf", AG_FALL},
    {"cheer", "Cheer", AG_FALL},
    {"bballb", "Boys Basketball", AG_WINTER},
    {"bballg", "Girls Basketball", AG_WINTER},
    {"hockey", "Ice Hockey", AG_WINTER},
    {"wrestling", "Wrestling", AG_WINTER},
    {"swim", "Swim and Dive", AG_WINTER},
    {"indoortrack", "Indoor Track", AG_WINTER},
    {"ski", "Nordic Ski", AG_WINTER},
    {"gymnastics", "Gymnastics", AG_WINTER},
    {"baseball", "Baseball", AG_SPRING},
    {"softball", "Softball", AG_SPRING},
    {"laxb", "Boys Lacrosse", AG_SPRING},
    {"laxg", "Girls Lacrosse", AG_SPRING},
    {"track", "Outdoor Track", AG_SPRING},
    {"tennis", "Tennis", AG_SPRING},
    {"crew", "Crew", AG_SPRING},
    {"ultimate", "Ultimate", AG_SPRING},
    {"robotics", "Robotics", AG_SCHOOL_YEAR},
    {"debate", "Debate", AG_SCHOOL_YEAR},
    {"drama", "Drama", AG_SCHOOL_YEAR},
    {"band", "Marching Band", AG_SCHOOL_YEAR},
    {"chorus", "Chorus", AG_SCHOOL_YEAR},
    {"yearbook", "Yearbook", AG_SCHOOL_YEAR},
    {"mathteam", "Math Team", AG_SCHOOL_YEAR},
    {"scioly", "Science Olympiad", AG_SCHOOL_YEAR},
    {"modelun", "Model UN", AG_SCHOOL_YEAR},
    {"chess", "Chess Club", AG_SCHOOL_YEAR},
    {"art", "Art Club", AG_SCHOOL_YEAR},
    {"newspaper", "Newspaper", AG_SCHOOL_YEAR},
    {"keyclub", "Key Club", AG_SCHOOL_YEAR},
    {"jazz", "Jazz Band", AG_SCHOOL_YEAR},
    {"council", "Student Council", AG_SCHOOL_YEAR},
    {"esports", "Esports", AG_SCHOOL_YEAR},
};

const struct archive_gen_team *archive_gen_teams(size_t *n)
{
	*n = ARRAY_SIZE(teams_spec);
	return teams_spec;
}

static const char *const student_given[] = {
    "Jamie",  "Riley",	 "Avery",    "Jordan", "Taylor", "Morgan", "Casey",   "Quinn",	 "Emma",
    "Olivia", "Ava",	 "Sophia",   "Mia",    "Amelia", "Harper", "Evelyn",  "Liam",	 "Noah",
    "Oliver", "Elijah",	 "Lucas",    "Mason",  "Logan",	 "Ethan",  "Aiden",   "Jackson", "Mateo",
    "Levi",   "Isabela", "Chloe",    "Zoe",    "Nora",	 "Lily",   "Ella",    "Aria",	 "Layla",
    "Grace",  "Ruby",	 "Hazel",    "Maya",   "Leo",	 "Owen",   "Caleb",   "Ezra",	 "Julian",
    "Miles",  "Ryan",	 "Nolan",    "Priya",  "Arjun",	 "Wei",	   "Mei",     "Kenji",	 "Yuki",
    "Amara",  "Kofi",	 "Santiago", "Camila", "Diego",	 "Lucia",  "Mohamed", "Fatima",	 "Omar",
    "Layan",  "Declan",	 "Siobhan",  "Finn",   "Nina",	 "Tess",   "Cole",    "Brooke",	 "Gavin",
    "Hana",   "Jonah",	 "Kira",     "Luca",   "Maeve",	 "Niko",   "Paloma",  "Rhys"};
static const char *const adult_given[] = {
    "Dana",    "Pat",	"Chris",  "Robin",  "Maria",  "Jennifer", "Michael", "David",	"Sarah",
    "Jessica", "James", "Robert", "Laura",  "Karen",  "Thomas",	  "Daniel",  "Lisa",	"Nancy",
    "Mark",    "Paul",	"Angela", "Monica", "Kevin",  "Brian",	  "Helen",   "Rachel",	"Steven",
    "Eric",    "Anita", "Rosa",	  "Carlos", "Jorge",  "Ana",	  "Linh",    "Hiroshi", "Sunita",
    "Raj",     "Fiona", "Sean",	  "Aisha",  "Yusuf",  "Elena",	  "Victor",  "Irene",	"Grant",
    "Heather", "Amy",	"Ted",	  "Denise", "Marcus", "Tanya",	  "Greg",    "Colleen", "Neil",
    "Olga",    "Ramon", "Sandra", "Walter", "Yvonne", "Hector"};
static const char *const family_names[] = {
    "Lee",	  "Ortiz",     "Rivera",   "Chen",     "Nguyen",   "Smith",    "Johnson",
    "Williams",	  "Brown",     "Jones",	   "Garcia",   "Miller",   "Davis",    "Rodriguez",
    "Martinez",	  "Hernandez", "Lopez",	   "Gonzalez", "Wilson",   "Anderson", "Thomas",
    "Moore",	  "Jackson",   "Martin",   "Thompson", "White",	   "Harris",   "Sanchez",
    "Clark",	  "Ramirez",   "Lewis",	   "Robinson", "Walker",   "Young",    "Allen",
    "King",	  "Wright",    "Scott",	   "Torres",   "Hill",	   "Flores",   "Green",
    "Adams",	  "Nelson",    "Baker",	   "Hall",     "Campbell", "Mitchell", "Carter",
    "Roberts",	  "Patel",     "Shah",	   "Kim",      "Park",	   "Tran",     "Pham",
    "Murphy",	  "Kelly",     "Sullivan", "O'Brien",  "Walsh",	   "Byrne",    "Costa",
    "Silva",	  "Santos",    "Pereira",  "Rossi",    "Russo",	   "Cohen",    "Levy",
    "Okafor",	  "Mensah",    "Haddad",   "Khoury",   "Novak",	   "Kowalski", "Ivanova",
    "Schmidt",	  "Fischer",   "Weber",	   "Dubois",   "Moreau",   "Tanaka",   "Sato",
    "Yamamoto",	  "Singh",     "Kaur",	   "Ali",      "Hassan",   "Abdi",     "Diallo",
    "Fitzgerald", "Gallagher", "Donovan",  "McCarthy", "Brennan",  "Quinlan",  "Fontaine",
    "Beaulieu",	  "Lindqvist"};

/* What the bodies are made of. */
static const char *const sport_events[] = {"practice", "practice",  "practice",
					   "game",     "scrimmage", "lift"};
static const char *const club_events[] = {"meeting",	 "meeting",	     "rehearsal",
					  "competition", "practice session", "work session"};
static const char *const days[] = {"today",	   "tomorrow",	"Monday",	"Tuesday",
				   "Wednesday",	   "Thursday",	"Friday",	"Saturday",
				   "this weekend", "next week", "Friday night", "after school"};
static const char *const places[] = {
    "main gym",	       "turf field", "front lot",  "cafeteria",
    "field house",     "band room",  "library",	   "room 214",
    "auxiliary gym",   "pool",	     "track",	   "trainer's office",
    "athletic office", "bus loop",   "auditorium", "science wing",
    "room 108",	       "lobby"};
static const char *const opponents[] = {
    "Westfield", "Brookline", "Newton North", "Natick",	   "Framingham", "Wellesley",
    "Needham",	 "Dedham",    "Walpole",      "Milton",	   "Canton",	 "Sharon",
    "Norwood",	 "Franklin",  "Medway",	      "Hopkinton", "Ashland",	 "Holliston"};
static const char *const items[] = {
    "jersey",	   "shin guards",  "water bottle",   "warm-up jacket", "cleats",     "helmet",
    "sheet music", "lab notebook", "calculator",     "uniform",	       "team shirt", "goggles",
    "mouth guard", "backpack",	   "laptop charger", "hoodie",	       "spikes",     "knee pads"};
static const char *const forms[] = {
    "physical", "permission slip", "emergency contact", "concussion",	   "field trip",
    "medical",	"photo release",   "transportation",	"code of conduct", "eligibility"};
static const char *const reasons[] = {
    "dentist appointment", "doctor's appointment", "make-up test",	 "orthodontist appointment",
    "family event",	   "job interview",	   "extra help in math", "fever",
    "college visit",	   "music lesson"};
static const unsigned money[] = {10, 15, 20, 25, 30, 40, 50, 75};

static const char *const broadcast_tpl[] = {
    "{E} moved to {T} {D}, meet at the {P}.",
    "Reminder: {E} {D} at {T}. Bring your {I}.",
    "Bus leaves at {T} {D} for {O}. Be at the {P} by {T2}. We should be back around {T3}.",
    "Great job today against {O}, final score {S}! Proud of every one of you.",
    "{E} is cancelled {D} because of the weather. Stay safe and stretch at home.",
    "Please turn in your {F} form by {D}. No form, no {E}.",
    "Uniforms go out {D} after {E}. Numbers are posted on the {P} door, find your #{K}.",
    "Team photos {D} at {T} in the {P}. Wear your home uniform.",
    "Fundraiser money ({M}) is due {D}. Checks payable to Lakeview Boosters.",
    "Schedule change: {E} vs {O} is now {D} at {T}.",
    "Shout out to {N} for a great effort today!",
    "Team dinner after the {E} {D}, {M} per person, let me know by {D2}.",
    "No {E} {D}, school is closed. See everyone {D2} at {T}.",
    "Lost and found in the {P}: a {I} with #{K} on it.",
    "End of season banquet {D} at {T} in the {P}. Families welcome.",
    "Bus for {O} is delayed, new departure {T}. Stay in the {P} until it arrives.",
    "Field trip to {O} {D}: the {F} form and {M} are due by {D2}.",
    "Captains meeting {D} at {T} in the {P}. {N} and {N2} please be there.",
    "Heat advisory {D}: {E} moves to {T}, bring two water bottles.",
    "Results from {O}: {S}. Film session {D} at {T} in the {P}.",
};
static const char *const to_one_tpl[] = {
    "Hi {SN}, can you stay after {E} {D} for a few minutes?",
    "{SN}, please bring your {F} form {D}.",
    "{SN}, your {I} is in the {P}.",
    "How is the ankle feeling {SN}? Take it easy at {E} {D}.",
    "{SN}, you are starting {D} against {O}. Get some rest.",
    "{SN}, please see me about the bus for {D}.",
    "Nice work today {SN}!",
    "{SN}, you still owe {M} for the {I}.",
    "{SN}, the nurse needs your {F} form before {E} {D}.",
    "{SN}, can you help set up the {P} at {T} {D}?",
    "{SN}, you were missed at {E} {D}. Everything OK?",
    "{SN}, great improvement this week. Keep it up at {E} {D}.",
};
static const char *const from_student_tpl[] = {
    "Coach I'll be late to {E} {D}, I have a {R}.",
    "Is {E} still on today?",
    "What time does the bus leave {D}?",
    "I can't make it {D}, sorry. I have a {R}.",
    "I left my {I} in the {P}, is it still there?",
    "Do we need our {I} for {D}?",
    "Can I ride home with my parents after the game at {O}?",
    "I turned in my {F} form to the office.",
    "ok thanks",
    "thank you coach",
    "sounds good",
    "Where do we meet {D}?",
    "My number changed, it's {PH} now.",
    "{N} said {E} was moved to {T}, is that right?",
    "Sorry I missed {E}, I was sick.",
    "what's the score? I'm at the {P}",
    "Can I get a new {I}? Mine is too small.",
    "Is the bus back from {O} before {T}?",
    "I'm number {K} right?",
    "Will we have {E} during vacation week?",
};
static const char *const from_guardian_tpl[] = {
    "Hi Coach, {SN} has a {R} {D} and will miss {E}.",
    "What time will the bus be back from {O} {D}?",
    "Thank you for all you do for the team!",
    "Can you resend the schedule? Thanks, {GN}.",
    "{SN} is feeling sick today and won't be at {E}.",
    "Is the {M} for the {I} due {D}?",
    "I can drive {K} kids to the game at {O}. Call me at {PH}.",
    "Who should we contact about the {F} form?",
    "Will there be {E} during vacation week?",
    "{SN} forgot the {I} at home, I'll drop it off at the {P} by {T}.",
    "Hi, this is {GN}, {SN}'s mom. Is pickup at {T} or {T2}?",
    "{SN} hurt a wrist at {E}, should we see the trainer {D}?",
    "Is {E} cancelled {D} with this weather?",
    "Can {SN} leave early {D}? We have a {R}.",
};
static const char *const staff_staff_tpl[] = {
    "Can you run {E} {D}? I have a meeting until {T}.",
    "I'll take the bus to {O}, you drive the van.",
    "Lineup for {D} is posted in the {P}.",
    "Do we have enough {I}s for the new kids?",
    "Parent meeting {D} at {T} in the {P}.",
};
static const char *const contact_tpl[] = {
    "{SN}, text me on my cell {PH} if you need a ride {D}.",
    "{SN}, call me at {PH} tonight about {E}.",
    "{SN}, add me on snap: coach{K}. Easier than this number.",
};
static const char *const crisis_tpl[] = {
    "{SN} I'm glad you reached out. I'm calling the counselor now, stay where you are.",
    "{SN} you did the right thing telling me. Ms. Ortiz from the office is on her way.",
    "{SN} I hear you. Please go to the nurse's office now, I'll meet you there.",
};
static const char *const student_group_tpl[] = {"party at my house {D}!!!", "who has the {I}?",
						"{E} is cancelled right??",
						"vote for {N} for captain"};
static const char *const unknown_tpl[] = {
    "Who is this?",
    "Is this the school? I need to reach {GN}",
    "Wrong number",
    "Hi this is {GN}'s grandmother, when does {E} end {D}?",
    "sign me up for the team",
    "Is {E} cancelled {D}?",
    "You have a package waiting. Reply YES to confirm delivery.",
};

const char *const archive_gen_words[] = {
    "practice",	 "bus",		"uniform", "jersey",	"form",	      "permission", "schedule",
    "cancelled", "late",	"ride",	   "banquet",	"fundraiser", "photos",	    "physical",
    "weather",	 "game",	"meeting", "rehearsal", "dinner",     "trainer",    "pickup",
    "sick",	 "appointment", "score",   "captains",	"forgot",     "vacation",   "helmet",
    "water",	 "cleats",	NULL};

/* ---- Generator state ---- */

struct gperson {
	int64_t id;
	enum dir_role role;
	const char *given, *family, *handle, *phone, *display;
	unsigned guardians[2], n_guardians; /* students */
	unsigned ward;			    /* guardians: their student */
	uint8_t opted_out, noticed;	    /* a bit per relay */
	uint8_t chatty;			    /* how often they write: weight 1-5 */
	uint8_t n_teams;
};

struct gteam {
	const struct archive_gen_team *spec;
	int64_t id;
	unsigned relay;
	bool sports;
	unsigned staff[3], n_staff;
	unsigned *students, n_students;
	unsigned overseer;
	double activity, year_factor[MAX_YEARS];
};

struct grelay {
	const char *number, *label, *modem;
	int64_t id;
};

enum pend_kind { P_SENT, P_DELIVERED, P_FAILED, P_DECIDE };

/* Something that happens after a message: a modem's progress on a delivery, a hold's
 * decision. Kept in a heap by time and written when the generator's clock passes it. */
struct pend {
	int64_t at;
	uint64_t seq;
	int64_t id; /* delivery, or verdict for P_DECIDE */
	int64_t *ids;
	unsigned n; /* P_DECIDE: held deliveries; P_DELIVERED: message reference */
	uint8_t kind, relay, release;
};

struct rcpt {
	unsigned person;
	const char *why;
	bool copy; /* gets the "to whom" form of the body */
};

struct gen {
	void *ctx;
	struct store *s;
	const struct archive_gen_params *p;
	struct rng rng;
	struct archive_gen_stats st;
	struct gperson *persons;
	unsigned n_persons;
	struct gteam teams[ARRAY_SIZE(teams_spec)];
	struct grelay relays[2];
	unsigned ad, principal;
	struct pend *heap;
	size_t n_heap, cap_heap;
	uint64_t pend_seq;
	int64_t unknown_last_reply[N_UNKNOWN];
	unsigned *opted, n_opted; /* persons with an opt-out bit set */
	unsigned mr;
	struct rcpt rcpt[MAX_RCPT];
	unsigned n_rcpt;
	char err[512];
};

static int fail(struct gen *g, const char *what)
{
	if (!g->err[0])
		snprintf(g->err, sizeof(g->err), "%s: %s", what, store_errmsg(g->s));
	return -1;
}

/* ---- Text ---- */

/* A bounded string builder: too long is cut, never overflowed. */
struct sb {
	char *buf;
	size_t cap, len;
};

static void sb_add(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len + 1 >= b->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n : b->cap - 1;
}

/* snprintf that cuts silently: bodies are composed of parts of bounded but varied
 * length, and a cut body is still a body. */
static void fmt(char *out, size_t cap, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *out, size_t cap, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(out, cap, f, ap);
	va_end(ap);
}

static void clock_time(struct rng *r, char *out, size_t cap)
{
	unsigned h = (unsigned)between(r, 2, 8), m = 15 * below(r, 4);

	if (chance(r, 0.15))
		snprintf(out, cap, "%u:%02u am", (unsigned)between(r, 6, 9), m);
	else
		snprintf(out, cap, "%u:%02u%s", h, m, chance(r, 0.5) ? "" : " pm");
}

/* A phone number as people write it: the same number in one of its spellings. */
static void phone_spelled(struct rng *r, const char *e164, char *out, size_t cap)
{
	const char *d = e164 + 2; /* after "+1" */

	switch (below(r, 4)) {
	case 0:
		snprintf(out, cap, "%.3s-%.3s-%.4s", d, d + 3, d + 6);
		break;
	case 1:
		snprintf(out, cap, "(%.3s) %.3s-%.4s", d, d + 3, d + 6);
		break;
	case 2:
		snprintf(out, cap, "%.10s", d);
		break;
	default:
		snprintf(out, cap, "%s", e164);
		break;
	}
}

struct tctx {
	const struct gteam *team;
	const struct gperson *student;	/* {SN} */
	const struct gperson *guardian; /* {GN} */
	const char *phone;		/* {PH}: E.164 */
};

static const struct gperson *teammate(struct gen *g, const struct gteam *t)
{
	return &g->persons[t->students[below(&g->rng, t->n_students)]];
}

static void expand(struct gen *g, const struct tctx *c, const char *tpl, char *out, size_t cap)
{
	struct sb b = {out, cap, 0};
	struct rng *r = &g->rng;
	char tmp[64];

	out[0] = '\0';
	for (const char *p = tpl; *p;) {
		const char *end;
		size_t klen;

		if (*p != '{' || !(end = strchr(p, '}'))) {
			const char *next = strchr(p + 1, '{');
			size_t n = next ? (size_t)(next - p) : strlen(p);
			sb_add(&b, "%.*s", (int)n, p);
			p += n;
			continue;
		}
		klen = (size_t)(end - p - 1);
		char key[8] = {0};
		memcpy(key, p + 1, klen < sizeof(key) - 1 ? klen : sizeof(key) - 1);
		p = end + 1;
		if (key[0] == 'E')
			sb_add(&b, "%s",
			       c->team->sports ? PICK(r, sport_events) : PICK(r, club_events));
		else if (key[0] == 'T') {
			clock_time(r, tmp, sizeof(tmp));
			sb_add(&b, "%s", tmp);
		} else if (key[0] == 'D')
			sb_add(&b, "%s", PICK(r, days));
		else if (key[0] == 'P' && key[1] == 'H') {
			phone_spelled(r, c->phone ? c->phone : "+16175550199", tmp, sizeof(tmp));
			sb_add(&b, "%s", tmp);
		} else if (key[0] == 'P')
			sb_add(&b, "%s", PICK(r, places));
		else if (key[0] == 'O')
			sb_add(&b, "%s", PICK(r, opponents));
		else if (key[0] == 'S' && key[1] == 'N')
			sb_add(&b, "%s",
			       c->student ? c->student->given : teammate(g, c->team)->given);
		else if (key[0] == 'S')
			sb_add(&b, "%u-%u", (unsigned)between(r, 1, 7), (unsigned)between(r, 0, 5));
		else if (key[0] == 'I')
			sb_add(&b, "%s", PICK(r, items));
		else if (key[0] == 'F')
			sb_add(&b, "%s", PICK(r, forms));
		else if (key[0] == 'N')
			sb_add(&b, "%s", teammate(g, c->team)->given);
		else if (key[0] == 'G')
			sb_add(&b, "%s", c->guardian ? c->guardian->given : PICK(r, adult_given));
		else if (key[0] == 'K')
			sb_add(&b, "%u", (unsigned)between(r, 2, 99));
		else if (key[0] == 'M')
			sb_add(&b, "$%u", PICK(r, money));
		else if (key[0] == 'R')
			sb_add(&b, "%s", PICK(r, reasons));
	}
	/* The first letter of a sentence that starts with a placeholder. */
	out[0] = (char)toupper((unsigned char)out[0]);
}

/* ---- Pending events ---- */

static bool pend_before(const struct pend *a, const struct pend *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static int pend_push(struct gen *g, struct pend e)
{
	size_t i;

	if (g->n_heap == g->cap_heap) {
		size_t cap = g->cap_heap ? 2 * g->cap_heap : 4096;
		struct pend *h = talloc_realloc(g->ctx, g->heap, struct pend, cap);
		if (!h)
			return -1;
		g->heap = h;
		g->cap_heap = cap;
	}
	e.seq = g->pend_seq++;
	i = g->n_heap++;
	while (i > 0 && pend_before(&e, &g->heap[(i - 1) / 2])) {
		g->heap[i] = g->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	g->heap[i] = e;
	return 0;
}

static struct pend pend_pop(struct gen *g)
{
	struct pend top = g->heap[0], last = g->heap[--g->n_heap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= g->n_heap)
			break;
		if (c + 1 < g->n_heap && pend_before(&g->heap[c + 1], &g->heap[c]))
			c++;
		if (!pend_before(&g->heap[c], &last))
			break;
		g->heap[i] = g->heap[c];
		i = c;
	}
	if (g->n_heap)
		g->heap[i] = last;
	return top;
}

/* A queued delivery goes out: a modem submits one SMS every few seconds, so the n-th
 * recipient of a broadcast is sent about 2.5 n seconds later; one in a hundred fails. */
static int schedule_send(struct gen *g, int64_t delivery, unsigned relay, int64_t queued_at,
			 unsigned position)
{
	struct pend e = {.id = delivery, .relay = (uint8_t)relay};

	e.at = queued_at + 1000 + (int64_t)position * 2500 + between(&g->rng, 0, 2000);
	e.kind = chance(&g->rng, 0.01) ? P_FAILED : P_SENT;
	return pend_push(g, e);
}

static int run_pending(struct gen *g, const struct pend *e)
{
	struct grelay *rl = &g->relays[e->relay];

	switch ((enum pend_kind)e->kind) {
	case P_SENT: {
		unsigned mr = g->mr++ & 0xff;
		struct pend d = {.id = e->id, .relay = e->relay, .kind = P_DELIVERED, .n = mr};

		if (rec_delivery_event(g->s, e->id, e->at, REC_ST_SENT, rl->modem, 1, (int)mr,
				       NULL) < 0)
			return fail(g, "sent event");
		g->st.events++;
		/* Most phones report within seconds; some are off for hours; a few never
		 * report at all. */
		if (chance(&g->rng, 0.01))
			return 0;
		d.at = e->at + (chance(&g->rng, 0.95) ? between(&g->rng, 2000, 40000)
						      : between(&g->rng, 300000, 6 * 3600000));
		return pend_push(g, d);
	}
	case P_DELIVERED:
		if (rec_delivery_event(g->s, e->id, e->at, REC_ST_DELIVERED, rl->modem, 1,
				       (int)e->n, NULL) < 0)
			return fail(g, "delivered event");
		g->st.events++;
		return 0;
	case P_FAILED:
		if (rec_delivery_event(g->s, e->id, e->at, REC_ST_FAILED, rl->modem, -1, -1,
				       "+CMS ERROR: 38 (network out of order)") < 0)
			return fail(g, "failed event");
		g->st.events++;
		return 0;
	case P_DECIDE: {
		const char *by = e->release == 2 ? "chaperoned" : g->persons[g->ad].handle;
		const char *note = e->release == 2   ? "quiet hours ended"
				   : e->release == 1 ? "reviewed: fine to send"
						     : "personal contact details; use the relay";
		if (rec_hold_decide(g->s, e->id, e->at, e->release != 0, by, note) < 0)
			return fail(g, "hold decision");
		g->st.events += e->n;
		if (!e->release)
			g->st.held_rejected++;
		for (unsigned i = 0; e->release && i < e->n; i++)
			if (schedule_send(g, e->ids[i], e->relay, e->at, i) < 0)
				return -1;
		talloc_free(e->ids);
		return 0;
	}
	}
	return 0;
}

static int flush_pending(struct gen *g, int64_t upto)
{
	while (g->n_heap && g->heap[0].at <= upto) {
		struct pend e = pend_pop(g);
		if (run_pending(g, &e) < 0)
			return -1;
	}
	return 0;
}

/* ---- Records ---- */

static bool reachable(const struct gperson *p, unsigned relay)
{
	return p->phone && !(p->opted_out & (1u << relay));
}

/* The inbound side: one PDU per part (a concatenated SMS carries 153 characters a part),
 * then the message. The PDU's hex is shaped like a real SMS-DELIVER. */
static int64_t add_message(struct gen *g, int64_t at, unsigned relay, const char *number,
			   int64_t sender_id, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(text);
	unsigned parts = len <= 160 ? 1 : (unsigned)((len + 152) / 153);
	int64_t ids[8], id;
	struct rec_message m = {0};
	char pdu[2 * TEXT_CAP + 128];

	if (parts > 8)
		parts = 8;
	for (unsigned i = 0; i < parts; i++) {
		size_t off = (size_t)i * 153,
		       n = parts == 1 ? len : (len - off < 153 ? len - off : 153);
		struct sb b = {pdu, sizeof(pdu), 0};

		sb_add(&b, "07916171550001F0%s0B91", parts > 1 ? "44" : "04");
		for (const char *d = number + 1; d[0]; d += d[1] ? 2 : 1) /* swapped pairs */
			sb_add(&b, "%c%c", d[1] ? d[1] : 'F', d[0]);
		sb_add(&b, "0000%014" PRIX64 "%02X", (uint64_t)at / 1000, (unsigned)n);
		if (parts > 1)
			sb_add(&b, "050003%02X%02X%02X", (unsigned)(at & 0xff), parts, i + 1);
		for (size_t k = 0; k < n && b.len + 2 < b.cap; k++) {
			unsigned char ch = (unsigned char)text[off + k];
			pdu[b.len++] = hex[ch >> 4];
			pdu[b.len++] = hex[ch & 15];
		}
		pdu[b.len] = '\0';
		ids[i] =
		    rec_rx_pdu_add(g->s, at - (int64_t)(parts - i) * 300, g->relays[relay].modem,
				   g->relays[relay].number, false, pdu, 0, 0, NULL);
		if (ids[i] <= 0)
			return fail(g, "rx pdu");
		g->st.rx_pdus++;
	}
	m.at = at;
	m.sent_at = at - between(&g->rng, 1000, 9000);
	m.relay = g->relays[relay].number;
	m.modem = g->relays[relay].modem;
	m.sender_number = number;
	m.sender_id = sender_id;
	m.text = text;
	m.parts = parts;
	m.complete = true;
	m.rx_pdu_ids = ids;
	m.n_rx_pdu_ids = parts;
	id = rec_message_add(g->s, &m);
	if (id <= 0)
		return fail(g, "message");
	g->st.messages++;
	return id;
}

struct vinfo {
	const char *kind, *action, *rules, *reason, *body, *release;
	int64_t team_id, sender_id, hold_until;
	bool flagged;
};

static int64_t add_verdict(struct gen *g, int64_t at, int64_t mid, unsigned relay,
			   const struct vinfo *vi)
{
	struct rec_verdict v = {0};
	int64_t id;

	v.at = at;
	v.message_id = mid;
	v.relay = g->relays[relay].number;
	v.sender_id = vi->sender_id;
	v.team_id = vi->team_id;
	v.kind = (enum rec_verdict_kind)get_string_value(rec_verdict_kind_names, vi->kind);
	v.action = (enum rec_action)get_string_value(rec_action_names, vi->action);
	v.rules = vi->rules;
	v.reason = vi->reason;
	v.body = vi->body;
	v.flagged = vi->flagged;
	v.release = vi->release;
	v.hold_until = vi->hold_until;
	id = rec_verdict_add(g->s, &v);
	if (id <= 0)
		return fail(g, "verdict");
	g->st.verdicts++;
	if (vi->flagged)
		g->st.flagged++;
	return id;
}

/* One delivery with its first event. Queued ones are sent later (pending events); the
 * first delivery a person gets from a relay carries the recording notice. */
static int64_t add_delivery(struct gen *g, int64_t at, int64_t vid, int64_t mid, unsigned relay,
			    int64_t person_id, const char *number, const char *why,
			    const char *body, const char *status, const char *detail,
			    unsigned position)
{
	struct gperson *p = person_id > 0 ? &g->persons[person_id - g->persons[0].id] : NULL;
	struct rec_delivery d = {0};
	char noticed[TEXT_CAP + 160];
	int64_t id;
	bool queued = !strcmp(status, "queued");

	d.at = at;
	d.verdict_id = vid;
	d.message_id = mid;
	d.relay = g->relays[relay].number;
	d.recipient_id = person_id;
	d.recipient_number = number;
	d.why = why;
	d.body = body;
	d.status = (enum rec_status)get_string_value(rec_status_names, status);
	d.detail = detail;
	if (queued && p && !(p->noticed & (1u << relay))) {
		fmt(noticed, sizeof(noticed), "%s\n%s", NOTICE_TEXT, body);
		d.body = noticed;
		d.notice = true;
	}
	id = rec_delivery_add(g->s, &d);
	if (id <= 0)
		return fail(g, "delivery");
	g->st.deliveries++;
	g->st.events++;
	if (d.notice) {
		if (rec_notice_add(g->s, at, d.relay, person_id, id) < 0)
			return fail(g, "notice");
		p->noticed |= (uint8_t)(1u << relay);
		g->st.notices++;
	}
	if (queued && schedule_send(g, id, relay, at, position) < 0)
		return -1;
	return id;
}

static int add_reply(struct gen *g, int64_t at, int64_t vid, int64_t mid, unsigned relay,
		     int64_t person_id, const char *number, const char *text)
{
	char body[TEXT_CAP];

	fmt(body, sizeof(body), DISTRICT " relay: %s", text);
	return add_delivery(g, at + 200, vid, mid, relay, person_id, number, "reply", body,
			    "queued", NULL, 0) > 0
		   ? 0
		   : -1;
}

static int add_thread(struct gen *g, int64_t at, unsigned relay, const struct gperson *who,
		      const struct gteam *t, const struct gperson *counterpart, int64_t mid)
{
	if (rec_thread_add(g->s, at, g->relays[relay].number, who->id, t->id,
			   counterpart ? counterpart->id : 0, mid) < 0)
		return fail(g, "thread");
	g->st.threads++;
	return 0;
}

static void rcpt_add(struct gen *g, unsigned person, const char *why, bool copy)
{
	for (unsigned i = 0; i < g->n_rcpt; i++)
		if (g->rcpt[i].person == person)
			return;
	if (g->n_rcpt < MAX_RCPT)
		g->rcpt[g->n_rcpt++] = (struct rcpt){person, why, copy};
}

/* Write the recipients collected in g->rcpt: reachable ones queued (or held), the
 * addressed ones who cannot be reached as skipped, unreachable copies not at all (the
 * policy only copies reachable guardians). Held delivery ids go to *held. */
static int write_rcpts(struct gen *g, int64_t at, int64_t vid, int64_t mid, unsigned relay,
		       const char *main_body, const char *copy_body, bool hold, int64_t **held,
		       unsigned *n_held)
{
	unsigned position = 0;

	if (hold) {
		*held = talloc_array(g->ctx, int64_t, g->n_rcpt);
		*n_held = 0;
		if (!*held)
			return -1;
	}
	for (unsigned i = 0; i < g->n_rcpt; i++) {
		const struct rcpt *r = &g->rcpt[i];
		struct gperson *p = &g->persons[r->person];
		int64_t id;

		if (!reachable(p, relay)) {
			if (r->copy)
				continue;
			if (add_delivery(g, at, vid, mid, relay, p->id, p->phone ? p->phone : "",
					 r->why, "", "skipped",
					 p->phone ? "opted out (STOP)" : "no phone number on file",
					 0) <= 0)
				return -1;
			continue;
		}
		id = add_delivery(g, at, vid, mid, relay, p->id, p->phone, r->why,
				  r->copy ? copy_body : main_body, hold ? "held" : "queued", NULL,
				  position++);
		if (id <= 0)
			return -1;
		if (hold)
			(*held)[(*n_held)++] = id;
	}
	return 0;
}

static unsigned pick_student(struct gen *g, const struct gteam *t, bool with_phone)
{
	unsigned total = 0, k;

	for (unsigned i = 0; i < t->n_students; i++)
		total += g->persons[t->students[i]].chatty;
	for (int tries = 0; tries < 20; tries++) {
		k = below(&g->rng, total);
		for (unsigned i = 0; i < t->n_students; i++) {
			const struct gperson *p = &g->persons[t->students[i]];
			if (k < p->chatty) {
				if (!with_phone || p->phone)
					return t->students[i];
				break;
			}
			k -= p->chatty;
		}
	}
	return t->students[0];
}

static unsigned pick_staff(struct gen *g, const struct gteam *t)
{
	if (t->n_staff == 1 || chance(&g->rng, 0.6))
		return t->staff[0];
	return t->staff[1 + below(&g->rng, t->n_staff - 1)];
}

static const char *staff_word(const struct gteam *t)
{
	return t->sports ? "coaches" : "advisors";
}

static bool quiet_hours(int64_t sec)
{
	return sec >= 21 * 3600 || sec < 7 * 3600;
}

/* 07:00 local after `at`, for a hold by quiet hours. */
static int64_t next_seven(int64_t day, int64_t sec)
{
	return local_ms(sec >= 21 * 3600 ? day + 1 : day, 7 * 3600);
}

/* A staff message to students: a whole team, or one student. Quiet hours hold it until
 * 07:00; `contact` (a phone number in it) holds it for the athletic director. */
static int staff_to_students(struct gen *g, int64_t day, int64_t sec, int64_t at, struct gteam *t,
			     bool whole_team, bool contact)
{
	struct rng *r = &g->rng;
	struct gperson *sender = &g->persons[pick_staff(g, t)];
	struct gperson *student = NULL;
	struct tctx c = {.team = t, .phone = sender->phone};
	char body[TEXT_CAP], text[TEXT_CAP + 64], main_body[TEXT_CAP + 128],
	    copy_body[TEXT_CAP + 192], reason[256], rules[128];
	bool quiet = !contact && quiet_hours(sec);
	bool hold = quiet || contact;
	struct vinfo vi = {.kind = "relay", .team_id = t->id, .sender_id = sender->id};
	int64_t mid, vid, *held = NULL;
	unsigned n_held = 0, copies = 0;

	if (!whole_team) {
		student = &g->persons[pick_student(g, t, false)];
		c.student = student;
	}
	expand(g, &c,
	       contact	    ? PICK(r, contact_tpl)
	       : whole_team ? PICK(r, broadcast_tpl)
			    : PICK(r, to_one_tpl),
	       body, sizeof(body));
	if (whole_team)
		fmt(text, sizeof(text), "#%s %s", t->spec->tag, body);
	else
		fmt(text, sizeof(text), "@%s %s", student->handle, body);

	g->n_rcpt = 0;
	if (whole_team) {
		for (unsigned i = 0; i < t->n_students; i++)
			rcpt_add(g, t->students[i], "addressed", false);
		for (unsigned i = 0; i < t->n_students; i++) {
			const struct gperson *s = &g->persons[t->students[i]];
			for (unsigned k = 0; k < s->n_guardians; k++)
				rcpt_add(g, s->guardians[k], "guardian-copy", true);
		}
		for (unsigned i = 0; i < t->n_staff; i++)
			if (&g->persons[t->staff[i]] != sender)
				rcpt_add(g, t->staff[i], "team-staff", true);
	} else {
		rcpt_add(g, (unsigned)(student - g->persons), "addressed", false);
		for (unsigned k = 0; k < student->n_guardians; k++)
			if (reachable(&g->persons[student->guardians[k]], t->relay)) {
				rcpt_add(g, student->guardians[k], "guardian-copy", true);
				copies++;
			}
	}
	rcpt_add(g, t->overseer, "oversight", true);

	mid = add_message(g, at, t->relay, sender->phone, sender->id, text);
	if (mid <= 0)
		return -1;
	vi.body = body;
	if (!whole_team && !copies) {
		/* guardian-copy: a student none of whose guardians can be reached cannot be
		 * written to one-to-one. */
		fmt(reason, sizeof(reason), "no guardian of %s can be reached to copy",
		    student->display);
		vi.action = "block";
		vi.rules = "guardian-copy";
		vi.reason = reason;
		vid = add_verdict(g, at, mid, t->relay, &vi);
		g->st.blocked++;
		fmt(text, sizeof(text),
		    "Not sent: no guardian of %s can be reached to copy. Message the whole "
		    "team, or ask the athletic director for an exception.",
		    student->display);
		return vid > 0
			   ? add_reply(g, at, vid, mid, t->relay, sender->id, sender->phone, text)
			   : -1;
	}
	fmt(rules, sizeof(rules), "%s%s%sguardian-copy,oversight,attribution",
	    quiet ? "quiet-hours," : "", contact ? "contact-screen," : "",
	    whole_team ? "whole-team," : "");
	if (whole_team)
		fmt(reason, sizeof(reason), "whole team %s (%u students)%s", t->spec->name,
		    t->n_students, quiet ? "; quiet hours: held until 07:00" : "");
	else
		fmt(reason, sizeof(reason), "to %s%s", student->display,
		    quiet     ? "; quiet hours: held until 07:00"
		    : contact ? "; personal contact information: held for review"
			      : "");
	vi.action = hold ? "hold" : "deliver";
	vi.rules = rules;
	vi.reason = reason;
	if (quiet) {
		vi.release = "time";
		vi.hold_until = next_seven(day, sec);
	} else if (contact) {
		vi.release = "admin";
	}
	vid = add_verdict(g, at, mid, t->relay, &vi);
	if (vid <= 0)
		return -1;
	fmt(main_body, sizeof(main_body), "[%s] %s: %s", t->spec->name, sender->display, body);
	if (whole_team)
		fmt(copy_body, sizeof(copy_body), "[%s] %s to the %s team: %s", t->spec->name,
		    sender->display, t->spec->name, body);
	else
		fmt(copy_body, sizeof(copy_body), "[%s] %s to %s: %s", t->spec->name,
		    sender->display, student->display, body);
	if (write_rcpts(g, at, vid, mid, t->relay, main_body, copy_body, hold, &held, &n_held) < 0)
		return -1;
	if (whole_team)
		g->st.broadcasts++;
	else
		g->st.to_one++;
	if (!whole_team && add_thread(g, at, t->relay, student, t, NULL, mid) < 0)
		return -1;
	if (!hold)
		return 0;
	g->st.held++;
	if (add_reply(g, at, vid, mid, t->relay, sender->id, sender->phone,
		      quiet ? "Held until 07:00 (quiet hours). It will go out then."
			    : "Held for review by the athletic director: staff messages may "
			      "not share personal contact details.") < 0)
		return -1;
	struct pend e = {
	    .kind = P_DECIDE, .id = vid, .ids = held, .n = n_held, .relay = (uint8_t)t->relay};
	if (quiet) {
		e.at = vi.hold_until;
		e.release = 2;
	} else {
		e.at = at + between(&g->rng, 20 * 60000, 20 * 3600000);
		e.release = chance(&g->rng, 0.75);
	}
	return pend_push(g, e);
}

/* A student or guardian writes the team's staff (unaddressed): the staff are addressed,
 * a student's reachable guardians copied. */
static int family_to_staff(struct gen *g, int64_t at, struct gteam *t, bool guardian)
{
	struct gperson *student = &g->persons[pick_student(g, t, !guardian)];
	struct gperson *sender = student;
	struct tctx c = {.team = t, .student = student};
	char body[TEXT_CAP], main_body[TEXT_CAP + 192], copy_body[TEXT_CAP + 256], label[192],
	    reason[160], rules[64];
	struct vinfo vi = {.kind = "relay", .action = "deliver", .team_id = t->id};
	unsigned copies = 0;
	int64_t mid, vid;

	if (guardian) {
		unsigned k = 0;
		for (; k < student->n_guardians; k++)
			if (g->persons[student->guardians[k]].phone)
				break;
		if (k == student->n_guardians)
			return family_to_staff(g, at, t, false);
		sender = &g->persons[student->guardians[k]];
		c.guardian = sender;
	}
	c.phone = sender->phone;
	expand(g, &c, guardian ? PICK(&g->rng, from_guardian_tpl) : PICK(&g->rng, from_student_tpl),
	       body, sizeof(body));
	g->n_rcpt = 0;
	for (unsigned i = 0; i < t->n_staff; i++)
		rcpt_add(g, t->staff[i], "addressed", false);
	if (!guardian)
		for (unsigned k = 0; k < student->n_guardians; k++)
			if (reachable(&g->persons[student->guardians[k]], t->relay)) {
				rcpt_add(g, student->guardians[k], "guardian-copy", true);
				copies++;
			}
	mid = add_message(g, at, t->relay, sender->phone, sender->id, body);
	if (mid <= 0)
		return -1;
	fmt(rules, sizeof(rules), "%sattribution", copies ? "guardian-copy," : "");
	fmt(reason, sizeof(reason), "to the %s %s%s", t->spec->name, staff_word(t),
	    !guardian && !copies ? "; no guardian can be reached to copy" : "");
	vi.sender_id = sender->id;
	vi.rules = rules;
	vi.reason = reason;
	vi.body = body;
	vid = add_verdict(g, at, mid, t->relay, &vi);
	if (vid <= 0)
		return -1;
	if (guardian)
		fmt(label, sizeof(label), "%s, guardian of %s (@%s)", sender->display,
		    student->display, sender->handle);
	else
		fmt(label, sizeof(label), "%s (@%s)", sender->display, sender->handle);
	fmt(main_body, sizeof(main_body), "[%s] %s: %s", t->spec->name, label, body);
	fmt(copy_body, sizeof(copy_body), "[%s] %s to the %s %s: %s", t->spec->name, label,
	    t->spec->name, staff_word(t), body);
	if (write_rcpts(g, at, vid, mid, t->relay, main_body, copy_body, false, NULL, NULL) < 0)
		return -1;
	if (guardian)
		g->st.from_guardians++;
	else
		g->st.from_students++;
	/* The router's threads: the sender's conversation, and each staff member's. */
	if (add_thread(g, at, t->relay, sender, t, NULL, mid) < 0)
		return -1;
	for (unsigned i = 0; i < t->n_staff; i++)
		if (add_thread(g, at, t->relay, &g->persons[t->staff[i]], t, sender, mid) < 0)
			return -1;
	return 0;
}

static int staff_to_staff(struct gen *g, int64_t day, int64_t sec, int64_t at, struct gteam *t)
{
	struct gperson *sender = &g->persons[pick_staff(g, t)];
	struct tctx c = {.team = t, .phone = sender->phone};
	char body[TEXT_CAP], main_body[TEXT_CAP + 128], reason[128];
	struct vinfo vi = {.kind = "relay",
			   .action = "deliver",
			   .rules = "attribution",
			   .team_id = t->id,
			   .sender_id = sender->id};
	int64_t mid, vid;

	if (t->n_staff < 2)
		return staff_to_students(g, day, sec, at, t, false, false);
	expand(g, &c, PICK(&g->rng, staff_staff_tpl), body, sizeof(body));
	g->n_rcpt = 0;
	for (unsigned i = 0; i < t->n_staff; i++)
		if (&g->persons[t->staff[i]] != sender)
			rcpt_add(g, t->staff[i], "addressed", false);
	mid = add_message(g, at, t->relay, sender->phone, sender->id, body);
	if (mid <= 0)
		return -1;
	fmt(reason, sizeof(reason), "to the %s %s", t->spec->name, staff_word(t));
	vi.reason = reason;
	vi.body = body;
	vid = add_verdict(g, at, mid, t->relay, &vi);
	if (vid <= 0)
		return -1;
	fmt(main_body, sizeof(main_body), "[%s] %s: %s", t->spec->name, sender->display, body);
	if (write_rcpts(g, at, vid, mid, t->relay, main_body, main_body, false, NULL, NULL) < 0)
		return -1;
	g->st.staff_to_staff++;
	if (add_thread(g, at, t->relay, sender, t, NULL, mid) < 0)
		return -1;
	for (unsigned i = 0; i < g->n_rcpt; i++)
		if (add_thread(g, at, t->relay, &g->persons[g->rcpt[i].person], t, sender, mid) < 0)
			return -1;
	return 0;
}

/* !crisis: one student, no guardian copy, alerts to the overseer and the principal. */
static int crisis(struct gen *g, int64_t at, struct gteam *t)
{
	struct gperson *sender = &g->persons[pick_staff(g, t)];
	struct gperson *student = &g->persons[pick_student(g, t, true)];
	struct tctx c = {.team = t, .student = student};
	char body[TEXT_CAP], text[TEXT_CAP + 64], main_body[TEXT_CAP + 128], alert[TEXT_CAP + 192],
	    reason[256];
	struct vinfo vi = {.kind = "relay",
			   .action = "deliver",
			   .rules = "crisis,attribution",
			   .team_id = t->id,
			   .sender_id = sender->id,
			   .flagged = true};
	int64_t mid, vid;

	expand(g, &c, PICK(&g->rng, crisis_tpl), body, sizeof(body));
	fmt(text, sizeof(text), "@%s !crisis %s", student->handle, body);
	mid = add_message(g, at, t->relay, sender->phone, sender->id, text);
	if (mid <= 0)
		return -1;
	fmt(reason, sizeof(reason),
	    "crisis answer by %s to %s one-to-one, without guardian copy; flagged for review",
	    sender->display, student->display);
	vi.reason = reason;
	vi.body = body;
	vid = add_verdict(g, at, mid, t->relay, &vi);
	if (vid <= 0)
		return -1;
	g->n_rcpt = 0;
	rcpt_add(g, (unsigned)(student - g->persons), "addressed", false);
	rcpt_add(g, t->overseer, "crisis-alert", true);
	rcpt_add(g, g->principal, "crisis-alert", true);
	fmt(main_body, sizeof(main_body), "[%s] %s: %s", t->spec->name, sender->display, body);
	fmt(alert, sizeof(alert), "CRISIS [%s] %s answered %s one-to-one: %s - please review",
	    t->spec->name, sender->display, student->display, body);
	if (write_rcpts(g, at, vid, mid, t->relay, main_body, alert, false, NULL, NULL) < 0)
		return -1;
	return add_thread(g, at, t->relay, student, t, NULL, mid);
}

/* Refused by the policy, answered by a reply to the sender. */
static int blocked(struct gen *g, int64_t at, struct gteam *t)
{
	struct rng *r = &g->rng;
	struct gperson *student = &g->persons[pick_student(g, t, true)], *sender = student;
	struct tctx c = {.team = t, .student = student};
	char body[TEXT_CAP], text[TEXT_CAP + 64], reason[256], reply[512];
	struct vinfo vi = {
	    .kind = "relay", .action = "block", .rules = "guardian-copy", .team_id = t->id};
	int64_t mid, vid;
	unsigned how = below(r, 10);

	expand(g, &c, PICK(r, student_group_tpl), body, sizeof(body));
	if (how < 5) {
		/* a student addresses the team */
		fmt(text, sizeof(text), "#%s %s", t->spec->tag, body);
		fmt(reason, sizeof(reason), "a student cannot address people or groups");
	} else if (how < 7 && student->n_guardians && g->persons[student->guardians[0]].phone) {
		/* a guardian addresses another student */
		sender = &g->persons[student->guardians[0]];
		fmt(text, sizeof(text), "@%s %s", teammate(g, t)->handle, body);
		fmt(reason, sizeof(reason), "a guardian cannot address people or groups");
	} else if (how < 9) {
		/* a coach writes a student who is not on their team */
		const struct gteam *other = &g->teams[below(r, ARRAY_SIZE(teams_spec))];
		struct gperson *o = &g->persons[pick_student(g, other, false)];
		sender = &g->persons[pick_staff(g, t)];
		c.student = o;
		expand(g, &c, PICK(r, to_one_tpl), body, sizeof(body));
		fmt(text, sizeof(text), "@%s %s", o->handle, body);
		fmt(reason, sizeof(reason), "%s is not on a team of %s on this relay", o->display,
		    sender->display);
		vi.rules = "guardian-copy";
	} else {
		/* a coach misspells a tag */
		sender = &g->persons[pick_staff(g, t)];
		expand(g, &c, PICK(r, broadcast_tpl), body, sizeof(body));
		fmt(text, sizeof(text), "#%.3sx %s", t->spec->tag, body);
		fmt(reason, sizeof(reason), "unknown team #%.3sx", t->spec->tag);
		vi.rules = "";
		vi.team_id = 0;
	}
	mid = add_message(g, at, t->relay, sender->phone, sender->id, text);
	if (mid <= 0)
		return -1;
	vi.sender_id = sender->id;
	vi.reason = reason;
	vi.body = body;
	vid = add_verdict(g, at, mid, t->relay, &vi);
	if (vid <= 0)
		return -1;
	g->st.blocked++;
	fmt(reply, sizeof(reply),
	    sender->role == DIR_STAFF
		? "Not sent: %s. Check the #tag or @name and send it again."
		: "Not sent: %s. To reach the team's staff, send your message without # "
		  "or @ words.",
	    reason);
	return add_reply(g, at, vid, mid, t->relay, sender->id, sender->phone, reply);
}

/* STOP, or START from someone who stopped. */
static int optout(struct gen *g, int64_t at, struct gteam *t)
{
	struct rng *r = &g->rng;
	unsigned relay = t->relay, who = 0;
	struct gperson *p;
	bool stop = true;
	struct vinfo vi = {
	    .kind = "command", .action = "reply", .rules = "opt-out", .team_id = t->id};
	char reason[128];
	int64_t mid, vid;

	/* About one person in forty has opted out at any time: past that, a STOP is
	 * balanced by a START (else a long archive would end with half the district
	 * opted out). */
	if (g->n_opted && (chance(r, 0.35) || g->n_opted * 40 >= g->n_persons)) {
		unsigned k = below(r, g->n_opted);
		who = g->opted[k];
		if (g->persons[who].opted_out & (1u << relay)) {
			stop = false;
			g->opted[k] = g->opted[--g->n_opted];
		}
	}
	if (stop) {
		struct gperson *s = &g->persons[pick_student(g, t, false)];
		who =
		    chance(r, 0.7) && s->n_guardians ? s->guardians[0] : (unsigned)(s - g->persons);
		if (!g->persons[who].phone || (g->persons[who].opted_out & (1u << relay)))
			return family_to_staff(g, at, t, true);
		g->opted = talloc_realloc(g->ctx, g->opted, unsigned, g->n_opted + 1);
		if (!g->opted)
			return -1;
		g->opted[g->n_opted++] = who;
	}
	p = &g->persons[who];
	mid = add_message(g, at, relay, p->phone, p->id,
			  stop ? PICK(r, ((const char *[]){"STOP", "stop", "Stop"})) : "START");
	if (mid <= 0)
		return -1;
	fmt(reason, sizeof(reason), "%s from %s", stop ? "STOP" : "START", p->display);
	vi.sender_id = p->id;
	vi.reason = reason;
	vi.body = stop ? "STOP" : "START";
	vid = add_verdict(g, at, mid, relay, &vi);
	if (vid <= 0)
		return -1;
	if (rec_optout_add(g->s, at, g->relays[relay].number, p->phone, p->id, stop, mid) < 0)
		return fail(g, "opt-out");
	g->st.optouts++;
	if (stop)
		p->opted_out |= (uint8_t)(1u << relay);
	else
		p->opted_out &= (uint8_t) ~(1u << relay);
	return add_reply(g, at, vid, mid, relay, p->id, p->phone,
			 stop ? "You will no longer get messages from this number. Reply START "
				"to resume."
			      : "Welcome back: you will get team messages from this number "
				"again.");
}

/* A number not in the directory: recorded, answered at most once a month. */
static int unknown(struct gen *g, int64_t at, struct gteam *t)
{
	struct rng *r = &g->rng;
	/* Some numbers write again and again (a wrong number saved in a contact list). */
	unsigned k = chance(r, 0.5) ? below(r, 40) : below(r, N_UNKNOWN);
	char number[24], body[TEXT_CAP];
	struct tctx c = {.team = t};
	bool replied = at - g->unknown_last_reply[k] > 30LL * 86400000;
	struct vinfo vi = {.kind = "unknown-sender", .action = replied ? "reply" : "ignore"};
	int64_t mid, vid;

	fmt(number, sizeof(number), "+1508555%04u", k);
	expand(g, &c, PICK(r, unknown_tpl), body, sizeof(body));
	mid = add_message(g, at, t->relay, number, 0, body);
	if (mid <= 0)
		return -1;
	vi.reason = replied ? "number not in the directory"
			    : "number not in the directory; "
			      "already told this month";
	vi.body = body;
	vid = add_verdict(g, at, mid, t->relay, &vi);
	if (vid <= 0)
		return -1;
	if (rec_unknown_sender_add(g->s, at, g->relays[t->relay].number, number, mid, replied) < 0)
		return fail(g, "unknown sender");
	g->st.unknown++;
	if (!replied)
		return 0;
	g->unknown_last_reply[k] = at;
	return add_reply(g, at, vid, mid, t->relay, 0, number,
			 "This number relays messages for " DISTRICT " school teams. Your number "
			 "is not on file: contact the school office.");
}

/* What kind of message, by weight. */
enum mkind {
	K_BROADCAST,
	K_TO_ONE,
	K_STUDENT,
	K_GUARDIAN,
	K_STAFF_STAFF,
	K_CONTACT,
	K_BLOCKED,
	K_CRISIS,
	K_OPTOUT,
	K_UNKNOWN,
	N_KINDS
};
static const double kind_weight[N_KINDS] = {5.5, 11, 42, 24, 2, 0.6, 3.5, 0.05, 0.1, 1.5};

static int one_message(struct gen *g, int64_t day, int64_t sec, struct gteam *t)
{
	int64_t at = local_ms(day, sec) + between(&g->rng, 0, 999);
	double total = 0, x;
	unsigned k;

	for (k = 0; k < N_KINDS; k++)
		total += kind_weight[k];
	x = unit(&g->rng) * total;
	for (k = 0; k + 1 < N_KINDS && x >= kind_weight[k]; k++)
		x -= kind_weight[k];
	if (flush_pending(g, at) < 0)
		return -1;
	switch ((enum mkind)k) {
	case K_BROADCAST:
		return staff_to_students(g, day, sec, at, t, true, false);
	case K_TO_ONE:
		return staff_to_students(g, day, sec, at, t, false, false);
	case K_STUDENT:
		return family_to_staff(g, at, t, false);
	case K_GUARDIAN:
		return family_to_staff(g, at, t, true);
	case K_STAFF_STAFF:
		return staff_to_staff(g, day, sec, at, t);
	case K_CONTACT:
		return staff_to_students(g, day, sec, at, t, false, true);
	case K_BLOCKED:
		return blocked(g, at, t);
	case K_CRISIS:
		return crisis(g, at, t);
	case K_OPTOUT:
		return optout(g, at, t);
	case K_UNKNOWN:
	case N_KINDS:
		break;
	}
	return unknown(g, at, t);
}

/* ---- The directory ---- */

static unsigned new_person(struct gen *g, enum dir_role role, enum dir_title title,
			   const char *given, const char *family, bool phone)
{
	unsigned n = g->n_persons;
	struct gperson *gp = &g->persons[n];
	struct store_person p = {0};
	char handle[64], number[24], source[24];
	size_t i = 0;
	static const char *const title_word[] = {[DIR_T_COACH] = "Coach",
						 [DIR_T_ADVISOR] = "Advisor",
						 [DIR_T_ATHLETIC_DIRECTOR] = "Athletic Director",
						 [DIR_T_PRINCIPAL] = "Principal"};

	if (n >= MAX_PERSONS)
		return UINT32_MAX;
	for (const char *c = given; *c && i < 24; c++)
		if (isalpha((unsigned char)*c))
			handle[i++] = (char)tolower((unsigned char)*c);
	snprintf(handle + i, sizeof(handle) - i, "%c%u", tolower((unsigned char)family[0]), n);
	snprintf(number, sizeof(number), "+1617555%04u", n);
	snprintf(source, sizeof(source), "%s-%u", role == DIR_GUARDIAN ? "g" : "u", n);
	p.source_id = source;
	p.origin = role == DIR_GUARDIAN ? STORE_ORIGIN_GUARDIANS : STORE_ORIGIN_ONEROSTER;
	p.role = role;
	p.title = title;
	p.given = given;
	p.family = family;
	p.handle = handle;
	p.phone = phone ? number : NULL;
	p.active = true;
	if (store_person_add(g->s, ACTOR, &p) < 0)
		return UINT32_MAX;
	*gp = (struct gperson){.id = p.id, .role = role, .given = given, .family = family};
	gp->handle = talloc_strdup(g->ctx, handle);
	gp->phone = phone ? talloc_strdup(g->ctx, number) : NULL;
	if (role == DIR_STAFF || role == DIR_ADMIN)
		gp->display = talloc_asprintf(g->ctx, "%s %s %s", title_word[title], given, family);
	else
		gp->display = talloc_asprintf(g->ctx, "%s %c.", given, family[0]);
	gp->chatty = (uint8_t)PICK(&g->rng, ((const unsigned[]){1, 1, 1, 2, 2, 3, 5}));
	/* Person ids are consecutive: add_delivery() maps an id back to its entry. */
	if (n && gp->id != g->persons[0].id + n) {
		snprintf(g->err, sizeof(g->err), "person ids are not consecutive");
		return UINT32_MAX;
	}
	g->n_persons++;
	return n;
}

static int add_link(struct gen *g, enum store_link_kind k, int64_t a, int64_t b, const char *note,
		    const char *origin)
{
	return store_link_add(g->s, ACTOR, k, a, b, note, origin) < 0 ? fail(g, "link") : 0;
}

/* A new student with one or two guardians (most families share a name). */
static int new_student(struct gen *g, unsigned *out)
{
	struct rng *r = &g->rng;
	const char *family = PICK(r, family_names);
	unsigned s =
	    new_person(g, DIR_STUDENT, DIR_T_NONE, PICK(r, student_given), family, chance(r, 0.85));
	unsigned n_guardians = chance(r, 0.7) ? 2 : 1;

	if (s == UINT32_MAX)
		return fail(g, "student");
	for (unsigned k = 0; k < n_guardians; k++) {
		unsigned gd =
		    new_person(g, DIR_GUARDIAN, DIR_T_NONE, PICK(r, adult_given),
			       chance(r, 0.8) ? family : PICK(r, family_names), chance(r, 0.95));
		if (gd == UINT32_MAX)
			return fail(g, "guardian");
		g->persons[s].guardians[g->persons[s].n_guardians++] = gd;
		g->persons[gd].ward = s;
		if (add_link(g, STORE_LINK_GUARDIAN, g->persons[s].id, g->persons[gd].id,
			     k ? PICK(r, ((const char *[]){"father", "guardian", "mother"}))
			       : "mother",
			     STORE_ORIGIN_GUARDIANS) < 0)
			return -1;
	}
	*out = s;
	return 0;
}

static bool on_team(const struct gteam *t, unsigned person)
{
	for (unsigned i = 0; i < t->n_students; i++)
		if (t->students[i] == person)
			return true;
	return false;
}

static int gen_directory(struct gen *g)
{
	struct rng *r = &g->rng;
	/* Another exchange than the persons' (+1617555NNNN): a relay number is nobody's phone. */
	static const char *const relay_number[2] = {"+16172220100", "+16172220101"};
	static const char *const relay_label[2] = {"Athletics", "Clubs"};
	static const char *const relay_modem[2] = {"modem-athletics", "modem-clubs"};

	g->persons = talloc_array(g->ctx, struct gperson, MAX_PERSONS);
	if (!g->persons)
		return -1;
	for (unsigned i = 0; i < 2; i++) {
		g->relays[i] = (struct grelay){relay_number[i], relay_label[i], relay_modem[i], 0};
		if (store_relay_ensure_as(g->s, ACTOR, relay_number[i], relay_label[i],
					  &g->relays[i].id) < 0)
			return fail(g, "relay");
	}
	g->ad = new_person(g, DIR_ADMIN, DIR_T_ATHLETIC_DIRECTOR, "Dana", "Whitaker", true);
	g->principal = new_person(g, DIR_ADMIN, DIR_T_PRINCIPAL, "Ana", "Ortiz", true);
	if (g->ad == UINT32_MAX || g->principal == UINT32_MAX)
		return fail(g, "administrator");
	for (unsigned ti = 0; ti < ARRAY_SIZE(teams_spec); ti++) {
		struct gteam *t = &g->teams[ti];
		struct store_team st = {0};
		char source[64];
		unsigned n_staff = 1 + (chance(r, 0.75) ? 1 : 0) + (chance(r, 0.3) ? 1 : 0);
		unsigned roster = (unsigned)between(r, 15, 30);

		t->spec = &teams_spec[ti];
		t->sports = t->spec->season != AG_SCHOOL_YEAR;
		t->relay = t->sports ? 0 : 1;
		t->overseer = t->sports ? g->ad : g->principal;
		/* Some teams text a lot more than others. */
		t->activity = 0.45 + 1.6 * unit(r) * unit(r) + 0.3 * unit(r);
		for (unsigned y = 0; y < MAX_YEARS; y++)
			t->year_factor[y] = 0.8 + 0.4 * unit(r);
		snprintf(source, sizeof(source), "teams.csv:%s", t->spec->tag);
		st.source_id = source;
		st.origin = STORE_ORIGIN_TEAMS;
		st.tag = t->spec->tag;
		st.name = t->spec->name;
		st.kind = t->sports ? "sports" : "club";
		st.relay_id = g->relays[t->relay].id;
		st.active = true;
		if (store_team_add(g->s, ACTOR, &st) < 0)
			return fail(g, "team");
		t->id = st.id;
		if (add_link(g, STORE_LINK_OVERSEER, t->id, g->persons[t->overseer].id, NULL,
			     STORE_ORIGIN_TEAMS) < 0)
			return -1;
		for (unsigned k = 0; k < n_staff; k++) {
			unsigned p =
			    new_person(g, DIR_STAFF, t->sports ? DIR_T_COACH : DIR_T_ADVISOR,
				       PICK(r, adult_given), PICK(r, family_names), true);
			if (p == UINT32_MAX)
				return fail(g, "staff");
			t->staff[t->n_staff++] = p;
			if (add_link(g, STORE_LINK_MEMBER, t->id, g->persons[p].id, NULL,
				     STORE_ORIGIN_TEAMS) < 0)
				return -1;
		}
		t->students = talloc_array(g->ctx, unsigned, roster);
		if (!t->students)
			return -1;
		for (unsigned k = 0; k < roster; k++) {
			unsigned s = UINT32_MAX;
			/* Multi-sport athletes (other seasons) and club members who also play. */
			if (ti > 0 && chance(r, t->sports ? 0.25 : 0.3)) {
				for (int tries = 0; tries < 10 && s == UINT32_MAX; tries++) {
					const struct gteam *o = &g->teams[below(r, ti)];
					unsigned c = o->students[below(r, o->n_students)];
					if (o->spec->season != t->spec->season && !on_team(t, c) &&
					    g->persons[c].n_teams < 3)
						s = c;
				}
			}
			if (s == UINT32_MAX && new_student(g, &s) < 0)
				return -1;
			t->students[t->n_students++] = s;
			g->persons[s].n_teams++;
			if (add_link(g, STORE_LINK_MEMBER, t->id, g->persons[s].id, NULL,
				     STORE_ORIGIN_TEAMS) < 0)
				return -1;
		}
	}
	g->st.persons = g->n_persons;
	g->st.teams = ARRAY_SIZE(teams_spec);
	return 0;
}

/* ---- Days ---- */

struct slot {
	int64_t sec;
	unsigned team;
};

static int slot_cmp(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	return (x->sec > y->sec) - (x->sec < y->sec);
}

/* How much team t writes on `day` (school year index y): in season, the week before,
 * or off season; times the day of the week and school holidays. */
static double team_day_weight(const struct gen *g, const struct gteam *t, unsigned y, int64_t day)
{
	int year = first_year(g->p) + (int)y, yy;
	int64_t a, b;
	unsigned m, d, wd = weekday(day);
	double w;

	season_days(year, t->spec->season, &a, &b);
	if (day >= a && day < b)
		w = 1.0;
	else if (day >= a - 10 && day < a)
		w = 0.4;
	else
		w = 0.03;
	civil_from_days(day, &yy, &m, &d);
	w *= holiday_factor(m, d);
	if (wd == 6)
		w *= t->sports ? 0.8 : 0.25;
	else if (wd == 0)
		w *= t->sports ? 0.3 : 0.2;
	return w * t->activity * t->year_factor[y];
}

static int64_t pick_second(struct rng *r, bool weekend)
{
	const double *h = weekend ? weekend_hours : weekday_hours;
	double total = 0, x;
	unsigned k;

	for (k = 0; k < 24; k++)
		total += h[k];
	x = unit(r) * total;
	for (k = 0; k < 23 && x >= h[k]; k++)
		x -= h[k];
	return (int64_t)k * 3600 + between(r, 0, 3599);
}

static int begin_batch(struct gen *g)
{
	return store_begin(g->s) < 0 ? fail(g, "begin") : 0;
}

static int commit_batch(struct gen *g)
{
	return store_commit(g->s) < 0 ? fail(g, "commit") : 0;
}

static int gen_messages(struct gen *g, double t0)
{
	int64_t d0 = days_from_civil(first_year(g->p), 8, 15);
	int64_t n_days = days_from_civil(END_YEAR, 8, 15) - d0;
	double *w = talloc_array(g->ctx, double, (size_t)n_days *ARRAY_SIZE(teams_spec));
	double total = 0, cum = 0;
	struct slot *slots = NULL;
	size_t cap = 0;
	uint64_t emitted = 0, in_batch = 0, next_progress = PROGRESS_EVERY;

	if (!w)
		return -1;
	for (int64_t i = 0; i < n_days; i++) {
		unsigned y = (unsigned)(i / 365 < g->p->years ? i / 365 : g->p->years - 1);
		for (unsigned t = 0; t < ARRAY_SIZE(teams_spec); t++) {
			double x = team_day_weight(g, &g->teams[t], y, d0 + i);
			w[i * ARRAY_SIZE(teams_spec) + t] = x;
			total += x;
		}
	}
	for (int64_t i = 0; i < n_days; i++) {
		const double *wt = &w[i * ARRAY_SIZE(teams_spec)];
		double day_w = 0;
		uint64_t n;
		bool weekend = weekday(d0 + i) == 0 || weekday(d0 + i) == 6;

		for (unsigned t = 0; t < ARRAY_SIZE(teams_spec); t++)
			day_w += wt[t];
		cum += (double)g->p->messages * day_w / total;
		n = i == n_days - 1 ? g->p->messages - emitted : (uint64_t)cum - emitted;
		if (n > cap) {
			cap = n * 2;
			slots = talloc_realloc(g->ctx, slots, struct slot, cap);
			if (!slots)
				return -1;
		}
		for (uint64_t k = 0; k < n; k++) {
			double x = unit(&g->rng) * day_w;
			unsigned t = 0;
			for (; t + 1 < ARRAY_SIZE(teams_spec) && x >= wt[t]; t++)
				x -= wt[t];
			slots[k] = (struct slot){pick_second(&g->rng, weekend), t};
		}
		if (n)
			qsort(slots, n, sizeof(*slots), slot_cmp);
		for (uint64_t k = 0; k < n; k++) {
			if (one_message(g, d0 + i, slots[k].sec, &g->teams[slots[k].team]) < 0)
				return -1;
			emitted++;
			if (++in_batch >= BATCH) {
				if (commit_batch(g) < 0 || begin_batch(g) < 0)
					return -1;
				in_batch = 0;
			}
			if (g->p->progress && emitted >= next_progress) {
				struct timespec ts;
				clock_gettime(CLOCK_MONOTONIC, &ts);
				double el = (double)ts.tv_sec + ts.tv_nsec / 1e9 - t0;
				fprintf(stderr,
					"archive_gen: %" PRIu64 " messages, %" PRIu64
					" deliveries, %.0f s (%.0f messages/s)\n",
					emitted, g->st.deliveries, el, (double)emitted / el);
				next_progress += PROGRESS_EVERY;
			}
		}
	}
	/* What the modems and the athletic director did after the last message. */
	return flush_pending(g, INT64_MAX);
}

/* ---- Parameters ---- */

#define STAT_FIELDS(X)                                                                             \
	X(messages)                                                                                \
	X(rx_pdus)                                                                                 \
	X(verdicts)                                                                                \
	X(deliveries)                                                                              \
	X(events) X(broadcasts) X(to_one) X(from_students) X(from_guardians) X(staff_to_staff)     \
	    X(held) X(held_rejected) X(blocked) X(flagged) X(optouts) X(unknown) X(notices)        \
		X(threads) X(persons) X(teams)

static int put_param(struct store *s, const char *key, const char *value)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT OR REPLACE INTO bench_params(key, value)"
					 " VALUES (?1, ?2)");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, key);
	store_bind_text(st, 2, value);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int put_num(struct store *s, const char *key, double v)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%.17g", v);
	return put_param(s, key, buf);
}

static int record_params(struct store *s, const struct archive_gen_params *p,
			 const struct archive_gen_stats *st)
{
	int rc = 0;

	rc |= put_param(s, "generator", ARCHIVE_GEN_VERSION);
	rc |= put_num(s, "param.messages", (double)p->messages);
	rc |= put_num(s, "param.seed", (double)p->seed);
	rc |= put_num(s, "param.years", p->years);
#define X(f) rc |= put_num(s, "stat." #f, (double)st->f);
	STAT_FIELDS(X)
#undef X
	rc |= put_num(s, "stat.records", (double)st->records);
	rc |= put_num(s, "stat.first_at", (double)st->first_at);
	rc |= put_num(s, "stat.last_at", (double)st->last_at);
	rc |= put_num(s, "stat.seconds", st->seconds);
	rc |= put_param(s, "complete", "1");
	return rc ? -1 : 0;
}

static int get_param(struct store *s, const char *key, char *out, size_t cap)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT value FROM bench_params WHERE key = ?1");
	int found = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, key);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
		found = 1;
	}
	sqlite3_reset(st);
	return found;
}

static double get_num(struct store *s, const char *key)
{
	char buf[64];
	return get_param(s, key, buf, sizeof(buf)) == 1 ? strtod(buf, NULL) : -1;
}

int archive_gen_matches(struct store *s, const struct archive_gen_params *p,
			struct archive_gen_stats *stats)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND"
					 " name = 'bench_params'");
	char buf[64];
	int exists;

	if (!st)
		return -1;
	exists = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!exists)
		return 0;
	if (get_param(s, "generator", buf, sizeof(buf)) != 1 || strcmp(buf, ARCHIVE_GEN_VERSION) ||
	    get_param(s, "complete", buf, sizeof(buf)) != 1 || strcmp(buf, "1") ||
	    get_num(s, "param.messages") != (double)p->messages ||
	    get_num(s, "param.seed") != (double)p->seed || get_num(s, "param.years") != p->years)
		return 0;
	if (stats) {
		memset(stats, 0, sizeof(*stats));
#define X(f) stats->f = (uint64_t)get_num(s, "stat." #f);
		STAT_FIELDS(X)
#undef X
		stats->records = (int64_t)get_num(s, "stat.records");
		stats->first_at = (int64_t)get_num(s, "stat.first_at");
		stats->last_at = (int64_t)get_num(s, "stat.last_at");
		stats->seconds = get_num(s, "stat.seconds");
	}
	return 1;
}

/* ---- Run ---- */

void archive_gen_defaults(struct archive_gen_params *p)
{
	memset(p, 0, sizeof(*p));
	p->seed = 1;
	p->years = 4;
}

static int64_t chain_len(struct store *s)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT coalesce(max(seq), 0) FROM chain");
	int64_t n = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return n;
}

static int is_empty(struct store *s)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT (SELECT count(*) FROM persons) +"
					 " (SELECT count(*) FROM messages) +"
					 " (SELECT count(*) FROM teams)");
	int64_t n = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return n < 0 ? -1 : n == 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int archive_gen_run(struct store *s, const struct archive_gen_params *p,
		    struct archive_gen_stats *out, char *err, size_t errlen)
{
	struct gen *g;
	int64_t chain0;
	double t0 = now_s();
	int rc = -1, empty;

	if (p->messages < 1 || p->years < 1 || p->years > MAX_YEARS) {
		snprintf(err, errlen, "archive_gen: messages must be at least 1 and years 1-%d",
			 MAX_YEARS);
		return -1;
	}
	empty = is_empty(s);
	if (empty != 1) {
		snprintf(err, errlen, "%s: %s", store_path(s),
			 empty < 0 ? store_errmsg(s)
				   : "the archive already holds a directory or messages; "
				     "generate into a new file");
		return -1;
	}
	g = talloc_zero(NULL, struct gen);
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	g->ctx = g;
	g->s = s;
	g->p = p;
	rng_seed(&g->rng, p->seed);
	for (unsigned k = 0; k < N_UNKNOWN; k++)
		g->unknown_last_reply[k] = INT64_MIN / 2;
	chain0 = chain_len(s);
	/* A benchmark fixture: nothing here needs to survive a power cut, and a durable
	 * commit per batch would only measure the disk. */
	if (store_exec(s, "PRAGMA synchronous=OFF") < 0 ||
	    store_exec(s, "PRAGMA cache_size=-262144") < 0 ||
	    store_exec(s, "PRAGMA temp_store=MEMORY") < 0 ||
	    store_exec(s, "CREATE TABLE IF NOT EXISTS bench_params(key TEXT PRIMARY KEY,"
			  " value TEXT NOT NULL)") < 0) {
		fail(g, "pragmas");
		goto out;
	}
	if (begin_batch(g) < 0)
		goto out;
	if (gen_directory(g) < 0 || gen_messages(g, t0) < 0) {
		store_rollback(s);
		goto out;
	}
	archive_gen_span(p, &g->st.first_at, &g->st.last_at);
	g->st.records = chain_len(s) - chain0;
	g->st.seconds = now_s() - t0;
	if (record_params(s, p, &g->st) < 0) {
		fail(g, "bench_params");
		store_rollback(s);
		goto out;
	}
	if (commit_batch(g) < 0)
		goto out;
	if (store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)") < 0) {
		fail(g, "checkpoint");
		goto out;
	}
	if (out)
		*out = g->st;
	rc = 0;
out:
	/* The caller goes on with the store as store_open left it: durable commits. */
	if (store_exec(s, "PRAGMA cache_size=-2000") < 0 ||
	    store_exec(s, "PRAGMA synchronous=FULL") < 0)
		rc = fail(g, "pragmas");
	if (rc < 0)
		snprintf(err, errlen, "%s", g->err[0] ? g->err : "archive_gen failed");
	talloc_free(g);
	return rc;
}

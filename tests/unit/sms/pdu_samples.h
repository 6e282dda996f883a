/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* PDUs from specifications, tutorials and public modem traces, with where they come
 * from. Expected values in the tests were checked by decoding each PDU by hand.
 *
 * Sources:
 *   [dreamfabric]  Lars Pettersson, "SMS and the PDU format" (dreamfabric.com/sms/),
 *                  also mirrored at subnets.ru/saved/sms_pdu_format.html
 *   [devhome]      developershome.com SMS tutorial, "Reading SMS messages in PDU mode"
 *   [pygsm]        python-gsmmodem, test/test_pdu.py (faucamp/python-gsmmodem)
 *   [gammu NN]     Gammu, tests/at-sms/NN.dump: +CMGR output of real phones and modems
 *                  collected from the Internet (gammu/gammu)
 *   [nokia]        Nokia developer forum, "how to send UCS character" (+CMGR trace)
 *   [csdn]         CSDN/alibabacloud article on reading SMS in PDU mode (+CMT trace)
 *   [amro]         amro.blogspot.com, "receiving an SMS status report message" (+CDS)
 *   [usenet]       comp.dcom.cellular thread on decoding a 7-bit sender id (hand decode)
 */
#pragma once

/* --- SMS-DELIVER --------------------------------------------------------------- */

/* [dreamfabric] "How are you?" from +31641600986 via +31624000000, 2002-08-26 19:37:41.
 * Its time zone octet is 08: bit 3 (the sign) set and 0 quarters, i.e. UTC. The tutorial
 * reads it as +2 h without swapping the nibbles; TS 23.040 and Android read -0 = UTC. */
#define PDU_DREAMFABRIC_DELIVER                                                                    \
	"07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07"

/* [dreamfabric] the SMS-DELIVER example as mirrored: TOA C8 (subscriber, national plan),
 * "hellohello", SCTS 99-03-29 15:16:59 +02:00 (two-digit year read as 2099). */
#define PDU_DREAMFABRIC_DELIVER_C8                                                                 \
	"07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37"

/* [devhome] from +85291234567, 2007-04-12 23:25:42 +08:00. */
#define PDU_DEVHOME_DELIVER                                                                        \
	"07915892000000F0040B915892214365F700007040213252242331493A283D0795C3F33C88FE06C9"         \
	"CB6132885EC6D341EDF27C1E3E97E7207B3A0C0A5241E377BB1D7693E72E"
#define TEXT_DEVHOME "It is easy to read text messages via AT commands."

/* [pygsm] "Test2" from +27821234567 via +2782913593, 2013-03-08 15:02:16 +02:00. */
#define PDU_PYGSM_DELIVER_TEST2 "06917228195339040B917228214365F700003130805120618005D4F29C2E03"

/* [pygsm] "@{tést}!": '@' is septet 0, '{' and '}' escape pairs, 'é' septet 5. */
#define PDU_PYGSM_DELIVER_ESC                                                                      \
	"06917228195339040B917228214365F70000313062315352800A800D8A5E98D337A910"

/* [pygsm] real South African network message: concatenation IE ref C3, part 1 of 1,
 * originator 2781188 (TOA 81), SMSC +2781191. */
#define PDU_PYGSM_DELIVER_CONCAT11                                                                 \
	"0591721891F1400781721881F800003160526104848059050003C30101916536FB1DCABEEB2074D8"         \
	"5E064941B19CAB060319A5C522289C96D3D3ED32286C0FA7D96131BBEC024941B19CAB0603DDD36C"         \
	"36A88C87A7E565D0DB0D82C55EB0DB4B068BCD5C20"
#define TEXT_PYGSM_CONCAT11                                                                        \
	"Hello!You have R 19.50 FREE airtime available. "                                          \
	"R 19.50 will expire on 01/07/2013. "

/* [gammu 22] part 1 of 2 (ref 1) of a Czech message, UDL 160 septets with a 6-octet
 * header: 1 fill bit, 153 septets of text. */
#define PDU_GAMMU22_CONCAT                                                                         \
	"0791246020099990400C91247042972767000070107031107440A005000301020182E8B71A040FDB"         \
	"D96516881E5E83DA65907D5C968741EEF49AFC06B9CBEFB53C4C66B34061771AE42EEBDDE1799AED"         \
	"4EB34161D0BA0E7F93D3F63A483D2FB74161771AE42ED7E7EE3A3BCC0285C720FABB5D07B5DF6390"         \
	"BB3C1FA3C3FA32FBAD4BB940D43219342F83C6E8FC9C1E6E83E0F2F0F86D0FD3416150FBAD778741"         \
	"69903B0CA2BF41"
#define TEXT_GAMMU22_START "Ahoj pavle, tak me vcera nikdo neokradl"

/* [nokia] UCS-2 "بت" (U+0628 U+062A) from +20101014063, 2002-12-19 03:25:51 +02:00. */
#define PDU_NOKIA_UCS2_DELIVER "07910201956905F0040B910201014160F3000820219130521580040628062A"

/* [csdn] UCS-2 "你好" from +8613752141860 via +8613800220500, first octet 24 (SRI, no
 * more messages), 2006-08-30 13:22:00 +00:00. */
#define PDU_CSDN_UCS2_DELIVER "0891683108200205F0240D91683157121468F0000860800331220000044F60597D"

/* [gammu 04] O2 UK service message: alphanumeric originator (06 D0 4F5904: 6 semi-octets,
 * 3 septets "O2_"), 159 septets of text, £ replaced by spaces by the network. */
#define PDU_GAMMU04_ALNUM                                                                          \
	"07914487200030230406D04F59040000601191806243009F4F990E947DD741EEF71D840EDBCBA0FC"         \
	"BB2E0751CB783A28E8CED3D3ED3268068381AA4B10BD8CA7CF412650AC2904BDCD2072981E06D1DF"         \
	"A0FABC0CA2A3D373509B8E7681A4E576B92D2ECB41F43788FE86B7EA7010280603BDE5A0F65B5E06"         \
	"89CBE6B7BC0C8ADD6232980D447F83CE653A28FFAECB416679B90C0AB3D9EF7BD83D2E83DC653C1D"         \
	"D4A6A301"

/* [gammu 33] WAP push (MMS notification): 8-bit data (DCS 06), header with the 16-bit
 * application port IE 05 04 0B84 23F0, originator national (TOA A1). */
#define PDU_GAMMU33_WAP                                                                            \
	"07913307005630F0440BA13307570230F00006017010900412806A0605040B8423F0040603BEAF84"         \
	"8C829831323737393730303539008D92891980160433333730373532303033302F545950453D504C"         \
	"4D4E009679424F008A808E0122880481020BB883687474703A2F2F6D6D73632E6C61626D6374656C"         \
	"2E66723A393039302F6D333300"

/* [gammu 23] empty message: TP-UDL 0. */
#define PDU_GAMMU23_EMPTY "0791449737019037040C9144970710112800008010101041240000"

/* [gammu 42] Sri Lanka, SCTS time zone 22 = +05:30; DCS FB (group 1111 with the
 * reserved bit 3 set, GSM 7-bit, class 3). */
#define PDU_GAMMU42_TZ0530                                                                         \
	"06914977000030200B914977745010F700FB918050809053221DB15CEC868BC96630180804028164"         \
	"32DD0C060281A4412A159904"

/* --- SMS-SUBMIT ---------------------------------------------------------------- */

/* [dreamfabric] "hellohello" to +46708251358, VP AA (4 days), no SMSC (00). */
#define PDU_DREAMFABRIC_SUBMIT "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"

/* [pygsm] (diafaan.com example) TP-SRR, MR 0D, VP A9 (3 days), "www.diafaan.com". */
#define PDU_DIAFAAN_SUBMIT                                                                         \
	"07911326040000F0310D0B911326880736F40000A90FF7FBDD454E87CDE1B0DB357EB701"

/* [pygsm] absolute validity period 2013-07-10 13:39:00 +02:00. */
#define PDU_PYGSM_SUBMIT_ABSOLUTE                                                                  \
	"0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F43C885E9E"         \
	"D301"

/* [pygsm] UCS-2 "あ叶葉" to +34616585119, no VP. */
#define PDU_PYGSM_SUBMIT_UCS2 "07914346466554F601000B914316565811F9000806304253F68449"

/* [pygsm] 8-bit data "Hello world!" (DCS 04). */
#define PDU_PYGSM_SUBMIT_8BIT "0591721891F101000B917228214365F700040C48656C6C6F20776F726C6421"

/* [pygsm] encoder output: "Hello World!" to +27820001111, no VP, no SMSC. */
#define PDU_PYGSM_SUBMIT_HELLO "0001000B917228001011F100000CC8329BFD065DDF72363904"

/* [pygsm] encoder output: "世界您好！" to +123456789 via +44000000000, VP F4. */
#define PDU_PYGSM_SUBMIT_UCS2_VP "07914400000000F01100099121436587F90008F40A4E16754C60A8597DFF01"

/* [pygsm] invalid: UCS-2 with TP-UDL A0 (160 octets) but 10 octets of data. */
#define PDU_PYGSM_SUBMIT_UDL_TOO_LONG "0041010C910661345542F60008A0050003000301306F3044"

/* [pygsm] a three-part 7-bit message (TP-RD, UDHI, ref 0, no VP, no SMSC). */
#define TEXT_LOREM                                                                                 \
	"Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor "         \
	"incididunt ut labore et dolore magna aliqua.Ut enim ad minim veniam, quinostrud "         \
	"exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.Duis aute "          \
	"irure dolor in reprehenderit in voluptate velit esse cillum doloe eu fugiat nulla "       \
	"pariatur.Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia "      \
	"deserunt mollit anim id est laborum"
#define PDU_PYGSM_LOREM_1                                                                          \
	"0045000B915121551532F40000A0050003000301986F79B90D4AC3E7F53688FC66BFE5A0799A0E0A"         \
	"B7CB741668FC76CFCB637A995E9783C2E4343C3D4F8FD3EE33A8CC4ED359A079990C22BF41E5747D"         \
	"DE7E9341F4721BFE9683D2EE719A9C26D7DD74509D0E6287C56F791954A683C86FF65B5E06B5C367"         \
	"77181466A7E3F5B0AB4A0795DDE936284C06B5D3EE741B642FBBD3E1360B14AFA7DD"
#define PDU_PYGSM_LOREM_2                                                                          \
	"0045000B915121551532F40000A0050003000302DE73BABC4E0695F165F9384D0FD3D36F37A8CE66"         \
	"87DBE337881D16BFE5E939C89D9EA741753A28CC4EC7EB6938A88C0795C3A0F1BBDD7E93DFA0F1DB"         \
	"3D2FC7EB61BA8B584FCF41E13ABD0C4ACBEBF23288FC66BFE5A0B41B242FC3E56574D94D2ECBD374"         \
	"50DA0DB2BFD975383D4C2F83EC65769A0E2ACFE765D038CD66D7DB20F29BFD2E83CA"
#define PDU_PYGSM_LOREM_3                                                                          \
	"0045000B915121551532F400008C050003000303EA2073FD9C0ED341EE3A9B1D06C1C3F274985E97"         \
	"BB8AF871194E2FD7E5A079DA4D07BDC7E370791CA683C675789A1CA687E920F7DB0D82CBDF6972D9"         \
	"4D6781E675371D947683C675363C0C8AD7D3A0B7D99C1EA7C32072795E96D7DD7450FBCD66A7E9A0"         \
	"B03BDD06A5C9A0F29C0E6287C56F79BD0D"

/* [gammu 19] UDHI set with an empty header (UDHL 00): 6 fill bits, 20 septets of text;
 * DCS F1 (7-bit, class 1), VP 00 (5 minutes), SMSC +436640501. */
#define PDU_GAMMU19_UDHL0                                                                          \
	"069134660405F151000C8160460653332000F1001600C034DC86B3CBA063B8DDAE83DAE5F93C7C2E"         \
	"03"

/* [gammu 31] empty destination address (00 81). */
#define PDU_GAMMU31_EMPTY_DA                                                                       \
	"07918406010013F0310000810000FF21B19A8E1603C9642F18EE05C38140201008049AEBC7FAF29C"         \
	"9DBEE75D20"

/* [gammu 16] UCS-2 "123456" to 1234 (TOA 81), VP FF. */
#define PDU_GAMMU16_UCS2 "07912480002143651100048121430008FF0C003100320033003400350036"

/* [gammu 24] SMSC prefix with only a type octet (01 81). */
#define PDU_GAMMU24_SMSC_TOA_ONLY                                                                  \
	"018111000A8133184449200000FF1E69F7BC2C4FCFC76950BC9E06A5D9A076793E0F9FCFE9B7CBE5"         \
	"7201"

/* --- SMS-STATUS-REPORT --------------------------------------------------------- */

/* [pygsm] (diafaan.com) MR D6, recipient +31628870634, delivered, no SMSC. */
#define PDU_DIAFAAN_STATUS_REPORT "0006D60B911326880736F4111011719551401110117195714000"

/* [amro] +CDS without the SMSC prefix: recipient +20121875612, 2007-09-12. */
#define PDU_AMRO_STATUS_REPORT "06000B910221815716F2709021510121807090215101718000"

/* [gammu 30] MR E8, recipient +666666666666, 2009-09-07 16:48:22/26 +02:00. */
#define PDU_GAMMU30_STATUS_REPORT                                                                  \
	"079124603050020006E80C91666666666666909070618422809090706184628000"

/* [gammu 34] Australia (+10:00) with TP-PI 06: TP-DCS 00 and TP-UDL 00 follow. */
#define PDU_GAMMU34_STATUS_REPORT_PI                                                               \
	"07911614786007F006060B911634092142F4019071011000040190710110450400060000"

/* [gammu 36] Indonesia (+07:00), TP-PI 00. */
#define PDU_GAMMU36_STATUS_REPORT_PI0                                                              \
	"07912658050000F006010D91265817373754F501010161705382010101617083820000"

/* [gammu 38] recipient 602396602 (TOA 81), +01:00. */
#define PDU_GAMMU38_STATUS_REPORT "079124602009999006B4098106326906F2212041015554402120410155054000"

/* [gammu 32] read from SIM storage: padded with FF after TP-ST (a TP-PI with reserved
 * bits set, which must not be interpreted). Shortened here; the dump has 160 Fs. */
#define PDU_GAMMU32_STATUS_REPORT_FF                                                               \
	"079124602009999002AB098106845688F8907080517375809070805183018000FFFFFFFFFFFFFFFF"         \
	"FFFF"

/* --- addresses ----------------------------------------------------------------- */

/* [usenet] alphanumeric originator "20124079901": 20 semi-octets, 11 septets. */
#define ADDR_USENET_ALNUM "14D032584C4683DD7239580C"

/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* transcript.pdf: the transcript as pages, for officers who file or print PDFs — the
 * same content as transcript.html (cover, conversation by conversation, the calls), laid out
 * by Pango (line breaking, bidirectional text, every script the fonts have) on Cairo's
 * PDF surface. A library in the process rather than a browser printing the HTML: no
 * second program in the records path, the same output on every box.
 *
 * US Letter, 0.75 in margins; every page carries the request's id and its number.
 * Bidirectional controls are shown as "[U+202E]", as in the HTML. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <talloc.h>

#include "storage/export/export_internal.h"
#include "storage/archive/store.h"

#define PAGE_W 612.0
#define PAGE_H 792.0
#define MARGIN 54.0
#define FOOTER 24.0
#define FONT   "DejaVu Sans"

struct pdf {
	cairo_t *cr;
	const struct export_doc *d;
	double y;
	int page;
	bool bad;
};

static cairo_status_t write_fn(void *closure, const unsigned char *data, unsigned int len)
{
	return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS
						    : CAIRO_STATUS_WRITE_ERROR;
}

/* Markup-escaped text with bidirectional controls made visible; bytes that are not
 * UTF-8 become U+FFFD (Pango refuses a paragraph that is not UTF-8). */
static GString *esc(GString *g, const char *text)
{
	char *v = g_utf8_make_valid(text ? text : "", -1);

	for (const char *s = v; *s; s++) {
		unsigned cp;
		size_t n = export_bidi_control((const unsigned char *)s, &cp);
		if (n) {
			g_string_append_printf(g, "<span foreground=\"#a00000\">[U+%04X]</span>",
					       cp);
			s += n - 1;
			continue;
		}
		switch (*s) {
		case '&':
			g_string_append(g, "&amp;");
			break;
		case '<':
			g_string_append(g, "&lt;");
			break;
		case '>':
			g_string_append(g, "&gt;");
			break;
		default:
			g_string_append_c(g, *s);
		}
	}
	g_free(v);
	return g;
}

static void footer(struct pdf *p)
{
	PangoLayout *l = pango_cairo_create_layout(p->cr);
	PangoFontDescription *fd = pango_font_description_from_string(FONT " 7");
	char *t = g_strdup_printf("Request %s · page %d", p->d->request, p->page);

	pango_layout_set_font_description(l, fd);
	pango_layout_set_text(l, t, -1);
	cairo_set_source_rgb(p->cr, 0.35, 0.35, 0.35);
	cairo_move_to(p->cr, MARGIN, PAGE_H - MARGIN + 8);
	pango_cairo_show_layout(p->cr, l);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	g_free(t);
	pango_font_description_free(fd);
	g_object_unref(l);
}

static void new_page(struct pdf *p)
{
	if (p->page) {
		footer(p);
		cairo_show_page(p->cr);
	}
	p->page++;
	p->y = MARGIN;
}

/* One paragraph of markup in `font`, indented, line by line onto the pages. */
static void para(struct pdf *p, const char *markup, const char *font, double indent, double after)
{
	PangoLayout *l = pango_cairo_create_layout(p->cr);
	PangoFontDescription *fd = pango_font_description_from_string(font);
	PangoLayoutIter *it;

	pango_layout_set_font_description(l, fd);
	pango_layout_set_width(l, (int)((PAGE_W - 2 * MARGIN - indent) * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_auto_dir(l, TRUE);
	pango_layout_set_markup(l, markup, -1);
	it = pango_layout_get_iter(l);
	do {
		PangoRectangle r;
		int baseline = pango_layout_iter_get_baseline(it);
		pango_layout_iter_get_line_extents(it, NULL, &r);
		double h = (double)r.height / PANGO_SCALE;
		if (p->y + h > PAGE_H - MARGIN - FOOTER)
			new_page(p);
		cairo_move_to(p->cr, MARGIN + indent + (double)r.x / PANGO_SCALE,
			      p->y + (double)(baseline - r.y) / PANGO_SCALE);
		pango_cairo_show_layout_line(p->cr, pango_layout_iter_get_line_readonly(it));
		p->y += h;
	} while (pango_layout_iter_next_line(it));
	p->y += after;
	pango_layout_iter_free(it);
	pango_font_description_free(fd);
	g_object_unref(l);
}

static void when(GString *g, int64_t ms)
{
	char local[48], utc[32];

	export_time_local(local, utc, ms);
	g_string_append_printf(g, "%s <span foreground=\"#555555\" size=\"smaller\">(%s)</span>",
			       local, utc);
}

static void person(GString *g, const struct rq_person *x)
{
	bool unknown = !x->role || !*x->role || !strcmp(x->role, "unknown");

	esc(g, x->name && *x->name ? x->name : x->number && *x->number ? x->number : "(unknown)");
	if (unknown) {
		g_string_append(g, " (not in the directory)");
		return;
	}
	g_string_append(g, " (");
	esc(g, x->role);
	if (x->name && *x->name && x->number && *x->number && strcmp(x->name, x->number)) {
		g_string_append(g, ", ");
		esc(g, x->number);
	}
	g_string_append(g, ")");
}

static void cover_row(struct pdf *p, const char *label, const char *value)
{
	GString *g = g_string_new("<b>");

	esc(g, label);
	g_string_append(g, ":</b> ");
	esc(g, value);
	para(p, g->str, FONT " 9", 0, 2);
	g_string_free(g, TRUE);
}

static void cover(struct pdf *p)
{
	const struct export_doc *d = p->d;
	char n[320];

	para(p, "<b>Text message records</b>", FONT " 16", 0, 4);
	para(p, "Public-records export from the district's Chaperone archive.", FONT " 9", 0, 8);
	cover_row(p, "Request", d->request);
	cover_row(p, "Requester", d->requester);
	cover_row(p, "Purpose", d->purpose);
	cover_row(p, "Exported", d->created);
	cover_row(p, "By", d->operator);
	cover_row(p, "Redaction", d->redaction);
	cover_row(p, "Staff numbers", d->staff_numbers);
	cover_row(p, "Time zone", d->zone ? d->zone : "the exporting machine's");
	if (d->notice)
		cover_row(p, "Recording notice", d->notice);
	snprintf(n, sizeof(n),
		 "%zu messages in %zu conversations, %zu deliveries, %zu calls (recordings: %zu "
		 "copied, %zu withheld, %zu not copied)",
		 d->n, d->n_conv, d->n_deliveries, d->n_calls, d->rec_copied, d->rec_withheld,
		 d->rec_faults);
	cover_row(p, "Records", n);
	cover_row(p, "Taken from", d->anchor);
	p->y += 8;
}

static void message(struct pdf *p, const struct rq_message *m)
{
	GString *g = g_string_new(NULL);

	g_string_append_printf(g, "<b>Message %" PRId64 "</b> · ", m->id);
	when(g, m->at);
	g_string_append(g, " · relay ");
	esc(g, m->relay);
	if (m->team_name && *m->team_name) {
		g_string_append(g, " · team ");
		esc(g, m->team_name);
	}
	para(p, g->str, FONT " 8", 0, 1);
	g_string_assign(g, "<b>From:</b> ");
	person(g, &m->from);
	para(p, g->str, FONT " 8", 0, 1);
	g_string_truncate(g, 0);
	if (m->disposed)
		g_string_append(g, "<i>(content disposed of under the retention schedule)</i>");
	else
		esc(g, m->text);
	para(p, g->str, FONT " 9.5", 12, 2);
	g_string_assign(g, "<b>Verdict:</b> ");
	esc(g, m->action && *m->action ? m->action : "none recorded");
	if (m->reason && *m->reason) {
		g_string_append(g, " · ");
		esc(g, m->reason);
	}
	if (m->flagged)
		g_string_append(g,
				" · <span foreground=\"#a00000\"><b>flagged for review</b></span>");
	para(p, g->str, FONT " 8", 0, 1);
	if (m->held) {
		g_string_assign(g, "<b>Hold:</b> ");
		if (m->hold_decision) {
			esc(g, m->hold_decision);
			g_string_append(g, " by ");
			esc(g, m->hold_by);
			g_string_append(g, " at ");
			when(g, m->hold_at);
			if (m->hold_note && *m->hold_note) {
				g_string_append(g, " · note: ");
				esc(g, m->hold_note);
			}
		} else {
			g_string_append(g, "no decision recorded (still held when exported)");
		}
		para(p, g->str, FONT " 8", 0, 1);
	}
	for (size_t j = 0; j < m->n_deliveries; j++) {
		const struct rq_delivery *dl = &m->deliveries[j];
		g_string_assign(g, "→ ");
		person(g, &dl->to);
		g_string_append(g, " · ");
		esc(g, dl->why);
		g_string_append(g, " · ");
		esc(g, dl->status);
		g_string_append(g, " · ");
		if (dl->sent_at)
			when(g, dl->sent_at);
		else
			g_string_append(g, "not sent");
		const char *body = export_body_shown(p->d, dl);
		if (body && *body && (!m->text || strcmp(body, m->text))) {
			g_string_append(g, "\n<span foreground=\"#333333\">");
			if (body != dl->body)
				g_string_append(g, "<i>[recording notice]</i> ");
			esc(g, body);
			g_string_append(g, "</span>");
		}
		para(p, g->str, FONT " 7.5", 12, 1);
	}
	p->y += 6;
	g_string_free(g, TRUE);
}

int export_pdf(FILE *f, const struct export_doc *d)
{
	cairo_surface_t *s = cairo_pdf_surface_create_for_stream(write_fn, f, PAGE_W, PAGE_H);
	struct pdf p = {.d = d};
	int rc;

	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, "Text message records");
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_SUBJECT, d->request);
	p.cr = cairo_create(s);
	new_page(&p);
	cover(&p);
	/* by_conv lists the messages conversation by conversation. */
	for (size_t i = 0, k = 0; i < d->n; i++) {
		size_t at = d->by_conv[i];
		if (d->conv[at] != k) {
			GString *g = g_string_new(NULL);
			k = d->conv[at];
			g_string_append_printf(g, "<b>Conversation %zu: ", k);
			esc(g, d->conv_title[k]);
			g_string_append(g, "</b>");
			if (p.y > PAGE_H - MARGIN - FOOTER - 80)
				new_page(&p);
			para(&p, g->str, FONT " 11", 0, 4);
			g_string_free(g, TRUE);
		}
		message(&p, &d->msgs[at]);
	}
	for (size_t i = 0; i < d->n_calls; i++) {
		void *tmp = talloc_new(NULL);
		size_t n = 0;
		const char **lines = tmp ? export_call_account(tmp, &d->calls[i], &n) : NULL;
		if (!lines) {
			p.bad = true;
			talloc_free(tmp);
			break;
		}
		if (!i) {
			if (p.y > PAGE_H - MARGIN - FOOTER - 80)
				new_page(&p);
			para(&p, "<b>Calls</b>", FONT " 11", 0, 4);
		}
		for (size_t j = 0; j < n; j++) {
			GString *g = g_string_new(j ? NULL : "<b>");
			esc(g, lines[j]);
			if (!j)
				g_string_append(g, "</b>");
			para(&p, g->str, FONT " 8", j > 0 && lines[j][0] == ' ' ? 12 : 0, 1);
			g_string_free(g, TRUE);
		}
		p.y += 6;
		talloc_free(tmp);
	}
	footer(&p);
	cairo_show_page(p.cr);
	cairo_destroy(p.cr);
	cairo_surface_finish(s);
	rc = cairo_surface_status(s) == CAIRO_STATUS_SUCCESS && !ferror(f) && !p.bad ? 0 : -1;
	cairo_surface_destroy(s);
	/* Fonts are loaded once per export: let the font map go. cairo's and fontconfig's
	 * own caches stay for the process (tests/lsan.supp): cairo_debug_reset_static_data()
	 * is for debugging only and aborts when any cairo object is still alive, which made
	 * an export abort now and then. */
	pango_cairo_font_map_set_default(NULL);
	return rc;
}

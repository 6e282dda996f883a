/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A small map from ids to pointers for the records officer's query (the directory's
 * cache, the loaded messages, widening's candidates): open addressing, a power-of-two
 * table kept at most half full, allocated under the run's temporary context. */
#include <talloc.h>

#include "storage/records/records_query_internal.h"

static size_t id_hash(int64_t id, size_t cap)
{
	uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ull;

	return (size_t)(x >> 17) & (cap - 1);
}

void **rq_idmap_slot(void *ctx, struct idmap *m, int64_t id, bool insert)
{
	size_t i;

	if (insert && (m->n + 1) * 2 > m->cap) {
		struct idmap g = {0};
		g.cap = m->cap ? m->cap * 2 : 64;
		g.keys = talloc_zero_array(ctx, int64_t, g.cap);
		g.vals = talloc_zero_array(ctx, void *, g.cap);
		if (!g.keys || !g.vals)
			return NULL;
		for (size_t k = 0; k < m->cap; k++) {
			if (!m->keys[k])
				continue;
			for (i = id_hash(m->keys[k], g.cap); g.keys[i]; i = (i + 1) & (g.cap - 1))
				;
			g.keys[i] = m->keys[k];
			g.vals[i] = m->vals[k];
		}
		g.n = m->n;
		talloc_free(m->keys);
		talloc_free(m->vals);
		*m = g;
	}
	if (!m->cap)
		return NULL;
	for (i = id_hash(id, m->cap); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == id)
			return &m->vals[i];
	if (!insert)
		return NULL;
	m->keys[i] = id;
	m->vals[i] = NULL;
	m->n++;
	return &m->vals[i];
}

void *rq_idmap_get(struct idmap *m, int64_t id)
{
	void **v = rq_idmap_slot(NULL, m, id, false);

	return v ? *v : NULL;
}

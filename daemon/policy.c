/*
 * policy.c — the access-policy snapshot (policy.h): rag.db read into one
 * immutable, reference-counted object; the reference evaluator pol_eval();
 * and the destinations a user can reach, as a short prefix list for the
 * split-tunnel traffic selectors.
 *
 * A snapshot is built on the control thread and then only read, by any
 * thread, so it needs no lock: whoever holds a reference may look at every
 * array in it until pol_snapshot_unref().
 */
#include "policy.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <sqlite3.h>

#include "log.h"

/* The allocation behind a snapshot. */
struct pol_box {
	struct pol_snapshot s;		/* first: what callers see */
	atomic_uint refs;
	struct pol_rule *rules;
	struct pol_prefix *prefixes;	/* every host group's members */
	struct pol_service *services;	/* every service group's members */
	struct pol_user *users;
	uint32_t *groups;		/* every user's group ids */
	char *names;			/* every user's name, NUL-terminated */
};

/* A growable array of elements of size sz. */
struct vec {
	void *v;
	size_t n, cap, sz;
};

/* Room for one more element; its address or NULL. */
static void *vec_push(struct vec *a)
{
	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 16;
		void *nv = realloc(a->v, ncap * a->sz);

		if (!nv)
			return NULL;
		a->v = nv;
		a->cap = ncap;
	}
	return (char *)a->v + a->sz * a->n++;
}

/* One group's members: [off, off + n) of the member array. */
struct span {
	int64_t gid;
	size_t off, n;
};

/* The span of group gid in spans (sorted by gid) or NULL. */
static const struct span *span_find(const struct vec *spans, int64_t gid)
{
	const struct span *sp = spans->v;
	size_t lo = 0, hi = spans->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sp[mid].gid == gid)
			return &sp[mid];
		if (sp[mid].gid < gid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Note that member index idx belongs to group gid (rows arrive sorted by gid). */
static int span_note(struct vec *spans, int64_t gid, size_t idx)
{
	struct span *last = spans->n ? (struct span *)spans->v + spans->n - 1 : NULL;

	if (last && last->gid == gid) {
		last->n++;
		return 0;
	}
	last = vec_push(spans);
	if (!last)
		return -ENOMEM;
	last->gid = gid;
	last->off = idx;
	last->n = 1;
	return 0;
}

/* Zero the bits of addr after the first len (nbytes bytes). */
static void clear_host_bits(uint8_t *addr, size_t nbytes, unsigned int len)
{
	for (size_t i = 0; i < nbytes; i++) {
		unsigned int done = 8 * (unsigned int)i;
		unsigned int keep = len >= done + 8 ? 8 : len > done ? len - done : 0;

		addr[i] &= (uint8_t)(0xff00u >> keep);
	}
}

/* qsort: users by name, ASCII case ignored (names are unique that way). */
static int cmp_user(const void *a, const void *b)
{
	return strcasecmp(((const struct pol_user *)a)->name, ((const struct pol_user *)b)->name);
}

/* Prepare sql; SQLITE_OK or the error (err filled). */
static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK)
		return SQLITE_OK;
	rag_seterr(err, errlen, "rag.db: reading the policy: %s", sqlite3_errmsg(db));
	return SQLITE_ERROR;
}

/* Free a box and everything in it. */
static void box_free(struct pol_box *b)
{
	if (!b)
		return;
	free(b->rules);
	free(b->prefixes);
	free(b->services);
	free(b->users);
	free(b->groups);
	free(b->names);
	free(b);
}

/* Load host group members into pv/hspans; 0 or negative errno. */
static int load_hosts(sqlite3 *db, struct vec *pv, struct vec *spans, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	if (prep(db, "SELECT group_id, family, addr, prefix FROM host_group_member "
		 "ORDER BY group_id, family, addr, prefix", &st, err, errlen) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int fam = sqlite3_column_int(st, 1), len = sqlite3_column_int(st, 3);
		size_t alen = (size_t)sqlite3_column_bytes(st, 2), want = fam == 4 ? 4 : 16;
		const void *addr = sqlite3_column_blob(st, 2);
		struct pol_prefix *p;

		if ((fam != 4 && fam != 6) || alen != want || !addr || len < 0 ||
		    len > (fam == 4 ? 32 : 128)) {
			rag_seterr(err, errlen, "rag.db: an invalid host group member");
			r = -EIO;
			break;
		}
		if (pv->n >= POL_HOST_TOTAL_MAX) {
			rag_seterr(err, errlen, "rag.db: more than %d host group members",
				   POL_HOST_TOTAL_MAX);
			r = -E2BIG;
			break;
		}
		p = vec_push(pv);
		if (!p || span_note(spans, sqlite3_column_int64(st, 0), pv->n - 1) < 0) {
			r = -ENOMEM;
			break;
		}
		memset(p, 0, sizeof(*p));
		p->family = fam == 4 ? AF_INET : AF_INET6;
		p->len = (uint8_t)len;
		memcpy(p->addr, addr, want);
		clear_host_bits(p->addr, want, p->len);
	}
	if (r == 0 && rc != SQLITE_DONE) {
		rag_seterr(err, errlen, "rag.db: reading host groups: %s", sqlite3_errmsg(db));
		r = -EIO;
	}
	sqlite3_finalize(st);
	return r;
}

/* Load service group members into sv/spans; 0 or negative errno. */
static int load_services(sqlite3 *db, struct vec *sv, struct vec *spans, char *err,
			 size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	if (prep(db, "SELECT group_id, proto, port_lo, port_hi FROM service_group_member "
		 "ORDER BY group_id, proto, port_lo, port_hi", &st, err, errlen) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int proto = sqlite3_column_int(st, 1);
		int lo = sqlite3_column_int(st, 2), hi = sqlite3_column_int(st, 3);
		struct pol_service *v;

		if ((proto != POL_PROTO_ANY && proto != POL_PROTO_ICMP && proto != POL_PROTO_TCP &&
		     proto != POL_PROTO_UDP) || lo < 0 || hi > 65535 || lo > hi) {
			rag_seterr(err, errlen, "rag.db: an invalid service group member");
			r = -EIO;
			break;
		}
		if (sv->n >= POL_SVC_TOTAL_MAX) {
			rag_seterr(err, errlen, "rag.db: more than %d service group members",
				   POL_SVC_TOTAL_MAX);
			r = -E2BIG;
			break;
		}
		v = vec_push(sv);
		if (!v || span_note(spans, sqlite3_column_int64(st, 0), sv->n - 1) < 0) {
			r = -ENOMEM;
			break;
		}
		v->proto = (uint8_t)proto;
		v->port_lo = (uint16_t)lo;
		v->port_hi = (uint16_t)hi;
	}
	if (r == 0 && rc != SQLITE_DONE) {
		rag_seterr(err, errlen, "rag.db: reading service groups: %s", sqlite3_errmsg(db));
		r = -EIO;
	}
	sqlite3_finalize(st);
	return r;
}

/* What a rule refers to until the member arrays stop moving. */
struct rule_ref {
	size_t dst_off, ndst, svc_off, nsvc;
};

/* Load the rules in evaluation order; 0 or negative errno. */
static int load_rules(sqlite3 *db, struct vec *rv, struct vec *refs, const struct vec *hspans,
		      const struct vec *sspans, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	if (prep(db, "SELECT id, action, log, user_group_id, host_group_id, service_group_id "
		 "FROM rule ORDER BY position, id", &st, err, errlen) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0), ug = sqlite3_column_int64(st, 3);
		const char *action = (const char *)sqlite3_column_text(st, 1);
		const struct span *h = span_find(hspans, sqlite3_column_int64(st, 4));
		const struct span *v = span_find(sspans, sqlite3_column_int64(st, 5));
		struct pol_rule *rule;
		struct rule_ref *ref;

		if (id < 1 || id > UINT32_MAX || ug < 1 || ug > UINT32_MAX || !action) {
			rag_seterr(err, errlen, "rag.db: an invalid rule (id %lld)", (long long)id);
			r = -EIO;
			break;
		}
		if (rv->n >= POL_RULES_MAX) {
			rag_seterr(err, errlen, "rag.db: more than %d rules", POL_RULES_MAX);
			r = -E2BIG;
			break;
		}
		rule = vec_push(rv);
		ref = rule ? vec_push(refs) : NULL;
		if (!ref) {
			r = -ENOMEM;
			break;
		}
		memset(rule, 0, sizeof(*rule));
		rule->id = (uint32_t)id;
		rule->permit = !strcmp(action, "permit");
		rule->log = sqlite3_column_int(st, 2) != 0;
		rule->user_group = (uint32_t)ug;
		/* an empty group has no span: the rule matches nothing */
		ref->dst_off = h ? h->off : 0;
		ref->ndst = h ? h->n : 0;
		ref->svc_off = v ? v->off : 0;
		ref->nsvc = v ? v->n : 0;
	}
	if (r == 0 && rc != SQLITE_DONE) {
		rag_seterr(err, errlen, "rag.db: reading rules: %s", sqlite3_errmsg(db));
		r = -EIO;
	}
	sqlite3_finalize(st);
	return r;
}

/* What a user refers to until the arrays stop moving. */
struct user_ref {
	size_t name_off, grp_off;
};

/* Load every user with its groups; 0 or negative errno. */
static int load_users(sqlite3 *db, struct vec *uv, struct vec *refs, struct vec *gv,
		      struct vec *names, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int64_t last = 0;
	int rc, r = 0;

	if (prep(db, "SELECT u.id, u.name, m.group_id FROM users u LEFT JOIN "
		 "user_group_member m ON m.user_id = u.id ORDER BY u.id, m.group_id",
		 &st, err, errlen) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t uid = sqlite3_column_int64(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		struct pol_user *u = uv->n ? (struct pol_user *)uv->v + uv->n - 1 : NULL;

		if (!name) {
			rag_seterr(err, errlen, "rag.db: a user without a name");
			r = -EIO;
			break;
		}
		if (!u || uid != last) {
			struct user_ref *ref;
			size_t nl = strlen(name) + 1;

			u = vec_push(uv);
			ref = u ? vec_push(refs) : NULL;
			if (!ref) {
				r = -ENOMEM;
				break;
			}
			memset(u, 0, sizeof(*u));
			ref->name_off = names->n;
			ref->grp_off = gv->n;
			for (size_t i = 0; i < nl; i++) {
				char *c = vec_push(names);

				if (!c) {
					r = -ENOMEM;
					break;
				}
				*c = name[i];
			}
			if (r < 0)
				break;
			last = uid;
		}
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			int64_t g = sqlite3_column_int64(st, 2);
			uint32_t *gp;

			if (g < 1 || g > UINT32_MAX) {
				rag_seterr(err, errlen, "rag.db: an invalid group id");
				r = -EIO;
				break;
			}
			gp = vec_push(gv);
			if (!gp) {
				r = -ENOMEM;
				break;
			}
			*gp = (uint32_t)g;
			u->ngroups++;
		}
	}
	if (r == 0 && rc != SQLITE_DONE) {
		rag_seterr(err, errlen, "rag.db: reading users: %s", sqlite3_errmsg(db));
		r = -EIO;
	}
	sqlite3_finalize(st);
	return r;
}

/* See policy.h. */
int pol_load(sqlite3 *db, uint64_t generation, struct pol_snapshot **out, char *err,
	     size_t errlen)
{
	struct vec pv = { .sz = sizeof(struct pol_prefix) }, hs = { .sz = sizeof(struct span) };
	struct vec sv = { .sz = sizeof(struct pol_service) }, ss = { .sz = sizeof(struct span) };
	struct vec rv = { .sz = sizeof(struct pol_rule) }, rr = { .sz = sizeof(struct rule_ref) };
	struct vec uv = { .sz = sizeof(struct pol_user) }, ur = { .sz = sizeof(struct user_ref) };
	struct vec gv = { .sz = sizeof(uint32_t) }, nv = { .sz = 1 };
	struct pol_box *b = calloc(1, sizeof(*b));
	int r;

	*out = NULL;
	if (!b) {
		rag_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* one read transaction: a consistent view of all tables */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(db));
		free(b);
		return -EIO;
	}
	r = load_hosts(db, &pv, &hs, err, errlen);
	if (r == 0)
		r = load_services(db, &sv, &ss, err, errlen);
	if (r == 0)
		r = load_rules(db, &rv, &rr, &hs, &ss, err, errlen);
	if (r == 0)
		r = load_users(db, &uv, &ur, &gv, &nv, err, errlen);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	free(hs.v);
	free(ss.v);
	b->prefixes = pv.v;
	b->services = sv.v;
	b->rules = rv.v;
	b->users = uv.v;
	b->groups = gv.v;
	b->names = nv.v;
	if (r < 0) {
		if (r == -ENOMEM)
			rag_seterr(err, errlen, "out of memory loading the policy");
		free(rr.v);
		free(ur.v);
		box_free(b);
		return r;
	}
	/* the arrays are final: resolve offsets into pointers */
	for (size_t i = 0; i < rv.n; i++) {
		const struct rule_ref *ref = (const struct rule_ref *)rr.v + i;

		b->rules[i].dst = ref->ndst ? b->prefixes + ref->dst_off : NULL;
		b->rules[i].ndst = ref->ndst;
		b->rules[i].svc = ref->nsvc ? b->services + ref->svc_off : NULL;
		b->rules[i].nsvc = ref->nsvc;
	}
	for (size_t i = 0; i < uv.n; i++) {
		const struct user_ref *ref = (const struct user_ref *)ur.v + i;

		b->users[i].name = b->names + ref->name_off;
		b->users[i].groups = b->users[i].ngroups ? b->groups + ref->grp_off : NULL;
	}
	free(rr.v);
	free(ur.v);
	if (uv.n)
		qsort(b->users, uv.n, sizeof(*b->users), cmp_user);
	atomic_init(&b->refs, 1);
	b->s.generation = generation;
	b->s.rules = b->rules;
	b->s.nrules = rv.n;
	b->s.users = b->users;
	b->s.nusers = uv.n;
	*out = &b->s;
	return 0;
}

/* See policy.h. */
const struct pol_snapshot *pol_snapshot_ref(const struct pol_snapshot *s)
{
	struct pol_box *b = (struct pol_box *)(uintptr_t)s;

	if (b)
		atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return s;
}

/* See policy.h. */
void pol_snapshot_unref(const struct pol_snapshot *s)
{
	struct pol_box *b = (struct pol_box *)(uintptr_t)s;

	if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
		box_free(b);
}

/* ---- evaluation ---------------------------------------------------------------- */

/* See policy.h. */
const struct pol_user *pol_find_user(const struct pol_snapshot *s, const char *name)
{
	size_t lo = 0, hi = s->nusers;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(name, s->users[mid].name);

		if (c == 0)
			return &s->users[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* See policy.h. */
bool pol_user_in_group(const struct pol_user *u, uint32_t gid)
{
	for (size_t i = 0; i < u->ngroups; i++)	/* at most USERS_GROUPS_MAX */
		if (u->groups[i] == gid)
			return true;
	return false;
}

/* See policy.h. */
bool pol_prefix_contains(const struct pol_prefix *p, int family, const uint8_t *a)
{
	unsigned int full, rest;

	if (p->family != family)
		return false;
	full = p->len / 8u;
	rest = p->len % 8u;
	if (memcmp(p->addr, a, full))
		return false;
	return !rest || ((p->addr[full] ^ a[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

/* See policy.h. */
bool pol_service_matches(const struct pol_service *v, int family, uint8_t proto,
			 uint16_t port)
{
	switch (v->proto) {
	case POL_PROTO_ANY:
		return true;
	case POL_PROTO_ICMP:
		return family == AF_INET ? proto == 1 : proto == 58;
	default:
		return proto == v->proto && port >= v->port_lo && port <= v->port_hi;
	}
}

/* See policy.h. */
struct pol_verdict pol_eval(const struct pol_snapshot *s, const char *user, int family,
			    const uint8_t *dst, uint8_t proto, uint16_t port)
{
	struct pol_verdict v = { .rule_id = 0, .permit = false, .log = true };
	const struct pol_user *u = user ? pol_find_user(s, user) : NULL;

	if (!u)
		return v;	/* in no group: no rule applies */
	for (size_t i = 0; i < s->nrules; i++) {
		const struct pol_rule *r = &s->rules[i];
		bool hit = false;

		if (!pol_user_in_group(u, r->user_group))
			continue;
		for (size_t k = 0; k < r->ndst && !hit; k++)
			hit = pol_prefix_contains(&r->dst[k], family, dst);
		if (!hit)
			continue;
		hit = false;
		for (size_t k = 0; k < r->nsvc && !hit; k++)
			hit = pol_service_matches(&r->svc[k], family, proto, port);
		if (!hit)
			continue;
		v.rule_id = r->id;
		v.permit = r->permit;
		v.log = r->log;
		return v;
	}
	return v;
}

/* ---- reachable destinations ------------------------------------------------------ */

/* Addresses as numbers in a W-bit space (W = 32 or 128). */
__extension__ typedef unsigned __int128 u128;

/* An aligned block: start with its low (W - len) bits zero. */
struct blk {
	u128 start;
	unsigned int len;
};

/* A closed interval of addresses. */
struct ival {
	u128 lo, hi;
};

/* The low k bits set (k <= 128). */
static u128 low_bits(unsigned int k)
{
	return k >= 128 ? ~(u128)0 : ((u128)1 << k) - 1;
}

/* Last address of b in a W-bit space. */
static u128 blk_end(const struct blk *b, unsigned int w)
{
	return b->start | low_bits(w - b->len);
}

/* qsort: intervals by their start. */
static int cmp_ival(const void *a, const void *b)
{
	u128 x = ((const struct ival *)a)->lo, y = ((const struct ival *)b)->lo;

	return x < y ? -1 : x > y;
}

/* Trailing zero bits of v (w when v is 0). */
static unsigned int ctz128(u128 v, unsigned int w)
{
	unsigned int n = 0;

	if (!v)
		return w;
	while (!(v & 1)) {
		v >>= 1;
		n++;
	}
	return n;
}

/*
 * Sort and merge iv[0..n) (overlapping or adjacent intervals join) and write
 * the fewest aligned blocks covering exactly their union to out (capacity
 * cap).  When every interval is itself an aligned block, n blocks always
 * suffice: the blocks that are not inside another one are a disjoint exact
 * cover, and the greedy split below is the smallest.  Returns the count.
 */
static size_t normalise(struct ival *iv, size_t n, unsigned int w, struct blk *out, size_t cap)
{
	size_t m = 0, nb = 0;

	if (!n)
		return 0;
	qsort(iv, n, sizeof(*iv), cmp_ival);
	for (size_t i = 1; i < n; i++) {
		if (iv[m].hi == low_bits(w) || iv[i].lo <= iv[m].hi + 1) {
			if (iv[i].hi > iv[m].hi)
				iv[m].hi = iv[i].hi;
		} else {
			iv[++m] = iv[i];
		}
	}
	m++;
	for (size_t i = 0; i < m; i++) {
		u128 lo = iv[i].lo, hi = iv[i].hi;

		for (;;) {
			unsigned int k = ctz128(lo, w);
			struct blk b;

			while ((lo | low_bits(k)) > hi)
				k--;
			if (nb == cap)
				return nb;	/* not reached: see above */
			b.start = lo;
			b.len = w - k;
			out[nb++] = b;
			if ((lo | low_bits(k)) == hi)
				break;
			lo = (lo | low_bits(k)) + 1;
		}
	}
	return nb;
}

/* Blocks to intervals. */
static void to_ivals(const struct blk *b, size_t n, unsigned int w, struct ival *iv)
{
	for (size_t i = 0; i < n; i++) {
		iv[i].lo = b[i].start;
		iv[i].hi = blk_end(&b[i], w);
	}
}

/* Number of leading bits a and b share in a W-bit space. */
static unsigned int common_len(u128 a, u128 b, unsigned int w)
{
	unsigned int n = 0;

	while (n < w && ((a >> (w - 1 - n)) & 1) == ((b >> (w - 1 - n)) & 1))
		n++;
	return n;
}

/* Size of a block of length len (saturating at 2^128 - 1). */
static u128 blk_size(unsigned int len, unsigned int w)
{
	return w - len >= 128 ? ~(u128)0 : (u128)1 << (w - len);
}

/*
 * Reduce b[0..*n) (sorted, disjoint, normalised) to at most max blocks by
 * replacing neighbours with covering blocks; iv and tmp are scratch of the
 * same capacity cap.
 */
static void widen(struct blk *b, size_t *n, size_t max, unsigned int w, struct ival *iv,
		  size_t cap)
{
	/* many blocks: first shorten every prefix uniformly (cheap) */
	for (unsigned int len = w; *n > 256 && *n > max && len > 0; len--) {
		for (size_t i = 0; i < *n; i++) {
			if (b[i].len > len - 1) {
				b[i].len = len - 1;
				b[i].start &= ~low_bits(w - b[i].len);
			}
		}
		to_ivals(b, *n, w, iv);
		*n = normalise(iv, *n, w, b, cap);
	}
	/* then the cheapest neighbour pair first */
	while (*n > max && *n > 1) {
		size_t best = 0;
		u128 best_cost = ~(u128)0;
		unsigned int best_len = 0;

		for (size_t i = 0; i + 1 < *n; i++) {
			unsigned int c = common_len(b[i].start, blk_end(&b[i + 1], w), w);
			u128 cover = blk_size(c, w);
			u128 used = blk_size(b[i].len, w) + blk_size(b[i + 1].len, w);
			u128 cost = cover > used ? cover - used : 0;

			if (cost < best_cost) {
				best_cost = cost;
				best = i;
				best_len = c;
			}
		}
		b[best].start &= ~low_bits(w - best_len);
		b[best].len = best_len;
		to_ivals(b, *n, w, iv);
		*n = normalise(iv, *n, w, b, cap);
	}
}

/* Append p to iv[*n] as an interval of a W-bit space. */
static void add_ival(struct ival *iv, size_t *n, const struct pol_prefix *p, unsigned int w)
{
	struct blk x;

	x.start = 0;
	for (size_t j = 0; j < w / 8; j++)
		x.start = (x.start << 8) | p->addr[j];
	x.len = p->len;
	iv[*n].lo = x.start;
	iv[*n].hi = blk_end(&x, w);
	(*n)++;
}

/* See policy.h. */
size_t pol_user_dests(const struct pol_snapshot *s, const char *user, int family,
		      const struct pol_prefix *extra, size_t nextra,
		      struct pol_prefix *out, size_t max)
{
	const struct pol_user *u = user ? pol_find_user(s, user) : NULL;
	unsigned int w = family == AF_INET ? 32 : 128;
	size_t nbytes = w / 8, n = nextra, cap, nb;
	struct ival *iv;
	struct blk *b;

	if (!max || (family != AF_INET && family != AF_INET6))
		return 0;
	for (size_t i = 0; u && i < s->nrules; i++)
		if (s->rules[i].permit && pol_user_in_group(u, s->rules[i].user_group))
			n += s->rules[i].ndst;
	if (!n)
		return 0;
	cap = n;
	iv = calloc(cap, sizeof(*iv));
	b = calloc(cap, sizeof(*b));
	if (!iv || !b) {
		/* cannot compute a narrowing: the whole space is a superset */
		free(iv);
		free(b);
		memset(out, 0, sizeof(*out));
		out->family = (uint8_t)family;
		return 1;
	}
	n = 0;
	for (size_t i = 0; u && i < s->nrules; i++) {
		const struct pol_rule *r = &s->rules[i];

		if (!r->permit || !pol_user_in_group(u, r->user_group))
			continue;
		for (size_t k = 0; k < r->ndst; k++)
			if (r->dst[k].family == family)
				add_ival(iv, &n, &r->dst[k], w);
	}
	for (size_t k = 0; k < nextra; k++)
		if (extra[k].family == family && extra[k].len <= w)
			add_ival(iv, &n, &extra[k], w);
	nb = normalise(iv, n, w, b, cap);
	widen(b, &nb, max, w, iv, cap);
	for (size_t i = 0; i < nb; i++) {
		u128 v = b[i].start;

		memset(&out[i], 0, sizeof(out[i]));
		out[i].family = (uint8_t)family;
		out[i].len = (uint8_t)b[i].len;
		for (size_t j = nbytes; j-- > 0;) {
			out[i].addr[j] = (uint8_t)v;
			v >>= 8;
		}
	}
	free(iv);
	free(b);
	return nb;
}

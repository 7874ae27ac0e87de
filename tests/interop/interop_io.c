/*
 * interop_io.c — pcap and charon-log readers for interop_check (see
 * interop_io.h).  Test tooling: inputs are our own captures, but every length
 * is still checked before use.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike.h"
#include "interop_io.h"

#define MAX_PCAP_REC  262144
#define MAX_LOG_ITEM  4096

static int err_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* err_set: format a message into err; returns -1 for "return err_set(...)". */
static int err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

bool interop_join_path(char *out, size_t cap, const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);

	if (cap < 2 || a > cap - 2 || b > cap - 2 - a)
		return false;
	memcpy(out, dir, a);
	out[a] = '/';
	memcpy(out + a + 1, name, b + 1);
	return true;
}

/* rd32: 32-bit pcap header field in the file's byte order */
static uint32_t rd32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/*
 * udp_payload: given one link-layer frame f[0..n) of linktype lt, find the
 * UDP payload; returns 0 and sets *pl, *pl_len, *sport, *dport; 1 when the
 * frame is not UDP (ignored), -EBADMSG when malformed.
 */
static int udp_payload(const uint8_t *f, size_t n, uint32_t lt, const uint8_t **pl,
		       size_t *pl_len, uint16_t *sport, uint16_t *dport)
{
	size_t off, ip_len, hl;
	uint16_t et;
	uint8_t proto;

	if (lt == 1) {			/* Ethernet */
		if (n < 14)
			return -EBADMSG;
		et = ike_get_u16(f + 12);
		off = 14;
		if (et == 0x8100) {	/* one VLAN tag */
			if (n - off < 4)
				return -EBADMSG;
			et = ike_get_u16(f + 16);
			off += 4;
		}
	} else if (lt == 113) {		/* Linux cooked (SLL) */
		if (n < 16)
			return -EBADMSG;
		et = ike_get_u16(f + 14);
		off = 16;
	} else {
		return -EBADMSG;
	}
	if (et == 0x0800) {
		if (n - off < 20 || (f[off] >> 4) != 4)
			return -EBADMSG;
		hl = (size_t)(f[off] & 0x0f) * 4;
		ip_len = ike_get_u16(f + off + 2);
		if (hl < 20 || ip_len < hl || n - off < ip_len)
			return -EBADMSG;
		if ((ike_get_u16(f + off + 6) & 0x3fff) != 0)
			return -EBADMSG;	/* IP fragment: we never expect one */
		proto = f[off + 9];
		n = off + ip_len;	/* drop Ethernet padding */
		off += hl;
	} else if (et == 0x86dd) {
		if (n - off < 40)
			return -EBADMSG;
		ip_len = 40 + (size_t)ike_get_u16(f + off + 4);
		if (n - off < ip_len)
			return -EBADMSG;
		proto = f[off + 6];	/* no extension headers expected */
		n = off + ip_len;
		off += 40;
	} else {
		return 1;
	}
	if (proto != 17)
		return 1;
	if (n - off < 8 || ike_get_u16(f + off + 4) != n - off)
		return -EBADMSG;
	*sport = ike_get_u16(f + off);
	*dport = ike_get_u16(f + off + 2);
	*pl = f + off + 8;
	*pl_len = n - off - 8;
	return 0;
}

/* interop_read_pcap: see interop_io.h.  Port 4500 datagrams are IKE only
 * behind the 4-byte zero non-ESP marker (RFC 3948 2.2); others are ESP or
 * 1-byte NAT keepalives (RFC 3948 2.3), counted in st. */
int interop_read_pcap(const char *path, struct pkt *pkts, size_t max, size_t *n,
		      struct pcap_stats *st, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	uint8_t gh[24], rh[16], *frame = NULL;
	uint32_t magic, lt, incl, orig;
	bool swap;
	unsigned int idx = 0;
	int ret = -1;

	*n = 0;
	memset(st, 0, sizeof(*st));
	if (!fp)
		return err_set(err, errlen, "cannot open %s: %s", path, strerror(errno));
	if (fread(gh, 1, sizeof(gh), fp) != sizeof(gh)) {
		err_set(err, errlen, "%s: short global header", path);
		goto out;
	}
	memcpy(&magic, gh, 4);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
		swap = false;
	} else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
		swap = true;
	} else {
		err_set(err, errlen, "%s: not a pcap file (magic %08x)", path, magic);
		goto out;
	}
	lt = rd32(gh + 20, swap) & 0x0fffffff;
	frame = malloc(MAX_PCAP_REC);
	if (!frame) {
		err_set(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		const uint8_t *pl;
		size_t pl_len, r;
		uint16_t sp, dp;
		int u;

		r = fread(rh, 1, sizeof(rh), fp);
		if (r == 0)
			break;
		if (r != sizeof(rh)) {
			err_set(err, errlen, "%s: truncated record header", path);
			goto out;
		}
		idx++;
		incl = rd32(rh + 8, swap);
		orig = rd32(rh + 12, swap);
		if (incl > MAX_PCAP_REC || incl != orig) {
			err_set(err, errlen, "%s: record %u truncated or too large (%u/%u)",
				path, idx, incl, orig);
			goto out;
		}
		if (fread(frame, 1, incl, fp) != incl) {
			err_set(err, errlen, "%s: truncated record %u", path, idx);
			goto out;
		}
		u = udp_payload(frame, incl, lt, &pl, &pl_len, &sp, &dp);
		if (u < 0) {
			err_set(err, errlen, "%s: record %u: malformed frame", path, idx);
			goto out;
		}
		if (u > 0)
			continue;
		if (sp == 4500 || dp == 4500) {
			if (pl_len == 1 && pl[0] == 0xff) {
				st->keepalive++;
				continue;
			}
			if (pl_len < 4 || memcmp(pl, "\0\0\0\0", 4) != 0) {
				st->esp++;	/* ESP in UDP (SPI != 0) */
				continue;
			}
			pl += 4;
			pl_len -= 4;
		} else if (sp != 500 && dp != 500) {
			continue;
		}
		if (*n == max) {
			err_set(err, errlen, "more than %zu IKE messages", max);
			goto out;
		}
		pkts[*n].data = malloc(pl_len ? pl_len : 1);
		if (!pkts[*n].data) {
			err_set(err, errlen, "out of memory");
			goto out;
		}
		memcpy(pkts[*n].data, pl, pl_len);
		pkts[*n].len = pl_len;
		pkts[*n].index = idx;
		(*n)++;
	}
	ret = 0;
out:
	free(frame);
	fclose(fp);
	return ret;
}

/* ---- charon log ------------------------------------------------------------------ */

/*
 * parse_log_line: split "HH:MM:SS NN[SUB] text" into thread, subsystem and
 * text (an optional "<name|id> " prefix is skipped).  Returns false for
 * lines of another shape.
 */
static bool parse_log_line(char *line, int *thread, char sub[4], char **text)
{
	char *p = strchr(line, ' '), *end;
	long t;

	if (!p)
		return false;
	t = strtol(p + 1, &end, 10);
	if (end == p + 1 || *end != '[' || strlen(end) < 6 || end[4] != ']')
		return false;
	memcpy(sub, end + 1, 3);
	sub[3] = '\0';
	*thread = (int)t;
	p = end + 5;
	if (*p == ' ')
		p++;
	if (*p == '<') {
		char *q = strstr(p, "> ");

		if (q)
			p = q + 2;
	}
	*text = p;
	return true;
}

/* hexval: value of a hex digit or -1 */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* interop_read_log: see interop_io.h. */
int interop_read_log(const char *path, struct logitem *items, size_t max, size_t *n,
		     char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	struct logitem *open_by_thread[128] = { 0 };

	*n = 0;
	if (!fp)
		return err_set(err, errlen, "cannot open %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), fp)) {
		char sub[4], *text, *arrow, *p, *colon;
		int th;
		struct logitem *it;

		if (!parse_log_line(line, &th, sub, &text) || th < 0 || th >= 128)
			continue;
		if (strcmp(sub, "IKE") != 0 && strcmp(sub, "CHD") != 0)
			continue;
		arrow = strstr(text, " => ");
		if (arrow && strstr(arrow, " bytes @ ")) {
			unsigned long want = strtoul(arrow + 4, NULL, 10);
			size_t ll = (size_t)(arrow - text);

			if (want > MAX_LOG_ITEM) {	/* e.g. AUTH octets: not used */
				open_by_thread[th] = NULL;
				continue;
			}
			if (*n == max) {
				fclose(fp);
				return err_set(err, errlen, "more than %zu hex dumps", max);
			}
			it = &items[(*n)++];
			memset(it, 0, sizeof(*it));
			if (ll >= sizeof(it->label))
				ll = sizeof(it->label) - 1;
			memcpy(it->label, text, ll);
			it->chd = strcmp(sub, "CHD") == 0;
			it->thread = th;
			it->want = want;
			it->data = malloc(want ? want : 1);
			if (!it->data) {
				fclose(fp);
				return err_set(err, errlen, "out of memory");
			}
			open_by_thread[th] = want ? it : NULL;
			continue;
		}
		it = open_by_thread[th];
		if (!it)
			continue;
		/* "   16: 0A 1B ...  ascii" */
		p = text;
		while (*p == ' ')
			p++;
		colon = strchr(p, ':');
		if (!colon || colon == p || colon[1] != ' ') {
			open_by_thread[th] = NULL;	/* dump ended early */
			continue;
		}
		p = colon + 2;
		while (it->len < it->want && hexval(p[0]) >= 0 && hexval(p[1]) >= 0 &&
		       (p[2] == ' ' || p[2] == '\n' || p[2] == '\0')) {
			it->data[it->len++] = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
			p += 3;
			if (*p == ' ')	/* two spaces: the ASCII column follows */
				break;
		}
		if (it->len == it->want)
			open_by_thread[th] = NULL;
	}
	fclose(fp);
	for (size_t i = 0; i < *n; i++)
		if (items[i].len != items[i].want)
			return err_set(err, errlen, "hex dump '%s' incomplete (%zu of %zu bytes)",
				       items[i].label, items[i].len, items[i].want);
	return 0;
}

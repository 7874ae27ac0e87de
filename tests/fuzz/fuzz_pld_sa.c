/*
 * fuzz_pld_sa.c — SA payload body (RFC 7296 3.3).  Byte 0 selects the
 * parse flags (bit 0: IKE_SA_PARSE_REPLY), the rest is the body.
 * Invariants (abort on violation): accepted proposals respect every limit
 * and rule the parser promises; build(parse(b)) parses back to the same
 * proposals (attributes we skip are not re-encoded).
 */
#include <stdlib.h>
#include <string.h>

#include "ike_payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ike_proposal p1[IKE_MAX_PROPOSALS], p2[IKE_MAX_PROPOSALS];

static void check_props(const struct ike_proposal *p, size_t n, unsigned int flags)
{
	if (n == 0 || n > IKE_MAX_PROPOSALS || ((flags & IKE_SA_PARSE_REPLY) && n != 1))
		abort();
	for (size_t i = 0; i < n; i++) {
		if (p[i].num == 0 || (!(flags & IKE_SA_PARSE_REPLY) && p[i].num != i + 1))
			abort();
		if (p[i].n_transforms == 0 || p[i].n_transforms > IKE_MAX_TRANSFORMS)
			abort();
		if (p[i].protocol == IKE_PROTO_IKE ? (p[i].spi_len != 0 && p[i].spi_len != 8)
						   : p[i].spi_len != 4)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int flags;
	size_t n1, n2;
	struct ike_buf b;
	struct ike_msg_builder mb;

	if (size < 1)
		return 0;
	flags = data[0] & IKE_SA_PARSE_REPLY;
	if (ike_sa_parse(data + 1, size - 1, flags, p1, IKE_MAX_PROPOSALS, &n1) < 0) {
		if (n1 != 0)
			abort();
		return 0;
	}
	check_props(p1, n1, flags);

	ike_buf_init(&b);
	ike_mb_begin_chain(&mb, &b);
	if (ike_sa_build(&mb, p1, n1) != 0 || ike_mb_finish(&mb) < 0)
		abort();
	if (ike_sa_parse(b.data + 4, b.len - 4, flags, p2, IKE_MAX_PROPOSALS, &n2) != 0 ||
	    n2 != n1)
		abort();
	for (size_t i = 0; i < n1; i++) {
		if (p1[i].num != p2[i].num || p1[i].protocol != p2[i].protocol ||
		    p1[i].spi_len != p2[i].spi_len ||
		    memcmp(p1[i].spi, p2[i].spi, p1[i].spi_len) != 0 ||
		    p1[i].n_transforms != p2[i].n_transforms)
			abort();
		for (size_t j = 0; j < p1[i].n_transforms; j++)
			if (p1[i].tr[j].type != p2[i].tr[j].type ||
			    p1[i].tr[j].id != p2[i].tr[j].id ||
			    p1[i].tr[j].keylen != p2[i].tr[j].keylen ||
			    p2[i].tr[j].unknown_attr)
				abort();
	}
	ike_buf_free(&b);
	return 0;
}

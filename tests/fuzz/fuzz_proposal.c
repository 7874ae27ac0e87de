/*
 * fuzz_proposal.c — proposal strings (ike_proposal.h).  The input is taken
 * as a string (cut at the first NUL) and parsed as a single IKE and ESP
 * proposal and as IKE and ESP lists.  Must never crash; whenever a parse
 * succeeds, format -> parse must give the same proposal (abort otherwise).
 */
#include <stdlib.h>
#include <string.h>

#include "ike.h"
#include "ike_proposal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* same protocol, transforms (type, id, key length) and order */
static int same(const struct ike_proposal *a, const struct ike_proposal *b)
{
	if (a->protocol != b->protocol || a->n_transforms != b->n_transforms)
		return 0;
	for (size_t i = 0; i < a->n_transforms; i++)
		if (a->tr[i].type != b->tr[i].type || a->tr[i].id != b->tr[i].id ||
		    a->tr[i].keylen != b->tr[i].keylen)
			return 0;
	return 1;
}

/* format p and parse the result again; abort on any difference */
static void check_roundtrip(const struct ike_proposal *p)
{
	struct ike_proposal q;
	char out[IKE_PROPOSAL_MAX_LEN + 1], err[128];
	int n = ike_proposal_format(p, out, sizeof(out));

	if (n < 0 || (size_t)n != strlen(out))
		abort();
	if (ike_proposal_parse(out, p->protocol, &q, err, sizeof(err)) != 0)
		abort();
	if (!same(p, &q))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t protos[] = { IKE_PROTO_IKE, IKE_PROTO_ESP };
	struct ike_proposal p, list[IKE_MAX_PROPOSALS];
	char err[160];
	char *s;

	if (size > IKE_PROPOSAL_LIST_MAX_LEN + 64)
		size = IKE_PROPOSAL_LIST_MAX_LEN + 64;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	for (size_t k = 0; k < sizeof(protos); k++) {
		int n;

		if (ike_proposal_parse(s, protos[k], &p, err, sizeof(err)) == 0)
			check_roundtrip(&p);
		else if (strnlen(err, sizeof(err)) == sizeof(err) || !err[0])
			abort();	/* every error carries a message */
		n = ike_proposal_parse_list(s, protos[k], list, IKE_MAX_PROPOSALS,
					    err, sizeof(err));
		if (n > IKE_MAX_PROPOSALS)
			abort();
		for (int i = 0; i < n; i++) {
			if (list[i].num != i + 1)
				abort();
			check_roundtrip(&list[i]);
		}
	}
	free(s);
	return 0;
}

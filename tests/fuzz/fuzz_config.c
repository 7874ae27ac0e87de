/*
 * fuzz_config.c — libFuzzer target for the ragd.conf parser
 * (daemon/conf.c rag_config_parse): any byte string must either parse or
 * produce bounded, NUL-terminated error messages; never crash, leak or read
 * out of bounds.  Also round-trips what parsed through the formatters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: parse, then check the invariants above; 0 always. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rag_config *c = malloc(sizeof(*c));
	struct rag_conf_errors *e = calloc(1, sizeof(*e));
	char buf[128];
	int r;

	if (!c || !e)
		abort();
	rag_config_init(c);
	r = rag_config_parse(c, data, size, "fuzz.conf", e);
	if ((r == 0) != (e->n == 0 && e->dropped == 0))
		abort();	/* the result must agree with the collected errors */
	if (e->n > RAG_CONF_MAX_ERRORS)
		abort();
	for (size_t i = 0; i < e->n; i++)
		if (strnlen(e->msg[i], RAG_CONF_MAX_ERRLEN) >= RAG_CONF_MAX_ERRLEN)
			abort();
	if (c->n_listen > RAG_CONF_MAX_LISTEN || c->n_dns > RAG_CONF_MAX_DNS ||
	    c->n_ike > RAG_CONF_MAX_PROPOSALS || c->n_esp > RAG_CONF_MAX_PROPOSALS ||
	    c->n_methods > RAG_AUTH_N_METHODS)
		abort();
	for (size_t i = 0; i < c->n_listen; i++)
		rag_addr_str(&c->listen[i], buf, sizeof(buf));
	rag_cidr_str(&c->pool4, buf, sizeof(buf));
	rag_cidr_str(&c->pool6, buf, sizeof(buf));
	rag_config_where(c, "dpd", buf, sizeof(buf));
	free(c);
	free(e);
	return 0;
}

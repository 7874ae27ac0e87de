/* test_buf.c — ike_buf appends, sticky errors and limits; guarded keys. */
#include "check.h"
#include "ike.h"

int main(void)
{
	struct ike_buf b;
	struct ike_key k;

	CHECK_INT(ike_init(), 0);
	ike_buf_init(&b);
	ike_buf_put_u8(&b, 0x01);
	ike_buf_put_u16(&b, 0x0203);
	ike_buf_put_u32(&b, 0x04050607);
	ike_buf_put_u64(&b, 0x08090a0b0c0d0e0fULL);
	CHECK_INT(b.len, 15);
	CHECK_INT(ike_buf_error(&b), 0);
	{
		static const uint8_t want[15] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
		CHECK_MEM(b.data, want, 15);
	}
	ike_buf_set_u16(&b, 1, 0xbeef);
	CHECK_INT(ike_get_u16(b.data + 1), 0xbeef);
	ike_buf_set_u32(&b, 13, 0x11223344);	/* out of range: ignored */
	CHECK_INT(b.len, 15);
	CHECK_INT(ike_get_u64(b.data + 7), 0x08090a0b0c0d0e0fULL);

	/* the limit is enforced and the error is sticky */
	b.limit = 20;
	ike_buf_put_zero(&b, 6);
	CHECK_INT(ike_buf_error(&b), -EMSGSIZE);
	ike_buf_put_u8(&b, 0);
	CHECK_INT(b.len, 15);
	ike_buf_reset(&b);
	CHECK_INT(ike_buf_error(&b), 0);
	CHECK_INT(b.len, 0);
	b.limit = 0;
	for (int i = 0; i < 70000; i++)
		ike_buf_put_u8(&b, 0xaa);
	CHECK_INT(ike_buf_error(&b), -EMSGSIZE);	/* IKE_MAX_MSG_LEN */
	CHECK_INT(b.len, IKE_MAX_MSG_LEN);
	ike_buf_free(&b);

	CHECK_INT(ike_key_dup(&k, "secret", 6), 0);
	CHECK_INT(k.len, 6);
	CHECK_MEM(k.ptr, "secret", 6);
	ike_key_free(&k);
	CHECK(k.ptr == NULL);
	ike_key_free(&k);	/* double free is harmless */
	return check_done("buf");
}

// SPDX-License-Identifier: GPL-2.0-only
/* The node policy's parser on any bytes (plan/policy.c). */
#include "fuzz.h"
#include "plan/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flt_error err;
	struct policy p;
	char *text = fuzz_text(data, size);
	int ret;

	ret = policy_parse_string("policy.yaml", text, size, &p, &err);
	fuzz_check_result(ret, &err, "policy.yaml");
	if (ret == 0)
		fuzz_assert(p.ncidrs <= POLICY_MAX_CIDRS);
	policy_free(&p);
	free(text);
	return 0;
}

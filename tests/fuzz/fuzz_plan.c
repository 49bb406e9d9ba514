// SPDX-License-Identifier: GPL-2.0-only
/* The plan parser on any bytes, YAML or JSON, through the whole validation (load.c, validate.c). */
#include "fuzz.h"
#include "plan/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flt_error err;
	struct plan plan;
	char *text = fuzz_text(data, size);
	int ret;

	/* the CLI's default limit (1h), and a day (--max-duration 24h) */
	ret = plan_parse_string("fuzz.yaml", text, size,
				size % 2 ? PLAN_DEFAULT_MAX_DURATION_MS : 24 * 3600 * 1000ULL,
				&plan, &err);
	fuzz_check_result(ret, &err, "fuzz.yaml");
	if (ret == 0) {
		fuzz_assert(plan.name != NULL && plan.name[0] != '\0');
		fuzz_assert(plan.duration_ms > 0);
	}
	plan_free(&plan);
	plan_free(&plan); /* documented as safe */
	free(text);
	return 0;
}

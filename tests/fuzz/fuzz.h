/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the libFuzzer targets share (docs/fuzzing.md): the input as a string of exactly its size,
 * and the error contract every parser keeps. A broken contract aborts: libFuzzer reports it as
 * a crash, with the input.
 */
#ifndef FAULTLINE_TESTS_FUZZ_H
#define FAULTLINE_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data as a NUL-terminated string in a buffer of size + 1 bytes: ASan sees any read past it. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#define fuzz_assert(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: broken contract: %s\n", __FILE__, __LINE__,        \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/*
 * A parser's result: 0 leaves no error; a failure is a negative errno with a kind and a message,
 * and an input error at a position reads "file:line:col: field: what is wrong".
 */
static inline void fuzz_check_result(int ret, const struct flt_error *err, const char *file)
{
	char prefix[300];

	if (ret == 0) {
		fuzz_assert(err->kind == FLT_ERR_NONE);
		return;
	}
	fuzz_assert(ret < 0);
	fuzz_assert(err->kind != FLT_ERR_NONE);
	fuzz_assert(err->message[0] != '\0');
	fuzz_assert(memchr(err->message, '\0', sizeof(err->message)) != NULL);
	if (err->kind == FLT_ERR_INPUT && err->line > 0) {
		snprintf(prefix, sizeof(prefix), "%s:%u:%u: ", file, err->line, err->column);
		fuzz_assert(strncmp(err->message, prefix, strlen(prefix)) == 0);
	}
}

#endif /* FAULTLINE_TESTS_FUZZ_H */

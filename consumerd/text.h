/* SPDX-License-Identifier: MIT */
/* Growable text for replies and messages. An allocation failure is
 * remembered (oom), never fatal. */
#ifndef RT_CONSUMERD_TEXT_H
#define RT_CONSUMERD_TEXT_H

#include <stddef.h>

struct text {
	char *s;
	size_t len, cap;
	int oom;
};
void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void text_free(struct text *t);

#endif

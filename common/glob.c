/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "common/glob.h"

int rt_glob_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*p == '*') {
			star = ++p;
			resume = s;
			continue;
		}
		int lit = p[0] == '\\' && p[1] == '*';
		char want = lit ? '*' : *p;
		if (*p && want == *s) {
			p += lit ? 2 : 1;
			s++;
			continue;
		}
		if (!star)
			return 0;
		p = star;
		s = ++resume;
	}
	while (*p == '*')
		p++;
	return *p == 0;
}

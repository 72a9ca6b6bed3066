/* SPDX-License-Identifier: MIT */
/* Uses the header rseqtrace-gen-tp made from sample.tp. */
#include "sample.h"

int main(void)
{
	for (uint32_t i = 0; i < 3; i++)
		tracepoint(sample_tp, message, "from a template", i);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Corpus replay: every file of the given directories (or files) through
 * the fuzz target, without libFuzzer. Exits 1 if a directory is empty or
 * unreadable, so a missing corpus cannot pass as a green test. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int main(int argc, char **argv)
{
	long files = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) != 0)
				return 1;
			files++;
			continue;
		}
		struct dirent **names;
		int n = scandir(argv[i], &names, NULL, alphasort);
		if (n < 0) {
			perror(argv[i]);
			return 1;
		}
		for (int k = 0; k < n; k++) {
			if (names[k]->d_name[0] != '.') {
				char p[4096];
				snprintf(p, sizeof p, "%s/%s", argv[i], names[k]->d_name);
				if (run_file(p) != 0)
					return 1;
				files++;
			}
			free(names[k]);
		}
		free(names);
	}
	printf("replayed %ld inputs through the daemon's dispatcher\n", files);
	return files > 0 ? 0 : 1;
}

/* SPDX-License-Identifier: MIT */
/*
 * stbwork: a workload over a real C code base, the stb image libraries as
 * Debian ships them (libstb-dev: stb_image, stb_image_write,
 * stb_image_resize; about 17 000 lines), compiled here with
 * -finstrument-functions for the function entry/exit benchmark.
 *
 *   stbwork SIZE ROUNDS
 *
 * Makes a SIZE x SIZE RGB picture, then ROUNDS times: encodes it as PNG
 * (zlib deflate with hash chains), decodes the PNG, halves it with a
 * filtered resize. Prints a checksum (the same traced or not).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>
#include <stb/stb_image_write.h>

struct growbuf {
	unsigned char *p;
	size_t len, cap;
};

static void append(void *ctx, void *data, int size)
{
	struct growbuf *b = ctx;
	if (b->len + (size_t)size > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 65536;
		while (cap < b->len + (size_t)size)
			cap *= 2;
		unsigned char *p = realloc(b->p, cap);
		if (!p) {
			perror("realloc");
			exit(1);
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, (size_t)size);
	b->len += (size_t)size;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: stbwork SIZE ROUNDS\n");
		return 2;
	}
	int n = atoi(argv[1]), rounds = atoi(argv[2]);
	if (n < 8 || n > 8192 || rounds < 1)
		return 2;
	unsigned char *img = malloc((size_t)n * n * 3);
	uint32_t x = 12345;
	for (int y = 0; y < n; y++)
		for (int i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u; /* some noise on smooth gradients */
			unsigned char *px = img + ((size_t)y * n + i) * 3;
			px[0] = (unsigned char)(i * 255 / n + (x >> 28));
			px[1] = (unsigned char)(y * 255 / n);
			px[2] = (unsigned char)((i ^ y) & 0xff);
		}
	uint64_t sum = 0;
	size_t png_len = 0;
	int half = n / 2;
	unsigned char *small = malloc((size_t)half * half * 3);
	for (int r = 0; r < rounds; r++) {
		struct growbuf png = { 0 };
		if (!stbi_write_png_to_func(append, &png, n, n, 3, img, n * 3))
			return 1;
		int w, h, c;
		unsigned char *dec = stbi_load_from_memory(png.p, (int)png.len, &w, &h, &c, 3);
		if (!dec || w != n || h != n)
			return 1;
		if (!stbir_resize_uint8(dec, w, h, 0, small, half, half, 0, 3))
			return 1;
		for (size_t i = 0; i < (size_t)half * half * 3; i += 7)
			sum = sum * 31 + small[i];
		png_len = png.len;
		stbi_image_free(dec);
		free(png.p);
	}
	printf("stbwork: %dx%d, %d rounds, png %zu bytes, checksum %016llx\n", n, n, rounds, png_len,
	       (unsigned long long)sum);
	free(small);
	free(img);
	return 0;
}

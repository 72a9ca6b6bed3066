/* SPDX-License-Identifier: MIT */
/* Private to the CTF writer: the trace object shared by trace.c and stream.c. */
#ifndef RT_CTF_INT_H
#define RT_CTF_INT_H

#include <pthread.h>

#include "ctf/ctf.h"

/* A field as the record checker needs it. */
struct ctf_fl {
	uint8_t kind;
	uint8_t esize;  /* element / integer / float size */
	uint8_t lsize;  /* sequence length size */
	uint32_t count; /* array */
};

/* An event class compiled for checking records of its stream class. */
struct ctf_ev {
	uint32_t payload_start; /* in the staged record (eventdesc/record.h) */
	uint32_t exact_len;     /* when fixed: the staged record's exact length */
	int fixed;              /* no strings, no sequences */
	/* The fields before the first string or sequence sit at offsets
	 * known in advance (records start 8-aligned): the checker starts
	 * after them, at field first_var and offset var_start. */
	uint32_t first_var, var_start;
	/* Not fixed, and every field from first_var on a string: how many
	 * (the checker's common case, no per-field switch); else 0. */
	uint32_t tail_strings;
	uint32_t nr;
	struct ctf_fl f[];
};

struct ctf_stream_class {
	uint32_t id;
	unsigned contexts;
	uint32_t ctx_len, ctx_end;
	uint32_t nr_events;      /* size of ev[] */
	struct ctf_ev **ev;      /* by event id; NULL: undeclared */
	struct ctf_stream_class *next;
};

struct ctf_trace {
	pthread_rwlock_t lock; /* pending metadata, stream classes, event tables; read by walks */
	char *dir;
	int dir_fd;           /* the checked trace directory: files are made relative to it */
	int index_fd;         /* its index/ directory (-1: none) */
	int direct_io;        /* cfg->direct_io: stream files O_DIRECT where allowed */
	char *below;          /* dir below its session directory (ctf_trace_move); "" for cfg->path */
	/* Metadata is described in memory (under lock) by whoever adds an
	 * event, the daemon's control thread included, and written to the
	 * file by ctf_trace_write_metadata (a drain, the close): a stalled
	 * disk never holds the one that describes. */
	char *pend;           /* TSDL not written yet, under lock */
	size_t pend_len, pend_cap;
	uint64_t meta_reserved; /* written + pending bytes, under lock: the cap's count */
	pthread_mutex_t write_lock; /* held while the file is written; orders writers */
	int meta_fd;
	int snapshot;         /* cfg->snapshot */
	off_t meta_size;      /* bytes in the file, under write_lock */
	int meta_error;       /* the file's first write error, under write_lock */
	uint64_t meta_max;    /* 0: no cap */
	uint8_t uuid[16];
	enum rt_clock clock;
	struct ctf_stream_class *classes;
	int first_error;
	int channels;
	const struct ctf_sink *sink; /* instead of files */
};

struct ctf_stream_class *ctf_find_class(struct ctf_trace *t, uint32_t id);

#endif

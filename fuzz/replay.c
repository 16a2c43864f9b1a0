/* replay.c - run a fuzz target over its corpus without libFuzzer, so the
 * corpus is a regression test under plain gcc and sanitizers. Each argument
 * is a file (one input) or a directory whose regular files are inputs; a
 * crash is the failure. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read the whole file into a block of exactly its size, so that a read one
 * past the end is caught by ASan as it would be under libFuzzer. */
static int replay_file(const char *path, unsigned long *count)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL, *grown;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			grown = realloc(data, cap);
			if (grown == NULL) {
				fprintf(stderr, "replay: out of memory\n");
				abort();
			}
			data = grown;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	grown = malloc(len ? len : 1);
	if (grown == NULL) {
		fprintf(stderr, "replay: out of memory\n");
		abort();
	}
	memcpy(grown, data, len);
	free(data);
	LLVMFuzzerTestOneInput(grown, len);
	free(grown);
	(*count)++;
	return 0;
}

static int replay_path(const char *path, unsigned long *count)
{
	struct dirent **ents;
	struct stat st;
	int n, i, rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, count);
	/* Sorted, so a failing run replays in the same order. */
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		char sub[4096];
		int w = snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);

		if (w < 0 || (size_t)w >= sizeof(sub)) {
			fprintf(stderr, "replay: %s/%s: path too long\n", path, ents[i]->d_name);
			rc = -1;
		} else if (stat(sub, &st) == 0 && S_ISREG(st.st_mode) &&
		           replay_file(sub, count) != 0) {
			rc = -1;
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (replay_path(argv[i], &count) != 0)
			rc = 1;
	printf("replayed %lu inputs\n", count);
	return rc;
}

/*
 * probe: the timing helper of scripts/bench.sh.  Built by the bench with gcc.
 *
 *   probe evict FILE...          drop FILE's pages from the page cache
 *                                (posix_fadvise POSIX_FADV_DONTNEED)
 *   probe read FILE              read FILE start to end in 1 MiB reads;
 *                                prints "SECONDS BYTES"
 *   probe rand FILE N SEED       N preads of 4 KiB at random offsets (fixed
 *                                seed); each range is evicted first so the
 *                                filesystem serves it; prints "MEDIAN_MS P99_MS"
 *   probe par FILE N             N threads each read one contiguous 1/N slice;
 *                                prints "SECONDS BYTES" (wall time, all bytes)
 *   probe ready T0 PATH FILE PID wait until stat(PATH) answers (polling every
 *                                millisecond; fails if process PID is gone or
 *                                after 600 s), then open FILE and read 1 byte;
 *                                prints "READY_S FIRSTBYTE_S" with READY_S
 *                                counted from T0 (bash's $EPOCHREALTIME taken
 *                                just before starting the daemon)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUF (1u << 20)

static double now(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_or_die(const char *p)
{
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "probe: %s: %s\n", p, strerror(errno));
		exit(1);
	}
	return fd;
}

static int cmd_evict(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		int fd = open_or_die(argv[i]);
		int rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (rc) {
			fprintf(stderr, "probe: fadvise %s: %s\n", argv[i], strerror(rc));
			return 1;
		}
		close(fd);
	}
	return 0;
}

static int cmd_read(const char *path)
{
	char *buf = malloc(BUF);
	double t = now(CLOCK_MONOTONIC);
	int fd = open_or_die(path);
	uint64_t total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, BUF);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "probe: read %s: %s\n", path, strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
	}
	close(fd);
	printf("%.6f %llu\n", now(CLOCK_MONOTONIC) - t, (unsigned long long)total);
	free(buf);
	return 0;
}

/* splitmix64: the offsets depend on the seed only */
static uint64_t rnd_state;
static uint64_t rnd_next(void)
{
	uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmd_rand(const char *path, int n, uint64_t seed)
{
	int fd = open_or_die(path);
	struct stat st;
	char buf[4096];
	double *lat = calloc((size_t)n, sizeof(*lat));
	fstat(fd, &st);
	uint64_t span = st.st_size > 4096 ? (uint64_t)st.st_size - 4096 : 1;
	rnd_state = seed;
	for (int i = 0; i < n; i++) {
		off_t off = (off_t)(rnd_next() % span);
		posix_fadvise(fd, off & ~(off_t)4095, 8192, POSIX_FADV_DONTNEED);
		double t = now(CLOCK_MONOTONIC);
		if (pread(fd, buf, sizeof(buf), off) < 0) {
			fprintf(stderr, "probe: pread %s: %s\n", path, strerror(errno));
			return 1;
		}
		lat[i] = now(CLOCK_MONOTONIC) - t;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	printf("%.4f %.4f\n", lat[n / 2] * 1e3, lat[(int)(n * 0.99)] * 1e3);
	close(fd);
	free(lat);
	return 0;
}

struct slice {
	const char *path;
	off_t from, to;
	int err;
};

static void *par_worker(void *arg)
{
	struct slice *s = arg;
	char *buf = malloc(BUF);
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		s->err = errno;
		free(buf);
		return NULL;
	}
	for (off_t off = s->from; off < s->to;) {
		size_t want = (size_t)(s->to - off < BUF ? s->to - off : BUF);
		ssize_t n = pread(fd, buf, want, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->err = n < 0 ? errno : EIO;
			break;
		}
		off += n;
	}
	close(fd);
	free(buf);
	return NULL;
}

static int cmd_par(const char *path, int n)
{
	struct stat st;
	if (stat(path, &st) < 0 || n < 1 || n > 64) {
		fprintf(stderr, "probe: par %s: bad file or count\n", path);
		return 1;
	}
	pthread_t th[64];
	struct slice sl[64];
	double t = now(CLOCK_MONOTONIC);
	for (int i = 0; i < n; i++) {
		sl[i] = (struct slice){ path, st.st_size * i / n, st.st_size * (i + 1) / n, 0 };
		pthread_create(&th[i], NULL, par_worker, &sl[i]);
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < n; i++)
		if (sl[i].err) {
			fprintf(stderr, "probe: par %s: %s\n", path, strerror(sl[i].err));
			return 1;
		}
	printf("%.6f %llu\n", now(CLOCK_MONOTONIC) - t, (unsigned long long)st.st_size);
	return 0;
}

static int cmd_ready(double t0, const char *path, const char *file, pid_t pid)
{
	struct stat st;
	for (;;) {
		if (stat(path, &st) == 0)
			break;
		if (kill(pid, 0) < 0 && errno == ESRCH) {
			fprintf(stderr, "probe: process %d exited before %s appeared\n", (int)pid, path);
			return 1;
		}
		if (now(CLOCK_REALTIME) - t0 > 600) {
			fprintf(stderr, "probe: %s did not appear within 600 s\n", path);
			return 1;
		}
		usleep(1000);
	}
	double ready = now(CLOCK_REALTIME) - t0;
	double t = now(CLOCK_MONOTONIC);
	int fd = open_or_die(file);
	char c;
	if (read(fd, &c, 1) != 1) {
		fprintf(stderr, "probe: read %s: %s\n", file, strerror(errno));
		return 1;
	}
	double first = now(CLOCK_MONOTONIC) - t;
	close(fd);
	printf("%.6f %.6f\n", ready, first);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "evict"))
		return cmd_evict(argc - 2, argv + 2);
	if (argc == 3 && !strcmp(argv[1], "read"))
		return cmd_read(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "rand"))
		return cmd_rand(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10));
	if (argc == 4 && !strcmp(argv[1], "par"))
		return cmd_par(argv[2], atoi(argv[3]));
	if (argc == 6 && !strcmp(argv[1], "ready"))
		return cmd_ready(strtod(argv[2], NULL), argv[3], argv[4], (pid_t)atoi(argv[5]));
	fprintf(stderr, "usage: see the header of bench/probe.c\n");
	return 2;
}

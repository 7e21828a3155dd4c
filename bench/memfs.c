/*
 * memfs: the FUSE ceiling of scripts/bench.sh.
 *
 *   memfs FILE MOUNTPOINT [-f] [-o FUSE_OPTIONS]
 *
 * Loads FILE into memory, then mounts a read-only filesystem holding one
 * regular file of the same name and bytes.  Reads are answered straight from
 * memory, so reading through this mount costs only what the kernel's FUSE path
 * costs: the fastest any FUSE filesystem can be on this machine, with the same
 * kernel and libfuse as stratafs.  Large requests are asked for (max_readahead
 * and max_write 1 MiB, so libfuse grants 256-page requests; use -o max_read=N
 * to cap reads); keep_cache is off, so every open starts with an empty page
 * cache for the file and every read reaches the daemon.
 *
 * libfuse3 low-level API, multi-threaded loop (for concurrent readers).
 * Build: gcc -O2 bench/memfs.c $(pkg-config --cflags --libs fuse3) -o memfs
 */
#define FUSE_USE_VERSION 34
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_INO 2

static char *g_data;
static size_t g_size;
static const char *g_name;
static time_t g_time;

static void fill_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_atime = st->st_mtime = st->st_ctime = g_time;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = (off_t)g_size;
		st->st_blocks = (blkcnt_t)((g_size + 511) / 512);
	}
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->max_readahead = 1u << 20;
	conn->max_write = 1u << 20;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want &= ~FUSE_CAP_SPLICE_WRITE;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	if (parent != FUSE_ROOT_ID || strcmp(name, g_name)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = FILE_INO;
	e.attr_timeout = 3600;
	e.entry_timeout = 3600;
	fill_stat(FILE_INO, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	(void)fi;
	if (ino != FUSE_ROOT_ID && ino != FILE_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_stat(ino, &st);
	fuse_reply_attr(req, &st, 3600);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)fi;
	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	char buf[4096];
	size_t used = 0;
	const char *names[] = { ".", "..", g_name };
	fuse_ino_t inos[] = { FUSE_ROOT_ID, FUSE_ROOT_ID, FILE_INO };
	if (size > sizeof(buf))
		size = sizeof(buf);
	for (off_t i = off; i < 3; i++) {
		struct stat st;
		fill_stat(inos[i], &st);
		size_t n = fuse_add_direntry(req, buf + used, size - used, names[i], &st, i + 1);
		if (n > size - used)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != FILE_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	fi->keep_cache = 0;
	fi->direct_io = 0;
	fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	if ((size_t)off >= g_size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > g_size - (size_t)off)
		size = g_size - (size_t)off;
	fuse_reply_buf(req, g_data + off, size);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.read = op_read,
};

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: memfs FILE MOUNTPOINT [-f] [-o OPTIONS]\n");
		return 2;
	}
	const char *src = argv[1];
	int fd = open(src, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "memfs: %s: %s\n", src, strerror(errno));
		return 1;
	}
	g_size = (size_t)st.st_size;
	g_time = st.st_mtime;
	g_data = malloc(g_size ? g_size : 1);
	for (size_t got = 0; got < g_size;) {
		ssize_t n = pread(fd, g_data + got, g_size - got, (off_t)got);
		if (n <= 0) {
			fprintf(stderr, "memfs: reading %s: %s\n", src, n ? strerror(errno) : "short");
			return 1;
		}
		got += (size_t)n;
	}
	close(fd);
	g_name = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;

	/* argv without FILE: memfs MOUNTPOINT [options] */
	argv[1] = argv[0];
	struct fuse_args args = FUSE_ARGS_INIT(argc - 1, argv + 1);
	struct fuse_cmdline_opts opts;
	if (fuse_parse_cmdline(&args, &opts) != 0 || !opts.mountpoint) {
		fprintf(stderr, "usage: memfs FILE MOUNTPOINT [-f] [-o OPTIONS]\n");
		return 2;
	}
	fuse_opt_add_arg(&args, "-oro,fsname=memfs,subtype=memfs");
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	int rc = 1;
	if (!se)
		goto out;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_se;
	if (fuse_session_mount(se, opts.mountpoint) != 0)
		goto out_sig;
	fuse_daemonize(opts.foreground);
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	fuse_loop_cfg_set_clone_fd(cfg, 1);
	fuse_loop_cfg_set_max_threads(cfg, 8);
	rc = fuse_session_loop_mt(se, cfg) ? 1 : 0;
	fuse_loop_cfg_destroy(cfg);
	fuse_session_unmount(se);
out_sig:
	fuse_remove_signal_handlers(se);
out_se:
	fuse_session_destroy(se);
out:
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	free(g_data);
	return rc;
}

/*
 * How a small file is best written so that no reader ever sees half of it: the three ways, alone,
 * without either tool around them. Built and run by scripts/bench.sh:
 *
 *     file_create MODE FOLDER [FILES] [THREADS]
 *
 * writes FILES (10,000) files of 4 KiB into 100 subfolders of FOLDER (made first, not timed) from
 * THREADS (4) threads, and prints the wall and system seconds of the writing. MODE:
 *   unnamed  open(O_TMPFILE) in the target's folder, write, linkat through /proc/self/fd: what the
 *            local connector does for a file under one checkpoint (8 MiB)
 *   partial  create a hidden partial name, write, close, rename over the target: what it does for
 *            larger files (the name is the resume token), and what the unnamed path replaced
 *   direct   create the target itself and write into it: rclone's way for local disks; not atomic
 *            (a crash leaves half a file under the real name), shown as the floor
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum mode { UNNAMED, PARTIAL, DIRECT };

static enum mode mode;
static const char *root;
static int files = 10000;
static const int folders = 100;
static char block[4096];
static int next_file;
static pthread_mutex_t next_lock = PTHREAD_MUTEX_INITIALIZER;

static void die(const char *what, const char *path) {
    fprintf(stderr, "file_create: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static void write_all(int fd, const char *path) {
    if (write(fd, block, sizeof block) != (ssize_t)sizeof block) die("write", path);
}

static void write_one(int i) {
    char folder[4096], target[4200], partial[4200], proc[64];
    snprintf(folder, sizeof folder, "%s/d%04d", root, i % folders);
    snprintf(target, sizeof target, "%s/f%07d.bin", folder, i);
    int fd;
    switch (mode) {
    case UNNAMED:
        fd = open(folder, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
        if (fd < 0) die("open(O_TMPFILE)", folder);
        write_all(fd, target);
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, target, AT_SYMLINK_FOLLOW) != 0) die("linkat", target);
        close(fd);
        break;
    case PARTIAL:
        snprintf(partial, sizeof partial, "%s/.f%07d.bin.partial", folder, i);
        fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (fd < 0) die("create", partial);
        write_all(fd, partial);
        close(fd);
        if (rename(partial, target) != 0) die("rename", target);
        break;
    case DIRECT:
        fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) die("create", target);
        write_all(fd, target);
        close(fd);
        break;
    }
}

static void *worker(void *unused) {
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&next_lock);
        int i = next_file++;
        pthread_mutex_unlock(&next_lock);
        if (i >= files) return NULL;
        write_one(i);
    }
}

static double seconds(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec / 1e6; }

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: file_create unnamed|partial|direct FOLDER [FILES] [THREADS]\n");
        return 2;
    }
    if (strcmp(argv[1], "unnamed") == 0) mode = UNNAMED;
    else if (strcmp(argv[1], "partial") == 0) mode = PARTIAL;
    else if (strcmp(argv[1], "direct") == 0) mode = DIRECT;
    else {
        fprintf(stderr, "file_create: unknown mode %s\n", argv[1]);
        return 2;
    }
    root = argv[2];
    if (argc > 3) files = atoi(argv[3]);
    int threads = argc > 4 ? atoi(argv[4]) : 4;
    if (threads < 1 || threads > 64 || files < 1) {
        fprintf(stderr, "file_create: bad count\n");
        return 2;
    }
    memset(block, 0x5a, sizeof block);
    if (mkdir(root, 0755) != 0) die("mkdir", root);
    for (int d = 0; d < folders; d++) {
        char folder[4096];
        snprintf(folder, sizeof folder, "%s/d%04d", root, d);
        if (mkdir(folder, 0755) != 0) die("mkdir", folder);
    }
    struct rusage before, after;
    struct timespec start, end;
    getrusage(RUSAGE_SELF, &before);
    clock_gettime(CLOCK_MONOTONIC, &start);
    pthread_t pool[64];
    for (int t = 0; t < threads; t++) pthread_create(&pool[t], NULL, worker, NULL);
    for (int t = 0; t < threads; t++) pthread_join(pool[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    getrusage(RUSAGE_SELF, &after);
    double wall = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    printf("%.4f %.4f\n", wall, seconds(after.ru_stime) - seconds(before.ru_stime));
    return 0;
}

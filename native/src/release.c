// tsbpf-release: the child that pays for the kernel's release of many probes
// (runtime/session/detach.ts hands it their perf event and link descriptors). Built by
// native/binding.gyp as native/build/Release/tsbpf-release.
//
//   tsbpf-release COUNT    closes descriptors 3 .. COUNT+2 (inherited from tsbpf) once stdin ends
//
// It waits for end of file on stdin first: tsbpf closes its own copies before it ends our stdin,
// so our close is the last reference and carries the kernel's release. Each close of a perf event
// with a BPF program waits for RCU grace periods (perf_event_detach_bpf_prog, the tracepoint's
// unregister), ~75 ms on kernel 6.18; an exiting process closes its files one after another
// (exit_files), but closes from parallel threads overlap: 24 tracepoint events took 1770 ms
// serially and 915-980 ms from 4 or 24 threads (~38 ms a descriptor stays serialized in the
// kernel). So the descriptors are closed from up to MAX_THREADS threads, each taking the next
// descriptor from a shared counter, and the process exits when all have returned.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/** More threads than this gain nothing: most of each release stays serialized in the kernel. */
#define MAX_THREADS 32
/** The threads only call close(2). */
#define STACK_BYTES (64 * 1024)
#define FIRST_FD 3

static atomic_int next_fd = FIRST_FD;
static int last_fd;

static void *close_some(void *unused) {
  (void)unused;
  for (;;) {
    int fd = atomic_fetch_add(&next_fd, 1);
    if (fd > last_fd) return NULL;
    close(fd);
  }
}

static void wait_for_eof(void) {
  char buf[256];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n == 0) return;
    if (n < 0 && errno != EINTR) return;
  }
}

int main(int argc, char **argv) {
  char *end = NULL;
  long count = argc == 2 ? strtol(argv[1], &end, 10) : -1;
  if (argc != 2 || *argv[1] == '\0' || *end != '\0' || count < 0 || count > INT_MAX - FIRST_FD) {
    fprintf(stderr, "usage: tsbpf-release COUNT  (closes descriptors 3..COUNT+2 once stdin ends)\n");
    return 2;
  }
  wait_for_eof();
  last_fd = FIRST_FD + (int)count - 1;
  int helpers = count < MAX_THREADS ? (int)count - 1 : MAX_THREADS - 1;
  pthread_t threads[MAX_THREADS];
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, STACK_BYTES < PTHREAD_STACK_MIN ? PTHREAD_STACK_MIN : STACK_BYTES);
  int started = 0;
  // A thread that cannot be made leaves its share to the others (this one always takes part).
  while (started < helpers && pthread_create(&threads[started], &attr, close_some, NULL) == 0) started++;
  close_some(NULL);
  for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
  return 0;
}

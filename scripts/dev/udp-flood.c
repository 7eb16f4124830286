/*
 * udp-flood: send COUNT small UDP datagrams to ADDR:PORT as fast as one core can, in batches of 64
 * with sendmmsg(2), from SRC (optional); prints packets/s. For measuring the packet path of xdp:
 * and tc: probes between two network namespaces (scripts/dev/packet-bench.sh), never at a host
 * outside them.   cc -O2 -o udp-flood udp-flood.c
 * Usage: udp-flood ADDR PORT COUNT [SRC]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s ADDR PORT COUNT [SRC]\n", argv[0]);
    return 2;
  }
  struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) return 2;
  long count = atol(argv[3]);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) return perror("socket"), 1;
  if (argc > 4) {
    struct sockaddr_in src = {.sin_family = AF_INET};
    if (inet_pton(AF_INET, argv[4], &src.sin_addr) != 1 || bind(s, (struct sockaddr *)&src, sizeof src)) return perror("bind"), 1;
  }
  if (connect(s, (struct sockaddr *)&dst, sizeof dst)) return perror("connect"), 1;
  char payload = 'x';
  struct iovec iov = {.iov_base = &payload, .iov_len = 1};
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) msgs[i].msg_hdr.msg_iov = &iov, msgs[i].msg_hdr.msg_iovlen = 1;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long sent = 0;
  while (sent < count) {
    int n = sendmmsg(s, msgs, count - sent < BATCH ? (unsigned)(count - sent) : BATCH, 0);
    // The receiver's ICMP port-unreachable comes back as an error on the next send: not a failure here.
    if (n < 0 && errno == ECONNREFUSED) continue;
    if (n < 0) return perror("sendmmsg"), 1;
    sent += n;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%ld packets in %.3f s: %.0f packets/s\n", sent, secs, sent / secs);
  return 0;
}

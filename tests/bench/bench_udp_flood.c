/*
 * bench_udp_flood.c — the packet source of the policy forwarding benchmark
 * (run-policy-bench.sh): COUNT UDP datagrams of 64 bytes from SRC to
 * DST:PORT, sendmmsg in batches of 64, one flow.  Prints wall and CPU
 * nanoseconds per packet.  On veth the receiving side's softirq work (here:
 * the router netns forwarding through ragd's nftables table) runs in the
 * sender's context, so the figures are the cost of the whole path.
 *
 * usage: bench_udp_flood SRC DST PORT COUNT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static uint64_t ns_of(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

int main(int argc, char **argv)
{
	struct sockaddr_in src, dst;
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	static char payload[64];
	struct timespec t0, t1;
	unsigned long count, sent = 0;
	uint64_t c0, c1;
	char *end;
	int fd;

	if (argc != 5)
		goto usage;
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	src.sin_family = dst.sin_family = AF_INET;
	errno = 0;
	count = strtoul(argv[4], &end, 10);
	if (inet_pton(AF_INET, argv[1], &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1 || errno || *end || !count ||
	    count > 1000000000ul)
		goto usage;
	dst.sin_port = htons((uint16_t)atoi(argv[3]));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		perror("bench_udp_flood: socket");
		return 1;
	}
	iov.iov_base = payload;
	iov.iov_len = sizeof(payload);
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	c0 = cpu_ns();
	while (sent < count) {
		unsigned int n = count - sent < BATCH ? (unsigned int)(count - sent) : BATCH;
		int r = sendmmsg(fd, msgs, n, 0);

		if (r < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == EINTR))
			continue;
		if (r < 0) {
			perror("bench_udp_flood: sendmmsg");
			return 1;
		}
		sent += (unsigned long)r;
	}
	c1 = cpu_ns();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("packets %lu wall_ns_per_packet %.1f cpu_ns_per_packet %.1f\n", sent,
	       (double)(ns_of(&t1) - ns_of(&t0)) / (double)sent, (double)(c1 - c0) / (double)sent);
	close(fd);
	return 0;
usage:
	fprintf(stderr, "usage: bench_udp_flood SRC DST PORT COUNT\n");
	return 2;
}

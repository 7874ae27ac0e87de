#!/bin/sh
# init.sh — PID 1 of the e2e initramfs (busybox sh).  Copied into the
# initramfs by build-initramfs.sh; runs in the guest only.
#
# Contract: mounts the host's / read-only over virtio-9p (tag hostroot) with
# a tmpfs overlay on top, binds the guest kernel's modules onto /lib/modules,
# mounts the writable results share (tag out) at the SAME absolute path it
# has on the host (kernel argument rag.out=), then switch_root's into the
# overlay and runs /rag-e2e/runner.sh, which sources rag.out/guest.env, runs
# the test script and writes its exit status to rag.out/exit_status.
# Any failure before that powers the guest off without a status file, which
# the host treats as a failed run.  PID 1 never exits (that would panic).
export PATH=/bin
die() {
	echo "rag-e2e init: $*"
	echo o > /proc/sysrq-trigger
	while :; do sleep 1; done
}
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /mods/order); do
	insmod "/mods/$m" || echo "rag-e2e init: insmod $m failed"
done
arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^$1=//p" | tail -n1; }
KMODS=$(arg rag.kmods)
OUT=$(arg rag.out)
[ -n "$OUT" ] || die "no rag.out= on the kernel command line"

# host / read-only; cache=loose is safe because nothing writes through it
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /lower ||
	die "9p mount of the host root failed"
mount -t tmpfs -o size=60% tmpfs /rw || die "tmpfs failed"
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot ||
	die "overlay mount failed"
R=/newroot
mount -t proc proc $R/proc
mount -t sysfs sys $R/sys
mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
# fresh /run: the host's /run/netns etc. are host mount points.  /tmp stays
# the host's (copy-on-write), so scripts kept there run too.
mount -t tmpfs tmpfs $R/run
if [ -n "$KMODS" ]; then
	mkdir -p $R/lib/modules
	mount --bind "/lower$KMODS" $R/lib/modules || die "cannot bind $KMODS"
fi
mkdir -p "$R$OUT"
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=512000 out "$R$OUT" ||
	die "9p mount of the results share failed"
mkdir -p $R/rag-e2e
cat > $R/rag-e2e/runner.sh <<EOR
#!/bin/sh
# runs as PID 1 in the switched root
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
cd /
echo "rag-e2e: guest up, kernel \$(uname -r), uptime \$(cut -d' ' -f1 /proc/uptime)s"
rc=98
if [ -r "$OUT/guest.env" ]; then
	. "$OUT/guest.env"
	export RAG_E2E_OUT="$OUT"
	# the script's own output already goes to the console (= host log)
	/bin/bash "\$RAG_E2E_SCRIPT" "\$@"
	rc=\$?
else
	echo "rag-e2e: $OUT/guest.env missing"
fi
echo "rag-e2e: script exit \$rc at uptime \$(cut -d' ' -f1 /proc/uptime)s"
echo \$rc > "$OUT/exit_status.tmp" && mv "$OUT/exit_status.tmp" "$OUT/exit_status"
sync
echo o > /proc/sysrq-trigger
while :; do sleep 1; done
EOR
# switch_root, not a chroot child: PID 1's root is what the kernel's module
# autoloader (request_module for crypto templates, xfrm algorithms) uses
exec switch_root -c /dev/console $R /bin/sh /rag-e2e/runner.sh

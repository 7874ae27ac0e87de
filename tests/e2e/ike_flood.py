#!/usr/bin/python3
"""ike_flood.py — hostile traffic for the e2e negative tests (runs in a netns).

  ike_flood.py init SERVER COUNT [WAIT [GAP_MS]]
      Sends COUNT well-formed IKE_SA_INIT requests (RFC 7296 1.2), GAP_MS
      milliseconds apart (default 0: a burst), round-robin over the source
      addresses in $FLOOD_SRCS (comma-separated; default: the kernel's
      choice; IPv6 when SERVER is an IPv6 address), each from
      its own UDP source port (a fresh socket per request), offering
      AES-GCM-16-256 / PRF-HMAC-SHA2-384 / Curve25519 with a valid KE and a
      Nonce, and never continues the exchange: COUNT half-open SAs.  Waits up
      to WAIT seconds (default 5) for answers and prints one line:
          sent=N answered=N cookie=N normal=N other=N
      cookie = responses carrying the COOKIE notify (16390, RFC 7296 2.6)
      normal = responses carrying SA, KE and Nonce
  ike_flood.py garbage SERVER COUNT
      Sends COUNT malformed datagrams to port 500 and COUNT to 4500: random
      bytes, truncated IKE headers, headers whose length field lies, IKE
      headers with unknown versions and exchange types, payload chains that
      run past the end, the non-ESP marker followed by garbage, random "ESP"
      with unknown SPIs, and NAT keepalives (0xff).  Prints how many replies
      came back (replies to garbage are allowed only as INVALID_SYNTAX-like
      notifies; the caller checks that the gateway keeps serving).
"""
import os
import select
import socket
import struct
import sys
import time

NOTIFY = 41
COOKIE = 16390


def transform(last, ttype, tid, attrs=b""):
    """One transform substructure (RFC 7296 3.3.2)."""
    body = struct.pack("!BBH", ttype, 0, tid) + attrs
    return struct.pack("!BBH", 0 if last else 3, 0, 4 + len(body)) + body


def ike_sa_init():
    """A complete IKE_SA_INIT request with a fresh SPIi, KE and Nonce."""
    keylen = struct.pack("!HH", 0x800E, 256)              # Key Length attribute, TV
    trans = (transform(False, 1, 20, keylen) +            # ENCR_AES_GCM_16, 256
             transform(False, 2, 6) +                     # PRF_HMAC_SHA2_384
             transform(True, 4, 31))                      # Curve25519 (RFC 8031)
    prop_body = struct.pack("!BBBB", 1, 1, 0, 3) + trans  # #1, IKE, no SPI, 3 transforms
    prop = struct.pack("!BBH", 0, 0, 4 + len(prop_body)) + prop_body
    sa = struct.pack("!BBH", 34, 0, 4 + len(prop)) + prop           # next: KE
    ke_body = struct.pack("!HH", 31, 0) + os.urandom(32)
    ke = struct.pack("!BBH", 40, 0, 4 + len(ke_body)) + ke_body     # next: Nonce
    nonce_data = os.urandom(32)
    nonce = struct.pack("!BBH", 0, 0, 4 + len(nonce_data)) + nonce_data
    body = sa + ke + nonce
    hdr = os.urandom(8) + bytes(8) + struct.pack("!BBBBII", 33, 0x20, 34, 0x08, 0, 28 + len(body))
    return hdr + body


def payload_types(msg):
    """(payload types, notify types) of an unencrypted IKE message."""
    types, notifies = [], []
    if len(msg) < 28:
        return types, notifies
    nxt, off = msg[16], 28
    while nxt != 0 and len(msg) - off >= 4:
        plen = struct.unpack("!H", msg[off + 2:off + 4])[0]
        if plen < 4 or len(msg) - off < plen:
            break
        types.append(nxt)
        if nxt == NOTIFY and plen >= 8:
            notifies.append(struct.unpack("!H", msg[off + 6:off + 8])[0])
        nxt, off = msg[off], off + plen
    return types, notifies


def flood_init(server, count, wait, gap_ms=0.0):
    socks = []
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    srcs = ([a for a in os.environ.get("FLOOD_SRCS", "").split(",") if a] or
            ["::" if fam == socket.AF_INET6 else "0.0.0.0"])
    for i in range(count):
        if i and gap_ms:
            time.sleep(gap_ms / 1000.0)
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((srcs[i % len(srcs)], 0))
        s.setblocking(False)
        s.sendto(ike_sa_init(), (server, 500))
        socks.append(s)
    answered = cookie = normal = other = 0
    pending = set(socks)
    deadline = time.monotonic() + wait
    while pending and time.monotonic() < deadline:
        r, _, _ = select.select(list(pending), [], [], max(0.0, deadline - time.monotonic()))
        for s in r:
            try:
                msg = s.recv(65535)
            except OSError:
                continue
            pending.discard(s)
            answered += 1
            types, notifies = payload_types(msg)
            if COOKIE in notifies:
                cookie += 1
            elif 33 in types and 34 in types and 40 in types:
                normal += 1
            else:
                other += 1
    for s in socks:
        s.close()
    print(f"sent={count} answered={answered} cookie={cookie} normal={normal} other={other}")


def garbage(server, count):
    def hdr(nxt, ver, xchg, flags, mid, length, spir=bytes(8)):
        return os.urandom(8) + spir + struct.pack("!BBBBII", nxt, ver, xchg, flags, mid, length)

    samples = [
        lambda: os.urandom(1 + os.urandom(1)[0]),                      # random bytes
        lambda: hdr(33, 0x20, 34, 0x08, 0, 28)[:27],                    # truncated header
        lambda: hdr(33, 0x20, 34, 0x08, 0, 0xFFFFFFFF) + os.urandom(40),  # length lies (too big)
        lambda: hdr(33, 0x20, 34, 0x08, 0, 20) + os.urandom(40),        # length lies (too small)
        lambda: hdr(33, 0x30, 34, 0x08, 0, 28),                         # major version 3
        lambda: hdr(33, 0x20, 250, 0x08, 0, 28),                        # unknown exchange
        lambda: hdr(33, 0x20, 34, 0x08, 0, 40) + struct.pack("!BBH", 0, 0, 0xFFF0) + bytes(8),  # payload runs past the end
        lambda: hdr(33, 0x20, 34, 0x08, 0, 36) + struct.pack("!BBH", 33, 0, 4) * 2,  # zero-length payload loop
        lambda: hdr(46, 0x20, 35, 0x08, 1, 28 + 40, os.urandom(8)) + os.urandom(40),  # SK for an unknown SA
        lambda: hdr(53, 0x20, 35, 0x08, 1, 28 + 16, os.urandom(8)) + struct.pack("!BBHHH", 0, 0, 8, 1, 50) + os.urandom(8),  # SKF, fragment 1 of 50
    ]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    sent = 0
    for i in range(count):
        m = samples[i % len(samples)]()
        s.sendto(m, (server, 500))
        k = i % 4
        if k == 0:
            m4 = bytes(4) + m                      # non-ESP marker + garbage
        elif k == 1:
            m4 = b"\xff"                           # NAT keepalive (RFC 3948 2.3)
        elif k == 2:
            m4 = os.urandom(4) + os.urandom(60)    # "ESP" with an unknown SPI
        else:
            m4 = bytes(3)                          # shorter than the marker
        s.sendto(m4, (server, 4500))
        sent += 2
        if i % 50 == 49:
            time.sleep(0.05)
    replies = 0
    s.setblocking(False)
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], 0.1)
        if r:
            try:
                s.recv(65535)
                replies += 1
            except OSError:
                pass
    print(f"sent={sent} replies={replies}")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    mode, server, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "init":
        flood_init(server, count, float(sys.argv[4]) if len(sys.argv) > 4 else 5.0,
                   float(sys.argv[5]) if len(sys.argv) > 5 else 0.0)
    elif mode == "garbage":
        garbage(server, count)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

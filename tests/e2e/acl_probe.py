#!/usr/bin/env python3
"""acl_probe.py — services and probes for ragd_acl.sh (access policy e2e).

  acl_probe.py serve TCP_PORTS UDP_PORTS
      Listen on every address: TCP ports (accept, answer "ok", close) and
      UDP ports (echo each datagram).  Ports comma-separated.  Runs until
      killed; prints "ready" once every socket is bound.
  acl_probe.py check [--timeout S] SPEC...
      SPEC = tcp:HOST:PORT | udp:HOST:PORT.  All probes run in parallel;
      one line per SPEC: "SPEC ok" (TCP connected / UDP answer received)
      or "SPEC fail".  Exit 0 (the caller compares).
  acl_probe.py flood HOST PORT N
      Send N UDP datagrams to HOST:PORT as fast as possible.
"""
import selectors
import socket
import sys
import threading


def serve(tcp_ports, udp_ports):
    sel = selectors.DefaultSelector()
    for p in tcp_ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", p))
        s.listen(64)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, "tcp")
    for p in udp_ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", p))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, "udp")
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            try:
                if key.data == "tcp":
                    c, _ = s.accept()
                    try:
                        c.sendall(b"ok\n")
                    finally:
                        c.close()
                else:
                    data, peer = s.recvfrom(2048)
                    s.sendto(data, peer)
            except OSError:
                pass


def probe(spec, timeout, out, i):
    proto, rest = spec.split(":", 1)
    host, port = rest.rsplit(":", 1)
    port = int(port)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    ok = False
    try:
        if proto == "tcp":
            with socket.socket(fam, socket.SOCK_STREAM) as s:
                s.settimeout(timeout)
                s.connect((host, port))
                ok = s.recv(16).startswith(b"ok")
        else:
            with socket.socket(fam, socket.SOCK_DGRAM) as s:
                s.settimeout(timeout)
                s.sendto(b"probe", (host, port))
                data, _ = s.recvfrom(64)
                ok = data == b"probe"
    except OSError:
        ok = False
    out[i] = "%s %s" % (spec, "ok" if ok else "fail")


def check(args):
    timeout = 3.0
    if args and args[0] == "--timeout":
        timeout = float(args[1])
        args = args[2:]
    out = [None] * len(args)
    ts = [threading.Thread(target=probe, args=(a, timeout, out, i)) for i, a in enumerate(args)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("\n".join(out))


def flood(host, port, n):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        for _ in range(n):
            s.sendto(b"x", (host, port))


def ports(text):
    return [int(p) for p in text.split(",") if p]


def main(argv):
    if len(argv) >= 3 and argv[0] == "serve":
        serve(ports(argv[1]), ports(argv[2]))
    elif argv and argv[0] == "check":
        check(argv[1:])
    elif len(argv) == 4 and argv[0] == "flood":
        flood(argv[1], int(argv[2]), int(argv[3]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A TCP proxy that counts connections: listen on loopback, forward every
accepted connection to one upstream address, byte for byte.

Put it in front of a server to count the TCP connections a tool opens,
whatever the server and the tool (no ss/conntrack needed):

    with CountProxy("127.0.0.1", 25) as p:
        run_tool(p.hostport)
        print(p.connections)

Standalone: count_proxy.py UPSTREAM_HOST UPSTREAM_PORT [--port N] prints
"READY <port>" and, on SIGINT/SIGTERM, "CONNECTIONS <n>".
"""

import argparse
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "fixtures"))
from fakebase import FakeServer, run_standalone  # noqa: E402


class CountProxy(FakeServer):
    """The proxy on a listening socket (tests/fixtures/fakebase.py)."""

    backlog = 256
    conn_timeout = None

    def __init__(self, upstream_host, upstream_port, host="127.0.0.1", port=0):
        self.upstream = (upstream_host, upstream_port)
        super().__init__(host, port)

    @property
    def connections(self):
        with self.lock:
            return self.accepted

    def reset(self):
        self.reset_counts()

    def handle(self, client):
        try:
            up = socket.create_connection(self.upstream, timeout=30)
        except OSError:
            return
        self.track(up)
        up.settimeout(None)
        for s in (client, up):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t = threading.Thread(target=self._pump, args=(up, client), daemon=True)
        t.start()
        self._pump(client, up)
        t.join()
        up.close()
        self.untrack(up)

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("upstream_host")
    ap.add_argument("upstream_port", type=int)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    p = CountProxy(args.upstream_host, args.upstream_port, port=args.port)
    return run_standalone(p, on_stop=lambda srv: print("CONNECTIONS %d" % srv.connections,
                                                       flush=True))


if __name__ == "__main__":
    sys.exit(main())

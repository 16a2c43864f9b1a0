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
import signal
import socket
import sys
import threading


class CountProxy:
    def __init__(self, upstream_host, upstream_port, host="127.0.0.1", port=0):
        self.upstream = (upstream_host, upstream_port)
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(256)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self._lock = threading.Lock()
        self._count = 0
        self._stopped = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    @property
    def hostport(self):
        return "%s:%d" % (self.host, self.port)

    @property
    def connections(self):
        with self._lock:
            return self._count

    def reset(self):
        with self._lock:
            self._count = 0

    def _accept_loop(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self._count += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        try:
            up = socket.create_connection(self.upstream, timeout=30)
        except OSError:
            client.close()
            return
        up.settimeout(None)
        client.settimeout(None)
        for s in (client, up):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t = threading.Thread(target=self._pump, args=(up, client), daemon=True)
        t.start()
        self._pump(client, up)
        t.join()
        for s in (client, up):
            try:
                s.close()
            except OSError:
                pass

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

    def stop(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("upstream_host")
    ap.add_argument("upstream_port", type=int)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    p = CountProxy(args.upstream_host, args.upstream_port, port=args.port)
    print("READY %d" % p.port, flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    print("CONNECTIONS %d" % p.connections, flush=True)
    p.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

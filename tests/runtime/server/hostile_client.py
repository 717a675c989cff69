"""Hostile clients for kf-server's tests and bench/hostile.sh.

  hostile_client.py PORT hold N SECONDS [PATH]   N connections, a third
      idle, a third half a request line, a third trickling a byte a second;
      then GET PATH (default /v2/health/ready; kube-sim's is /healthz) every
      0.2 s while they are held and print one JSON line: {"held": N,
      "answered": K, "failed": F, "p50_ms", "p99_ms", "max_ms"}. Exit 0
      (the caller judges the figures).
  hostile_client.py PORT raw FILE   sends FILE's bytes on one connection and
      prints what comes back until the server closes it (or 10 s pass:
      then the last line is "[still open]").
"""
import json
import socket
import sys
import threading
import time


def health(port, path):
    start = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: kf\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    return (time.monotonic() - start) * 1000 if data.startswith(b"HTTP/1.1 200") else None


def hold(port, n, seconds, path="/v2/health/ready"):
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        if i % 3 == 1:
            s.sendall(b"GET /v2/health/re")
        elif i % 3 == 2:
            s.sendall(b"POST /v2/models/model/infer HTTP/1.1\r\nHost: kf\r\nX-Slow: ")
        socks.append(s)
    stop = threading.Event()

    def trickle():
        while not stop.wait(1.0):
            for i, s in enumerate(socks):
                if i % 3 == 2:
                    try:
                        s.send(b"a")
                    except OSError:
                        pass

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    times, failed = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ms = health(port, path)
        if ms is None:
            failed += 1
        else:
            times.append(ms)
        time.sleep(0.2)
    stop.set()
    times.sort()
    pick = lambda q: round(times[min(len(times) - 1, int(q * len(times)))], 2) if times else None
    print(json.dumps({"held": n, "answered": len(times), "failed": failed, "p50_ms": pick(0.5),
                      "p99_ms": pick(0.99), "max_ms": round(times[-1], 2) if times else None}))
    for s in socks:
        s.close()


def raw(port, path):
    with open(path, "rb") as f:
        payload = f.read()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            s.sendall(payload)
        except OSError:
            pass  # the server may answer and close before taking it all
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            data += b"\r\n[still open]"
        except OSError as e:
            data += b"\r\n[" + str(e).encode() + b"]"
    sys.stdout.write(data.decode("utf-8", "replace").replace("\r\n", "\n") + "\n")


if __name__ == "__main__":
    port = int(sys.argv[1])
    if sys.argv[2] == "hold":
        hold(port, int(sys.argv[3]), float(sys.argv[4]), *sys.argv[5:6])
    else:
        raw(port, sys.argv[3])

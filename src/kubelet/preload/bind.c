/*
 * tinykube's bind rewrite, loaded into a container's processes with LD_PRELOAD.
 *
 * tinykube runs Pods as processes of the host, all in one network namespace. Each Pod has a
 * loopback address of its own (127.244.x.y, TINYKUBE_POD_IP) but no interfaces: a server that
 * binds 0.0.0.0:8080 takes port 8080 for the whole host, so a second replica fails with "Address
 * already in use", and one that binds 127.0.0.1 (meaning "only my own Pod") cannot be reached at
 * its Pod IP by the kubelet's port-forward, probes or the service proxy. In a real Pod, both
 * addresses mean "this Pod's network namespace"; here that namespace is the Pod IP. So:
 *
 * - bind() to 0.0.0.0 or 127.0.0.1 (and their IPv6 forms on a dual-stack socket) binds the Pod
 *   IP instead, same port. 127.0.0.1 is rewritten too because in a Pod it reaches only the
 *   Pod's own processes, which the Pod IP (a loopback address nothing else binds) also does.
 *   Each rewritten bind appends `tcp PORT` or `udp PORT` to the file TINYKUBE_POD_PORTS names,
 *   shared by the Pod's containers.
 * - connect(), sendto() and sendmsg() to 127.0.0.1:PORT go to the Pod IP only when that port is
 *   in the ports file, i.e. a process of the same Pod bound it (a sidecar talking to its main
 *   container over localhost). Everything else at 127.0.0.1 stays there: that is the host, and
 *   Pods reach tinykube's API server and other host services at 127.0.0.1, so a blanket rewrite
 *   would break every in-cluster client.
 * - connect(), sendto() and sendmsg() of an IPv4 socket the program left unbound, to any
 *   127.0.0.0/8 address (a Service's ClusterIP, another Pod, the host), bind it to the Pod IP
 *   first (port 0). The kernel's own choice of source towards loopback is 127.0.0.1 for every
 *   Pod alike; from the Pod IP, the peer sees which Pod called, as from a Pod's network
 *   namespace: the service proxy tells Pods apart for NetworkPolicy, and backends log the
 *   caller. Host services at 127.0.0.1 see the Pod IP too. IPv6 sockets keep the kernel's
 *   source (::1, or 127.0.0.1 for ::ffff:127.x.y.z on a dual-stack socket): a Pod has no IPv6
 *   address to bind.
 *
 * Without a valid TINYKUBE_POD_IP the library changes nothing. The calls it makes on the way
 * (getsockopt, setsockopt, getsockname, bind, open, read, write, close) are system calls without
 * locks or malloc, so it is safe in a child between fork() and exec() and in several threads at
 * once; errno is what the real call left.
 *
 * Not covered: statically linked programs (most Go binaries, anything linked with -static) never
 * go through the dynamic linker, so LD_PRELOAD does not reach them; Go's net package makes its
 * socket system calls itself even when the binary is dynamically linked. Nor are programs that
 * make raw system calls (syscall(), io_uring), glibc-internal callers of its private aliases,
 * setuid programs (the loader ignores LD_PRELOAD for them), or sendmmsg().
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

/* Defined by glibc's <dlfcn.h> only with _GNU_SOURCE, which would also turn the sockaddr
 * parameters of <sys/socket.h> into transparent unions that our definitions could not match. */
#ifndef RTLD_NEXT
#define RTLD_NEXT ((void *)-1l)
#endif

/* Linux >= 4.2; older headers lack it (the kernel then refuses it and the bind takes a port). */
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define EXPORT __attribute__((visibility("default")))

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);
typedef ssize_t (*sendto_fn)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);

static bind_fn real_bind;
static connect_fn real_connect;
static sendto_fn real_sendto;
static sendmsg_fn real_sendmsg;

/* Set once by setup(), read after `state` is READY (acquire). */
static int active;
static struct in_addr pod_ip;
static char ports_file[4096];

enum { UNSET, RUNNING, READY };
static int state = UNSET;

static void setup_now(void) {
  real_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");
  real_connect = (connect_fn)dlsym(RTLD_NEXT, "connect");
  real_sendto = (sendto_fn)dlsym(RTLD_NEXT, "sendto");
  real_sendmsg = (sendmsg_fn)dlsym(RTLD_NEXT, "sendmsg");

  /* Read once, before main() in practice (the constructor below): a program that changes its
   * environment later does not change what its sockets do. */
  const char *ip = getenv("TINYKUBE_POD_IP"), *ports = getenv("TINYKUBE_POD_PORTS");
  if (ip && inet_pton(AF_INET, ip, &pod_ip) == 1 && pod_ip.s_addr != htonl(INADDR_ANY)) active = 1;
  /* A path too long to copy means no ports file: binds are still rewritten. */
  if (ports && *ports && strlen(ports) < sizeof(ports_file)) memcpy(ports_file, ports, strlen(ports) + 1);
}

/* One thread sets up; any other that gets here meanwhile waits for it (microseconds, and only
 * ever before main() unless another library's constructor calls into us first). */
static void setup(void) {
  if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) == READY) return;
  int expected = UNSET;
  if (__atomic_compare_exchange_n(&state, &expected, RUNNING, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    int saved = errno;
    setup_now();
    errno = saved;
    __atomic_store_n(&state, READY, __ATOMIC_RELEASE);
    return;
  }
  while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != READY) sched_yield();
}

__attribute__((constructor)) static void tinykube_preload_init(void) { setup(); }

/* "tcp" or "udp" for the socket's type, NULL for any other (or not a socket). */
static const char *sock_proto(int fd) {
  int type = 0;
  socklen_t len = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return NULL;
  if (type == SOCK_STREAM) return "tcp";
  if (type == SOCK_DGRAM) return "udp";
  return NULL;
}

/* 1 for a dual-stack IPv6 socket, 0 for an IPv6-only one, -1 if unknown. */
static int dual_stack(int fd) {
  int v6only = 0;
  socklen_t len = sizeof(v6only);
  if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len) != 0) return -1;
  return v6only ? 0 : 1;
}

/* "tcp 8080\n" into buf (at least 16 bytes); returns its length. */
static size_t port_line(char *buf, const char *proto, unsigned port) {
  char digits[6];
  size_t n = 0, len = 0;
  do {
    digits[n++] = (char)('0' + port % 10);
    port /= 10;
  } while (port && n < sizeof(digits));
  memcpy(buf, proto, 3);
  len = 3;
  buf[len++] = ' ';
  while (n) buf[len++] = digits[--n];
  buf[len++] = '\n';
  return len;
}

/* Whether the ports file has the line `want` (newline included). Read in small pieces into the
 * stack: the file is short, but its size never decides how much memory this takes. A last line
 * without its newline yet (a write in progress) does not count. */
static int port_listed(const char *want, size_t wlen) {
  int fd;
  do fd = open(ports_file, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return 0;
  char buf[512];
  size_t col = 0;
  int matching = 1, found = 0;
  while (!found) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; i++) {
      char c = buf[i];
      if (matching && col < wlen && want[col] == c) {
        if (++col == wlen) {
          found = 1;
          break;
        }
      } else {
        matching = 0;
      }
      if (c == '\n') {
        col = 0;
        matching = 1;
      }
    }
  }
  close(fd);
  return found;
}

/* Appends `PROTO PORT` for a rewritten bind (port in network order; 0: the one the kernel chose).
 * One write() per line with O_APPEND: lines of concurrent writers never interleave. A port that
 * is listed already is not written again (a server re-binding, SO_REUSEPORT workers). */
static void record_port(int fd, in_port_t port) {
  if (!ports_file[0]) return;
  const char *proto = sock_proto(fd);
  if (!proto) return;
  if (port == 0) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return;
    if (ss.ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) port = ((struct sockaddr_in *)&ss)->sin_port;
    else if (ss.ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) port = ((struct sockaddr_in6 *)&ss)->sin6_port;
    if (port == 0) return;
  }
  char line[16];
  size_t n = port_line(line, proto, ntohs(port));
  if (port_listed(line, n)) return;
  int out;
  do out = open(ports_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  while (out < 0 && errno == EINTR);
  if (out < 0) return;
  while (write(out, line, n) < 0 && errno == EINTR) {
  }
  close(out);
}

static const unsigned char V4MAPPED_PREFIX[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int v6_is(const struct in6_addr *a, const struct in6_addr *b) { return memcmp(a, b, sizeof(*a)) == 0; }

/* ::ffff:a.b.c.d with a.b.c.d == v4 (network order). */
static int v6_is_mapped(const struct in6_addr *a, in_addr_t v4) {
  return memcmp(a->s6_addr, V4MAPPED_PREFIX, 12) == 0 && memcmp(a->s6_addr + 12, &v4, 4) == 0;
}

static void set_mapped(struct in6_addr *a, struct in_addr v4) {
  memcpy(a->s6_addr, V4MAPPED_PREFIX, 12);
  memcpy(a->s6_addr + 12, &v4.s_addr, 4);
}

EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  setup();
  if (!real_bind) {
    errno = ENOSYS;
    return -1;
  }
  if (!active || !addr || len < sizeof(sa_family_t)) return real_bind(fd, addr, len);
  int saved = errno, rc, err;

  if (addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
    struct sockaddr_in sin;
    memcpy(&sin, addr, sizeof(sin));
    if (sin.sin_addr.s_addr != htonl(INADDR_ANY) && sin.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) return real_bind(fd, addr, len);
    sin.sin_addr = pod_ip;
    rc = real_bind(fd, (struct sockaddr *)&sin, sizeof(sin));
    err = errno;
    if (rc == 0) {
      record_port(fd, sin.sin_port);
      err = saved;
    }
    errno = err;
    return rc;
  }

  if (addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 sin6;
    memcpy(&sin6, addr, sizeof(sin6));
    int any = v6_is(&sin6.sin6_addr, &in6addr_any), loopback = v6_is(&sin6.sin6_addr, &in6addr_loopback);
    int mapped = v6_is_mapped(&sin6.sin6_addr, htonl(INADDR_ANY)) || v6_is_mapped(&sin6.sin6_addr, htonl(INADDR_LOOPBACK));
    if (!any && !loopback && !mapped) return real_bind(fd, addr, len);
    int dual = dual_stack(fd);
    errno = saved;
    if (dual == 1) {
      set_mapped(&sin6.sin6_addr, pod_ip);
      sin6.sin6_scope_id = 0;
      rc = real_bind(fd, (struct sockaddr *)&sin6, sizeof(sin6));
      err = errno;
      if (rc == 0) {
        record_port(fd, sin6.sin6_port);
        err = saved;
      }
      errno = err;
      return rc;
    }
    if (dual == 0 && (any || loopback)) {
      /*
       * An IPv6-only socket on :: or ::1 (nginx's `listen [::]:80 ipv6only=on`, next to its
       * `listen 80`). The Pod has no IPv6 address of its own: binding the host's :: or ::1 at
       * this port would take it for the whole host, so the second replica of the Pod would fail
       * to start, and nothing outside the Pod could tell the replicas apart there anyway. The
       * socket gets an unreachable placeholder instead: ::1 on a port of the kernel's choosing,
       * which never collides and is not reachable from other hosts. The bind succeeds, so a
       * server that listens on both families starts and serves IPv4 at its Pod IP; a server that
       * listens on IPv6 only runs but cannot be reached. (Where ::1 is not configured, :: on an
       * ephemeral port: with IPv6 off on loopback it is off everywhere in practice.)
       */
      struct sockaddr_in6 ph;
      memset(&ph, 0, sizeof(ph));
      ph.sin6_family = AF_INET6;
      ph.sin6_addr = in6addr_loopback;
      rc = real_bind(fd, (struct sockaddr *)&ph, sizeof(ph));
      if (rc != 0 && errno == EADDRNOTAVAIL) {
        ph.sin6_addr = in6addr_any;
        rc = real_bind(fd, (struct sockaddr *)&ph, sizeof(ph));
      }
      if (rc == 0) errno = saved;
      return rc;
    }
    /* Unknown socket, or a v4-mapped address on an IPv6-only socket: the kernel's answer. */
    return real_bind(fd, addr, len);
  }

  return real_bind(fd, addr, len);
}

/*
 * The destination `addr` rewritten into `out` when it is this host's 127.0.0.1 (or ::1 or
 * ::ffff:127.0.0.1 on a dual-stack socket) at a port a process of this Pod bound: 1 then, 0 to
 * leave it as it is. errno is left as it was.
 */
static int pod_destination(int fd, const struct sockaddr *addr, socklen_t len, struct sockaddr_storage *out) {
  if (!active || !ports_file[0] || !addr || len < sizeof(sa_family_t)) return 0;
  int saved = errno, rewritten = 0;
  if (addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
    struct sockaddr_in sin;
    memcpy(&sin, addr, sizeof(sin));
    if (sin.sin_addr.s_addr == htonl(INADDR_LOOPBACK)) {
      const char *proto = sock_proto(fd);
      char line[16];
      if (proto && port_listed(line, port_line(line, proto, ntohs(sin.sin_port)))) {
        sin.sin_addr = pod_ip;
        memcpy(out, &sin, sizeof(sin));
        rewritten = 1;
      }
    }
  } else if (addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 sin6;
    memcpy(&sin6, addr, sizeof(sin6));
    if (v6_is(&sin6.sin6_addr, &in6addr_loopback) || v6_is_mapped(&sin6.sin6_addr, htonl(INADDR_LOOPBACK))) {
      const char *proto = dual_stack(fd) == 1 ? sock_proto(fd) : NULL;
      char line[16];
      if (proto && port_listed(line, port_line(line, proto, ntohs(sin6.sin6_port)))) {
        set_mapped(&sin6.sin6_addr, pod_ip);
        sin6.sin6_scope_id = 0;
        memcpy(out, &sin6, sizeof(sin6));
        rewritten = 1;
      }
    }
  }
  errno = saved;
  return rewritten;
}

static socklen_t family_len(const struct sockaddr_storage *ss) {
  return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/*
 * Before a connect or send to `dst` (the address the real call gets): an IPv4 socket of this Pod
 * that is still unbound (0.0.0.0, port 0), headed for 127.0.0.0/8, is bound to the Pod IP so the
 * peer sees the Pod rather than 127.0.0.1. Only datagram sockets, and stream sockets when
 * `stream` says the call connects one (connect, or sendto with MSG_FASTOPEN). Sockets the
 * program bound itself, connected ones (a second connect() after EINPROGRESS finds the address
 * the first one took), other families (AF_UNIX, IPv6) and AF_UNSPEC disconnects are left alone.
 * A stream socket gets IP_BIND_ADDRESS_NO_PORT first: the port is then chosen by connect() for
 * the whole address pair, as without the bind. A port that bind() chooses is found by a scan for
 * the address alone, and until the socket's TIME_WAIT ends no connect() of the host that lets
 * the kernel pick its port may have it: a Pod opening connections quickly would run the whole
 * host out of ports. A bind that fails changes nothing: the call goes ahead from the kernel's
 * source. errno is left as it was.
 */
static void bind_pod_source(int fd, const struct sockaddr *dst, socklen_t len, int stream) {
  if (!active || !real_bind || !dst || len < sizeof(struct sockaddr_in) || dst->sa_family != AF_INET) return;
  struct sockaddr_in to;
  memcpy(&to, dst, sizeof(to));
  if ((ntohl(to.sin_addr.s_addr) >> 24) != 127) return;
  int saved = errno, type = 0;
  socklen_t tlen = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || !(type == SOCK_DGRAM || (stream && type == SOCK_STREAM))) {
    errno = saved;
    return;
  }
  struct sockaddr_storage ss;
  socklen_t slen = sizeof(ss);
  memset(&ss, 0, sizeof(ss));
  if (getsockname(fd, (struct sockaddr *)&ss, &slen) == 0 && ss.ss_family == AF_INET && slen >= sizeof(struct sockaddr_in)) {
    const struct sockaddr_in *self = (const struct sockaddr_in *)&ss;
    if (self->sin_port == 0 && self->sin_addr.s_addr == htonl(INADDR_ANY)) {
      if (type == SOCK_STREAM) {
        int one = 1;
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
      }
      struct sockaddr_in src;
      memset(&src, 0, sizeof(src));
      src.sin_family = AF_INET;
      src.sin_addr = pod_ip;
      real_bind(fd, (struct sockaddr *)&src, sizeof(src));
    }
  }
  errno = saved;
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len) {
  setup();
  if (!real_connect) {
    errno = ENOSYS;
    return -1;
  }
  struct sockaddr_storage to;
  if (pod_destination(fd, addr, len, &to)) {
    bind_pod_source(fd, (struct sockaddr *)&to, family_len(&to), 1);
    return real_connect(fd, (struct sockaddr *)&to, family_len(&to));
  }
  bind_pod_source(fd, addr, len, 1);
  return real_connect(fd, addr, len);
}

EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len) {
  setup();
  if (!real_sendto) {
    errno = ENOSYS;
    return -1;
  }
  struct sockaddr_storage to;
  int connects = (flags & MSG_FASTOPEN) != 0;
  if (pod_destination(fd, addr, len, &to)) {
    bind_pod_source(fd, (struct sockaddr *)&to, family_len(&to), connects);
    return real_sendto(fd, buf, n, flags, (struct sockaddr *)&to, family_len(&to));
  }
  bind_pod_source(fd, addr, len, connects);
  return real_sendto(fd, buf, n, flags, addr, len);
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
  setup();
  if (!real_sendmsg) {
    errno = ENOSYS;
    return -1;
  }
  struct sockaddr_storage to;
  int connects = (flags & MSG_FASTOPEN) != 0;
  if (msg && pod_destination(fd, (const struct sockaddr *)msg->msg_name, msg->msg_namelen, &to)) {
    /* The caller's msghdr is const: send a copy that names the Pod IP. */
    struct msghdr copy = *msg;
    copy.msg_name = &to;
    copy.msg_namelen = family_len(&to);
    bind_pod_source(fd, (struct sockaddr *)&to, copy.msg_namelen, connects);
    return real_sendmsg(fd, &copy, flags);
  }
  if (msg) bind_pod_source(fd, (const struct sockaddr *)msg->msg_name, msg->msg_namelen, connects);
  return real_sendmsg(fd, msg, flags);
}

// The built-in catalogue: the images everyone uses in examples, tutorials, charts and upstream's
// e2e tests, each as the host's own program with what the image's config says (Docker Hub's
// official images and registry.k8s.io: their ENTRYPOINT, CMD, ENV, WORKDIR, USER, VOLUME,
// EXPOSE, STOPSIGNAL). An entry is used when its programs are on this host; where an image has
// several possible programs (MariaDB or MySQL, the apache2 of Debian or the httpd of others),
// the first alternative whose programs are all found wins.
//
// The official images start through a `docker-entrypoint.sh` that prepends the server when the
// first argument is an option (`args: ["--appendonly", "yes"]` runs `redis-server --appendonly
// yes`) and initialises an empty data directory; the entries' entrypoints are small sh scripts
// that do the same, so manifests written for those images behave alike. Servers are left to
// bind their usual wildcard address and port: the node agent's bind rewrite (src/kubelet/preload)
// moves it to the Pod's IP, as a Pod's network namespace would. State goes to the image's VOLUME
// paths, which the node agent gives each container privately inside its Pod's sandbox.
import type { ImageEntry } from './image-map.js';

/** A catalogue entry: an image entry plus the host programs it needs (looked up on PATH; SELF: tinykube itself). */
export interface CatalogueEntry extends ImageEntry {
  needs: string[];
}

/** argv[0] `@tinykube`: tinykube's own executable (with its script, when run by node). */
export const SELF = '@tinykube';

/**
 * An image's docker-entrypoint.sh, reduced to what a manifest can observe: options as the first
 * argument go to `server`; `init` (sh) runs first when the server is what starts.
 */
function entrypoint(server: string, init = ''): Pick<ImageEntry, 'entrypoint' | 'paths'> {
  const script = `if [ "\${1#-}" != "$1" ]; then set -- ${server} "$@"; fi\n${init ? `if [ "$1" = ${server} ]; then\n${init}\nfi\n` : ''}exec "$@"`;
  const argv = ['sh', '-c', script, 'docker-entrypoint.sh'];
  // Manifests that name the script (`command: ["docker-entrypoint.sh", "postgres"]`) get it too.
  return { entrypoint: argv, paths: { 'docker-entrypoint.sh': argv, '/usr/local/bin/docker-entrypoint.sh': argv } };
}

// PostgreSQL's docker-entrypoint.sh: an empty PGDATA gets initdb with POSTGRES_USER /
// POSTGRES_PASSWORD (refused without one unless POSTGRES_HOST_AUTH_METHOD=trust, as the image
// does), connections from any address with a password, and POSTGRES_DB created.
const POSTGRES_INIT = `if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    echo 'Error: Database is uninitialized and superuser password is not specified.' >&2
    echo '       You must specify POSTGRES_PASSWORD to a non-empty value for the superuser.' >&2
    echo '       For example, "-e POSTGRES_PASSWORD=password" on "docker run".' >&2
    exit 1
  fi
  pw="$(mktemp)"; printf '%s\\n' "$POSTGRES_PASSWORD" > "$pw"
  initdb --username="\${POSTGRES_USER:-postgres}" --pwfile="$pw" $POSTGRES_INITDB_ARGS -D "$PGDATA" >/dev/null || exit 1
  rm -f "$pw"
  printf '\\nhost all all all %s\\n' "\${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >> "$PGDATA/pg_hba.conf"
  db="\${POSTGRES_DB:-\${POSTGRES_USER:-postgres}}"
  if [ "$db" != postgres ]; then
    postgres --single -D "$PGDATA" -c listen_addresses= postgres <<EOF >/dev/null || exit 1
CREATE DATABASE "$db";
EOF
  fi
  echo 'PostgreSQL init process complete; ready for start up.'
fi
set -- "$@" -c listen_addresses="\${TINYKUBE_POD_IP:-*}" -c unix_socket_directories=/var/run/postgresql`;

// MariaDB's (and MySQL's) docker-entrypoint.sh: an empty datadir is initialised (the init file
// takes one statement per line), the root
// password set from MARIADB_ROOT_PASSWORD / MYSQL_ROOT_PASSWORD (or allowed empty), and
// MARIADB_DATABASE / MARIADB_USER / MARIADB_PASSWORD (MYSQL_*) created.
function mysqlInit(install: string): string {
  return `if [ ! -d /var/lib/mysql/mysql ]; then
  root="\${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}"
  if [ -z "$root" ] && [ -z "\${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-$MYSQL_ALLOW_EMPTY_PASSWORD}" ] && [ -z "\${MARIADB_RANDOM_ROOT_PASSWORD:-$MYSQL_RANDOM_ROOT_PASSWORD}" ]; then
    echo 'error: database is uninitialized and password option is not specified' >&2
    echo '  You need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD' >&2
    exit 1
  fi
  ${install} >/dev/null || exit 1
  db="\${MARIADB_DATABASE:-$MYSQL_DATABASE}"; user="\${MARIADB_USER:-$MYSQL_USER}"; pass="\${MARIADB_PASSWORD:-$MYSQL_PASSWORD}"
  init=/var/lib/mysql/.tinykube-init.sql
  {
    echo "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$root';"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$root';"
    if [ -n "$db" ]; then echo "CREATE DATABASE IF NOT EXISTS \\\`$db\\\`;"; fi
    if [ -n "$user" ]; then echo "CREATE USER '$user'@'%' IDENTIFIED BY '$pass';"; fi
    if [ -n "$user" ] && [ -n "$db" ]; then echo "GRANT ALL ON \\\`$db\\\`.* TO '$user'@'%';"; fi
  } > "$init"
  set -- "$@" --init-file="$init"
fi
set -- "$@" --datadir=/var/lib/mysql --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid --bind-address="\${TINYKUBE_POD_IP:-0.0.0.0}" --user="$(id -un)"`;
}

const MARIADB: Omit<CatalogueEntry, 'image'> = {
  ...entrypoint(
    'mariadbd',
    mysqlInit('mariadb-install-db --datadir=/var/lib/mysql --auth-root-authentication-method=normal --skip-test-db'),
  ),
  cmd: ['mariadbd'],
  user: 'mysql',
  volumes: ['/var/lib/mysql', '/run/mysqld'],
  ports: [3306],
  needs: ['mariadbd', 'mariadb-install-db'],
};

const PAUSE = ['sh', '-c', 'trap "exit 0" INT TERM; while :; do sleep 86400 & wait $!; done', '/pause'];

export const CATALOGUE: CatalogueEntry[] = [
  // busybox and alpine: a shell and the host's coreutils.
  { image: 'busybox', cmd: ['sh'], needs: ['sh'] },
  { image: 'alpine', cmd: ['/bin/sh'], needs: ['sh'] },
  { image: 'debian', cmd: ['bash'], needs: ['bash'] },
  { image: 'ubuntu', cmd: ['/bin/bash'], needs: ['bash'] },
  {
    image: 'nginx',
    ...entrypoint('nginx'),
    cmd: ['nginx', '-g', 'daemon off;'],
    volumes: ['/var/cache/nginx', '/var/log/nginx'],
    ports: [80],
    stopSignal: 'SIGQUIT',
    needs: ['nginx'],
  },
  // httpd-foreground where a host has it; Debian's apache2 through apache2ctl, which reads its envvars.
  { image: 'httpd', cmd: ['httpd-foreground'], ports: [80], stopSignal: 'SIGWINCH', needs: ['httpd-foreground'] },
  { image: 'httpd', cmd: ['apache2ctl', '-D', 'FOREGROUND'], ports: [80], stopSignal: 'SIGWINCH', needs: ['apache2ctl', 'apache2'] },
  { image: 'httpd', cmd: ['httpd', '-D', 'FOREGROUND'], ports: [80], stopSignal: 'SIGWINCH', needs: ['httpd'] },
  {
    image: 'redis',
    ...entrypoint('redis-server'),
    cmd: ['redis-server'],
    workingDir: '/data',
    volumes: ['/data'],
    ports: [6379],
    needs: ['redis-server'],
  },
  {
    image: 'valkey/valkey',
    ...entrypoint('valkey-server'),
    cmd: ['valkey-server'],
    workingDir: '/data',
    volumes: ['/data'],
    ports: [6379],
    needs: ['valkey-server'],
  },
  // memcached refuses to run as root: the image runs it as its own user.
  { image: 'memcached', ...entrypoint('memcached'), cmd: ['memcached'], user: 'nobody', ports: [11211], needs: ['memcached'] },
  {
    image: 'postgres',
    ...entrypoint('postgres', POSTGRES_INIT),
    cmd: ['postgres'],
    env: { PGDATA: '/var/lib/postgresql/data' },
    user: 'postgres',
    volumes: ['/var/lib/postgresql/data', '/var/run/postgresql'],
    ports: [5432],
    stopSignal: 'SIGINT',
    needs: ['postgres', 'initdb'],
  },
  { image: 'mariadb', ...MARIADB },
  // MySQL's image on a host with MariaDB (whose mysqld is MariaDB's): the same protocol and files.
  { image: 'mysql', ...MARIADB },
  {
    image: 'mysql',
    ...entrypoint('mysqld', mysqlInit('mysqld --initialize-insecure --datadir=/var/lib/mysql')),
    cmd: ['mysqld'],
    user: 'mysql',
    volumes: ['/var/lib/mysql', '/run/mysqld'],
    ports: [3306, 33060],
    needs: ['mysqld'],
  },
  { image: 'python', cmd: ['python3'], needs: ['python3'] },
  { image: 'node', cmd: ['node'], needs: ['node'] },
  // pause: sleeps until told to stop, then exits 0 (registry.k8s.io/pause's /pause).
  { image: 'registry.k8s.io/pause', entrypoint: PAUSE, paths: { '/pause': PAUSE }, needs: ['sh', 'sleep'] },
  // agnhost is built into tinykube (src/agnhost): upstream's e2e tests run it everywhere.
  {
    image: 'registry.k8s.io/e2e-test-images/agnhost',
    entrypoint: [SELF, 'agnhost'],
    cmd: ['pause'],
    paths: { '/agnhost': [SELF, 'agnhost'], agnhost: [SELF, 'agnhost'] },
    needs: [SELF],
  },
];

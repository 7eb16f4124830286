// The tsbpf command, compiled: what bin/tsbpf (a sh script) does, without a shell or a stat(1)
// process (~1.5-2 ms of every run). Built by native/binding.gyp as native/build/Release/tsbpf;
// bin/tsbpf execs it when it is there, and setup links it as /usr/local/bin/tsbpf.
//
// It starts node from tsbpf's start-up snapshot (dist/bundle/cli.snapshot) when the blob can be
// trusted and this node made it, else bin/tsbpf.js. The rules are bin/tsbpf's, exactly (see its
// comments and docs/security.md): the blob is a regular file (not a symlink) owned by the effective
// user, in a directory the effective user owns, neither writable by group or others; the node about
// to run it (the first `node` in PATH, as bin/tsbpf finds it) has the inode, ctime and size written
// in dist/bundle/cli.snapshot.node when the blob was built. TSBPF_NO_SNAPSHOT (non-empty) runs
// bin/tsbpf.js; NODE_EXTRA_CA_CERTS is moved to TSBPF_NODE_EXTRA_CA_CERTS for node's start-up
// (runtime/compile/launch.ts gives it back).
//
// The tree is found from this executable's real path (/proc/self/exe): TREE/native/build/Release/tsbpf.
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "tsbpf: %s\n", what);
  exit(127);
}

static char *concat(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 1;
  char *p = malloc(n);
  if (!p) die("out of memory");
  snprintf(p, n, "%s%s", a, b);
  return p;
}

/** "/a/b/c" -> "/a/b" (in place). */
static void parent(char *path) {
  char *slash = strrchr(path, '/');
  if (!slash) die("cannot find the tsbpf tree");
  if (slash == path) slash[1] = '\0';
  else *slash = '\0';
}

/**
 * The node `#!/usr/bin/env node` would run, as bin/tsbpf finds it: the first PATH entry holding a
 * regular file `node` that the effective user may execute (an empty entry is the current directory;
 * a trailing empty one is no entry, as the shell splits PATH). NULL when there is none.
 */
static char *find_node(void) {
  const char *path = getenv("PATH");
  if (!path) return NULL;
  for (const char *p = path; *p;) {
    const char *end = strchr(p, ':');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char *dir = len ? strndup(p, len) : strdup(".");
    if (!dir) die("out of memory");
    char *candidate = concat(dir, "/node");
    free(dir);
    struct stat st;
    if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode) && faccessat(AT_FDCWD, candidate, X_OK, AT_EACCESS) == 0) return candidate;
    free(candidate);
    if (!end) break;
    p = end + 1;
  }
  return NULL;
}

/** Neither group nor others may write it. */
static int not_shared(const struct stat *st) { return (st->st_mode & 022) == 0; }

/** The first line of `path` without surrounding blanks, as `read -r` gives it; NULL when unreadable or not a whole line. */
static char *first_line(const char *path) {
  FILE *f = fopen(path, "re");
  if (!f) return NULL;
  char buf[256];
  char *line = fgets(buf, sizeof buf, f);
  fclose(f);
  if (!line) return NULL;
  char *nl = strchr(line, '\n');
  if (!nl) return NULL;
  *nl = '\0';
  while (*line == ' ' || *line == '\t') line++;
  size_t n = strlen(line);
  while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t')) line[--n] = '\0';
  return strdup(line);
}

/** Whether node may run the blob: bin/tsbpf's rules. */
static int snapshot_trusted(const char *snapshot, const char *bundle, const char *node) {
  const char *off = getenv("TSBPF_NO_SNAPSHOT");
  if (off && *off) return 0;
  struct stat blob, dir, bin;
  uid_t euid = geteuid();
  if (lstat(snapshot, &blob) != 0 || !S_ISREG(blob.st_mode) || blob.st_uid != euid) return 0;
  if (stat(bundle, &dir) != 0 || dir.st_uid != euid) return 0;
  char *stamp = concat(bundle, "/cli.snapshot.node");
  char *built_by = first_line(stamp);
  free(stamp);
  if (!built_by) return 0;
  int ok = 0;
  if (stat(node, &bin) == 0 && not_shared(&blob) && not_shared(&dir)) {
    char identity[96];
    snprintf(identity, sizeof identity, "%llu:%lld:%lld", (unsigned long long)bin.st_ino, (long long)bin.st_ctim.tv_sec, (long long)bin.st_size);
    ok = strcmp(identity, built_by) == 0;
  }
  free(built_by);
  return ok;
}

int main(int argc, char **argv) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe);
  // A path that fills the buffer may have been cut short: no guessing.
  if (n <= 0 || (size_t)n >= sizeof exe) die("cannot find the tsbpf tree (/proc/self/exe)");
  exe[n] = '\0';
  // TREE/native/build/Release/tsbpf -> TREE
  for (int i = 0; i < 4; i++) parent(exe);
  const char *root = exe;

  // node's start-up reads NODE_EXTRA_CA_CERTS's whole file (~30 ms); tsbpf does no TLS.
  const char *ca = getenv("NODE_EXTRA_CA_CERTS");
  if (ca) {
    if (setenv("TSBPF_NODE_EXTRA_CA_CERTS", ca, 1) != 0) die("cannot set the environment");
    unsetenv("NODE_EXTRA_CA_CERTS");
  }

  char *node = find_node();
  char *bundle = concat(root, "/dist/bundle");
  char *snapshot = concat(bundle, "/cli.snapshot");
  char **args = calloc((size_t)argc + 5, sizeof *args);
  if (!args) die("out of memory");
  int k = 0;
  args[k++] = node ? node : "node";
  if (node && snapshot_trusted(snapshot, bundle, node)) {
    args[k++] = "--snapshot-blob";
    args[k++] = snapshot;
    args[k++] = "--";
    args[k++] = bundle;
  } else {
    args[k++] = concat(root, "/bin/tsbpf.js");
  }
  for (int i = 1; i < argc; i++) args[k++] = argv[i];
  args[k] = NULL;
  if (node) execv(node, args);
  else execvp("node", args);
  fprintf(stderr, "tsbpf: cannot run %s: ", args[0]);
  perror(NULL);
  return 127;
}

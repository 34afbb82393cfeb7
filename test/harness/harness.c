/*
 * harness.c - plays Fluent Bit's Go output proxy for out_k8saudit.so (or any Go output
 * plugin built on fluent-bit-go), so that the end-to-end tests can drive the real .so
 * without Fluent Bit.
 *
 * Build:  cc -O2 -Wall -Wextra -o harness test/harness/harness.c -ldl
 *         (glibc >= 2.34 has pthreads in libc; on older systems add -pthread)
 *
 * What it mirrors, read in fluent/fluent-bit src/flb_plugin_proxy.c, src/proxy/go/go.c,
 * src/flb_output.c, src/flb_api.c and fluent-bit-go's output package:
 *   - dlopen(path, RTLD_LAZY); symbols are looked up with dlerror() cleared first.
 *   - FLBPluginPreRegister(hot_reloading=0) if exported (-1 = failure), then
 *     FLBPluginRegister(def) with def calloc'ed and def->type preset to the output type;
 *     the plugin must answer proxy=FLB_PROXY_GOLANG (11), type=FLB_PROXY_OUTPUT_PLUGIN (2).
 *   - FLBPluginInit is required; FLBPluginFlush, FLBPluginFlushCtx, FLBPluginExit,
 *     FLBPluginExitCtx are optional. FlushCtx is preferred over Flush, ExitCtx over Exit
 *     (never both).
 *   - ONE struct flbgo_output_plugin per loaded .so, shared by every [OUTPUT] instance:
 *     before each instance's Init the host rewrites its api, o_ins and context fields
 *     (so a plugin that keeps that pointer past Init reads the last instance's config).
 *     Each instance has its own struct flb_plugin_proxy_context {remote_context, proxy}.
 *     Init returning <= 0 is a failure: Fluent Bit exits; the harness exits 3.
 *   - The config callback api->output_get_property(key, o_ins) matches keys
 *     case-insensitively and returns the first value set (NULL when absent, NULL for a
 *     key set to the empty string). ${VAR} is expanded from the environment when the
 *     property is set. Keys the host keeps for itself (match, alias, host, port, workers,
 *     retry_limit, tls, tls.*, net.*, storage.*, ...) are never visible to the plugin.
 *   - After every Init, FLBPluginOutputPreRun(enable_hot_reload=0) per instance if
 *     exported (its result is ignored, as the host ignores it).
 *   - Flush: data and a tag copy are passed in buffers the host owns and frees right after
 *     the call returns; return values other than FLB_OK/FLB_ERROR/FLB_RETRY count as
 *     FLB_ERROR. The harness poisons (0xAA) and frees both after every call, or with -g
 *     maps the chunk read-only with a guard page behind it and unmaps it after the call.
 *   - Flushes run on the init thread by default, on one worker thread with -T (workers 1),
 *     or on N threads at once with -j N (workers N: one instance flushes several chunks
 *     concurrently with the same context, never the same chunk twice at once).
 *   - Shutdown, per instance: FLBPluginOutputPreExit(0) if exported, then
 *     FLBPluginExitCtx(remote_context) or else FLBPluginExit(); then once per .so
 *     FLBPluginUnregister(def) if exported, and dlclose.
 *   - Chunks built from -l are what tail writes: one event per line,
 *     [[EventTime, {}], {"log": line}], EventTime = ext type 0 (uint32 BE seconds, uint32
 *     BE nanoseconds), 32-bit array headers for the event and its header (v4) or short ones
 *     (-S, v5), 32-bit map headers for the metadata and record maps, cut at ~2,048,000
 *     bytes (-m) as the host cuts its chunks.
 *
 * Everything the harness says goes to stderr: stdout belongs to the plugin.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define FLB_ERROR 0
#define FLB_OK 1
#define FLB_RETRY 2

#define FLB_PROXY_OUTPUT_PLUGIN 2
#define FLB_PROXY_GOLANG 11

#define DEFAULT_CHUNK_MAX 2048000u /* FLB_INPUT_CHUNK_FS_MAX_SIZE */

#define EXIT_OK 0
#define EXIT_FLUSH_FAILED 1
#define EXIT_USAGE 2
#define EXIT_INIT 3

/* ---------------------------------------------------------------- host ABI -- */

/* flb_plugin_proxy_def as the host allocates it: fluent-bit-go fills the first five
 * fields; recent hosts read more (config_map, event_type), calloc keeps them zero. */
struct flb_plugin_proxy_def {
    int type;
    int proxy;
    int flags;
    char *name;
    char *description;
    void *config_map;
    int event_type;
};

/* struct flb_api in the host's layout (include/fluent-bit/flb_api.h). fluent-bit-go's
 * output package only calls the first member; the others get harmless stubs. */
struct flb_api {
    char *(*output_get_property)(char *, void *);
    char *(*input_get_property)(char *, void *);
    void *(*output_get_cmt_instance)(void *);
    void *(*input_get_cmt_instance)(void *);
    void (*log_print)(int, const char *, int, const char *, ...);
    int (*input_log_check)(void *, int);
    int (*output_log_check)(void *, int);
    char *(*custom_get_property)(char *, void *);
    int (*custom_log_check)(void *, int);
    void *output_get_all_properties;
};

struct flb_plugin_proxy_context {
    void *remote_context;
    void *proxy;
};

struct flbgo_output_plugin {
    void *_;
    struct flb_api *api;
    void *o_ins;
    struct flb_plugin_proxy_context *context;
};

typedef int (*pre_register_fn)(int);
typedef int (*register_fn)(void *);
typedef int (*init_fn)(void *);
typedef int (*flush_fn)(void *, int, char *);
typedef int (*flush_ctx_fn)(void *, void *, int, char *);
typedef int (*exit_fn)(void);
typedef int (*exit_ctx_fn)(void *);
typedef int (*unregister_fn)(void *);
typedef int (*pre_run_fn)(int);
typedef void (*pre_exit_fn)(int);

/* ------------------------------------------------------------------ state -- */

struct prop {
    char *key;
    char *val; /* NULL when set to "" (the host stores no value then) */
};

struct instance {
    int id;
    char *name; /* the [OUTPUT] name: selects the plugin, never passed to it */
    struct prop *props;
    size_t nprops, cap;
    struct flb_plugin_proxy_context *ctx;
    int initialised;
    /* counters */
    unsigned long chunks, ok, error, gave_up, retries, flushes, invalid;
    unsigned long long records;
};

enum src_kind { SRC_LOG, SRC_CHUNK };

struct source {
    enum src_kind kind;
    const char *path;
};

struct harness {
    const char *so_path;
    const char *tag;
    int max_retries;
    int wait_ms;
    int repeat;
    int guard;
    int short_headers;
    int worker_thread;
    int jobs; /* -j: flush threads working concurrently, as workers N */
    int verbose;
    size_t chunk_max;

    struct instance *inst;
    size_t ninst;
    struct source *src;
    size_t nsrc;

    void *dso;
    struct flb_plugin_proxy_def *def;
    struct flbgo_output_plugin *plugin;
    struct flb_api api;
    init_fn cb_init;
    flush_fn cb_flush;
    flush_ctx_fn cb_flush_ctx;
    exit_fn cb_exit;
    exit_ctx_fn cb_exit_ctx;
    unregister_fn cb_unregister;
    pre_run_fn cb_pre_run;
    pre_exit_fn cb_pre_exit;

    uint64_t clock_ns; /* EventTime of the next generated record */
    int io_failed;     /* a source could not be read */
    size_t page;
};

static struct harness H;

/* Guards the counters and the quarantine when several threads flush (-j). */
static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;

/* ---------------------------------------------------------------- helpers -- */

static void die(int code, const char *fmt, ...)
{
    va_list ap;
    fputs("harness: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(code);
}

static void note(const char *fmt, ...)
{
    va_list ap;
    fputs("harness: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die(EXIT_FLUSH_FAILED, "out of memory (%zu bytes)", n);
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die(EXIT_FLUSH_FAILED, "out of memory (%zu bytes)", n);
    return q;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t more)
{
    size_t need, cap;
    if (more > SIZE_MAX - b->len)
        die(EXIT_FLUSH_FAILED, "buffer size overflow");
    need = b->len + more;
    if (need <= b->cap)
        return;
    cap = b->cap ? b->cap : 4096;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

static void buf_put(struct buf *b, const void *src, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void buf_u8(struct buf *b, uint8_t v) { buf_put(b, &v, 1); }

static void buf_be32(struct buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    buf_put(b, x, 4);
}

static void buf_be16(struct buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    buf_put(b, x, 2);
}

/* Reads a whole file (or pipe) into memory. Returns 0 on success. */
static int read_all(const char *path, uint8_t **out, size_t *outlen)
{
    FILE *f = fopen(path, "rb");
    struct buf b = {0};
    if (!f) {
        note("cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    for (;;) {
        size_t n;
        buf_reserve(&b, 1 << 20);
        n = fread(b.p + b.len, 1, b.cap - b.len, f);
        b.len += n;
        if (n == 0) {
            if (ferror(f)) {
                note("cannot read %s: %s", path, strerror(errno));
                fclose(f);
                free(b.p);
                return -1;
            }
            break;
        }
    }
    fclose(f);
    *out = b.p ? b.p : xmalloc(1);
    *outlen = b.len;
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts;
    if (ms <= 0)
        return;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static int parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* ------------------------------------------------------------ properties -- */

/* The host's config callback: o_ins is our struct instance. */
static char *cb_output_get_property(char *key, void *o_ins)
{
    struct instance *in = o_ins;
    size_t i;
    if (!key || !in)
        return NULL;
    for (i = 0; i < in->nprops; i++)
        if (strcasecmp(in->props[i].key, key) == 0)
            return in->props[i].val;
    return NULL;
}

static char *cb_input_get_property(char *key, void *ins)
{
    (void)key;
    (void)ins;
    return NULL;
}

static void *cb_get_cmt(void *ins)
{
    (void)ins;
    return NULL;
}

static void cb_log_print(int level, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "harness: [plugin log level %d %s:%d] ", level, file ? file : "?", line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt ? fmt : "", ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int cb_log_check(void *ins, int level)
{
    (void)ins;
    (void)level;
    return 1;
}

/* ${VAR} expansion as flb_env_var_translate does: unknown variables become "". */
static char *expand_env(const char *v)
{
    struct buf b = {0};
    const char *p = v;
    while (*p) {
        const char *end;
        if (p[0] == '$' && p[1] == '{' && (end = strchr(p + 2, '}')) != NULL) {
            char *name = xstrndup(p + 2, (size_t)(end - p - 2));
            const char *val = getenv(name);
            free(name);
            if (val)
                buf_put(&b, val, strlen(val));
            p = end + 1;
            continue;
        }
        buf_u8(&b, (uint8_t)*p++);
    }
    buf_u8(&b, 0);
    return (char *)b.p;
}

static int host_key(const char *k)
{
    static const char *exact[] = {"match", "match_regex", "alias", "log_level",
                                  "log_suppress_interval", "host", "port", "ipv6",
                                  "retry_limit", "workers", "tls", "keepalive",
                                  "keepalive_timeout", NULL};
    static const char *prefix[] = {"tls.", "net.", "storage.", NULL};
    int i;
    for (i = 0; exact[i]; i++)
        if (strcasecmp(k, exact[i]) == 0)
            return 1;
    for (i = 0; prefix[i]; i++)
        if (strncasecmp(k, prefix[i], strlen(prefix[i])) == 0)
            return 1;
    return 0;
}

static void add_property(struct instance *in, const char *kv)
{
    const char *eq = strchr(kv, '=');
    char *key, *val;
    if (!eq || eq == kv) {
        fprintf(stderr, "harness: -p wants key=value, got '%s'\n", kv);
        exit(EXIT_USAGE);
    }
    key = xstrndup(kv, (size_t)(eq - kv));
    if (strcasecmp(key, "name") == 0) {
        if (!in->name)
            in->name = xstrndup(eq + 1, strlen(eq + 1));
        free(key);
        return;
    }
    if (host_key(key)) {
        note("instance %d: '%s' is a key the host keeps for itself: not passed to the plugin",
             in->id, key);
        free(key);
        return;
    }
    val = expand_env(eq + 1);
    if (val[0] == '\0') {
        free(val);
        val = NULL;
    }
    if (in->nprops == in->cap) {
        in->cap = in->cap ? in->cap * 2 : 8;
        in->props = xrealloc(in->props, in->cap * sizeof(*in->props));
    }
    in->props[in->nprops].key = key;
    in->props[in->nprops].val = val;
    in->nprops++;
}

static struct instance *new_instance(void)
{
    struct instance *in;
    H.inst = xrealloc(H.inst, (H.ninst + 1) * sizeof(*H.inst));
    in = &H.inst[H.ninst];
    memset(in, 0, sizeof(*in));
    in->id = (int)H.ninst + 1;
    H.ninst++;
    return in;
}

/* -------------------------------------------------------------- msgpack -- */

static int rd(size_t n, size_t off, size_t want)
{
    return off <= n && want <= n - off;
}

static uint64_t be(const uint8_t *p, int w)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < w; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Skips one msgpack object at *off. Returns 0, or -1 if truncated or invalid. */
static int mp_skip(const uint8_t *p, size_t n, size_t *off, int depth)
{
    size_t o = *off;
    uint8_t c;
    uint64_t len = 0, items = 0;
    int w;
    if (depth > 1000 || !rd(n, o, 1))
        return -1;
    c = p[o++];
    if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
        *off = o;
        return 0;
    }
    if (c >= 0xa0 && c <= 0xbf) {
        len = c & 0x1f;
        goto skipbytes;
    }
    if (c >= 0x90 && c <= 0x9f) {
        items = c & 0x0f;
        goto skipitems;
    }
    if (c >= 0x80 && c <= 0x8f) {
        items = (uint64_t)(c & 0x0f) * 2;
        goto skipitems;
    }
    switch (c) {
    case 0xc4: case 0xc5: case 0xc6: /* bin 8/16/32 */
    case 0xd9: case 0xda: case 0xdb: /* str 8/16/32 */
        w = (c == 0xc4 || c == 0xd9) ? 1 : (c == 0xc5 || c == 0xda) ? 2 : 4;
        if (!rd(n, o, (size_t)w))
            return -1;
        len = be(p + o, w);
        o += (size_t)w;
        goto skipbytes;
    case 0xc7: case 0xc8: case 0xc9: /* ext 8/16/32 */
        w = c == 0xc7 ? 1 : c == 0xc8 ? 2 : 4;
        if (!rd(n, o, (size_t)w))
            return -1;
        len = be(p + o, w) + 1; /* type byte */
        o += (size_t)w;
        goto skipbytes;
    case 0xca: len = 4; goto skipbytes;
    case 0xcb: len = 8; goto skipbytes;
    case 0xcc: case 0xd0: len = 1; goto skipbytes;
    case 0xcd: case 0xd1: len = 2; goto skipbytes;
    case 0xce: case 0xd2: len = 4; goto skipbytes;
    case 0xcf: case 0xd3: len = 8; goto skipbytes;
    case 0xd4: len = 2; goto skipbytes;
    case 0xd5: len = 3; goto skipbytes;
    case 0xd6: len = 5; goto skipbytes;
    case 0xd7: len = 9; goto skipbytes;
    case 0xd8: len = 17; goto skipbytes;
    case 0xdc: case 0xdd: case 0xde: case 0xdf:
        w = (c == 0xdc || c == 0xde) ? 2 : 4;
        if (!rd(n, o, (size_t)w))
            return -1;
        items = be(p + o, w);
        if (c >= 0xde)
            items *= 2;
        o += (size_t)w;
        goto skipitems;
    default: /* 0xc1 */
        return -1;
    }
skipbytes:
    if (len > n || !rd(n, o, (size_t)len))
        return -1;
    *off = o + (size_t)len;
    return 0;
skipitems:
    if (items > n - o) /* every item takes at least one byte */
        return -1;
    while (items--) {
        if (mp_skip(p, n, &o, depth + 1) != 0)
            return -1;
    }
    *off = o;
    return 0;
}

/* Counts the top-level objects (events) of a chunk; *bad gets the offset where parsing
 * stopped, or n when the chunk is a clean sequence. */
static unsigned long long mp_count(const uint8_t *p, size_t n, size_t *bad)
{
    size_t off = 0;
    unsigned long long count = 0;
    while (off < n) {
        if (mp_skip(p, n, &off, 0) != 0) {
            *bad = off;
            return count;
        }
        count++;
    }
    *bad = n;
    return count;
}

static void mp_str(struct buf *b, const uint8_t *s, size_t len)
{
    if (len < 32) {
        buf_u8(b, (uint8_t)(0xa0 | len));
    } else if (len <= 0xff) {
        buf_u8(b, 0xd9);
        buf_u8(b, (uint8_t)len);
    } else if (len <= 0xffff) {
        buf_u8(b, 0xda);
        buf_be16(b, (uint16_t)len);
    } else if ((uint64_t)len <= 0xffffffffu) {
        buf_u8(b, 0xdb);
        buf_be32(b, (uint32_t)len);
    } else {
        die(EXIT_FLUSH_FAILED, "line too long for msgpack (%zu bytes)", len);
    }
    buf_put(b, s, len);
}

/* Appends one tail event [[EventTime, {}], {"log": line}]. */
static void mp_tail_event(struct buf *b, const uint8_t *line, size_t len)
{
    uint64_t t = H.clock_ns;
    H.clock_ns += 1000; /* distinct, increasing record times */
    if (H.short_headers) {
        buf_u8(b, 0x92);
        buf_u8(b, 0x92);
    } else {
        buf_u8(b, 0xdd);
        buf_be32(b, 2);
        buf_u8(b, 0xdd);
        buf_be32(b, 2);
    }
    buf_u8(b, 0xd7); /* fixext8 */
    buf_u8(b, 0x00); /* type 0: EventTime */
    buf_be32(b, (uint32_t)(t / 1000000000u));
    buf_be32(b, (uint32_t)(t % 1000000000u));
    buf_u8(b, 0xdf); /* metadata: map32, empty */
    buf_be32(b, 0);
    buf_u8(b, 0xdf); /* record: map32 with one key, as tail writes it */
    buf_be32(b, 1);
    mp_str(b, (const uint8_t *)"log", 3);
    mp_str(b, line, len);
}

/* ---------------------------------------------------------------- flushing -- */

struct chunk_mem {
    void *map; /* guard mode: the whole mapping */
    size_t maplen;
    void *data;
};

static void chunk_alloc(struct chunk_mem *m, const uint8_t *src, size_t len)
{
    memset(m, 0, sizeof(*m));
    if (!H.guard) {
        m->data = xmalloc(len);
        if (len)
            memcpy(m->data, src, len);
        return;
    }
    {
        size_t pages = (len + H.page - 1) / H.page * H.page;
        uint8_t *base;
        if (pages == 0)
            pages = H.page;
        m->maplen = pages + H.page; /* + a guard page behind the data */
        base = mmap(NULL, m->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED)
            die(EXIT_FLUSH_FAILED, "mmap %zu bytes: %s", m->maplen, strerror(errno));
        m->map = base;
        m->data = base + (pages - len); /* the chunk ends where the guard page starts */
        if (len)
            memcpy(m->data, src, len);
        if (mprotect(base + pages, H.page, PROT_NONE) != 0 ||
            mprotect(base, pages, PROT_READ) != 0)
            die(EXIT_FLUSH_FAILED, "mprotect: %s", strerror(errno));
    }
}

/* Released chunks stay poisoned (or inaccessible, with -g) in a small quarantine before
 * their memory is really given back: otherwise the allocator hands the same address to
 * the next chunk and a pointer kept past the call silently reads the next chunk's bytes. */
#define QUARANTINE 4
static struct chunk_mem quarantine[QUARANTINE];
static size_t quarantine_next;

static void chunk_free_now(struct chunk_mem *m)
{
    if (H.guard) {
        if (m->map && munmap(m->map, m->maplen) != 0)
            die(EXIT_FLUSH_FAILED, "munmap: %s", strerror(errno));
    } else {
        free(m->data);
    }
    memset(m, 0, sizeof(*m));
}

static void chunk_release(struct chunk_mem *m, size_t len)
{
    struct chunk_mem *slot;
    if (H.guard) {
        /* a pointer kept past the call now faults */
        if (mprotect(m->map, m->maplen, PROT_NONE) != 0)
            die(EXIT_FLUSH_FAILED, "mprotect: %s", strerror(errno));
    } else {
        memset(m->data, 0xAA, len); /* a pointer kept past the call now reads garbage */
    }
    pthread_mutex_lock(&stats_mu);
    slot = &quarantine[quarantine_next];
    chunk_free_now(slot);
    *slot = *m;
    quarantine_next = (quarantine_next + 1) % QUARANTINE;
    pthread_mutex_unlock(&stats_mu);
}

static void quarantine_drain(void)
{
    size_t i;
    for (i = 0; i < QUARANTINE; i++)
        chunk_free_now(&quarantine[i]);
}

static const char *rc_name(int rc)
{
    switch (rc) {
    case FLB_OK: return "FLB_OK";
    case FLB_ERROR: return "FLB_ERROR";
    case FLB_RETRY: return "FLB_RETRY";
    default: return "invalid";
    }
}

static int flush_once(struct instance *in, const uint8_t *chunk, size_t len)
{
    struct chunk_mem m;
    size_t taglen = strlen(H.tag);
    char *tag = xmalloc(taglen + 1);
    int rc;
    memcpy(tag, H.tag, taglen + 1);
    chunk_alloc(&m, chunk, len);
    if (H.cb_flush_ctx)
        rc = H.cb_flush_ctx(in->ctx->remote_context, m.data, (int)len, tag);
    else
        rc = H.cb_flush(m.data, (int)len, tag);
    memset(tag, 0xAA, taglen + 1);
    free(tag);
    chunk_release(&m, len);
    pthread_mutex_lock(&stats_mu);
    in->flushes++;
    if (rc != FLB_OK && rc != FLB_RETRY && rc != FLB_ERROR) {
        note("instance %d: flush returned %d, not a valid return code: taken as FLB_ERROR",
             in->id, rc);
        in->invalid++;
        rc = FLB_ERROR;
    }
    pthread_mutex_unlock(&stats_mu);
    return rc;
}

/* One chunk to one instance: flush, then re-flush on FLB_RETRY up to -r times. */
static void flush_with_retries(struct instance *in, const uint8_t *chunk, size_t len,
                               unsigned long long records, unsigned long chunk_no)
{
    int attempt, rc;
    pthread_mutex_lock(&stats_mu);
    in->chunks++;
    in->records += records;
    pthread_mutex_unlock(&stats_mu);
    for (attempt = 0;; attempt++) {
        rc = flush_once(in, chunk, len);
        if (H.verbose)
            note("instance %d: chunk %lu (%zu bytes, %llu records) attempt %d: %s", in->id,
                 chunk_no, len, records, attempt + 1, rc_name(rc));
        if (rc != FLB_RETRY)
            break;
        pthread_mutex_lock(&stats_mu);
        in->retries++;
        pthread_mutex_unlock(&stats_mu);
        if (attempt >= H.max_retries)
            break;
        sleep_ms(H.wait_ms);
    }
    pthread_mutex_lock(&stats_mu);
    if (rc == FLB_OK) {
        in->ok++;
    } else if (rc == FLB_ERROR) {
        in->error++;
        note("instance %d: chunk %lu (%llu records) ended FLB_ERROR: the host drops it",
             in->id, chunk_no, records);
    } else {
        in->gave_up++;
        note("instance %d: chunk %lu (%llu records) still FLB_RETRY after %d re-flushes",
             in->id, chunk_no, records, H.max_retries);
    }
    pthread_mutex_unlock(&stats_mu);
}

static unsigned long chunk_counter;

/* -j: a bounded queue of (chunk, instance) tasks served by H.jobs flush threads. A chunk
 * is shared by the tasks of every instance and freed by the last one. As in Fluent Bit,
 * one instance may flush several chunks at once, but never one chunk twice at once. */
struct shared_chunk {
    uint8_t *p;
    size_t len;
    unsigned long long records;
    unsigned long no;
    size_t refs;
};

struct task {
    struct shared_chunk *c;
    struct instance *in;
};

static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_nonempty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_nonfull = PTHREAD_COND_INITIALIZER;
static struct task *q;
static size_t q_cap, q_head, q_len;
static int q_closed;

static void q_push(struct task t)
{
    pthread_mutex_lock(&q_mu);
    while (q_len == q_cap)
        pthread_cond_wait(&q_nonfull, &q_mu);
    q[(q_head + q_len) % q_cap] = t;
    q_len++;
    pthread_cond_signal(&q_nonempty);
    pthread_mutex_unlock(&q_mu);
}

static void *flush_worker(void *arg)
{
    (void)arg;
    for (;;) {
        struct task t;
        int rep, last;
        pthread_mutex_lock(&q_mu);
        while (q_len == 0 && !q_closed)
            pthread_cond_wait(&q_nonempty, &q_mu);
        if (q_len == 0) {
            pthread_mutex_unlock(&q_mu);
            return NULL;
        }
        t = q[q_head];
        q_head = (q_head + 1) % q_cap;
        q_len--;
        pthread_cond_signal(&q_nonfull);
        pthread_mutex_unlock(&q_mu);
        for (rep = 0; rep < H.repeat; rep++)
            flush_with_retries(t.in, t.c->p, t.c->len, t.c->records, t.c->no);
        pthread_mutex_lock(&q_mu);
        last = --t.c->refs == 0;
        pthread_mutex_unlock(&q_mu);
        if (last) {
            free(t.c->p);
            free(t.c);
        }
    }
}

static void flush_chunk(const uint8_t *chunk, size_t len, unsigned long long records)
{
    int rep;
    size_t i;
    if (len > (size_t)INT_MAX)
        die(EXIT_FLUSH_FAILED, "chunk of %zu bytes does not fit the int length argument", len);
    chunk_counter++;
    if (H.jobs > 0) {
        struct shared_chunk *c = xmalloc(sizeof(*c));
        c->p = xmalloc(len);
        if (len)
            memcpy(c->p, chunk, len);
        c->len = len;
        c->records = records;
        c->no = chunk_counter;
        c->refs = H.ninst;
        for (i = 0; i < H.ninst; i++) {
            struct task t;
            t.c = c;
            t.in = &H.inst[i];
            q_push(t);
        }
        return;
    }
    for (rep = 0; rep < H.repeat; rep++)
        for (i = 0; i < H.ninst; i++)
            flush_with_retries(&H.inst[i], chunk, len, records, chunk_counter);
}

static void run_log_source(const char *path)
{
    uint8_t *data;
    size_t len, pos = 0;
    struct buf chunk = {0}, ev = {0};
    unsigned long long in_chunk = 0;
    if (read_all(path, &data, &len) != 0) {
        H.io_failed = 1;
        return;
    }
    while (pos < len) {
        const uint8_t *line = data + pos;
        const uint8_t *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + (nl ? 1 : 0);
        if (ll > 0 && line[ll - 1] == '\r')
            ll--;
        if (ll == 0)
            continue; /* empty lines give no record */
        ev.len = 0;
        mp_tail_event(&ev, line, ll);
        if (chunk.len > 0 && chunk.len + ev.len > H.chunk_max) {
            flush_chunk(chunk.p, chunk.len, in_chunk);
            chunk.len = 0;
            in_chunk = 0;
        }
        buf_put(&chunk, ev.p, ev.len);
        in_chunk++;
    }
    if (chunk.len > 0)
        flush_chunk(chunk.p, chunk.len, in_chunk);
    free(chunk.p);
    free(ev.p);
    free(data);
}

static void run_chunk_source(const char *path)
{
    uint8_t *data;
    size_t len, bad;
    unsigned long long n;
    if (read_all(path, &data, &len) != 0) {
        H.io_failed = 1;
        return;
    }
    n = mp_count(data, len, &bad);
    if (bad != len)
        note("%s: not a clean msgpack sequence at byte %zu of %zu (%llu complete events "
             "before it): flushed as it is", path, bad, len, n);
    flush_chunk(data, len, n);
    free(data);
}

static void *run_sources(void *arg)
{
    size_t i;
    (void)arg;
    for (i = 0; i < H.nsrc; i++) {
        if (H.src[i].kind == SRC_LOG)
            run_log_source(H.src[i].path);
        else
            run_chunk_source(H.src[i].path);
    }
    return NULL;
}

/* ------------------------------------------------------------------ setup -- */

static void *sym(const char *name)
{
    void *s;
    dlerror();
    s = dlsym(H.dso, name);
    if (dlerror() != NULL)
        return NULL;
    return s;
}

/* dlsym gives an object pointer; POSIX guarantees it converts to a function pointer. */
#define LOAD(var, name)                                                                  \
    do {                                                                                 \
        void *s_ = sym(name);                                                            \
        memcpy(&(var), &s_, sizeof(var));                                                \
    } while (0)

static void usage(FILE *f)
{
    fputs(
        "usage: harness [options] PLUGIN.so\n"
        "Plays Fluent Bit's Go output proxy: loads PLUGIN.so, registers it, initialises one\n"
        "output instance per -o with its properties, flushes every chunk to every instance\n"
        "(re-flushing on FLB_RETRY), then runs the exit callbacks as the host does.\n"
        "\n"
        "instances:\n"
        "  -o             start a new output instance ([OUTPUT] section); one is implicit\n"
        "  -p key=value   property of the current instance (repeatable; first value of a key\n"
        "                 wins; ${VAR} expanded; host keys like workers/match are not passed)\n"
        "input (in command-line order, repeatable):\n"
        "  -l FILE        audit log: one record {\"log\": line} per non-empty line, as tail\n"
        "                 makes them, cut into chunks of at most -m bytes\n"
        "  -c FILE        a captured chunk file, flushed as it is\n"
        "flushing:\n"
        "  -t TAG         tag passed to flush (default kube.audit)\n"
        "  -r N           re-flushes of one chunk after FLB_RETRY (default 5)\n"
        "  -w MS          wait between re-flushes in ms (default 100)\n"
        "  -x N           flush each chunk N times in a row (default 1)\n"
        "  -m BYTES       chunk size cap for -l (default 2048000)\n"
        "  -S             short array headers for -l events (as v5; default 32-bit as v4)\n"
        "  -g             guard mode: chunk mapped read-only with a guard page after it and\n"
        "                 unmapped after the call (default: poisoned with 0xAA and freed)\n"
        "  -T             flush from a worker thread (as workers 1), not the init thread\n"
        "  -j N           N flush threads at once (as workers N): one instance flushes\n"
        "                 several chunks concurrently with the same context\n"
        "  -v             one line per flush on stderr\n"
        "  -h             this help\n"
        "\n"
        "stderr gets one line per instance:\n"
        "  harness: instance N: chunks=C ok=O retry=R error=E records=N flushes=F gave_up=G\n"
        "  (retry counts FLB_RETRY answers; gave_up counts chunks still FLB_RETRY at the end)\n"
        "exit status: 0 every chunk ended FLB_OK on every instance; 1 a chunk ended FLB_ERROR\n"
        "or stayed FLB_RETRY (or an input could not be read); 2 usage; 3 the plugin could not\n"
        "be loaded, registered or initialised (Fluent Bit would exit)\n",
        f);
}

static void parse_args(int argc, char **argv)
{
    int c, touched = 0;
    long v;
    struct instance *cur;
    H.tag = "kube.audit";
    H.max_retries = 5;
    H.wait_ms = 100;
    H.repeat = 1;
    H.chunk_max = DEFAULT_CHUNK_MAX;
    cur = new_instance();
    opterr = 0;
    while ((c = getopt(argc, argv, ":op:l:c:t:r:w:x:m:j:SgTvh")) != -1) {
        switch (c) {
        case 'o':
            /* the first -o names the implicit instance when nothing was set on it yet */
            if (touched)
                cur = new_instance();
            touched = 1;
            break;
        case 'p':
            add_property(cur, optarg);
            touched = 1;
            break;
        case 'l':
        case 'c':
            H.src = xrealloc(H.src, (H.nsrc + 1) * sizeof(*H.src));
            H.src[H.nsrc].kind = c == 'l' ? SRC_LOG : SRC_CHUNK;
            H.src[H.nsrc].path = optarg;
            H.nsrc++;
            if (access(optarg, R_OK) != 0) {
                fprintf(stderr, "harness: -%c %s: %s\n", c, optarg, strerror(errno));
                exit(EXIT_USAGE);
            }
            break;
        case 't':
            H.tag = optarg;
            break;
        case 'r':
            if (parse_int(optarg, 0, 1000000, &v) != 0)
                goto bad;
            H.max_retries = (int)v;
            break;
        case 'w':
            if (parse_int(optarg, 0, 3600000, &v) != 0)
                goto bad;
            H.wait_ms = (int)v;
            break;
        case 'x':
            if (parse_int(optarg, 1, 1000000, &v) != 0)
                goto bad;
            H.repeat = (int)v;
            break;
        case 'm':
            if (parse_int(optarg, 1, INT_MAX, &v) != 0)
                goto bad;
            H.chunk_max = (size_t)v;
            break;
        case 'j':
            if (parse_int(optarg, 1, 64, &v) != 0)
                goto bad;
            H.jobs = (int)v;
            break;
        case 'S':
            H.short_headers = 1;
            break;
        case 'g':
            H.guard = 1;
            break;
        case 'T':
            H.worker_thread = 1;
            break;
        case 'v':
            H.verbose = 1;
            break;
        case 'h':
            usage(stdout);
            exit(EXIT_OK);
        case ':':
            fprintf(stderr, "harness: option -%c needs a value\n", optopt);
            usage(stderr);
            exit(EXIT_USAGE);
        default:
            fprintf(stderr, "harness: unknown option -%c\n", optopt);
            usage(stderr);
            exit(EXIT_USAGE);
        }
        continue;
    bad:
        fprintf(stderr, "harness: bad value for -%c: '%s'\n", c, optarg);
        exit(EXIT_USAGE);
    }
    if (optind != argc - 1) {
        fprintf(stderr, "harness: %s\n", optind >= argc ? "the plugin .so is missing" : "one plugin .so, after the options");
        usage(stderr);
        exit(EXIT_USAGE);
    }
    H.so_path = argv[optind];
}

/* Shutdown as the host does it: per instance PreExit + ExitCtx (or Exit), then
 * Unregister once, then dlclose. */
static void shutdown_plugin(void)
{
    size_t i;
    for (i = 0; i < H.ninst; i++) {
        struct instance *in = &H.inst[i];
        if (!in->initialised)
            continue;
        if (H.cb_pre_exit)
            H.cb_pre_exit(0);
        if (H.cb_exit_ctx)
            H.cb_exit_ctx(in->ctx->remote_context);
        else if (H.cb_exit)
            H.cb_exit();
        in->initialised = 0;
    }
    if (H.cb_unregister)
        H.cb_unregister(H.def);
    free(H.def);
    H.def = NULL;
    free(H.plugin);
    H.plugin = NULL;
    dlclose(H.dso);
    H.dso = NULL;
}

static int instance_name_mismatch(struct instance *in)
{
    /* "name" selects the plugin in an [OUTPUT] section; the host consumes it. */
    return in->name && strcasecmp(in->name, H.def->name) != 0;
}

int main(int argc, char **argv)
{
    size_t i;
    int status = EXIT_OK;
    pre_register_fn cb_pre_register;
    register_fn cb_register;
    long pg;
    struct timespec now;

    parse_args(argc, argv);
    pg = sysconf(_SC_PAGESIZE);
    H.page = pg > 0 ? (size_t)pg : 4096;
    clock_gettime(CLOCK_REALTIME, &now);
    H.clock_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;

    H.dso = dlopen(H.so_path, RTLD_LAZY);
    if (!H.dso)
        die(EXIT_INIT, "error opening plugin %s: '%s'", H.so_path, dlerror());

    LOAD(cb_pre_register, "FLBPluginPreRegister");
    if (cb_pre_register && cb_pre_register(0) == -1)
        die(EXIT_INIT, "FLBPluginPreRegister failed");
    LOAD(cb_register, "FLBPluginRegister");
    if (!cb_register)
        die(EXIT_INIT, "%s does not export FLBPluginRegister", H.so_path);
    H.def = calloc(1, sizeof(*H.def));
    if (!H.def)
        die(EXIT_INIT, "out of memory");
    H.def->type = FLB_PROXY_OUTPUT_PLUGIN;
    if (cb_register(H.def) == -1)
        die(EXIT_INIT, "FLBPluginRegister failed");
    if (H.def->proxy != FLB_PROXY_GOLANG || H.def->type != FLB_PROXY_OUTPUT_PLUGIN)
        die(EXIT_INIT, "FLBPluginRegister set proxy=%d type=%d, not a Go output plugin "
                       "(proxy=%d type=%d)", H.def->proxy, H.def->type, FLB_PROXY_GOLANG,
            FLB_PROXY_OUTPUT_PLUGIN);
    if (!H.def->name || !H.def->name[0])
        die(EXIT_INIT, "FLBPluginRegister set no name");
    note("registered '%s' (%s)", H.def->name, H.def->description ? H.def->description : "");

    LOAD(H.cb_init, "FLBPluginInit");
    if (!H.cb_init)
        die(EXIT_INIT, "[go proxy]: could not load FLBPluginInit symbol");
    LOAD(H.cb_flush, "FLBPluginFlush");
    LOAD(H.cb_flush_ctx, "FLBPluginFlushCtx");
    LOAD(H.cb_exit, "FLBPluginExit");
    LOAD(H.cb_exit_ctx, "FLBPluginExitCtx");
    LOAD(H.cb_unregister, "FLBPluginUnregister");
    LOAD(H.cb_pre_run, "FLBPluginOutputPreRun");
    LOAD(H.cb_pre_exit, "FLBPluginOutputPreExit");
    if (!H.cb_flush && !H.cb_flush_ctx)
        die(EXIT_INIT, "%s exports neither FLBPluginFlushCtx nor FLBPluginFlush", H.so_path);

    H.api.output_get_property = cb_output_get_property;
    H.api.input_get_property = cb_input_get_property;
    H.api.output_get_cmt_instance = cb_get_cmt;
    H.api.input_get_cmt_instance = cb_get_cmt;
    H.api.log_print = cb_log_print;
    H.api.input_log_check = cb_log_check;
    H.api.output_log_check = cb_log_check;
    H.api.custom_get_property = cb_input_get_property;
    H.api.custom_log_check = cb_log_check;

    /* One flbgo_output_plugin per .so, rewritten before each instance's Init. */
    H.plugin = calloc(1, sizeof(*H.plugin));
    if (!H.plugin)
        die(EXIT_INIT, "out of memory");
    for (i = 0; i < H.ninst; i++) {
        struct instance *in = &H.inst[i];
        int rc;
        if (instance_name_mismatch(in)) {
            note("instance %d: name '%s' is not the registered plugin '%s'", in->id,
                 in->name, H.def->name);
            shutdown_plugin();
            exit(EXIT_INIT);
        }
        in->ctx = calloc(1, sizeof(*in->ctx));
        if (!in->ctx)
            die(EXIT_INIT, "out of memory");
        in->ctx->proxy = H.def;
        H.plugin->api = &H.api;
        H.plugin->o_ins = in;
        H.plugin->context = in->ctx;
        rc = H.cb_init(H.plugin);
        if (rc <= 0) {
            note("[go proxy]: plugin '%s' failed to initialize (instance %d, FLBPluginInit "
                 "returned %d): Fluent Bit would exit", H.def->name, in->id, rc);
            shutdown_plugin();
            exit(EXIT_INIT);
        }
        in->initialised = 1;
        if (H.cb_flush_ctx && !in->ctx->remote_context)
            note("instance %d: FLBPluginInit set no context: FLBPluginFlushCtx will get NULL",
                 in->id);
    }
    if (H.cb_pre_run)
        for (i = 0; i < H.ninst; i++)
            H.cb_pre_run(0);

    if (H.jobs > 0) {
        pthread_t *th = xmalloc((size_t)H.jobs * sizeof(*th));
        int j, err;
        q_cap = (size_t)H.jobs * 2;
        q = xmalloc(q_cap * sizeof(*q));
        for (j = 0; j < H.jobs; j++)
            if ((err = pthread_create(&th[j], NULL, flush_worker, NULL)) != 0)
                die(EXIT_FLUSH_FAILED, "pthread_create: %s", strerror(err));
        run_sources(NULL);
        pthread_mutex_lock(&q_mu);
        q_closed = 1;
        pthread_cond_broadcast(&q_nonempty);
        pthread_mutex_unlock(&q_mu);
        for (j = 0; j < H.jobs; j++)
            pthread_join(th[j], NULL);
        free(th);
        free(q);
    } else if (H.worker_thread) {
        pthread_t th;
        int err = pthread_create(&th, NULL, run_sources, NULL);
        if (err != 0)
            die(EXIT_FLUSH_FAILED, "pthread_create: %s", strerror(err));
        pthread_join(th, NULL);
    } else {
        run_sources(NULL);
    }

    shutdown_plugin();
    quarantine_drain();

    for (i = 0; i < H.ninst; i++) {
        struct instance *in = &H.inst[i];
        size_t k;
        fprintf(stderr,
                "harness: instance %d: chunks=%lu ok=%lu retry=%lu error=%lu records=%llu "
                "flushes=%lu gave_up=%lu\n",
                in->id, in->chunks, in->ok, in->retries, in->error, in->records, in->flushes,
                in->gave_up);
        if (in->error || in->gave_up)
            status = EXIT_FLUSH_FAILED;
        for (k = 0; k < in->nprops; k++) {
            free(in->props[k].key);
            free(in->props[k].val);
        }
        free(in->props);
        free(in->name);
        free(in->ctx);
    }
    if (H.io_failed)
        status = EXIT_FLUSH_FAILED;
    free(H.inst);
    free(H.src);
    return status;
}

/* mock_media.c - result files: a hand-made PNG encoder (stored deflate blocks, CRC32, Adler32; no zlib)
 * and a small ISO-BMFF (MP4) writer. Pictures are derived from a seed (the prompt's hash), so the same
 * prompt gives the same picture. */
#include "mock_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- byte buffer ---- */

typedef struct buf {
    unsigned char *p;
    size_t n, cap;
    bool oom;
} buf;

static void put(buf *b, const void *data, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + n)
            nc *= 2;
        unsigned char *np = realloc(b->p, nc);
        if (np == NULL) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put8(buf *b, uint32_t v)
{
    unsigned char c = (unsigned char)v;
    put(b, &c, 1);
}

static void put16be(buf *b, uint32_t v)
{
    unsigned char c[2] = {(unsigned char)(v >> 8), (unsigned char)v};
    put(b, c, 2);
}

static void put32be(buf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                          (unsigned char)v};
    put(b, c, 4);
}

static void patch32be(buf *b, size_t at, uint32_t v)
{
    if (b->oom)
        return;
    b->p[at] = (unsigned char)(v >> 24);
    b->p[at + 1] = (unsigned char)(v >> 16);
    b->p[at + 2] = (unsigned char)(v >> 8);
    b->p[at + 3] = (unsigned char)v;
}

static unsigned char *finish(buf *b, size_t *len)
{
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    *len = b->n;
    return b->p;
}

/* ---- checksums ---- */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

uint32_t mk_crc32(const unsigned char *p, size_t n, uint32_t crc)
{
    pthread_once(&crc_once, crc_init);
    uint32_t c = crc ^ 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint32_t adler32(const unsigned char *p, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n > 0) {
        size_t chunk = n < 5552 ? n : 5552; /* keeps the sums below 2^32 between reductions */
        n -= chunk;
        while (chunk--) {
            a += *p++;
            b += a;
        }
        a %= 65521u;
        b %= 65521u;
    }
    return (b << 16) | a;
}

/* ---- PNG ---- */

static void png_chunk(buf *b, const char type[4], const unsigned char *data, size_t n)
{
    put32be(b, (uint32_t)n);
    size_t start = b->n;
    put(b, type, 4);
    if (n > 0)
        put(b, data, n);
    if (b->oom)
        return;
    put32be(b, mk_crc32(b->p + start, n + 4, 0));
}

static uint32_t isqrt32(uint32_t v)
{
    uint32_t r = 0, bit = 1u << 30;
    while (bit > v)
        bit >>= 2;
    while (bit != 0) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

static void pixel(uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint64_t seed, unsigned char rgb[3])
{
    /* Two seed colours blended along a diagonal gradient, concentric rings around a seed-chosen
       centre, and a checker tint: distinct pictures per prompt, easy to look at. */
    unsigned char c0[3] = {(unsigned char)(seed >> 0), (unsigned char)(seed >> 8), (unsigned char)(seed >> 16)};
    unsigned char c1[3] = {(unsigned char)(seed >> 24), (unsigned char)(seed >> 32), (unsigned char)(seed >> 40)};
    uint32_t t = (x * 255u / (w ? w : 1) + y * 255u / (h ? h : 1)) / 2u; /* 0..255 */
    int32_t cx = (int32_t)((seed >> 48) % (w ? w : 1)), cy = (int32_t)((seed >> 56) % (h ? h : 1));
    int32_t dx = (int32_t)x - cx, dy = (int32_t)y - cy;
    uint32_t ring = (isqrt32((uint32_t)(dx * dx + dy * dy)) / 10u + (uint32_t)(seed >> 60)) & 3u;
    bool checker = (((x >> 5) ^ (y >> 5)) & 1u) != 0;
    for (int i = 0; i < 3; i++) {
        uint32_t v = (c0[i] * (255u - t) + c1[i] * t) / 255u;
        if (ring < 2)
            v = 255u - v;
        if (checker)
            v = (v * 7u) / 8u;
        rgb[i] = (unsigned char)v;
    }
}

unsigned char *mk_png_make(uint32_t w, uint32_t h, uint64_t seed, size_t *len)
{
    if (w == 0 || h == 0 || w > 4096 || h > 4096)
        return NULL;
    size_t row = (size_t)w * 3 + 1;
    size_t raw_n = row * h;
    unsigned char *raw = malloc(raw_n);
    if (raw == NULL)
        return NULL;
    for (uint32_t y = 0; y < h; y++) {
        unsigned char *r = raw + (size_t)y * row;
        r[0] = 0; /* filter: none */
        for (uint32_t x = 0; x < w; x++)
            pixel(x, y, w, h, seed, r + 1 + (size_t)x * 3);
    }

    /* zlib stream: header, stored deflate blocks of at most 65535 bytes, Adler32 of the raw data. */
    buf z = {0};
    put8(&z, 0x78);
    put8(&z, 0x01);
    size_t off = 0;
    do {
        size_t n = raw_n - off > 65535 ? 65535 : raw_n - off;
        bool last = off + n == raw_n;
        put8(&z, last ? 1 : 0);
        put8(&z, (uint32_t)(n & 0xff));
        put8(&z, (uint32_t)(n >> 8));
        put8(&z, (uint32_t)(~n & 0xff));
        put8(&z, (uint32_t)((~n >> 8) & 0xff));
        put(&z, raw + off, n);
        off += n;
    } while (off < raw_n);
    put32be(&z, adler32(raw, raw_n));
    free(raw);
    if (z.oom) {
        free(z.p);
        return NULL;
    }

    buf b = {0};
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    put(&b, sig, sizeof sig);
    unsigned char ihdr[13];
    ihdr[0] = (unsigned char)(w >> 24);
    ihdr[1] = (unsigned char)(w >> 16);
    ihdr[2] = (unsigned char)(w >> 8);
    ihdr[3] = (unsigned char)w;
    ihdr[4] = (unsigned char)(h >> 24);
    ihdr[5] = (unsigned char)(h >> 16);
    ihdr[6] = (unsigned char)(h >> 8);
    ihdr[7] = (unsigned char)h;
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* colour type: RGB */
    ihdr[10] = 0; /* compression */
    ihdr[11] = 0; /* filter */
    ihdr[12] = 0; /* interlace */
    png_chunk(&b, "IHDR", ihdr, sizeof ihdr);
    png_chunk(&b, "IDAT", z.p, z.n);
    free(z.p);
    png_chunk(&b, "IEND", NULL, 0);
    return finish(&b, len);
}

/* ---- MP4 ---- */

static size_t box_open(buf *b, const char type[4])
{
    size_t at = b->n;
    put32be(b, 0);
    put(b, type, 4);
    return at;
}

static void box_close(buf *b, size_t at)
{
    patch32be(b, at, (uint32_t)(b->n - at));
}

static size_t fullbox_open(buf *b, const char type[4], uint32_t version_flags)
{
    size_t at = box_open(b, type);
    put32be(b, version_flags);
    return at;
}

static void put_matrix(buf *b)
{
    static const uint32_t m[9] = {0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000};
    for (int i = 0; i < 9; i++)
        put32be(b, m[i]);
}

static void put_zeros(buf *b, size_t n)
{
    static const unsigned char z[16] = {0};
    while (n > 0) {
        size_t k = n < sizeof z ? n : sizeof z;
        put(b, z, k);
        n -= k;
    }
}

unsigned char *mk_mp4_make(uint32_t w, uint32_t h, uint64_t seed, size_t *len)
{
    const uint32_t timescale = 1000, duration = 1000;
    buf b = {0};

    size_t ftyp = box_open(&b, "ftyp");
    put(&b, "isom", 4);
    put32be(&b, 0x200);
    put(&b, "isomiso2avc1mp41", 16);
    box_close(&b, ftyp);

    size_t moov = box_open(&b, "moov");
    size_t mvhd = fullbox_open(&b, "mvhd", 0);
    put32be(&b, 0); /* creation */
    put32be(&b, 0); /* modification */
    put32be(&b, timescale);
    put32be(&b, duration);
    put32be(&b, 0x00010000); /* rate 1.0 */
    put16be(&b, 0x0100);     /* volume 1.0 */
    put_zeros(&b, 10);
    put_matrix(&b);
    put_zeros(&b, 24); /* pre_defined */
    put32be(&b, 2);    /* next track id */
    box_close(&b, mvhd);

    size_t trak = box_open(&b, "trak");
    size_t tkhd = fullbox_open(&b, "tkhd", 3); /* enabled | in movie */
    put32be(&b, 0);
    put32be(&b, 0);
    put32be(&b, 1); /* track id */
    put32be(&b, 0);
    put32be(&b, duration);
    put_zeros(&b, 8);
    put16be(&b, 0); /* layer */
    put16be(&b, 0); /* alternate group */
    put16be(&b, 0); /* volume: video */
    put16be(&b, 0);
    put_matrix(&b);
    put32be(&b, w << 16);
    put32be(&b, h << 16);
    box_close(&b, tkhd);

    size_t mdia = box_open(&b, "mdia");
    size_t mdhd = fullbox_open(&b, "mdhd", 0);
    put32be(&b, 0);
    put32be(&b, 0);
    put32be(&b, timescale);
    put32be(&b, duration);
    put16be(&b, 0x55c4); /* language "und" */
    put16be(&b, 0);
    box_close(&b, mdhd);
    size_t hdlr = fullbox_open(&b, "hdlr", 0);
    put32be(&b, 0);
    put(&b, "vide", 4);
    put_zeros(&b, 12);
    put(&b, "VideoHandler", 13); /* with the NUL */
    box_close(&b, hdlr);

    size_t minf = box_open(&b, "minf");
    size_t vmhd = fullbox_open(&b, "vmhd", 1);
    put_zeros(&b, 8);
    box_close(&b, vmhd);
    size_t dinf = box_open(&b, "dinf");
    size_t dref = fullbox_open(&b, "dref", 0);
    put32be(&b, 1);
    size_t url = fullbox_open(&b, "url ", 1); /* self-contained */
    box_close(&b, url);
    box_close(&b, dref);
    box_close(&b, dinf);
    size_t stbl = box_open(&b, "stbl");
    static const char *const empty_tables[] = {"stsd", "stts", "stsc", "stco"};
    for (size_t i = 0; i < 4; i++) {
        size_t t = fullbox_open(&b, empty_tables[i], 0);
        put32be(&b, 0); /* entry count */
        box_close(&b, t);
    }
    size_t stsz = fullbox_open(&b, "stsz", 0);
    put32be(&b, 0); /* sample size */
    put32be(&b, 0); /* sample count */
    box_close(&b, stsz);
    box_close(&b, stbl);
    box_close(&b, minf);
    box_close(&b, mdia);
    box_close(&b, trak);
    box_close(&b, moov);

    size_t mdat = box_open(&b, "mdat");
    uint64_t x = seed;
    for (int i = 0; i < 512; i++) {
        x = mk_mix64(x);
        put32be(&b, (uint32_t)x);
    }
    box_close(&b, mdat);
    return finish(&b, len);
}

/*
 * A tiny stand-in for libFuzzer, so the ordinary gcc build (and CI) runs the
 * fuzz target on malformed input too:
 *
 *   fuzz_pgoutput_driver CORPUS_DIR [MUTATIONS [SEED]]
 *
 * Runs LLVMFuzzerTestOneInput over every file in CORPUS_DIR, then over
 * MUTATIONS (default 20000) deterministic random mutations of them: bit
 * flips, interesting bytes, inserts, deletes, truncations and splices.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEDS 512
#define FUZZ_INPUT_MAX 65536

typedef struct seed {
    uint8_t *b;
    size_t n;
} seed;

static uint64_t rng_state;

/* xorshift64*: deterministic across runs and platforms */
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

static size_t below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

static int load_file(const char *path, seed *s)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    s->b = malloc(FUZZ_INPUT_MAX);
    s->n = s->b ? fread(s->b, 1, FUZZ_INPUT_MAX, f) : 0;
    fclose(f);
    return s->b ? 0 : -1;
}

static size_t load_corpus(const char *dir, seed *seeds)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    if (!d) {
        fprintf(stderr, "could not open corpus folder \"%s\"\n", dir);
        return 0;
    }
    for (struct dirent *e; (e = readdir(d)) && n < MAX_SEEDS;) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (load_file(path, &seeds[n]) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static const uint8_t interesting[] = {0, 1, 2, 0x7f, 0x80, 0xff, 'n', 'u', 't', 'b', 'K', 'O', 'N'};

/* Apply one random mutation to buf[0..*n) (capacity FUZZ_INPUT_MAX). */
static void mutate_once(uint8_t *buf, size_t *n, const seed *seeds, size_t nseeds)
{
    size_t at = below(*n);
    switch (rnd() % 7) {
    case 0: /* flip a bit */
        if (*n)
            buf[at] ^= (uint8_t)(1u << below(8));
        break;
    case 1: /* an interesting byte */
        if (*n)
            buf[at] = interesting[below(sizeof interesting)];
        break;
    case 2: /* a random byte */
        if (*n)
            buf[at] = (uint8_t)rnd();
        break;
    case 3: /* insert a byte */
        if (*n < FUZZ_INPUT_MAX) {
            memmove(buf + at + 1, buf + at, *n - at);
            buf[at] = (uint8_t)rnd();
            (*n)++;
        }
        break;
    case 4: /* delete a run */
        if (*n) {
            size_t k = 1 + below(*n - at < 8 ? *n - at : 8);
            memmove(buf + at, buf + at + k, *n - at - k);
            *n -= k;
        }
        break;
    case 5: /* truncate */
        *n = at;
        break;
    default: { /* splice the tail of another seed */
        const seed *o = &seeds[below(nseeds)];
        size_t from = below(o->n), k = o->n - from;
        if (at + k > FUZZ_INPUT_MAX)
            k = FUZZ_INPUT_MAX - at;
        memcpy(buf + at, o->b + from, k);
        *n = at + k;
        break;
    }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR [MUTATIONS [SEED]]\n", argv[0]);
        return 2;
    }
    long mutations = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
    rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : UINT64_C(0x5eed5111ce);
    if (!rng_state)
        rng_state = 1;
    static seed seeds[MAX_SEEDS];
    size_t nseeds = load_corpus(argv[1], seeds);
    if (!nseeds) {
        fprintf(stderr, "no corpus files in \"%s\"\n", argv[1]);
        return 1;
    }
    for (size_t i = 0; i < nseeds; i++)
        LLVMFuzzerTestOneInput(seeds[i].b, seeds[i].n);
    uint8_t *buf = malloc(FUZZ_INPUT_MAX);
    for (long i = 0; i < mutations; i++) {
        const seed *s = &seeds[below(nseeds)];
        size_t n = s->n;
        memcpy(buf, s->b, n);
        for (size_t k = 1 + below(6); k > 0; k--)
            mutate_once(buf, &n, seeds, nseeds);
        /* an exact-size copy, so ASan catches reads past the input */
        uint8_t *in = malloc(n ? n : 1);
        memcpy(in, buf, n);
        LLVMFuzzerTestOneInput(in, n);
        free(in);
    }
    free(buf);
    for (size_t i = 0; i < nseeds; i++)
        free(seeds[i].b);
    printf("%zu corpus files, %ld mutations: no crash\n", nseeds, mutations);
    return 0;
}

/* Bad use of the C ABI (docs/errors.md), complementing the bad-input part of
 * tests/capi/c_api_flow.c: NULL handles in every function, statuses and messages of each class
 * reachable on a CPU-only machine, model/φ dimension mismatch, files of the wrong kind, empty
 * gallery and k larger than the gallery, and the thread-local error message.
 * Usage: c_api_errors <tests/data dir> <scratch dir> */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lincir.h"

static int g_failures = 0;
static int g_checks = 0;

#define CHECK(cond, ...)                                                          \
  do {                                                                            \
    ++g_checks;                                                                   \
    if (!(cond)) {                                                                \
      ++g_failures;                                                               \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);    \
      fprintf(stderr, __VA_ARGS__);                                               \
      fprintf(stderr, " [last error: %s]\n", lincir_last_error());                \
    }                                                                             \
  } while (0)

/* The call returns `st`, leaves a message that mentions `needle` (if not NULL), and *out NULL. */
#define CHECK_ERR(expr, st, needle)                                                          \
  do {                                                                                       \
    int rc_ = (expr);                                                                        \
    const char *m_ = lincir_last_error();                                                    \
    CHECK(rc_ == (st), "%s returned %d (%s), expected %s", #expr, rc_, lincir_status_str(rc_), #st); \
    CHECK(m_ != NULL && strlen(m_) > 0, "no message for %s", #expr);                         \
    CHECK(mentions(m_, (needle)), "message of %s lacks '%s'", #expr, or_empty(needle)); \
  } while (0)

static char g_data[1024], g_tmp[1024];

static const char *or_empty(const char *s) { return s ? s : ""; }

/* NULL needle: any message will do. */
static int mentions(const char *message, const char *needle) {
  return needle == NULL || (message != NULL && strstr(message, needle) != NULL);
}

static const char *in(const char *base, const char *rel) {
  static char buf[4][2048];
  static int slot = 0;
  slot = (slot + 1) % 4;
  snprintf(buf[slot], sizeof buf[slot], "%s/%s", base, rel);
  return buf[slot];
}

static void null_handles(void) {
  float f[64] = {0};
  int64_t ids[4] = {0};
  const char *text = "a photo of $";
  lincir_image *img = (lincir_image *)1;
  lincir_gallery *gal = (lincir_gallery *)1;
  lincir_model *model = (lincir_model *)1;
  lincir_context *ctx = (lincir_context *)1;
  lincir_trainer *tr = (lincir_trainer *)1;
  /* Free functions accept NULL; getters return -1. */
  lincir_image_free(NULL);
  lincir_gallery_free(NULL);
  lincir_model_free(NULL);
  lincir_context_free(NULL);
  lincir_trainer_free(NULL);
  CHECK(lincir_image_width(NULL) == -1 && lincir_image_height(NULL) == -1, "image getters");
  CHECK(lincir_gallery_size(NULL) == -1 && lincir_gallery_dim(NULL) == -1, "gallery getters");
  CHECK(lincir_model_embed_dim(NULL) == -1 && lincir_model_has_projector(NULL) == -1, "model getters");
  CHECK(lincir_trainer_step(NULL) == -1, "trainer step");
  /* Every out-parameter NULL, every handle NULL. */
  CHECK_ERR(lincir_image_load(NULL, "x.png"), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK_ERR(lincir_image_decode(&img, NULL, 10), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK(img == NULL, "image handle not reset on failure");
  CHECK_ERR(lincir_image_from_pixels(NULL, (const uint8_t *)"abc", 1, 1, 3, 0), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK_ERR(lincir_gallery_new(NULL, 4), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK_ERR(lincir_gallery_add(NULL, f, 1, 4, ids), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK_ERR(lincir_gallery_search(NULL, f, 1, 4, 1, NULL, f, ids), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK_ERR(lincir_gallery_save(NULL, "x.lcg"), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK_ERR(lincir_gallery_load(&gal, NULL), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK(gal == NULL, "gallery handle not reset on failure");
  CHECK_ERR(lincir_model_load(&model, NULL, NULL), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK(model == NULL, "model handle not reset on failure");
  CHECK_ERR(lincir_model_params_init(NULL), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK_ERR(lincir_context_new(&ctx, NULL), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK(ctx == NULL, "context handle not reset on failure");
  CHECK_ERR(lincir_encode_texts(NULL, &text, 1, 1, f, 64), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK_ERR(lincir_compose_embeddings(NULL, f, 1, 64, &text, f, 64), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK_ERR(lincir_trainer_params_init(NULL), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK_ERR(lincir_trainer_new(&tr, NULL, NULL), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK(tr == NULL, "trainer handle not reset on failure");
  CHECK_ERR(lincir_trainer_fit(NULL, "x.txt"), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK_ERR(lincir_trainer_save_projector(NULL, "x.safetensors"), LINCIR_ERR_INVALID_ARGUMENT, NULL);
}

static void status_names(void) {
  const int codes[] = {LINCIR_OK, LINCIR_ERR_INVALID_ARGUMENT, LINCIR_ERR_IO, LINCIR_ERR_FORMAT,
                       LINCIR_ERR_OUT_OF_MEMORY, LINCIR_ERR_DEVICE, LINCIR_ERR_UNSUPPORTED,
                       LINCIR_ERR_CANCELLED, LINCIR_ERR_INTERNAL};
  size_t i, j;
  for (i = 0; i < sizeof codes / sizeof codes[0]; ++i) {
    CHECK(lincir_status_str(codes[i]) != NULL && strlen(lincir_status_str(codes[i])) > 0, "name of %d", codes[i]);
    for (j = 0; j < i; ++j)
      CHECK(strcmp(lincir_status_str(codes[i]), lincir_status_str(codes[j])) != 0, "%d and %d share a name", codes[i], codes[j]);
  }
  CHECK(lincir_status_str(12345) != NULL, "unknown code");
  /* A failing call's message is replaced by "" once a call that can fail succeeds. */
  {
    lincir_gallery *g = NULL;
    CHECK(lincir_gallery_new(NULL, 4) != LINCIR_OK && strlen(lincir_last_error()) > 0, "setup");
    CHECK(lincir_gallery_new(&g, 4) == LINCIR_OK && strlen(lincir_last_error()) == 0,
          "message not cleared by a success");
    lincir_gallery_free(g);
  }
}

static void gallery_edges(void) {
  lincir_gallery *g = NULL, *loaded = NULL;
  float v[8] = {1, 0, 0, 0, 0, 1, 0, 0}, q[4] = {1, 0, 0, 0}, scores[6];
  int64_t ids[2] = {10, 11}, out_ids[6];
  int i;
  CHECK(lincir_gallery_new(&g, 4) == LINCIR_OK, "new");
  /* Empty gallery: padded, not an error. */
  CHECK(lincir_gallery_search(g, q, 1, 4, 3, NULL, scores, out_ids) == LINCIR_OK, "empty search");
  for (i = 0; i < 3; ++i) CHECK(out_ids[i] == -1 && isinf(scores[i]) && scores[i] < 0, "padding %d", i);
  CHECK(lincir_gallery_add(g, v, 2, 4, ids) == LINCIR_OK, "add");
  /* k larger than the gallery: the two entries, then padding. */
  CHECK(lincir_gallery_search(g, q, 1, 4, 6, NULL, scores, out_ids) == LINCIR_OK, "k > size");
  CHECK(out_ids[0] == 10 && fabsf(scores[0] - 1.f) < 1e-6f && out_ids[1] == 11, "top-2");
  for (i = 2; i < 6; ++i) CHECK(out_ids[i] == -1, "padding %d", i);
  /* Wrong dimensions, negative k, NaN. */
  CHECK_ERR(lincir_gallery_search(g, q, 1, 3, 1, NULL, scores, out_ids), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK_ERR(lincir_gallery_search(g, q, 1, 4, -1, NULL, scores, out_ids), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  q[1] = NAN;
  CHECK_ERR(lincir_gallery_search(g, q, 1, 4, 1, NULL, scores, out_ids), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK_ERR(lincir_gallery_add(g, v, 2, 4, NULL), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  /* Files of the wrong kind and unreadable paths name the file. */
  CHECK_ERR(lincir_gallery_load(&loaded, in(g_data, "parity/phi_weights.safetensors")), LINCIR_ERR_FORMAT, "phi_weights.safetensors");
  CHECK_ERR(lincir_gallery_load(&loaded, in(g_data, "images/formats/rgb16.png")), LINCIR_ERR_FORMAT, "rgb16.png");
  CHECK_ERR(lincir_gallery_load(&loaded, g_tmp), LINCIR_ERR_IO, g_tmp); /* a directory */
  CHECK(loaded == NULL, "handle set on failure");
  CHECK_ERR(lincir_gallery_save(g, in(g_tmp, "missing/dir/g.lcg")), LINCIR_ERR_IO, "missing/dir");
  lincir_gallery_free(g);
}

static void model_edges(void) {
  lincir_model *m = NULL;
  lincir_model_params p;
  lincir_image *img = NULL;
  const char *weights = in(g_data, "parity/weights_openai.safetensors");
  CHECK(lincir_model_params_init(&p) == LINCIR_OK, "params init");
  p.config_path = in(g_data, "parity/model_config.json");
  /* A φ whose sizes do not fit the model (4 -> 4, the model needs 64 -> 32). */
  p.phi_path = in(g_data, "../fuzz/corpus/projector/lincir_phi.safetensors");
  CHECK_ERR(lincir_model_load(&m, weights, &p), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK(m == NULL, "handle set on failure");
  /* Files of the wrong kind as φ and as weights. */
  p.phi_path = in(g_data, "images/formats/rgb16.png");
  CHECK_ERR(lincir_model_load(&m, weights, &p), LINCIR_ERR_FORMAT, "rgb16.png");
  p.phi_path = "/nonexistent/phi.safetensors";
  CHECK_ERR(lincir_model_load(&m, weights, &p), LINCIR_ERR_IO, "/nonexistent/phi.safetensors");
  p.phi_path = NULL;
  CHECK_ERR(lincir_model_load(&m, in(g_data, "parity/phi_weights.safetensors"), &p), LINCIR_ERR_FORMAT, NULL);
  /* Devices and dtypes this machine cannot serve. */
  p.device = "cuda:999";
  CHECK_ERR(lincir_model_load(&m, weights, &p), LINCIR_ERR_DEVICE, NULL);
  p.device = "tpu";
  CHECK_ERR(lincir_model_load(&m, weights, &p), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  p.device = NULL;
  p.dtype = LINCIR_DTYPE_FLOAT16;
  CHECK_ERR(lincir_model_load(&m, weights, &p), LINCIR_ERR_UNSUPPORTED, NULL);
  p.dtype = 77;
  CHECK_ERR(lincir_model_load(&m, weights, &p), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  p.dtype = LINCIR_DTYPE_FLOAT32;
  p.struct_size = 0;
  CHECK_ERR(lincir_model_load(&m, weights, &p), LINCIR_ERR_INVALID_ARGUMENT, "struct_size");
  /* Images: empty buffer, a gallery's bytes, an RLE BMP is unsupported. */
  CHECK_ERR(lincir_image_decode(&img, "", 0), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK_ERR(lincir_image_decode(&img, "\x89PNG\r\n\x1a\n", 8), LINCIR_ERR_FORMAT, NULL);
  CHECK_ERR(lincir_image_load(&img, in(g_data, "parity/model_config.json")), LINCIR_ERR_FORMAT, "model_config.json");
  CHECK(img == NULL, "image handle set on failure");
}

static void model_without_projector(void) {
  lincir_model *m = NULL;
  lincir_context *ctx = NULL;
  lincir_model_params p;
  float ref[64] = {0}, out[64];
  const char *text = "a photo of $ that is red";
  lincir_model_params_init(&p);
  p.config_path = in(g_data, "parity/model_config.json");
  if (lincir_model_load(&m, in(g_data, "parity/weights_openai.safetensors"), &p) != LINCIR_OK) {
    CHECK(0, "cannot load the parity model");
    return;
  }
  CHECK(lincir_model_has_projector(m) == 0, "no projector");
  CHECK(lincir_context_new(&ctx, m) == LINCIR_OK, "context");
  ref[0] = 1.f;
  CHECK_ERR(lincir_compose_embeddings(ctx, ref, 1, 64, &text, out, 64), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  CHECK_ERR(lincir_encode_texts(ctx, &text, 1, 1, out, 63), LINCIR_ERR_INVALID_ARGUMENT, NULL);
  lincir_context_free(ctx);
  lincir_model_free(m);
}

/* Unreadable paths (missing files, a directory) and valid input this build cannot serve. */
static void unreadable_and_unsupported(void) {
  lincir_model *m = NULL;
  lincir_gallery *g = NULL;
  lincir_image *img = NULL;
  lincir_model_params p;
  unsigned char bmp[14 + 40 + 1024 + 4];
  const unsigned off = 14 + 40 + 1024;
  const char *weights = in(g_data, "parity/weights_openai.safetensors");
  FILE *f;
  CHECK(lincir_model_params_init(&p) == LINCIR_OK, "params init");
  p.config_path = in(g_data, "parity/model_config.json");
  CHECK_ERR(lincir_model_load(&m, "/nonexistent/clip.safetensors", &p), LINCIR_ERR_IO, "/nonexistent/clip.safetensors");
  CHECK_ERR(lincir_image_load(&img, "/nonexistent/cat.png"), LINCIR_ERR_IO, "/nonexistent/cat.png");
  CHECK_ERR(lincir_gallery_load(&g, "/nonexistent/g.lcg"), LINCIR_ERR_IO, "/nonexistent/g.lcg");
  CHECK_ERR(lincir_image_load(&img, g_tmp), LINCIR_ERR_IO, g_tmp); /* a directory */
  p.config_path = "/nonexistent/config.json";
  CHECK_ERR(lincir_model_load(&m, weights, &p), LINCIR_ERR_IO, "/nonexistent/config.json");
  CHECK(m == NULL && g == NULL && img == NULL, "handle set on failure");
  /* An RLE-compressed BMP (BI_RLE8, 1x1, 8 bits): unsupported, not a format error. */
  memset(bmp, 0, sizeof bmp);
  bmp[0] = 'B';
  bmp[1] = 'M';
  bmp[2] = (unsigned char)(sizeof bmp & 0xff);
  bmp[3] = (unsigned char)(sizeof bmp >> 8);
  bmp[10] = (unsigned char)(off & 0xff);
  bmp[11] = (unsigned char)(off >> 8);
  bmp[14] = 40;
  bmp[18] = 1;   /* width */
  bmp[22] = 1;   /* height */
  bmp[26] = 1;   /* planes */
  bmp[28] = 8;   /* bits per pixel */
  bmp[30] = 1;   /* BI_RLE8 */
  bmp[34] = 4;   /* image size */
  bmp[off] = 1;  /* one pixel of colour 0, then end of bitmap */
  bmp[off + 3] = 1;
  CHECK_ERR(lincir_image_decode(&img, bmp, sizeof bmp), LINCIR_ERR_UNSUPPORTED, NULL);
  CHECK(img == NULL, "image handle set on failure");
  /* A legacy (pre-1.6) torch.save φ: a bare pickle stream. */
  {
    static const unsigned char legacy[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                           0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
    const char *path = in(g_tmp, "legacy.pt");
    f = fopen(path, "wb");
    CHECK(f != NULL && fwrite(legacy, 1, sizeof legacy, f) == sizeof legacy, "write %s", path);
    if (f) fclose(f);
    p.config_path = in(g_data, "parity/model_config.json");
    p.phi_path = path;
    CHECK_ERR(lincir_model_load(&m, weights, &p), LINCIR_ERR_UNSUPPORTED, "legacy");
    CHECK(m == NULL, "handle set on failure");
    remove(path);
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <tests/data dir> <scratch dir>\n", argv[0]);
    return 2;
  }
  snprintf(g_data, sizeof g_data, "%s", argv[1]);
  snprintf(g_tmp, sizeof g_tmp, "%s", argv[2]);
  null_handles();
  status_names();
  gallery_edges();
  model_edges();
  model_without_projector();
  unreadable_and_unsupported();
  printf("c_api_errors: %d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}

/* The whole C ABI flow, compiled as C99 and C11 with -Wall -Wextra -pedantic -Werror:
 * load CLIP + projector, encode images and texts, compose, gallery add/search/save/load, train
 * a projector from captions with progress and cancellation, and the bad-input statuses.
 * Outputs are checked against the reference fixtures (tests/data/parity).
 * Usage: c_api_flow <tests/data dir> <scratch dir> */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lincir.h"

static int g_failures = 0;
static int g_checks = 0;

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    ++g_checks;                                                            \
    if (!(cond)) {                                                         \
      ++g_failures;                                                        \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                        \
      fprintf(stderr, " [last error: %s]\n", lincir_last_error());         \
    }                                                                      \
  } while (0)
#define CHECK_OK(expr) CHECK((expr) == LINCIR_OK, "%s", #expr)
#define CHECK_STATUS(expr, st)                                                            \
  do {                                                                                    \
    int rc_ = (expr);                                                                     \
    CHECK(rc_ == (st), "%s returned %d (%s), expected %s", #expr, rc_, lincir_status_str(rc_), #st); \
    if (rc_ != LINCIR_OK) CHECK(strlen(lincir_last_error()) > 0, "no error message for %s", #expr); \
  } while (0)

static char g_data[1024];
static char g_tmp[1024];

static const char *path_in(const char *base, const char *rel) {
  static char buf[4][2048];
  static int slot = 0;
  slot = (slot + 1) % 4;
  snprintf(buf[slot], sizeof buf[slot], "%s/%s", base, rel);
  return buf[slot];
}

/* Minimal reader for the float32 tensors of the fixture safetensors files. */
static float *read_tensor(const char *file, const char *name, size_t *count) {
  FILE *f = fopen(file, "rb");
  unsigned char len8[8];
  uint64_t hlen = 0, begin = 0, end = 0;
  char *header, *p, key[256];
  float *out = NULL;
  int i;
  if (!f) return NULL;
  if (fread(len8, 1, 8, f) != 8) goto done;
  for (i = 7; i >= 0; --i) hlen = (hlen << 8) | len8[i];
  header = (char *)malloc((size_t)hlen + 1);
  if (!header || fread(header, 1, (size_t)hlen, f) != hlen) { free(header); goto done; }
  header[hlen] = 0;
  snprintf(key, sizeof key, "\"%s\"", name);
  p = strstr(header, key);
  if (p) p = strstr(p, "\"data_offsets\"");
  if (p && sscanf(p, "\"data_offsets\":[%llu,%llu]", (unsigned long long *)&begin, (unsigned long long *)&end) == 2) {
    out = (float *)malloc((size_t)(end - begin));
    fseek(f, (long)(8 + hlen + begin), SEEK_SET);
    if (out && fread(out, 1, (size_t)(end - begin), f) != end - begin) { free(out); out = NULL; }
    *count = (size_t)(end - begin) / sizeof(float);
  }
  free(header);
done:
  fclose(f);
  return out;
}

static float max_abs_diff(const float *a, const float *b, size_t n) {
  float m = 0.f;
  size_t i;
  for (i = 0; i < n; ++i) {
    float d = fabsf(a[i] - b[i]);
    if (d > m) m = d;
  }
  return m;
}

static void normalize_rows(float *x, size_t n, size_t d) {
  size_t i, j;
  for (i = 0; i < n; ++i) {
    double s = 0;
    for (j = 0; j < d; ++j) s += (double)x[i * d + j] * x[i * d + j];
    s = sqrt(s);
    for (j = 0; j < d; ++j) x[i * d + j] = (float)(x[i * d + j] / s);
  }
}

struct progress_state {
  int calls;
  int64_t last_done;
  int abort_after;
};

static void on_progress(int64_t done, int64_t total, float loss, void *user) {
  struct progress_state *s = (struct progress_state *)user;
  (void)total;
  s->calls++;
  s->last_done = done;
  if (!(loss >= 0.f)) s->calls = -1000; /* a NaN or negative loss is a failure */
}

static int should_abort(void *user) {
  struct progress_state *s = (struct progress_state *)user;
  return s->abort_after > 0 && s->calls >= s->abort_after;
}

static const char *png_names[9] = {"gradient_rgb", "stripes_rgb", "noise_rgb_noresize",
                                   "nonsquare_50x37", "gray_L_33x47", "rgba_36x36",
                                   "crop_round_half_47x40", "photo_like_320x240", "palette_P_64x48"};

int main(int argc, char **argv) {
  lincir_model_params mp;
  lincir_model *model = NULL, *bare = NULL, *retrained = NULL;
  lincir_context *ctx = NULL;
  lincir_image *images[9];
  lincir_gallery *gallery = NULL, *loaded = NULL;
  lincir_trainer_params tp;
  lincir_trainer *trainer = NULL;
  struct progress_state ps = {0, 0, 0};
  float feats[9 * 64], raw[9 * 64], query[3 * 64], scores[9 * 12];
  int64_t ids[9 * 12], gid[9], exclude[9];
  size_t n = 0, i;
  int dim;
  float *ref;
  char img_path[256], config_path[2048], phi_path[2048], trained_phi[2048];
  const char *texts[3] = {"a photo of $ that is red with a v-neck and shorter sleeves",
                          "a photo of $ that change the dog to a cat",
                          "a photo of $ that has more people and is in black and white"};
  const char *one_text[1] = {"a photo of a cat"};

  if (argc < 3) {
    fprintf(stderr, "usage: %s <tests/data> <scratch dir>\n", argv[0]);
    return 2;
  }
  snprintf(g_data, sizeof g_data, "%s", argv[1]);
  snprintf(g_tmp, sizeof g_tmp, "%s", argv[2]);

  /* Versions: header and library agree. */
  CHECK(lincir_abi_version() == LINCIR_ABI_VERSION, "abi %d", lincir_abi_version());
  CHECK(lincir_version_number() == LINCIR_C_VERSION_NUMBER, "version %d", lincir_version_number());
  CHECK(strlen(lincir_version_string()) > 0, "empty version");
  CHECK(strcmp(lincir_default_marker(), "$") == 0, "marker");
  CHECK(strcmp(lincir_status_str(LINCIR_ERR_IO), "i/o error") == 0, "%s", lincir_status_str(LINCIR_ERR_IO));
  CHECK_OK(lincir_set_num_threads(2));

  /* Load CLIP + projector. */
  CHECK_OK(lincir_model_params_init(&mp));
  /* path_in() returns rotating buffers: keep the paths the params point to in their own. */
  snprintf(config_path, sizeof config_path, "%s", path_in(g_data, "parity/model_config.json"));
  snprintf(phi_path, sizeof phi_path, "%s", path_in(g_data, "parity/phi_weights.safetensors"));
  snprintf(trained_phi, sizeof trained_phi, "%s", path_in(g_tmp, "phi.safetensors"));
  mp.config_path = config_path;
  mp.phi_path = phi_path;
  CHECK_OK(lincir_model_load(&model, path_in(g_data, "parity/weights_openai.safetensors"), &mp));
  if (!model) return 1;
  dim = lincir_model_embed_dim(model);
  CHECK(dim == 64, "dim %d", dim);
  CHECK(lincir_model_has_projector(model) == 1, "projector");
  CHECK_OK(lincir_context_new(&ctx, model));

  /* Text features against openai/CLIP. */
  CHECK_OK(lincir_encode_texts(ctx, one_text, 1, 0, raw, 64));
  ref = read_tensor(path_in(g_data, "parity/text_outputs.safetensors"), "text_features", &n);
  CHECK(ref && n == 24 * 64, "text fixture");
  if (ref) CHECK(max_abs_diff(raw, ref, 64) < 1e-4f, "text diff %g", max_abs_diff(raw, ref, 64));
  free(ref);

  /* Image features of the 9 PNGs against openai/CLIP. */
  for (i = 0; i < 9; ++i) {
    snprintf(img_path, sizeof img_path, "parity/images/%s.png", png_names[i]);
    images[i] = NULL;
    CHECK_OK(lincir_image_load(&images[i], path_in(g_data, img_path)));
  }
  CHECK(lincir_image_width(images[0]) == 64 && lincir_image_height(images[0]) == 64, "size");
  CHECK_OK(lincir_encode_images(ctx, (const lincir_image *const *)images, 9, 0, raw, 9 * 64));
  ref = read_tensor(path_in(g_data, "parity/image_outputs.safetensors"), "png_batch.image_features", &n);
  CHECK(ref && n == 9 * 64, "image fixture");
  if (ref) CHECK(max_abs_diff(raw, ref, 9 * 64) < 1e-4f, "image diff %g", max_abs_diff(raw, ref, 9 * 64));
  free(ref);
  CHECK_OK(lincir_encode_images(ctx, (const lincir_image *const *)images, 9, 1, feats, 9 * 64));
  normalize_rows(raw, 9, 64);
  CHECK(max_abs_diff(raw, feats, 9 * 64) < 1e-5f, "normalised rows");

  /* Composition: images -> φ -> pseudo token -> text tower, against LinCIR. */
  {
    const lincir_image *refs[3];
    refs[0] = images[0];
    refs[1] = images[3];
    refs[2] = images[7];
    CHECK_OK(lincir_compose(ctx, refs, texts, 3, query, 3 * 64));
    ref = read_tensor(path_in(g_data, "parity/phi_outputs.safetensors"), "e2e.query_features_normalized", &n);
    CHECK(ref && n == 3 * 64, "e2e fixture");
    if (ref) CHECK(max_abs_diff(query, ref, 3 * 64) < 1e-4f, "compose diff %g", max_abs_diff(query, ref, 3 * 64));
    free(ref);
    /* The same from raw image embeddings. */
    ref = read_tensor(path_in(g_data, "parity/phi_outputs.safetensors"), "e2e.image_features", &n);
    if (ref) {
      float q2[3 * 64];
      CHECK_OK(lincir_compose_embeddings(ctx, ref, 3, 64, texts, q2, 3 * 64));
      CHECK(max_abs_diff(query, q2, 3 * 64) < 1e-4f, "compose_embeddings");
      free(ref);
    }
  }

  /* Gallery: each image finds itself first; exclusion removes it; k > size pads with -1. */
  CHECK_OK(lincir_gallery_new(&gallery, dim));
  for (i = 0; i < 9; ++i) gid[i] = (int64_t)(100 + i);
  CHECK_OK(lincir_gallery_add(gallery, feats, 9, 64, gid));
  CHECK(lincir_gallery_size(gallery) == 9, "size");
  CHECK_OK(lincir_gallery_search(gallery, feats, 9, 64, 12, NULL, scores, ids));
  for (i = 0; i < 9; ++i) {
    CHECK(ids[i * 12] == gid[i], "self match %d", (int)i);
    CHECK(fabsf(scores[i * 12] - 1.f) < 1e-4f, "self score");
    CHECK(ids[i * 12 + 9] == -1 && ids[i * 12 + 11] == -1, "padding");
    CHECK(isinf(scores[i * 12 + 10]) && scores[i * 12 + 10] < 0, "pad score");
    exclude[i] = gid[i];
  }
  CHECK_OK(lincir_gallery_search(gallery, feats, 9, 64, 3, exclude, scores, ids));
  for (i = 0; i < 9; ++i) CHECK(ids[i * 3] != gid[i] && ids[i * 3] >= 100, "excluded %d", (int)i);
  CHECK_OK(lincir_gallery_save(gallery, path_in(g_tmp, "g.lcg")));
  CHECK_OK(lincir_gallery_load(&loaded, path_in(g_tmp, "g.lcg")));
  CHECK(lincir_gallery_size(loaded) == 9 && lincir_gallery_dim(loaded) == 64, "loaded");
  {
    int64_t ids2[9 * 3];
    float s2[9 * 3];
    CHECK_OK(lincir_gallery_search(loaded, feats, 9, 64, 3, exclude, s2, ids2));
    CHECK(memcmp(ids, ids2, sizeof ids2) == 0, "same results after load");
  }

  /* Training: progress, cancellation, saving the projector, composing with it. */
  CHECK_OK(lincir_trainer_params_init(&tp));
  tp.steps = 12;
  tp.batch_size = 8;
  tp.lr = 1e-3f;
  tp.progress = on_progress;
  tp.abort = should_abort;
  tp.user_data = &ps;
  CHECK_OK(lincir_trainer_new(&trainer, model, &tp));
  CHECK_OK(lincir_trainer_fit(trainer, path_in(g_data, "keywords/spans.jsonl")));
  CHECK(ps.calls == 12 && ps.last_done == 12, "progress calls %d", ps.calls);
  CHECK(lincir_trainer_step(trainer) == 12, "step");
  CHECK_OK(lincir_trainer_save_projector(trainer, path_in(g_tmp, "phi.safetensors")));
  lincir_trainer_free(trainer);
  trainer = NULL;
  ps.calls = 0;
  ps.abort_after = 3;
  tp.steps = 50;
  CHECK_OK(lincir_trainer_new(&trainer, model, &tp));
  CHECK_STATUS(lincir_trainer_fit(trainer, path_in(g_data, "keywords/spans.jsonl")), LINCIR_ERR_CANCELLED);
  CHECK(lincir_trainer_step(trainer) == 3, "cancelled at %lld", (long long)lincir_trainer_step(trainer));
  CHECK_STATUS(lincir_trainer_fit(trainer, "/nonexistent/captions.txt"), LINCIR_ERR_IO);
  lincir_trainer_free(trainer);
  mp.phi_path = trained_phi;
  CHECK_OK(lincir_model_load(&retrained, path_in(g_data, "parity/weights_openai.safetensors"), &mp));
  {
    lincir_context *c2 = NULL;
    float q[64];
    const char *mods[1] = {"is red"}; /* no marker: the CIRR template is applied */
    const lincir_image *r1[1];
    r1[0] = images[0];
    CHECK_OK(lincir_context_new(&c2, retrained));
    CHECK_OK(lincir_compose(c2, r1, mods, 1, q, 64));
    CHECK(fabsf(q[0]) <= 1.f && !isnan(q[0]), "finite query");
    lincir_context_free(c2);
  }

  /* Bad input: each gives its status and a message, never a crash. */
  CHECK_STATUS(lincir_model_load(NULL, "x", NULL), LINCIR_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(lincir_model_load(&bare, NULL, NULL), LINCIR_ERR_INVALID_ARGUMENT);
  CHECK(bare == NULL, "out cleared");
  CHECK_STATUS(lincir_model_load(&bare, "/nonexistent/model.safetensors", &mp), LINCIR_ERR_IO);
  CHECK_STATUS(lincir_model_load(&bare, path_in(g_data, "parity/model_config.json"), &mp), LINCIR_ERR_FORMAT);
  {
    lincir_model_params bad;
    lincir_model_params_init(&bad);
    bad.struct_size = 0;
    CHECK_STATUS(lincir_model_load(&bare, path_in(g_data, "parity/weights_openai.safetensors"), &bad),
                 LINCIR_ERR_INVALID_ARGUMENT);
    lincir_model_params_init(&bad);
    bad.device = "tpu";
    CHECK_STATUS(lincir_model_load(&bare, path_in(g_data, "parity/weights_openai.safetensors"), &bad),
                 LINCIR_ERR_INVALID_ARGUMENT);
    lincir_model_params_init(&bad);
    bad.config_path = config_path;
    bad.phi_path = path_in(g_data, "parity/image_cases.json");
    CHECK_STATUS(lincir_model_load(&bare, path_in(g_data, "parity/weights_openai.safetensors"), &bad),
                 LINCIR_ERR_FORMAT);
    bad.phi_path = NULL;
    CHECK_OK(lincir_model_load(&bare, path_in(g_data, "parity/weights_openai.safetensors"), &bad));
    if (bare) {
      lincir_context *c3 = NULL;
      const lincir_image *r1[1];
      r1[0] = images[0];
      CHECK_OK(lincir_context_new(&c3, bare));
      CHECK(lincir_model_has_projector(bare) == 0, "no projector");
      CHECK_STATUS(lincir_compose(c3, r1, texts, 1, query, 64), LINCIR_ERR_INVALID_ARGUMENT);
      lincir_context_free(c3);
    }
  }
  CHECK_STATUS(lincir_encode_texts(ctx, one_text, 1, 0, raw, 10), LINCIR_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(lincir_encode_texts(ctx, NULL, 1, 0, raw, 64), LINCIR_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(lincir_encode_texts(NULL, one_text, 1, 0, raw, 64), LINCIR_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(lincir_encode_images(ctx, NULL, 1, 0, raw, 64), LINCIR_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(lincir_compose(ctx, (const lincir_image *const *)images, NULL, 1, raw, 64), LINCIR_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(lincir_compose_embeddings(ctx, feats, 1, 63, texts, raw, 64), LINCIR_ERR_INVALID_ARGUMENT);
  {
    const char *no_marker_twice[1] = {"$ and $ and"};
    CHECK_OK(lincir_compose(ctx, (const lincir_image *const *)images, no_marker_twice, 1, raw, 64));
  }
  /* Failing calls get their own out-variables: a failure sets *out to NULL, which would lose (leak)
   * a live handle. bad_image starts as a copy of a live handle to see it cleared. */
  {
    lincir_image *bad_image = images[1];
    CHECK_STATUS(lincir_image_load(&bad_image, NULL), LINCIR_ERR_INVALID_ARGUMENT);
    CHECK(bad_image == NULL, "out cleared on failure");
    CHECK_STATUS(lincir_image_load(&bad_image, "/nonexistent.png"), LINCIR_ERR_IO);
    CHECK_STATUS(lincir_image_decode(&bad_image, "not an image", 12), LINCIR_ERR_FORMAT);
    CHECK_STATUS(lincir_image_from_pixels(&bad_image, (const uint8_t *)"abc", 1, 1, 5, 0), LINCIR_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lincir_image_from_pixels(&bad_image, (const uint8_t *)"abcdef", 2, 1, 3, 2), LINCIR_ERR_INVALID_ARGUMENT);
  }
  lincir_gallery_free(loaded);
  loaded = NULL;
  CHECK_STATUS(lincir_gallery_new(&loaded, 0), LINCIR_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(lincir_gallery_add(gallery, feats, 1, 32, gid), LINCIR_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(lincir_gallery_add(gallery, feats, 1, 64, gid), LINCIR_ERR_INVALID_ARGUMENT); /* dup id */
  CHECK_STATUS(lincir_gallery_search(gallery, feats, 1, 64, 0, NULL, scores, ids), LINCIR_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(lincir_gallery_search(gallery, feats, 1, 64, 3, NULL, NULL, ids), LINCIR_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(lincir_gallery_load(&loaded, "/nonexistent.lcg"), LINCIR_ERR_IO);
  CHECK_STATUS(lincir_gallery_load(&loaded, path_in(g_data, "parity/model_config.json")), LINCIR_ERR_FORMAT);
  CHECK_STATUS(lincir_gallery_save(gallery, "/nonexistent/dir/g.lcg"), LINCIR_ERR_IO);
  CHECK_STATUS(lincir_trainer_new(&trainer, NULL, NULL), LINCIR_ERR_INVALID_ARGUMENT);
  tp.batch_size = 0;
  CHECK_STATUS(lincir_trainer_new(&trainer, model, &tp), LINCIR_ERR_INVALID_ARGUMENT);
  CHECK(lincir_gallery_size(NULL) == -1 && lincir_model_embed_dim(NULL) == -1, "NULL getters");
  CHECK(lincir_image_width(NULL) == -1 && lincir_trainer_step(NULL) == -1, "NULL getters");

  /* Every _free accepts NULL. */
  lincir_model_free(NULL);
  lincir_context_free(NULL);
  lincir_gallery_free(NULL);
  lincir_trainer_free(NULL);
  lincir_image_free(NULL);

  for (i = 1; i < 9; ++i) lincir_image_free(images[i]);
  lincir_image_free(images[0]);
  lincir_gallery_free(gallery);
  lincir_context_free(ctx);
  lincir_model_free(model);
  lincir_model_free(bare);
  lincir_model_free(retrained);

  printf("%d checks, %d failed\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}

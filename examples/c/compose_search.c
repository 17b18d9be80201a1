/* Minimal C example: load CLIP + projector, index a few images, and answer one composed query.
 * Usage: compose_search <clip.safetensors> <config.json> <phi.safetensors> <reference image>
 *                       <modification text> <gallery image>... */
#include <stdio.h>
#include <stdlib.h>

#include "lincir.h"

#define TRY(call)                                                              \
  do {                                                                         \
    int rc_ = (call);                                                          \
    if (rc_ != LINCIR_OK) {                                                    \
      fprintf(stderr, "%s: %s (%s)\n", #call, lincir_last_error(), lincir_status_str(rc_)); \
      return 1;                                                                \
    }                                                                          \
  } while (0)

int main(int argc, char **argv) {
  lincir_model_params params;
  lincir_model *model = NULL;
  lincir_context *ctx = NULL;
  lincir_gallery *gallery = NULL;
  lincir_image *ref = NULL, **images;
  float *emb, *query, scores[3];
  int64_t *ids, top[3];
  const char *text;
  int dim, n, i, k;

  if (argc < 7) {
    fprintf(stderr, "usage: %s clip config phi reference text gallery-image...\n", argv[0]);
    return 2;
  }
  n = argc - 6;
  lincir_model_params_init(&params);
  params.config_path = argv[2];
  params.phi_path = argv[3];
  TRY(lincir_model_load(&model, argv[1], &params));
  TRY(lincir_context_new(&ctx, model));
  dim = lincir_model_embed_dim(model);

  /* Gallery: normalised image embeddings, ids = argument positions. */
  images = (lincir_image **)calloc((size_t)n, sizeof *images);
  emb = (float *)malloc(sizeof(float) * (size_t)(n * dim));
  ids = (int64_t *)malloc(sizeof(int64_t) * (size_t)n);
  query = (float *)malloc(sizeof(float) * (size_t)dim);
  for (i = 0; i < n; ++i) {
    TRY(lincir_image_load(&images[i], argv[6 + i]));
    ids[i] = i;
  }
  TRY(lincir_encode_images(ctx, (const lincir_image *const *)images, (size_t)n, 1, emb,
                           (size_t)(n * dim)));
  TRY(lincir_gallery_new(&gallery, dim));
  TRY(lincir_gallery_add(gallery, emb, (size_t)n, (size_t)dim, ids));

  /* The composed query: "a photo of $ that <text>", $ = the reference image. */
  TRY(lincir_image_load(&ref, argv[4]));
  text = argv[5];
  TRY(lincir_compose(ctx, (const lincir_image *const *)&ref, &text, 1, query, (size_t)dim));
  k = n < 3 ? n : 3;
  TRY(lincir_gallery_search(gallery, query, 1, (size_t)dim, k, NULL, scores, top));
  for (i = 0; i < k; ++i) printf("%d. %s %.4f\n", i + 1, argv[6 + top[i]], scores[i]);

  for (i = 0; i < n; ++i) lincir_image_free(images[i]);
  free(images);
  free(emb);
  free(ids);
  free(query);
  lincir_image_free(ref);
  lincir_gallery_free(gallery);
  lincir_context_free(ctx);
  lincir_model_free(model);
  return 0;
}

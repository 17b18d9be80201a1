/*
 * lincir.h: the stable C ABI of lincir (zero-shot composed image retrieval after LinCIR).
 *
 * Conventions (after llama.h, whisper.h, faiss's c_api and libgit2):
 *
 * - Every function that can fail returns an `int` status: LINCIR_OK (0) or a negative
 *   `lincir_status` code. The message of the last failure on the calling thread is returned by
 *   lincir_last_error(); it must be read on the same thread, before the next lincir_ call.
 * - Objects are opaque handles created through a leading out-parameter (`lincir_x **out`) and
 *   released with the matching `lincir_x_free`, which accepts NULL. On failure `*out` is set to
 *   NULL. Never release a handle with anything but its own `_free`.
 * - Options are passed by pointer to a params struct whose first field is `struct_size`; fill it
 *   with the matching `_init()` function, then change fields. The library reads only the fields
 *   that fit in `struct_size`, so programs built against an older header keep working. Passing
 *   NULL for params means "defaults".
 * - Outputs of known size go into caller-owned buffers with an explicit element count; functions
 *   fail with LINCIR_ERR_INVALID_ARGUMENT when a buffer is too small. Embeddings are row-major
 *   float32, one row per input, L2-normalised unless said otherwise.
 * - No C++ exception ever crosses this boundary, and no input makes the library abort.
 *
 * Thread safety:
 * - lincir_model is immutable after loading and may be shared by any number of threads.
 * - lincir_context is per thread: use one context per thread (contexts are cheap).
 * - lincir_gallery: concurrent searches are safe; lincir_gallery_add/merge must not run
 *   concurrently with other calls on the same gallery (the call fails with
 *   LINCIR_ERR_INVALID_ARGUMENT if it detects that it would).
 * - lincir_trainer and lincir_image: one thread at a time.
 */
#ifndef LINCIR_H
#define LINCIR_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && !defined(LINCIR_STATIC)
#  if defined(LINCIR_BUILD)
#    define LINCIR_API __declspec(dllexport)
#  else
#    define LINCIR_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define LINCIR_API __attribute__((visibility("default")))
#else
#  define LINCIR_API
#endif

#if defined(__cplusplus) && __cplusplus >= 201103L
#  define LINCIR_NOEXCEPT noexcept
#else
#  define LINCIR_NOEXCEPT
#endif

#if defined(__GNUC__)
#  define LINCIR_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#  define LINCIR_DEPRECATED(msg)
#endif

#define LINCIR_C_VERSION_MAJOR 0
#define LINCIR_C_VERSION_MINOR 1
#define LINCIR_C_VERSION_PATCH 0
#define LINCIR_C_VERSION_NUMBER \
  (LINCIR_C_VERSION_MAJOR * 10000 + LINCIR_C_VERSION_MINOR * 100 + LINCIR_C_VERSION_PATCH)
/* Bumped on any incompatible change of this header (removed function, changed signature). */
#define LINCIR_ABI_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status and errors ------------------------------------------------------------------ */

typedef enum lincir_status {
  LINCIR_OK = 0,
  LINCIR_ERR_INVALID_ARGUMENT = -1, /* NULL pointer, bad size/dimension/option/text */
  LINCIR_ERR_IO = -2,               /* a file could not be opened, read, written or renamed */
  LINCIR_ERR_FORMAT = -3,           /* corrupt, truncated or wrong kind of file or data */
  LINCIR_ERR_OUT_OF_MEMORY = -4,
  LINCIR_ERR_DEVICE = -5,      /* requested device (e.g. CUDA) unavailable */
  LINCIR_ERR_UNSUPPORTED = -6, /* valid request this build cannot serve */
  LINCIR_ERR_CANCELLED = -7,   /* an abort callback returned non-zero */
  LINCIR_ERR_INTERNAL = -99    /* a bug in lincir: please report it */
} lincir_status;

/* Message of the last failure on this thread ("" if none). Valid until the next lincir_ call
 * on this thread. */
LINCIR_API const char *lincir_last_error(void) LINCIR_NOEXCEPT;
/* Static, human-readable name of a status code. Never NULL. */
LINCIR_API const char *lincir_status_str(int status) LINCIR_NOEXCEPT;

/* ---- Versions ---------------------------------------------------------------------------- */

LINCIR_API int lincir_version_major(void) LINCIR_NOEXCEPT;
LINCIR_API int lincir_version_minor(void) LINCIR_NOEXCEPT;
LINCIR_API int lincir_version_patch(void) LINCIR_NOEXCEPT;
LINCIR_API int lincir_version_number(void) LINCIR_NOEXCEPT; /* major*10000 + minor*100 + patch */
LINCIR_API const char *lincir_version_string(void) LINCIR_NOEXCEPT;
LINCIR_API int lincir_abi_version(void) LINCIR_NOEXCEPT;
/* Build facts (torch version, CUDA, faiss). Static string. */
LINCIR_API const char *lincir_build_info(void) LINCIR_NOEXCEPT;

/* Intra-op threads for all computation in this process (0 = all cores). */
LINCIR_API int lincir_set_num_threads(int n_threads) LINCIR_NOEXCEPT;

/* The placeholder that marks the reference image's slot in a composition text: "$". */
LINCIR_API const char *lincir_default_marker(void) LINCIR_NOEXCEPT;

/* ---- Callbacks ----------------------------------------------------------------------------- */

/* Progress of a long call: `done` of `total` units (images, steps). `loss` is NaN when the call
 * has none. */
typedef void (*lincir_progress_callback)(int64_t done, int64_t total, float loss, void *user_data);
/* Polled regularly by long calls; returning non-zero stops the call with LINCIR_ERR_CANCELLED. */
typedef int (*lincir_abort_callback)(void *user_data);

/* ---- Images ------------------------------------------------------------------------------ */

typedef struct lincir_image lincir_image;

/* Decode a JPEG/PNG/BMP/GIF(first frame)/TGA/PNM file or in-memory buffer. */
LINCIR_API int lincir_image_load(lincir_image **out, const char *path) LINCIR_NOEXCEPT;
LINCIR_API int lincir_image_decode(lincir_image **out, const void *data, size_t size) LINCIR_NOEXCEPT;
/* Copy a pixel buffer: `channels` 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA), 8 bits each;
 * `stride` bytes between rows (0 = width * channels). */
LINCIR_API int lincir_image_from_pixels(lincir_image **out, const uint8_t *pixels, int width,
                                        int height, int channels, size_t stride) LINCIR_NOEXCEPT;
LINCIR_API int lincir_image_width(const lincir_image *image) LINCIR_NOEXCEPT;  /* -1 on NULL */
LINCIR_API int lincir_image_height(const lincir_image *image) LINCIR_NOEXCEPT; /* -1 on NULL */
LINCIR_API void lincir_image_free(lincir_image *image) LINCIR_NOEXCEPT;

/* ---- Model: CLIP towers + projector ------------------------------------------------------ */

typedef struct lincir_model lincir_model;

typedef enum lincir_dtype {
  LINCIR_DTYPE_FLOAT32 = 0,
  LINCIR_DTYPE_FLOAT16 = 1, /* CUDA only */
  LINCIR_DTYPE_BFLOAT16 = 2
} lincir_dtype;

typedef enum lincir_preprocess {
  LINCIR_PREPROCESS_OPENAI = 0, /* clip._transform */
  LINCIR_PREPROCESS_HF = 1      /* transformers CLIPImageProcessor (LinCIR's evaluation) */
} lincir_preprocess;

typedef struct lincir_model_params {
  uint32_t struct_size;    /* sizeof(lincir_model_params); set by _init */
  const char *device;      /* "cpu" (default), "cuda", "cuda:N" */
  int32_t dtype;           /* lincir_dtype, default FLOAT32 */
  const char *config_path; /* CLIP config JSON; NULL = beside the weights / from the file */
  const char *phi_path;    /* projector weights (safetensors or LinCIR .pt); NULL = none */
  int32_t preprocess;      /* lincir_preprocess, default OPENAI */
} lincir_model_params;

LINCIR_API int lincir_model_params_init(lincir_model_params *params) LINCIR_NOEXCEPT;
/* Loads CLIP weights: a .safetensors file (OpenAI/OpenCLIP key names), a HuggingFace CLIPModel
 * directory, or an OpenAI TorchScript .pt archive; plus the projector if params->phi_path. */
LINCIR_API int lincir_model_load(lincir_model **out, const char *clip_path,
                                 const lincir_model_params *params) LINCIR_NOEXCEPT;
LINCIR_API void lincir_model_free(lincir_model *model) LINCIR_NOEXCEPT;
/* Dimension of every embedding the model returns (CLIP projection dim); -1 on NULL. */
LINCIR_API int lincir_model_embed_dim(const lincir_model *model) LINCIR_NOEXCEPT;
/* 1 if a projector is loaded, 0 if not, -1 on NULL. */
LINCIR_API int lincir_model_has_projector(const lincir_model *model) LINCIR_NOEXCEPT;

/* ---- Context: per-thread encoding and composition ---------------------------------------- */

typedef struct lincir_context lincir_context;

/* The context keeps a reference to `model`: free the context before the model. */
LINCIR_API int lincir_context_new(lincir_context **out, const lincir_model *model) LINCIR_NOEXCEPT;
LINCIR_API void lincir_context_free(lincir_context *ctx) LINCIR_NOEXCEPT;

/* Embeds `n` images into `out` (n * embed_dim floats, `out_len` = capacity in floats). With
 * `normalize` = 0 the rows are CLIP's raw projected features (what the projector takes), with 1
 * they are L2-normalised (what galleries store). */
LINCIR_API int lincir_encode_images(lincir_context *ctx, const lincir_image *const *images,
                                    size_t n, int normalize, float *out,
                                    size_t out_len) LINCIR_NOEXCEPT;
/* Embeds `n` UTF-8 texts (truncated to the context length). */
LINCIR_API int lincir_encode_texts(lincir_context *ctx, const char *const *texts, size_t n,
                                   int normalize, float *out, size_t out_len) LINCIR_NOEXCEPT;
/* Composed queries: reference image i + text i. A text containing the marker "$" is used as is
 * (every "$" becomes the image's pseudo token); otherwise it is a modification and the CIRR
 * template "a photo of $ that {text}" is applied. Needs a projector. */
LINCIR_API int lincir_compose(lincir_context *ctx, const lincir_image *const *references,
                              const char *const *texts, size_t n, float *out,
                              size_t out_len) LINCIR_NOEXCEPT;
/* Same from reference image embeddings: n * dim floats, the raw features of
 * lincir_encode_images(..., normalize = 0, ...) (LinCIR's projector takes un-normalised
 * features). Output rows are L2-normalised. */
LINCIR_API int lincir_compose_embeddings(lincir_context *ctx, const float *reference_embeddings,
                                         size_t n, size_t dim, const char *const *texts,
                                         float *out, size_t out_len) LINCIR_NOEXCEPT;

/* ---- Gallery: exact (or faiss) top-k cosine search --------------------------------------- */

typedef struct lincir_gallery lincir_gallery;

LINCIR_API int lincir_gallery_new(lincir_gallery **out, int dim) LINCIR_NOEXCEPT;
LINCIR_API void lincir_gallery_free(lincir_gallery *gallery) LINCIR_NOEXCEPT;
/* Adds n embeddings (n * dim floats, normalised on insertion) with unique ids. */
LINCIR_API int lincir_gallery_add(lincir_gallery *gallery, const float *embeddings, size_t n,
                                  size_t dim, const int64_t *ids) LINCIR_NOEXCEPT;
/* Top-k for nq queries. `scores` and `ids` hold nq * k entries; missing results are padded with
 * id -1 and score -INFINITY. `exclude` (NULL or nq ids, -1 = none) removes one id per query from
 * its ranking (CIRR removes the reference). */
LINCIR_API int lincir_gallery_search(const lincir_gallery *gallery, const float *queries, size_t nq,
                                     size_t dim, int k, const int64_t *exclude, float *scores,
                                     int64_t *ids) LINCIR_NOEXCEPT;
LINCIR_API int64_t lincir_gallery_size(const lincir_gallery *gallery) LINCIR_NOEXCEPT; /* -1 on NULL */
LINCIR_API int lincir_gallery_dim(const lincir_gallery *gallery) LINCIR_NOEXCEPT;      /* -1 on NULL */
/* Versioned, checksummed file; written atomically. */
LINCIR_API int lincir_gallery_save(const lincir_gallery *gallery, const char *path) LINCIR_NOEXCEPT;
LINCIR_API int lincir_gallery_load(lincir_gallery **out, const char *path) LINCIR_NOEXCEPT;

/* ---- Trainer: LinCIR's projector from captions alone ------------------------------------- */

typedef struct lincir_trainer lincir_trainer;

typedef enum lincir_mask_mode {
  LINCIR_MASK_KEYWORDS = 0, /* the paper's keyword spans (default) */
  LINCIR_MASK_CAPTION = 1,  /* the whole caption as "a photo of $" */
  LINCIR_MASK_MIX = 2       /* keywords, or the whole caption with probability mix_ratio */
} lincir_mask_mode;

typedef struct lincir_trainer_params {
  uint32_t struct_size;
  int64_t steps;           /* default 1000 */
  int32_t batch_size;      /* default 64 */
  float lr;                /* default 1e-4 */
  float weight_decay;      /* default 0.01 */
  int32_t warmup_steps;    /* default 0 */
  int32_t cosine;          /* 1: cosine decay after warmup; default 0 (constant) */
  float grad_clip;         /* max global norm; 0 = off (default) */
  float noise_scale;       /* u*eps noise scale; 0 disables it; default 1 */
  int32_t mask_mode;       /* lincir_mask_mode */
  float mix_ratio;         /* for LINCIR_MASK_MIX */
  uint64_t seed;           /* default 0 */
  int32_t bf16;            /* 1: bfloat16 autocast */
  const char *text_field;  /* jsonl field / csv column with captions; default "caption" */
  const char *checkpoint_path; /* NULL = no checkpoints */
  int64_t checkpoint_every;    /* steps; 0 = only at the end */
  lincir_progress_callback progress; /* may be NULL */
  lincir_abort_callback abort;       /* may be NULL */
  void *user_data;
} lincir_trainer_params;

LINCIR_API int lincir_trainer_params_init(lincir_trainer_params *params) LINCIR_NOEXCEPT;
/* The trainer keeps a reference to `model` (its text tower is frozen): free it first. */
LINCIR_API int lincir_trainer_new(lincir_trainer **out, const lincir_model *model,
                                  const lincir_trainer_params *params) LINCIR_NOEXCEPT;
LINCIR_API void lincir_trainer_free(lincir_trainer *trainer) LINCIR_NOEXCEPT;
/* Trains on a caption file (.txt/.jsonl/.csv/.tsv, optionally .gz) until `steps`. */
LINCIR_API int lincir_trainer_fit(lincir_trainer *trainer, const char *captions_path) LINCIR_NOEXCEPT;
LINCIR_API int64_t lincir_trainer_step(const lincir_trainer *trainer) LINCIR_NOEXCEPT; /* -1 on NULL */
/* Writes the trained projector (safetensors, atomically). */
LINCIR_API int lincir_trainer_save_projector(const lincir_trainer *trainer, const char *path) LINCIR_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* LINCIR_H */

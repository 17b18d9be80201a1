// lincir::synth: a small procedural world for composed image retrieval (CIR) that runs anywhere.
//
// * Scenes: 1-3 coloured shapes (shape, colour, size, position) on a coloured, optionally
//   textured background, rendered anti-aliased with seeded jitter into small RGB images.
// * Captions: varied English descriptions that mention some attributes, with verbs, prepositions
//   and relative clauses, plus "composed" captions that describe a scene as an edit of a
//   neighbouring one ("a red circle that is blue instead of red"), so the modification grammar
//   used at query time is part of the training language. Every token carries its UPOS tag, so
//   LinCIR's keyword spans (maximal DET/ADJ/NOUN/PROPN runs) are known exactly.
// * CIR triplets: reference scene + modification text -> the exact target scene, and galleries
//   that hold every one-attribute hard negative of every target.
// * Held-out sets: some (shape, colour) pairs and some modification phrasings never appear in
//   anything generated with Split::train.
// * Writers: PNG files plus JSONL in the generic triplet format (see write_cir_set).
//
// Determinism: everything is a pure function of its seed. Random numbers come from Rng (no
// std:: distributions), attribute choices and texts use integer arithmetic only, and rendering
// uses no libm calls (rotations use polynomial sin/cos), so outputs are identical across
// platforms with IEEE-754 floats and no -ffast-math.
//
// Thread safety: all types are values; const member functions and free functions are
// reentrant. Rng, CaptionCorpus and SceneStream are stateful and must not be shared between
// threads without synchronisation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lincir/common.hpp"
#include "lincir/image.hpp"

namespace lincir::synth {

// ---------------------------------------------------------------------------------------------
// Random numbers

// SplitMix64: tiny, fast, statistically sound for simulation, identical on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : state_(seed) {}
  uint64_t next_u64() {  // inline: the renderer draws one per pixel channel
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform();                      // [0, 1), 53 random bits
  double uniform(double lo, double hi);  // [lo, hi)
  uint32_t below(uint32_t n);            // uniform integer in [0, n), unbiased; n > 0
  bool bernoulli(double p);              // true with probability p
  double normal();                       // approx. N(0,1): Irwin-Hall sum of 12 uniforms
  template <class T>
  const T& pick(const std::vector<T>& v) {
    LINCIR_CHECK(!v.empty(), "Rng::pick: empty vector");
    return v[below(static_cast<uint32_t>(v.size()))];
  }
  // An independent stream for a sub-task (e.g. item i of a data set).
  Rng fork(uint64_t salt) const;

 private:
  uint64_t state_;
};

// Mixes a seed and a salt into a new well-distributed seed.
uint64_t mix_seed(uint64_t seed, uint64_t salt);

// ---------------------------------------------------------------------------------------------
// Attributes. The enumerators' numeric values are stable (they index tables and appear in keys).

enum class Shape : uint8_t { circle, square, triangle, star, cross, diamond, ring, hexagon, heart };
enum class Color : uint8_t { red, green, blue, yellow, purple, orange, cyan, pink, white };
enum class Size : uint8_t { small, large };
enum class Position : uint8_t { left, right, top, bottom, center };
enum class Background : uint8_t { black, gray, brown, navy, white, beige };
enum class Texture : uint8_t { plain, stripes, dots };

inline constexpr int kNumShapes = 9;
inline constexpr int kNumColors = 9;
inline constexpr int kNumSizes = 2;
inline constexpr int kNumPositions = 5;
inline constexpr int kNumBackgrounds = 6;
inline constexpr int kNumTextures = 3;

// Lower-case English names ("circle", "red", "small", "left", "navy", "stripes") and parsers
// (throw Error(invalid_argument) naming the unknown word).
const char* to_string(Shape v) noexcept;
const char* to_string(Color v) noexcept;
const char* to_string(Size v) noexcept;
const char* to_string(Position v) noexcept;
const char* to_string(Background v) noexcept;
const char* to_string(Texture v) noexcept;
Shape parse_shape(const std::string& s);
Color parse_color(const std::string& s);
Size parse_size(const std::string& s);
Position parse_position(const std::string& s);
Background parse_background(const std::string& s);
Texture parse_texture(const std::string& s);

// Nominal sRGB values before jitter.
std::array<uint8_t, 3> color_rgb(Color c) noexcept;
std::array<uint8_t, 3> background_rgb(Background b) noexcept;

// ---------------------------------------------------------------------------------------------
// Scenes

struct Object {
  Shape shape = Shape::circle;
  Color color = Color::red;
  Size size = Size::small;
  Position position = Position::center;
  bool operator==(const Object& o) const {
    return shape == o.shape && color == o.color && size == o.size && position == o.position;
  }
  bool operator!=(const Object& o) const { return !(*this == o); }
};

// The discrete content of an image. Layout rules (checked by validate_scene):
//   1 object: any position;
//   2 objects: positions {left, right} or {top, bottom};
//   3 objects: {left, center, right} or {top, center, bottom}, all small.
// Objects are kept sorted by position (canonical order), so equal scenes compare equal.
struct Scene {
  Background background = Background::black;
  Texture texture = Texture::plain;
  std::vector<Object> objects;

  // Canonical text key, e.g. "navy plain | small red circle left | large blue star right".
  std::string key() const;
  bool operator==(const Scene& o) const {
    return background == o.background && texture == o.texture && objects == o.objects;
  }
  bool operator!=(const Scene& o) const { return !(*this == o); }
  bool operator<(const Scene& o) const { return key() < o.key(); }
};

// Sorts the objects into canonical order.
void canonicalize(Scene& s);
// Empty string when `s` obeys the layout rules and is canonical, else the reason.
std::string scene_problem(const Scene& s);
// Throws Error(invalid_argument) with the reason unless scene_problem(s) is empty.
void validate_scene(const Scene& s);
// Parses Scene::key() back (throws Error(invalid_argument) on malformed keys).
Scene parse_scene_key(const std::string& key);

struct ShapeColor {
  Shape shape;
  Color color;
  bool operator==(const ShapeColor& o) const { return shape == o.shape && color == o.color; }
};

// Which part of the world a generator may draw from.
//   train:   nothing that contains a held-out (shape, colour) pair, only training phrasings.
//   heldout: every item contains a held-out pair (scenes, captions) or, for CIR queries, a
//            held-out pair in the reference or target or a held-out phrasing (or both).
//   all:     no restriction (items report what held-out parts they use).
enum class Split { train, heldout, all };
const char* to_string(Split s) noexcept;
Split parse_split(const std::string& s);

// The vocabulary of a world and its held-out pairs. A value type; copy freely.
struct World {
  std::vector<Shape> shapes;
  std::vector<Color> colors;
  std::vector<Size> sizes;
  std::vector<Position> positions;
  std::vector<Background> backgrounds;
  std::vector<Texture> textures;
  // Probability of 1, 2 and 3 objects for World::sample (need not sum to 1).
  std::array<double, 3> count_weights = {0.70, 0.22, 0.08};
  // (shape, colour) pairs that never appear in Split::train outputs.
  std::vector<ShapeColor> heldout_combos;

  // The prototype's world: 7 shapes (circle..ring), 8 colours (red..pink), 2 sizes,
  // 5 positions, backgrounds black/gray/brown/navy, no texture, held out: purple star, cyan
  // circle, pink triangle, red diamond, yellow ring. 2,240 single-object scenes.
  static World standard();
  // Every shape, colour, background and texture; same held-out pairs plus white heart.
  static World rich();

  // Throws Error(invalid_argument) for empty or duplicated attribute lists, held-out pairs
  // outside the vocabulary, or a held-out set that leaves a shape or colour with no training
  // pair.
  void validate() const;
  bool is_heldout(const Object& o) const;
  bool has_heldout(const Scene& s) const;
  // Every attribute is in the vocabulary and the layout is valid.
  bool contains(const Scene& s) const;
  // contains(s) and s fits the split (train: no held-out pair; heldout: at least one).
  bool allows(const Scene& s, Split split) const;

  // A random scene of the split: object count from count_weights.
  Scene sample(Rng& rng, Split split = Split::train) const;
  // A random scene with exactly `count` objects (1-3).
  Scene sample(Rng& rng, int count, Split split) const;
  // Every single-object scene the split allows, in a fixed order.
  std::vector<Scene> single_object_scenes(Split split = Split::all) const;
  // Every scene the split allows that differs from `s` in exactly one attribute: one object's
  // shape, colour or size; the position of a lone object; the layout of two objects (swapped, or
  // left/right <-> top/bottom); the background colour or texture; or one object fewer. These are
  // the hard negatives of a CIR target.
  std::vector<Scene> neighbors(const Scene& s, Split split = Split::all) const;
};

// ---------------------------------------------------------------------------------------------
// Rendering

struct RenderOptions {
  int size = 40;                  // output is size x size RGB
  int supersample = 4;            // samples per pixel per axis (anti-aliasing)
  bool jitter = true;             // false: the canonical rendering, no noise
  float position_jitter = 2.0f;   // +- pixels at 40 px (scaled with size)
  float radius_jitter = 0.08f;    // +- fraction of the radius
  float rotation_jitter = 15.0f;  // +- degrees
  float color_jitter = 12.0f;     // +- per channel (0-255) and +-8% brightness
  float noise_sigma = 0.025f;     // Gaussian pixel noise, fraction of 255
};

// Renders `scene` (validated) with jitter drawn from `seed`. Throws Error(invalid_argument) for
// an invalid scene or options (size 8-1024, supersample 1-16). About 50 us of CPU per 40 px
// image (measured: 18,000 renders in 0.79 s of CPU time).
Image render(const Scene& scene, uint64_t seed, const RenderOptions& options = {});
// Same, into a caller buffer of size*size*3 bytes (no allocation).
void render_into(const Scene& scene, uint64_t seed, const RenderOptions& options, uint8_t* rgb);

// PNG encoding of an 8-bit gray/gray-alpha/RGB/RGBA image (stb_image_write).
std::vector<uint8_t> encode_png(const Image& image);
// encode_png + atomic write (temporary file, fsync, rename). Throws Error(io).
void write_png(const std::string& path, const Image& image);

// ---------------------------------------------------------------------------------------------
// Texts with part-of-speech tags

// Universal POS tags (UD), as LinCIR's spaCy rule uses them.
enum class Pos : uint8_t {
  det,
  adj,
  noun,
  propn,
  verb,
  aux,
  adp,
  adv,
  pron,
  cconj,
  sconj,
  num,
  part,
  punct
};
const char* to_string(Pos p) noexcept;  // "DET", "ADJ", ...
// DET, ADJ, NOUN, PROPN: the tags whose maximal runs form LinCIR's keyword spans.
bool is_keyword_pos(Pos p) noexcept;

// A generated sentence: `text` is the tokens joined with spaces, punctuation attached to the
// word before it ("a circle, red"). tokens.size() == pos.size().
struct Text {
  std::string text;
  std::vector<std::string> tokens;
  std::vector<Pos> pos;
};

// LinCIR's keyword spans: maximal runs of keyword tags, joined by single spaces, left to right.
std::vector<std::string> keyword_spans(const Text& t);

struct SpanStats {
  size_t texts = 0;
  size_t tokens = 0;
  size_t keyword_tokens = 0;  // tokens inside a span
  size_t spans = 0;
  size_t texts_without_span = 0;
  double tokens_per_text() const { return texts ? double(tokens) / texts : 0.0; }
  double spans_per_text() const { return texts ? double(spans) / texts : 0.0; }
  double keyword_token_fraction() const { return tokens ? double(keyword_tokens) / tokens : 0.0; }
};
SpanStats span_stats(const std::vector<Text>& texts);

// Every word the world's texts can contain, with its tag, sorted (a word appears once).
std::vector<std::pair<std::string, Pos>> vocabulary();

// ---------------------------------------------------------------------------------------------
// Modifications

enum class ChangeKind : uint8_t { color, shape, size, position, background, texture, add, remove };
const char* to_string(ChangeKind k) noexcept;
ChangeKind parse_change_kind(const std::string& s);

// One edit. `object` indexes the objects of the scene it applies to (color, shape, size,
// position, remove); `value` is the new attribute as its enum's number (color, shape, size,
// position, background, texture); `added` is the new object (add).
struct Change {
  ChangeKind kind = ChangeKind::color;
  int object = 0;
  int value = 0;
  Object added{};
};

// Applies the change; the result is canonical. Throws Error(invalid_argument) when the change
// does not apply (bad index, value equal to the current one, invalid resulting layout).
Scene apply_change(const Scene& s, const Change& c);
Scene apply_changes(const Scene& s, const std::vector<Change>& changes);

// A phrasing template of the modification grammar. Slots in braces are filled from the scene
// and the change: {c0}/{c1} old/new colour, {s0}/{s1} shape, {z1} new size, {cmp} comparative
// (smaller/bigger), {p1} position noun, {at_p0}/{at_p1} position phrase ("on the left"),
// {b0}/{b1} background colour, {t0}/{t1} texture adjective, {ref} the edited object ("it",
// "the circle", "the red circle on the left"; {refnp}: never "it"), {new} the added object
// ("small green star"),
// {at_new} its position phrase, {gone} the removed object, {keep} the object that stays.
struct Phrasing {
  int id = 0;
  ChangeKind kind = ChangeKind::color;
  std::string pattern;
  bool heldout = false;        // never used by Split::train outputs
  bool predicate = false;      // reads after "that" ("is blue instead of red")
  bool single_object = false;  // only for one-object references (it has no {ref} slot)
};
// The whole table, ids 0..n-1 in order.
const std::vector<Phrasing>& phrasings();

// A rendered modification text and the phrasings it used.
struct ModificationText {
  Text text;
  std::vector<int> phrasing_ids;
  bool heldout = false;  // any held-out phrasing
};

// Which phrasings a generator may use.
enum class PhrasingSet { training, heldout, any };

// Phrases `changes` (one or two, applied to `reference` in order) in English. With two
// changes the phrases are joined with "and". Throws Error(invalid_argument) if the changes do
// not apply or no phrasing of the set fits.
ModificationText phrase_modification(const Scene& reference, const std::vector<Change>& changes,
                                     Rng& rng, PhrasingSet set = PhrasingSet::any);

// ---------------------------------------------------------------------------------------------
// Captions

struct CaptionOptions {
  // Share of captions written as "neighbouring scene + modification" (composed captions).
  double composed_fraction = 0.25;
  // Probability that a plain caption mentions each optional attribute (colour, size, position,
  // background, texture); the shape is named with probability (1 + this) / 2 and at least one
  // attribute is always mentioned.
  double mention_probability = 0.6;
  // Mention every attribute of every object (for exact-scene retrieval); disables composition.
  bool complete = false;
};
// Defaults measured on 20,000 training captions of World::standard() (see docs/synth.md):
// one-object plain captions 8.1 tokens, 2.40 keyword spans covering 71% of the tokens (the
// hand-labelled real captions: 2.4 spans, 71%); all captions 10.6 tokens, 3.05 spans, 69%.

struct Caption : Text {
  bool composed = false;
  std::vector<int> phrasing_ids;  // phrasings used by a composed caption
  Scene source;                   // composed: the scene that the caption edits
};

// Captions for scenes. Immutable after construction; const methods are reentrant.
class Captioner {
 public:
  explicit Captioner(World world = World::standard(), CaptionOptions options = {});
  const World& world() const { return world_; }
  const CaptionOptions& options() const { return options_; }

  // One random caption of `scene`. With Split::train, composed captions only start from
  // training scenes and use training phrasings (scene itself is not checked).
  Caption caption(const Scene& scene, Rng& rng, Split split = Split::train) const;
  // `n` captions (distinct where the grammar allows), deterministic in `seed`.
  std::vector<Caption> captions(const Scene& scene, uint64_t seed, int n,
                                Split split = Split::train) const;
  // The fixed complete caption, e.g. "a photo of a small red circle on the left on a navy
  // background" (for oracles and zero-shot classification).
  Caption canonical(const Scene& scene) const;

 private:
  World world_;
  CaptionOptions options_;
};

// An endless, seeded stream of scenes of a split (for CLIP pretraining data).
class SceneStream {
 public:
  SceneStream(World world, uint64_t seed, Split split = Split::train);
  Scene next();
  uint64_t next_render_seed() { return rng_.next_u64(); }

 private:
  World world_;
  Rng rng_;
  Split split_;
};

// An endless, seeded stream of captions of random scenes (language only: φ training).
class CaptionCorpus {
 public:
  CaptionCorpus(Captioner captioner, uint64_t seed, Split split = Split::train);
  Caption next();
  std::vector<Caption> next_batch(int n);

 private:
  Captioner captioner_;
  Rng rng_;
  Split split_;
};

// ---------------------------------------------------------------------------------------------
// CIR triplets and sets

struct Triplet {
  Scene reference;
  Scene target;  // == apply_changes(reference, changes)
  std::vector<Change> changes;
  ModificationText modification;
  bool heldout_combo = false;  // reference or target has a held-out (shape, colour) pair
};

struct CirOptions {
  uint64_t seed = 123;
  int num_queries = 2000;
  Split split = Split::all;
  std::vector<ChangeKind> kinds;      // empty: every kind the world supports; balanced round-robin
  double two_object_fraction = 0.2;   // references with two objects (where the kind allows)
  double two_change_fraction = 0.15;  // queries with two simultaneous attribute changes
  bool include_single_object_scenes = true;  // the whole single-object universe of the split
  bool include_hard_negatives = true;        // every one-attribute neighbour of every target
  int num_distractors = 800;                 // extra random multi-object scenes
};
// With the defaults on World::standard() the gallery holds ~18,000 scenes (2,240 single-object
// scenes, the neighbours of 2,000 targets, 800 distractors); made in well under a second.

struct GalleryItem {
  Scene scene;
  uint64_t render_seed = 0;
};

// A CIR benchmark. Every gallery scene is unique (so each target is the one right answer), the
// gallery holds every reference, every target and (include_hard_negatives) all one-attribute
// neighbours of every target that the split allows. As in CIRR, the reference is a gallery image
// and evaluation removes it from its query's ranking.
struct CirSet {
  World world;
  CirOptions options;
  std::vector<GalleryItem> gallery;
  std::vector<Triplet> queries;
  std::vector<int> reference_index;  // per query, into gallery
  std::vector<int> target_index;     // per query, into gallery
};

// One random triplet of the split. `kind` is the (first) change; `two_changes` adds a second
// attribute change of another kind. Throws Error(invalid_argument) if the world cannot express
// the kind (e.g. texture with one texture).
Triplet make_triplet(const World& world, ChangeKind kind, bool two_changes, Rng& rng,
                     Split split = Split::all, double two_object_fraction = 0.2);
// The kinds `world` supports (texture only with 2+ textures, size with 2 sizes, ...).
std::vector<ChangeKind> supported_kinds(const World& world);

CirSet make_cir_set(const World& world, const CirOptions& options = {});

// ---------------------------------------------------------------------------------------------
// Writers. Images go into a fresh folder (staged, then renamed into place); every other file is
// written atomically. Paths inside the files are relative to `dir`.

// Writes `dir`/images/NNNNNN.png (gallery order), `dir`/gallery.txt (one image path per
// line), `dir`/queries.jsonl (the generic triplet format, one query per line:
// {"reference": "images/000012.png", "modification": "is blue instead of red",
//  "targets": ["images/000345.png"]}), `dir`/queries_meta.jsonl (line-aligned: kinds, flags,
// scene keys, canonical captions), `dir`/scenes.jsonl (per gallery image: path, key, canonical
// caption) and `dir`/meta.json (world, options, held-out pairs and phrasings, counts).
// Creates `dir`; throws Error(io) if `dir`/images exists and `overwrite` is false.
void write_cir_set(const CirSet& set, const std::string& dir, const RenderOptions& render = {},
                   bool overwrite = false);

struct CaptionSetOptions {
  int num_images = 1000;
  int captions_per_image = 1;
  uint64_t seed = 1;
  Split split = Split::train;
  CaptionOptions captions{};
};
// Writes `dir`/images/NNNNNN.png and `dir`/captions.jsonl, one line per (image, caption):
// {"image": "images/000000.png", "caption": "...", "scene": "<key>"}, for CLIP pretraining.
void write_caption_set(const World& world, const CaptionSetOptions& options, const std::string& dir,
                       const RenderOptions& render = {}, bool overwrite = false);

}  // namespace lincir::synth

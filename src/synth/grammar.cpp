// Noun and prepositional phrase pieces of the world's English.
#include "synth/grammar.hpp"

namespace lincir::synth::detail {
namespace {

constexpr const char* kPlural[kNumShapes] = {"circles",  "squares", "triangles", "stars", "crosses",
                                             "diamonds", "rings",   "hexagons",  "hearts"};

void pick_words(TextBuilder& b, Rng& rng, std::initializer_list<const char*> options) {
  const uint32_t i = rng.below(uint32_t(options.size()));
  b.words(*(options.begin() + i));
}

}  // namespace

void size_word(TextBuilder& b, Size z, Rng& rng) {
  if (z == Size::small) {
    const uint32_t r = rng.below(10);
    b.word(r < 6 ? "small" : (r < 9 ? "little" : "tiny"));
  } else {
    b.word(rng.below(2) ? "big" : "large");
  }
}

void position_noun(TextBuilder& b, Position p, Rng& rng) {
  if (p == Position::center)
    b.word(rng.below(2) ? "middle" : "center");
  else
    b.word(to_string(p));
}

void position_pp(TextBuilder& b, Position p, Rng& rng) {
  switch (p) {
    case Position::left:
    case Position::right:
      b.word(rng.below(3) ? "on" : "at");
      break;
    case Position::top:
    case Position::bottom:
      b.word(rng.below(4) ? "at" : "near");
      break;
    case Position::center:
      b.word("in");
      break;
  }
  b.word("the");
  position_noun(b, p, rng);
}

void position_pp_long(TextBuilder& b, Position p, Rng& rng) {
  const uint32_t r = rng.below(10);
  if (r < 6) {
    position_pp(b, p, rng);
    return;
  }
  if (r < 8 && (p == Position::left || p == Position::right)) {
    b.words(rng.below(2) ? "on the" : "to the");
    b.word(to_string(p));
    if (rng.below(2)) b.word("side");
    return;
  }
  position_pp(b, p, rng);
  b.word("of");
  pick_words(b, rng, {"the image", "the picture", "the frame", "the canvas"});
}

void shape_noun(TextBuilder& b, Shape s, bool plural) {
  b.word(plural ? kPlural[int(s)] : to_string(s));
}

const char* texture_adjective(Texture t) noexcept {
  switch (t) {
    case Texture::plain:
      return "plain";
    case Texture::stripes:
      return "striped";
    case Texture::dots:
      return "dotted";
  }
  return "plain";
}

void referring_expression(TextBuilder& b, const Scene& scene, int index, Rng& rng, bool allow_it) {
  const Object& o = scene.objects.at(size_t(index));
  const int n = int(scene.objects.size());
  auto unique = [&](auto same) {
    int count = 0;
    for (const Object& x : scene.objects) count += same(x);
    return count == 1;
  };
  // Candidate forms, each only when it names the object unambiguously.
  enum Form { it, shape, color_shape, color_generic, size_shape, shape_at, generic };
  std::vector<Form> forms;
  if (n == 1) {
    if (allow_it) forms.insert(forms.end(), {it, it, it});
    forms.insert(forms.end(), {shape, shape, color_shape, generic});
  } else {
    if (unique([&](const Object& x) { return x.shape == o.shape; })) forms.push_back(shape);
    if (unique([&](const Object& x) { return x.shape == o.shape && x.color == o.color; }))
      forms.push_back(color_shape);
    if (unique([&](const Object& x) { return x.color == o.color; })) forms.push_back(color_generic);
    if (unique([&](const Object& x) { return x.shape == o.shape && x.size == o.size; }))
      forms.push_back(size_shape);
    forms.push_back(shape_at);  // positions are always distinct
  }
  switch (rng.pick(forms)) {
    case it:
      b.word("it");
      return;
    case shape:
      b.word("the");
      shape_noun(b, o.shape);
      return;
    case color_shape:
      b.word("the");
      b.word(to_string(o.color));
      shape_noun(b, o.shape);
      return;
    case color_generic:
      b.word("the");
      b.word(to_string(o.color));
      b.word(rng.below(2) ? "shape" : "object");
      return;
    case size_shape:
      b.word("the");
      size_word(b, o.size, rng);
      shape_noun(b, o.shape);
      return;
    case shape_at:
      b.word("the");
      shape_noun(b, o.shape);
      position_pp(b, o.position, rng);
      return;
    case generic:
      b.words(rng.below(2) ? "the shape" : "the object");
      return;
  }
}

}  // namespace lincir::synth::detail

// Captions. Plain captions mention a random subset of the attributes in one of many sentence
// shapes (fragments, verbs, "there is", relative clauses, inversions, prompt-style lists, ...),
// because real caption data looks like that: in the hand-labelled reference 2.4 keyword spans
// cover 71% of the tokens, with verbs and prepositions between them. Composed captions describe
// a scene as an edit of a neighbouring scene with the modification grammar ("a red circle that
// is blue instead of red"), so the text encoder learns at training time the constructions that
// CIR queries use.
#include <algorithm>
#include <set>

#include "synth/grammar.hpp"

namespace lincir::synth {
namespace {

using detail::TextBuilder;

struct ObjectMentions {
  bool shape = true, color = true, size = true;
};

struct Mentions {
  std::vector<ObjectMentions> objects;
  bool position = true, background = true, texture = true;
};

template <class T>
bool has(const std::vector<T>& v, T x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

void pick_words(TextBuilder& b, Rng& rng, std::initializer_list<const char*> options) {
  b.words(*(options.begin() + rng.below(uint32_t(options.size()))));
}

Position opposite(Position p) {
  switch (p) {
    case Position::left:
      return Position::right;
    case Position::right:
      return Position::left;
    case Position::top:
      return Position::bottom;
    case Position::bottom:
      return Position::top;
    case Position::center:
      return Position::center;
  }
  return p;
}

bool horizontal(const Scene& s) {
  for (const Object& o : s.objects)
    if (o.position == Position::left || o.position == Position::right) return true;
  return false;
}

// Objects in reading order (left to right, top to bottom) for lists.
std::vector<int> spatial_order(const Scene& s) {
  auto rank = [](Position p) {
    switch (p) {
      case Position::left:
      case Position::top:
        return 0;
      case Position::center:
        return 1;
      case Position::right:
      case Position::bottom:
        return 2;
    }
    return 1;
  };
  std::vector<int> idx(s.objects.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = int(i);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) {
    return rank(s.objects[a].position) < rank(s.objects[b].position);
  });
  return idx;
}

class Writer {
 public:
  Writer(const World& w, const CaptionOptions& o, Rng& rng) : world_(w), opt_(o), rng_(rng) {}

  Mentions choose_mentions(const Scene& s, double scale = 1.0) {
    Mentions m;
    const double p = opt_.complete ? 1.0 : opt_.mention_probability * scale;
    const bool many = s.objects.size() > 1;
    for (size_t i = 0; i < s.objects.size(); ++i) {
      ObjectMentions om;
      om.color = rng_.bernoulli(p);
      om.size = rng_.bernoulli(p * 0.75);
      om.shape = rng_.bernoulli(0.5 + 0.5 * p);
      if (!om.shape && !om.color && (many || rng_.bernoulli(0.5))) om.shape = true;
      m.objects.push_back(om);
    }
    m.position = rng_.bernoulli(p);
    m.background = rng_.bernoulli(p * 0.6);
    // A plain texture goes unmentioned unless the caption must be complete.
    m.texture = world_.textures.size() > 1 &&
                (opt_.complete || (s.texture != Texture::plain && rng_.bernoulli(p)));
    if (opt_.complete) {
      m.position = m.background = true;
      for (auto& om : m.objects) om.shape = om.color = om.size = true;
      m.texture = world_.textures.size() > 1;
    }
    const ObjectMentions& f = m.objects[0];
    if (!many && !f.shape && !f.color && !f.size && !m.position && !m.background && !m.texture)
      m.objects[0].color = true;
    return m;
  }

  // "a small red circle" / "a shape"; `det` may be nullptr (bare noun phrase).
  void noun_phrase(TextBuilder& b, const Object& o, const ObjectMentions& m, const char* det,
                   bool adjectives = true) {
    if (det) b.word(det);
    if (adjectives && m.size) detail::size_word(b, o.size, rng_);
    if (adjectives && m.color) b.word(to_string(o.color));
    if (m.shape)
      detail::shape_noun(b, o.shape);
    else
      pick_words(b, rng_, {"shape", "shape", "object", "figure", "icon"});
  }

  // The adjectives that a relative clause or predicate can carry: "red", "small and red".
  bool predicate_adjectives(TextBuilder& b, const Object& o, const ObjectMentions& m) {
    if (m.size && m.color) {
      detail::size_word(b, o.size, rng_);
      b.word("and");
      b.word(to_string(o.color));
    } else if (m.color) {
      b.word(to_string(o.color));
    } else if (m.size) {
      detail::size_word(b, o.size, rng_);
    } else {
      return false;
    }
    return true;
  }

  void verb(TextBuilder& b, bool plural) {
    if (plural)
      pick_words(b, rng_, {"sit", "float", "appear", "are placed", "are drawn", "are shown"});
    else
      pick_words(b, rng_,
                 {"sits", "floats", "rests", "appears", "stands", "lies", "is placed", "is drawn",
                  "is shown", "is painted", "can be seen"});
  }

  void background_adjectives(TextBuilder& b, const Scene& s, const Mentions& m) {
    if (m.texture) b.word(detail::texture_adjective(s.texture));
    b.word(to_string(s.background));
  }

  // "on a navy background", "against a striped navy backdrop", "on a navy background with dots".
  void background_pp(TextBuilder& b, const Scene& s, const Mentions& m) {
    const uint32_t r = rng_.below(10);
    b.word(r < 5 ? "on" : (r < 7 ? "against" : (r < 9 ? "with" : "over")));
    b.word("a");
    const bool trailing_texture = m.texture && s.texture != Texture::plain && rng_.below(2);
    Mentions inner = m;
    inner.texture = m.texture && !trailing_texture;
    background_adjectives(b, s, inner);
    b.word(rng_.below(5) ? "background" : "backdrop");
    if (trailing_texture) {
      b.word("with");
      b.word(s.texture == Texture::stripes ? "stripes" : "dots");
    }
  }

  bool mentions_background(const Mentions& m) { return m.background || m.texture; }

  void background_tail(TextBuilder& b, const Scene& s, const Mentions& m) {
    if (!mentions_background(m)) return;
    if (!m.background) {  // texture alone: "on a striped background"
      b.words(rng_.below(2) ? "on a" : "against a");
      b.word(detail::texture_adjective(s.texture));
      b.word("background");
      return;
    }
    background_pp(b, s, m);
  }

  // ---- one object --------------------------------------------------------------------------
  Text single(const Scene& s, const Mentions& m) {
    const Object& o = s.objects[0];
    const ObjectMentions& om = m.objects[0];
    TextBuilder b;
    const bool adj = om.color || om.size;
    const bool bg = mentions_background(m);
    uint32_t form = rng_.below(100);
    // Forms that need a mention fall back to the basic fragment.
    if (form >= 36 && form < 46 && !adj) form = 0;
    if (form >= 46 && form < 54 && !m.position) form = 0;
    if (form >= 54 && form < 61 && !bg) form = 0;
    if (form >= 61 && form < 69 && !adj) form = 0;
    if (form >= 77 && form < 88 && !m.position && !bg) form = 0;
    auto tail = [&]() {
      if (m.position) detail::position_pp_long(b, o.position, rng_);
      background_tail(b, s, m);
    };
    if (form < 18) {  // "a small red circle sits on the left against a navy background"
      noun_phrase(b, o, om, "a");
      if ((m.position || bg) ? rng_.bernoulli(0.65) : rng_.bernoulli(0.3)) verb(b, false);
      tail();
    } else if (form < 25) {  // "there is a red circle near the top"
      b.words("there is");
      noun_phrase(b, o, om, "a");
      tail();
    } else if (form < 36) {  // "a photo of a red circle in the middle"
      pick_words(b, rng_,
                 {"a photo of", "an image of", "a picture of", "a drawing of", "an illustration of",
                  "a simple drawing of", "a render of", "clip art of", "a picture showing",
                  "an image featuring", "the image shows", "a photo showing"});
      noun_phrase(b, o, om, "a");
      tail();
    } else if (form < 46) {  // "a circle that is red floats at the top"
      noun_phrase(b, o, om, "a", false);
      b.word(rng_.below(4) ? "that" : "which");
      b.word("is");
      predicate_adjectives(b, o, om);
      if (m.position || bg) {
        if (rng_.bernoulli(0.5))
          verb(b, false);
        else
          b.word(",");
      }
      tail();
    } else if (form < 54) {  // "in the middle sits a red circle" / "on the left, a red circle"
      detail::position_pp(b, o.position, rng_);
      if (rng_.below(2)) {
        pick_words(b, rng_, {"sits", "floats", "stands", "appears", "is"});
      } else {
        b.word(",");
      }
      noun_phrase(b, o, om, "a");
      background_tail(b, s, m);
    } else if (form < 61) {  // "a navy background with a red circle on the left"
      b.word("a");
      background_adjectives(b, s, m);
      b.word(rng_.below(4) ? "background" : "backdrop");
      b.word("with");
      noun_phrase(b, o, om, "a");
      if (m.position) detail::position_pp_long(b, o.position, rng_);
    } else if (form < 69) {  // "the circle on the left is red"
      noun_phrase(b, o, om, "the", false);
      if (m.position) detail::position_pp(b, o.position, rng_);
      b.word("is");
      predicate_adjectives(b, o, om);
      background_tail(b, s, m);
    } else if (form < 77) {  // "small red circle, left side, navy background"
      noun_phrase(b, o, om, nullptr);
      if (m.position) {
        b.word(",");
        detail::position_noun(b, o.position, rng_);
        if (o.position == Position::left || o.position == Position::right) b.word("side");
      }
      if (bg) {
        b.word(",");
        if (m.background)
          background_adjectives(b, s, m);
        else
          b.word(detail::texture_adjective(s.texture));
        b.word("background");
      }
    } else if (form < 88) {  // "a red circle placed on the left"
      noun_phrase(b, o, om, "a");
      pick_words(b, rng_, {"placed", "drawn", "shown", "painted"});
      tail();
    } else {  // "a red circle is drawn here, near the top"
      noun_phrase(b, o, om, "a");
      if (rng_.below(2)) {
        b.word("is");
        pick_words(b, rng_, {"drawn", "shown", "painted"});
      } else {
        b.words("can be seen");
      }
      tail();
    }
    return b.finish();
  }

  // ---- two objects -------------------------------------------------------------------------
  Text pair(const Scene& s, const Mentions& m) {
    const Object& a = s.objects[0];  // left or top
    const Object& c = s.objects[1];  // right or bottom
    const bool hor = horizontal(s);
    TextBuilder b;
    const bool same = a.shape == c.shape && a.color == c.color && a.size == c.size;
    uint32_t form = rng_.below(100);
    // Complete captions use only the forms that state every object and where it is.
    if (opt_.complete) {
      if (form >= 30 && form < 45)
        form -= 30;  // "next to" -> "... on the left and ..."
      else if (form >= 65 && form < 78)
        form -= 20;  // "two shapes: ..." -> "to the left of"
      else if (form >= 90)
        form -= 12;  // "there is" -> "... sits on the left, ..."
    }
    if (same && form < 12) {  // "two red circles side by side on a navy background"
      b.word("two");
      if (m.objects[0].size) detail::size_word(b, a.size, rng_);
      if (m.objects[0].color || m.objects[1].color) b.word(to_string(a.color));
      detail::shape_noun(b, a.shape, true);
      if (rng_.below(2)) verb(b, true);
      if (hor)
        b.words("side by side");
      else
        b.words("stacked above each other");
      background_tail(b, s, m);
      return b.finish();
    }
    if (form < 30) {  // "a red circle on the left and a blue star on the right"
      if (rng_.below(3) == 0)
        pick_words(b, rng_, {"a photo of", "an image of", "a picture of", "a drawing of"});
      noun_phrase(b, a, m.objects[0], "a");
      if (m.position) detail::position_pp(b, a.position, rng_);
      b.word("and");
      noun_phrase(b, c, m.objects[1], "a");
      if (m.position) detail::position_pp(b, c.position, rng_);
    } else if (form < 45) {  // "a red circle next to a blue star"
      const bool swap = rng_.below(2);
      noun_phrase(b, swap ? c : a, m.objects[swap ? 1 : 0], "a");
      if (rng_.below(3))
        b.words("next to");
      else
        b.word("beside");
      noun_phrase(b, swap ? a : c, m.objects[swap ? 0 : 1], "a");
    } else if (form < 65) {  // "a red circle to the left of a blue star", "... above ..."
      const bool swap = rng_.below(2);
      const Object& first = swap ? c : a;
      noun_phrase(b, first, m.objects[swap ? 1 : 0], "a");
      if (rng_.below(3) == 0) verb(b, false);
      switch (first.position) {
        case Position::left:
          b.words("to the left of");
          break;
        case Position::right:
          b.words("to the right of");
          break;
        case Position::top:
          b.word("above");
          break;
        default:
          b.word("below");
          break;
      }
      noun_phrase(b, swap ? a : c, m.objects[swap ? 0 : 1], "a");
    } else if (form < 78) {  // "two shapes on a navy background: a red circle and a star"
      b.words(rng_.below(2) ? "two shapes" : "two objects");
      if (hor && rng_.below(2)) b.words("side by side");
      background_tail(b, s, m);
      b.word(":");
      noun_phrase(b, a, m.objects[0], "a");
      b.word("and");
      noun_phrase(b, c, m.objects[1], "a");
      return b.finish();
    } else if (form < 90) {  // "a red circle sits on the left and a star floats on the right"
      noun_phrase(b, a, m.objects[0], "a");
      verb(b, false);
      detail::position_pp(b, a.position, rng_);
      b.word(",");
      b.word(rng_.below(2) ? "and" : "but");
      noun_phrase(b, c, m.objects[1], "a");
      verb(b, false);
      detail::position_pp(b, c.position, rng_);
    } else {  // "there is a red circle and a blue star"
      b.words("there is");
      noun_phrase(b, a, m.objects[0], "a");
      b.word("and");
      noun_phrase(b, c, m.objects[1], "a");
      if (m.position) b.words(hor ? "side by side" : "stacked above each other");
    }
    background_tail(b, s, m);
    return b.finish();
  }

  // ---- three objects -----------------------------------------------------------------------
  Text triple(const Scene& s, const Mentions& m) {
    const std::vector<int> order = spatial_order(s);
    const bool hor = horizontal(s);
    TextBuilder b;
    auto list = [&]() {
      for (size_t k = 0; k < order.size(); ++k) {
        if (k == 1) b.word(",");
        if (k == 2) b.word("and");
        noun_phrase(b, s.objects[order[k]], m.objects[order[k]], "a");
      }
    };
    const uint32_t form = opt_.complete ? 0 : rng_.below(3);
    if (form == 0) {  // "a red circle, a star and a blue square from left to right"
      if (rng_.below(3) == 0) pick_words(b, rng_, {"a photo of", "an image of"});
      list();
      if (m.position) b.words(hor ? "from left to right" : "from top to bottom");
      background_tail(b, s, m);
    } else if (form == 1) {  // "three small shapes in a row on a navy background"
      b.word("three");
      if (rng_.below(2)) b.word("small");
      b.word(rng_.below(2) ? "shapes" : "objects");
      if (rng_.below(2)) b.words("are arranged");
      b.words(hor ? "in a row" : "in a column");
      background_tail(b, s, m);
      if (rng_.below(2)) {
        b.word(":");
        list();
      }
    } else {  // "a row of three shapes: a red circle, ..."
      b.words(hor ? "a row of three shapes" : "a column of three shapes");
      background_tail(b, s, m);
      b.word(":");
      list();
    }
    return b.finish();
  }

  Text plain(const Scene& s, double mention_scale = 1.0) {
    const Mentions m = choose_mentions(s, mention_scale);
    switch (s.objects.size()) {
      case 1:
        return single(s, m);
      case 2:
        return pair(s, m);
      default:
        return triple(s, m);
    }
  }

  // A neighbour S' of `s` and a change with apply_change(S', change) == s, allowed by `split`.
  bool source_of(const Scene& s, Split split, Scene* src, Change* change) {
    std::vector<ChangeKind> kinds = supported_kinds(world_);
    const int n = int(s.objects.size());
    for (int attempt = 0; attempt < 16; ++attempt) {
      const ChangeKind kind = rng_.pick(kinds);
      Scene t = s;
      Change c;
      c.kind = kind;
      const int i = int(rng_.below(uint32_t(n)));
      c.object = i;
      switch (kind) {
        case ChangeKind::color:
          t.objects[i].color = rng_.pick(world_.colors);
          c.value = int(s.objects[i].color);
          break;
        case ChangeKind::shape:
          t.objects[i].shape = rng_.pick(world_.shapes);
          c.value = int(s.objects[i].shape);
          break;
        case ChangeKind::size:
          t.objects[i].size = rng_.pick(world_.sizes);
          c.value = int(s.objects[i].size);
          break;
        case ChangeKind::position:
          if (n != 1) continue;
          t.objects[0].position = rng_.pick(world_.positions);
          c.object = 0;
          c.value = int(s.objects[0].position);
          break;
        case ChangeKind::background:
          t.background = rng_.pick(world_.backgrounds);
          c.value = int(s.background);
          break;
        case ChangeKind::texture:
          t.texture = rng_.pick(world_.textures);
          c.value = int(s.texture);
          break;
        case ChangeKind::add:
          if (n != 2) continue;
          c.added = s.objects[i];
          t.objects.erase(t.objects.begin() + i);
          break;
        case ChangeKind::remove: {
          if (n != 1 || s.objects[0].position == Position::center) continue;
          Object extra =
              world_.sample(rng_, 1, split == Split::train ? Split::train : Split::all).objects[0];
          extra.position = opposite(s.objects[0].position);
          if (!has(world_.positions, extra.position)) continue;
          t.objects.push_back(extra);
          canonicalize(t);
          c.object = t.objects[0] == extra ? 0 : 1;
          break;
        }
      }
      canonicalize(t);
      if (t == s || !world_.allows(t, split == Split::train ? Split::train : Split::all)) continue;
      if (!scene_problem(t).empty()) continue;
      *src = t;
      *change = c;
      return true;
    }
    return false;
  }

  bool composed(const Scene& s, Split split, Caption* out) {
    Scene src;
    Change change;
    if (!source_of(s, split, &src, &change)) return false;
    const PhrasingSet set = split == Split::train ? PhrasingSet::training : PhrasingSet::any;
    TextBuilder b;
    int id = -1;
    if (src.objects.size() == 1 && rng_.bernoulli(0.75)) {
      // "a photo of a red circle on the left that is blue instead of red"
      // The edited scene is described briefly: the modification carries the rest.
      const Mentions m = choose_mentions(src, 0.6);
      if (rng_.bernoulli(0.3)) pick_words(b, rng_, {"a photo of", "an image of", "a picture of"});
      noun_phrase(b, src.objects[0], m.objects[0], "a");
      if (m.position && rng_.bernoulli(0.35)) detail::position_pp(b, src.objects[0].position, rng_);
      b.word("that");
      if (!detail::phrase_change(b, src, change, rng_, set, detail::Form::predicate, false, &id))
        return false;
    } else {
      // "a red circle sits on the left, make it blue"
      b.append(plain(src, 0.45));
      b.word(",");
      if (!detail::phrase_change(b, src, change, rng_, set, detail::Form::standalone, false, &id))
        return false;
    }
    Text t = b.finish();
    static_cast<Text&>(*out) = std::move(t);
    out->composed = true;
    out->phrasing_ids = {id};
    out->source = src;
    return true;
  }

 private:
  const World& world_;
  const CaptionOptions& opt_;
  Rng& rng_;
};

}  // namespace

Captioner::Captioner(World world, CaptionOptions options)
    : world_(std::move(world)), options_(options) {
  world_.validate();
  LINCIR_CHECK(options_.composed_fraction >= 0.0 && options_.composed_fraction <= 1.0,
               "CaptionOptions.composed_fraction must be in [0, 1]");
  LINCIR_CHECK(options_.mention_probability >= 0.0 && options_.mention_probability <= 1.0,
               "CaptionOptions.mention_probability must be in [0, 1]");
}

Caption Captioner::caption(const Scene& scene, Rng& rng, Split split) const {
  validate_scene(scene);
  Writer w(world_, options_, rng);
  Caption c;
  if (!options_.complete && rng.bernoulli(options_.composed_fraction) &&
      w.composed(scene, split, &c))
    return c;
  static_cast<Text&>(c) = w.plain(scene);
  return c;
}

std::vector<Caption> Captioner::captions(const Scene& scene, uint64_t seed, int n,
                                         Split split) const {
  LINCIR_CHECK(n >= 0, "Captioner::captions: negative count");
  Rng rng(seed);
  std::vector<Caption> out;
  std::set<std::string> seen;
  for (int attempt = 0; int(out.size()) < n && attempt < 8 * n + 8; ++attempt) {
    Caption c = caption(scene, rng, split);
    if (seen.insert(c.text).second) out.push_back(std::move(c));
  }
  while (int(out.size()) < n) out.push_back(caption(scene, rng, split));  // grammar exhausted
  return out;
}

Caption Captioner::canonical(const Scene& scene) const {
  validate_scene(scene);
  TextBuilder b;
  b.words("a photo of");
  const std::vector<int> order = spatial_order(scene);
  for (size_t k = 0; k < order.size(); ++k) {
    if (k > 0) b.word(k + 1 == order.size() ? "and" : ",");
    const Object& o = scene.objects[order[k]];
    b.word("a");
    b.word(to_string(o.size));
    b.word(to_string(o.color));
    detail::shape_noun(b, o.shape);
    switch (o.position) {
      case Position::left:
        b.words("on the left");
        break;
      case Position::right:
        b.words("on the right");
        break;
      case Position::top:
        b.words("at the top");
        break;
      case Position::bottom:
        b.words("at the bottom");
        break;
      case Position::center:
        b.words("in the center");
        break;
    }
  }
  b.words("on a");
  if (world_.textures.size() > 1) b.word(detail::texture_adjective(scene.texture));
  b.word(to_string(scene.background));
  b.word("background");
  Caption c;
  static_cast<Text&>(c) = b.finish();
  return c;
}

SceneStream::SceneStream(World world, uint64_t seed, Split split)
    : world_(std::move(world)), rng_(seed), split_(split) {
  world_.validate();
}

Scene SceneStream::next() {
  return world_.sample(rng_, split_);
}

CaptionCorpus::CaptionCorpus(Captioner captioner, uint64_t seed, Split split)
    : captioner_(std::move(captioner)), rng_(seed), split_(split) {}

Caption CaptionCorpus::next() {
  const Scene s = captioner_.world().sample(rng_, split_);
  return captioner_.caption(s, rng_, split_);
}

std::vector<Caption> CaptionCorpus::next_batch(int n) {
  LINCIR_CHECK(n >= 0, "CaptionCorpus::next_batch: negative count");
  std::vector<Caption> out;
  out.reserve(size_t(n));
  for (int i = 0; i < n; ++i) out.push_back(next());
  return out;
}

}  // namespace lincir::synth

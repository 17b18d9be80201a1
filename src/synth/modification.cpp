// The modification grammar: a table of phrasing templates per change kind, some held out, and
// the slot filler that turns (reference, change) into text.
//
// Held-out phrasings recombine words that training phrasings and captions use (the prototype
// showed that words never seen in training get untrained embeddings and cut every method by
// half); what is new at test time is the construction, not the vocabulary.
#include <string_view>

#include "synth/grammar.hpp"

namespace lincir::synth {
namespace {

struct Row {
  ChangeKind kind;
  const char* pattern;
  bool predicate;
  bool heldout;
};

// P: predicate form (reads after "that"); S: standalone (imperative or elliptic).
constexpr bool P = true, S = false, H = true, T = false;
constexpr Row kRows[] = {
    // colour
    {ChangeKind::color, "is {c1}", P, T},
    {ChangeKind::color, "is {c1} instead of {c0}", P, T},
    {ChangeKind::color, "is {c1} , not {c0}", P, T},
    {ChangeKind::color, "is now {c1}", P, T},
    {ChangeKind::color, "make {ref} {c1}", S, T},
    {ChangeKind::color, "{ref} is {c1} instead of {c0}", S, T},
    {ChangeKind::color, "change the color of {refnp} to {c1}", S, T},
    {ChangeKind::color, "the same scene but {ref} is {c1}", S, T},
    {ChangeKind::color, "{c1} instead of {c0}", S, T},
    {ChangeKind::color, "turn {ref} {c1}", S, H},
    {ChangeKind::color, "has the color {c1} instead of {c0}", P, H},
    // shape
    {ChangeKind::shape, "is a {s1}", P, T},
    {ChangeKind::shape, "is a {s1} instead of a {s0}", P, T},
    {ChangeKind::shape, "is shaped like a {s1}", P, T},
    {ChangeKind::shape, "make {ref} a {s1}", S, T},
    {ChangeKind::shape, "replace {ref} with a {s1}", S, T},
    {ChangeKind::shape, "turn {ref} into a {s1}", S, T},
    {ChangeKind::shape, "{ref} becomes a {s1}", S, T},
    {ChangeKind::shape, "a {s1} instead of a {s0}", S, T},
    {ChangeKind::shape, "the same scene but with a {s1}", S, T},
    {ChangeKind::shape, "change {ref} to a {s1}", S, H},
    {ChangeKind::shape, "is now a {s1} , not a {s0}", P, H},
    // size
    {ChangeKind::size, "is {cmp}", P, T},
    {ChangeKind::size, "is {z1} instead of {z0}", P, T},
    {ChangeKind::size, "is a {cmp} {s0}", P, T},
    {ChangeKind::size, "make {ref} {cmp}", S, T},
    {ChangeKind::size, "a {cmp} {s0}", S, T},
    {ChangeKind::size, "{ref} is {cmp}", S, T},
    {ChangeKind::size, "{ref} should be {z1}", S, T},
    {ChangeKind::size, "the same scene but {ref} is {cmp}", S, H},
    // position (one-object references only: a lone object can go anywhere)
    {ChangeKind::position, "is {at_p1}", P, T},
    {ChangeKind::position, "is {at_p1} instead of {at_p0}", P, T},
    {ChangeKind::position, "is moved to the {p1}", P, T},
    {ChangeKind::position, "is shifted to the {p1}", P, T},
    {ChangeKind::position, "move {ref} to the {p1}", S, T},
    {ChangeKind::position, "moved to the {p1}", S, T},
    {ChangeKind::position, "the same scene but {ref} is {at_p1}", S, T},
    {ChangeKind::position, "sits {at_p1} instead of {at_p0}", P, H},
    // background colour
    {ChangeKind::background, "is on a {b1} background", P, T},
    {ChangeKind::background, "has a {b1} background instead of {b0}", P, T},
    {ChangeKind::background, "is on {b1} instead of {b0}", P, T},
    {ChangeKind::background, "on a {b1} background", S, T},
    {ChangeKind::background, "with a {b1} background instead of {b0}", S, T},
    {ChangeKind::background, "change the background to {b1}", S, T},
    {ChangeKind::background, "make the background {b1}", S, T},
    {ChangeKind::background, "the same scene but on a {b1} background", S, T},
    {ChangeKind::background, "the background is {b1} instead of {b0}", S, H},
    // background texture
    {ChangeKind::texture, "has a {t1} background", P, T},
    {ChangeKind::texture, "is on a {t1} background", P, T},
    {ChangeKind::texture, "make the background {t1}", S, T},
    {ChangeKind::texture, "with a {t1} background instead of {t0}", S, T},
    {ChangeKind::texture, "the same scene but with a {t1} background", S, T},
    {ChangeKind::texture, "the background is {t1} instead of {t0}", S, H},
    // add an object (to a one-object reference; it goes to the opposite side)
    {ChangeKind::add, "has a {new} {at_new} too", P, T},
    {ChangeKind::add, "also has a {new}", P, T},
    {ChangeKind::add, "add a {new}", S, T},
    {ChangeKind::add, "add a {new} {at_new}", S, T},
    {ChangeKind::add, "with a {new} {at_new}", S, T},
    {ChangeKind::add, "plus a {new}", S, T},
    {ChangeKind::add, "the same scene but with a {new} {at_new}", S, T},
    {ChangeKind::add, "is next to a {new}", P, H},
    // remove an object
    {ChangeKind::remove, "remove {gone}", S, T},
    {ChangeKind::remove, "without {gone}", S, T},
    {ChangeKind::remove, "only {keep}", S, T},
    {ChangeKind::remove, "take away {gone}", S, T},
    {ChangeKind::remove, "the same scene but without {gone}", S, T},
    {ChangeKind::remove, "is shown without {gone}", P, T},
    {ChangeKind::remove, "{keep} without {gone}", S, H},
};

bool object_level(ChangeKind k) {
  return k == ChangeKind::color || k == ChangeKind::shape || k == ChangeKind::size ||
         k == ChangeKind::position || k == ChangeKind::add;
}

std::vector<Phrasing> build_table() {
  std::vector<Phrasing> out;
  for (const Row& r : kRows) {
    Phrasing p;
    p.id = int(out.size());
    p.kind = r.kind;
    p.pattern = r.pattern;
    p.heldout = r.heldout;
    p.predicate = r.predicate;
    const std::string_view pat(r.pattern);
    const bool names_object = pat.find("{ref}") != std::string_view::npos ||
                              pat.find("{refnp}") != std::string_view::npos ||
                              pat.find("{gone}") != std::string_view::npos ||
                              pat.find("{keep}") != std::string_view::npos;
    p.single_object = object_level(r.kind) && !names_object;
    out.push_back(std::move(p));
  }
  return out;
}

bool in_set(const Phrasing& p, PhrasingSet set) {
  switch (set) {
    case PhrasingSet::training:
      return !p.heldout;
    case PhrasingSet::heldout:
      return p.heldout;
    case PhrasingSet::any:
      return true;
  }
  return false;
}

// Fills one slot of a phrasing for `change` applied to `ref`.
void fill_slot(detail::TextBuilder& b, std::string_view slot, const Scene& ref, const Change& c,
               Rng& rng) {
  const bool has_obj = c.object >= 0 && c.object < int(ref.objects.size());
  const Object* o = has_obj ? &ref.objects[c.object] : nullptr;
  auto obj = [&]() -> const Object& {
    LINCIR_CHECK_STATUS(o != nullptr, Status::internal, "synth: slot needs an object");
    return *o;
  };
  if (slot == "c0")
    b.word(to_string(obj().color));
  else if (slot == "c1")
    b.word(to_string(Color(c.value)));
  else if (slot == "s0")
    detail::shape_noun(b, obj().shape);
  else if (slot == "s1")
    detail::shape_noun(b, Shape(c.value));
  else if (slot == "z0")
    detail::size_word(b, obj().size, rng);
  else if (slot == "z1")
    detail::size_word(b, Size(c.value), rng);
  else if (slot == "cmp")
    b.word(Size(c.value) == Size::small ? "smaller" : (rng.below(2) ? "bigger" : "larger"));
  else if (slot == "p1")
    detail::position_noun(b, Position(c.value), rng);
  else if (slot == "at_p0")
    detail::position_pp(b, obj().position, rng);
  else if (slot == "at_p1")
    detail::position_pp(b, Position(c.value), rng);
  else if (slot == "b0")
    b.word(to_string(ref.background));
  else if (slot == "b1")
    b.word(to_string(Background(c.value)));
  else if (slot == "t0")
    b.word(detail::texture_adjective(ref.texture));
  else if (slot == "t1")
    b.word(detail::texture_adjective(Texture(c.value)));
  else if (slot == "ref")
    detail::referring_expression(b, ref, c.object, rng, true);
  else if (slot == "refnp")
    detail::referring_expression(b, ref, c.object, rng, false);
  else if (slot == "gone")
    detail::referring_expression(b, ref, c.object, rng, false);
  else if (slot == "keep") {
    LINCIR_CHECK_STATUS(ref.objects.size() == 2, Status::internal, "synth: {keep} needs 2 objects");
    detail::referring_expression(b, ref, 1 - c.object, rng, false);
  } else if (slot == "new") {
    detail::size_word(b, c.added.size, rng);
    b.word(to_string(c.added.color));
    detail::shape_noun(b, c.added.shape);
  } else if (slot == "at_new")
    detail::position_pp(b, c.added.position, rng);
  else
    LINCIR_THROW(Status::internal, "synth: unknown slot {" + std::string(slot) + "}");
}

void render_pattern(detail::TextBuilder& b, const std::string& pattern, const Scene& ref,
                    const Change& c, Rng& rng) {
  size_t i = 0;
  while (i < pattern.size()) {
    size_t j = pattern.find(' ', i);
    if (j == std::string::npos) j = pattern.size();
    std::string_view tok(pattern.data() + i, j - i);
    if (tok.size() > 2 && tok.front() == '{' && tok.back() == '}')
      fill_slot(b, tok.substr(1, tok.size() - 2), ref, c, rng);
    else if (!tok.empty())
      b.word(tok);
    i = j + 1;
  }
}

}  // namespace

const std::vector<Phrasing>& phrasings() {
  static const std::vector<Phrasing> table = build_table();
  return table;
}

namespace detail {

bool phrase_change(TextBuilder& b, const Scene& reference, const Change& change, Rng& rng,
                   PhrasingSet set, Form form, bool continuation, int* id) {
  const bool single = reference.objects.size() == 1;
  std::vector<const Phrasing*> fits;
  for (const Phrasing& p : phrasings()) {
    if (p.kind != change.kind || !in_set(p, set)) continue;
    if (form == Form::predicate && !p.predicate) continue;
    if (form == Form::standalone && p.predicate) continue;
    if (continuation && p.pattern.rfind("the same scene", 0) == 0) continue;
    if (p.single_object && !single) continue;
    if (p.pattern.find("{keep}") != std::string::npos && reference.objects.size() != 2) continue;
    fits.push_back(&p);
  }
  if (fits.empty()) return false;
  const Phrasing& p = *rng.pick(fits);
  render_pattern(b, p.pattern, reference, change, rng);
  if (id) *id = p.id;
  return true;
}

}  // namespace detail

ModificationText phrase_modification(const Scene& reference, const std::vector<Change>& changes,
                                     Rng& rng, PhrasingSet set) {
  LINCIR_CHECK(
      !changes.empty() && changes.size() <= 2,
      "phrase_modification: expected one or two changes, got " + std::to_string(changes.size()));
  ModificationText out;
  detail::TextBuilder b;
  Scene cur = reference;
  // Two changes share one grammatical form where possible ("is blue and has a black
  // background", "make it blue and move it to the left").
  const detail::Form form = changes.size() == 1  ? detail::Form::any
                            : rng.bernoulli(0.5) ? detail::Form::predicate
                                                 : detail::Form::standalone;
  for (size_t i = 0; i < changes.size(); ++i) {
    apply_change(cur, changes[i]);  // throws with the reason if the change does not apply
    if (i > 0) b.word("and");
    int id = -1;
    const bool cont = i > 0;
    const bool ok =
        detail::phrase_change(b, cur, changes[i], rng, set, form, cont, &id) ||
        detail::phrase_change(b, cur, changes[i], rng, set, detail::Form::any, cont, &id);
    LINCIR_CHECK(ok, std::string("phrase_modification: no phrasing of this set fits change '") +
                         to_string(changes[i].kind) + "' on '" + cur.key() + "'");
    out.phrasing_ids.push_back(id);
    out.heldout = out.heldout || phrasings()[size_t(id)].heldout;
    cur = apply_change(cur, changes[i]);
  }
  out.text = b.finish();
  return out;
}

}  // namespace lincir::synth

// Internal: noun-phrase and prepositional-phrase pieces shared by captions and modification
// texts, and the single-change phraser used by composed captions.
#pragma once

#include "lincir/synth.hpp"
#include "synth/text.hpp"

namespace lincir::synth::detail {

// "small" | "little" | "tiny" / "large" | "big".
void size_word(TextBuilder& b, Size z, Rng& rng);
// "left", ..., "center" | "middle".
void position_noun(TextBuilder& b, Position p, Rng& rng);
// Short position phrase: "on the left", "at the top", "in the middle", ...
void position_pp(TextBuilder& b, Position p, Rng& rng);
// Caption position phrase: also "to the left", "on the left side", "... of the image".
void position_pp_long(TextBuilder& b, Position p, Rng& rng);
// Shape noun, singular or plural.
void shape_noun(TextBuilder& b, Shape s, bool plural = false);
// "plain" | "striped" | "dotted".
const char* texture_adjective(Texture t) noexcept;
// A definite description that picks out object `index` of `scene` uniquely ("the circle",
// "the red shape", "the star on the left"); "it" is allowed for one-object scenes if
// `allow_it`.
void referring_expression(TextBuilder& b, const Scene& scene, int index, Rng& rng, bool allow_it);

// Which grammatical forms of phrasings to draw from.
enum class Form { any, predicate, standalone };

// Appends a phrase for `change` applied to `reference`, drawn from the phrasings of `set` and
// `form` that fit the scene; a `continuation` (the second change after "and") excludes the
// "the same scene but ..." openers. Returns false, appending nothing, when no phrasing fits.
// `*id` receives the phrasing id.
bool phrase_change(TextBuilder& b, const Scene& reference, const Change& change, Rng& rng,
                   PhrasingSet set, Form form, bool continuation, int* id);

}  // namespace lincir::synth::detail

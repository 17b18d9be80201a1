// A port of ftfy 6.3.1's fix_text with its default configuration (the first step of CLIP's
// basic_clean). See docs/tokenizer.md for what is reproduced and what differs.
#pragma once

#include <string>

namespace lincir::detail {

// ftfy.fix_text(text) with default TextFixerConfig: per line, repeated until nothing changes:
// unescape_html (unless the text contains '<'), fix_encoding (mojibake), fix_c1_controls,
// fix_latin_ligatures, fix_character_width, uncurl_quotes, fix_line_breaks,
// remove_terminal_escapes, remove_control_chars, NFC. Thread-safe.
std::u32string ftfy_fix_text(const std::u32string& text);

// ftfy.fix_encoding (the mojibake repair alone) and ftfy.badness.is_bad; exposed for tests.
std::u32string ftfy_fix_encoding(const std::u32string& text);
bool ftfy_is_bad(const std::u32string& text);

}  // namespace lincir::detail

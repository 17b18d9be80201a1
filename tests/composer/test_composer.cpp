// The public Composer: composed queries from every reference form, templates, FashionIQ, the
// baselines, and its errors.
#include <gtest/gtest.h>

#include "composer_fixtures.hpp"

using namespace lincir;
using namespace lincir::test;

namespace {

const std::string kPhi = "phi_outputs.safetensors";
const std::string kLincir = "lincir_outputs.safetensors";
const std::string kImg = "image_outputs.safetensors";

std::vector<std::string> e2e_texts() {
  return read_json(parity_file("phi_cases.json"))["e2e"]["texts"].get<std::vector<std::string>>();
}

std::vector<std::string> e2e_images() {
  return read_json(parity_file("phi_cases.json"))["e2e"]["image_names"].get<std::vector<std::string>>();
}

std::vector<Reference> as_refs(const Embeddings& e) {
  std::vector<Reference> out;
  for (Eigen::Index i = 0; i < e.rows(); ++i)
    out.push_back(Reference::from_embedding(std::vector<float>(e.row(i).data(), e.row(i).data() + e.cols())));
  return out;
}

}  // namespace

TEST(Composer, PromptsAndNames) {
  EXPECT_EQ(PromptTemplate::cirr().apply("is red"), "a photo of $ that is red");
  EXPECT_EQ(PromptTemplate::circo().pattern, "a photo of $ that {}");
  EXPECT_EQ((PromptTemplate{"$ {} $"}).apply("x"), "$ x $");
  EXPECT_THROW((PromptTemplate{"a photo of $"}).apply("x"), Error);
  EXPECT_THROW((PromptTemplate{"{} $ {}"}).apply("x"), Error);
  auto t = fashioniq_texts("is red.", " has shorter sleeves?, ");
  EXPECT_EQ(t[0], "is red and has shorter sleeves");
  EXPECT_EQ(t[1], "has shorter sleeves and is red");
  EXPECT_EQ(fashioniq_texts("...", "x")[0], " and x");
  for (auto m : {InjectionMode::every_marker, InjectionMode::first_marker, InjectionMode::before_eot})
    EXPECT_EQ(parse_injection_mode(injection_mode_name(m)), m);
  EXPECT_THROW(parse_injection_mode("all"), Error);
  EXPECT_EQ(default_injection_mode(ProjectorKind::lincir), InjectionMode::every_marker);
  EXPECT_EQ(default_injection_mode(ProjectorKind::searle), InjectionMode::first_marker);
  EXPECT_EQ(default_injection_mode(ProjectorKind::pic2word), InjectionMode::first_marker);
}

TEST(Composer, PseudoTokenTextsMatchLinCIRReference) {
  // Tokenization + injection from the texts, as LinCIR's evaluation does with clip.tokenize.
  const Composer c = make_composer();
  EXPECT_EQ(c.marker_token(), 259);
  auto texts = read_json(parity_file("lincir_cases.json"))["texts"].get<std::vector<std::string>>();
  texts.pop_back();  // the control case has no marker
  const Embeddings pseudo = matrix(kLincir, "pseudo_tokens").topRows(6);
  const Embeddings ref = matrix(kLincir, "text_features_normalized").topRows(6);
  EXPECT_LT(max_diff(c.encode_with_pseudo_tokens(pseudo, texts), ref), 1e-4f);
  EXPECT_LT(max_diff(c.encode_with_pseudo_tokens(pseudo, texts, /*normalize=*/false),
                     matrix(kLincir, "text_features").topRows(6)),
            1e-4f);
}

TEST(Composer, EndToEndFromEmbeddingsAndImages) {
  const Embeddings image_features = matrix(kPhi, "e2e.image_features");
  const Embeddings expected = matrix(kPhi, "e2e.query_features_normalized");
  const Composer c = make_composer();
  EXPECT_LT(max_diff(c.pseudo_tokens(image_features), matrix(kPhi, "e2e.pseudo_tokens")), 1e-5f);
  const Embeddings q = c.compose_embeddings(image_features, e2e_texts());
  EXPECT_LT(max_diff(q, expected), 1e-4f);
  for (Eigen::Index i = 0; i < q.rows(); ++i) EXPECT_NEAR(q.row(i).norm(), 1.f, 1e-5f);
  // The same through a template.
  std::vector<std::string> mods;
  for (const auto& t : e2e_texts()) mods.push_back(t.substr(std::string("a photo of $ that ").size()));
  EXPECT_LT(max_diff(c.compose(as_refs(image_features), mods, PromptTemplate::cirr()), expected), 1e-4f);

  // From the PNG files, preprocessed like the reference (openai pipeline): every reference form.
  ComposerOptions openai;
  openai.preprocess = PreprocessMode::openai;
  const Composer co = make_composer(openai);
  std::vector<Reference> paths, bytes, images;
  std::vector<Image> plain;
  for (const auto& name : e2e_images()) {
    const std::string file = parity_file("images/" + name + ".png");
    paths.push_back(Reference::from_path(file));
    bytes.push_back(Reference::from_bytes(read_bytes(file)));
    images.push_back(Reference::from_image(Image::load(file)));
    plain.push_back(Image::load(file));
  }
  EXPECT_LT(max_diff(co.compose(paths, e2e_texts()), expected), 1e-4f);
  EXPECT_LT(max_diff(co.compose(bytes, e2e_texts()), expected), 1e-4f);
  EXPECT_LT(max_diff(co.compose(images, e2e_texts()), expected), 1e-4f);
  EXPECT_LT(max_diff(co.compose(plain, e2e_texts()), expected), 1e-4f);
  // Preprocessed pixel buffers (png_batch rows 0, 3, 7).
  const torch::Tensor px = tensor(kImg, "png_batch.pixel_values");
  std::vector<Reference> pixels;
  for (int64_t r : {0, 3, 7}) {
    torch::Tensor row = px[r].contiguous();
    pixels.push_back(Reference::from_pixels(std::vector<float>(row.data_ptr<float>(), row.data_ptr<float>() + row.numel())));
  }
  EXPECT_LT(max_diff(co.compose(pixels, e2e_texts()), expected), 1e-4f);
  // A mixed batch keeps its order.
  std::vector<Reference> mixed = {pixels[0], as_refs(image_features)[1], paths[2]};
  EXPECT_LT(max_diff(co.compose(mixed, e2e_texts()), expected), 1e-4f);
}

TEST(Composer, DefaultPreprocessingFollowsTheProjector) {
  // LinCIR evaluates with HF's CLIPImageProcessor: nonsquare_50x37 is cropped at left 5, not 6.
  const std::string file = parity_file("images/nonsquare_50x37.png");
  const Embeddings lincir = make_composer().encode_references({Reference::from_path(file)});
  const Embeddings searle = make_composer({}, ProjectorKind::searle).encode_references({Reference::from_path(file)});
  EXPECT_LT(max_diff(lincir, matrix(kImg, "png_batch_hfproc.image_features").row(3)), 1e-4f);
  EXPECT_LT(max_diff(searle, matrix(kImg, "png_batch.image_features").row(3)), 1e-4f);
  EXPECT_GT(max_diff(lincir, searle), 1e-3f);
}

TEST(Composer, BatchingAndBroadcast) {
  const Embeddings feats = matrix(kImg, "png_batch.image_features");  // 9 images
  std::vector<std::string> texts;
  for (int i = 0; i < 9; ++i) texts.push_back("a photo of $ that has " + std::to_string(i + 2) + " dogs");
  ComposerOptions small;
  small.batch_size = 2;
  const Embeddings a = make_composer().compose_embeddings(feats, texts);
  const Embeddings b = make_composer(small).compose_embeddings(feats, texts);
  EXPECT_LT(max_diff(a, b), 1e-5f);
  // Row i of a batch equals composing row i alone.
  const Embeddings one = make_composer().compose_embeddings(feats.row(4), {texts[4]});
  EXPECT_LT(max_diff(one, a.row(4)), 1e-5f);
  // One text for all references.
  const Embeddings all = make_composer().compose_embeddings(feats, {texts[4]});
  EXPECT_LT(max_diff(all.row(4), a.row(4)), 1e-5f);
  EXPECT_LT(max_diff(all.row(0), make_composer().compose_embeddings(feats.row(0), {texts[4]})), 1e-5f);
  EXPECT_EQ(make_composer().compose_embeddings(Embeddings(0, 64), {}).rows(), 0);
}

TEST(Composer, FashionIQAveragesBothCaptionOrders) {
  const Composer c = make_composer();
  const Embeddings feats = matrix(kPhi, "e2e.image_features");
  std::vector<std::array<std::string, 2>> caps = {{"is red.", "has a v-neck"},
                                                  {"is darker ", "has longer sleeves?"},
                                                  {"is shiny", "is blue"}};
  const Embeddings q = c.compose_fashioniq(as_refs(feats), caps);
  // Independent composition of the formula from validate.py.
  const Embeddings tok = matrix(kPhi, "e2e.pseudo_tokens");
  std::vector<std::string> f = {"a photo of $ that is red and has a v-neck",
                                "a photo of $ that is darker and has longer sleeves",
                                "a photo of $ that is shiny and is blue"};
  std::vector<std::string> r = {"a photo of $ that has a v-neck and is red",
                                "a photo of $ that has longer sleeves and is darker",
                                "a photo of $ that is blue and is shiny"};
  const Embeddings expected = normalize((c.encode_with_pseudo_tokens(tok, f) + c.encode_with_pseudo_tokens(tok, r)) / 2.f);
  EXPECT_LT(max_diff(q, expected), 1e-5f);
  // Not the same as either order alone.
  EXPECT_GT(max_diff(q, c.encode_with_pseudo_tokens(tok, f)), 1e-4f);
  EXPECT_THROW(c.compose_fashioniq(as_refs(feats), {caps[0]}), Error);
}

TEST(Composer, Baselines) {
  const Composer c = make_composer();
  const Embeddings img = matrix(kImg, "png_batch.image_features").topRows(3);
  const auto text_cases = read_json(parity_file("text_cases.json"));
  const auto texts = text_cases["texts"].get<std::vector<std::string>>();
  const std::vector<std::string> three(texts.begin(), texts.begin() + 3);
  const Embeddings txt = matrix("text_outputs.safetensors", "text_features").topRows(3);
  EXPECT_LT(max_diff(c.image_only(as_refs(img)), normalize(img)), 1e-6f);
  EXPECT_LT(max_diff(c.text_only(three), normalize(txt)), 1e-4f);
  Embeddings sum = normalize(img) + normalize(txt);
  EXPECT_LT(max_diff(c.image_plus_text(as_refs(img), three), normalize(sum)), 1e-4f);
  // One text for every image.
  Embeddings sum0 = normalize(img) + normalize(txt.row(0)).replicate(3, 1);
  EXPECT_LT(max_diff(c.image_plus_text(as_refs(img), {three[0]}), normalize(sum0)), 1e-4f);
}

TEST(Composer, PeerProjectorsAndModes) {
  const Embeddings feats = matrix(kPhi, "e2e.image_features");
  const auto texts = e2e_texts();
  // SEARLE's Phi uses the same network; with one marker per text the result is LinCIR's.
  const Composer searle = make_composer({}, ProjectorKind::searle);
  EXPECT_EQ(searle.injection_mode(), InjectionMode::first_marker);
  EXPECT_LT(max_diff(searle.compose_embeddings(feats, texts), matrix(kPhi, "e2e.query_features_normalized")), 1e-4f);
  EXPECT_THROW(searle.compose_embeddings(feats.row(0), {"$ and $ side by side"}), Error);
  // LinCIR accepts it, and both markers matter.
  const Composer lincir = make_composer();
  const Embeddings two = lincir.compose_embeddings(feats.row(0), {"$ and $ side by side"});
  ComposerOptions first;
  first.injection = InjectionMode::first_marker;
  EXPECT_EQ(make_composer(first).injection_mode(), InjectionMode::first_marker);
  // Pic2Word's IM2TEXT on a CLIP of matching sizes, with its own marker "*" and with before_eot.
  ProjectorConfig pc;
  pc.kind = ProjectorKind::pic2word;
  pc.input_dim = 64;
  pc.output_dim = 32;
  ComposerOptions star;
  star.marker = "*";
  const Composer p2w(parity_clip(), Projector(pc, 5), star);
  EXPECT_EQ(p2w.marker_token(), 265);
  const Embeddings tok = p2w.pseudo_tokens(feats);
  EXPECT_LT(max_diff(p2w.compose_embeddings(feats, {"a photo of * , is red"}),
                     p2w.encode_with_pseudo_tokens(tok, {"a photo of * , is red"})),
            1e-6f);
  EXPECT_THROW(p2w.compose_embeddings(feats, {"a photo of $ that is red"}), Error);  // no "*"
  ComposerOptions eot;
  eot.injection = InjectionMode::before_eot;
  const Composer p2w_eot(parity_clip(), Projector(pc, 5), eot);
  const Embeddings q = p2w_eot.compose_embeddings(feats, {"a photo of"});
  EXPECT_EQ(q.rows(), 3);
  EXPECT_GT(max_diff(q.row(0), q.row(1)), 1e-4f);  // the image matters
  EXPECT_THROW(p2w_eot.compose_embeddings(feats, {"a photo of $"}), Error);
}

TEST(Composer, Errors) {
  const Composer c = make_composer();
  const Embeddings feats = matrix(kPhi, "e2e.image_features");
  std::string msg;
  // "$," is not a marker.
  EXPECT_EQ(error_status([&] { c.compose_embeddings(feats.row(0), {"a photo of $, red"}); }, &msg),
            Status::invalid_argument);
  EXPECT_NE(msg.find("a photo of $, red"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no marker"), std::string::npos) << msg;
  // A marker beyond the context length.
  std::string long_text;
  for (int i = 0; i < 80; ++i) long_text += "word ";
  long_text += "$";
  EXPECT_EQ(error_status([&] { c.compose_embeddings(feats.row(0), {long_text}); }, &msg), Status::invalid_argument);
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  // Counts.
  EXPECT_THROW(c.compose_embeddings(feats, {"a photo of $", "a photo of $"}), Error);
  EXPECT_THROW(c.compose(as_refs(feats), {"a photo of $", "a photo of $"}), Error);
  EXPECT_EQ(c.compose(std::vector<Reference>{}, {"a photo of $"}).rows(), 0);  // one text, no refs
  // Bad references.
  EXPECT_EQ(error_status([&] { c.compose({Reference::from_embedding({1.f, 2.f})}, {"a photo of $"}); }),
            Status::invalid_argument);
  EXPECT_EQ(error_status([&] { c.compose({Reference::from_pixels(std::vector<float>(10))}, {"a photo of $"}); }),
            Status::invalid_argument);
  EXPECT_EQ(error_status([&] { c.compose({Reference::from_path("/nonexistent/x.png")}, {"a photo of $"}); }),
            Status::io);
  EXPECT_EQ(error_status([&] { c.compose({Reference::from_bytes({1, 2, 3})}, {"a photo of $"}); }),
            Status::format);
  EXPECT_THROW(c.compose_embeddings(Embeddings::Zero(1, 63), {"a photo of $"}), Error);
  EXPECT_THROW(c.encode_with_pseudo_tokens(Embeddings::Zero(1, 31), {"a photo of $"}), Error);
  // Construction: projector sizes must fit the model, the marker must be one token.
  ProjectorConfig wrong;
  wrong.input_dim = 768;
  wrong.output_dim = 32;
  EXPECT_EQ(error_status([&] { Composer(parity_clip(), Projector(wrong)); }, &msg), Status::invalid_argument);
  EXPECT_NE(msg.find("768"), std::string::npos) << msg;
  wrong.input_dim = 64;
  wrong.output_dim = 768;
  EXPECT_THROW(Composer(parity_clip(), Projector(wrong)), Error);
  ComposerOptions bad_marker;
  bad_marker.marker = "[$]";
  EXPECT_THROW(Composer(parity_clip(), parity_phi(), bad_marker), Error);
  ComposerOptions bad_batch;
  bad_batch.batch_size = 0;
  EXPECT_THROW(Composer(parity_clip(), parity_phi(), bad_batch), Error);
}

//! The fuzzing invariants (`demarche::checks`, also run by the targets in `fuzz/`)
//! as property tests, so that `cargo test` checks them on stable Rust; and a replay
//! of the committed fuzzing corpus, so that what fuzzing found stays found.

use demarche::checks;
use proptest::prelude::*;

/// Text made of the pieces that drive the segmenter and the tokenizer: French
/// words, elisions, negations, quotes, abbreviations, numbers, dashes, spaces of
/// every kind, line ends, combining accents, and any character at all.
fn frenchish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("M. ".to_string()),
        Just("Mme ".to_string()),
        Just("etc. ".to_string()),
        Just("« ".to_string()),
        Just(" »".to_string()),
        Just("\"".to_string()),
        Just("l'".to_string()),
        Just("L’".to_string()),
        Just("n'".to_string()),
        Just("ne ".to_string()),
        Just("pas ".to_string()),
        Just("jamais ".to_string()),
        Just("sans ".to_string()),
        Just("a-t-il ".to_string()),
        Just("40.000 ".to_string()),
        Just("(...) ".to_string()),
        Just("— ".to_string()),
        Just(". ".to_string()),
        Just("? ".to_string()),
        Just("! ".to_string()),
        Just("… ".to_string()),
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just("\r\n".to_string()),
        Just("\u{a0}".to_string()),
        Just("\u{202f}".to_string()),
        Just("e\u{301}".to_string()),
        Just("exige ".to_string()),
        Just("rejette ".to_string()),
        Just("Moscou ".to_string()),
        Just("OTAN ".to_string()),
        "[a-zA-Zéèàçœ]{1,12} ",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn segmenter_gives_ordered_pieces(text in frenchish()) {
        checks::segmenter(&text);
    }

    #[test]
    fn segmenter_on_any_text(text in "\\PC{0,200}") {
        checks::segmenter(&text);
    }

    #[test]
    fn one_pass_equals_stages(text in frenchish()) {
        checks::one_pass_equals_stages(&text);
    }

    #[test]
    fn one_pass_equals_stages_on_any_text(text in any::<String>()) {
        checks::one_pass_equals_stages(&text);
    }

    #[test]
    fn model_loader_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        checks::model_loader(&bytes);
    }

    #[test]
    fn model_loader_on_altered_models(cut in 0usize..4000, at in 0usize..4000, byte in any::<u8>()) {
        // A real model file, cut short or with one byte changed.
        let mut json = serde_json::to_vec(&small_model_json()).unwrap();
        if at < json.len() {
            json[at] = byte;
        }
        json.truncate(json.len().saturating_sub(cut % 64));
        checks::model_loader(&json);
    }

    #[test]
    fn jsonl_lines(
        id in prop_oneof![Just("\"a-1\"".to_string()), Just("123456789012345678901234567890".to_string()), Just("null".to_string()), "\\PC{0,10}"],
        text in "\\PC{0,40}",
        label in prop_oneof![Just("demand"), Just("none"), Just("Demand"), Just("")],
        extra in "\\PC{0,20}",
    ) {
        let line = format!(
            "{{\"id\": {id}, \"text\": {}, \"label\": \"{label}\"{extra}}}",
            serde_json::to_string(&text).unwrap()
        );
        checks::jsonl_line(&line);
        checks::jsonl_line(&extra);
    }

    #[test]
    fn line_reader_is_independent_of_reads_and_pieces(
        bytes in prop::collection::vec(prop_oneof![
            Just(b'\n'), Just(b'\r'), Just(b'a'), Just(0xc3), Just(0xa9), Just(0xef), Just(0xbb), Just(0xbf), Just(0xff), any::<u8>()
        ], 0..200),
        step in 1usize..20,
        piece in 4usize..20,
    ) {
        checks::line_reader(&bytes, step, piece);
    }
}

/// The small model's file, as JSON.
fn small_model_json() -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    checks::small_model().save(&path).unwrap();
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Every input of the committed fuzzing corpus (`fuzz/corpus/TARGET/`), through
/// the check of its target.
#[test]
fn committed_fuzz_corpus_replays() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut replayed = 0;
    for (target, check) in [
        ("segment", checks::fuzz_segment as fn(&[u8])),
        ("analyze", checks::fuzz_analyze),
        ("model_load", checks::fuzz_model_load),
        ("jsonl", checks::fuzz_jsonl),
    ] {
        let dir = root.join(target);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            check(&std::fs::read(&path).unwrap());
            replayed += 1;
        }
    }
    assert!(replayed >= 4, "only {replayed} corpus inputs");
}

//! The benchmark's leaderboard (`demarche::leaderboard`): the tables of BENCHMARK.md
//! are those of the committed predictions, the committed baselines are the library's,
//! and the table builder ranks, skips and refuses as documented.

use std::fs;
use std::path::{Path, PathBuf};

use demarche::dataset::Dataset;
use demarche::eval::{evaluate_predictions, read_predictions};
use demarche::leaderboard::{generated, markdown, score, splice, Leaderboard, SPLITS};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The committed leaderboard, scored once for the tests that need it.
fn committed() -> &'static Leaderboard {
    static BOARD: std::sync::OnceLock<Leaderboard> = std::sync::OnceLock::new();
    BOARD.get_or_init(|| score(&root()).expect("score benchmark/predictions"))
}

#[test]
fn benchmark_md_holds_the_tables_of_the_committed_predictions() {
    let path = root().join("BENCHMARK.md");
    let document = fs::read_to_string(&path).expect("read BENCHMARK.md");
    let current = generated(&document).expect("BENCHMARK.md has the leaderboard markers");
    let fresh = committed().to_markdown();
    assert!(
        current == fresh,
        "BENCHMARK.md's tables differ from those of benchmark/predictions/: run \
         `cargo run --release --example leaderboard -- --write`\n--- BENCHMARK.md\n{current}\n--- fresh\n{fresh}"
    );
}

#[test]
fn every_committed_system_covers_every_split_and_the_baselines_are_the_librarys() {
    let board = committed();
    for table in &board.tables {
        let folders: Vec<&str> = table.rows.iter().map(|r| r.folder.as_str()).collect();
        for system in board.systems.keys() {
            assert!(
                folders.contains(&system.as_str()),
                "{system} has no predictions of {}",
                table.split.name
            );
        }
        // The committed baseline predictions score exactly like the baselines that
        // `evaluate` computes itself on the same sentences.
        let data = Dataset::load(&[root().join(table.split.gold)]).unwrap();
        let records: Vec<_> = data.records().collect();
        let path = root()
            .join("benchmark/predictions/demarche")
            .join(format!("{}.jsonl", table.split.name));
        let (predictions, probabilities) = read_predictions(&path, &records).unwrap();
        assert!(probabilities, "{} has probabilities", path.display());
        let evaluation = evaluate_predictions(&records, &predictions, probabilities, "demarche", 0);
        for (folder, baseline) in [("majority", "majority"), ("cue-rule", "cue_rule")] {
            let row = table.rows.iter().find(|r| r.folder == folder).unwrap();
            assert_eq!(
                row.report, evaluation.baselines[baseline],
                "{folder} on {}",
                table.split.name
            );
        }
        let row = table.rows.iter().find(|r| r.folder == "demarche").unwrap();
        assert_eq!(row.report, evaluation.report);
        assert_eq!(table.sentences, records.len());
    }
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A root with one gold sentence per label in every split, and two systems: `exact`
/// (the gold labels, every split) and `none` (always none, seeds missing).
fn toy_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let labels = ["demand", "refusal", "warning", "offer", "none"];
    let gold = |prefix: &str| -> String {
        labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                format!("{{\"id\": \"{prefix}-{i:03}\", \"text\": \"Phrase {i} de {prefix}.\", \"label\": \"{l}\"}}\n")
            })
            .collect()
    };
    write(&dir.path().join("data/test/real/a.jsonl"), &gold("real"));
    write(&dir.path().join("data/test/seeds.jsonl"), &gold("seed"));
    write(
        &dir.path().join("data/test/constructed/b.jsonl"),
        &gold("con"),
    );
    let systems = dir.path().join("benchmark/predictions");
    for (split, prefix) in [("real", "real"), ("seeds", "seed"), ("constructed", "con")] {
        let exact: String = labels
            .iter()
            .enumerate()
            .map(|(i, l)| format!("{{\"id\": \"{prefix}-{i:03}\", \"label\": \"{l}\"}}\n"))
            .collect();
        write(&systems.join(format!("exact/{split}.jsonl")), &exact);
        if split != "seeds" {
            let none: String = (0..labels.len())
                .map(|i| format!("{{\"id\": \"{prefix}-{i:03}\", \"label\": \"none\"}}\n"))
                .collect();
            write(&systems.join(format!("none/{split}.jsonl")), &none);
        }
    }
    write(
        &systems.join("exact/system.json"),
        r#"{"name": "Exact | oracle", "description": "the gold labels", "train": "cat gold",
            "commands": {"real": "cp real", "seeds": "cp seeds", "constructed": "cp con"}}"#,
    );
    write(
        &systems.join("none/system.json"),
        r#"{"name": "All none", "description": "none everywhere",
            "commands": {"real": "echo none | tee real", "constructed": "echo none"}}"#,
    );
    dir
}

#[test]
fn tables_rank_by_macro_f1_and_skip_the_splits_a_system_has_not_predicted() {
    let dir = toy_root();
    let board = score(dir.path()).unwrap();
    assert_eq!(board.tables.len(), SPLITS.len());
    for table in &board.tables {
        assert_eq!(table.sentences, 5);
        let folders: Vec<&str> = table.rows.iter().map(|r| r.folder.as_str()).collect();
        if table.split.name == "seeds" {
            assert_eq!(folders, ["exact"]);
        } else {
            assert_eq!(folders, ["exact", "none"]);
        }
        let exact = &table.rows[0].report;
        assert_eq!((exact.macro_f1, exact.claim_detection.f1), (1.0, 1.0));
        if let Some(none) = table.rows.get(1) {
            assert!(none.report.macro_f1 < 1.0);
            assert_eq!(none.report.claim_detection.f1, 0.0);
        }
    }
    let text = markdown(dir.path()).unwrap();
    // Pipes in names and commands are escaped, so each row keeps its 11 (or 3)
    // columns; the toy splits are one article each, so no interval can be drawn.
    assert!(text.contains(
        "| [Exact \\| oracle](benchmark/predictions/exact/) | 1.000 | — | — | 1.000 | 1.000 | 1.000 | 1.000 | 1.000 | 1.000 | `cp real` |"
    ));
    assert!(text.contains("`echo none \\| tee real`"));
    for line in text.lines().filter(|l| l.starts_with("| [")) {
        let cells = line.replace("\\|", "").matches('|').count();
        assert!(cells == 12 || cells == 4, "{line}");
    }
    assert!(text.contains("| [All none](benchmark/predictions/none/) | none everywhere | — |"));
    // The tables go between the markers, and only there.
    let document = format!(
        "# Title\n{}\nstale\n{}\nafter\n",
        demarche::leaderboard::BEGIN,
        demarche::leaderboard::END
    );
    let updated = splice(&document, &text).unwrap();
    assert_eq!(generated(&updated), Some(text.as_str()));
    assert!(updated.starts_with("# Title\n") && updated.ends_with("after\n"));
}

#[test]
fn a_stray_file_a_missing_command_or_bad_predictions_are_errors_naming_the_file() {
    let dir = toy_root();
    let systems = dir.path().join("benchmark/predictions");
    let stray = systems.join("exact/test.jsonl");
    write(&stray, "");
    let e = score(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("test.jsonl") && e.contains("real.jsonl, seeds.jsonl, constructed.jsonl"),
        "{e}"
    );
    fs::remove_file(&stray).unwrap();

    write(
        &systems.join("none/system.json"),
        r#"{"name": "All none", "description": "none everywhere", "commands": {"real": "x"}}"#,
    );
    let e = score(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("none/system.json") && e.contains("constructed.jsonl"),
        "{e}"
    );
    write(
        &systems.join("none/system.json"),
        r#"{"name": "All none", "description": "none", "commands": {"real": "x", "constructed": "y", "seeds": "z"}}"#,
    );
    let e = score(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("\"seeds\"") && e.contains("no seeds.jsonl"),
        "{e}"
    );
    write(
        &systems.join("none/system.json"),
        r#"{"name": "All none", "description": "none", "commands": {"real": "x", "constructed": "y"}}"#,
    );
    score(dir.path()).unwrap();

    // One prediction short: the scorer's own error, naming the file.
    let real = systems.join("none/real.jsonl");
    let text = fs::read_to_string(&real).unwrap();
    write(&real, &text[..text.trim_end().rfind('\n').unwrap() + 1]);
    let e = score(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("none/real.jsonl") && e.contains("1 of the 5"),
        "{e}"
    );
}

#[test]
fn each_row_leads_the_next_on_the_same_resamples_by_what_its_interval_says() {
    for table in &committed().tables {
        let (last, above) = table.rows.split_last().expect("a table has rows");
        assert!(last.lead_over_next.is_none(), "{}", last.folder);
        // The seed articles and the constructed test's topic batches are five
        // groups each: too few to resample, so no intervals at all.
        if table.split.name != "real" {
            for row in &table.rows {
                assert!(row.macro_f1_interval.is_none() && row.lead_over_next.is_none());
            }
            continue;
        }
        for (row, next) in above.iter().zip(&table.rows[1..]) {
            let lead = row
                .lead_over_next
                .as_ref()
                .unwrap_or_else(|| panic!("{}: no lead over {}", row.folder, next.folder));
            assert_eq!(
                (lead.system.as_str(), lead.versus.as_str()),
                (row.folder.as_str(), next.folder.as_str())
            );
            let point = row.report.macro_f1 - next.report.macro_f1;
            let i = lead.macro_f1;
            assert!(
                i.low <= point && point <= i.high,
                "{} vs {}: {point} outside {i:?}",
                row.folder,
                next.folder
            );
            // An interval of the lead wholly above zero is a lead in at least
            // 97.5 % of the resamples, and one wholly below, a lead in at most 2.5 %.
            if i.low > 0.0 {
                assert!(lead.ahead >= 0.975, "{}: {lead:?}", row.folder);
            }
            if i.high < 0.0 {
                assert!(lead.ahead <= 0.025, "{}: {lead:?}", row.folder);
            }
        }
    }
}

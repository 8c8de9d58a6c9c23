//! Labeled sentences in JSONL (the record format of `ANNOTATION.md`), read with
//! their file and line so that every error can name them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::label::Label;

/// How real-news records were chosen for annotation: `natural` (every sentence of an
/// article), `cue` (a word that often carries an act), `uncertain` (the model of the
/// time was least sure), `predicted` (the model of the time labeled it an act, or found
/// one likely; the label is still the annotators'), `whole` (the sentences left of an
/// article drawn at random, which complete it).
pub const POOLS: [&str; 5] = ["natural", "cue", "uncertain", "predicted", "whole"];

/// The groups (articles) whose every sentence was annotated: those of the `natural`
/// pool and those a `whole` pool completed. Their sentences have the mix of labels of
/// real news, where the other pools were chosen for their acts.
pub fn whole_articles<'r>(records: impl IntoIterator<Item = &'r Record>) -> HashSet<&'r str> {
    records
        .into_iter()
        .filter(|r| matches!(r.pool.as_deref(), Some("natural" | "whole")))
        .map(|r| r.group())
        .collect()
}

/// One labeled sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Unique id; its prefix before the last `-NNN` names its group.
    pub id: String,
    /// The sentence.
    pub text: String,
    /// The primary label.
    pub label: Label,
    /// Secondary acts in the same sentence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Label>,
    /// Who performs the primary act.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Where the sentence comes from: a seed file, `constructed`, or an article URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// How a real-news record was chosen for annotation: one of [`POOLS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// How much the sentence counts in training (1 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

impl Record {
    /// A record with the required fields only: no secondary act, actor, source, pool
    /// or weight.
    pub fn new(id: impl Into<String>, text: impl Into<String>, label: Label) -> Record {
        Record {
            id: id.into(),
            text: text.into(),
            label,
            also: Vec::new(),
            actor: None,
            source: None,
            pool: None,
            weight: None,
        }
    }

    /// The group of the record: its id without the trailing `-NNN` counter
    /// (`seed-000-014` → `seed-000`, `con-iran-0007` → `con-iran`). Splits and
    /// cross-validation folds never separate a group.
    pub fn group(&self) -> &str {
        group_of(&self.id)
    }
}

/// See [`Record::group`].
pub fn group_of(id: &str) -> &str {
    match id.rsplit_once('-') {
        Some((head, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => id,
    }
}

/// A record and where it was read.
#[derive(Debug, Clone)]
pub struct Example {
    /// The record.
    pub record: Record,
    /// The file it was read from.
    pub path: Arc<PathBuf>,
    /// Its one-based line.
    pub line: usize,
}

/// Lines of a UTF-8 text file, with one-based numbers; blank lines are skipped. Names
/// the file and line of invalid UTF-8; an empty file or a directory is an error.
pub fn read_lines(path: &Path) -> Result<Vec<(usize, String)>> {
    if path.is_dir() {
        return Err(Error::Input {
            path: path.to_path_buf(),
            message: "is a directory, expected a file".into(),
        });
    }
    let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    // Editors on Windows start UTF-8 files with a byte-order mark: not part of the
    // first record.
    let bytes = bytes.strip_prefix(crate::UTF8_BOM).unwrap_or(&bytes);
    let mut lines = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = std::str::from_utf8(raw).map_err(|_| Error::Record {
            path: path.to_path_buf(),
            line: i + 1,
            message: "not valid UTF-8".into(),
        })?;
        if !text.trim().is_empty() {
            lines.push((i + 1, text.to_string()));
        }
    }
    if lines.is_empty() {
        return Err(Error::Input {
            path: path.to_path_buf(),
            message: "empty file: no record".into(),
        });
    }
    Ok(lines)
}

/// Parses one JSONL line into a [`Record`], with messages that say what is wrong.
pub fn parse_record(path: &Path, line: usize, text: &str) -> Result<Record> {
    let err = |message: String| Error::Record {
        path: path.to_path_buf(),
        line,
        message,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| err(format!("malformed JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| err("expected a JSON object".into()))?;
    let string = |key: &str, required: bool| -> Result<Option<String>> {
        match object.get(key) {
            None | Some(serde_json::Value::Null) if !required => Ok(None),
            None | Some(serde_json::Value::Null) => {
                Err(err(format!("record has no {key:?} field")))
            }
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(err(format!("field {key:?} must be a string, not {other}"))),
        }
    };
    let id = string("id", true)?.unwrap_or_default();
    let sentence = string("text", true)?.unwrap_or_default();
    let label_name = string("label", true)?.unwrap_or_default();
    let label: Label = label_name.parse().map_err(|e| err(format!("{e}")))?;
    let mut also = Vec::new();
    match object.get("also") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Array(items)) => {
            for item in items {
                let name = item
                    .as_str()
                    .ok_or_else(|| err(format!("\"also\" must list label names, not {item}")))?;
                let extra: Label = name.parse().map_err(|e| err(format!("in \"also\": {e}")))?;
                if extra == label || also.contains(&extra) {
                    return Err(err(format!("\"also\" repeats {extra}")));
                }
                also.push(extra);
            }
        }
        Some(other) => return Err(err(format!("\"also\" must be a list, not {other}"))),
    }
    if id.trim().is_empty() {
        return Err(err("empty \"id\"".into()));
    }
    if sentence.trim().is_empty() {
        return Err(err("empty \"text\"".into()));
    }
    // A record is one sentence: an article pasted whole would cost training memory
    // in proportion and teach nothing a sentence would not.
    if sentence.len() > crate::MAX_SENTENCE_BYTES {
        return Err(err(format!(
            "\"text\" is {} bytes long, more than the {} a sentence may have",
            sentence.len(),
            crate::MAX_SENTENCE_BYTES
        )));
    }
    Ok(Record {
        id,
        text: sentence,
        label,
        also,
        actor: string("actor", false)?,
        source: string("source", false)?,
        pool: string("pool", false)?,
        weight: match object.get("weight") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Number(n)) => match n.as_f64() {
                Some(w) if w.is_finite() && w > 0.0 => Some(w),
                _ => {
                    return Err(err(format!(
                        "\"weight\" must be a finite number > 0, not {n}"
                    )))
                }
            },
            Some(other) => return Err(err(format!("\"weight\" must be a number, not {other}"))),
        },
    })
}

/// Every `*.jsonl` file under `path` (recursively, sorted), or `path` itself if it
/// is a file.
pub fn jsonl_files(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.exists() {
        return Err(Error::Input {
            path: path.to_path_buf(),
            message: "no such file or directory".into(),
        });
    }
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    // Directories met so far, by canonical path: a symbolic link back to a folder
    // being read (`ln -s . again`) would otherwise be followed forever.
    let mut seen = std::collections::HashSet::new();
    while let Some(dir) = stack.pop() {
        let canonical = fs::canonicalize(&dir).map_err(|e| Error::io(&dir, e))?;
        if !seen.insert(canonical.clone()) {
            return Err(Error::Input {
                path: dir,
                message: format!(
                    "leads to {}, a directory already read (a symbolic link loop?)",
                    canonical.display()
                ),
            });
        }
        for entry in fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "jsonl") {
                files.push(p);
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(Error::Input {
            path: path.to_path_buf(),
            message: "no *.jsonl file in this directory".into(),
        });
    }
    Ok(files)
}

/// A labeled data set: examples in file order, from one or more files or folders.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// The examples, in the order read.
    pub examples: Vec<Example>,
    /// The files read, in order.
    pub files: Vec<PathBuf>,
}

impl Dataset {
    /// Reads every record of `paths` (files or folders of `*.jsonl`). Ids must be
    /// unique across all of them.
    pub fn load<P: AsRef<Path>>(paths: &[P]) -> Result<Dataset> {
        let mut data = Dataset::default();
        let mut ids: HashMap<String, (Arc<PathBuf>, usize)> = HashMap::new();
        for path in paths {
            for file in jsonl_files(path.as_ref())? {
                let shared = Arc::new(file.clone());
                for (line, text) in read_lines(&file)? {
                    let record = parse_record(&file, line, &text)?;
                    if let Some((first, first_line)) = ids.get(&record.id) {
                        return Err(Error::Record {
                            path: file.clone(),
                            line,
                            message: format!(
                                "duplicate id {:?} (first at {}:{first_line})",
                                record.id,
                                first.display()
                            ),
                        });
                    }
                    ids.insert(record.id.clone(), (shared.clone(), line));
                    data.examples.push(Example {
                        record,
                        path: shared.clone(),
                        line,
                    });
                }
                data.files.push(file);
            }
        }
        Ok(data)
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.examples.len()
    }

    /// True when there is no example.
    pub fn is_empty(&self) -> bool {
        self.examples.is_empty()
    }

    /// The records, in order.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.examples.iter().map(|e| &e.record)
    }

    /// Number of examples per label, in column order.
    pub fn counts(&self) -> [usize; Label::COUNT] {
        label_counts(self.records())
    }

    /// Multiplies the weight of every record read from `path` (a file, or any file
    /// under a folder) by `weight`; returns how many records it reached. A record's own
    /// `weight` field and every matching rule multiply together.
    pub fn weigh(&mut self, path: &Path, weight: f64) -> Result<usize> {
        if !(weight.is_finite() && weight > 0.0) {
            return Err(Error::Config(format!(
                "weight for {} must be a finite number > 0, not {weight}",
                path.display()
            )));
        }
        let mut reached = 0;
        for e in &mut self.examples {
            if e.path.starts_with(path) {
                e.record.weight = Some(e.record.weight.unwrap_or(1.0) * weight);
                reached += 1;
            }
        }
        Ok(reached)
    }

    /// Distinct groups, sorted.
    pub fn groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = self.records().map(|r| r.group().to_string()).collect();
        groups.sort();
        groups.dedup();
        groups
    }
}

/// `n` records drawn from `records` with replacement by a fixed generator seeded with
/// `seed`, each with a fresh id (`resampled-N`): a larger data set with the same
/// vocabulary, for measuring how training time grows.
pub fn resample<'a>(
    records: impl IntoIterator<Item = &'a Record>,
    n: usize,
    seed: u64,
) -> Vec<Record> {
    let records: Vec<&Record> = records.into_iter().collect();
    if records.is_empty() {
        return Vec::new();
    }
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|i| {
            // xorshift64*: enough spread for a benchmark sample, no dependency.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let pick = (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize;
            let mut r = records[pick % records.len()].clone();
            r.id = format!("resampled-{i}");
            r
        })
        .collect()
}

/// Number of records per label, in column order.
pub fn label_counts<'a>(records: impl IntoIterator<Item = &'a Record>) -> [usize; Label::COUNT] {
    let mut counts = [0; Label::COUNT];
    for r in records {
        counts[r.label.index()] += 1;
    }
    counts
}

/// SHA-256 of the records' ids, texts and labels, in order: names the training data
/// in a model file without depending on paths or formatting.
pub fn fingerprint<'a>(records: impl IntoIterator<Item = &'a Record>) -> String {
    let mut hasher = Sha256::new();
    for r in records {
        for part in [r.id.as_str(), r.text.as_str(), r.label.as_str()] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        // Only weighted records hash their weight, so that earlier data keeps its hash.
        if let Some(w) = r.weight {
            hasher.update(b"weight");
            hasher.update(w.to_le_bytes());
        }
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Grouped K-fold assignment: groups are dealt to folds, largest first, each to the
/// fold with fewest examples so far (ties: lowest fold), so that fold sizes are close
/// and the result depends only on the data. Returns the fold of each example.
pub fn group_folds(records: &[&Record], k: usize) -> Result<Vec<usize>> {
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for r in records {
        *sizes.entry(r.group()).or_insert(0) += 1;
    }
    if k < 2 || k > sizes.len() {
        return Err(Error::Config(format!(
            "cross-validation needs 2 ≤ K ≤ number of groups ({}), not {k}",
            sizes.len()
        )));
    }
    let mut order: Vec<(&str, usize)> = sizes.into_iter().collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut fold_sizes = vec![0usize; k];
    let mut fold_of: HashMap<&str, usize> = HashMap::new();
    for (group, size) in order {
        let fold = (0..k).min_by_key(|&f| (fold_sizes[f], f)).unwrap_or(0);
        fold_sizes[fold] += size;
        fold_of.insert(group, fold);
    }
    Ok(records.iter().map(|r| fold_of[r.group()]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
        let p = dir.join(name);
        fs::File::create(&p).unwrap().write_all(content).unwrap();
        p
    }

    fn error_of(content: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "x.jsonl", content);
        Dataset::load(&[p]).unwrap_err().to_string()
    }

    #[test]
    fn groups_strip_the_counter() {
        assert_eq!(group_of("seed-000-014"), "seed-000");
        assert_eq!(group_of("con-iran-0007"), "con-iran");
        assert_eq!(group_of("lonely"), "lonely");
        assert_eq!(group_of("a-b"), "a-b");
    }

    #[test]
    fn bad_records_name_file_and_line() {
        let ok = r#"{"id":"a-1","text":"Paris exige.","label":"demand"}"#;
        let cases: &[(String, &str)] = &[
            (format!("{ok}\n{{oops\n"), "x.jsonl:2: malformed JSON"),
            (
                format!("{ok}\n{{\"id\":\"a-2\",\"label\":\"none\"}}\n"),
                "x.jsonl:2: record has no \"text\" field",
            ),
            (
                format!("{ok}\n{{\"id\":\"a-2\",\"text\":\"t\",\"label\":\"threat\"}}\n"),
                "x.jsonl:2: unknown label \"threat\"",
            ),
            (format!("{ok}\n{ok}\n"), "x.jsonl:2: duplicate id \"a-1\""),
            (
                "{\"id\":\"a-2\",\"text\":\"t\",\"label\":\"none\",\"also\":[\"none\"]}\n"
                    .to_string(),
                "x.jsonl:1: \"also\" repeats none",
            ),
            ("\n  \n".to_string(), "x.jsonl: empty file"),
        ];
        for (content, expected) in cases {
            let message = error_of(content.as_bytes());
            assert!(
                message.contains(expected),
                "{message:?} should contain {expected:?}"
            );
        }
        let message = error_of(b"{\"id\":\"a\",\"text\":\"\xff\",\"label\":\"none\"}\n");
        assert!(message.contains("x.jsonl:1: not valid UTF-8"), "{message}");
    }

    #[test]
    fn loads_folders_recursively_in_sorted_order() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        write(
            &dir.path().join("sub"),
            "b.jsonl",
            br#"{"id":"b-1","text":"B","label":"offer","also":["warning"]}"#,
        );
        write(
            dir.path(),
            "a.jsonl",
            b"{\"id\":\"a-1\",\"text\":\"A\",\"label\":\"none\"}\n\n",
        );
        write(dir.path(), "notes.txt", b"ignored");
        let data = Dataset::load(&[dir.path()]).unwrap();
        let ids: Vec<&str> = data.records().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a-1", "b-1"]);
        assert_eq!(data.examples[1].record.also, [Label::Warning]);
        assert_eq!(data.counts(), [0, 0, 0, 1, 1]);
        assert!(Dataset::load(&[dir.path().join("missing")]).is_err());
    }

    #[test]
    fn folds_keep_groups_whole_and_balanced() {
        let records: Vec<Record> = [
            "g1-1", "g1-2", "g1-3", "g2-1", "g2-2", "g3-1", "g3-2", "g4-1",
        ]
        .iter()
        .map(|id| Record::new(*id, "t", Label::NoClaim))
        .collect();
        let refs: Vec<&Record> = records.iter().collect();
        let folds = group_folds(&refs, 2).unwrap();
        assert_eq!(folds, [0, 0, 0, 1, 1, 1, 1, 0]);
        assert!(group_folds(&refs, 5).is_err());
        assert_eq!(
            fingerprint(refs.iter().copied()),
            fingerprint(refs.iter().copied())
        );
        assert_ne!(
            fingerprint(refs.iter().copied()),
            fingerprint(refs[1..].iter().copied())
        );
    }
}

/// Unlabeled text for document frequencies: the `text` of every record of `paths`
/// (JSONL files, or folders searched for `*.jsonl`; articles or sentences), cut into
/// sentences by the project's segmenter. A record whose `url` is among `held_out`
/// (the `source` of a labeled test sentence) is left out, so that no test article
/// shapes the features. Lines that are not records with a string `text` are errors
/// naming file and line.
pub fn unlabeled_sentences(
    paths: &[impl AsRef<Path>],
    held_out: &std::collections::HashSet<String>,
) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Unlabeled {
        text: String,
        #[serde(default)]
        url: Option<String>,
    }
    let mut sentences = Vec::new();
    for path in paths {
        for file in jsonl_files(path.as_ref())? {
            for (line, text) in read_lines(&file)? {
                let record: Unlabeled = serde_json::from_str(&text).map_err(|e| Error::Record {
                    path: file.clone(),
                    line,
                    message: format!("not a record with a string \"text\": {e}"),
                })?;
                if record.url.is_some_and(|url| held_out.contains(&url)) {
                    continue;
                }
                sentences.extend(
                    crate::segment::sentences(&record.text)
                        .into_iter()
                        .map(str::to_string),
                );
            }
        }
    }
    Ok(sentences)
}

#[cfg(test)]
mod unlabeled_tests {
    use super::*;

    #[test]
    fn articles_are_cut_into_sentences_and_held_out_ones_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("articles.jsonl");
        fs::write(
            &path,
            concat!(
                "{\"url\": \"https://a\", \"text\": \"Paris exige un retrait. Moscou refuse.\"}\n",
                "{\"url\": \"https://b\", \"text\": \"Berlin propose une médiation.\"}\n",
                "{\"text\": \"Une phrase sans adresse.\"}\n",
            ),
        )
        .unwrap();
        let held_out = ["https://b".to_string()].into_iter().collect();
        let sentences = unlabeled_sentences(&[&path], &held_out).unwrap();
        assert_eq!(
            sentences,
            [
                "Paris exige un retrait.",
                "Moscou refuse.",
                "Une phrase sans adresse."
            ]
        );
        fs::write(&path, "{\"url\": \"https://a\", \"text\": 3}\n").unwrap();
        let e = unlabeled_sentences(&[&path], &held_out)
            .unwrap_err()
            .to_string();
        assert!(e.contains("articles.jsonl") && e.contains(":1"), "{e}");
    }
}

//! Streaming classification of files or standard input: the engine behind the
//! `classify` command. Input is read in batches, labeled by worker threads that each
//! own a [`Classifier`](crate::model::Classifier), and written in input order, so memory stays flat whatever
//! the input size.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::label::Label;
use crate::model::{Evidence, Model, Prediction};
use crate::segment;

/// How input is split into sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Plain article text, segmented into sentences.
    Text,
    /// One sentence per line (blank lines are skipped).
    Lines,
    /// JSON objects, one per line, with a `text` field (and optionally `id`).
    Jsonl,
}

impl InputFormat {
    /// The default for a file name: `.jsonl` → JSONL, anything else → text.
    pub fn for_path(path: &Path) -> InputFormat {
        if path.extension().is_some_and(|e| e == "jsonl") {
            InputFormat::Jsonl
        } else {
            InputFormat::Text
        }
    }
}

impl std::str::FromStr for InputFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "text" => Ok(InputFormat::Text),
            "lines" => Ok(InputFormat::Lines),
            "jsonl" => Ok(InputFormat::Jsonl),
            _ => Err(Error::Config(format!(
                "unknown input format {s:?} (expected text, lines or jsonl)"
            ))),
        }
    }
}

/// How predictions are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// One JSON object per sentence.
    Jsonl,
    /// A readable table.
    Table,
    /// The label alone, one per line.
    Label,
}

impl std::str::FromStr for OutputFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "jsonl" => Ok(OutputFormat::Jsonl),
            "table" => Ok(OutputFormat::Table),
            "label" => Ok(OutputFormat::Label),
            _ => Err(Error::Config(format!(
                "unknown output format {s:?} (expected jsonl, table or label)"
            ))),
        }
    }
}

/// Where input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input.
    Stdin,
    /// A file.
    File(PathBuf),
}

impl Source {
    fn name(&self) -> PathBuf {
        match self {
            Source::Stdin => PathBuf::from("<stdin>"),
            Source::File(p) => p.clone(),
        }
    }
}

/// A sentence to classify, with the id its record had (JSONL input).
#[derive(Debug, Clone)]
pub struct Item {
    /// The `id` of the input record, echoed in the output.
    pub id: Option<serde_json::Value>,
    /// The sentence.
    pub text: String,
}

/// Options of a classification run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Input format; `None` picks it from each file's extension.
    pub input: Option<InputFormat>,
    /// Output format.
    pub output: OutputFormat,
    /// Worker threads (1: label on the calling thread).
    pub threads: usize,
    /// Evidence features per sentence in JSONL output.
    pub top: usize,
    /// Sentences per batch handed to a worker.
    pub batch: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            input: None,
            output: OutputFormat::Jsonl,
            threads: 1,
            top: 5,
            batch: 2048,
        }
    }
}

/// Reads `source` and calls `sink` with batches of at most `batch` items.
/// Errors name the file and, for JSONL, the line.
pub fn read_batches(
    source: &Source,
    format: InputFormat,
    batch: usize,
    mut sink: impl FnMut(Vec<Item>) -> Result<()>,
) -> Result<()> {
    let name = source.name();
    let reader: Box<dyn BufRead> = match source {
        Source::Stdin => Box::new(io::BufReader::with_capacity(1 << 16, io::stdin())),
        Source::File(path) => {
            if path.is_dir() {
                return Err(Error::Input {
                    path: path.clone(),
                    message: "is a directory, expected a file".into(),
                });
            }
            let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            Box::new(io::BufReader::with_capacity(1 << 16, file))
        }
    };
    let mut reader = reader;
    let mut items: Vec<Item> = Vec::with_capacity(batch);
    let mut paragraph = String::new();
    let mut raw = Vec::new();
    let mut line_no = 0usize;
    let mut any = false;
    let flush_paragraph = |paragraph: &mut String, items: &mut Vec<Item>| {
        segment::for_each_sentence(paragraph, |s| {
            items.push(Item {
                id: None,
                text: s.to_string(),
            })
        });
        paragraph.clear();
    };
    loop {
        raw.clear();
        let n = reader
            .read_until(b'\n', &mut raw)
            .map_err(|e| Error::io(&name, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let bytes = raw.strip_suffix(b"\n").unwrap_or(&raw);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let line = std::str::from_utf8(bytes).map_err(|_| Error::Record {
            path: name.clone(),
            line: line_no,
            message: "not valid UTF-8".into(),
        })?;
        let blank = line.trim().is_empty();
        any |= !blank;
        match format {
            InputFormat::Lines => {
                if !blank {
                    items.push(Item {
                        id: None,
                        text: line.trim().to_string(),
                    });
                }
            }
            InputFormat::Jsonl => {
                if !blank {
                    items.push(parse_item(&name, line_no, line)?);
                }
            }
            InputFormat::Text => {
                // Blank lines always end a paragraph, so segmenting paragraph by
                // paragraph gives the same sentences as segmenting the whole text.
                if blank {
                    flush_paragraph(&mut paragraph, &mut items);
                } else {
                    paragraph.push_str(line);
                    paragraph.push('\n');
                    if paragraph.len() > 1 << 20 {
                        flush_paragraph(&mut paragraph, &mut items);
                    }
                }
            }
        }
        if items.len() >= batch {
            sink(std::mem::replace(&mut items, Vec::with_capacity(batch)))?;
        }
    }
    flush_paragraph(&mut paragraph, &mut items);
    if !any {
        return Err(Error::Input {
            path: name,
            message: "empty input: nothing to classify".into(),
        });
    }
    if !items.is_empty() {
        sink(items)?;
    }
    Ok(())
}

fn parse_item(path: &Path, line: usize, text: &str) -> Result<Item> {
    let err = |message: String| Error::Record {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| err(format!("malformed JSON: {e}")))?;
    let object = value
        .as_object_mut()
        .ok_or_else(|| err("expected a JSON object".into()))?;
    let text = match object.remove("text") {
        Some(serde_json::Value::String(s)) => s,
        Some(other) => return Err(err(format!("field \"text\" must be a string, not {other}"))),
        None => return Err(err("record has no \"text\" field".into())),
    };
    Ok(Item {
        id: object.remove("id"),
        text,
    })
}

struct Probabilities<'a>(&'a [f64; Label::COUNT]);

impl Serialize for Probabilities<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(Label::COUNT))?;
        for label in Label::ALL {
            map.serialize_entry(label.as_str(), &self.0[label.index()])?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct OutputRecord<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    text: &'a str,
    label: Label,
    probabilities: Probabilities<'a>,
    evidence: &'a [Evidence],
}

/// Labels a batch and formats it in `format`.
fn render(
    classifier: &mut crate::model::Classifier<'_>,
    items: &[Item],
    options: &Options,
    out: &mut Vec<u8>,
) {
    for item in items {
        match options.output {
            OutputFormat::Label => {
                let label = classifier.label(&item.text);
                out.extend_from_slice(label.as_str().as_bytes());
                out.push(b'\n');
            }
            OutputFormat::Table => {
                let p: Prediction = classifier.predict(&item.text);
                let text = item.text.replace(['\n', '\t'], " ");
                let _ = writeln!(out, "{:<8} {:>5.3}  {}", p.label, p.confidence(), text);
            }
            OutputFormat::Jsonl => {
                let (p, evidence) = classifier.explain(&item.text, options.top);
                let record = OutputRecord {
                    id: item.id.as_ref(),
                    text: &item.text,
                    label: p.label,
                    probabilities: Probabilities(&p.probabilities),
                    evidence: &evidence,
                };
                serde_json::to_writer(&mut *out, &record).expect("serializing to memory");
                out.push(b'\n');
            }
        }
    }
}

/// Classifies every source in turn and writes the results to `writer`, in input
/// order. A closed pipe (`| head`) ends the run quietly with `Ok`.
pub fn classify_sources(
    model: &Model,
    sources: &[Source],
    options: &Options,
    writer: &mut dyn Write,
) -> Result<()> {
    let result = run(model, sources, options, writer);
    match result {
        Err(Error::Io { ref source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn write_out(writer: &mut dyn Write, bytes: &[u8]) -> Result<()> {
    writer
        .write_all(bytes)
        .map_err(|e| Error::io("<stdout>", e))
}

fn run(model: &Model, sources: &[Source], options: &Options, writer: &mut dyn Write) -> Result<()> {
    if options.output == OutputFormat::Table {
        write_out(writer, b"LABEL        P  SENTENCE\n")?;
    }
    let batch = options.batch.max(1);
    if options.threads <= 1 {
        let mut classifier = model.classifier();
        let mut out = Vec::new();
        for source in sources {
            let format = input_format(source, options);
            read_batches(source, format, batch, |items| {
                out.clear();
                render(&mut classifier, &items, options, &mut out);
                write_out(writer, &out)
            })?;
        }
        return writer.flush().map_err(|e| Error::io("<stdout>", e));
    }
    // Workers take numbered batches and return rendered bytes; the writer puts them
    // back in order. Bounded channels keep memory flat.
    let threads = options.threads;
    std::thread::scope(|scope| -> Result<()> {
        let (job_tx, job_rx) = mpsc::sync_channel::<(u64, Vec<Item>)>(threads * 2);
        let job_rx = std::sync::Arc::new(std::sync::Mutex::new(job_rx));
        let (done_tx, done_rx) = mpsc::sync_channel::<(u64, Vec<u8>)>(threads * 2);
        for _ in 0..threads {
            let job_rx = job_rx.clone();
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                let mut classifier = model.classifier();
                loop {
                    let job = job_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok((seq, items))) = job else { break };
                    let mut out = Vec::new();
                    render(&mut classifier, &items, options, &mut out);
                    if done_tx.send((seq, out)).is_err() {
                        break;
                    }
                }
            });
        }
        // Only the workers may hold the job receiver: once they stop, the reader's
        // next send fails and it stops too.
        drop(job_rx);
        drop(done_tx);
        let reader = scope.spawn(move || -> Result<()> {
            let mut seq = 0u64;
            for source in sources {
                let format = input_format(source, options);
                read_batches(source, format, batch, |items| {
                    // A closed channel means the writer stopped (closed pipe).
                    let _ = job_tx.send((seq, items));
                    seq += 1;
                    Ok(())
                })?;
            }
            Ok(())
        });
        let mut pending = std::collections::BTreeMap::new();
        let mut next = 0u64;
        let mut write_result = Ok(());
        for (seq, bytes) in done_rx.iter() {
            pending.insert(seq, bytes);
            while let Some(bytes) = pending.remove(&next) {
                if write_result.is_ok() {
                    write_result = write_out(writer, &bytes);
                }
                next += 1;
            }
            if write_result.is_err() {
                break;
            }
        }
        // Dropping the receiver stops the workers, which stops the reader.
        drop(done_rx);
        let read_result = reader
            .join()
            .unwrap_or_else(|_| Err(Error::Config("the reader thread panicked".into())));
        write_result?;
        read_result?;
        writer.flush().map_err(|e| Error::io("<stdout>", e))
    })
}

fn input_format(source: &Source, options: &Options) -> InputFormat {
    options.input.unwrap_or(match source {
        Source::Stdin => InputFormat::Text,
        Source::File(p) => InputFormat::for_path(p),
    })
}

//! Streaming classification of files or standard input: the engine behind the
//! `classify` command. Input is read in batches, labeled by worker threads that each
//! own a [`Classifier`](crate::model::Classifier), and written in input order, so memory stays flat whatever
//! the input size.

use std::io::{self, Read, Write};
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

/// A batch of sentences in one text buffer: sentence `i` is
/// `text[ends[i - 1]..ends[i]]`, and `ids[i]` its record's id when the batch came
/// from JSONL (`ids` stays empty otherwise). One allocation per batch instead of one
/// `String` per sentence.
#[derive(Debug, Default)]
struct Batch {
    text: String,
    ends: Vec<usize>,
    ids: Vec<Option<serde_json::Value>>,
}

impl Batch {
    fn with_capacity(items: usize, bytes: usize) -> Batch {
        Batch {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(items),
            ids: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn push(&mut self, text: &str) {
        self.text.push_str(text);
        self.ends.push(self.text.len());
    }

    fn push_record(&mut self, id: Option<serde_json::Value>, text: &str) {
        // Ids line up with sentences: pad for any sentence pushed without one.
        self.ids.resize(self.ends.len(), None);
        self.push(text);
        self.ids.push(id);
    }

    /// The sentences in order, each with its record's id.
    fn iter(&self) -> impl Iterator<Item = (Option<&serde_json::Value>, &str)> {
        let mut start = 0;
        self.ends.iter().enumerate().map(move |(i, &end)| {
            let text = &self.text[start..end];
            start = end;
            (self.ids.get(i).and_then(Option::as_ref), text)
        })
    }

    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.ids.clear();
    }

    /// Moves the content out, leaving an empty batch of about the same capacity.
    fn take(&mut self) -> Batch {
        let fresh = Batch::with_capacity(self.ends.capacity(), self.text.capacity());
        std::mem::replace(self, fresh)
    }
}

/// Bytes read from the input at a time. A line longer than this grows the buffer.
const BLOCK: usize = 1 << 18;

/// Reads `reader` in blocks and calls `on_line` with each line's one-based number
/// and text, without its `\n` or `\r\n` ending. Whole runs of lines are checked as
/// UTF-8 at once (SIMD); a line that is not UTF-8 is an error naming it.
fn for_each_line(
    name: &Path,
    reader: &mut dyn Read,
    mut on_line: impl FnMut(usize, &str) -> Result<()>,
) -> Result<()> {
    let mut buf = vec![0u8; BLOCK];
    // `buf[..filled]`: bytes read and not yet handed out, at most one unfinished line
    // between reads.
    let mut filled = 0;
    let mut line_no = 0usize;
    let not_utf8 = |line: usize| Error::Record {
        path: name.to_path_buf(),
        line,
        message: "not valid UTF-8".into(),
    };
    loop {
        if filled == buf.len() {
            // No line end in a full buffer: the line goes on, make room for it.
            buf.resize(buf.len() * 2, 0);
        }
        let n = loop {
            match reader.read(&mut buf[filled..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(name, e)),
            }
        };
        if n == 0 {
            // End of input: what is left is a last line without a line end.
            if filled > 0 {
                line_no += 1;
                let bytes = strip_cr(&buf[..filled]);
                let line = utf8(bytes).map_err(|_| not_utf8(line_no))?;
                on_line(line_no, line)?;
            }
            return Ok(());
        }
        let scanned = filled;
        filled += n;
        // Only the bytes just read can hold the last line end.
        let Some(last) = memchr::memrchr(b'\n', &buf[scanned..filled]) else {
            continue;
        };
        let whole = scanned + last + 1;
        // Complete lines: `\n` is ASCII, so they are UTF-8 one by one exactly when
        // they are as a whole.
        let (text, bad) = match utf8(&buf[..whole]) {
            Ok(text) => (text, false),
            Err(valid_up_to) => (
                std::str::from_utf8(&buf[..valid_up_to]).expect("valid prefix"),
                true,
            ),
        };
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', text.as_bytes()) {
            line_no += 1;
            let line = &text[start..end];
            on_line(line_no, line.strip_suffix('\r').unwrap_or(line))?;
            start = end + 1;
        }
        if bad {
            // The line holding the first invalid byte.
            return Err(not_utf8(line_no + 1));
        }
        buf.copy_within(whole..filled, 0);
        filled -= whole;
    }
}

fn strip_cr(bytes: &[u8]) -> &[u8] {
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

/// UTF-8 validation, fast when it succeeds; the error is the length of the valid
/// prefix.
fn utf8(bytes: &[u8]) -> std::result::Result<&str, usize> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => std::str::from_utf8(bytes).map_err(|e| e.valid_up_to()),
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
    read_batches_into(source, format, batch, |b| {
        sink(
            b.iter()
                .map(|(id, text)| Item {
                    id: id.cloned(),
                    text: text.to_string(),
                })
                .collect(),
        )
    })
}

/// [`read_batches`] on [`Batch`]es: `sink` gets each full batch, which is cleared
/// when it returns (a sink keeping the content takes it with [`Batch::take`]).
fn read_batches_into(
    source: &Source,
    format: InputFormat,
    batch: usize,
    mut sink: impl FnMut(&mut Batch) -> Result<()>,
) -> Result<()> {
    let name = source.name();
    let mut stdin;
    let mut file;
    let reader: &mut dyn Read = match source {
        Source::Stdin => {
            stdin = io::stdin().lock();
            &mut stdin
        }
        Source::File(path) => {
            if path.is_dir() {
                return Err(Error::Input {
                    path: path.clone(),
                    message: "is a directory, expected a file".into(),
                });
            }
            file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            &mut file
        }
    };
    let mut items = Batch::with_capacity(batch, 0);
    let mut paragraph = String::new();
    let mut any = false;
    let flush_paragraph = |paragraph: &mut String, items: &mut Batch| {
        segment::for_each_sentence(paragraph, |s| items.push(s));
        paragraph.clear();
    };
    for_each_line(&name, reader, |line_no, line| {
        let trimmed = line.trim();
        let blank = trimmed.is_empty();
        any |= !blank;
        match format {
            InputFormat::Lines => {
                if !blank {
                    items.push(trimmed);
                }
            }
            InputFormat::Jsonl => {
                if !blank {
                    let item = parse_item(&name, line_no, line)?;
                    items.push_record(item.id, &item.text);
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
            sink(&mut items)?;
            items.clear();
        }
        Ok(())
    })?;
    flush_paragraph(&mut paragraph, &mut items);
    if !any {
        return Err(Error::Input {
            path: name,
            message: "empty input: nothing to classify".into(),
        });
    }
    if !items.is_empty() {
        sink(&mut items)?;
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
    items: &Batch,
    options: &Options,
    out: &mut Vec<u8>,
) {
    for (id, text) in items.iter() {
        match options.output {
            OutputFormat::Label => {
                let label = classifier.label(text);
                out.extend_from_slice(label.as_str().as_bytes());
                out.push(b'\n');
            }
            OutputFormat::Table => {
                let p: Prediction = classifier.predict(text);
                let text = text.replace(['\n', '\t'], " ");
                let _ = writeln!(out, "{:<8} {:>5.3}  {}", p.label, p.confidence(), text);
            }
            OutputFormat::Jsonl => {
                let (p, evidence) = classifier.explain(text, options.top);
                let record = OutputRecord {
                    id,
                    text,
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
            read_batches_into(source, format, batch, |items| {
                out.clear();
                render(&mut classifier, items, options, &mut out);
                write_out(writer, &out)
            })?;
        }
        return writer.flush().map_err(|e| Error::io("<stdout>", e));
    }
    // Workers take numbered batches and return rendered bytes; the writer puts them
    // back in order. Bounded channels keep memory flat.
    let threads = options.threads;
    std::thread::scope(|scope| -> Result<()> {
        let (job_tx, job_rx) = mpsc::sync_channel::<(u64, Batch)>(threads * 2);
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
                read_batches_into(source, format, batch, |items| {
                    // A closed channel means the writer stopped (closed pipe).
                    let _ = job_tx.send((seq, items.take()));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out its bytes at most `step` at a time, with an interruption first.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
        interrupted: bool,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if !self.interrupted {
                self.interrupted = true;
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = self.step.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    /// The lines `for_each_line` gives, or its error, reading `bytes` `step` at a time.
    fn lines(bytes: &[u8], step: usize) -> Result<Vec<(usize, String)>> {
        let mut got = Vec::new();
        let mut reader = Trickle {
            bytes,
            step,
            interrupted: false,
        };
        for_each_line(Path::new("in.txt"), &mut reader, |n, line| {
            got.push((n, line.to_string()));
            Ok(())
        })?;
        Ok(got)
    }

    /// Line by line with `read_until`, as the engine used to read.
    fn reference(bytes: &[u8]) -> std::result::Result<Vec<(usize, String)>, usize> {
        let mut got = Vec::new();
        let mut reader = io::BufReader::new(bytes);
        let mut raw = Vec::new();
        loop {
            raw.clear();
            if io::BufRead::read_until(&mut reader, b'\n', &mut raw).unwrap() == 0 {
                return Ok(got);
            }
            let line = raw.strip_suffix(b"\n").unwrap_or(&raw);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            match std::str::from_utf8(line) {
                Ok(s) => got.push((got.len() + 1, s.to_string())),
                Err(_) => return Err(got.len() + 1),
            }
        }
    }

    fn bad_line(result: Result<Vec<(usize, String)>>) -> usize {
        match result {
            Err(Error::Record {
                path,
                line,
                message,
            }) => {
                assert_eq!(path, Path::new("in.txt"));
                assert_eq!(message, "not valid UTF-8");
                line
            }
            other => panic!("expected a UTF-8 error, got {other:?}"),
        }
    }

    #[test]
    fn lines_are_those_of_read_until_whatever_the_reads() {
        let long = "é".repeat(BLOCK) + "x"; // 2 × BLOCK + 1 bytes, one line
        let inputs: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\n".to_vec(),
            b"one".to_vec(),
            b"one\ntwo".to_vec(),
            b"one\r\ntwo\r\n\r\n  \r\nthree\r".to_vec(),
            b"a\rb\r\r\n\rc\n".to_vec(),
            "d\u{e9}j\u{e0} \u{a0}vu\u{2003}\n\u{1f600}\n"
                .as_bytes()
                .to_vec(),
            format!("start\n{long}\r\nend\n{long}").into_bytes(),
        ];
        for bytes in &inputs {
            let want = reference(bytes).unwrap();
            for step in [1, 2, 3, 7, 64, BLOCK - 1, BLOCK, usize::MAX] {
                assert_eq!(lines(bytes, step).unwrap(), want, "step {step}");
            }
        }
    }

    #[test]
    fn invalid_utf8_names_its_line_after_giving_the_lines_before() {
        let mut text: Vec<u8> = (1..=100_000)
            .flat_map(|i| format!("Phrase numéro {i} exige.\r\n").into_bytes())
            .collect();
        let good = text.clone();
        // Line 70 000 (far past the first block): a lone continuation byte.
        let at = good
            .split(|&b| b == b'\n')
            .take(69_999)
            .map(|l| l.len() + 1)
            .sum::<usize>();
        text[at + 3] = 0x80;
        assert_eq!(reference(&text), Err(70_000));
        for step in [5, 4096, usize::MAX] {
            let mut seen = 0;
            let mut reader = Trickle {
                bytes: &text,
                step,
                interrupted: false,
            };
            let result = for_each_line(Path::new("in.txt"), &mut reader, |n, _| {
                seen = n;
                Ok(())
            });
            assert_eq!(seen, 69_999, "step {step}");
            assert_eq!(bad_line(result.map(|_| Vec::new())), 70_000);
        }
        // A truncated sequence in a last line without a line end.
        let mut cut = good.clone();
        cut.extend_from_slice(b"fin \xc3");
        assert_eq!(bad_line(lines(&cut, usize::MAX)), 100_001);
        // The same sequence before a line end, and a first line at fault.
        assert_eq!(bad_line(lines(b"ok\nfin \xc3\nok\n", 2)), 2);
        assert_eq!(bad_line(lines(b"\xff", 1)), 1);
    }

    #[test]
    fn batches_keep_texts_and_ids_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        std::fs::write(
            &path,
            "{\"id\":1,\"text\":\"Un.\"}\r\n\n{\"text\":\"Deux é.\"}\n{\"id\":\"c\",\"text\":\"\"}",
        )
        .unwrap();
        let mut got = Vec::new();
        read_batches_into(&Source::File(path), InputFormat::Jsonl, 2, |b| {
            got.push(
                b.iter()
                    .map(|(id, text)| (id.cloned(), text.to_string()))
                    .collect::<Vec<_>>(),
            );
            Ok(())
        })
        .unwrap();
        let id = |v: serde_json::Value| Some(v);
        assert_eq!(
            got,
            vec![
                vec![
                    (id(1.into()), "Un.".to_string()),
                    (None, "Deux é.".to_string())
                ],
                vec![(id("c".into()), String::new())],
            ]
        );
    }
}

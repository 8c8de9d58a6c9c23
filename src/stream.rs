//! Streaming classification of files or standard input: the engine behind the
//! `classify` command. Input is read in batches, labeled by worker threads that each
//! own a [`Classifier`](crate::model::Classifier), and written in input order, so memory stays flat whatever
//! the input size.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::label::Label;
use crate::model::{Evidence, Model, Prediction};
use crate::segment;
use crate::{MAX_SENTENCE_BYTES, MAX_WORD_BYTES};

/// How input is split into sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
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

/// How predictions are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per sentence.
    Jsonl,
    /// A readable table.
    Table,
    /// The label alone, one per line.
    Label,
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

/// What to do with an input line that cannot be read: malformed JSON, no `text`
/// field, not UTF-8, a JSONL line longer than [`MAX_RECORD_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OnError {
    /// Stop with the error (the default: nothing is silently lost).
    #[default]
    Stop,
    /// Report the line through the run's notices and go on.
    Skip,
}

/// Something a run let pass that its user should hear about.
#[derive(Debug)]
pub enum Notice {
    /// A line skipped under [`OnError::Skip`], with the error that stopped it.
    Skipped(Error),
    /// Sentences of a source were longer than [`MAX_SENTENCE_BYTES`]: in text
    /// input, cut into pieces of at most that size; in lines and JSONL input,
    /// truncated to it. `cuts` counts the cuts made.
    Cut {
        /// The source.
        path: PathBuf,
        /// How many cuts were made.
        cuts: usize,
    },
    /// Words of a source were longer than [`MAX_WORD_BYTES`] and were cut to that
    /// length. `cuts` counts the words cut.
    LongWords {
        /// The source.
        path: PathBuf,
        /// How many words were cut.
        cuts: usize,
    },
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Notice::Skipped(e) => write!(f, "skipped {e}"),
            Notice::Cut { path, cuts } => write!(
                f,
                "{}: sentences longer than {MAX_SENTENCE_BYTES} bytes were cut ({cuts} cut(s))",
                path.display()
            ),
            Notice::LongWords { path, cuts } => write!(
                f,
                "{}: words longer than {MAX_WORD_BYTES} bytes were cut ({cuts} word(s))",
                path.display()
            ),
        }
    }
}

/// What a run did besides writing its results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Lines skipped under [`OnError::Skip`].
    pub skipped: usize,
    /// Cuts made in sentences longer than [`MAX_SENTENCE_BYTES`].
    pub cuts: usize,
    /// Words cut to [`MAX_WORD_BYTES`].
    pub word_cuts: usize,
}

impl std::ops::AddAssign for Summary {
    fn add_assign(&mut self, other: Summary) {
        self.skipped += other.skipped;
        self.cuts += other.cuts;
        self.word_cuts += other.word_cuts;
    }
}

/// Most worker threads a run may ask for: four per core. More cannot go faster,
/// and each costs a copy of the scoring table (tens of megabytes for a large
/// model), so `--threads 100000` must be refused rather than tried.
pub fn max_threads() -> usize {
    4 * std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `threads` if it lies in `1..=max_threads()`, an error saying so otherwise.
pub fn check_threads(threads: usize) -> Result<usize> {
    let max = max_threads();
    if (1..=max).contains(&threads) {
        Ok(threads)
    } else {
        Err(Error::Config(format!(
            "threads must be between 1 and {max} (four per core), not {threads}"
        )))
    }
}

/// Options of a classification run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Input format; `None` picks it from each file's extension.
    pub input: Option<InputFormat>,
    /// Output format.
    pub output: OutputFormat,
    /// Worker threads (1: label on the calling thread); at most [`max_threads`].
    pub threads: usize,
    /// Evidence features per sentence in JSONL output.
    pub top: usize,
    /// Sentences per batch handed to a worker.
    pub batch: usize,
    /// What to do with a line that cannot be read.
    pub on_error: OnError,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            input: None,
            output: OutputFormat::Jsonl,
            threads: 1,
            top: 5,
            batch: 2048,
            on_error: OnError::Stop,
        }
    }
}

/// A record id exactly as the input wrote it: echoed byte for byte, so that an id
/// such as `123456789012345678901234567890` is not rounded through an `f64`.
pub(crate) type RawId = Box<serde_json::value::RawValue>;

/// A batch of sentences in one text buffer: sentence `i` is
/// `text[ends[i - 1]..ends[i]]`, and `ids[i]` its record's id when the batch came
/// from JSONL (`ids` stays empty otherwise). One allocation per batch instead of one
/// `String` per sentence.
#[derive(Debug, Default)]
struct Batch {
    text: String,
    ends: Vec<usize>,
    ids: Vec<Option<RawId>>,
}

/// Bytes of sentence text past which a batch is handed on even if it has fewer
/// sentences than asked: with sentences of up to [`MAX_SENTENCE_BYTES`], a batch of
/// 2048 could otherwise hold 128 MB.
const BATCH_BYTES: usize = 1 << 20;

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

    fn is_full(&self, batch: usize) -> bool {
        self.len() >= batch || self.text.len() >= BATCH_BYTES
    }

    /// Adds a sentence, its words cut to [`MAX_WORD_BYTES`]; returns how many were.
    fn push(&mut self, text: &str) -> usize {
        let cuts = push_cutting_long_words(text, &mut self.text);
        self.ends.push(self.text.len());
        cuts
    }

    fn push_record(&mut self, id: Option<RawId>, text: &str) -> usize {
        // Ids line up with sentences: pad for any sentence pushed without one.
        self.ids.resize_with(self.ends.len(), || None);
        let cuts = self.push(text);
        self.ids.push(id);
        cuts
    }

    /// The sentences in order, each with its record's id.
    fn iter(&self) -> impl Iterator<Item = (Option<&serde_json::value::RawValue>, &str)> {
        let mut start = 0;
        self.ends.iter().enumerate().map(move |(i, &end)| {
            let text = &self.text[start..end];
            start = end;
            (self.ids.get(i).and_then(|id| id.as_deref()), text)
        })
    }

    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.ids.clear();
    }

    /// Moves the content out, leaving an empty batch of about the same capacity.
    fn take(&mut self) -> Batch {
        let fresh = Batch::with_capacity(
            self.ends.capacity(),
            self.text.capacity().min(2 * BATCH_BYTES),
        );
        std::mem::replace(self, fresh)
    }
}

/// Appends `text` to `out`, every run of letters and digits longer than
/// [`MAX_WORD_BYTES`] cut to its first characters within that length; returns the
/// number of runs cut.
fn push_cutting_long_words(text: &str, out: &mut String) -> usize {
    if !may_hold_long_word(text.as_bytes()) {
        out.push_str(text);
        return 0;
    }
    let mut cuts = 0;
    let mut run = 0;
    let mut cutting = false;
    for c in text.chars() {
        if c.is_alphanumeric() || is_combining_mark(c) {
            run += c.len_utf8();
            if run > MAX_WORD_BYTES {
                cuts += usize::from(!cutting);
                cutting = true;
                continue;
            }
        } else {
            run = 0;
            cutting = false;
        }
        out.push(c);
    }
    cuts
}

/// Combining diacritical marks: part of the word they follow (`e` + U+0301 is `é`
/// once normalized), so a run of decomposed letters is cut like a run of composed ones.
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
}

/// Whether `bytes` has a run longer than [`MAX_WORD_BYTES`] of bytes that may be
/// part of a letter or digit: a cheap test that spares nearly every sentence
/// the character-by-character pass.
fn may_hold_long_word(bytes: &[u8]) -> bool {
    if bytes.len() <= MAX_WORD_BYTES {
        return false;
    }
    let mut run = 0;
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b >= 0x80 {
            run += 1;
            if run > MAX_WORD_BYTES {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// Bytes read from the input at a time. A line longer than this grows the buffer,
/// up to [`PIECE`].
const BLOCK: usize = 1 << 18;

/// Longest piece of a line handed out at once: a longer line comes in pieces, so
/// that a file without a line end is read in bounded memory.
const PIECE: usize = 1 << 20;

/// Longest JSONL line read: a record holds one sentence of at most
/// [`MAX_SENTENCE_BYTES`] (six times that escaped) and a few fields.
pub const MAX_RECORD_BYTES: usize = 1 << 24;

/// Text of a paragraph past which its finished sentences are handed out before
/// the paragraph ends (a text without blank lines is one paragraph).
const PARAGRAPH_BYTES: usize = 1 << 20;

/// Text kept unsegmented after the last sentence handed out early: the segmenter
/// looks a few characters past a sentence end (the capital after `etc.`, a closing
/// quote), never this far, so sentences ending before it are final.
const LOOKAHEAD: usize = 1 << 12;

/// Receives what [`for_each_line`] reads.
pub(crate) trait LineSink {
    /// A piece of line `line` (one-based), without its line end. `end` is true for
    /// the last piece; a line of at most [`PIECE`] bytes is one piece.
    fn piece(&mut self, line: usize, text: &str, end: bool) -> Result<()>;
    /// Line `line` is not UTF-8 (no more of it will come): `Err` stops the
    /// reading, `Ok` skips the line.
    fn bad_line(&mut self, line: usize) -> Result<()>;
}

/// A UTF-8 byte-order mark at the very start of `reader` is dropped.
///
/// Reads `reader` in blocks and hands each line to `sink`, without its `\n` or
/// `\r\n` ending, in pieces of at most `max_piece` bytes (at least 4). Whole runs of
/// lines are checked as UTF-8 at once (SIMD).
pub(crate) fn for_each_line(
    name: &Path,
    reader: &mut dyn Read,
    max_piece: usize,
    sink: &mut dyn LineSink,
) -> Result<()> {
    let max_piece = max_piece.max(4);
    let mut buf = vec![0u8; BLOCK.min(max_piece)];
    // `buf[..filled]`: bytes read and not yet handed out, at most one unfinished
    // line between reads; `buf[..scanned]` holds no line end.
    let mut filled = 0;
    let mut scanned = 0;
    let mut line_no = 0usize;
    // The line being read was reported as not UTF-8: the rest of it is dropped.
    let mut dropping = false;
    let mut at_start = true;
    // The line of the last piece handed out: if the input ends right after it,
    // the line still needs its end.
    let mut piece_of = 0;
    loop {
        if filled == buf.len() {
            if buf.len() < max_piece {
                // No line end in a full buffer: the line goes on, make room for it.
                let size = (buf.len() * 2).min(max_piece);
                buf.resize(size, 0);
            } else {
                // A line longer than a piece: hand out what is here, up to the
                // last whole character.
                let end = match utf8(&buf[..filled]) {
                    Ok(_) => Some(filled),
                    Err(_) => match std::str::from_utf8(&buf[..filled]) {
                        Err(e) if e.error_len().is_none() => Some(e.valid_up_to()),
                        _ => None,
                    },
                };
                // A `\r` at the end stays for the next piece: it may be the start of
                // a `\r\n` line end, which no piece keeps.
                let end = end.map(|end| {
                    if end > 1 && buf[end - 1] == b'\r' {
                        end - 1
                    } else {
                        end
                    }
                });
                match end {
                    Some(end) => {
                        if !dropping {
                            let text = std::str::from_utf8(&buf[..end]).expect("checked");
                            sink.piece(line_no + 1, text, false)?;
                            piece_of = line_no + 1;
                        }
                        buf.copy_within(end..filled, 0);
                        filled -= end;
                    }
                    None => {
                        if !dropping {
                            sink.bad_line(line_no + 1)?;
                            dropping = true;
                        }
                        filled = 0;
                    }
                }
                scanned = filled;
                continue;
            }
        }
        let n = loop {
            match reader.read(&mut buf[filled..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(name, e)),
            }
        };
        filled += n;
        let eof = n == 0;
        if at_start {
            if filled < 3 && !eof {
                continue;
            }
            at_start = false;
            if buf[..filled].starts_with(crate::UTF8_BOM) {
                buf.copy_within(3..filled, 0);
                filled -= 3;
            }
            scanned = 0;
        }
        if eof {
            // End of input: complete lines (if the input was too short to be
            // scanned before), then a last line without a line end.
            filled -= complete_lines(&mut buf, filled, &mut line_no, &mut dropping, sink)?;
            if filled > 0 || piece_of == line_no + 1 {
                line_no += 1;
                if !dropping {
                    match utf8(strip_cr(&buf[..filled])) {
                        Ok(line) => sink.piece(line_no, line, true)?,
                        Err(_) => sink.bad_line(line_no)?,
                    }
                }
            }
            return Ok(());
        }
        if memchr::memchr(b'\n', &buf[scanned..filled]).is_none() {
            scanned = filled;
            continue;
        }
        filled -= complete_lines(&mut buf, filled, &mut line_no, &mut dropping, sink)?;
        scanned = filled;
    }
}

/// Hands out the complete lines of `buf[..filled]` and moves what follows the
/// last line end to the front; returns the number of bytes handed out. `\n` is
/// ASCII, so complete lines are UTF-8 one by one exactly when they are as a whole;
/// a run with an invalid byte is split around its line.
fn complete_lines(
    buf: &mut [u8],
    filled: usize,
    line_no: &mut usize,
    dropping: &mut bool,
    sink: &mut dyn LineSink,
) -> Result<usize> {
    let Some(last) = memchr::memrchr(b'\n', &buf[..filled]) else {
        return Ok(0);
    };
    let whole = last + 1;
    let mut start = 0;
    while start < whole {
        let region = &buf[start..whole];
        let (text, bad_at) = match utf8(region) {
            Ok(text) => (text, None),
            Err(valid_up_to) => (
                std::str::from_utf8(&region[..valid_up_to]).expect("valid prefix"),
                Some(valid_up_to),
            ),
        };
        let mut line_start = 0;
        for end in memchr::memchr_iter(b'\n', text.as_bytes()) {
            *line_no += 1;
            let line = &text[line_start..end];
            if *dropping {
                *dropping = false;
            } else {
                sink.piece(*line_no, line.strip_suffix('\r').unwrap_or(line), true)?;
            }
            line_start = end + 1;
        }
        let Some(bad_at) = bad_at else { break };
        // The line holding the invalid byte, up to its line end.
        *line_no += 1;
        if *dropping {
            *dropping = false;
        } else {
            sink.bad_line(*line_no)?;
        }
        let to_end = memchr::memchr(b'\n', &region[bad_at..]).expect("ends with \\n");
        start += bad_at + to_end + 1;
    }
    buf.copy_within(whole..filled, 0);
    Ok(whole)
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

/// Where to cut `text`, longer than `max` bytes, for a piece of at most `max`
/// bytes: after the last whitespace of the second half of that piece if there is
/// one (not to split a word), else at the last character boundary. Never 0.
fn cut_point(text: &str, max: usize) -> usize {
    let mut at = max.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let space = text[..at]
        .char_indices()
        .rev()
        .take_while(|&(i, _)| i >= at / 2)
        .find(|(_, c)| c.is_whitespace())
        .map(|(i, _)| i);
    match space {
        Some(i) if i > 0 => i,
        _ => at.max(text.chars().next().map_or(1, char::len_utf8)),
    }
}

/// The first `max` bytes of `text` or fewer, at a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut at = max;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    &text[..at]
}

/// Reads `source` and calls `sink` with batches of at most `batch` items.
/// Errors name the file and, for JSONL, the line. Ids are converted to JSON values
/// (a number beyond `f64` precision is rounded here, not in `classify`'s output).
pub fn read_batches(
    source: &Source,
    format: InputFormat,
    batch: usize,
    mut sink: impl FnMut(Vec<Item>) -> Result<()>,
) -> Result<()> {
    let options = Options {
        batch,
        ..Options::default()
    };
    read_batches_into(source, format, &options, &|_| {}, |b| {
        sink(
            b.iter()
                .map(|(id, text)| Item {
                    id: id.and_then(|raw| serde_json::from_str(raw.get()).ok()),
                    text: text.to_string(),
                })
                .collect(),
        )
    })
    .map(|_| ())
}

/// The state of reading one source: turns lines (or pieces of them) into batches
/// of sentences.
struct Reader<'a, S: FnMut(&mut Batch) -> Result<()>> {
    name: &'a Path,
    format: InputFormat,
    batch: usize,
    on_error: OnError,
    notify: &'a (dyn Fn(Notice) + Sync),
    items: Batch,
    /// Text input: the paragraph being read.
    paragraph: String,
    /// Lines and JSONL input: the line being read, when it comes in pieces.
    pending: String,
    /// Pieces of the current line have come, and not its end.
    partial: bool,
    /// The current line was too long and reported: the rest of it is dropped.
    overlong: bool,
    summary: Summary,
    sink: S,
}

impl<S: FnMut(&mut Batch) -> Result<()>> Reader<'_, S> {
    fn flush_if_full(&mut self) -> Result<()> {
        if self.items.is_full(self.batch) {
            (self.sink)(&mut self.items)?;
            self.items.clear();
        }
        Ok(())
    }

    /// Under [`OnError::Skip`], reports `error` and goes on; otherwise fails.
    fn bad(&mut self, error: Error) -> Result<()> {
        match self.on_error {
            OnError::Stop => Err(error),
            OnError::Skip => {
                self.summary.skipped += 1;
                (self.notify)(Notice::Skipped(error));
                Ok(())
            }
        }
    }

    /// A line of lines or JSONL input, whole (truncated to `max` bytes if it came
    /// in pieces; `cut` then says it was).
    fn line(&mut self, line_no: usize, line: &str) -> Result<()> {
        match self.format {
            InputFormat::Lines => {
                let trimmed = line.trim();
                if !trimmed.is_empty() {
                    let kept = truncate(trimmed, MAX_SENTENCE_BYTES);
                    if kept.len() < trimmed.len() {
                        self.summary.cuts += 1;
                    }
                    self.summary.word_cuts += self.items.push(kept);
                }
            }
            InputFormat::Jsonl => {
                if !line.trim().is_empty() {
                    match parse_record_line(self.name, line_no, line) {
                        Ok((id, text)) => {
                            let kept = truncate(&text, MAX_SENTENCE_BYTES);
                            if kept.len() < text.len() {
                                self.summary.cuts += 1;
                            }
                            self.summary.word_cuts += self.items.push_record(id, kept);
                        }
                        Err(e) => self.bad(e)?,
                    }
                }
            }
            InputFormat::Text => unreachable!("text input is read by paragraph"),
        }
        self.flush_if_full()
    }

    /// Segments the paragraph and hands out its sentences: all of them at the end
    /// of the paragraph (`all`), or those that end well before the text read so
    /// far, keeping the rest for more text to come.
    fn drain_paragraph(&mut self, all: bool) -> Result<()> {
        let Reader {
            paragraph,
            items,
            batch,
            sink,
            summary,
            ..
        } = self;
        let limit = if all {
            paragraph.len()
        } else {
            paragraph.len().saturating_sub(LOOKAHEAD)
        };
        let base = paragraph.as_ptr() as usize;
        let mut keep_from = None;
        let mut failed = None;
        segment::for_each_sentence(paragraph, |sentence| {
            if keep_from.is_some() || failed.is_some() {
                return;
            }
            let start = sentence.as_ptr() as usize - base;
            if start + sentence.len() > limit {
                keep_from = Some(start);
                return;
            }
            let mut rest = sentence;
            loop {
                let piece = if rest.len() > MAX_SENTENCE_BYTES {
                    let at = cut_point(rest, MAX_SENTENCE_BYTES);
                    summary.cuts += 1;
                    let (piece, tail) = rest.split_at(at);
                    rest = tail.trim_start();
                    piece.trim_end()
                } else {
                    std::mem::take(&mut rest)
                };
                summary.word_cuts += items.push(piece);
                if items.is_full(*batch) {
                    if let Err(e) = sink(items) {
                        failed = Some(e);
                        return;
                    }
                    items.clear();
                }
                if rest.is_empty() {
                    break;
                }
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        let keep_from = keep_from.unwrap_or(paragraph.len());
        paragraph.drain(..keep_from);
        // An unfinished sentence too long to hold: its head goes out in pieces.
        while !all && self.paragraph.len() > MAX_SENTENCE_BYTES {
            let at = cut_point(&self.paragraph, MAX_SENTENCE_BYTES);
            self.summary.cuts += 1;
            self.summary.word_cuts += self.items.push(self.paragraph[..at].trim_end());
            let rest = self.paragraph[at..].trim_start().len();
            self.paragraph.drain(..self.paragraph.len() - rest);
            self.flush_if_full()?;
        }
        Ok(())
    }
}

impl<S: FnMut(&mut Batch) -> Result<()>> LineSink for Reader<'_, S> {
    fn piece(&mut self, line_no: usize, text: &str, end: bool) -> Result<()> {
        let whole = end && !self.partial;
        self.partial = !end;
        if self.format == InputFormat::Text {
            // Blank lines always end a paragraph, so segmenting paragraph by
            // paragraph gives the same sentences as segmenting the whole text.
            if whole && text.trim().is_empty() {
                return self.drain_paragraph(true);
            }
            self.paragraph.push_str(text);
            if end {
                self.paragraph.push('\n');
            }
            if self.paragraph.len() > PARAGRAPH_BYTES {
                self.drain_paragraph(false)?;
            }
            return Ok(());
        }
        if whole {
            return self.line(line_no, text);
        }
        // A line in pieces: held up to the most that can be used of it.
        let max = match self.format {
            InputFormat::Jsonl => MAX_RECORD_BYTES,
            _ => MAX_SENTENCE_BYTES,
        };
        if !self.overlong {
            if self.pending.len() + text.len() <= max {
                self.pending.push_str(text);
            } else if self.format == InputFormat::Jsonl {
                self.overlong = true;
                self.pending = String::new();
                self.bad(Error::Record {
                    path: self.name.to_path_buf(),
                    line: line_no,
                    message: format!("line longer than {MAX_RECORD_BYTES} bytes"),
                })?;
            } else {
                let room = max - self.pending.len();
                self.pending.push_str(truncate(text, room));
                // The rest of the line is dropped as it comes.
                self.overlong = true;
                self.summary.cuts += 1;
            }
        }
        if end {
            let line = std::mem::take(&mut self.pending);
            let overlong = std::mem::replace(&mut self.overlong, false);
            match self.format {
                InputFormat::Lines => {
                    let trimmed = line.trim();
                    if !trimmed.is_empty() {
                        self.summary.word_cuts +=
                            self.items.push(truncate(trimmed, MAX_SENTENCE_BYTES));
                    }
                    self.flush_if_full()?;
                }
                _ if overlong => {}
                _ => self.line(line_no, &line)?,
            }
        }
        Ok(())
    }

    fn bad_line(&mut self, line_no: usize) -> Result<()> {
        self.partial = false;
        self.overlong = false;
        self.pending.clear();
        self.bad(Error::Record {
            path: self.name.to_path_buf(),
            line: line_no,
            message: "not valid UTF-8".into(),
        })
    }
}

/// [`read_batches`] on [`Batch`]es: `sink` gets each full batch, which is cleared
/// when it returns (a sink keeping the content takes it with [`Batch::take`]).
/// An empty input gives no batch and no error.
fn read_batches_into(
    source: &Source,
    format: InputFormat,
    options: &Options,
    notify: &(dyn Fn(Notice) + Sync),
    sink: impl FnMut(&mut Batch) -> Result<()>,
) -> Result<Summary> {
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
    let batch = options.batch.max(1);
    let mut state = Reader {
        name: &name,
        format,
        batch,
        on_error: options.on_error,
        notify,
        items: Batch::with_capacity(batch.min(4096), 0),
        paragraph: String::new(),
        pending: String::new(),
        partial: false,
        overlong: false,
        summary: Summary::default(),
        sink,
    };
    for_each_line(&name, reader, PIECE, &mut state)?;
    if format == InputFormat::Text {
        state.drain_paragraph(true)?;
    }
    if !state.items.is_empty() {
        (state.sink)(&mut state.items)?;
    }
    if state.summary.cuts > 0 {
        notify(Notice::Cut {
            path: name.clone(),
            cuts: state.summary.cuts,
        });
    }
    if state.summary.word_cuts > 0 {
        notify(Notice::LongWords {
            path: name.clone(),
            cuts: state.summary.word_cuts,
        });
    }
    Ok(state.summary)
}

/// The borrowed fields of a JSONL input record: the fast parse.
#[derive(serde::Deserialize)]
struct InputRecord<'a> {
    #[serde(default, borrow, deserialize_with = "raw_id")]
    id: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    text: std::borrow::Cow<'a, str>,
}

/// An `id` as written, `null` included (`Option`'s own deserializer would make
/// `null` an absent id).
fn raw_id<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<&'de serde_json::value::RawValue>, D::Error> {
    <&serde_json::value::RawValue as serde::Deserialize>::deserialize(d).map(Some)
}

/// The id (as written) and text of a JSONL record. The fast parse borrows from the
/// line; when it fails, the line is read again as a JSON value for an error that
/// says what is wrong (or, for what serde's derive refuses and JSON allows, such
/// as a repeated key, for the record).
pub(crate) fn parse_record_line(
    path: &Path,
    line: usize,
    text: &str,
) -> Result<(Option<RawId>, String)> {
    if let Ok(record) = serde_json::from_str::<InputRecord>(text) {
        return Ok((record.id.map(|r| r.to_owned()), record.text.into_owned()));
    }
    let item = parse_item(path, line, text)?;
    let id = item
        .id
        .map(|v| serde_json::value::to_raw_value(&v).expect("a JSON value serializes"));
    Ok((id, item.text))
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
    id: Option<&'a serde_json::value::RawValue>,
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
    let mut evidence = Vec::new();
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
                let p = classifier.explain_into(text, options.top, &mut evidence);
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
/// order. A closed pipe (`| head`) ends the run quietly with `Ok`. Skipped lines
/// and cut sentences go unreported: see [`classify_sources_with`].
pub fn classify_sources(
    model: &Model,
    sources: &[Source],
    options: &Options,
    writer: &mut dyn Write,
) -> Result<()> {
    classify_sources_with(model, sources, options, writer, &|_| {}).map(|_| ())
}

/// [`classify_sources`], calling `notify` with each line skipped (under
/// [`OnError::Skip`]) and, after each source, the cuts made in its sentences; the
/// summary counts both.
pub fn classify_sources_with(
    model: &Model,
    sources: &[Source],
    options: &Options,
    writer: &mut dyn Write,
    notify: &(dyn Fn(Notice) + Sync),
) -> Result<Summary> {
    check_threads(options.threads)?;
    let result = run(model, sources, options, writer, notify);
    match result {
        Err(Error::Io { ref error, .. }) if error.kind() == io::ErrorKind::BrokenPipe => {
            Ok(Summary::default())
        }
        other => other,
    }
}

fn write_out(writer: &mut dyn Write, bytes: &[u8]) -> Result<()> {
    writer
        .write_all(bytes)
        .map_err(|e| Error::io("<stdout>", e))
}

fn run(
    model: &Model,
    sources: &[Source],
    options: &Options,
    writer: &mut dyn Write,
    notify: &(dyn Fn(Notice) + Sync),
) -> Result<Summary> {
    if options.output == OutputFormat::Table {
        write_out(writer, b"LABEL        P  SENTENCE\n")?;
    }
    let mut summary = Summary::default();
    if options.threads <= 1 {
        let mut classifier = model.classifier();
        let mut out = Vec::new();
        for source in sources {
            let format = input_format(source, options);
            summary += read_batches_into(source, format, options, notify, |items| {
                out.clear();
                render(&mut classifier, items, options, &mut out);
                write_out(writer, &out)
            })?;
        }
        writer.flush().map_err(|e| Error::io("<stdout>", e))?;
        return Ok(summary);
    }
    // Workers take numbered batches and return rendered bytes; the writer puts them
    // back in order. Bounded channels keep memory flat.
    let threads = options.threads;
    std::thread::scope(|scope| -> Result<Summary> {
        let (job_tx, job_rx) = crossbeam_channel::bounded::<(u64, Batch)>(threads * 2);
        let (done_tx, done_rx) = crossbeam_channel::bounded::<(u64, Vec<u8>)>(threads * 2);
        for _ in 0..threads {
            let job_rx = job_rx.clone();
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                let mut classifier = model.classifier();
                for (seq, items) in job_rx {
                    let mut out = Vec::new();
                    render(&mut classifier, &items, options, &mut out);
                    if done_tx.send((seq, out)).is_err() {
                        break;
                    }
                }
            });
        }
        // Only the workers may hold the job receiver: once they stop, the reader's
        // next send fails and it stops reading (endless stdin behind a closed pipe
        // must not keep it running).
        drop(job_rx);
        drop(done_tx);
        let reader = scope.spawn(move || -> Result<Summary> {
            let mut seq = 0u64;
            let mut summary = Summary::default();
            for source in sources {
                let format = input_format(source, options);
                summary += read_batches_into(source, format, options, notify, |items| {
                    // A closed channel means the writer stopped (closed pipe, full
                    // disk): its error is the one reported.
                    job_tx
                        .send((seq, items.take()))
                        .map_err(|_| Error::Config("the output stopped".into()))?;
                    seq += 1;
                    Ok(())
                })?;
            }
            Ok(summary)
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
        summary = read_result?;
        writer.flush().map_err(|e| Error::io("<stdout>", e))?;
        Ok(summary)
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

    /// Joins the pieces of each line; strict about UTF-8.
    #[derive(Default)]
    struct Collect {
        lines: Vec<(usize, String)>,
        current: Option<(usize, String)>,
        pieces: usize,
    }

    impl LineSink for Collect {
        fn piece(&mut self, line: usize, text: &str, end: bool) -> Result<()> {
            self.pieces += 1;
            let current = self.current.get_or_insert((line, String::new()));
            assert_eq!(current.0, line, "pieces of one line share its number");
            current.1.push_str(text);
            if end {
                self.lines.extend(self.current.take());
            }
            Ok(())
        }
        fn bad_line(&mut self, line: usize) -> Result<()> {
            Err(Error::Record {
                path: "in.txt".into(),
                line,
                message: "not valid UTF-8".into(),
            })
        }
    }

    /// The lines `for_each_line` gives, or its error, reading `bytes` `step` at a
    /// time in pieces of at most `piece` bytes.
    fn lines_in_pieces(bytes: &[u8], step: usize, piece: usize) -> Result<Vec<(usize, String)>> {
        let mut sink = Collect::default();
        let mut reader = Trickle {
            bytes,
            step,
            interrupted: false,
        };
        for_each_line(Path::new("in.txt"), &mut reader, piece, &mut sink)?;
        assert!(sink.current.is_none(), "a line without its end");
        Ok(sink.lines)
    }

    fn lines(bytes: &[u8], step: usize) -> Result<Vec<(usize, String)>> {
        lines_in_pieces(bytes, step, usize::MAX)
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
            let mut sink = Collect::default();
            let mut reader = Trickle {
                bytes: &text,
                step,
                interrupted: false,
            };
            let result = for_each_line(Path::new("in.txt"), &mut reader, PIECE, &mut sink);
            assert_eq!(sink.lines.last().unwrap().0, 69_999, "step {step}");
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
        let options = Options {
            batch: 2,
            ..Options::default()
        };
        read_batches_into(
            &Source::File(path),
            InputFormat::Jsonl,
            &options,
            &|_| {},
            |b| {
                got.push(
                    b.iter()
                        .map(|(id, text)| (id.map(|r| r.get().to_string()), text.to_string()))
                        .collect::<Vec<_>>(),
                );
                Ok(())
            },
        )
        .unwrap();
        let id = |v: &str| Some(v.to_string());
        assert_eq!(
            got,
            vec![
                vec![(id("1"), "Un.".to_string()), (None, "Deux é.".to_string())],
                vec![(id("\"c\""), String::new())],
            ]
        );
    }

    /// Ids as written and sentences.
    type Sentences = Vec<(Option<String>, String)>;

    /// The sentences (and ids) `read_batches_into` gives for `content` read as
    /// `format`, with its summary and notices.
    fn read_all(
        content: &[u8],
        format: InputFormat,
        on_error: OnError,
    ) -> (Result<Summary>, Sentences, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in");
        std::fs::write(&path, content).unwrap();
        let options = Options {
            on_error,
            ..Options::default()
        };
        let notices = std::sync::Mutex::new(Vec::new());
        let mut got = Vec::new();
        let result = read_batches_into(
            &Source::File(path),
            format,
            &options,
            &|n| notices.lock().unwrap().push(n.to_string()),
            |b| {
                assert!(b.len() <= options.batch);
                // A batch may pass BATCH_BYTES by one sentence, no more.
                assert!(b.text.len() < BATCH_BYTES + MAX_SENTENCE_BYTES);
                got.extend(
                    b.iter()
                        .map(|(id, t)| (id.map(|r| r.get().to_string()), t.to_string())),
                );
                Ok(())
            },
        );
        (result, got, notices.into_inner().unwrap())
    }

    fn texts(got: &[(Option<String>, String)]) -> Vec<&str> {
        got.iter().map(|(_, t)| t.as_str()).collect()
    }

    #[test]
    fn lines_in_pieces_join_to_the_lines() {
        let long = "é".repeat(3000) + "x";
        let bytes = format!("a\r\n{long}\r\n\nb{long}").into_bytes();
        let want = reference(&bytes).unwrap();
        // Pieces cut inside two-byte characters, reads of any size.
        for piece in [4, 5, 7, 64, 1001] {
            for step in [1, 3, 64, usize::MAX] {
                assert_eq!(lines_in_pieces(&bytes, step, piece).unwrap(), want);
            }
        }
        // An invalid byte in the middle of a long line names it.
        let mut bad = bytes.clone();
        bad[3 + 2001] = 0xff;
        assert_eq!(bad_line(lines_in_pieces(&bad, 7, 64)), 2);
    }

    #[test]
    fn a_byte_order_mark_at_the_start_is_dropped() {
        for step in [1, 2, 3, 4, usize::MAX] {
            assert_eq!(
                lines(b"\xef\xbb\xbfun\n\xef\xbb\xbfdeux", step).unwrap(),
                vec![(1, "un".to_string()), (2, "\u{feff}deux".to_string())],
                "only at the very start"
            );
            assert_eq!(lines(b"\xef\xbb\xbf", step).unwrap(), vec![]);
        }
        let (result, got, _) = read_all(
            b"\xef\xbb\xbf{\"id\":1,\"text\":\"Un.\"}\n",
            InputFormat::Jsonl,
            OnError::Stop,
        );
        result.unwrap();
        assert_eq!(got, vec![(Some("1".to_string()), "Un.".to_string())]);
        let (_, got, _) = read_all(b"\xef\xbb\xbfUn.\n", InputFormat::Lines, OnError::Stop);
        assert_eq!(texts(&got), ["Un."]);
    }

    #[test]
    fn an_empty_input_is_no_sentence_and_no_error() {
        for format in [InputFormat::Text, InputFormat::Lines, InputFormat::Jsonl] {
            for content in [&b""[..], b"\n\n  \r\n", b"\xef\xbb\xbf"] {
                let (result, got, notices) = read_all(content, format, OnError::Stop);
                assert_eq!(result.unwrap(), Summary::default());
                assert!(got.is_empty() && notices.is_empty());
            }
        }
    }

    #[test]
    fn ids_are_echoed_as_written() {
        let (_, got, _) = read_all(
            b"{\"id\": 123456789012345678901234567890, \"text\": \"a\"}\n{\"id\": null, \"text\": \"b\"}\n{\"text\": \"c\", \"id\": [1, \"x\"], \"text\": \"d\"}\n",
            InputFormat::Jsonl,
            OnError::Stop,
        );
        assert_eq!(
            got,
            vec![
                (Some("123456789012345678901234567890".into()), "a".into()),
                (Some("null".into()), "b".into()),
                // A repeated key: the last one wins, as in any JSON reader.
                (Some("[1,\"x\"]".into()), "d".into()),
            ]
        );
    }

    #[test]
    fn a_long_paragraph_streams_the_sentences_of_the_whole() {
        // 3 MB of sentences in one paragraph without a line end: handed out as it
        // is read, the same sentences as segmenting the whole text.
        let mut text = String::new();
        let mut i = 0;
        while text.len() < 3 * PARAGRAPH_BYTES {
            text.push_str(&format!(
                "M. Dupont exige {i} garanties, etc. Le « retrait » ? Non ! "
            ));
            i += 1;
        }
        let want = segment::sentences(&text);
        let (result, got, notices) = read_all(text.as_bytes(), InputFormat::Text, OnError::Stop);
        assert_eq!(result.unwrap().cuts, 0);
        assert!(notices.is_empty());
        assert_eq!(texts(&got), want);
    }

    #[test]
    fn sentences_too_long_are_cut_and_counted() {
        // 1.5 MB with no sentence end and no line end.
        let words: String = (0..200_000).map(|i| format!("mot{i} ")).collect();
        let (result, got, notices) = read_all(words.as_bytes(), InputFormat::Text, OnError::Stop);
        let cuts = result.unwrap().cuts;
        assert!(got.iter().all(|(_, t)| t.len() <= MAX_SENTENCE_BYTES));
        assert_eq!(cuts, got.len() - 1);
        assert!(cuts >= words.len() / MAX_SENTENCE_BYTES, "{cuts}");
        // Cut between words: nothing lost, no word split.
        assert_eq!(texts(&got).join(" "), words.trim_end());
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(
            notices[0].contains(&format!("{cuts} cut(s)")),
            "{notices:?}"
        );
        // Lines and JSONL records: truncated, one result per line.
        // (Words of one letter: long words have a cut of their own.)
        let line = "é,".repeat(MAX_SENTENCE_BYTES); // three times the limit
        let content = format!("court\n{line}\n{line}{line}{line}{line}\n");
        let (result, got, _) = read_all(content.as_bytes(), InputFormat::Lines, OnError::Stop);
        assert_eq!(result.unwrap().cuts, 2);
        assert_eq!(got.len(), 3);
        // The limit falls inside an « é »: cut before it.
        assert_eq!(got[1].1, "é,".repeat(MAX_SENTENCE_BYTES / 3));
        assert_eq!(got[2].1, got[1].1);
        let record = format!("{{\"text\": \"{line}\"}}\n");
        let (result, got, _) = read_all(record.as_bytes(), InputFormat::Jsonl, OnError::Stop);
        assert_eq!(result.unwrap().cuts, 1);
        assert_eq!(got[0].1, "é,".repeat(MAX_SENTENCE_BYTES / 3));
    }

    #[test]
    fn words_too_long_are_cut_and_counted() {
        let long = "x".repeat(3 * MAX_WORD_BYTES);
        let accented = "é".repeat(MAX_WORD_BYTES); // twice the limit, in bytes
        let content = format!("Paris exige {long} et {long}.\nRien {accented} ici.\nCourt.\n");
        for format in [InputFormat::Lines, InputFormat::Text] {
            let (result, got, notices) = read_all(content.as_bytes(), format, OnError::Stop);
            let summary = result.unwrap();
            assert_eq!(summary.word_cuts, 3, "{format:?}");
            assert_eq!(summary.cuts, 0);
            let kept = "x".repeat(MAX_WORD_BYTES);
            assert_eq!(
                texts(&got),
                [
                    format!("Paris exige {kept} et {kept}."),
                    format!("Rien {} ici.", "é".repeat(MAX_WORD_BYTES / 2)),
                    "Court.".to_string()
                ]
            );
            assert_eq!(notices.len(), 1, "{notices:?}");
            assert!(notices[0].contains("3 word(s)"), "{notices:?}");
        }
        let record = format!("{{\"id\": 1, \"text\": \"Non {long}\"}}\n");
        let (result, got, _) = read_all(record.as_bytes(), InputFormat::Jsonl, OnError::Stop);
        assert_eq!(result.unwrap().word_cuts, 1);
        assert_eq!(got[0].1, format!("Non {}", "x".repeat(MAX_WORD_BYTES)));
        // Decomposed letters (`e` + combining acute) make one word too.
        let decomposed = format!("Non {}", "e\u{301}".repeat(MAX_WORD_BYTES));
        let (result, got, _) = read_all(decomposed.as_bytes(), InputFormat::Lines, OnError::Stop);
        assert_eq!(result.unwrap().word_cuts, 1);
        assert_eq!(got[0].1.len(), "Non ".len() + MAX_WORD_BYTES);
        // A word of exactly the limit, and long runs broken by punctuation, stay.
        let fine = format!("{} {}", "y".repeat(MAX_WORD_BYTES), "ab-".repeat(500));
        let (result, got, notices) = read_all(fine.as_bytes(), InputFormat::Lines, OnError::Stop);
        assert_eq!(result.unwrap().word_cuts, 0);
        assert_eq!(got[0].1, fine.trim_end());
        assert!(notices.is_empty());
    }

    #[test]
    fn a_jsonl_line_too_long_is_an_error_or_skipped() {
        let mut content = b"{\"text\": \"".to_vec();
        content.resize(MAX_RECORD_BYTES + 10, b'a');
        content.extend_from_slice(b"\"}\n{\"text\": \"ok\"}\n");
        let (result, got, _) = read_all(&content, InputFormat::Jsonl, OnError::Stop);
        match result {
            Err(Error::Record {
                line: 1, message, ..
            }) => {
                assert!(message.contains("longer than"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert!(got.is_empty());
        let (result, got, notices) = read_all(&content, InputFormat::Jsonl, OnError::Skip);
        assert_eq!(result.unwrap().skipped, 1);
        assert_eq!(texts(&got), ["ok"]);
        assert!(notices[0].contains("in:1: line longer than"), "{notices:?}");
    }

    #[test]
    fn skipping_reports_each_bad_line_and_goes_on() {
        let content = b"{\"text\": \"un\"}\nnot json\n{\"id\": 3}\n{\"text\": \"d\xffeux\"}\n{\"text\": 5}\n{\"text\": \"trois\"}";
        let (result, got, notices) = read_all(content, InputFormat::Jsonl, OnError::Skip);
        assert_eq!(result.unwrap().skipped, 4);
        assert_eq!(texts(&got), ["un", "trois"]);
        let expected = [
            "in:2: malformed JSON",
            "in:3: record has no \"text\" field",
            "in:4: not valid UTF-8",
            "in:5: field \"text\" must be a string, not 5",
        ];
        assert_eq!(notices.len(), expected.len(), "{notices:?}");
        for (notice, want) in notices.iter().zip(expected) {
            assert!(notice.contains(want), "{notice:?} should contain {want:?}");
        }
        let (result, got, _) = read_all(content, InputFormat::Jsonl, OnError::Stop);
        assert!(
            matches!(result, Err(Error::Record { line: 2, .. })),
            "{result:?}"
        );
        assert_eq!(texts(&got), Vec::<&str>::new(), "no batch before the error");
    }
}

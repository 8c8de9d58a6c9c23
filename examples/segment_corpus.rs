//! Splits a corpus of articles (JSONL with `id` and `text`, as in `shared/corpora`)
//! into sentences with demarche's own segmenter, one JSON object a line:
//! `{"article": …, "index": …, "text": …}`. This is how the real-news records of
//! `data/` were cut: what it prints is what users will classify.
//!
//! `cargo run --release --example segment_corpus -- ../shared/corpora/wikinews-fr/articles.jsonl`

use std::io::{BufRead, BufWriter, Write};

#[derive(serde::Deserialize)]
struct Article {
    id: String,
    text: String,
}

#[derive(serde::Serialize)]
struct Piece<'a> {
    article: &'a str,
    index: usize,
    text: &'a str,
}

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: segment_corpus ARTICLES.jsonl"))?;
    let file = std::io::BufReader::new(std::fs::File::open(&path)?);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for (n, line) in file.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let article: Article =
            serde_json::from_str(&line).map_err(|e| anyhow::anyhow!("{path}:{}: {e}", n + 1))?;
        for (index, text) in demarche::segment::sentences(&article.text)
            .into_iter()
            .enumerate()
        {
            serde_json::to_writer(
                &mut out,
                &Piece {
                    article: &article.id,
                    index,
                    text,
                },
            )?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(())
}

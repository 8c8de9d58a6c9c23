//! Article text → sentences.
//!
//! French news text as scraped: one paragraph per line (headlines, captions and
//! bylines included), quotations in « » or straight quotes, abbreviations such as
//! `M.` and numbers such as `40.000`. The segmenter returns slices of the input, so
//! no text is copied and every sentence can be traced back to its bytes.

/// Characters that can end a sentence.
fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…')
}

/// Characters that may follow the final punctuation and still belong to the sentence.
fn is_closing(c: char) -> bool {
    matches!(c, '»' | '”' | '’' | ')' | ']' | '"' | '\'')
}

/// Characters that may open the next sentence besides an uppercase letter or a digit.
fn is_opening(c: char) -> bool {
    matches!(
        c,
        '«' | '"' | '“' | '‘' | '(' | '[' | '-' | '–' | '—' | '¿' | '¡'
    )
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{202f}' || c == '\u{a0}'
}

/// Abbreviations after which a period does not end the sentence (compared lowercase).
const ABBREVIATIONS: &[&str] = &[
    "m", "mm", "mme", "mmes", "mlle", "mlles", "dr", "pr", "me", "mgr", "st", "ste", "gén", "gal",
    "col", "cdt", "lt", "cap", "adj", "sgt", "cf", "p", "pp", "vol", "art", "chap", "env", "ex",
    "no", "n°", "av", "apr", "j.-c", "hab", "min", "max", "tél", "vs", "éd",
];

/// Splits `text` into sentences, in order, each trimmed of surrounding whitespace.
///
/// ```
/// let s = demarche::segment::sentences("M. Lavrov a parlé. « Nous attendons. » Fin");
/// assert_eq!(s, ["M. Lavrov a parlé.", "« Nous attendons. »", "Fin"]);
/// ```
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for_each_sentence(text, |s| out.push(s));
    out
}

/// Calls `emit` with each sentence of `text`, in order, without allocating.
pub fn for_each_sentence<'a>(text: &'a str, mut emit: impl FnMut(&'a str)) {
    for paragraph in Paragraphs::new(text) {
        match dateline_end(paragraph) {
            Some(end) => {
                emit(paragraph[..end].trim_matches(is_space));
                split_paragraph(&paragraph[end..], &mut emit);
            }
            None => split_paragraph(paragraph, &mut emit),
        }
    }
}

/// News agencies whose name in brackets marks a dateline: `PARIS (AFP) -`.
const AGENCIES: &[&str] = &["AFP", "Reuters", "AP", "Belga", "ATS", "AFP/Reuters"];

const MONTHS: &[&str] = &[
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// The byte length of a dateline that opens a paragraph and ends with a dash, if any:
/// `PARIS (AFP) - `, `Washington, 3 mai (Reuters) – `, or Wikinews' `2 mars 2017. – `.
/// A dateline is page furniture, not part of the sentence that follows it, and left
/// glued it would lend the first sentence its words.
fn dateline_end(p: &str) -> Option<usize> {
    // Datelines are short: look for the dash in the first 80 bytes only.
    let dash_at = p
        .char_indices()
        .take_while(|&(i, _)| i < 80)
        .find(|&(i, c)| {
            matches!(c, '-' | '–' | '—')
                && p[..i].ends_with(is_space)
                && p[i + c.len_utf8()..].starts_with(is_space)
        })
        .map(|(i, _)| i)?;
    let head = p[..dash_at].trim_end_matches(is_space);
    let after_dash = dash_at + p[dash_at..].chars().next()?.len_utf8();
    if !(is_agency_dateline(head) || is_date_dateline(head)) {
        return None;
    }
    Some(after_dash)
}

/// `PARIS (AFP)`, `Washington, 3 mai (Reuters)`.
fn is_agency_dateline(head: &str) -> bool {
    let Some(inner) = head.strip_suffix(')') else {
        return false;
    };
    let Some(open) = inner.rfind('(') else {
        return false;
    };
    AGENCIES.contains(&&inner[open + 1..])
        && inner[..open].chars().next().is_some_and(char::is_uppercase)
}

/// `2 mars 2017.` or `1er janvier 2016, 14h30.`: day, month, year, maybe a time.
fn is_date_dateline(head: &str) -> bool {
    let head = head.trim_end_matches('.');
    let mut words = head
        .split(|c: char| is_space(c) || c == ',')
        .filter(|w| !w.is_empty());
    let day = words.next().unwrap_or("");
    let day_ok = day == "1er"
        || (day.len() <= 2 && day.bytes().all(|b| b.is_ascii_digit()) && !day.is_empty());
    let month_ok = words
        .next()
        .is_some_and(|m| MONTHS.contains(&m.to_lowercase().as_str()));
    let year_ok = words
        .next()
        .is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()));
    let time_ok = match words.next() {
        None => true,
        Some(t) => {
            words.next().is_none()
                && t.contains('h')
                && t.chars().all(|c| c.is_ascii_digit() || c == 'h')
        }
    };
    day_ok && month_ok && year_ok && time_ok
}

/// Paragraphs: runs of lines, where a line break ends a paragraph unless the line
/// reads as hard-wrapped (it ends without final punctuation and the next line starts
/// in lowercase).
struct Paragraphs<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Paragraphs<'a> {
    fn new(text: &'a str) -> Self {
        Paragraphs { text, pos: 0 }
    }
}

fn line_at(text: &str, pos: usize) -> (usize, usize) {
    let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
    let next = if end < text.len() { end + 1 } else { end };
    (end, next)
}

impl<'a> Iterator for Paragraphs<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let text = self.text;
        // Skip blank lines.
        loop {
            if self.pos >= text.len() {
                return None;
            }
            let (end, next) = line_at(text, self.pos);
            if text[self.pos..end].trim_matches(is_space).is_empty() {
                self.pos = next;
            } else {
                break;
            }
        }
        let start = self.pos;
        let (mut end, mut next) = line_at(text, start);
        loop {
            let line = text[start..end].trim_end_matches(is_space);
            let ends_open = line
                .chars()
                .next_back()
                .is_some_and(|c| !is_terminal(c) && !is_closing(c) && c != ':');
            if next >= text.len() || !ends_open {
                break;
            }
            let (next_end, after) = line_at(text, next);
            let following = text[next..next_end].trim_start_matches(is_space);
            if following.chars().next().is_some_and(char::is_lowercase) {
                end = next_end;
                next = after;
            } else {
                break;
            }
        }
        self.pos = next;
        Some(&text[start..end])
    }
}

fn split_paragraph<'a>(p: &'a str, emit: &mut impl FnMut(&'a str)) {
    let mut start = 0;
    let push = |from: usize, to: usize, emit: &mut dyn FnMut(&'a str)| {
        let s = p[from..to].trim_matches(is_space);
        // A stray "." or "»" on a line of its own is debris, not a sentence.
        if s.chars().any(char::is_alphanumeric) {
            emit(s);
        }
    };
    let mut iter = p.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if !is_terminal(c) {
            continue;
        }
        // The whole run of final punctuation: "?!", "...", "…".
        let mut run_end = i + c.len_utf8();
        let mut run_len = 1;
        while let Some(&(j, d)) = iter.peek() {
            if is_terminal(d) {
                run_end = j + d.len_utf8();
                run_len += 1;
                iter.next();
            } else {
                break;
            }
        }
        if is_bracketed_ellipsis(p, i, run_end) {
            continue;
        }
        if c == '.' && run_len == 1 && is_abbreviation(&p[start..i]) {
            continue;
        }
        // Closing quotes and brackets, possibly after a (no-break) space: `. »`.
        let mut end = run_end;
        let mut cursor = run_end;
        let mut saw_space = false;
        let mut next_start = None;
        for (j, d) in p[run_end..].char_indices() {
            let at = run_end + j;
            if at < cursor {
                continue;
            }
            if is_space(d) {
                saw_space = true;
                cursor = at + d.len_utf8();
            } else if d == '"' || d == '\'' {
                // A straight quote glued to a letter opens the next sentence;
                // otherwise it closes this one.
                let glued = p[at + 1..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric);
                if glued {
                    next_start = Some(at);
                    break;
                }
                end = at + 1;
                cursor = end;
                saw_space = false;
            } else if is_closing(d) && d != '’' {
                if saw_space && d == ')' {
                    break;
                }
                end = at + d.len_utf8();
                cursor = end;
                saw_space = false;
            } else {
                if saw_space && (d.is_uppercase() || d.is_ascii_digit() || is_opening(d)) {
                    next_start = Some(at);
                }
                break;
            }
        }
        if let Some(next) = next_start {
            push(start, end, emit);
            start = next;
            // Skip the characters consumed while looking ahead.
            while let Some(&(j, _)) = iter.peek() {
                if j < next {
                    iter.next();
                } else {
                    break;
                }
            }
        }
    }
    push(start, p.len(), emit);
}

/// `(...)`, `[…]` and `<…>` mark a cut in a quotation, not the end of a sentence.
fn is_bracketed_ellipsis(p: &str, run_start: usize, run_end: usize) -> bool {
    let before = p[..run_start].chars().next_back();
    let after = p[run_end..].chars().next();
    matches!(before, Some('(' | '[' | '<')) && matches!(after, Some(')' | ']' | '>'))
}

/// Is the word just before a period an abbreviation or a single initial?
fn is_abbreviation(before: &str) -> bool {
    let word_start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_alphabetic() || c == '.' || c == '-' || c == '°'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &before[word_start..];
    if word.is_empty() {
        return false;
    }
    let mut chars = word.chars();
    let first = chars.next().unwrap_or(' ');
    // A single capital: an initial such as "J." in "J. Biden".
    if first.is_uppercase() && chars.next().is_none() {
        return true;
    }
    // Dotted acronyms and initials: "E.-U.", "J.-C."
    if word.contains('.') {
        return true;
    }
    let lower = word.to_lowercase();
    ABBREVIATIONS.contains(&lower.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_of_cases() {
        let cases: &[(&str, &[&str])] = &[
            ("Un. Deux.", &["Un.", "Deux."]),
            (
                "M. Blinken et Mme Colonna sont arrivés. Ils parlent.",
                &["M. Blinken et Mme Colonna sont arrivés.", "Ils parlent."],
            ),
            (
                "La force compte 40.000 troupes. Elle est prête.",
                &["La force compte 40.000 troupes.", "Elle est prête."],
            ),
            (
                "Une hausse de 2,5 % et 12 000 soldats. Puis rien.",
                &["Une hausse de 2,5 % et 12 000 soldats.", "Puis rien."],
            ),
            (
                "« Nous partons. » Il a ri.",
                &["« Nous partons. »", "Il a ri."],
            ),
            (
                "« Nous partons », a-t-il dit. Fin.",
                &["« Nous partons », a-t-il dit.", "Fin."],
            ),
            ("Quoi ?! Non... Si.", &["Quoi ?!", "Non...", "Si."]),
            (
                "\"Ce sont (...) des mots\", a-t-il dit.",
                &["\"Ce sont (...) des mots\", a-t-il dit."],
            ),
            (
                "a-t-il souligné.\"La force est là\".",
                &["a-t-il souligné.", "\"La force est là\"."],
            ),
            (
                "Titre sans point\n\nCorps du texte. Suite.",
                &["Titre sans point", "Corps du texte.", "Suite."],
            ),
            ("Ligne une\nLigne deux", &["Ligne une", "Ligne deux"]),
            (
                "Une phrase coupée\nau milieu. Fin.",
                &["Une phrase coupée\nau milieu.", "Fin."],
            ),
            (
                "J. Biden parle. E.R avec AFP",
                &["J. Biden parle.", "E.R avec AFP"],
            ),
            (
                "Il a dit: \"Non.\" Puis il est parti.",
                &["Il a dit: \"Non.\"", "Puis il est parti."],
            ),
            (
                "«\u{a0}Nous partons.\u{a0}» Il a ri.",
                &["«\u{a0}Nous partons.\u{a0}»", "Il a ri."],
            ),
            (
                "Il l'a dit à MM. Macron et Scholz. Puis Dr. Tedros.",
                &["Il l'a dit à MM. Macron et Scholz.", "Puis Dr. Tedros."],
            ),
            ("Fin du texte… La suite.", &["Fin du texte…", "La suite."]),
            ("Le 2 mai. 2022 fut long.", &["Le 2 mai.", "2022 fut long."]),
            (
                "(AFP) Le sommet s'ouvre. « Enfin ! » a-t-il lancé.",
                &["(AFP) Le sommet s'ouvre.", "« Enfin ! » a-t-il lancé."],
            ),
            ("", &[]),
            ("  \n \n", &[]),
            // "etc." ends a sentence when a capital follows.
            (
                "La pollution, les routes, etc. Les États-Unis réagissent.",
                &[
                    "La pollution, les routes, etc.",
                    "Les États-Unis réagissent.",
                ],
            ),
            (
                "Des masques, des tests, etc. et rien d'autre.",
                &["Des masques, des tests, etc. et rien d'autre."],
            ),
            // Agency and Wikinews datelines are pieces of their own, dash included.
            (
                "PARIS (AFP) - Le gouvernement a demandé un délai. Fin.",
                &[
                    "PARIS (AFP) -",
                    "Le gouvernement a demandé un délai.",
                    "Fin.",
                ],
            ),
            (
                "Washington, 3 mai (Reuters) – Les États-Unis exigent des garanties.",
                &[
                    "Washington, 3 mai (Reuters) –",
                    "Les États-Unis exigent des garanties.",
                ],
            ),
            (
                "2 mars 2017. – Hier, plusieurs personnes ont été enlevées.",
                &[
                    "2 mars 2017. –",
                    "Hier, plusieurs personnes ont été enlevées.",
                ],
            ),
            (
                "1er janvier 2016, 14h30. – Un homme a foncé sur des militaires.",
                &[
                    "1er janvier 2016, 14h30. –",
                    "Un homme a foncé sur des militaires.",
                ],
            ),
            // A dash that is not after a dateline stays with its sentence.
            (
                "Le vote - très serré - a eu lieu. Fin.",
                &["Le vote - très serré - a eu lieu.", "Fin."],
            ),
            (
                "- Exclu du parti, il part.",
                &["- Exclu du parti, il part."],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(&sentences(text), expected, "input: {text:?}");
        }
    }

    #[test]
    fn spans_are_slices_of_the_input() {
        let text = "Première phrase. Deuxième phrase !\nTroisième";
        for s in sentences(text) {
            let offset = s.as_ptr() as usize - text.as_ptr() as usize;
            assert_eq!(&text[offset..offset + s.len()], s);
        }
    }
}

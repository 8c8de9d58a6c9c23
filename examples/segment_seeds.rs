fn main() {
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, s) in demarche::segment::sentences(&text).iter().enumerate() {
            println!("{}\t{:03}\t{}", path, i, s.replace('\n', " "));
        }
    }
}

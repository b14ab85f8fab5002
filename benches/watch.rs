//! Watch mode: the time from saving an article to the reload event reaching an open page,
//! less the debounce (issue 6's target: under 300 ms for one article). A `wxsync watch`
//! process serves a copy of the example site; the bench listens on `/events` like a page
//! does, appends to an article, and times the next event.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

const DEBOUNCE_MS: u64 = 100;

fn copy_site(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("example-site");
    for e in walkdir::WalkDir::new(&from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let rel = e.path().strip_prefix(&from).unwrap();
        if rel.starts_with(".wxsync") {
            continue;
        }
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    copy_site(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxsync"))
        .arg("-C")
        .arg(dir.path())
        .args([
            "watch",
            "--port",
            "0",
            "--debounce",
            &DEBOUNCE_MS.to_string(),
            "-q",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let port: u16 = loop {
        let line = lines.next().expect("watch output").unwrap();
        if let Some(i) = line.find("http://127.0.0.1:") {
            break line[i + 17..]
                .trim_end_matches(|c: char| !c.is_ascii_digit())
                .split('/')
                .next()
                .unwrap()
                .parse()
                .unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let mut sse = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        sse,
        "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut events = BufReader::new(sse);
    let mut next_event = move || loop {
        let mut line = String::new();
        events.read_line(&mut line).unwrap();
        if line.starts_with("data:") {
            return line;
        }
    };
    next_event(); // the current build
    let article = dir.path().join("articles/rust-error-handling.md");
    let mut g = c.benchmark_group("watch");
    g.sample_size(20);
    g.bench_function("save_to_reload_event_minus_debounce", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&article)
                    .unwrap();
                let start = Instant::now();
                writeln!(f, "\nedit {i}").unwrap();
                drop(f);
                next_event();
                total += start
                    .elapsed()
                    .saturating_sub(Duration::from_millis(DEBOUNCE_MS));
            }
            total
        })
    });
    g.finish();
    let _ = child.kill();
    let _ = child.wait();
}

criterion_group!(benches, bench);
criterion_main!(benches);

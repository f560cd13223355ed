use std::time::Duration;
fn cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
fn main() {
    let text = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    for _ in 0..3 {
        let t = cpu();
        let v: Result<serde_saphyr::Spanned<serde_json::Value>, _> =
            serde_saphyr::from_str_with_options(
                &text,
                serde_saphyr::options! { duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::PassThrough },
            );
        let a = cpu() - t;
        let t = cpu();
        let w: Result<serde_json::Value, _> = serde_saphyr::from_str_with_options(
            &text,
            serde_saphyr::options! { budget: None, with_snippet: false },
        );
        let b = cpu() - t;
        let t = cpu();
        let p = heroku_clock::config::parse(&text, chrono::Utc::now());
        println!(
            "saphyr spanned-top {a:?} {} plain-nobudget {b:?} {} | parse {:?} {}",
            v.is_ok(),
            w.is_ok(),
            cpu() - t,
            p.diagnostics.len()
        );
    }
}

//! `--format html` in a real browser: the report of the samples (thirteen clusters) and of a
//! bundle whose names, events and logs carry markup is loaded in headless Chromium; the
//! rendered DOM must hold the findings and the timeline charts, record no script error, and
//! show the hostile text as text. The file itself must name nothing on the network.
//!
//! Chromium is the Debian package `chromium` (`.ci/run` installs it). Without it the browser
//! checks fail under CI (`CI` set) and are skipped with a message elsewhere.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Markup a stranger's bundle may carry: if any of it ran, it would mark the root element.
const SCRIPT: &str = "<script>document.documentElement.setAttribute('data-pwned','1')</script>";
const IMG: &str = "<img src=x onerror=document.documentElement.setAttribute('data-pwned','2')>";

/// Runs `ktriage analyze PATH --format html -o OUT`.
fn render(path: &Path, out: &Path) {
    let run = Command::new(env!("CARGO_BIN_EXE_ktriage"))
        .current_dir(ROOT)
        .arg("analyze")
        .arg(path)
        .args(["--format", "html", "-o"])
        .arg(out)
        .output()
        .expect("ktriage runs");
    assert!(
        run.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Copies a directory tree.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("as the test set it up");
    for entry in fs::read_dir(from).expect("as the test set it up") {
        let entry = entry.expect("as the test set it up");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("as the test set it up").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).expect("as the test set it up");
        }
    }
}

/// The `bad-args` sample with markup in its cluster name, its events and its logs.
fn hostile_bundle(dir: &Path) -> PathBuf {
    let bundle = dir.join("hostile");
    copy_tree(&Path::new(ROOT).join("samples/bad-args"), &bundle);
    let manifest = bundle.join("manifest.json");
    let text = fs::read_to_string(&manifest)
        .expect("as the test set it up")
        .replace(
            "\"cluster\": \"staging-eu-1\"",
            &format!("\"cluster\": \"staging{}\"", SCRIPT.replace('"', "\\\"")),
        );
    fs::write(&manifest, text).expect("as the test set it up");
    let events = bundle.join("namespaces/shop/events.yaml");
    let text = fs::read_to_string(&events)
        .expect("as the test set it up")
        .replace(
            "message: Back-off restarting",
            &format!("message: {IMG} Back-off restarting"),
        );
    fs::write(&events, text).expect("as the test set it up");
    for pod in ["inventory-fk8l94n2m2-tsfnc", "inventory-fk8l94n2m2-v4mgd"] {
        let log = bundle.join(format!("logs/shop/{pod}/inventory.previous.log"));
        let mut text = fs::read_to_string(&log).expect("as the test set it up");
        text.push_str(&format!("2026-11-28T04:57:50.009000000Z {SCRIPT}\n"));
        fs::write(&log, text).expect("as the test set it up");
    }
    bundle
}

/// Checks that hold without a browser: nothing on the network, one script (the page's own),
/// the hostile text escaped.
fn check_file(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "src=\"http",
        "href=\"http",
        "src='http",
        "href='http",
        "@import",
        "url(",
    ] {
        assert!(!lower.contains(bad), "external reference `{bad}`");
    }
    // Quoted text may mention a URL (a probe, a log line); no element may load one.
    for tag in ["<link", "<iframe", "<object", "<embed", "<img", "<base"] {
        assert!(!lower.contains(tag), "`{tag}` in the page");
    }
    assert_eq!(
        lower.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert!(lower.contains("content-security-policy"));
}

/// `chromium`, or `None` with a message when it is missing outside CI.
fn chromium() -> Option<&'static str> {
    let found = Command::new("chromium").arg("--version").output().is_ok();
    if found {
        return Some("chromium");
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "chromium is missing: CI installs it (.ci/run); install the Debian package `chromium`"
    );
    eprintln!("skipping the browser checks: chromium is not installed (apt-get install chromium)");
    None
}

/// The DOM Chromium renders from `page`, after its scripts ran.
fn dump_dom(browser: &str, page: &Path) -> String {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 DOM")
}

/// The attributes of the rendered `<html>` element.
fn root_tag(dom: &str) -> &str {
    let start = dom.find("<html").expect("an html element");
    &dom[start..start + dom[start..].find('>').expect("as the test set it up")]
}

#[test]
fn samples_render_in_a_browser() {
    let dir = tempfile::tempdir().expect("as the test set it up");
    let page = dir.path().join("samples.html");
    render(&Path::new(ROOT).join("samples"), &page);
    let html = fs::read_to_string(&page).expect("as the test set it up");
    check_file(&html);
    // Twelve findings in thirteen clusters, one chart per cluster with findings.
    assert_eq!(html.matches("<article class=\"finding").count(), 12);
    assert_eq!(html.matches("<svg class=\"timeline\"").count(), 12);
    let Some(browser) = chromium() else { return };
    let dom = dump_dom(browser, &page);
    let root = root_tag(&dom);
    assert!(!root.contains("data-errors"), "script errors: {root}");
    assert_eq!(dom.matches("<article class=\"finding").count(), 12);
    assert!(dom.contains("<svg class=\"timeline\""));
    assert!(dom.contains("<h2 id=\"fleet\">Fleet</h2>"));
    assert!(dom.contains("#1 "));
    assert!(dom.contains("rejects its command line"));
}

#[test]
fn hostile_text_renders_as_text() {
    let dir = tempfile::tempdir().expect("as the test set it up");
    let bundle = hostile_bundle(dir.path());
    let page = dir.path().join("hostile.html");
    render(&bundle, &page);
    let html = fs::read_to_string(&page).expect("as the test set it up");
    check_file(&html);
    assert!(!html.contains(SCRIPT) && !html.contains("<img"));
    assert!(html.contains("staging&lt;script&gt;document.documentElement"));
    assert!(html.contains("&lt;img src=x onerror="));
    let Some(browser) = chromium() else { return };
    let dom = dump_dom(browser, &page);
    let root = root_tag(&dom);
    assert!(
        !root.contains("data-pwned"),
        "markup from the bundle ran: {root}"
    );
    assert!(!root.contains("data-errors"), "script errors: {root}");
    assert!(!dom.contains("<img"));
    assert!(dom.contains("&lt;script&gt;document.documentElement.setAttribute"));
    assert!(dom.contains("<article class=\"finding"));
}

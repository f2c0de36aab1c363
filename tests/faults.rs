//! Faults from outside: a disk that fills, an output directory that is not there, a run
//! stopped by SIGTERM or SIGINT, and a PostgreSQL server that refuses, cancels the script at
//! `--timeout`, or drops the connection mid-query. Each gives its exit code and a message that
//! says what happened, and leaves the previous output whole with no temporary file beside it.
//! The PostgreSQL cases need a server (`eval "$(bash scripts/postgres.sh start)"`).

use assert_cmd::Command;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;

mod common;

const PREVIOUS: &str = "last month's book\n";

fn scorebook() -> Command {
    let mut cmd = Command::cargo_bin("scorebook").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

/// A directory holding last month's output at `name`.
fn with_previous(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(name);
    std::fs::write(&out, PREVIOUS).unwrap();
    (dir, out)
}

/// The previous output is as it was and nothing else was left in its directory.
fn intact(dir: &Path, out: &Path) {
    assert_eq!(std::fs::read_to_string(out).unwrap(), PREVIOUS, "the previous output changed");
    let names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, [out.file_name().unwrap().to_string_lossy().into_owned()], "files left behind");
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_full_disk_fails_naming_the_path_and_keeps_the_previous_file() {
    // A file-size limit of 8 KiB stands in for a full disk (mounting a small tmpfs needs
    // privileges a CI container may not have): the write fails with EFBIG, not a signal.
    let (dir, out) = with_previous("book.csv");
    let binary = assert_cmd::cargo::cargo_bin("scorebook");
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -f 8; exec '{}' run rules --data tests/fixtures/edge --as-of 2013-09-30 --format csv --out '{}'",
            binary.display(),
            out.display()
        ))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let message = stderr_of(&output);
    assert!(message.contains(&format!("error: {}: cannot write it (File too large", out.display())), "{message}");
    assert!(message.contains("a file already there is untouched"), "{message}");
    intact(dir.path(), &out);
}

#[test]
fn an_output_directory_that_is_not_there_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("no-such-folder").join("book.html");
    let output = scorebook()
        .args(["run", "rules", "--data", "tests/fixtures/edge", "--as-of", "2013-09-30", "--format", "html", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains(&format!("error: {}: cannot write it (", out.display())),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// Two years of the council book's sources for 80,000 children: a run long enough to stop.
fn big_data() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    scorebook().args(["synth", "--to", "2014-03-31", "--out"]).arg(dir.path()).assert().code(0);
    dir
}

fn stopped_by(signal: &str, code: i32) {
    let data = big_data();
    let (dir, out) = with_previous("book.html");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("scorebook"))
        .args(["run", "rules", "--as-of", "2014-03-31", "--format", "html", "--data"])
        .arg(data.path())
        .arg("--out")
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let sent =
        std::process::Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    let mut message = String::new();
    child.stderr.take().unwrap().read_to_string(&mut message).unwrap();
    assert_eq!(status.code(), Some(code), "{message}");
    assert!(message.contains(&format!("scorebook was stopped by {signal} before it finished")), "{message}");
    intact(dir.path(), &out);
}

#[test]
fn sigterm_stops_a_run_with_143_and_writes_nothing() {
    stopped_by("SIGTERM", 143);
}

#[test]
fn sigint_stops_a_run_with_130_and_writes_nothing() {
    stopped_by("SIGINT", 130);
}

#[test]
fn a_refused_connection_is_retried_then_named_and_nothing_is_written() {
    let (dir, out) = with_previous("book.csv");
    let started = std::time::Instant::now();
    let output = scorebook()
        .args(["run", "rules", "--as-of", "2013-09-30", "--format", "csv", "--engine"])
        .arg("postgres://analyst:secret@127.0.0.1:1/book")
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = stderr_of(&output);
    assert!(message.contains("cannot connect to postgres://analyst@127.0.0.1:1/book (tried 3 times)"), "{message}");
    assert!(message.contains("help: check that the server is running"), "{message}");
    assert!(!message.contains("secret"));
    // Two waits between three attempts: half a second, then a second.
    assert!(started.elapsed() >= std::time::Duration::from_millis(1500));
    intact(dir.path(), &out);
}

/// The test server, or None (with a note) when this machine has none and none is required.
fn postgres() -> Option<String> {
    match std::env::var("SCOREBOOK_POSTGRES") {
        Ok(url) => Some(url),
        Err(_) => {
            let required =
                std::env::var("SCOREBOOK_ENGINES").is_ok_and(|v| v.split(',').any(|e| e.trim() == "postgres"));
            assert!(!required, "SCOREBOOK_ENGINES asks for postgres: eval \"$(bash scripts/postgres.sh start)\"");
            eprintln!("skipped: no PostgreSQL server in SCOREBOOK_POSTGRES");
            None
        }
    }
}

/// The edge fixtures loaded into a schema of their own, dropped when the guard goes.
struct Loaded {
    url: String,
    schema: String,
}

impl Loaded {
    fn new(url: &str, name: &str) -> Loaded {
        let dir = tempfile::tempdir().unwrap();
        let types = common::types_json("rules", dir.path());
        let schema = format!("{name}_{}", std::process::id());
        let out = std::process::Command::new("python3")
            .args(["tests/warehouse/run_script.py", "load", "tests/fixtures/edge"])
            .arg(&types)
            .args([url, &schema])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        Loaded { url: url.to_string(), schema }
    }
}

impl Drop for Loaded {
    fn drop(&mut self) {
        let _ = std::process::Command::new("python3")
            .args(["tests/warehouse/run_script.py", "drop", &self.url, &self.schema])
            .output();
    }
}

#[test]
fn a_statement_timeout_is_named_with_what_to_do() {
    let Some(url) = postgres() else { return };
    let loaded = Loaded::new(&url, "faults_timeout");
    let (dir, out) = with_previous("book.csv");
    let output = scorebook()
        .args(["run", "rules", "--as-of", "2013-09-30", "--format", "csv", "--timeout", "1ms", "--engine", &url])
        .args(["--schema", &loaded.schema, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let message = stderr_of(&output);
    assert!(message.contains("the script ran longer than --timeout 0.001s"), "{message}");
    assert!(message.contains("the server cancelled it (statement_timeout)"), "{message}");
    assert!(message.contains("help: raise --timeout"), "{message}");
    intact(dir.path(), &out);
}

/// A proxy to the server that passes the connection's start through and drops both sides
/// when the client sends its query, as a server that goes away mid-run does.
fn dropping_proxy(server: &str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = server.to_string();
    std::thread::spawn(move || {
        let (mut client, _) = listener.accept().unwrap();
        let mut upstream = TcpStream::connect(&server).unwrap();
        let (mut from_server, mut to_client) = (upstream.try_clone().unwrap(), client.try_clone().unwrap());
        std::thread::spawn(move || std::io::copy(&mut from_server, &mut to_client));
        // The startup message: a length, then the rest.
        let mut length = [0u8; 4];
        client.read_exact(&mut length).unwrap();
        let mut body = vec![0u8; u32::from_be_bytes(length) as usize - 4];
        client.read_exact(&mut body).unwrap();
        upstream.write_all(&length).unwrap();
        upstream.write_all(&body).unwrap();
        // Then typed messages; the first query ('Q') is where the server "goes away".
        loop {
            let mut head = [0u8; 5];
            if client.read_exact(&mut head).is_err() {
                return;
            }
            if head[0] == b'Q' {
                let _ = client.shutdown(std::net::Shutdown::Both);
                let _ = upstream.shutdown(std::net::Shutdown::Both);
                return;
            }
            let mut body = vec![0u8; u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize - 4];
            client.read_exact(&mut body).unwrap();
            upstream.write_all(&head).unwrap();
            upstream.write_all(&body).unwrap();
        }
    });
    port
}

#[test]
fn a_connection_lost_mid_query_is_named_and_nothing_is_written() {
    let Some(url) = postgres() else { return };
    // postgresql://postgres@127.0.0.1:PORT/postgres: the same server, through the proxy.
    let host = url.split('@').nth(1).and_then(|rest| rest.split('/').next()).unwrap();
    let port = dropping_proxy(host);
    let through = url.replace(host, &format!("127.0.0.1:{port}"));
    let (dir, out) = with_previous("book.csv");
    let output = scorebook()
        .args(["run", "rules", "--as-of", "2013-09-30", "--format", "csv", "--engine", &through, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let message = stderr_of(&output);
    assert!(message.contains(&format!("the connection to {through} was lost while the script ran")), "{message}");
    assert!(message.contains("run again when the server is back"), "{message}");
    intact(dir.path(), &out);
}

/// Ends the session running this test's script (the one reading `schema`'s tables) as soon as
/// its query shows, as an administrator's `pg_ctl stop -m fast` does (SQLSTATE 57P01); true if
/// one was ended. Only that one: the other tests' scripts run on the same server meanwhile.
fn end_the_running_query(url: &str, schema: &str) -> bool {
    let ended = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import psycopg, sys, time\n\
             c = psycopg.connect(sys.argv[1], autocommit=True)\n\
             deadline = time.time() + 60\n\
             while time.time() < deadline:\n\
             \x20   rows = c.execute(\"SELECT pid FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%%scorebook_calendar%%' AND query LIKE %s\", ('%' + sys.argv[2] + '%',)).fetchall()\n\
             \x20   if rows:\n\
             \x20       c.execute('SELECT pg_terminate_backend(%s)', (rows[0][0],))\n\
             \x20       print('ended')\n\
             \x20       break\n\
             \x20   time.sleep(0.005)\n",
        )
        .arg(url)
        .arg(schema)
        .output()
        .unwrap();
    assert!(ended.status.success(), "{}", String::from_utf8_lossy(&ended.stderr));
    String::from_utf8_lossy(&ended.stdout).contains("ended")
}

#[test]
fn a_server_that_ends_the_session_mid_query_is_named_and_nothing_is_written() {
    let Some(url) = postgres() else { return };
    let loaded = Loaded::new(&url, "faults_ended");
    let (dir, out) = with_previous("book.csv");
    let run = std::process::Command::new(assert_cmd::cargo::cargo_bin("scorebook"))
        .env("NO_COLOR", "1")
        .args(["run", "rules", "--as-of", "2013-09-30", "--format", "csv", "--engine", &url])
        .args(["--schema", &loaded.schema, "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(end_the_running_query(&url, &loaded.schema), "the run's query never showed on the server");
    let output = run.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let message = stderr_of(&output);
    let shown = scorebook::engine::warehouse::without_password(&url);
    assert!(message.contains(&format!("error: the server {shown} shut down while the script ran: ")), "{message}");
    assert!(message.contains("terminating connection due to administrator command"), "{message}");
    assert!(message.contains("; nothing was written\n  help: run again when the server is back\n"), "{message}");
    intact(dir.path(), &out);
}

#[test]
fn a_local_run_past_its_timeout_stops_and_writes_nothing() {
    let (dir, out) = with_previous("book.csv");
    let output = scorebook()
        .args(["run", "rules", "--data", "tests/fixtures/edge", "--as-of", "2013-09-30", "--format", "csv"])
        .args(["--timeout", "1ms", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("the run took longer than --timeout 0.001s and was stopped"),
        "{}",
        stderr_of(&output)
    );
    intact(dir.path(), &out);
    let bad = scorebook().args(["run", "rules", "--timeout", "soon"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr_of(&bad).contains("`soon` is not a duration; write it as 90s, 30m, 2h or 500ms"));
}

#[test]
fn a_memory_limit_gives_the_same_book_or_names_the_limit_and_the_operator() {
    let data = big_data();
    let run = |extra: &[&str]| {
        scorebook()
            .args(["run", "rules", "--as-of", "2014-03-31", "--format", "csv", "--data"])
            .arg(data.path())
            .args(extra)
            .output()
            .unwrap()
    };
    let unlimited = run(&[]);
    assert!(unlimited.status.success());
    let spill = tempfile::tempdir().unwrap();
    let limited = run(&["--memory-limit", "64MB", "--spill-dir", spill.path().to_str().unwrap()]);
    assert!(limited.status.success(), "{}", stderr_of(&limited));
    assert_eq!(limited.stdout, unlimited.stdout, "the same book under 64MB");

    let (dir, out) = with_previous("book.csv");
    let starved = run(&["--memory-limit", "256KB", "--out", out.to_str().unwrap()]);
    assert_eq!(starved.status.code(), Some(2));
    let message = stderr_of(&starved);
    assert!(
        message.contains("error: the run needed more memory than its limit of 256KB (--memory-limit)"),
        "{message}"
    );
    assert!(
        message.contains("Additional allocation failed for ") && message.contains("(can spill: "),
        "the operators are named: {message}"
    );
    assert!(message.contains("help: raise --memory-limit"), "{message}");
    intact(dir.path(), &out);

    let nowhere = run(&["--memory-limit", "8MB", "--spill-dir", "/no/such/dir"]);
    assert_eq!(nowhere.status.code(), Some(2));
    assert!(stderr_of(&nowhere).contains("--spill-dir /no/such/dir: no such directory"));
}

/// scorebook.toml's `[run] memory_limit` bounds every command that runs the rules over data,
/// as it bounds `run`: each stops naming the limit, and says so as `run` does.
#[test]
fn every_command_that_runs_the_rules_keeps_to_the_projects_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("scorebook.toml");
    std::fs::write(&config, "[run]\nmemory_limit = \"64KB\"\n").unwrap();
    let config = config.to_str().unwrap();
    let edge = ["--data", "tests/fixtures/edge", "--as-of", "2013-09-30", "--config", config];
    let out = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let commands: [Vec<String>; 3] = [
        ["run", "rules", "--format", "csv"].map(String::from).to_vec(),
        ["drill", "2.1a", "rules", "--period", "2013-09", "--out", &out("drill.csv")].map(String::from).to_vec(),
        ["catalogue", "rules", "--out", &out("site")].map(String::from).to_vec(),
    ];
    for command in &commands {
        let output = scorebook().args(command).args(edge).output().unwrap();
        let message = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{command:?}: {message}");
        assert!(
            message.contains("error: the run needed more memory than its limit of 64KB (--memory-limit)"),
            "{command:?}: {message}"
        );
    }
    // Nothing was written where the run stopped.
    assert!(!dir.path().join("drill.csv").exists() && !dir.path().join("site").exists());
    // Without the limit, each of them completes.
    for command in &commands {
        let output = scorebook().args(command).args(&edge[..4]).output().unwrap();
        assert!(output.status.success(), "{command:?}: {}", stderr_of(&output));
    }
}

/// A scheduler and two executors on loopback, stopped when dropped.
#[cfg(feature = "ballista")]
struct Cluster {
    processes: Vec<std::process::Child>,
    scheduler: u16,
    executors: Vec<u16>,
}

#[cfg(feature = "ballista")]
impl Cluster {
    fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    }

    fn start() -> Cluster {
        let binary = |name: &str| assert_cmd::cargo::cargo_bin(name);
        let scheduler = Self::free_port();
        let mut processes = vec![std::process::Command::new(binary("scorebook-scheduler"))
            .args(["--port", &scheduler.to_string()])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()];
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", scheduler)).is_err() {
            assert!(std::time::Instant::now() < deadline, "the scheduler did not start");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let mut executors = Vec::new();
        for _ in 0..2 {
            let (port, grpc) = (Self::free_port(), Self::free_port());
            processes.push(
                std::process::Command::new(binary("scorebook-executor"))
                    .args(["--port", &port.to_string(), "--grpc-port", &grpc.to_string()])
                    .args(["--scheduler-port", &scheduler.to_string(), "--concurrent-tasks", "1"])
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap(),
            );
            executors.push(port);
        }
        // Executors register with the scheduler a moment after they listen.
        for port in &executors {
            while TcpStream::connect(("127.0.0.1", *port)).is_err() {
                assert!(std::time::Instant::now() < deadline, "an executor did not start");
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
        Cluster { processes, scheduler, executors }
    }
}

#[cfg(feature = "ballista")]
impl Drop for Cluster {
    fn drop(&mut self) {
        for p in &mut self.processes {
            let _ = p.kill();
            let _ = p.wait();
        }
    }
}

/// An executor killed while the book runs on a cluster: the run completes on the other (the
/// same book as a local run) or stops with exit 2 naming the lost executor; it never hangs
/// and never writes a partial book.
#[cfg(feature = "ballista")]
#[test]
fn an_executor_killed_mid_run_fails_cleanly_or_the_run_completes() {
    let data = tempfile::tempdir().unwrap();
    scorebook().args(["synth", "--to", "2014-03-31", "--format", "parquet", "--out"]).arg(data.path()).assert().code(0);
    let local = scorebook()
        .args(["run", "rules", "--as-of", "2014-03-31", "--format", "csv", "--data"])
        .arg(data.path())
        .output()
        .unwrap();
    let mut cluster = Cluster::start();
    let (dir, out) = with_previous("book.csv");
    let started = std::time::Instant::now();
    let mut run = std::process::Command::new(assert_cmd::cargo::cargo_bin("scorebook"))
        .args(["run", "rules", "--as-of", "2014-03-31", "--format", "csv", "--timeout", "60s", "--data"])
        .arg(data.path())
        .arg("--engine")
        .arg(format!("ballista://127.0.0.1:{}", cluster.scheduler))
        .arg("--out")
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let victim = cluster.executors[1];
    cluster.processes[2].kill().unwrap();
    let status = run.wait().unwrap();
    let mut message = String::new();
    run.stderr.take().unwrap().read_to_string(&mut message).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(125), "the run hung");
    match status.code() {
        Some(0) => assert_eq!(std::fs::read(&out).unwrap(), local.stdout, "completed: the same book"),
        Some(2) => {
            assert!(
                message.contains(&format!("the Ballista executor at 127.0.0.1:{victim}"))
                    || message.contains("the run took longer than --timeout"),
                "{message}"
            );
            intact(dir.path(), &out);
        }
        other => panic!("exit {other:?}: {message}"),
    }
    eprintln!("after killing the executor at port {victim}: exit {:?}\n{message}", status.code());
}

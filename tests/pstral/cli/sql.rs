//! `pstral sql check`, `run` and `offer`: a verdict and its exit code, a run
//! on a target through the same checks and audit as a click, a cell's
//! escapes on a terminal and its bytes in a file, and what the chat would
//! offer, running nothing.

use super::*;

#[test]
fn sql_check_gives_its_verdict_and_exit_code() {
    let s = Scratch::new();
    let check = |sql: &str, extra: &[&str]| {
        let mut args = vec!["sql", "check"];
        args.extend_from_slice(extra);
        let mut child = s
            .command(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(sql.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let ok = check("SELECT nom FROM clients LIMIT 5", &[]);
    assert_eq!(ok.status.code(), Some(0));
    assert!(
        stdout(&ok).starts_with("accepted (sqlite)"),
        "the demo target's dialect: {}",
        stdout(&ok)
    );
    assert!(
        stdout(&ok).contains("\nreads: clients(nom)\n"),
        "what it reads: {}",
        stdout(&ok)
    );
    let oracle = check(
        "SELECT nom FROM clients WHERE ROWNUM <= 5",
        &["--dialect", "oracle"],
    );
    assert!(
        stdout(&oracle).starts_with("accepted (oracle)"),
        "{}",
        stdout(&oracle)
    );
    let refused = check("SELECT * FROM clients FOR UPDATE", &["--dialect", "oracle"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stdout(&refused).contains("locks rows"),
        "{}",
        stdout(&refused)
    );
    let pg = check("SELECT pg_sleep(5)", &["--dialect", "postgres"]);
    assert_eq!(pg.status.code(), Some(1));
    let file = s.write("q.sql", "SELECT 1;\n");
    let from_file = s.run(&["sql", "check", file.to_str().unwrap()]);
    assert_eq!(from_file.status.code(), Some(0));
    let missing = s.run(&["sql", "check", "/nonexistent.sql"]);
    assert_eq!(missing.status.code(), Some(2));
    let bad_flag = s.run(&["sql", "check", "--dialect", "mysql"]);
    assert_eq!(bad_flag.status.code(), Some(2));
}

#[test]
fn sql_run_runs_on_a_target_through_the_same_checks_and_audit() {
    let s = Scratch::new();
    assert!(s.run(&["demo", "init"]).status.success());
    let run = |sql: &str, extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["sql", "run"];
        args.extend_from_slice(extra);
        let mut cmd = s.command(&args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(sql.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run("SELECT COUNT(*) AS n FROM clients", &[], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "n\r\n600\r\n");
    let refused = run("DELETE FROM clients", &[], &[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("it is not a SELECT"),
        "{}",
        stderr(&refused)
    );
    let oracle = run(
        "SELECT 1 FROM dual",
        &["--target", "ora"],
        &[(
            "PSTRAL__SQL__TARGETS__ORA__URL",
            "oracle://reader:x@127.0.0.1:1/FREEPDB1",
        )],
    );
    assert_eq!(oracle.status.code(), Some(1));
    assert!(
        stderr(&oracle).contains("not reachable"),
        "{}",
        stderr(&oracle)
    );
    let kinds: Vec<serde_json::Value> =
        stdout(&s.run(&["audit", "list", "--json", "--kind", "execute_result"]))
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    assert_eq!(kinds.len(), 2, "the demo run and the failed Oracle run");
    assert_eq!(kinds[0]["payload"]["rows"], 1);
}

/// Runs `pstral ARGS` in `s` on a pseudo-terminal, as an operator at a
/// terminal does (python's `pty`, which scripts/synapse needs anyway), and
/// returns its exit code and every byte the terminal was sent.
fn on_a_terminal(s: &Scratch, args: &[&str]) -> (Option<i32>, Vec<u8>) {
    const PTY: &str = "import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
shown = b''
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    shown += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(shown)
sys.exit(os.waitstatus_to_exitcode(status))
";
    // The scratch's own environment, without running pstral directly.
    let pstral = s.command(&[]);
    let out = Command::new("python3")
        .args(["-c", PTY, env!("CARGO_BIN_EXE_pstral")])
        .args(args)
        .current_dir(s.dir.path())
        .envs(pstral.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env_remove("RUST_LOG")
        .env_remove("PSTRAL_CONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs pstral on a pseudo-terminal");
    (out.status.code(), out.stdout)
}

#[test]
fn sql_run_shows_a_cells_escapes_on_a_terminal_and_keeps_its_bytes_in_a_file() {
    let s = Scratch::new();
    assert!(s.run(&["demo", "init"]).status.success());
    // A cell that would retitle the window and clear the screen.
    let retitle = s.write(
        "retitle.sql",
        "SELECT char(27) || ']0;pwned' || char(7) || char(27) || '[2J' AS t",
    );
    let (code, shown) = on_a_terminal(&s, &["sql", "run", retitle.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&shown));
    assert!(!shown.contains(&0x1b), "{shown:?}");
    assert!(!shown.contains(&0x07), "{shown:?}");
    let shown = String::from_utf8_lossy(&shown);
    assert!(shown.contains(r"\u{1b}]0;pwned\u{7}\u{1b}[2J"), "{shown}");
    // Into a pipe (a file, another program) the value stays what it is.
    let piped = s.run(&["sql", "run", retitle.to_str().unwrap()]);
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert_eq!(stdout(&piped), "t\r\n\u{1b}]0;pwned\u{7}\u{1b}[2J\r\n");
    // A refusal or a database error that names what the statement named
    // (here with a right-to-left override) is shown the same way.
    for (sql, said) in [
        ("SELECT * FROM \"x\u{202e}evil\"", "refused: it reads"),
        ("SELECT nosuch\u{202e}col FROM clients", "no such column"),
    ] {
        let file = s.write("named.sql", sql);
        let (code, shown) = on_a_terminal(&s, &["sql", "run", file.to_str().unwrap()]);
        let shown = String::from_utf8_lossy(&shown);
        assert_eq!(code, Some(1), "{shown}");
        assert!(shown.contains(said), "{shown}");
        assert!(!shown.contains('\u{202e}'), "{shown}");
        assert!(shown.contains(r"\u{202e}"), "{shown}");
    }
}

#[test]
fn sql_offer_says_what_the_chat_would_offer_and_runs_nothing() {
    let s = Scratch::new();
    assert!(s.run(&["demo", "init"]).status.success());
    let offer = |sql: &str| {
        let file = s.write("offer.sql", sql);
        s.run(&["sql", "offer", file.to_str().unwrap()])
    };
    let offered = offer("SELECT COUNT(*) AS n FROM clients");
    assert!(offered.status.success(), "{}", stderr(&offered));
    assert!(
        stdout(&offered).starts_with("offered: SELECT COUNT(*) AS n FROM clients"),
        "{}",
        stdout(&offered)
    );
    // Refused by the validator, and refused by the database's compiler:
    // each with the words the chat would show.
    for (sql, said) in [
        ("DELETE FROM clients", "not a SELECT"),
        ("SELECT nosuch FROM clients", "no such column: nosuch"),
    ] {
        let out = offer(sql);
        assert_eq!(out.status.code(), Some(1), "{sql}: {}", stderr(&out));
        assert!(
            stdout(&out).starts_with("not offered: "),
            "{}",
            stdout(&out)
        );
        assert!(stdout(&out).contains(said), "{sql}: {}", stdout(&out));
    }
    // A refusal stays within its bound, hint included (a column
    // of 16,300 characters made a refusal of 17,367).
    let long = offer(&format!("SELECT c.{} FROM clients c", "f".repeat(16_300)));
    assert_eq!(long.status.code(), Some(1), "{}", stderr(&long));
    assert!(
        stdout(&long).chars().count() < 1_200,
        "{} characters",
        stdout(&long).chars().count()
    );
    // Nothing ran: no execution was audited.
    let ran = stdout(&s.run(&["audit", "list", "--json", "--kind", "execute_result"]));
    assert_eq!(ran.lines().count(), 0, "{ran}");
}

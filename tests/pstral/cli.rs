//! The `pstral` binary as an operator uses it: `check`, `user`, `audit`,
//! `migrate` and `run`, each in a scratch directory with its own SQLite file.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

mod chat;
mod check;
mod run;
mod sql;

pub(crate) struct Scratch {
    pub(crate) dir: tempfile::TempDir,
}

impl Scratch {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("own.db")
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pstral"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env(
                "PSTRAL__DATABASE__URL",
                format!("sqlite:{}", self.db().display()),
            )
            .env("USER", "operator")
            // The scripted models here answer with the model's own SQL or
            // words; the demo's semantic model, which would ask them for a
            // plan first, has tests of its own (semantic.rs).
            .env("PSTRAL__SQL__TARGETS__DEMO__SEMANTIC_FILE", "off")
            .env_remove("RUST_LOG")
            .env_remove("PSTRAL_CONFIG");
        cmd
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("pstral runs")
    }

    pub(crate) fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(content.as_bytes())
            .unwrap();
        path
    }
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `pstral`, copied where an unprivileged account may run it, run by an
/// account that cannot write what root made (root writes anywhere: the
/// binary is run as `nobody` then), in `s`'s folder.
fn unprivileged(s: &Scratch) -> Command {
    let pstral = s.dir.path().join("pstral");
    std::fs::copy(env!("CARGO_BIN_EXE_pstral"), &pstral).unwrap();
    set_mode(s.dir.path(), 0o755);
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    let mut cmd = match root {
        true => {
            let mut cmd = Command::new("setpriv");
            cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(&pstral);
            cmd
        }
        false => Command::new(&pstral),
    };
    cmd.current_dir(s.dir.path())
        .env("HOME", s.dir.path())
        .env_remove("RUST_LOG")
        .env_remove("PSTRAL_CONFIG");
    cmd
}

#[test]
fn a_data_folder_the_bot_cannot_write_is_named_at_start() {
    // As a container's volume created by root for a bot running as uid
    // 10001: the folder is there, and not the bot's to write.
    let s = Scratch::new();
    let data = s.dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    set_mode(&data, 0o555);
    let out = unprivileged(&s)
        .arg("run")
        .env(
            "PSTRAL__DATABASE__URL",
            format!("sqlite:{}/own.db", data.display()),
        )
        .output()
        .expect("setpriv (util-linux) runs the bot as nobody");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let lock = format!("{}/own.db.lock", data.display());
    assert!(err.contains(&lock), "{err}");
    assert!(
        err.contains("writable by the account pstral runs as"),
        "{err}"
    );
    assert_eq!(err.matches("Permission denied").count(), 1, "{err}");
}

#[test]
fn an_own_database_left_read_only_is_named_with_its_path_and_the_cause_said_once() {
    // A database file and folder another account owns (a restore done as
    // root, a volume mounted read-only): opening it writes, and cannot.
    let s = Scratch::new();
    let data = s.dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let url = format!("sqlite:{}/own.db", data.display());
    let migrated = s
        .command(&["migrate"])
        .env("PSTRAL__DATABASE__URL", &url)
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    set_mode(&data.join("own.db"), 0o644);
    set_mode(&data, 0o755);
    let out = unprivileged(&s)
        .args(["user", "add", "bob"])
        .env("PSTRAL__DATABASE__URL", &url)
        .output()
        .expect("setpriv (util-linux) runs pstral as nobody");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&url), "{err}");
    assert!(
        err.contains("read-only for the account pstral runs as"),
        "{err}"
    );
    assert_eq!(err.matches("readonly database").count(), 1, "{err}");
}

#[test]
fn a_database_that_is_down_is_reported() {
    let s = Scratch::new();
    let out = s
        .command(&["migrate"])
        .env(
            "PSTRAL__DATABASE__URL",
            "postgres://pstral:hunter2@127.0.0.1:1/pstral",
        )
        .env("PSTRAL__DATABASE__ACQUIRE_TIMEOUT", "2s")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("the own database is not available")
            && err.contains("postgres://pstral:***@127.0.0.1:1/pstral"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn users_are_managed_and_every_change_is_audited() {
    let s = Scratch::new();
    let ok = |args: &[&str]| {
        let out = s.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let version = format!("schema version {}", crate::store::latest_migration());
    let first = ok(&["migrate"]);
    assert!(
        first.contains(&version) && first.starts_with("applied "),
        "{first}"
    );
    assert!(s.db().exists(), "the SQLite file is created on first use");
    let again = ok(&["migrate"]);
    assert!(again.contains("nothing to apply"), "{again}");
    assert_eq!(
        ok(&["user", "add", "ana", "--role", "admin"]),
        "created user ana (admin)\n"
    );
    ok(&["user", "add", "bob"]);
    ok(&["user", "link", "ana", "matrix:@ana:example.org"]);
    ok(&["user", "link", "bob", "discord:80351110224678912"]);
    ok(&["user", "role", "bob", "executor"]);
    ok(&["user", "unlink", "discord:80351110224678912"]);
    let code = ok(&["user", "invite", "bob", "--for", "matrix:@bob:example.org"]);
    assert_eq!(code.trim().len(), 11, "{code}");
    // Without the account it is for, no invite is made.
    let unnamed = s.run(&["user", "invite", "bob"]);
    assert!(!unnamed.status.success());
    assert!(stderr(&unnamed).contains("--for"), "{}", stderr(&unnamed));
    // A person the admin does not know asks in a DM; here the request is
    // listed, approved, and the link audited.
    assert!(ok(&["user", "requests"]).contains("no link request"));

    let list: Vec<serde_json::Value> = ok(&["user", "list", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(list[0]["name"], "ana");
    assert_eq!(list[0]["identities"][0], "matrix:@ana:example.org");
    assert_eq!(list[1]["role"], "executor");
    assert_eq!(list[1]["identities"].as_array().unwrap().len(), 0);
    assert!(ok(&["user", "list"]).contains("matrix:@ana:example.org"));

    let bad = s.run(&["user", "link", "carol", "discord:1"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("there is no user named \"carol\""),
        "{}",
        stderr(&bad)
    );
    let usage = s.run(&["user", "link", "ana", "discord:ana"]);
    assert_eq!(
        usage.status.code(),
        Some(2),
        "a malformed identity is a usage error"
    );

    let events: Vec<serde_json::Value> = ok(&["audit", "list", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "user_changed",
            "user_changed",
            "identity_linked",
            "identity_linked",
            "user_changed",
            "identity_unlinked",
            "invite_created",
            "admin_read"
        ],
        "the list includes the record of its own read"
    );
    assert_eq!(events[0]["identity"], "cli:operator");
    assert_eq!(
        events[4]["payload"],
        serde_json::json!({"action": "role", "from": "viewer", "to": "executor", "user": "bob"})
    );

    let table = ok(&["audit", "list", "--kind", "identity_linked"]);
    assert!(
        table.contains("identity_linked") && !table.contains("invite_created"),
        "{table}"
    );
    let export = s.dir.path().join("audit.csv");
    let out = s.run(&[
        "audit",
        "export",
        "--format",
        "csv",
        "--output",
        export.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = std::fs::read_to_string(&export).unwrap();
    assert!(
        csv.starts_with("seq,at,user_id,user_name,identity,"),
        "{csv}"
    );
    assert_eq!(
        csv.lines().count(),
        1 + 10,
        "header + events up to the export's own read"
    );

    let verified = ok(&["audit", "verify"]);
    assert!(
        verified.contains("audit chain intact: 10 events verified"),
        "{verified}"
    );
}

#[test]
fn verify_names_the_tampered_event_and_exits_1() {
    let s = Scratch::new();
    for name in ["ana", "bob", "carol"] {
        assert!(s.run(&["user", "add", name]).status.success());
    }
    tamper_sqlite(
        &s.db(),
        "UPDATE audit_events SET payload = '{\"user\":\"mallory\"}' WHERE seq = 2",
    );
    let out = s.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("audit chain BROKEN: event #2 was altered or moved"),
        "{}",
        stdout(&out)
    );
}

fn tamper_sqlite(db: &Path, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
            .await
            .unwrap();
        sqlx::raw_sql("DROP TRIGGER audit_events_no_update")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await
            .unwrap();
    });
}

/// Runs `pstral chat` with `input` typed in and these environment
/// variables set; returns what it printed.
pub(crate) async fn chat_session_with(
    s: &Scratch,
    env: &[(&str, &str)],
    input: &'static str,
) -> (Output, String) {
    let mut cmd = s.command(&["chat"]);
    cmd.env("PSTRAL__LLM__CONNECT_TIMEOUT", "2s")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let printed = stdout(&out);
    (out, printed)
}

#[test]
fn tokens_backups_and_restores_from_the_command_line() {
    let s = Scratch::new();
    assert!(
        s.run(&["user", "add", "ana", "--role", "admin"])
            .status
            .success()
    );
    assert!(s.run(&["user", "add", "bob"]).status.success());
    let created = s.run(&[
        "token",
        "create",
        "ana",
        "--expires",
        "30d",
        "--label",
        "ops",
    ]);
    assert!(created.status.success(), "{}", stderr(&created));
    let token = stdout(&created).trim().to_owned();
    assert!(token.starts_with("pst_") && token.len() == 44, "{token}");
    // Without --expires, a token lasts 90 days, not for ever.
    let default = s.run(&["token", "create", "ana"]);
    let said = stderr(&default);
    let until = (chrono::Utc::now() + chrono::Duration::days(90))
        .format("%Y-%m-%d")
        .to_string();
    assert!(said.contains(&format!("valid until {until}")), "{said}");
    let forever = s.run(&["token", "create", "ana", "--expires", "never"]);
    assert!(stderr(&forever).contains("valid until revoked"));
    let refused = s.run(&["token", "create", "bob"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("bob is not an admin"),
        "{}",
        stderr(&refused)
    );
    let list = stdout(&s.run(&["token", "list"]));
    assert!(
        list.contains("ops") && !list.contains(&token),
        "never the token itself: {list}"
    );
    assert!(s.run(&["token", "revoke", "1"]).status.success());
    assert_eq!(s.run(&["token", "revoke", "9"]).status.code(), Some(1));

    let backup = s.dir.path().join("backup.db");
    let out = s.run(&["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(s.run(&["user", "add", "carl"]).status.success());
    // Carl's creation is newer than the backup: asked before it is lost.
    let out = s.run(&["restore", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("pass --force"), "{}", stderr(&out));
    let out = s.run(&["restore", "--force", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("audit chain intact")
            && stdout(&out).contains("the database it replaced is kept at"),
        "{}",
        stdout(&out)
    );
    let users = stdout(&s.run(&["user", "list", "--json"]));
    assert!(!users.contains("carl"), "back to the backup: {users}");
}

#[test]
fn sql_check_refuses_a_megabyte_of_chained_or_nested_terms_without_crashing() {
    let s = Scratch::new();
    let chained = format!("SELECT 1{}", " + 1.0000000".repeat(100_000));
    let nested = format!("SELECT {}1{}", "(".repeat(100_000), ")".repeat(100_000));
    for (name, sql) in [("chained.sql", chained), ("nested.sql", nested)] {
        let file = s.write(name, &sql);
        for dialect in ["oracle", "postgres", "sqlite"] {
            let out = s.run(&["sql", "check", "--dialect", dialect, file.to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(1), "{name} {dialect}: {out:?}");
            assert!(
                stdout(&out).contains("goes past what a query may do"),
                "{}",
                stdout(&out)
            );
        }
    }
}

#[test]
fn a_command_whose_reader_stops_early_ends_quietly() {
    use std::io::Read as _;
    use std::os::unix::process::ExitStatusExt as _;
    let s = Scratch::new();
    assert!(s.run(&["demo", "init"]).status.success());
    // `pstral sql run … | head -c 10`: more than a pipe holds (10,000 rows
    // of a cross join), of which ten bytes are read.
    let mut child = s
        .command(&["sql", "run", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"SELECT a.company, b.company FROM clients a, clients b")
            .unwrap();
    }
    let mut first = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The reader is gone (its end dropped above).
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

#[test]
fn the_cli_names_who_acts_by_their_account_or_as_told_never_unknown() {
    let s = Scratch::new();
    let actor = |out: Output| {
        assert!(out.status.success(), "{}", stderr(&out));
        let events = stdout(&s.run(&["audit", "list", "--json"]));
        let last: serde_json::Value = events
            .lines()
            .rev()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|e| e["kind"] == "user_changed")
            .unwrap();
        last["identity"].as_str().unwrap().to_owned()
    };
    // No $USER nor $LOGNAME, as under `docker exec` or cron: the account
    // the process runs as, from the system's list of accounts.
    let out = s
        .command(&["user", "add", "ana"])
        .env_remove("USER")
        .env_remove("LOGNAME")
        .env_remove("USERNAME")
        .output()
        .unwrap();
    let uid = {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata("/proc/self").unwrap().uid()
    };
    let expected = std::fs::read_to_string("/etc/passwd")
        .unwrap()
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.get(2) == Some(&uid.to_string().as_str())).then(|| f[0].to_owned())
        })
        .unwrap_or_else(|| format!("uid-{uid}"));
    assert_eq!(actor(out), format!("cli:{expected}"));
    // Told.
    let out = s.run(&["--as", "ops-bob", "user", "add", "carl"]);
    assert_eq!(actor(out), "cli:ops-bob");
}

#[test]
fn chat_makes_no_admin_on_a_database_that_has_users() {
    let s = Scratch::new();
    assert!(
        s.run(&["user", "add", "ana", "--role", "admin"])
            .status
            .success()
    );
    // `operator` (the scratch's $USER) is nobody here.
    let out = s.run(&["chat"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("pstral user add operator"),
        "{}",
        stderr(&out)
    );
    let users = stdout(&s.run(&["user", "list", "--json"]));
    assert!(!users.contains("operator"), "{users}");
}

#[test]
fn users_are_disabled_enabled_and_removed_from_the_command_line() {
    let s = Scratch::new();
    let ok = |args: &[&str]| {
        let out = s.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    ok(&["user", "add", "root", "--role", "admin"]);
    ok(&["user", "add", "ana", "--role", "executor"]);
    ok(&["user", "link", "ana", "discord:123"]);
    assert!(ok(&["user", "disable", "ana"]).contains("disabled ana"));
    assert!(ok(&["user", "list"]).contains("executor (disabled)"));
    let json = ok(&["user", "list", "--json"]);
    assert!(json.contains(r#""disabled":true"#), "{json}");
    ok(&["user", "enable", "ana"]);
    let removed = ok(&["user", "remove", "ana", "--erase-history"]);
    assert!(
        removed.contains("1 chat account(s) unlinked (discord:123); history erased"),
        "{removed}"
    );
    // The last admin is kept.
    let out = s.run(&["user", "disable", "root"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
}

/// Groups from the command line: configured in the file, a user put in
/// one and out again (audited), listed with what each hides; `sql check
/// --as` judges a statement as that user's click would be, on the demo's
/// live catalogue; `check` names a rule that matches nothing.
#[test]
fn groups_are_managed_and_a_statement_is_judged_as_a_user_would_click_it() {
    let s = Scratch::new();
    let config = s.write(
        "groups.toml",
        "[groups.sales]\ndescription = \"Sales\"\nhidden = [\"clients.annual_revenue\", \"payments.*\"]\n\
         [groups.hr]\nhidden = [\"users.*\"]\n",
    );
    let config = config.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--config", config];
        all.extend_from_slice(args);
        s.run(&all)
    };
    let ok = |args: &[&str]| {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    ok(&["user", "add", "ana", "--role", "executor"]);
    assert_eq!(ok(&["user", "group", "ana", "sales"]), "ana is in sales\n");
    let unknown = run(&["user", "group", "ana", "finance"]);
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown)
            .contains("there is no group \"finance\"; the configured groups are: hr, sales"),
        "{}",
        stderr(&unknown)
    );
    let groups = ok(&["user", "groups"]);
    assert!(
        groups.contains("clients.annual_revenue") && groups.contains("ana"),
        "{groups}"
    );
    let list = ok(&["user", "list", "--json"]);
    assert!(list.contains("\"groups\":[\"sales\"]"), "{list}");

    let sql_as = |user: &str, command: &str, sql: &str| {
        let mut child = s
            .command(&["--config", config, "--as", user, "sql", command])
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
    let check_as = |sql: &str| sql_as("ana", "check", sql);
    let refused = check_as("SELECT company, annual_revenue FROM clients");
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stdout(&refused).contains(
            "refused: clients.annual_revenue is hidden from sales (rule `clients.annual_revenue`)"
        ),
        "{}",
        stdout(&refused)
    );
    let star = check_as("SELECT * FROM clients");
    assert!(
        stdout(&star).contains("its columns sales may read: id, company"),
        "{}",
        stdout(&star)
    );
    let accepted = check_as("SELECT company, city FROM clients");
    assert_eq!(accepted.status.code(), Some(0), "{}", stderr(&accepted));
    assert!(
        stdout(&accepted).contains("accepted: runs as sales, with the account of demo"),
        "{}",
        stdout(&accepted)
    );
    // Run and offered as ana, her groups apply too: refused (and audited
    // with the rule), or run with her group's reading.
    let run_refused = sql_as("ana", "run", "SELECT company, annual_revenue FROM clients");
    assert_eq!(run_refused.status.code(), Some(1));
    assert!(
        stderr(&run_refused).contains("refused: clients.annual_revenue is hidden from sales"),
        "{}",
        stderr(&run_refused)
    );
    assert!(stdout(&run_refused).is_empty(), "no rows");
    let refusals = ok(&["audit", "list", "--kind", "access_refused", "--json"]);
    assert!(
        refusals.contains("clients.annual_revenue") && refusals.contains("\"via\":\"cli\""),
        "{refusals}"
    );
    let ran = sql_as(
        "ana",
        "run",
        "SELECT company FROM clients ORDER BY id LIMIT 2",
    );
    assert_eq!(ran.status.code(), Some(0), "{}", stderr(&ran));
    assert_eq!(stdout(&ran).lines().count(), 3, "{}", stdout(&ran));
    // A table with a column ana may not read: its rows are shown sorted by
    // their values (the order the database reads them in may follow that
    // column), and a database error is withheld from her, as it may quote
    // the first row read; the audit keeps it.
    let names = sql_as("ana", "run", "SELECT company FROM clients");
    assert_eq!(names.status.code(), Some(0), "{}", stderr(&names));
    let names: Vec<String> = stdout(&names).lines().skip(1).map(str::to_owned).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert!(names.len() > 10 && names == sorted, "{names:?}");
    let limited = sql_as("ana", "run", "SELECT company FROM clients LIMIT 3");
    assert_eq!(limited.status.code(), Some(1));
    assert!(
        stderr(&limited).contains("would follow the order rows are read in"),
        "{}",
        stderr(&limited)
    );
    let failed = sql_as(
        "ana",
        "run",
        "SELECT abs(-9223372036854775807 - 1 + 0 * id) FROM clients",
    );
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        stderr(&failed).contains("nothing is shown: the database could not run it")
            && !stderr(&failed).contains("overflow"),
        "{}",
        stderr(&failed)
    );
    // A result cut at the cap says the same: the cap stops the reading, so
    // whether a failing row came first follows the order rows are read in.
    let cut = sql_as(
        "ana",
        "run",
        "SELECT a.company FROM clients a, clients b, clients c",
    );
    assert_eq!(cut.status.code(), Some(1));
    let said = |out: &Output| {
        stderr(out)
            .lines()
            .filter(|l| l.contains("nothing is shown"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(said(&cut), said(&failed), "{}", stderr(&cut));
    assert_eq!(said(&cut).len(), 1, "{}", stderr(&cut));
    let results = ok(&["audit", "list", "--kind", "execute_result", "--json"]);
    assert!(results.contains("integer overflow"), "{results}");
    let not_offered = sql_as(
        "ana",
        "offer",
        "SELECT company, annual_revenue FROM clients",
    );
    assert_eq!(not_offered.status.code(), Some(1));
    assert!(
        stdout(&not_offered).contains("not offered") && stdout(&not_offered).contains("sales"),
        "{}",
        stdout(&not_offered)
    );
    let nobody = sql_as("zed", "run", "SELECT company FROM clients");
    assert_eq!(nobody.status.code(), Some(1));
    assert!(
        stderr(&nobody).contains("there is no user named \"zed\""),
        "{}",
        stderr(&nobody)
    );
    assert_eq!(
        ok(&["user", "ungroup", "ana", "sales"]),
        "ana is not in sales\n"
    );
    assert_eq!(
        check_as("SELECT company, annual_revenue FROM clients")
            .status
            .code(),
        Some(0)
    );
    let audit = ok(&["audit", "list", "--kind", "user_changed", "--json"]);
    assert!(
        audit.contains("group_joined") && audit.contains("group_left"),
        "{audit}"
    );

    // A rule that matches nothing is a mistake `check` names.
    let typo = s.write(
        "typo.toml",
        "[groups.sales]\nhidden = [\"client.annual_revenue\"]\n",
    );
    let out = s.run(&["--config", typo.to_str().unwrap(), "check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "groups.sales.hidden: `client.annual_revenue` matches no table or column of the target demo"
        ),
        "{}",
        stderr(&out)
    );
}

/// In the terminal, plans that disagree are asked back with both readings
/// and `/pick N` gives the one picked, its statement offered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_asks_back_when_plans_disagree_and_pick_gives_the_reading() {
    use crate::support::fake_model::{FakeModel, Script};
    const LYON: &str = r#"{"kind": "list", "entity": "clients", "dimensions": [{"name": "client_company", "grain": "none"}], "segments": ["late_payment"], "filters": [{"dimension": "client_city", "op": "=", "values": ["Lyon"]}]}"#;
    let s = Scratch::new();
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    fake.then(Script::answer(LYON));
    fake.then(Script::answer(&LYON.replace("Lyon", "Paris")));
    let endpoints = fake.url();
    let (out, printed) = chat_session_with(
        &s,
        &[
            ("PSTRAL__LLM__ENDPOINTS", endpoints.as_str()),
            // The demo's semantic model, which these tests leave off.
            ("PSTRAL__SQL__TARGETS__DEMO__SEMANTIC_FILE", ""),
            ("PSTRAL__SQL__PLAN_VOTES", "2"),
            ("PSTRAL__SQL__ASK_BACK", "split"),
        ],
        "Quels clients à Lyon ont des paiements en retard ?\n/pick 2\n",
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(printed.contains("🤔"), "{printed}");
    assert!(
        printed.contains("1. ") && printed.contains("2. "),
        "both readings: {printed}"
    );
    assert!(printed.contains("/pick N"), "how to pick: {printed}");
    let picked = printed
        .split("✔ Lecture 2")
        .nth(1)
        .unwrap_or_else(|| panic!("the pick is answered: {printed}"));
    assert!(
        picked.contains("Paris") && picked.contains("SELECT"),
        "{picked}"
    );
    assert_eq!(fake.requests().len(), 2, "a pick asks the model nothing");
}

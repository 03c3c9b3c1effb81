//! `pstral check`: every mistake named with exit code 1, a secret never
//! printed, a small model context and a loopback proxy warned of, the own
//! database and the target opened; a malformed file named with its place.

use super::*;

#[test]
fn check_names_every_mistake_and_exits_1() {
    let s = Scratch::new();
    let config = s.write(
        "bad.toml",
        r#"
        [general]
        langage = "fr"
        [database]
        max_connections = "many"
        [identity]
        unknown = "welcome"
        [discord]
        enabled = true
        [matrix]
        homeserver = "not a url"
        [slack]
        token = "x"
        "#,
    );
    let out = s
        .command(&["check", "--config", config.to_str().unwrap()])
        .env("PSTRAL__LOG__FORMAT", "xml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for key in [
        "general.langage: unknown key; did you mean `general.language`?",
        "database.max_connections: expected a whole number, got \"many\"",
        "identity.unknown: expected one of \"refuse\", \"auto_viewer\", got \"welcome\"",
        "discord.token: Discord is enabled but has no bot token",
        "matrix.homeserver: not a valid URL",
        "slack: unknown key",
        "log.format: expected one of \"human\", \"json\", got \"xml\" (from PSTRAL__LOG__FORMAT)",
    ] {
        assert!(err.contains(key), "missing {key:?} in:\n{err}");
    }
    assert!(err.contains("has 7 problems"), "{err}");
}

#[test]
fn check_names_each_secret_given_twice_once() {
    let s = Scratch::new();
    let secret = s.write("secret", "from-a-file\n");
    let file = secret.to_str().unwrap();
    let config = s.write(
        "twice.toml",
        &format!(
            r#"
            [database]
            password_file = "{file}"
            [discord]
            enabled = true
            token = "inline"
            token_file = "{file}"
            [matrix]
            enabled = true
            homeserver = "https://matrix.example.org"
            user = "@pstral:example.org"
            password = "inline"
            password_file = "{file}"
            access_token = "inline"
            access_token_file = "{file}"
            store_passphrase = "inline"
            store_passphrase_file = "{file}"
            [sql.targets.crm]
            url = "postgres://reader:inline@db.internal/crm"
            password_file = "{file}"
            "#
        ),
    );
    let out = s
        .command(&["check", "--config", config.to_str().unwrap()])
        .env(
            "PSTRAL__DATABASE__URL",
            "postgres://pstral:inline@db.internal/pstral",
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for pair in [
        "database.password_file: database.url holds a password already",
        "discord.token: set either discord.token or discord.token_file, not both",
        "matrix.password: set either matrix.password or matrix.password_file, not both",
        "matrix.access_token: set either matrix.access_token or matrix.access_token_file, not both",
        "matrix.store_passphrase: set either matrix.store_passphrase or matrix.store_passphrase_file, not both",
        "sql.targets.crm.password_file: sql.targets.crm.url holds a password already",
    ] {
        assert_eq!(err.matches(pair).count(), 1, "{pair:?} once in:\n{err}");
    }
    assert!(
        err.contains("has 6 problems"),
        "one message per mistake:\n{err}"
    );
    assert!(!err.contains("has no"), "nothing reported missing:\n{err}");
    assert!(!err.contains("from-a-file"), "{err}");
}

#[test]
fn check_accepts_the_defaults_and_never_prints_a_secret() {
    let s = Scratch::new();
    let token = s.write("token", "very-secret-token\n");
    let out = s
        .command(&["check", "--offline"])
        .env("PSTRAL__DISCORD__ENABLED", "true")
        .env("PSTRAL__DISCORD__TOKEN_FILE", &token)
        .env(
            "PSTRAL__DATABASE__URL",
            "postgres://pstral:hunter2@db.internal/pstral",
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out) + stderr(&out).as_str();
    assert!(text.contains("configuration OK"), "{text}");
    assert!(
        text.contains("discord:   enabled (token set), commands in every guild"),
        "{text}"
    );
    assert!(text.contains("matrix:    disabled"), "{text}");
    assert!(
        text.contains("postgres://pstral:***@db.internal/pstral"),
        "{text}"
    );
    assert!(
        !text.contains("very-secret") && !text.contains("hunter2"),
        "{text}"
    );
}

#[test]
fn check_warns_of_a_model_context_smaller_than_the_longest_prompt_and_of_a_loopback_proxy() {
    let s = Scratch::new();
    let out = s.run(&["check"]);
    let text = stdout(&out);
    assert!(!text.contains("has a context of"), "{text}");
    assert!(!text.contains("trusted_proxies"), "{text}");
    let out = s
        .command(&["check"])
        .env("PSTRAL__LLM__NUM_CTX", "1024")
        .env("PSTRAL__ADMIN__TRUSTED_PROXIES", "127.0.0.1")
        .output()
        .unwrap();
    let text = stdout(&out) + stderr(&out).as_str();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("has a context of 1024 tokens"), "{text}");
    assert!(text.contains("llm.num_ctx"), "{text}");
    assert!(
        text.contains("admin.trusted_proxies names the loopback, which is ignored"),
        "{text}"
    );
}

#[test]
fn check_opens_the_own_database_and_the_target_and_fails_when_one_cannot_be_used() {
    let s = Scratch::new();
    // Before the first start: neither exists yet, and both are said.
    let out = s.run(&["check"]);
    let text = stdout(&out) + stderr(&out).as_str();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("(created at the first start)"), "{text}");
    assert!(
        text.contains("the demo CRM, created at the first start"),
        "{text}"
    );
    // An own database that does not answer: its key, without the password.
    let out = s
        .command(&["check"])
        .env(
            "PSTRAL__DATABASE__URL",
            "postgres://pstral:hunter2@127.0.0.1:9/pstral",
        )
        .output()
        .unwrap();
    let text = stdout(&out) + stderr(&out).as_str();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "database.url: cannot open the own database at postgres://pstral:***@127.0.0.1:9/pstral"
        ),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
    // A target that is not there: its key.
    let out = s
        .command(&["check"])
        .env("PSTRAL__SQL__TARGET", "crm")
        .env(
            "PSTRAL__SQL__TARGETS__CRM__URL",
            "sqlite:/nonexistent/crm.db",
        )
        .output()
        .unwrap();
    let text = stdout(&out) + stderr(&out).as_str();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("sql.targets.crm: cannot be opened"), "{text}");
    // Offline, neither is opened.
    let out = s
        .command(&["check", "--offline"])
        .env("PSTRAL__SQL__TARGET", "crm")
        .env(
            "PSTRAL__SQL__TARGETS__CRM__URL",
            "sqlite:/nonexistent/crm.db",
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_malformed_file_is_reported_with_its_place() {
    let s = Scratch::new();
    let config = s.write("broken.toml", "[general\nlanguage = 'fr'\n");
    let out = s.run(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("cannot read the configuration") && err.contains("broken.toml"),
        "{err}"
    );
}

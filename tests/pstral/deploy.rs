//! The deployment files as shipped, checked against this binary: the
//! compose file configures the bot with keys it accepts, health-checks it
//! with a command it has, and waits longer at a stop than the bot waits for
//! answers in flight. No Docker engine runs on these machines: what only an
//! engine shows (the image's build, a stack that starts) is not tested here.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::cli::{Scratch, stderr};

/// A service of the compose file, as the file writes it: its
/// `environment:` (one `KEY: value` a line), and its other keys, those of
/// a block as `block.key` (`healthcheck.test`).
struct Service {
    environment: BTreeMap<String, String>,
    keys: BTreeMap<String, String>,
}

fn compose_service(name: &str) -> Service {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docker-compose.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let indent = |line: &str| line.len() - line.trim_start().len();
    let mut lines = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .skip_while(|l| l.trim_end() != format!("  {name}:"))
        .skip(1)
        .take_while(|l| indent(l) > 2);
    let mut service = Service {
        environment: BTreeMap::new(),
        keys: BTreeMap::new(),
    };
    let mut block = String::new();
    for line in lines.by_ref() {
        let (key, value) = line.trim().split_once(':').unwrap_or((line.trim(), ""));
        let value = value.split(" #").next().unwrap().trim();
        // YAML's quotes are not the value's.
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value)
            .to_owned();
        match indent(line) {
            4 => {
                block = key.to_owned();
                service.keys.insert(key.to_owned(), value);
            }
            6 if block == "environment" => {
                service.environment.insert(key.to_owned(), value);
            }
            6 => {
                service.keys.insert(format!("{block}.{key}"), value);
            }
            _ => {}
        }
    }
    assert!(
        !service.keys.is_empty(),
        "no service {name} in {}",
        path.display()
    );
    service
}

#[test]
fn the_compose_file_configures_the_bot_with_keys_this_binary_accepts() {
    let service = compose_service("pstral");
    assert!(
        service.environment.contains_key("PSTRAL__LLM__ENDPOINTS"),
        "inside the container, the model is not on 127.0.0.1: {:?}",
        service.environment
    );
    let s = Scratch::new();
    let mut check = s.command(&["check", "--offline"]);
    check.env_remove("PSTRAL__DATABASE__URL");
    for (key, value) in &service.environment {
        // Secrets are files the engine mounts: one of ours stands in.
        let value = match key.ends_with("_FILE") {
            true => s.write(key, "secret").display().to_string(),
            false => value.clone(),
        };
        check.env(key, value);
    }
    let out = check.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn the_compose_file_checks_health_with_a_command_the_binary_has() {
    let service = compose_service("pstral");
    let test: Vec<&str> = service.keys["healthcheck.test"]
        .trim_matches(['[', ']'])
        .split(',')
        .map(|word| word.trim().trim_matches('"'))
        .collect();
    let ["CMD", program, args @ ..] = test.as_slice() else {
        panic!("a health check run without a shell: {test:?}");
    };
    assert_eq!(*program, "pstral", "the image has no other program to ask");
    // The command exists; with no bot to ask, it says unhealthy.
    let s = Scratch::new();
    let out = s.run(&[args, &["--help"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = s
        .command(args)
        .env("PSTRAL__ADMIN__BIND", "127.0.0.1:1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn the_compose_file_waits_longer_at_a_stop_than_the_bot_waits_for_answers() {
    let service = compose_service("pstral");
    let grace = humantime::parse_duration(&service.keys["stop_grace_period"]).unwrap();
    let defaults =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml"))
            .unwrap();
    let bot = defaults
        .lines()
        .find_map(|line| line.strip_prefix("shutdown_grace = "))
        .expect("general.shutdown_grace in config/default.toml");
    let bot = humantime::parse_duration(bot.trim_matches('"')).unwrap();
    // The engine kills at its grace period: the bot must have closed its
    // connections by then, after waiting out its own.
    assert!(
        grace >= bot + Duration::from_secs(10),
        "stop_grace_period {grace:?}, the bot's shutdown_grace {bot:?}"
    );
}

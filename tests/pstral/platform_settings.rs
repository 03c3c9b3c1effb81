//! Each chat platform's table of the configuration, read by its adapter
//! through the core's layers, as `pstral` loads it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use pstral_core::config::{ConfigError, Platforms, Problem, Settings, load_layers_with};

fn platforms() -> Platforms {
    Platforms {
        included: vec![
            Arc::new(pstral_discord::settings::DiscordSettings),
            Arc::new(pstral_matrix::settings::MatrixSettings),
        ],
        left_out: Vec::new(),
    }
}

fn file(toml: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(toml.as_bytes()).unwrap();
    f
}

fn load(toml: &str) -> Result<Settings, ConfigError> {
    let f = file(toml);
    load_layers_with(Some(f.path()), BTreeMap::new(), &platforms())
}

fn problems(toml: &str) -> Vec<Problem> {
    match load(toml) {
        Err(ConfigError::Invalid(p)) => p,
        Err(other) => panic!("expected problems, got {other}"),
        Ok(_) => panic!("expected problems, the configuration was accepted"),
    }
}

#[test]
fn a_platform_is_disabled_by_default_and_its_secret_never_shows() {
    assert!(load("").unwrap().platforms.is_empty());
    let secret = file("s3cr3t-token\n");
    let s = load(&format!(
        "[discord]\nenabled = true\ntoken_file = {:?}\nguilds = [\"81384788765712384\"]\n",
        secret.path()
    ))
    .unwrap();
    assert_eq!(s.platforms.len(), 1);
    assert_eq!(s.platforms[0].name(), "discord");
    assert_eq!(
        s.platforms[0].summary(),
        "enabled (token set), commands in 1 guild"
    );
    assert!(!format!("{s:?}").contains("s3cr3t"), "{s:?}");
}

#[test]
fn mistakes_in_the_platforms_tables_are_named_with_the_cores() {
    let found = problems(
        r#"
        [general]
        langage = "fr"
        [discord]
        enabled = true
        guilds = ["general"]
        [matrix]
        homeserver = "matrix.example.org"
        password = 123456
        "#,
    );
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    for expected in [
        "general.langage",
        "discord.guilds",
        "discord.token",
        "matrix.homeserver",
        "matrix.password",
    ] {
        assert!(
            keys.contains(&expected),
            "{expected} not reported in {keys:?}"
        );
    }
    let text = ConfigError::Invalid(found).to_string();
    assert!(text.contains("PSTRAL__DISCORD__TOKEN"), "{text}");
    // A secret of the wrong type is not echoed.
    assert!(!text.contains("123456"), "{text}");
}

#[test]
fn the_example_file_uses_only_known_keys() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/example.toml");
    match load_layers_with(Some(&example), BTreeMap::new(), &platforms()) {
        Ok(_) => {}
        // Its secret files exist only on a deployed host.
        Err(ConfigError::Invalid(problems)) => {
            for p in problems {
                assert!(p.key.ends_with("_file"), "{p}");
            }
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_matrix_user_that_is_no_matrix_id_is_named() {
    for bad in ["pstral", "@pstral", "@:example.org", "@pstral:"] {
        let found = problems(&format!("[matrix]\nenabled = false\nuser = \"{bad}\""));
        assert!(
            found.iter().any(|p| p.key == "matrix.user"),
            "{bad}: {found:?}"
        );
    }
    assert!(load("[matrix]\nenabled = false\nuser = \"@pstral:example.org\"").is_ok());
}

#[test]
fn a_cap_on_matrix_rooms_is_a_number_above_zero() {
    for bad in ["0", "-3"] {
        let found = problems(&format!("[matrix]\nmax_rooms = {bad}"));
        assert!(
            found.iter().any(|p| p.key == "matrix.max_rooms"),
            "{bad}: {found:?}"
        );
        let found = problems(&format!("[matrix]\nmax_rooms_per_inviter = {bad}"));
        assert_eq!(
            found.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(),
            ["matrix.max_rooms_per_inviter"],
            "{bad}: one mistake, one message"
        );
    }
    assert!(load("[matrix]\nmax_rooms = 40").is_ok());
    assert!(load("[matrix]\nmax_rooms = 40\nmax_rooms_per_inviter = 5").is_ok());
}

#[test]
fn the_homeservers_allowance_is_a_rate_and_a_burst_above_zero() {
    for (key, bad) in [
        ("edits_per_second", "0"),
        ("edits_per_second", "-1"),
        ("edit_burst", "0"),
    ] {
        let found = problems(&format!("[matrix]\n{key} = {bad}"));
        assert_eq!(found.len(), 1, "{key} = {bad}: {found:?}");
        assert_eq!(found[0].key, format!("matrix.{key}"));
    }
    assert!(load("[matrix]\nedits_per_second = 100\nedit_burst = 100").is_ok());
}

#[test]
fn matrix_enabled_is_configured_from_its_table_alone() {
    let passphrase = file("store-passphrase\n");
    let s = load(&format!(
        "[matrix]\nenabled = true\nhomeserver = \"https://matrix.example.org\"\n\
         user = \"@pstral:example.org\"\npassword = \"pw-secret\"\n\
         store_passphrase_file = {:?}\n",
        passphrase.path()
    ))
    .unwrap();
    assert_eq!(
        s.platforms[0].summary(),
        "enabled, @pstral:example.org on https://matrix.example.org/"
    );
    let shown = format!("{s:?}");
    assert!(
        !shown.contains("pw-secret") && !shown.contains("store-passphrase"),
        "{shown}"
    );
    // An access token needs the device it was issued for.
    let found = problems(
        "[matrix]\nenabled = true\nhomeserver = \"https://matrix.example.org\"\n\
         user = \"@pstral:example.org\"\naccess_token = \"t\"\nstore_passphrase = \"p\"\n",
    );
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["matrix.device_id"]);
}

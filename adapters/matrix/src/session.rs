//! The bot's Matrix session: logged in once with a password (or given an
//! access token), kept in a file only its owner reads, restored at every
//! start with the encryption store, and the account's word that it keeps
//! no key backup.

use super::*;

/// The bot keeps its room keys in its own store (the store directory and
/// its passphrase), never in a key backup on the homeserver. matrix-sdk
/// asks the homeserver at every start whether the account has secret
/// storage and a backup, and an account that never said comes back as 404s
/// its HTTP client logs as ERROR lines: so the account says it, once, with
/// the account data Element writes when recovery is turned off. Read from
/// the first sync (no request that could 404 itself); what the account
/// already says (an administrator's own set-up included) is left as it is.
pub(crate) async fn say_no_key_backup(client: &Client) {
    use matrix_sdk::ruma::events::GlobalAccountDataEventType;
    for (event_type, content) in NO_KEY_BACKUP {
        let event_type = GlobalAccountDataEventType::from(event_type);
        if !matches!(
            client.account().account_data_raw(event_type.clone()).await,
            Ok(None)
        ) {
            continue;
        }
        let said = serde_json::value::RawValue::from_string(content.to_owned())
            .map(matrix_sdk::ruma::serde::Raw::from_json)
            .map_err(|e| e.to_string());
        let written = match said {
            Ok(raw) => client
                .account()
                .set_account_data_raw(event_type.clone(), raw)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            tracing::info!(event_type = %event_type, error = %e, "cannot tell the homeserver that the bot keeps no key backup");
        }
    }
}

/// The first login of a new device, by hand rather than through
/// matrix-sdk: matrix-sdk looks for a key backup as soon as it logs in, and
/// on an account that never said it keeps none, the homeserver's 404s
/// become ERROR lines in the log. So the account says it first (as
/// [`say_no_key_backup`] does for an account logged in before), then
/// matrix-sdk takes the session over.
async fn first_login(
    homeserver: &str,
    user: &matrix_sdk::ruma::UserId,
    password: &str,
) -> Result<MatrixSession, PlatformError> {
    use matrix_sdk::reqwest::{Client as Http, StatusCode};
    let base = homeserver.trim_end_matches('/');
    let http = Http::new();
    let unreachable =
        |e: matrix_sdk::reqwest::Error| PlatformError::Other(Box::new(Unreachable(e.to_string())));
    let body = serde_json::json!({
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user.as_str()},
        "password": password,
        "initial_device_display_name": "Pstral",
    });
    let response = http
        .post(format!("{base}/_matrix/client/v3/login"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(unreachable)?;
    let said_back: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    if status.is_server_error() {
        return Err(PlatformError::Other(Box::new(Unreachable(format!(
            "the login answered {status}"
        )))));
    }
    let field = |name: &str| said_back[name].as_str().map(str::to_owned);
    let (Some(access_token), Some(device_id)) = (field("access_token"), field("device_id")) else {
        let why = field("error").unwrap_or_else(|| status.to_string());
        return Err(said(format!("cannot log in to Matrix as {user}: {why}")));
    };
    for (event_type, content) in NO_KEY_BACKUP {
        let url = format!("{base}/_matrix/client/v3/user/{user}/account_data/{event_type}");
        let absent = http
            .get(&url)
            .bearer_auth(&access_token)
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::NOT_FOUND);
        if !absent {
            continue;
        }
        let written = http
            .put(&url)
            .bearer_auth(&access_token)
            .header("content-type", "application/json")
            .body(content)
            .send()
            .await;
        if !written.is_ok_and(|r| r.status().is_success()) {
            tracing::info!(
                event_type,
                "cannot tell the homeserver that the bot keeps no key backup"
            );
        }
    }
    Ok(MatrixSession {
        meta: matrix_sdk::SessionMeta {
            user_id: user.to_owned(),
            device_id: device_id.as_str().into(),
        },
        tokens: matrix_sdk::SessionTokens {
            access_token,
            refresh_token: None,
        },
    })
}

/// What the account says of key backups, as Element writes it when
/// recovery is turned off: (event type, content).
const NO_KEY_BACKUP: [(&str, &str); 3] = [
    ("m.secret_storage.default_key", "{}"),
    ("m.key_backup", r#"{"enabled":false}"#),
    (
        "m.org.matrix.custom.backup_disabled",
        r#"{"disabled":true}"#,
    ),
];

/// Logs in, or restores the stored session: the same device every time.
pub async fn connect(config: &MatrixConfig) -> Result<Client, PlatformError> {
    // A folder that cannot be made or written is named: it is the
    // operator's to mend (a volume owned by another account, a full disk).
    let in_store = |what: &str, path: &std::path::Path| {
        let what = what.to_owned();
        let path = path.display().to_string();
        move |e: std::io::Error| said(format!("cannot {what} {path}: {e}"))
    };
    std::fs::create_dir_all(&config.store_dir).map_err(in_store(
        "create the Matrix store folder",
        &config.store_dir,
    ))?;
    let client = Client::builder()
        .homeserver_url(&config.homeserver)
        .sqlite_store(&config.store_dir, Some(&config.store_passphrase))
        .build()
        .await
        .map_err(|e| {
            said(format!(
                "cannot open the Matrix store in {}: {e}",
                config.store_dir.display()
            ))
        })?;
    let session_file = config.store_dir.join("session.json");
    let stored: Option<MatrixSession> = std::fs::read(&session_file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let user: OwnedUserId = config
        .user
        .parse()
        .map_err(|_| said(format!("{:?} is not a Matrix user id", config.user)))?;
    log_in(&client, stored, config, &user).await?;
    if let Some(session) = client.matrix_auth().session() {
        let json = serde_json::to_vec(&session).map_err(other)?;
        write_private(&session_file, &json)
            .map_err(in_store("write the Matrix session to", &session_file))?;
    }
    // Clients that share keys only with devices verified by their owner
    // must see this one as such.
    if let Err(e) = client
        .encryption()
        .bootstrap_cross_signing_if_needed(None)
        .await
    {
        tracing::warn!(error = %e, "cannot set up cross-signing for the bot's device");
    }
    Ok(client)
}

/// Logs `client` in as `user`: with the `stored` session when there is
/// one, else with the configured credentials.
async fn log_in(
    client: &Client,
    stored: Option<MatrixSession>,
    config: &MatrixConfig,
    user: &OwnedUserId,
) -> Result<(), PlatformError> {
    match (stored, &config.credentials) {
        (Some(session), credentials) => {
            let device = session.meta.device_id.clone();
            client.restore_session(session).await.map_err(other)?;
            let alive = match client.whoami().await {
                Ok(_) => true,
                Err(e) => {
                    let e = failed(e.into(), other);
                    if is_unreachable(&e) {
                        return Err(e);
                    }
                    false
                }
            };
            if !alive {
                // The token is dead: log in again as the same device, so
                // that its keys stay valid.
                let Credentials::Password(password) = credentials else {
                    return Err(said(
                        "the stored Matrix token no longer works; give matrix.password".into(),
                    ));
                };
                client
                    .matrix_auth()
                    .login_username(user, password)
                    .device_id(device.as_str())
                    .send()
                    .await
                    .map_err(|e| failed(e, other))?;
            }
        }
        (None, Credentials::Password(password)) => {
            let session = first_login(&config.homeserver, user, password).await?;
            client.restore_session(session).await.map_err(other)?;
        }
        (
            None,
            Credentials::Token {
                access_token,
                device_id,
            },
        ) => {
            let session = MatrixSession {
                meta: matrix_sdk::SessionMeta {
                    user_id: user.clone(),
                    device_id: device_id.as_str().into(),
                },
                tokens: matrix_sdk::SessionTokens {
                    access_token: access_token.clone(),
                    refresh_token: None,
                },
            };
            client.restore_session(session).await.map_err(other)?;
        }
    }
    Ok(())
}

/// Writes a file only its owner can read (it holds the access token).
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

//! Bearer tokens for the admin endpoint, kept in the own database (the single
//! source of truth for every replica: revoking one takes effect everywhere at
//! once). A token is `pst_` and 40 random base-32 characters (200 bits); only
//! its SHA-256 is stored, and it is shown once, when created.

use chrono::{DateTime, Datelike, Utc};
use rand::Rng;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::{Actor, Audit, AuditError, EventKind, NewEvent};
use crate::identity::{Permission, User};
use crate::store::{Store, StoreError, on_pool};

/// A token as listed (never its value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TokenInfo {
    pub id: i64,
    pub user_name: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A new token, with its value.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub id: i64,
    pub token: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Why a token was refused. Each is answered with a bare 401.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("unknown token")]
    Unknown,
    /// The token `.0` (its id) was revoked.
    #[error("the token was revoked")]
    Revoked(i64),
    #[error("the token has expired")]
    Expired(i64),
    #[error("the token's user is no longer an admin")]
    NotAdmin(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthError {
    /// The refusal's reason, for the audit.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::Missing => "no_token",
            AuthError::Unknown => "token_unknown",
            AuthError::Revoked(_) => "token_revoked",
            AuthError::Expired(_) => "token_expired",
            AuthError::NotAdmin(_) => "token_not_admin",
            AuthError::Store(_) => "store",
        }
    }

    /// The id of the token refused, when it is one the bot made: the
    /// audit names it, and nothing of a token it does not know.
    pub fn token_id(&self) -> Option<i64> {
        match self {
            AuthError::Revoked(id) | AuthError::Expired(id) | AuthError::NotAdmin(id) => Some(*id),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "{0:?} is not a usable label: at most 100 characters, no control, invisible or bidirectional character"
    )]
    BadLabel(String),
    #[error("there is no user named {0:?}")]
    UnknownUser(String),
    #[error("{0} is not an admin: only admins get tokens")]
    NotAdmin(String),
    #[error(
        "that lifetime ends after the year 9999: give a shorter one, or none for a token that lasts until revoked"
    )]
    LifetimeTooLong,
    #[error("there is no token {0}")]
    UnknownToken(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl From<sqlx::Error> for TokenError {
    fn from(e: sqlx::Error) -> Self {
        TokenError::Store(StoreError::from(e))
    }
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

fn new_token() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut rng = rand::rng();
    let body: String = (0..40)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("pst_{body}")
}

/// Tokens on the own database.
#[derive(Clone, Debug)]
pub struct Tokens {
    store: Store,
    audit: Audit,
}

impl Tokens {
    pub fn new(store: Store, audit: Audit) -> Self {
        Self { store, audit }
    }

    /// Creates a token for the admin `user_name`.
    ///
    /// # Errors
    /// [`TokenError`] when the user does not exist or is not an admin.
    pub async fn create(
        &self,
        user_name: &str,
        label: &str,
        ttl: Option<std::time::Duration>,
        actor: Actor,
    ) -> Result<NewToken, TokenError> {
        let user: Option<User> = on_pool!(&self.store, pool => {
            sqlx::query_as("SELECT id, name, role, created_at FROM users WHERE name = $1")
                .bind(user_name)
                .fetch_optional(pool)
                .await?
        });
        let user = user.ok_or_else(|| TokenError::UnknownUser(user_name.to_owned()))?;
        if label.chars().count() > 100 || label.chars().any(pstral_chat::hidden) {
            return Err(TokenError::BadLabel(pstral_chat::shown(label)));
        }
        if !user.role.allows(Permission::Administer) {
            return Err(TokenError::NotAdmin(user_name.to_owned()));
        }
        let token = new_token();
        let now = Utc::now();
        let expires_at = match ttl {
            None => None,
            Some(d) => Some(
                chrono::Duration::from_std(d)
                    .ok()
                    .and_then(|d| now.checked_add_signed(d))
                    .filter(|at| at.year() < 10_000)
                    .ok_or(TokenError::LifetimeTooLong)?,
            ),
        };
        // Recorded before the token exists: an unaudited token never works.
        self.audit
            .append(NewEvent::new(
                EventKind::UserChanged,
                actor,
                json!({"action": "token_created", "user": user.name, "label": label, "expires_at": expires_at}),
            ))
            .await?;
        let id: i64 = on_pool!(&self.store, pool => {
            sqlx::query_scalar(
                "INSERT INTO api_tokens (user_id, token_hash, label, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(user.id)
            .bind(hash(&token))
            .bind(label)
            .bind(now)
            .bind(expires_at)
            .fetch_one(pool)
            .await?
        });
        Ok(NewToken {
            id,
            token,
            expires_at,
        })
    }

    /// # Errors
    /// A store failure.
    pub async fn list(&self) -> Result<Vec<TokenInfo>, TokenError> {
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_as(
                "SELECT t.id, u.name AS user_name, t.label, t.created_at, t.expires_at, t.revoked_at, t.last_used_at \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Revokes a token; it is refused from the next call on.
    ///
    /// # Errors
    /// [`TokenError::UnknownToken`] or a store failure.
    pub async fn revoke(&self, id: i64, actor: Actor) -> Result<(), TokenError> {
        let revoked = on_pool!(&self.store, pool => {
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(Utc::now())
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        let exists: Option<i64> = on_pool!(&self.store, pool => {
            sqlx::query_scalar("SELECT id FROM api_tokens WHERE id = $1").bind(id).fetch_optional(pool).await?
        });
        if exists.is_none() {
            return Err(TokenError::UnknownToken(id));
        }
        if revoked > 0 {
            self.audit
                .append(NewEvent::new(
                    EventKind::UserChanged,
                    actor,
                    json!({"action": "token_revoked", "token": id}),
                ))
                .await?;
        }
        Ok(())
    }

    /// The admin a bearer token belongs to, checked now: known, not revoked,
    /// not expired, and its user still an admin.
    ///
    /// # Errors
    /// [`AuthError`] saying which check failed.
    pub async fn authenticate(&self, token: &str) -> Result<User, AuthError> {
        type Row = (
            i64,
            String,
            String,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            i64,
        );
        let row: Option<Row> = on_pool!(&self.store, pool => {
            sqlx::query_as(
                "SELECT u.id, u.name, u.role, u.created_at, t.expires_at, t.revoked_at, t.id \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
            )
            .bind(hash(token))
            .fetch_optional(pool)
            .await
            .map_err(StoreError::from)?
        });
        let (user_id, name, role, created_at, expires_at, revoked_at, token_id) =
            row.ok_or(AuthError::Unknown)?;
        if revoked_at.is_some() {
            return Err(AuthError::Revoked(token_id));
        }
        if expires_at.is_some_and(|e| e <= Utc::now()) {
            return Err(AuthError::Expired(token_id));
        }
        let role = role.parse().map_err(|_| AuthError::NotAdmin(token_id))?;
        let user = User {
            id: user_id,
            name,
            role,
            created_at,
        };
        if !user.role.allows(Permission::Administer) {
            return Err(AuthError::NotAdmin(token_id));
        }
        // Best effort: a failure to note the use must not refuse the call.
        let _ = on_pool!(&self.store, pool => {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(Utc::now())
                .bind(token_id)
                .execute(pool)
                .await
                .map(drop)
        });
        Ok(user)
    }
}

//! Local users, their roles, and the chat identities linked to them.
//!
//! A person is one local user with one [`Role`]; any number of platform
//! identities (`discord:…`, `matrix:@…`) link to them. Every message and every
//! click is resolved through here, at the moment it happens, so a role change
//! or an unlink takes effect on the next action. Every change is written to
//! the audit in the same transaction as the change itself.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use pstral_chat::{Place, PlatformIdentity};
use rand::Rng;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::{Actor, Audit, AuditError, EventKind, NewEvent};
use crate::config::{IdentitySettings, UnknownPolicy};
use crate::i18n::Text;
use crate::store::{Store, StoreError, Tx, on_pool, on_tx};

/// What a local user may do. Each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// May chat with the bot.
    Viewer,
    /// May also run SQL on the Execute target.
    Executor,
    /// May also read the audit and manage users.
    Admin,
}

/// Something a role may or may not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Chat,
    Execute,
    Administer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Executor => "executor",
            Role::Admin => "admin",
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        let needed = match permission {
            Permission::Chat => Role::Viewer,
            Permission::Execute => Role::Executor,
            Permission::Administer => Role::Admin,
        };
        self >= needed
    }
}

impl Permission {
    /// The least role that has this permission.
    pub fn least_role(self) -> Role {
        [Role::Viewer, Role::Executor, Role::Admin]
            .into_iter()
            .find(|r| r.allows(self))
            .unwrap_or(Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "executor" => Ok(Role::Executor),
            "admin" => Ok(Role::Admin),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

impl TryFrom<String> for Role {
    type Error = UnknownRole;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: the roles are viewer, executor and admin")]
pub struct UnknownRole(String);

/// A local user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// A user with the chat identities linked to them, for listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserEntry {
    #[serde(flatten)]
    pub user: User,
    pub identities: Vec<String>,
}

/// A fresh invite code, shown once to the admin who made it.
#[derive(Debug, Clone)]
pub struct Invite {
    pub code: String,
    pub user: String,
    pub expires_at: DateTime<Utc>,
}

/// The outcome of looking up who wrote to the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A linked identity.
    Known(User),
    /// An unknown identity, for whom the `auto_viewer` policy just made a user.
    Created(User),
    /// An unknown identity under the `refuse` policy: answer with
    /// [`Directory::refusal`].
    Refused,
}

/// Why an identity operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("there is no user named {0:?}")]
    UnknownUser(String),
    #[error("a user named {0:?} already exists")]
    UserExists(String),
    #[error(
        "{0:?} is not a valid user name: 1 to 64 letters, digits, '.', '_' or '-', not starting with '-'"
    )]
    BadName(String),
    #[error("{identity} is already linked to {user}")]
    AlreadyLinked { identity: String, user: String },
    #[error("{0} is not linked to any user")]
    NotLinked(String),
    #[error("this invite code is not valid")]
    InviteUnknown,
    #[error("this invite code has expired")]
    InviteExpired,
    #[error("this invite code has already been used")]
    InviteUsed,
    #[error("too many invite attempts; try again later")]
    TooManyAttempts,
    #[error(
        "{name:?} looks like the existing user {existing:?}; choose a name that reads differently"
    )]
    Lookalike { name: String, existing: String },
    #[error(
        "{0} cannot be linked: only Discord and Matrix accounts (and, from the CLI, a terminal user) can"
    )]
    NotLinkable(String),
    #[error(
        "{0} is the last admin: with no admin left, nobody could manage users or read the audit (the CLI can force it with --allow-no-admin)"
    )]
    LastAdmin(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl From<sqlx::Error> for IdentityError {
    fn from(e: sqlx::Error) -> Self {
        IdentityError::Store(StoreError::Query(e))
    }
}

impl IdentityError {
    /// What to tell the chat user who caused this error, when it is theirs to
    /// fix; `None` for failures of the bot itself.
    pub fn user_text(&self) -> Option<Text<'_>> {
        match self {
            // One text for every failure: trying codes teaches nothing.
            IdentityError::InviteUnknown
            | IdentityError::InviteExpired
            | IdentityError::InviteUsed
            | IdentityError::TooManyAttempts => Some(Text::InviteNotValid),
            IdentityError::AlreadyLinked { user, .. } => Some(Text::AlreadyLinked { user }),
            _ => None,
        }
    }
}

/// The user with a name as written ($1) or as normalised ($2; see
/// [`normal_name`]): names stored before normalisation keep being found by
/// their own spelling, and the exact spelling wins.
const USER_BY_NAME: &str = "SELECT id, name, role, created_at FROM users WHERE name IN ($1, $2) \
     ORDER BY CASE WHEN name = $1 THEN 0 ELSE 1 END LIMIT 1";
/// The user a platform identity ($1, $2) is linked to.
const USER_BY_IDENTITY: &str = "SELECT u.id, u.name, u.role, u.created_at FROM users u \
     JOIN identities i ON i.user_id = u.id WHERE i.platform = $1 AND i.external_id = $2";

/// Users, identities and invites on the own database.
#[derive(Clone, Debug)]
pub struct Directory {
    store: Store,
    audit: Audit,
    settings: IdentitySettings,
    /// Failed invite attempts, by identity and by code (see
    /// [`Directory::consume_invite`]).
    attempts: Arc<Mutex<HashMap<String, (std::time::Instant, u32)>>>,
}

/// Failed invite attempts allowed per identity and per code in
/// [`ATTEMPT_WINDOW`]: enough for typing mistakes, far too few to guess.
const MAX_ATTEMPTS: u32 = 5;
const ATTEMPT_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

impl Directory {
    pub fn new(store: Store, settings: IdentitySettings) -> Self {
        Self {
            audit: Audit::new(store.clone()),
            store,
            settings,
            attempts: Arc::default(),
        }
    }

    /// Uses `audit` (shared with the rest of the process, so that appends
    /// are combined) instead of a writer of its own.
    pub fn with_audit(mut self, audit: Audit) -> Self {
        self.audit = audit;
        self
    }

    /// Creates a local user.
    ///
    /// # Errors
    /// [`IdentityError::BadName`], [`IdentityError::UserExists`], or a store
    /// failure.
    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        actor: Actor,
    ) -> Result<User, IdentityError> {
        let name = &normal_name(name);
        check_name(name)?;
        let mut tx = self.store.begin().await?;
        if find_user_in(&mut tx, name).await?.is_some() {
            return Err(IdentityError::UserExists(name.to_owned()));
        }
        refuse_lookalike_in(&mut tx, name).await?;
        let user = insert_user(&mut tx, name, role, false).await?;
        let event = NewEvent::new(
            EventKind::UserChanged,
            actor,
            json!({"action": "created", "user": user.name, "role": role.as_str()}),
        );
        Audit::append_in(&mut tx, event).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Changes a user's role. It applies from the user's next action; a
    /// demoted admin's API tokens are revoked with it. The last admin is
    /// not demoted unless `allow_no_admin` (the CLI's explicit override).
    ///
    /// # Errors
    /// [`IdentityError::UnknownUser`], [`IdentityError::LastAdmin`] or a
    /// store failure.
    pub async fn set_role(
        &self,
        name: &str,
        role: Role,
        actor: Actor,
        allow_no_admin: bool,
    ) -> Result<User, IdentityError> {
        let mut tx = self.store.begin().await?;
        let before = find_user_in(&mut tx, name)
            .await?
            .ok_or_else(|| IdentityError::UnknownUser(name.to_owned()))?;
        set_role_in(&mut tx, &before, role, actor, allow_no_admin).await?;
        tx.commit().await?;
        Ok(User { role, ..before })
    }

    /// Links a chat identity to a user.
    ///
    /// # Errors
    /// [`IdentityError::UnknownUser`], [`IdentityError::AlreadyLinked`], or a
    /// store failure.
    pub async fn link(
        &self,
        name: &str,
        identity: &PlatformIdentity,
        actor: Actor,
    ) -> Result<User, IdentityError> {
        let mut tx = self.store.begin().await?;
        check_linkable(identity, true)?;
        let user = find_user_in(&mut tx, name)
            .await?
            .ok_or_else(|| IdentityError::UnknownUser(name.to_owned()))?;
        link_in(&mut tx, &user, identity, actor, "admin", None).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Unlinks a chat identity; returns the user it was linked to.
    ///
    /// # Errors
    /// [`IdentityError::NotLinked`] or a store failure.
    pub async fn unlink(
        &self,
        identity: &PlatformIdentity,
        actor: Actor,
    ) -> Result<User, IdentityError> {
        let mut tx = self.store.begin().await?;
        let user = unlink_in(&mut tx, identity, actor).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Links, unlinks and changes the role of user `name` in one
    /// transaction: all of it happens, or none (and each change is audited
    /// with it). Returns the user as they are after.
    ///
    /// # Errors
    /// [`IdentityError::UnknownUser`], [`IdentityError::AlreadyLinked`],
    /// [`IdentityError::NotLinked`] or a store failure; nothing changed.
    pub async fn change(
        &self,
        name: &str,
        link: Option<&PlatformIdentity>,
        unlink: Option<&PlatformIdentity>,
        role: Option<Role>,
        actor: Actor,
    ) -> Result<User, IdentityError> {
        let mut tx = self.store.begin().await?;
        let mut user = find_user_in(&mut tx, name)
            .await?
            .ok_or_else(|| IdentityError::UnknownUser(name.to_owned()))?;
        if let Some(identity) = link {
            check_linkable(identity, false)?;
            link_in(&mut tx, &user, identity, actor.clone(), "admin", None).await?;
        }
        if let Some(identity) = unlink {
            unlink_in(&mut tx, identity, actor.clone()).await?;
        }
        if let Some(role) = role {
            set_role_in(&mut tx, &user, role, actor, false).await?;
            user.role = role;
        }
        tx.commit().await?;
        Ok(user)
    }

    /// Every user with their identities, by name.
    ///
    /// # Errors
    /// A store failure.
    pub async fn list(&self) -> Result<Vec<UserEntry>, IdentityError> {
        let users: Vec<User> = on_pool!(&self.store, pool => {
            sqlx::query_as("SELECT id, name, role, created_at FROM users ORDER BY name")
                .fetch_all(pool)
                .await?
        });
        let links: Vec<(i64, String, String)> = on_pool!(&self.store, pool => {
            sqlx::query_as(
                "SELECT user_id, platform, external_id FROM identities ORDER BY platform, external_id",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(users
            .into_iter()
            .map(|user| {
                let identities = links
                    .iter()
                    .filter(|(id, _, _)| *id == user.id)
                    .map(|(_, platform, external)| format!("{platform}:{external}"))
                    .collect();
                UserEntry { user, identities }
            })
            .collect())
    }

    /// The user with this name.
    ///
    /// # Errors
    /// A store failure.
    pub async fn user(&self, name: &str) -> Result<Option<User>, IdentityError> {
        let normal = normal_name(name);
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_as::<_, User>(USER_BY_NAME)
            .bind(name)
            .bind(&normal)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// The user an identity is linked to, read now: roles and links are
    /// checked at the moment someone acts, never cached.
    ///
    /// # Errors
    /// A store failure.
    pub async fn user_of(
        &self,
        identity: &PlatformIdentity,
    ) -> Result<Option<User>, IdentityError> {
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_as::<_, User>(
                USER_BY_IDENTITY
            )
            .bind(identity.platform().as_str())
            .bind(identity.id())
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Resolves the author of a message to a local user, applying the policy
    /// for unknown identities. A refusal is audited.
    ///
    /// # Errors
    /// A store failure (the caller should say the bot is unavailable).
    pub async fn resolve(
        &self,
        identity: &PlatformIdentity,
        // A display name names nobody: auto-created users are named from the
        // account's id (see `auto_name`).
        _display_name: Option<&str>,
        place: Option<&Place>,
    ) -> Result<Resolution, IdentityError> {
        if let Some(user) = self.user_of(identity).await? {
            return Ok(Resolution::Known(user));
        }
        let actor = Actor {
            user_id: None,
            identity: Some(identity.clone()),
        };
        match self.settings.unknown {
            UnknownPolicy::Refuse => {
                let mut event = NewEvent::new(
                    EventKind::AccessRefused,
                    actor,
                    json!({"reason": "unknown_identity"}),
                );
                event.place = place.cloned();
                self.audit.append(event).await?;
                Ok(Resolution::Refused)
            }
            UnknownPolicy::AutoViewer => {
                let mut tx = self.store.begin().await?;
                // Another message from the same person may have won the race
                // to create them while this one waited for the write lock.
                if let Some(user) = user_of_in(&mut tx, identity).await? {
                    return Ok(Resolution::Known(user));
                }
                let base = auto_name(identity);
                let mut name = base.clone();
                let mut n = 1;
                while find_user_in(&mut tx, &name).await?.is_some() {
                    n += 1;
                    name = format!("{base}-{n}");
                }
                let user = insert_user(&mut tx, &name, Role::Viewer, true).await?;
                let event = NewEvent::new(
                    EventKind::UserChanged,
                    actor.clone(),
                    json!({"action": "created", "user": name, "role": "viewer", "via": "auto_viewer"}),
                );
                Audit::append_in(&mut tx, event).await?;
                link_in(&mut tx, &user, identity, actor, "auto_viewer", place).await?;
                tx.commit().await?;
                Ok(Resolution::Created(user))
            }
        }
    }

    /// The refusal for an unknown identity, naming the link command as it
    /// is typed on the platform (`prefix`).
    pub fn refusal<'a>(&'a self, prefix: &'a str) -> Text<'a> {
        Text::UnknownIdentity {
            contact: &self.settings.contact,
            prefix,
        }
    }

    /// Whether `code` is an invite that can still be used.
    ///
    /// # Errors
    /// A store failure.
    pub async fn is_live_invite(&self, code: &str) -> Result<bool, IdentityError> {
        let live: Option<i64> = on_pool!(&self.store, pool => {
            sqlx::query_scalar(
                "SELECT user_id FROM invites WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2",
            )
            .bind(code_hash(code))
            .bind(Utc::now())
            .fetch_optional(pool)
            .await?
        });
        Ok(live.is_some())
    }

    /// Burns `code` if it is a live invite: it was said where others could
    /// see it (`place`, not a DM with the bot), so nobody may use it any
    /// more. Audited (without the code) when a code was burnt, or when the
    /// person meant it as one (`meant`: the link command). Returns whether a
    /// live code was burnt.
    ///
    /// # Errors
    /// A store failure.
    pub async fn burn_invite(
        &self,
        code: &str,
        identity: &PlatformIdentity,
        place: &Place,
        meant: bool,
    ) -> Result<bool, IdentityError> {
        let mut tx = self.store.begin().await?;
        let burnt: Option<i64> = on_tx!(&mut tx, conn => {
            sqlx::query_scalar(
                "UPDATE invites SET used_at = $1, used_by = $2 \
                 WHERE code_hash = $3 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
            )
            .bind(Utc::now())
            .bind(format!("burnt: seen in {}:{}", place.platform, place.channel))
            .bind(code_hash(code))
            .fetch_optional(&mut **conn)
            .await?
        });
        let owner: Option<String> = match burnt {
            Some(id) => on_tx!(&mut tx, conn => {
                sqlx::query_scalar("SELECT name FROM users WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut **conn)
                    .await?
            }),
            None => None,
        };
        if burnt.is_some() || meant {
            let mut event = NewEvent::new(
                EventKind::AccessRefused,
                Actor {
                    user_id: None,
                    identity: Some(identity.clone()),
                },
                json!({"reason": "invite_seen_in_public", "burnt": burnt.is_some(), "invited": owner}),
            );
            event.place = Some(place.clone());
            Audit::append_in(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(burnt.is_some())
    }

    /// Counts a failed attempt of `identity` with the code hashed `hash`;
    /// true when either has failed too often in the window.
    fn too_many_attempts(&self, identity: &PlatformIdentity, hash: &str, failed: bool) -> bool {
        let now = std::time::Instant::now();
        let mut attempts = self.attempts.lock().expect("never poisoned");
        if attempts.len() > 10_000 {
            attempts.retain(|_, (since, _)| now.duration_since(*since) < ATTEMPT_WINDOW);
        }
        let mut over = false;
        for key in [format!("id:{identity}"), format!("code:{hash}")] {
            let entry = attempts.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= ATTEMPT_WINDOW {
                *entry = (now, 0);
            }
            if failed {
                entry.1 += 1;
            }
            over |= entry.1 >= MAX_ATTEMPTS;
        }
        over
    }

    /// Makes a one-time code that links whoever sends it to the bot (in a DM)
    /// to `name`. Only its hash is stored.
    ///
    /// # Errors
    /// [`IdentityError::UnknownUser`] or a store failure.
    pub async fn create_invite(&self, name: &str, actor: Actor) -> Result<Invite, IdentityError> {
        let mut tx = self.store.begin().await?;
        let user = find_user_in(&mut tx, name)
            .await?
            .ok_or_else(|| IdentityError::UnknownUser(name.to_owned()))?;
        let code = new_invite_code();
        let now = Utc::now();
        let ttl = chrono::Duration::from_std(self.settings.invite_ttl)
            .unwrap_or(chrono::Duration::days(7));
        let expires_at = now + ttl;
        on_tx!(&mut tx, conn => {
            sqlx::query(
                "INSERT INTO invites (code_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(code_hash(&code))
            .bind(user.id)
            .bind(now)
            .bind(expires_at)
            .execute(&mut **conn)
            .await?;
        });
        // The code itself never reaches the audit: whoever reads the audit
        // could otherwise use it.
        let event = NewEvent::new(
            EventKind::InviteCreated,
            actor,
            json!({"user": user.name, "expires_at": expires_at.to_rfc3339()}),
        );
        Audit::append_in(&mut tx, event).await?;
        tx.commit().await?;
        Ok(Invite {
            code,
            user: user.name,
            expires_at,
        })
    }

    /// Consumes an invite code sent by `identity`, linking it to the code's
    /// user. A failed attempt is audited too.
    ///
    /// # Errors
    /// [`IdentityError::InviteUnknown`], [`IdentityError::InviteExpired`],
    /// [`IdentityError::InviteUsed`], [`IdentityError::AlreadyLinked`], or a
    /// store failure.
    pub async fn consume_invite(
        &self,
        code: &str,
        identity: &PlatformIdentity,
        place: Option<&Place>,
    ) -> Result<User, IdentityError> {
        let actor = Actor {
            user_id: None,
            identity: Some(identity.clone()),
        };
        let hash = code_hash(code);
        let result = if self.too_many_attempts(identity, &hash, false) {
            Err(IdentityError::TooManyAttempts)
        } else {
            self.try_consume(code, identity, actor.clone(), place).await
        };
        if let Err(e) = &result {
            let reason = match e {
                IdentityError::InviteUnknown => "invite_unknown",
                IdentityError::InviteExpired => "invite_expired",
                IdentityError::InviteUsed => "invite_used",
                IdentityError::AlreadyLinked { .. } => "already_linked",
                IdentityError::TooManyAttempts => "invite_attempts",
                _ => return result,
            };
            if !matches!(e, IdentityError::TooManyAttempts) {
                self.too_many_attempts(identity, &hash, true);
            }
            let mut event =
                NewEvent::new(EventKind::AccessRefused, actor, json!({"reason": reason}));
            event.place = place.cloned();
            self.audit.append(event).await?;
        }
        result
    }

    async fn try_consume(
        &self,
        code: &str,
        identity: &PlatformIdentity,
        actor: Actor,
        place: Option<&Place>,
    ) -> Result<User, IdentityError> {
        let hash = code_hash(code);
        let mut tx = self.store.begin().await?;
        // An account created on first contact (a viewer, this identity its
        // only one) may still take the invite meant for the person: the
        // identity moves to the invited user, once the code is claimed.
        let mut leaving: Option<User> = None;
        if let Some(user) = user_of_in(&mut tx, identity).await? {
            let (auto_created, identities): (bool, i64) = on_tx!(&mut tx, conn => {
                sqlx::query_as(
                    "SELECT u.auto_created, (SELECT COUNT(*) FROM identities i WHERE i.user_id = u.id) \
                     FROM users u WHERE u.id = $1",
                )
                .bind(user.id)
                .fetch_one(&mut **conn)
                .await?
            });
            if !(auto_created && user.role == Role::Viewer && identities == 1) {
                return Err(IdentityError::AlreadyLinked {
                    identity: identity.to_string(),
                    user: user.name,
                });
            }
            leaving = Some(user);
        }
        let invite: Option<(i64, DateTime<Utc>, Option<DateTime<Utc>>)> = on_tx!(&mut tx, conn => {
            sqlx::query_as("SELECT user_id, expires_at, used_at FROM invites WHERE code_hash = $1")
                .bind(&hash)
                .fetch_optional(&mut **conn)
                .await?
        });
        let (user_id, expires_at, used_at) = invite.ok_or(IdentityError::InviteUnknown)?;
        let now = Utc::now();
        if used_at.is_some() {
            return Err(IdentityError::InviteUsed);
        }
        if expires_at <= now {
            return Err(IdentityError::InviteExpired);
        }
        // The `used_at IS NULL` guard makes the code single-use even when two
        // PostgreSQL replicas race on it: the loser updates no row.
        let claimed = on_tx!(&mut tx, conn => {
            sqlx::query(
                "UPDATE invites SET used_at = $1, used_by = $2 WHERE code_hash = $3 AND used_at IS NULL",
            )
            .bind(now)
            .bind(identity.to_string())
            .bind(&hash)
            .execute(&mut **conn)
            .await?
            .rows_affected()
        });
        if claimed != 1 {
            return Err(IdentityError::InviteUsed);
        }
        let user: User = on_tx!(&mut tx, conn => {
            sqlx::query_as("SELECT id, name, role, created_at FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_one(&mut **conn)
                .await?
        });
        let actor = Actor {
            user_id: Some(user.id),
            ..actor
        };
        if leaving.is_some() {
            unlink_in(&mut tx, identity, actor.clone()).await?;
        }
        link_in(&mut tx, &user, identity, actor, "invite", place).await?;
        tx.commit().await?;
        Ok(user)
    }
}

/// The code of a message that is the link command written as words (`link
/// CODE`, `!link CODE`, `/link CODE`, `lier CODE`), as the help and the
/// refusals say it.
pub fn link_words(text: &str) -> Option<&str> {
    let text = text.trim();
    let text = text.strip_prefix(['!', '/']).unwrap_or(text);
    let (word, code) = text.split_once(char::is_whitespace)?;
    let code = code.trim();
    let is_link = word.eq_ignore_ascii_case("link") || word.eq_ignore_ascii_case("lier");
    (is_link && !code.is_empty() && !code.contains(char::is_whitespace)).then_some(code)
}

/// Words of `text` shaped like an invite code (ten of its letters, with or
/// without the dash): the ones to burn when said in public. A word that
/// is not a live code burns nothing.
pub fn code_candidates(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '"' | '\'' | '`' | '(' | ')'))
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric()))
        .filter(|w| {
            let letters: Vec<char> = w.chars().filter(|c| *c != '-').collect();
            letters.len() == 10
                && letters.iter().all(|c| c.is_ascii_alphanumeric())
                && w.chars().filter(|c| *c == '-').count() <= 1
        })
        .collect()
}

/// Normalizes a code as a person might type it (any case, with or without
/// the dash or spaces) and hashes it.
fn code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

/// Ten characters of Crockford's base-32 (no I, L, O, U to misread), 50 bits:
/// with a single use and an expiry, far beyond guessing through a chat.
fn new_invite_code() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rng();
    let chars: String = (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// A name a person can read without being fooled: letters and digits that
/// UTS #39 allows in identifiers (no invisible filler, no control or
/// bidirectional character, no full-width or mathematical letter), '.',
/// '_', '-', one script only (no Cyrillic а inside a Latin name).
fn check_name(name: &str) -> Result<(), IdentityError> {
    use unicode_security::{GeneralSecurityProfile, MixedScript};
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && !name.starts_with('-')
        && name == normal_name(name)
        && name.chars().all(|c| {
            matches!(c, '.' | '_' | '-') || (c.is_alphanumeric() && c.identifier_allowed())
        })
        && name.is_single_script();
    if ok {
        Ok(())
    } else {
        Err(IdentityError::BadName(name.to_owned()))
    }
}

/// A user name for an auto-created user, from the platform account's id,
/// never its display name: anyone can choose a display name that reads as
/// an admin's.
fn auto_name(identity: &PlatformIdentity) -> String {
    let mut out = String::new();
    let id = format!("{}-{}", identity.platform(), identity.id());
    for c in id.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(48).collect();
    out.trim_end_matches('-').to_owned()
}

/// Sets `user`'s role in `tx`, audited. Refused for the last admin unless
/// `allow_no_admin`; an admin who is demoted loses every API token at once
/// (promoted again later, an old token must not come back to life).
async fn set_role_in(
    tx: &mut Tx,
    user: &User,
    role: Role,
    actor: Actor,
    allow_no_admin: bool,
) -> Result<(), IdentityError> {
    let demoted = user.role == Role::Admin && role != Role::Admin;
    if demoted && !allow_no_admin {
        let admins: i64 = on_tx!(tx, conn => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin'")
                .fetch_one(&mut **conn)
                .await?
        });
        if admins <= 1 {
            return Err(IdentityError::LastAdmin(user.name.clone()));
        }
    }
    on_tx!(tx, conn => {
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(user.id)
            .execute(&mut **conn)
            .await?;
    });
    let event = NewEvent::new(
        EventKind::UserChanged,
        actor.clone(),
        json!({"action": "role", "user": user.name, "from": user.role.as_str(), "to": role.as_str()}),
    );
    Audit::append_in(tx, event).await?;
    if demoted {
        let revoked = on_tx!(tx, conn => {
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(Utc::now())
                .bind(user.id)
                .execute(&mut **conn)
                .await?
                .rows_affected()
        });
        if revoked > 0 {
            let event = NewEvent::new(
                EventKind::UserChanged,
                actor,
                json!({"action": "tokens_revoked", "user": user.name, "tokens": revoked, "reason": "demoted"}),
            );
            Audit::append_in(tx, event).await?;
        }
    }
    Ok(())
}

/// Refuses a name that reads like an existing user's (`аlice` with a
/// Cyrillic а beside `alice`): names are compared by their UTS #39
/// confusable skeleton.
async fn refuse_lookalike_in(tx: &mut Tx, name: &str) -> Result<(), IdentityError> {
    let names: Vec<String> = on_tx!(tx, conn => {
        sqlx::query_scalar("SELECT name FROM users")
            .fetch_all(&mut **conn)
            .await?
    });
    let skeleton = |n: &str| unicode_security::skeleton(n).collect::<String>();
    let own = skeleton(name);
    match names.into_iter().find(|n| n != name && skeleton(n) == own) {
        Some(existing) => Err(IdentityError::Lookalike {
            name: name.to_owned(),
            existing,
        }),
        None => Ok(()),
    }
}

/// A user name as it is stored and compared: Unicode NFKC (full-width and
/// mathematical letters become plain ones), then lower case, so that
/// `Alice`, `ａｌｉｃｅ` and `alice` are one name.
pub fn normal_name(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = name.nfkc().collect::<String>().to_lowercase();
    folded.nfkc().collect()
}

/// Refuses what cannot be linked: platforms that are not chat platforms
/// (`api:`, `cli:`, anything unknown), and a terminal user unless from the
/// CLI (`terminal_too`).
fn check_linkable(identity: &PlatformIdentity, terminal_too: bool) -> Result<(), IdentityError> {
    match identity.platform().as_str() {
        "discord" | "matrix" => Ok(()),
        "terminal" if terminal_too => Ok(()),
        _ => Err(IdentityError::NotLinkable(identity.to_string())),
    }
}

async fn find_user_in(tx: &mut Tx, name: &str) -> Result<Option<User>, IdentityError> {
    let normal = normal_name(name);
    Ok(on_tx!(tx, conn => {
        sqlx::query_as::<_, User>(USER_BY_NAME)
            .bind(name)
            .bind(&normal)
            .fetch_optional(&mut **conn)
            .await?
    }))
}

async fn unlink_in(
    tx: &mut Tx,
    identity: &PlatformIdentity,
    actor: Actor,
) -> Result<User, IdentityError> {
    let user = user_of_in(tx, identity)
        .await?
        .ok_or_else(|| IdentityError::NotLinked(identity.to_string()))?;
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM identities WHERE platform = $1 AND external_id = $2")
            .bind(identity.platform().as_str())
            .bind(identity.id())
            .execute(&mut **conn)
            .await?;
    });
    let event = NewEvent::new(
        EventKind::IdentityUnlinked,
        actor,
        json!({"user": user.name, "identity": identity.to_string()}),
    );
    Audit::append_in(tx, event).await?;
    Ok(user)
}

async fn user_of_in(
    tx: &mut Tx,
    identity: &PlatformIdentity,
) -> Result<Option<User>, IdentityError> {
    Ok(on_tx!(tx, conn => {
        sqlx::query_as::<_, User>(
            USER_BY_IDENTITY
        )
        .bind(identity.platform().as_str())
        .bind(identity.id())
        .fetch_optional(&mut **conn)
        .await?
    }))
}

/// A new user; `auto_created` when made on first contact (see
/// [`Directory::consume_invite`]).
async fn insert_user(
    tx: &mut Tx,
    name: &str,
    role: Role,
    auto_created: bool,
) -> Result<User, IdentityError> {
    Ok(on_tx!(tx, conn => {
        sqlx::query_as::<_, User>(
            "INSERT INTO users (name, role, created_at, auto_created) VALUES ($1, $2, $3, $4) \
             RETURNING id, name, role, created_at",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(Utc::now())
        .bind(auto_created)
        .fetch_one(&mut **conn)
        .await?
    }))
}

async fn link_in(
    tx: &mut Tx,
    user: &User,
    identity: &PlatformIdentity,
    actor: Actor,
    via: &str,
    place: Option<&Place>,
) -> Result<(), IdentityError> {
    if let Some(owner) = user_of_in(tx, identity).await? {
        return Err(IdentityError::AlreadyLinked {
            identity: identity.to_string(),
            user: owner.name,
        });
    }
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO identities (platform, external_id, user_id, linked_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(identity.platform().as_str())
        .bind(identity.id())
        .bind(user.id)
        .bind(Utc::now())
        .execute(&mut **conn)
        .await?;
    });
    let mut event = NewEvent::new(
        EventKind::IdentityLinked,
        actor,
        json!({"user": user.name, "identity": identity.to_string(), "via": via}),
    );
    event.place = place.cloned();
    Audit::append_in(tx, event).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_ones_below() {
        assert!(Role::Viewer.allows(Permission::Chat));
        assert!(!Role::Viewer.allows(Permission::Execute));
        assert!(Role::Executor.allows(Permission::Execute));
        assert!(!Role::Executor.allows(Permission::Administer));
        assert!(Role::Admin.allows(Permission::Administer));
        assert_eq!(Permission::Execute.least_role(), Role::Executor);
    }

    #[test]
    fn invite_codes_are_readable_and_normalized_before_hashing() {
        let code = new_invite_code();
        assert_eq!(code.len(), 11);
        assert!(!code.contains(['I', 'L', 'O', 'U']));
        let typed = format!(" {} ", code.to_lowercase().replace('-', " "));
        assert_eq!(code_hash(&typed), code_hash(&code));
        assert_ne!(code_hash(&new_invite_code()), code_hash(&code));
    }

    #[test]
    fn auto_names_come_from_the_account_id_never_the_display_name() {
        let id: PlatformIdentity = "matrix:@ana:example.org".parse().unwrap();
        assert_eq!(auto_name(&id), "matrix-ana-example-org");
        let long: PlatformIdentity = format!("matrix:@{}:example.org", "x".repeat(200))
            .parse()
            .unwrap();
        assert!(check_name(&auto_name(&long)).is_ok());
        let discord: PlatformIdentity = "discord:80351110224678912".parse().unwrap();
        assert_eq!(auto_name(&discord), "discord-80351110224678912");
    }

    #[test]
    fn user_names_are_checked() {
        for good in ["ana", "ana.martin", "a_b-c", "josé", "jürgen", "алиса"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-ana",
            "ana martin",
            "ana@x",
            &"a".repeat(65),
            // Not as stored: upper case, full width, mathematical letters.
            "Ana",
            "ａｌｉｃｅ",
            "𝐚lice",
            // A Cyrillic а in a Latin name; an invisible Hangul filler; a
            // zero-width space; a right-to-left override; an escape.
            "\u{430}lice",
            "victimadmin\u{3164}",
            "ali\u{200b}ce",
            "ali\u{202e}ce",
            "ali\u{1b}[2Jce",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(normal_name("Alice"), "alice");
        assert_eq!(normal_name("ａｌｉｃｅ"), "alice");
        assert_eq!(normal_name("𝐚lice"), "alice");
    }
}
